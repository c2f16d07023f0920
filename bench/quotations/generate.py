"""Planted quotations with known truth, in English, Chinese and across them.

Background text is verse text with its words (English) or characters
(Chinese) shuffled: the vocabulary and its frequencies are real, but no
n-gram is shared by accident. Into it we plant, each between two documents
(or two works of one document, a "volume"):

- ``verbatim``, ``elided`` (``...``, ``. . .``, ``…``, ``……``), ``edited`` (words or
  characters changed, dropped, modernised), ``ocr`` (hyphenation, ``/`` for
  ``l``, letter slips, glued words, straight/curly quotes, full/half-width
  punctuation, traditional characters) in ``en-en`` and ``zh-zh``;
- ``translation`` and ``translation-elided`` in ``zh-en`` (KJV <-> CUV verses);
- negatives: stock phrases (below the minimum length, everywhere),
  same-topic pairs (neighbouring verses of one chapter, in one language or
  across) and same-topic prose across languages (a run of verses in Chinese,
  the run that follows it in English), which must *not* be linked. As many
  of these stand in quotation marks as of the planted quotes (a quotation of
  a text the edition lacks): quotation marks are evidence of a quotation,
  not proof of one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from edition.quotations.corpus import Block, Doc

from .corpora import Verse

CATEGORIES = [
    ("en-en", "verbatim"), ("en-en", "elided"), ("en-en", "edited"), ("en-en", "ocr"),
    ("zh-zh", "verbatim"), ("zh-zh", "elided"), ("zh-zh", "edited"), ("zh-zh", "ocr"),
    ("zh-en", "translation"), ("zh-en", "translation-elided"),
]
STOCK_EN = [
    "the dictatorship of the proletariat and the poor peasantry",
    "And it came to pass in those days, that",
    "the word of the LORD came unto me, saying",
    "Verily, verily, I say unto you, that",
    "the victory of socialism in one country",
]
STOCK_ZH = ["无产阶级和贫苦农民的专政", "耶和华的话临到我说", "我实实在在地告诉你们", "社会主义在一国胜利", "当那些日子的时候"]
MODERN = {"thee": "you", "thou": "you", "thy": "your", "hath": "has", "doth": "does", "ye": "you",
          "unto": "to", "shalt": "shall", "art": "are", "saith": "says", "spake": "spoke"}


@dataclass(slots=True)
class Place:
    doc: int
    block: int
    start: int
    end: int


@dataclass(slots=True)
class Plant:
    pair: str
    category: str
    original: Place
    quote: Place
    direction: str | None
    """Seen from (original, quote): ``b->a`` means the quote's side quotes the original."""


class _Builder:
    def __init__(self, rnd: random.Random, n_docs: int, langs: list[str]) -> None:
        self.rnd = rnd
        self.paras: list[list[str]] = [[] for _ in range(n_docs)]
        self.groups: list[list[str]] = [[] for _ in range(n_docs)]
        self.langs = langs
        self.dates = [f"{1900 + i:04d}" for i in range(n_docs)]
        rnd.shuffle(self.dates)

    def add(self, doc: int, group: str, prefix: str, payload: str, suffix: str) -> Place:
        text = prefix + payload + suffix
        self.paras[doc].append(text)
        self.groups[doc].append(group)
        return Place(doc, len(self.paras[doc]) - 1, len(prefix), len(prefix) + len(payload))

    def docs(self) -> list[Doc]:
        out = []
        for i, (paras, groups) in enumerate(zip(self.paras, self.groups, strict=True)):
            out.append(Doc(f"d{i:04d}", self.langs[i], [Block(f"d{i}p{j}", p, g) for j, (p, g) in
                                                         enumerate(zip(paras, groups, strict=True))],
                           self.dates[i], {g: f"{self.dates[i]}-{int(g[1:]) + 1:02d}-01" for g in set(groups)}))
        return out


_UNIGRAMS: dict[tuple[int, str], list[str]] = {}


