"""The sample edition's site in a real browser (Debian Chromium through Playwright):
open a text, open and close a note popover with the keyboard, follow a quotation to
the highlighted passage, search for a Chinese and an English word and open the
result, load pages from file://, axe on every page, and screenshots at phone and
desktop widths in tests/artifacts/ (for a person to look at).

Figures (bytes of a first search, page weight) go to tests/artifacts/figures.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edition import builder
from tests.support.browser import format_axe, run_axe, serve_dir
from tests.support.ci import require_module

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
ARTIFACTS = ROOT / "tests" / "artifacts"
WIDTHS = {"phone": 390, "desktop": 1280}
ZH_TEXT = "texts/trotsky-results-and-prospects-zh.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser-site") / "site"
    result = builder.build(CONTENT, out)
    assert result.out == out, [str(d) for d in result.diagnostics]
    # the search tests below need the index; say so here rather than as 30 s browser time-outs
    assert (out / "pagefind" / "pagefind.js").is_file(), [str(d) for d in result.diagnostics]
    return out


@pytest.fixture(scope="module")
def base(site: Path) -> Iterator[str]:
    with serve_dir(site) as url:
        yield url


def new_page(browser: Any, width: int = 1280, **kw: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 860}, **kw)
    return context.new_page()


def in_viewport(page: Any, selector: str) -> bool:
    return bool(page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
             return r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5; }""",
        selector))


