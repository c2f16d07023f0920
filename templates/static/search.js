// The search page: Pagefind's JS API over the passage records written by
// edition/search.py. Queries are put in the index's "search form": full-width
// Latin folded (NFKC), traditional characters folded to simplified, and every
// run of Chinese characters split into overlapping bigrams plus its last
// character, so a word, any substring and either script find a passage.
// The only script of the site (issue 6: "without JavaScript except for search").
// A classic script (not a module): Chromium refuses module scripts on file://, and
// this one must run there to say that search needs http.

(() => {
const doc = document.documentElement;
const root = doc.dataset.root || "";
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const statusBox = document.getElementById("search-status");
const list = document.getElementById("results");
const more = document.getElementById("more");
const filterBox = document.getElementById("filters");
const PAGE = 10;
const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]+/gu;
const FILTER_NAMES = {text: "Text", author: "Author", language: "Language", kind: "Kind"};

let pagefind = null;
let fold = null;
let shown = [];
let results = [];
let runId = 0;
let lastKey = null;
let timer = null;

function say(msg) { statusBox.textContent = msg; }

async function loadFold() {
  if (fold) return fold;
  fold = new Map();
  try {
    const chars = Array.from(await (await fetch(root + "search/fold.txt")).text());
    for (let i = 0; i + 1 < chars.length; i += 2) fold.set(chars[i], chars[i + 1]);
  } catch (e) { /* no table: search without traditional/simplified folding */ }
  return fold;
}

// Fold a string; also return, for each folded character, the index of the
// original character it came from (to highlight the original text).
function foldMap(s) {
  let out = "";
  const from = [];
  let i = 0;
  for (const ch of s) {
    let f = ch.normalize("NFKC").toLowerCase();
    f = Array.from(f).map((c) => (fold && fold.get(c)) || c).join("");
    for (let k = 0; k < f.length; k++) from.push(i);
    out += f;
    i += ch.length;
  }
  from.push(i);
  return [out, from];
}

function bigrams(run) {
  const c = Array.from(run);
  if (c.length === 1) return [run];
  const out = [];
  for (let i = 0; i + 1 < c.length; i++) out.push(c[i] + c[i + 1]);
  out.push(c[c.length - 1]);
  return out;
}

function searchForm(q) {
  const [f] = foldMap(q);
  return f.replace(CJK, (run) => " " + bigrams(run).join(" ") + " ").split(/\s+/).filter(Boolean).join(" ");
}

// The pieces of the query to highlight: Chinese runs as typed (folded), Latin words.
function needles(q) {
  const [f] = foldMap(q);
  const out = [];
  for (const m of f.matchAll(CJK)) out.push(m[0]);
  for (const w of f.replace(CJK, " ").split(/[^\p{L}\p{N}]+/u)) if (w.length > 1) out.push(w);
  return out;
}

function excerpt(text, q) {
  const [f, from] = foldMap(text);
  const spans = [];
  for (const n of needles(q)) {
    const latin = !n.match(CJK);
    // a Latin word matches the start of a word (stemming: "revolutions" for "revolution")
    const stem = latin && n.length > 5 ? n.slice(0, n.length - 2) : n;
    let at = f.indexOf(stem);
    let found = false;
    while (at >= 0) {
      if (!latin || at === 0 || !/[\p{L}\p{N}]/u.test(f[at - 1])) {
        let end = at + stem.length;
        if (latin) while (end < f.length && /[\p{L}]/u.test(f[end])) end++;
        spans.push([from[at], from[end]]);
        found = true;
      }
      at = f.indexOf(stem, at + stem.length);
    }
    if (!found && !latin) for (const b of bigrams(n)) if (Array.from(b).length > 1) {
      let k = f.indexOf(b);
      while (k >= 0) { spans.push([from[k], from[k + b.length]]); k = f.indexOf(b, k + b.length); }
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  const first = spans.length ? spans[0][0] : 0;
  const start = Math.max(0, first - 80);
  const end = Math.min(text.length, start + 260);
  const frag = document.createDocumentFragment();
  if (start > 0) frag.append("…");
  let pos = start;
  for (const [a, b] of spans) {
    if (a < pos || a >= end) continue;
    frag.append(text.slice(pos, a));
    const m = document.createElement("mark");
    m.textContent = text.slice(a, Math.min(b, end));
    frag.append(m);
    pos = Math.min(b, end);
  }
  frag.append(text.slice(pos, end));
  if (end < text.length) frag.append("…");
  return frag;
}

// Filters are tokens in the records (see edition/search.py): one value per filter.
function filterTokens() {
  return Array.from(filterBox.querySelectorAll("input:checked")).map((b) => b.value).filter(Boolean);
}

async function showMore(q, my = runId) {
  const next = results.slice(shown.length, shown.length + PAGE);
  const datas = await Promise.all(next.map((r) => r.data()));
  if (my !== runId) return;  // a newer search has started: its results replace these
  for (const d of datas) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = root + d.url.replace(/^\/+/, "");
    a.textContent = d.meta.title;
    a.lang = d.meta.lang || "";
    const h = document.createElement("h2");
    h.append(a);
    li.append(h);
    const where = [];
    if (d.meta.work) where.push(d.meta.work);
    if (d.meta.section && d.meta.section !== d.meta.work) where.push(d.meta.section);
    if (d.meta.page) where.push("p. " + d.meta.page);
    if (d.meta.note) where.push("note " + d.meta.note);
    if (d.meta.kind) where.push(d.meta.kind);
    if (where.length) {
      const p = document.createElement("p");
      p.className = "where";
      p.textContent = where.join(" · ");
      li.append(p);
    }
    const ex = document.createElement("p");
    ex.className = "excerpt";
    ex.lang = d.meta.lang || "";
    ex.append(excerpt(d.meta.text || "", q));
    li.append(ex);
    list.append(li);
    shown.push(d);
  }
  more.hidden = shown.length >= results.length;
}

async function run() {
  clearTimeout(timer);
  const q = input.value.trim();
  const tokens = filterTokens();
  const key = JSON.stringify([q, tokens]);
  if (key === lastKey) return;  // typing then Enter: the same search once
  lastKey = key;
  const my = ++runId;
  list.replaceChildren();
  shown = [];
  results = [];
  more.hidden = true;
  if (!q && !tokens.length) { say(""); return; }
  if (q.match(CJK)) await loadFold();
  // filter tokens first: Pagefind matches the last term as a prefix, which is what the reader's last word needs
  const search = await pagefind.search([...tokens, searchForm(q)].join(" ").trim());
  if (!search || my !== runId) return;  // superseded by a newer query
  results = search.results;
  await showMore(q, my);
  if (my !== runId) return;
  say(results.length === 0 ? `Nothing found for “${q}”.` :
      `${results.length} passage${results.length === 1 ? "" : "s"} found${q ? ` for “${q}”` : ""}.`);
}

async function buildFilters() {
  let data;
  try {
    data = await (await fetch(root + "search/filters.json")).json();
  } catch (e) { return; }
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "Filters: " + data.groups.map((g) => g.label.toLowerCase()).join(", ");
  details.append(summary);
  for (const group of data.groups) {
    const fs = document.createElement("fieldset");
    const lg = document.createElement("legend");
    lg.textContent = group.label;
    fs.append(lg);
    const choices = [{value: "All", token: "", count: null}, ...group.values];
    for (const v of choices) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "radio";
      box.name = "filter-" + group.name;
      box.value = v.token;
      box.checked = !v.token;
      box.addEventListener("change", () => run());
      label.append(box, v.count === null ? ` ${v.value}` : ` ${v.value} (${v.count})`);
      fs.append(label);
    }
    details.append(fs);
  }
  filterBox.append(details);
}

async function main() {
  if (location.protocol === "file:") {
    say("Search needs the site to be served over http(s): browsers do not let a page opened from a file " +
        "load the search index. Run `python -m http.server` in the site's folder (or `edition serve`) " +
        "and open http://localhost:8000/search.html.");
    return;
  }
  try {
    pagefind = await import(new URL(root + "pagefind/pagefind.js", location.href).href);
    // result URLs relative to the site root whatever path the site is served under
    // (Pagefind would prefix the path of pagefind.js, e.g. /deep/edition/)
    await pagefind.options({baseUrl: "/"});
    await pagefind.init();
  } catch (e) {
    say("The search index could not be loaded (was the site built without search?).");
    return;
  }
  await buildFilters();
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const url = new URL(location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url);
    run();
  });
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  more.addEventListener("click", () => showMore(input.value.trim()));
  const q = new URL(location.href).searchParams.get("q");
  if (q) { input.value = q; }
  // for tests and for the curious: the search form of a query, and every matching URL
  window.editionSearch = {
    form: searchForm,
    urls: async (q) => {
      if (q.match(CJK)) await loadFold();
      const r = await pagefind.search(searchForm(q));
      return Promise.all(r.results.map(async (x) => (await x.data()).url.replace(/^\/+/, "")));
    },
  };
  doc.dataset.searchReady = "true";
  if (q) await run();
}

main();
})();