def _filler(rnd: random.Random, pool: list[Verse], lang: str, n: int) -> str:
    """``n`` sentences of words (characters) drawn from the pool's unigram
    distribution, each as long as a random verse: real vocabulary and
    frequencies, but never the bag of one verse (which a lexical matcher would
    rightly take for a translation of that verse)."""
    key = (id(pool), lang)
    if key not in _UNIGRAMS:
        if lang == "en":
            _UNIGRAMS[key] = [x.strip(",.;:?!()").lower() for v in pool for x in v[3].split()]
        else:
            _UNIGRAMS[key] = [c for v in pool for c in v[3] if "\u4e00" <= c <= "\u9fff"]
    grams = _UNIGRAMS[key]
    out = []
    for _ in range(n):
        v = rnd.choice(pool)[3]
        if lang == "en":
            out.append(" ".join(rnd.choices(grams, k=max(4, len(v.split())))).capitalize() + ". ")
        else:
            out.append("".join(rnd.choices(grams, k=max(6, len(v) - 4))) + "。")
    return "".join(out)


def _elide_en(rnd: random.Random, words: list[str]) -> str:
    n = len(words)  # keep 14+ words: the target is quotations of 12+ words
    k = rnd.randint(min(3, max(1, n - 14)), max(1, min(8, n - 14)))
    i = rnd.randint(5, max(5, n - k - 5))
    mark = rnd.choice([" ... ", " . . . ", "… ", " [...] "])
    return " ".join(words[:i]) + mark + " ".join(words[i + k :])


