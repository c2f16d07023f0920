"""Issue 21, security: known XSS vectors (in the manner of the OWASP XSS Filter
Evasion Cheat Sheet) written in Markdown sources, built by the real ``edition
build``. No vector may leave active content in the site or in the TEI; the text
around it stays readable; a warning at the vector's ``path:line`` says what was
left out. Plus the unit behaviour of :mod:`edition.sanitize` and the renderer's
own guard (TEI from elsewhere)."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import lxml.html
import pytest
from lxml import etree

from edition.render.html import RenderContext, render
from edition.sanitize import clean_html, is_safe_url
from edition.tei import TEI_NS
from tests.support.browser import serve_dir
from tests.support.project import make_edition
from tests.test_sources_markdown import read

REPO = Path(__file__).resolve().parent.parent
B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>

# (id, Markdown written on the vector's line, text a reader must still see or "")
VECTORS: list[tuple[str, str, str]] = [
    # Markdown links and images
    ("md-link", "[click me](javascript:alert(1))", "click me"),
    ("md-link-case", "[click me](JaVaScRiPt:alert(1))", "click me"),
    ("md-link-tab-entity", "[click me](jav&#x09;ascript:alert(1))", "click me"),
    ("md-link-newline-entity", "[click me](jav&#x0A;ascript:alert(1))", "click me"),
    ("md-link-colon-entity", "[click me](javascript&colon;alert(1))", "click me"),
    ("md-link-percent", "[click me](java%0ascript:alert(1))", "click me"),
    ("md-link-vbscript", "[click me](vbscript:msgbox(1))", "click me"),
    ("md-link-data", f"[click me](data:text/html;base64,{B64_SCRIPT})", "click me"),
    ("md-reference-link", "[click me][evil]\n\n[evil]: javascript:alert(1)", "click me"),
    ("md-autolink", "<javascript:alert(1)>", ""),
    ("md-image", "![alt text](javascript:alert(1))", "alt text"),
    ("md-image-svg-data", "![alt text](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", "alt text"),
    ("hexo-post-link", "{% post_link javascript:alert(1) %}", ""),
    # <a href> in inline HTML
    ("a-href", 'see <a href="javascript:alert(1)">click me</a> now', "click me"),
    ("a-href-case", 'see <a href="JAVASCRIPT:alert(1)">click me</a> now', "click me"),
    ("a-href-tab-entity", 'see <a href="jav&#x09;ascript:alert(1)">click me</a> now', "click me"),
    (
        "a-href-decimal-entities",
        'see <a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click me</a> now',
        "click me",
    ),
    ("a-href-leading-control", 'see <a href=" &#14; javascript:alert(1)">click me</a> now', "click me"),
    ("a-href-data", f'see <a href="data:text/html;base64,{B64_SCRIPT}">click me</a> now', "click me"),
    ("a-href-vbscript", 'see <a href="vbscript:msgbox(1)">click me</a> now', "click me"),
    ("a-onclick", 'see <a href="https://example.org/" onclick="alert(1)">click me</a> now', "click me"),
    # event handlers
    ("b-onmouseover", 'text <b onmouseover="alert(1)">bold</b> text', "bold"),
    ("img-onerror-inline", "before <img src=x onerror=alert(1)> after", "after"),
    ("img-onerror-block", "<img src=x onerror=alert(1)>", ""),
    ("img-src-javascript-tab", "<IMG SRC=\"jav\tascript:alert('XSS');\">", ""),
    ("svg-onload", "<svg onload=alert(1)>", ""),
    ("body-onload", "<body onload=alert(1)>", ""),
    ("details-ontoggle", "<details open ontoggle=alert(1)>", ""),
    ("video-source-onerror", 'clip <video><source onerror="alert(1)"></video> end', "end"),
    # elements that run or embed code
    ("script-block", "<script>alert(1)</script>", ""),
    ("script-inline", "text <script>alert(1)</script> text", "text"),
    ("svg-script", "<svg><script>alert(1)</script></svg>", ""),
    ("html-head-script", "<html><head><script>alert(1)</script></head></html>", ""),
    ("iframe", '<iframe src="javascript:alert(1)"></iframe>', ""),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>', ""),
    ("object", '<object data="javascript:alert(1)"></object>', ""),
    ("embed", f'<embed src="data:text/html;base64,{B64_SCRIPT}">', ""),
    ("frameset", "<frameset onload=alert(1)>", ""),
    # style injection
    ("style-element", '<style>body{background:url("javascript:alert(1)")}</style>', ""),
    ("style-attribute", '<div style="background-image:url(javascript:alert(1))">styled</div>', "styled"),
    ("style-expression-inline", 'a <span style="width:expression(alert(1))">styled</span> b', "styled"),
    # forms, MathML, document-level elements
    ("form-action", '<form action="javascript:alert(1)"><button>go</button></form>', "go"),
    ("button-formaction", 'a <button formaction="javascript:alert(1)">go</button> b', "go"),
    (
        "math-xlink",
        'a <math><maction actiontype="statusline" xlink:href="javascript:alert(1)">click me</maction></math> b',
        "click me",
    ),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', ""),
    ("base-href", '<base href="javascript:alert(1)//">', ""),
    ("link-stylesheet", '<link rel="stylesheet" href="javascript:alert(1)">', ""),
    ("table-background", '<table background="javascript:alert(1)"><tr><td>cell</td></tr></table>', ""),
]
LINE = 9
"""The vector's line in its source: 4 lines of front matter, a heading, a paragraph."""

