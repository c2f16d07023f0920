"""``edition.yaml`` -> frozen :class:`Config`.

The file is optional: a content directory without one still builds, with the
directory's name as the edition's title.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import ConfigError, Diagnostics, Location, did_you_mean
from .quotation_settings import QuotationSettings, quotation_settings

CONFIG_NAME = "edition.yaml"


def _package_templates() -> Path:
    """The package's own templates: ``edition/templates`` in an installed wheel (pyproject.toml
    maps the repository's top-level ``templates/`` there), else ``templates/`` beside the
    package, as in a clone (an editable install or ``PYTHONPATH``). See issue 20."""
    package = Path(__file__).resolve().parent
    shipped = package / "templates"
    return shipped if shipped.is_dir() else package.parent / "templates"


PACKAGE_TEMPLATES = _package_templates()

KNOWN_KEYS = {
    "title": "the edition's title",
    "subtitle": "a subtitle shown under the title",
    "editors": "the edition's editors (a name or a list)",
    "languages": "languages of the edition (BCP 47 tags)",
    "base_url": "where the site is published, e.g. https://example.org/edition/ (used in sitemap, feed, citations)",
    "description": "one paragraph about the edition",
    "license": "licence of the edition's own apparatus",
    "publisher": "who publishes the edition",
    "quotations": "quotation detection settings (enabled, min_words, min_chars, threshold, matcher, exact_pairs)",
    "exclude": "glob patterns of files in the content directory to ignore",
}


@dataclass(frozen=True, slots=True)
class Config:
    content_dir: Path
    title: str
    subtitle: str | None = None
    editors: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    base_url: str = ""
    description: str | None = None
    license: str | None = None
    publisher: str | None = None
    exclude: tuple[str, ...] = ()
    quotations: QuotationSettings = field(default_factory=QuotationSettings)
    config_path: Path | None = None

    @property
    def template_dirs(self) -> list[Path]:
        """The edition's own ``templates/`` first, then the package's."""
        own = self.content_dir / "templates"
        return [own, PACKAGE_TEMPLATES] if own.is_dir() else [PACKAGE_TEMPLATES]


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value).strip()] if str(value).strip() else []


# libyaml's loader when PyYAML was built with it (about 10x faster on many small sidecars).
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SafeLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, except that a date YAML cannot construct (``2027-13-45``)
    stays a string, for the metadata checks to report on its line (PyYAML
    raises a bare ``ValueError`` there, outside its own errors)."""


def _lenient_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)

_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def valid_lang(tag: str) -> bool:
    return bool(_LANG_RE.match(tag))


def normalise_lang(tag: str) -> str:
    """Case-normalised BCP 47 tag: ``zh-hans`` -> ``zh-Hans``, ``EN-us`` -> ``en-US``."""
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for p in parts[1:]:
        if len(p) == 4:
            out.append(p.title())
        elif len(p) == 2:
            out.append(p.upper())
        else:
            out.append(p.lower())
    return "-".join(out)


def base_lang(tag: str) -> str:
    """Primary language subtag: ``zh-Hans`` -> ``zh``."""
    return tag.split("-", 1)[0].lower()


def yaml_line_map(text: str) -> dict[str, int]:
    """1-based line of each top-level key in a YAML mapping, and of the keys of a
    mapping one level down as ``outer.inner`` (for messages)."""
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return lines
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                lines[str(k.value)] = k.start_mark.line + 1
                if isinstance(v, yaml.MappingNode):
                    for kk, _vv in v.value:
                        if isinstance(kk, yaml.ScalarNode):
                            lines[f"{k.value}.{kk.value}"] = kk.start_mark.line + 1
    return lines