def record_figure(name: str, value: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "figures.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def first_link_page(site: Path) -> str:
    """A page with a quotation panel (the sample edition's links)."""
    for p in sorted(site.rglob("*.html")):
        if 'class="quote-links"' in p.read_text(encoding="utf-8"):
            return p.relative_to(site).as_posix()
    pytest.fail("no page of the sample edition shows a quotation panel")


def test_main_pages_screenshots_and_no_overflow(browser: Any, base: str, site: Path) -> None:
    compare = sorted((site / "links").glob("*.html"))
    pages = {"index": "index.html", "text-zh": ZH_TEXT, "letter": "texts/trotsky-letter-1927-03-31.html",
             "volume": "texts/stalin-works-9.html", "work": first_link_page(site), "links": "links.html",
             "search": "search.html?q=%E4%B8%93%E6%94%BF", "not-found": "404.html"}
    if compare:
        pages["side-by-side"] = compare[0].relative_to(site).as_posix()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for wname, width in WIDTHS.items():
        page = new_page(browser, width)
        for name, url in pages.items():
            page.goto(base + url)
            if name == "search":
                page.wait_for_selector("#results li", timeout=30000)
            assert page.locator("h1").first.is_visible(), url
            overflow = page.evaluate("document.scrollingElement.scrollWidth - innerWidth")
            assert overflow <= 1, f"{url} is {overflow}px wider than a {width}px screen"
            page.screenshot(path=str(ARTIFACTS / f"{name}-{wname}.png"))
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_note_popover_with_the_keyboard(browser: Any, base: str, width: int) -> None:
    page = new_page(browser, width)
    page.goto(base + ZH_TEXT)
    toggle = page.locator(".note-toggle").first
    pop_id = toggle.get_attribute("popovertarget")
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#{pop_id}:popover-open")
    assert in_viewport(page, f"#{pop_id}"), "the popover must be on screen"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('[popover]')?.id") == pop_id, "Tab moves into the note"
    page.keyboard.press("Escape")
    assert page.evaluate(f"document.getElementById('{pop_id}').matches(':popover-open')") is False
    assert page.evaluate("document.activeElement.getAttribute('popovertarget')") == pop_id, "focus returns to the mark"
    # the close button, and the same note in the list at the end with a link back
    page.keyboard.press("Enter")
    page.locator(f"#{pop_id} .note-close").click()
    assert page.evaluate(f"document.getElementById('{pop_id}').matches(':popover-open')") is False
    note_id = pop_id.removesuffix("-pop")
    assert page.locator(f"section.notes li#{note_id} a.backref").get_attribute("href") == f"#{note_id}-ref"
    page.context.close()


def test_notes_cause_no_layout_shift(browser: Any, base: str) -> None:
    """Lighthouse-style basic: opening a note moves nothing (the popover is in the top layer)."""
    page = new_page(browser)
    page.add_init_script("""window.__shift = 0; new PerformanceObserver((l) => { for (const e of l.getEntries())
        if (!e.hadRecentInput) window.__shift += e.value; }).observe({type: 'layout-shift', buffered: true});""")
    page.goto(base + ZH_TEXT)
    page.wait_for_load_state("load")
    before = page.evaluate("document.querySelector('.text-body p').getBoundingClientRect().top")
    toggle = page.locator(".note-toggle").first
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert page.evaluate("document.querySelector('.text-body p').getBoundingClientRect().top") == before
    assert page.evaluate("window.__shift") < 0.01
    page.context.close()


def test_note_popover_without_javascript(browser: Any, base: str) -> None:
    page = new_page(browser, 1280, java_script_enabled=False)
    page.goto(base + ZH_TEXT)
    toggle = page.locator(".note-toggle").first
    pop_id = toggle.get_attribute("popovertarget")
    toggle.click()
    page.wait_for_selector(f"#{pop_id}:popover-open")
    page.context.close()


def test_follow_a_quotation_to_the_highlighted_passage(browser: Any, base: str, site: Path) -> None:
    page = new_page(browser, 1280, java_script_enabled=False)  # works without script
    page.goto(base + first_link_page(site))
    link = page.locator(".quote-links li a:not(.q-compare)").first
    href = link.get_attribute("href")
    assert href and "#" in href
    link.click()
    page.wait_for_load_state()
    target = href.split("#", 1)[1]
    assert page.evaluate("location.hash") == "#" + target
    sel = f"[id='{target}']"
    highlighted = page.evaluate(
        """(sel) => { const el = document.querySelector(sel);
             return el.matches('mark.quotation') || !!el.querySelector('mark.quotation') || !!el.closest('mark.quotation'); }""",
        sel)
    assert highlighted, "the passage at the other end is highlighted"
    assert page.evaluate("(sel) => document.querySelector(sel).getBoundingClientRect().top", sel) < 860
    # and back: the other side lists this passage ("quotes" / "quoted in")
    assert page.locator(".quote-links a").count() > 0
    page.context.close()


def test_a_passage_across_markup_is_highlighted_and_opened(browser: Any, base: str, site: Path) -> None:
    """A passage that crosses other markup (a correction, a note's marker) is
    highlighted piece by piece; its links.json url scrolls to its first piece."""
    data = json.loads((site / "links.json").read_text(encoding="utf-8"))
    sides = [s for ln in data["links"] for s in (ln["a"], ln["b"])]
    across = [s for s in sides
              if f'data-passage="{s["url"].split("#")[1]}"' in (site / s["url"].split("#")[0]).read_text("utf-8")]
    assert across, "the sample edition has passages across markup"
    side = across[0]
    page = new_page(browser, 1280, java_script_enabled=False)
    page.goto(base + side["url"])
    page.wait_for_load_state()
    target = side["url"].split("#", 1)[1]
    assert page.evaluate("location.hash") == "#" + target
    shown = page.evaluate(
        """(id) => { const first = document.getElementById(id);
             if (!first.matches('mark.quotation:target')) return null;
             const pieces = [...document.querySelectorAll(`mark[data-passage="${id}"]`)];
             // a piece's note marker and popover are not the passage's words
             return pieces.map(m => { const c = m.cloneNode(true);
               c.querySelectorAll('[class*=note]').forEach(n => n.remove()); return c.textContent; }).join(''); }""",
        target)
    assert shown == side["quote"], (shown, side["quote"])
    assert page.evaluate("(id) => document.getElementById(id).getBoundingClientRect().top", target) < 860
    page.context.close()


def search(page: Any, base: str, q: str) -> list[str]:
    page.goto(base + "search.html")
    page.wait_for_function("document.documentElement.dataset.searchReady === 'true'", timeout=30000)
    page.fill("#q", q)
    page.press("#q", "Enter")
    page.wait_for_function("document.getElementById('search-status').textContent.length > 0", timeout=30000)
    result: list[str] = page.locator("#results li h2 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return result


def open_first_result(page: Any) -> str:
    page.locator("#results li h2 a").first.click()
    page.wait_for_load_state()
    target = page.evaluate("location.hash").lstrip("#")
    assert target
    text: str = page.evaluate("(id) => document.getElementById(id).textContent", target)
    return text


def test_cite_this_passage(browser: Any, base: str, site: Path) -> None:
    """Every paragraph: permalink, printed page, formatted citation, without script; on a
    phone the "cite" of a paragraph shows once its permalink is followed."""
    url = "texts/stalin-works-9/w05.html"
    page = new_page(browser, 1280, java_script_enabled=False)
    page.goto(base + url)
    block = page.locator(".block:has(.cite-page)").first
    pid = block.locator("p").first.get_attribute("id")
    block.locator("summary").click()
    body = block.locator(".cite-body").inner_text()
    assert f"https://example.org/edition/{url}#{pid}" in body
    assert "J. V. Stalin" in body and "p. " in body and "Printed page:" in body
    page.context.close()
    phone = new_page(browser, 390, java_script_enabled=False)
    phone.goto(base + url)
    summary = phone.locator(f".block:has(p[id='{pid}']) summary")
    assert summary.is_hidden()
    phone.goto(base + f"{url}#{pid}")
    assert summary.is_visible()
    phone.context.close()


def test_search_chinese_word_opens_the_paragraph(browser: Any, base: str) -> None:
    page = new_page(browser)
    hits = search(page, base, "专政")
    assert hits, "专政 is in the Chinese texts"
    assert all("#" in h for h in hits)
    assert "专政" in open_first_result(page)
    # traditional characters find the simplified text; a substring across two words too
    assert len(search(page, base, "專政")) == len(hits)
    assert search(page, base, "阶级专")
    assert search(page, base, "政")  # one character
    page.context.close()


def test_any_passage_is_found_by_a_word_of_it(browser: Any, base: str) -> None:
    """A sample of the edition's passages (every 25th): each is among the results for its
    longest English word, or for three Chinese characters from its middle, typed in
    traditional characters when OpenCC has them."""
    import re

    from edition import search as search_mod

    edition = builder.load(CONTENT)
    records = search_mod.records(edition)[::25]
    to_trad = require_module("opencc").OpenCC("s2t").convert  # a dependency of the package
    queries = []
    for r in records:
        han = re.findall(r"[\u4e00-\u9fff]{3,}", r.text)
        if han:
            run = max(han, key=len)
            q = run[len(run) // 2 - 1 : len(run) // 2 + 2]
            queries.append((to_trad(q), r.url))
        else:
            words = [w for w in re.findall(r"[A-Za-z]{4,}", r.text)]
            if words:
                queries.append((max(words, key=len), r.url))
    page = new_page(browser)
    page.goto(base + "search.html")
    page.wait_for_function("document.documentElement.dataset.searchReady === 'true'", timeout=30000)
    missing = []
    for q, url in queries:
        urls = page.evaluate("(q) => window.editionSearch.urls(q)", q)
        if url not in urls:
            missing.append(f"{q!r} does not find {url}")
    record_figure("passages_found_by_a_word", f"{len(queries) - len(missing)}/{len(queries)}")
    page.context.close()
    assert missing == []


def test_search_english_word_opens_the_paragraph(browser: Any, base: str) -> None:
    page = new_page(browser)
    hits = search(page, base, "proletariat")
    assert len(hits) >= 5
    assert "proletaria" in open_first_result(page).lower()
    page.context.close()


def test_search_filters(browser: Any, base: str) -> None:
    page = new_page(browser)
    search(page, base, "革命")
    page.locator("#filters summary").click()
    page.locator("fieldset", has_text="Language").get_by_label("English", exact=False).check()
    page.wait_for_function("document.getElementById('search-status').textContent.includes('Nothing')"
                           " || document.querySelectorAll('#results li').length > 0", timeout=30000)
    langs = page.locator("#results .excerpt").evaluate_all("els => els.map(e => e.lang)")
    assert all(lang.startswith("en") for lang in langs)
    # notes are searchable and a kind of their own; a note result opens the notes list
    search(page, base, "编者注")
    page.locator("#filters summary").click()
    page.locator("fieldset", has_text="Kind").get_by_label("note (", exact=False).check()
    page.wait_for_function("document.querySelectorAll('#results li').length > 0", timeout=30000)
    assert all("note" in w for w in page.locator("#results .where").all_inner_texts())
    page.locator("#results li h2 a").first.click()
    page.wait_for_load_state()
    assert page.evaluate("document.querySelector(location.hash).closest('section.notes') !== null")
    page.context.close()


def test_first_search_downloads_under_500_kb(browser: Any, base: str) -> None:
    """Issue 6 target: a first search downloads under 500 KB (page, style, script, index)."""
    page = new_page(browser)
    sizes: dict[str, int] = {}
    page.on("requestfinished", lambda req: sizes.__setitem__(req.url, (req.sizes() or {}).get("responseBodySize", 0)))
    page.goto(base + "search.html")
    page.wait_for_function("document.documentElement.dataset.searchReady === 'true'", timeout=30000)
    page.fill("#q", "专政")
    page.press("#q", "Enter")
    page.wait_for_selector("#results li")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    record_figure("first_search_bytes", total)
    record_figure("first_search_requests", len(sizes))
    assert total < 500_000, sorted(sizes.items(), key=lambda kv: -kv[1])[:10]
    page.context.close()


def test_search_and_links_under_a_sub_path(browser: Any, site: Path, tmp_path: Path) -> None:
    """Relative links only: the same files served under /deep/edition/ work, search included."""
    import shutil

    shutil.copytree(site, tmp_path / "deep" / "edition")
    with serve_dir(tmp_path) as root:
        page = new_page(browser)
        page.goto(root + "deep/edition/search.html?q=proletariat")
        page.wait_for_selector("#results li")
        assert "proletaria" in open_first_result(page).lower()
        assert "/deep/edition/texts/" in page.url
        page.goto(root + "deep/edition/index.html")
        page.locator("nav[aria-label=Site] a", has_text="Quotations").click()
        page.wait_for_load_state()
        assert page.url.endswith("/deep/edition/links.html")
        page.context.close()


def test_download_the_bundle_from_the_index_and_a_text(browser: Any, base: str, site: Path) -> None:
    """Issue 22: the link to the archival bundle is visible (the index's download section, every
    page's footer) and gives the zip the build wrote."""
    page = new_page(browser)
    for url, selector in (("index.html", "#download a[download]"), (ZH_TEXT, ".site-footer a.download")):
        page.goto(base + url)
        link = page.locator(selector).first
        assert link.is_visible(), (url, selector)
        href = link.get_attribute("href")
        assert href and not href.startswith(("/", "http")), href
        target = page.evaluate("(a) => a.href", link.element_handle())
        resp = page.request.get(target)
        assert resp.status == 200, target
        assert resp.body() == (site / "export" / "edition-bundle.zip").read_bytes()
    page.goto(base + "index.html")
    assert "(zip, " in page.locator("#download").inner_text()  # with its size
    page.context.close()


def test_dark_mode_and_print_screenshots(browser: Any, base: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, color_scheme="dark")
    page = context.new_page()
    page.goto(base + ZH_TEXT)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(22, 22, 26)"
    page.screenshot(path=str(ARTIFACTS / "text-zh-dark-desktop.png"))
    page.emulate_media(media="print", color_scheme="light")
    assert page.locator(".site-header").is_hidden() and page.locator(".note-toggle").first.is_hidden()
    assert page.locator("section.notes").is_visible()
    page.screenshot(path=str(ARTIFACTS / "text-zh-print.png"))
    context.close()


def test_pages_work_from_file_url(browser: Any, site: Path) -> None:
    page = new_page(browser)
    page.goto((site / "index.html").as_uri())
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.locator("table.texts a").first.click()
    page.wait_for_load_state()
    assert page.url.startswith("file://") and page.locator("h1").first.is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") == "flex"  # style.css applies
    page.goto((site / "search.html").as_uri())
    page.wait_for_function("document.getElementById('search-status').textContent.includes('http')")
    page.context.close()


def axe_pages(browser: Any, base: str, pages: list[str], axe_js: Path) -> list[str]:
    page = new_page(browser)
    failures = []
    for url in pages:
        page.goto(base + url)
        violations = run_axe(page, axe_js, impacts={"serious", "critical"})
        if violations:
            failures.append(f"{url}:\n{format_axe(violations)}")
    page.context.close()
    return failures


def test_axe_on_every_text_page(browser: Any, base: str, site: Path, axe_js: Path) -> None:
    pages = sorted(p.relative_to(site).as_posix() for p in (site / "texts").rglob("*.html"))
    failures = axe_pages(browser, base, pages, axe_js)
    record_figure("axe_text_pages_checked", len(pages))
    assert failures == [], "\n".join(failures[:10])


def test_axe_on_edition_pages(browser: Any, base: str, site: Path, axe_js: Path) -> None:
    """Every edition-wide page; of the side-by-side pages (one template, hundreds of
    pages) every tenth, to stay inside the per-test time limit. vnu checks them all."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.glob("*.html"))
    pages += sorted(p.relative_to(site).as_posix() for p in (site / "links").glob("*.html"))[::10]
    failures = axe_pages(browser, base, pages, axe_js)
    record_figure("axe_edition_pages_checked", len(pages))
    assert failures == [], "\n".join(failures[:10])