def _edit_en(rnd: random.Random, words: list[str], vocab: list[str]) -> str:
    w = list(words)
    ops = rnd.randint(1, max(1, min(3, len(w) // 10)))
    modern = [i for i, x in enumerate(w) if x.lower().strip(",.;:") in MODERN]
    for _ in range(ops):
        r = rnd.random()
        if modern and r < 0.3:
            i = modern.pop()
            key = w[i].lower().strip(",.;:") if i < len(w) else ""
            if key in MODERN:
                w[i] = MODERN[key]
        elif r < 0.65:
            w[rnd.randrange(1, len(w) - 1)] = rnd.choice(vocab)
        else:
            del w[rnd.randrange(1, len(w) - 1)]
    return " ".join(w)


def _ocr_en(rnd: random.Random, text: str) -> str:
    w = text.split()
    for _ in range(rnd.randint(2, 4)):
        i = rnd.randrange(len(w))
        x = w[i]
        r = rnd.random()
        if r < 0.3 and len(x) >= 7:
            k = rnd.randint(3, len(x) - 3)
            w[i] = x[:k] + rnd.choice(["-", "- ", "-\n"]) + x[k:]
        elif r < 0.5 and "l" in x:
            w[i] = x.replace("l", "/", 1)
        elif r < 0.7 and len(x) >= 5 and x.isalpha():
            k = rnd.randrange(1, len(x) - 1)
            w[i] = x[:k] + rnd.choice("aeionrst") + x[k + 1 :]
        elif r < 0.85 and i + 1 < len(w) and len(x) <= 4:
            w[i] = x + w[i + 1]
            w[i + 1] = ""
    out = " ".join(x for x in w if x)
    return out.replace("'", "’") if rnd.random() < 0.5 else out


def _elide_zh(rnd: random.Random, text: str) -> str:
    n = len(text)  # keep 24+ characters: the target is quotations of 20+
    k = rnd.randint(min(4, max(1, n - 24)), max(1, min(12, n - 24)))
    i = rnd.randint(8, max(8, n - k - 8))
    return text[:i] + "……" + text[i + k :]


def _edit_zh(rnd: random.Random, text: str, chars: str) -> str:
    t = list(text)
    for _ in range(rnd.randint(1, max(1, min(3, len(t) // 15)))):
        i = rnd.randrange(2, len(t) - 2)
        if rnd.random() < 0.6:
            t[i] = rnd.choice(chars)
        else:
            del t[i]
    return "".join(t)


def _ocr_zh(rnd: random.Random, text: str, s2t: object) -> str:
    t = text
    if rnd.random() < 0.7:
        t = s2t.convert(t)  # type: ignore[attr-defined]
    if rnd.random() < 0.7:
        t = t.translate(str.maketrans("，。；：？！“”", ",.;:?!\"\""))
    if rnd.random() < 0.5:
        i = rnd.randrange(2, len(t) - 2)
        t = t[:i] + " " + t[i:]  # a stray space
    return t


_REPEATED: dict[int, set[int]] = {}


def _repeated(verses: list[Verse], lang: str) -> set[int]:
    """Verses that share 8 words (12 characters) with another verse: the Bible
    quotes itself (Numbers 7, the synoptic books), and a plant made of them
    would have true partners the truth does not list."""
    key = id(verses)
    if key not in _REPEATED:
        seen: dict[str, int] = {}
        bad: set[int] = set()
        for k, v in enumerate(verses):
            toks = v[3].lower().split() if lang == "en" else [c for c in v[3] if "\u4e00" <= c <= "\u9fff"]
            n = 8 if lang == "en" else 12
            for i in range(max(1, len(toks) - n + 1)):
                sh = " ".join(toks[i : i + n])
                if sh in seen and seen[sh] != k:
                    bad.add(k)
                    bad.add(seen[sh])
                seen.setdefault(sh, k)
        _REPEATED[key] = bad
    return _REPEATED[key]


def _source(rnd: random.Random, verses: list[Verse], used: set[tuple[int, int, int]], min_len: int,
            max_len: int, lang: str, min_verses: int = 1) -> tuple[int, int] | None:
    """A run of verses of one chapter, never used before in either language."""
    bad = _repeated(verses, lang)
    for _ in range(200):
        i = rnd.randrange(len(verses) - 6)
        j = i
        size = 0
        while j < len(verses) and (size < min_len or j - i < min_verses):
            if verses[j][0] != verses[i][0] or verses[j][1] != verses[i][1]:
                break
            size += len(verses[j][3].split()) if lang == "en" else len(verses[j][3])
            j += 1
        keys = [verses[x][:3] for x in range(max(0, i - 2), min(len(verses), j + 2))]
        if size < min_len or size > max_len or j - i < min_verses or any(k in used for k in keys) \
                or any(x in bad for x in range(i, j)):
            continue
        used.update(verses[x][:3] for x in range(i, j))
        return i, j
    return None


def generate(kjv: list[Verse], cuv: list[Verse], size_bytes: int, seed: int = 1, density: int = 6000,
             doc_bytes: int = 60000) -> tuple[list[Doc], list[Plant]]:
    """Docs of about ``size_bytes`` UTF-8 and one planted quotation per ``density`` bytes."""
    import opencc

    rnd = random.Random(seed)
    s2t = opencc.OpenCC("s2t")
    have_en, have_zh = bool(kjv), bool(cuv)
    cats = [c for c in CATEGORIES if (have_en or "en" not in c[0]) and (have_zh or "zh" not in c[0])]
    n_docs = max(4, size_bytes // doc_bytes)
    langs = ["en" if (i % 2 == 0 and have_en) or not have_zh else "zh" for i in range(n_docs)]
    b = _Builder(rnd, n_docs, langs)
    en_docs = [i for i, lg in enumerate(langs) if lg == "en"]
    zh_docs = [i for i, lg in enumerate(langs) if lg == "zh"]
    vocab = sorted({w.strip(",.;:?!").lower() for v in kjv[:3000] for w in v[3].split()}) or ["word"]  # sorted: a set's order varies by process
    zh_chars = "".join(sorted({c for v in cuv[:3000] for c in v[3] if "\u4e00" <= c <= "\u9fff"})) or "字"
    aligned = {(v[0], v[1], v[2]): k for k, v in enumerate(cuv)}
    used: set[tuple[int, int, int]] = set()
    used_en = used_zh = used  # one set: a verse is planted once, in one language or the other
    plants: list[Plant] = []

    # background verses: even-numbered verses in English, odd in Chinese, so that
    # two background passages are never translations of each other (shuffled
    # words keep their bag, which a lexical matcher would rightly call a translation)
    pool_en = kjv[0::2] or kjv
    pool_zh = cuv[1::2] or cuv

    def fill(lang: str, n: int) -> str:
        return _filler(rnd, pool_en if lang == "en" else pool_zh, lang, n)

    def where(pool: list[int]) -> tuple[int, str, int, str, str | None]:
        """(original doc, group, quote doc, group, direction)."""
        if rnd.random() < 0.15:  # two works of one volume
            d = rnd.choice(pool)
            g1, g2 = sorted(rnd.sample(range(5), 2))
            return d, f"w{g1}", d, f"w{g2}", "b->a"
        d1, d2 = rnd.sample(pool, 2)
        direction = "b->a" if b.dates[d2] > b.dates[d1] else "a->b"
        return d1, f"w{rnd.randrange(5)}", d2, f"w{rnd.randrange(5)}", direction

    # the negatives' quotation marks are drawn from a stream of their own, so
    # that the rest of the benchmark is the same with or without them
    marks_rnd = random.Random(seed * 7919 + 1)

    def put(doc: int, group: str, payload: str, quoted: bool, marks: random.Random = rnd) -> Place:
        lang = langs[doc]
        pre = fill(lang, rnd.randint(0, 3))
        suf = fill(lang, rnd.randint(0, 3))
        if quoted:
            o, c = marks.choice([("“", "”"), ('"', '"')]) if lang == "en" else marks.choice([("“", "”"), ("「", "」")])
            return b.add(doc, group, pre + o, payload, c + " " + suf)
        return b.add(doc, group, pre, payload, " " + suf if lang == "en" else suf)

    n_plants = max(len(cats), size_bytes // density)
    for k in range(n_plants):
        pair, cat = cats[k % len(cats)]
        if pair == "en-en" and len(en_docs) >= 2:
            src = _source(rnd, kjv, used_en, 14, 45, "en")
            if src is None:
                continue
            orig = " ".join(v[3] for v in kjv[src[0] : src[1]])
            words = orig.split()
            if cat == "elided":
                quote = _elide_en(rnd, words)
            elif cat == "edited":
                quote = _edit_en(rnd, words, vocab)
            elif cat == "ocr":
                quote = _ocr_en(rnd, orig)
            else:
                quote = orig
            d1, g1, d2, g2, direction = where(en_docs)
        elif pair == "zh-zh" and len(zh_docs) >= 2:
            src = _source(rnd, cuv, used_zh, 24, 80, "zh")
            if src is None:
                continue
            orig = "".join(v[3] for v in cuv[src[0] : src[1]])
            if cat == "elided":
                quote = _elide_zh(rnd, orig)
            elif cat == "edited":
                quote = _edit_zh(rnd, orig, zh_chars)
            elif cat == "ocr":
                quote = _ocr_zh(rnd, orig, s2t)
            else:
                quote = orig
            d1, g1, d2, g2, direction = where(zh_docs)
        elif pair == "zh-en" and en_docs and zh_docs:
            nv = 3 if cat == "translation-elided" else 2
            src = _source(rnd, kjv, used_en, 20, 90, "en", min_verses=nv)
            if src is None:
                continue
            keys = [(v[0], v[1], v[2]) for v in kjv[src[0] : src[1]]]
            if not all(kk in aligned for kk in keys):
                continue
            en_v = [v[3] for v in kjv[src[0] : src[1]]]
            zh_v = [cuv[aligned[kk]][3] for kk in keys]
            en_first = rnd.random() < 0.5  # which language holds the original
            if en_first:
                orig = " ".join(en_v)
                qv = zh_v
                sep, ell = "", "……"
            else:
                orig = "".join(zh_v)
                qv = en_v
                sep, ell = " ", " . . . "
            if cat == "translation-elided":
                mid = len(qv) // 2
                quote = sep.join(qv[:mid]) + ell + sep.join(qv[mid + 1 :])
            else:
                quote = sep.join(qv)
            po, pq = (en_docs, zh_docs) if en_first else (zh_docs, en_docs)
            d1, d2 = rnd.choice(po), rnd.choice(pq)
            g1, g2 = f"w{rnd.randrange(5)}", f"w{rnd.randrange(5)}"
            direction = "b->a" if b.dates[d2] > b.dates[d1] else "a->b"
        else:
            continue
        a = put(d1, g1, orig, False)
        q = put(d2, g2, quote, rnd.random() < 0.6)
        plants.append(Plant(pair, cat, a, q, direction))
    # negatives: same-topic neighbours (one language and across)
    # (never a planted verse: its text twice would be a real repetition)
    def quoted_negative() -> bool:
        return marks_rnd.random() < 0.6  # as often as a planted quote

    def fresh(keys: list[tuple[int, int, int]]) -> bool:
        if any(k in used for k in keys):
            return False
        used.update(keys)
        return True

    for _ in range(max(2, n_plants // 10)):
        i = rnd.randrange(len(kjv) - 3)
        if en_docs and len(en_docs) >= 2 and fresh([kjv[i][:3], kjv[i + 1][:3]]):
            d1, d2 = rnd.sample(en_docs, 2)
            put(d1, "w0", kjv[i][3], False)
            put(d2, "w0", kjv[i + 1][3], quoted_negative(), marks_rnd)
        j = rnd.randrange(len(kjv) - 5)
        if en_docs and zh_docs:
            kk = (kjv[j][0], kjv[j][1], kjv[j][2] + 2)
            if kk in aligned and aligned[kk] + 1 < len(cuv) and fresh(
                    [kjv[j][:3], kjv[j + 1][:3], kk, cuv[aligned[kk] + 1][:3]]):
                zq = quoted_negative()
                put(rnd.choice(zh_docs), "w1", cuv[aligned[kk]][3] + cuv[aligned[kk] + 1][3], zq, marks_rnd)
                put(rnd.choice(en_docs), "w1", kjv[j][3] + " " + kjv[j + 1][3], not zq and quoted_negative(),
                    marks_rnd)
    # negatives: same-topic prose across languages, as long as a quotation: a run of
    # real (unshuffled) verses in Chinese and the run that follows it in English, in
    # one chapter: the same names, subject and vocabulary, but no translation
    if en_docs and zh_docs:
        for _ in range(max(1, n_plants // 10)):
            src = _source(rnd, kjv, used, 40, 120, "en", min_verses=6)
            if src is None:
                continue
            i, j = src
            mid = (i + j) // 2
            keys = [(v[0], v[1], v[2]) for v in kjv[i:mid]]
            if not all(kk in aligned for kk in keys):
                continue
            zd, zg = rnd.choice(zh_docs), f"w{rnd.randrange(5)}"
            zq = quoted_negative()
            put(zd, zg, "".join(cuv[aligned[kk]][3] for kk in keys), zq, marks_rnd)
            ed, eg = rnd.choice(en_docs), f"w{rnd.randrange(5)}"
            put(ed, eg, " ".join(v[3] for v in kjv[mid:j]), not zq and quoted_negative(), marks_rnd)
    # background, with stock phrases sprinkled in
    for d in range(n_docs):
        lang = langs[d]
        size = sum(len(p.encode()) for p in b.paras[d])
        while size < doc_bytes:
            text = fill(lang, rnd.randint(4, 8))
            if rnd.random() < 0.2:
                st = rnd.choice(STOCK_EN if lang == "en" else STOCK_ZH)
                text = text + (" " if lang == "en" else "") + st + (". " if lang == "en" else "。") + fill(lang, 2)
            g = f"w{rnd.randrange(5)}"
            b.paras[d].append(text)
            b.groups[d].append(g)
            size += len(text.encode())
    # shuffle the order of paragraphs inside each work-ordered doc, keeping plants findable
    docs = b.docs()
    return docs, plants