ACTIVE = {
    "script",
    "iframe",
    "object",
    "embed",
    "applet",
    "style",
    "base",
    "link",
    "form",
    "frame",
    "frameset",
}
URL_ATTRS = ("href", "src", "action", "formaction", "data", "background", "poster", "srcdoc", "xlink:href")


def source(title: str, vector: str) -> str:
    return f"---\ntitle: {title}\nlang: en\n---\n# A vector\n\nReadable text before.\n\n{vector}\n\nReadable text after.\n"


def scheme(url: str) -> str:
    """The scheme a browser would see, after every decoding an attacker relies on:
    entities, percent-escapes, and white space or controls anywhere in it."""
    for _ in range(3):
        url = unquote(html.unescape(url))
    url = "".join(ch for ch in url if ord(ch) > 0x20)
    return url.split(":", 1)[0].lower() if ":" in url else ""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("xss")
    files = {
        "edition.yaml": "title: XSS vectors\nlanguages: [en]\n",
        "control.md": source("Control", "Plain."),
    }
    files |= {f"{vid}.md": source(vid, vector) for vid, vector, _ in VECTORS}
    content = make_edition(tmp, files)
    out = tmp / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "edition", "build", str(content), "-o", str(out), "--no-search"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stderr


def page_of(out: Path, vid: str) -> lxml.html.HtmlElement:
    return lxml.html.parse(str(out / "texts" / f"{vid}.html")).getroot()


def frame(doc: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    """The page's own scripts, styles, links and metas (from the template)."""
    return sorted(
        (el.tag, el.get("rel") or el.get("name") or el.get("property") or "")
        for el in doc.iter("script", "style", "link", "meta", "base")
    )


@pytest.mark.parametrize(("vid", "vector", "readable"), VECTORS, ids=[v[0] for v in VECTORS])
def test_vector_leaves_no_active_content(
    built: tuple[Path, str], vid: str, vector: str, readable: str
) -> None:
    out, _stderr = built
    doc = page_of(out, vid)
    # nothing but the template's own head and scripts
    assert frame(doc) == frame(page_of(out, "control"))
    article = doc.find(".//article")
    assert article is not None
    found = [
        el.tag
        for el in article.iter()
        if isinstance(el.tag, str)
        and (el.tag in ACTIVE or el.tag in ("svg", "math", "meta", "input", "button", "textarea", "select"))
    ]
    assert found == [], found
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        handlers = [a for a in el.attrib if str(a).lower().startswith("on")]
        assert handlers == [], (el.tag, handlers)
        for attr in URL_ATTRS:
            value = el.get(attr)
            if value is not None:
                assert scheme(value) not in ("javascript", "vbscript", "data", "livescript"), (
                    el.tag,
                    attr,
                    value,
                )
    styled = [el.tag for el in article.iter() if isinstance(el.tag, str) and el.get("style") is not None]
    assert styled == [], styled
    text = article.text_content()
    assert "Readable text before." in text and "Readable text after." in text
    if readable:
        assert readable in text
    # the TEI holds no active content either
    tei = etree.parse(str(out / "tei" / f"{vid}.xml"))
    for el in tei.iter(f"{{{TEI_NS}}}ref", f"{{{TEI_NS}}}graphic", f"{{{TEI_NS}}}ptr"):
        for value in (el.get("target"), el.get("url")):
            assert value is None or scheme(value) not in ("javascript", "vbscript", "data"), value
    body_text = "".join(tei.getroot().find(f"{{{TEI_NS}}}text").itertext())  # the header has the title
    assert "<script" not in body_text.lower() and "onerror" not in body_text.lower()


@pytest.mark.parametrize(("vid", "vector", "readable"), VECTORS, ids=[v[0] for v in VECTORS])
def test_vector_is_reported_at_its_line(
    built: tuple[Path, str], vid: str, vector: str, readable: str
) -> None:
    _out, stderr = built
    here = [ln for ln in stderr.splitlines() if ln.startswith(f"{vid}.md:{LINE}: warning: ")]
    assert here, f"no warning at {vid}.md:{LINE}:\n{stderr}"
    assert any("left out" in ln for ln in here), here


def test_control_and_safe_html_are_untouched(tmp_path: Path) -> None:
    """Safe links and harmless raw HTML keep their behaviour: no new warning."""
    text = (
        "[web](https://example.org/a?b=1) [mail](mailto:a@example.org) [here](#p1) [rel](other.md#p3)\n\n"
        'x<sup>2</sup> <a href="https://example.org/">ok</a> <span style="color:red">red</span>\n'
    )
    content = make_edition(tmp_path, {"edition.yaml": "title: T\n", "a.md": source("A", text)})
    proc = subprocess.run(
        [sys.executable, "-m", "edition", "build", str(content), "-o", str(tmp_path / "site"), "--no-search"],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "left out" not in proc.stderr, proc.stderr
    doc = page_of(tmp_path / "site", "a")
    hrefs = [a.get("href") for a in doc.find(".//article").iter("a")]
    assert "https://example.org/a?b=1" in hrefs and "mailto:a@example.org" in hrefs
    assert "https://example.org/" in hrefs


def test_vector_tei_is_valid(built: tuple[Path, str], tei_schema: Any) -> None:
    """What is left where a vector stood (a link's text, a figure with only its
    description) is valid TEI."""
    out, _ = built
    bad = {}
    for vid, _vector, _readable in VECTORS:
        doc = etree.parse(str(out / "tei" / f"{vid}.xml"))
        if not tei_schema.validate(doc):
            bad[vid] = str(tei_schema.error_log.last_error)
    assert bad == {}


def test_editorial_decl_says_active_content_was_left_out() -> None:
    result, diags = read('# T\n\n[x](javascript:alert(1)) <b onclick="alert(1)">y</b>\n')
    (decl,) = result.encoding
    assert "2 piece(s) of active content" in " ".join(decl.itertext())
    assert [d.code for d in diags] == ["md-html-unsafe", "md-unsafe-url"]


# --- edition.sanitize on its own --------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "\x01javascript:alert(1)",
        "jav\tascript:alert(1)", "jav\nascript:alert(1)", "jav%09ascript:alert(1)", "jav&#x09;ascript:alert(1)",
        "&#106;avascript:alert(1)", "javascript&colon;alert(1)", "vbscript:msgbox(1)", "livescript:x",
        f"data:text/html;base64,{B64_SCRIPT}", "data:image/svg+xml,<svg onload=alert(1)>", "file:///etc/passwd",
    ],
)  # fmt: skip
def test_unsafe_urls(url: str) -> None:
    assert not is_safe_url(url)


