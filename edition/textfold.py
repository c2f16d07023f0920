"""Reading text -> tokens, the same way on every side of a comparison.

Offsets always refer to the *original* reading text, so every folding here is
done per token after the token's span is known: nothing can shift a boundary.

Foldings (issue 4): case; NFKC (full-/half-width letters, digits and
punctuation); straight vs curly quotes and apostrophes (dropped inside words);
line-end hyphenation (``Men-\\nsheviks``, ``Men- sheviks`` and ``Men-sheviks`` all
become ``mensheviks``; a compound is folded the same way on both sides, so
nothing is lost); the OCR slip ``/`` for ``l`` inside a word (``wou/d``);
traditional -> simplified Chinese (OpenCC ``t2s``, character by character so
offsets hold). Chinese is tokenised per character (Han), other scripts per word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
WORDCH = "0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
INITIALS = "A-Z\u0400-\u042f"
TOKEN_RE = re.compile(
    rf"[{HAN}]|[{INITIALS}](?:\.[{INITIALS}])+(?![{WORDCH}])|[{WORDCH}]+(?:(?:['’/]|-\s?|\u00ad)[{WORDCH}]+)*"
)
"""A Han character, or a word; ``'``, ``’``, ``/`` and ``-`` (with an optional
space or line break after it, for end-of-line hyphenation) join word parts.
Capitals joined by full stops are one word (``U.S.S.R.``, ``C.P.S.U.``): as four
words, a phrase that names the country twice counted as a quotation of 12."""

ELLIPSIS_RE = re.compile(r"\.\s?\.\s?\.|…|⋯|\[\s*\]")
"""Elision marks: ``...``, ``. . .``, ``…``/``……``, ``⋯``, ``[…]`` (the inner
ellipsis is found by the same pattern; ``[ ]`` alone also counts)."""

OPEN_QUOTES = "\"'“‘「『«„‚〝＂"
CLOSE_QUOTES = "\"'”’」』»‟〞＂"

_WORD_DROP = str.maketrans({"'": None, "’": None, "-": None, "\u00ad": None, " ": None, "\n": None,
                            "\t": None, "\r": None, "/": "l"})


_HAN_RE = re.compile(f"[{HAN}]")


def is_han(ch: str) -> bool:
    """Whether the first character of ``ch`` is a Han character."""
    return bool(ch) and _HAN_RE.match(ch) is not None


@lru_cache(maxsize=1)
def _t2s() -> object | None:
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a declared dependency
        return None
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def fold_han(ch: str) -> str:
    """One traditional character -> simplified (identity when OpenCC is missing)."""
    cc = _t2s()
    if cc is None:
        return ch
    out: str = cc.convert(ch)  # type: ignore[attr-defined]
    return out if len(out) == 1 else ch


@lru_cache(maxsize=262144)
def fold_word(word: str) -> str:
    """Case, width, apostrophes, hyphens and the ``/``-for-``l`` OCR slip."""
    w = unicodedata.normalize("NFKC", word).lower()
    return w.translate(_WORD_DROP)


def fold_text(text: str) -> str:
    """Whole-string folding for display and tests (not offset-preserving)."""
    out = []
    for m in TOKEN_RE.finditer(text):
        tok = m.group()
        out.append(fold_han(tok) if is_han(tok) else fold_word(tok))
    return " ".join(out)


@dataclass(slots=True)
class Tok:
    """A token of a reading text: its folded form and its span."""

    form: str
    start: int
    end: int
    han: bool
    elided_before: bool
    """An elision mark stands between the previous token and this one."""


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    prev = 0
    for m in TOKEN_RE.finditer(text):
        s, e = m.span()
        tok = m.group()
        han = len(tok) == 1 and is_han(tok)
        gap = text[prev:s] if s > prev else ""
        ell = bool(gap) and ("." in gap or "…" in gap or "⋯" in gap or "[" in gap) and bool(ELLIPSIS_RE.search(gap))
        toks.append(Tok(fold_han(tok) if han else fold_word(tok), s, e, han, ell))
        prev = e
    return toks


def quoted_at(text: str, start: int, end: int) -> bool:
    """Whether the span sits inside quote marks: an opening mark just before
    ``start`` (skipping spaces) or a closing mark just after ``end``."""
    i = start - 1
    while i >= 0 and text[i] in " \u00a0\u3000":
        i -= 1
    if i >= 0 and text[i] in OPEN_QUOTES:
        return True
    j = end
    while j < len(text) and text[j] in " \u00a0\u3000.,;:!?。，；：！？":
        if text[j] in CLOSE_QUOTES:
            return True
        j += 1
    return j < len(text) and text[j] in CLOSE_QUOTES


def edit_distance_le1(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def ocr_equal(a: str, b: str) -> bool:
    """Token equality tolerant of one OCR slip in words of 4+ letters
    (``quatity``/``quantity``, ``mints``/``minds``) and of split or glued words
    is handled by the aligner, not here."""
    if a == b:
        return True
    if len(a) < 4 or len(b) < 4:
        return False
    return edit_distance_le1(a, b)