def load_yaml(
    path: Path, text: str, diags: Diagnostics, rel: Path | str, line_offset: int = 0
) -> dict[str, Any] | None:
    """Parse a YAML mapping; on error record ``path:line: error`` and return None."""
    try:
        data = yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 1 + line_offset) if mark is not None else (line_offset + 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        diags.error(Location(rel, line), f"malformed YAML: {problem}", "yaml")
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        diags.error(
            Location(rel, line_offset + 1),
            f"YAML must be a mapping of keys to values, not {type(data).__name__}",
            "yaml",
        )
        return None
    return data


def drop_misshapen(
    data: dict[str, Any],
    scalars: tuple[str, ...],
    lists: tuple[str, ...],
    where: Callable[[str], Location],
    diags: Diagnostics,
    code: str,
    instead: dict[str, str] | None = None,
) -> set[str]:
    """Report and remove (from ``data`` itself) each key of ``scalars`` whose
    value is a mapping or a list, and each of ``lists`` that is a mapping or
    holds one; ``instead``: what is used in place of a key's value, said in its
    message (default: it is left out). The keys removed."""
    dropped = set()
    for key in scalars + lists:
        value = data.get(key)
        items = value if isinstance(value, list) and key in lists else [value]
        bad = next((x for x in items if isinstance(x, (dict, list))), None)
        if bad is None:
            continue
        what = "a mapping" if isinstance(bad, dict) else "a list"
        must = "one value" if key in scalars else "one value or a list of values"
        then = (instead or {}).get(key, "it is left out")
        diags.error(where(key), f"'{key}' must be {must}, not {what}; {then}", code)
        del data[key]
        dropped.add(key)
    return dropped


def load_config(content_dir: Path, diags: Diagnostics) -> Config:
    content_dir = content_dir.resolve()
    if not content_dir.is_dir():
        raise ConfigError(f"content directory '{content_dir}' does not exist")
    path = content_dir / CONFIG_NAME
    if not path.exists():
        return Config(content_dir=content_dir, title=content_dir.name)
    rel = Path(CONFIG_NAME)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {col} (save the file as UTF-8)",
            Location(rel, line),
        ) from exc
    data = load_yaml(path, text, diags, rel)
    if data is None:
        raise ConfigError("edition.yaml could not be read (see above)", Location(rel))
    lines = yaml_line_map(text)
    for key in data:
        if key not in KNOWN_KEYS:
            diags.warning(
                Location(rel, lines.get(str(key))),
                f"unknown key '{key}' in edition.yaml.{did_you_mean(str(key), KNOWN_KEYS)}",
                "config-key",
            )
    data = dict(data)
    drop_misshapen(
        data,
        ("title", "subtitle", "base_url", "description", "license", "publisher"),
        ("editors", "languages", "exclude"),
        lambda key: Location(rel, lines.get(key)),
        diags,
        "config-type",
    )
    qs = quotation_settings(data.get("quotations"), lines, rel, diags)
    langs = as_list(data.get("languages"))
    for lang in langs:
        if not valid_lang(lang):
            diags.warning(
                Location(rel, lines.get("languages")), f"'{lang}' is not a BCP 47 language tag", "lang"
            )
    base_url = str(data.get("base_url") or "").strip()
    parts = urlsplit(base_url)
    if base_url and (parts.scheme not in ("http", "https") or not parts.netloc):
        diags.error(
            Location(rel, lines.get("base_url")),
            f"base_url must be an absolute http(s) address, like https://example.org/edition/, not"
            f" {base_url!r}; it is left out (links stay relative)",
            "config-value",
        )
        base_url = ""
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    return Config(
        content_dir=content_dir,
        title=str(data.get("title") or content_dir.name),
        subtitle=data.get("subtitle"),
        editors=tuple(as_list(data.get("editors"))),
        languages=tuple(normalise_lang(x) for x in langs),
        base_url=base_url,
        description=data.get("description"),
        license=data.get("license"),
        publisher=data.get("publisher"),
        exclude=tuple(as_list(data.get("exclude"))),
        quotations=qs,
        config_path=path,
    )