@pytest.mark.parametrize(
    "url",
    ["https://example.org/x?a=1&b=2", "http://x.org", "mailto:a@b.org", "ftp://x.org/f", "#p3", "other.md#p3",
     "../letters/1927.txt", "/images/a.png", "a b.png", "", "//example.org/x", "页面.html"],
)  # fmt: skip
def test_safe_urls(url: str) -> None:
    assert is_safe_url(url)


def test_clean_html_keeps_harmless_html_as_written() -> None:
    assert clean_html("<div class=x>hi</div>").html == "<div class=x>hi</div>"
    assert clean_html("<div class=x>hi</div>").dropped == ()
    cleaned = clean_html('<p onclick="alert(1)" style="color:red">hi <script>x()</script></p>')
    assert cleaned.html == "<p>hi </p>"
    assert cleaned.dropped == ('onclick="alert(1)"', 'style="color:red"', "<script> with its content")


def test_renderer_refuses_unsafe_targets_from_any_tei() -> None:
    """Defence in depth: TEI read from elsewhere may carry what no reader would write."""
    ctx = RenderContext(text_id="a", lang="en", url_for=lambda t, i: f"#{i}")
    el = etree.fromstring(
        f'<p xmlns="{TEI_NS}">a <ref target="JavaScript:alert(1)">link</ref> '
        f'<ref target="https://example.org/">ok</ref><graphic url="javascript:alert(1)"/>'
        f'<graphic url="data:text/html;base64,{B64_SCRIPT}"/><ptr target="vbscript:x"/></p>'
    )
    out = render(el, ctx)
    doc = lxml.html.fragment_fromstring(str(out), create_parent="div")
    assert [a.get("href") for a in doc.iter("a") if "permalink" not in (a.get("class") or "")] == [
        "https://example.org/"
    ]
    assert doc.find(".//img") is None
    assert "link" in doc.text_content()
    assert re.search(r"javascript|vbscript|data:", str(out), re.I) is None


def test_no_dialog_fires_in_a_browser(built: tuple[Path, str], page: Any) -> None:
    """Chromium loads every vector's page, hovers and focuses every element of the
    text: no alert/confirm/prompt opens. A page with a live vector proves the check
    can fail."""
    out, _ = built
    fired: list[str] = []
    page.on("dialog", lambda d: (fired.append(f"{page.url}: {d.message}"), d.dismiss()))
    (out / "live.html").write_text(
        "<!DOCTYPE html><title>x</title><img src=x onerror=alert(1)>", encoding="utf-8"
    )
    with serve_dir(out) as base:
        page.goto(base + "live.html", wait_until="load")
        page.wait_for_timeout(200)
        assert fired, "the dialog check does not see a live vector"
        fired.clear()
        for vid, _vector, _readable in VECTORS:
            page.goto(f"{base}texts/{vid}.html", wait_until="load")
            page.evaluate(
                """() => { for (const el of document.querySelectorAll('article *')) {
                    for (const t of ['mouseover', 'mouseenter', 'focus', 'click', 'toggle'])
                        if (t !== 'click' || el.tagName !== 'A') el.dispatchEvent(new Event(t)); } }"""
            )
            page.wait_for_timeout(50)
    assert fired == []
