"""Texts as the detector sees them: documents of blocks, tokenised into flat arrays.

A :class:`Doc` is language-tagged and made of :class:`Block` s, one per TEI
block element (``p``, ``head``, ``item``, ``quote``, a note's ``p``...), each with
its ``xml:id`` and reading text. The detector never sees XML: the TEI side
(:mod:`.teiio`) builds docs from the trees and the benchmark builds them from
plain strings, so the same code is measured and shipped.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field

import numpy as np

from ..textfold import HAN, TOKEN_RE, fold_han, fold_word

_HAN_LO = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF)]
del HAN


def _is_han_char(c: str) -> bool:
    o = ord(c)
    return any(lo <= o <= hi for lo, hi in _HAN_LO)


@dataclass(slots=True)
class Block:
    anchor: str
    """xml:id of the element whose reading text this is."""
    text: str
    group: str = ""
    """Work (``div`` id) inside a volume; '' for a text without works."""
    quoted: bool = False
    """The element is (inside) a ``quote``/``cit``: a cue for direction."""
    kind: str = "p"
    """The element's name: ``p``, ``head``, ``item``..."""
    editorial: bool = False
    """The element is the editors' apparatus: (inside) an editor's note
    (``note[@type='editorial']``), or in ``front`` or ``back`` matter."""


@dataclass(slots=True)
class Doc:
    id: str
    lang: str
    """Primary language subtag: ``zh``, ``en``..."""
    blocks: list[Block]
    date: str | None = None
    group_dates: dict[str, str] = field(default_factory=dict)

    def date_of(self, group: str) -> str | None:
        return self.group_dates.get(group) or self.date


@dataclass(slots=True)
class Corpus:
    """All docs tokenised into flat numpy arrays (one row per token)."""

    docs: list[Doc]
    vocab: list[str]
    ids: np.ndarray  # int64 token ids
    doc_off: np.ndarray  # int64, len(docs)+1: token range of each doc
    blk: np.ndarray  # int32 block index inside the doc
    cs: np.ndarray  # int32 start offset in the block text
    ce: np.ndarray  # int32 end offset
    ell: np.ndarray  # bool: an elision mark precedes the token
    han: np.ndarray  # bool: a Han character
    grp: np.ndarray  # int32 group (work) number, unique over the corpus
    freq: np.ndarray  # int64 corpus frequency per vocabulary id

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])

    def doc_of(self, pos: int) -> int:
        return int(np.searchsorted(self.doc_off, pos, side="right") - 1)


_ELISION_GAP = re.compile(r"\.\.\.|…|⋯|\. \.")
"""An elision mark between two tokens: ``...``, ``…``, ``⋯``, ``. .`` (and so ``. . .``)."""


def build_corpus(docs: list[Doc]) -> Corpus:
    vocab: list[str] = []
    form_id: dict[str, int] = {}
    raw_id: dict[str, tuple[int, bool]] = {}
    ids = array("q")
    blk = array("i")
    cs = array("i")
    ce = array("i")
    ell = array("b")
    han = array("b")
    grp = array("i")
    doc_off = [0]
    groups: dict[tuple[int, str], int] = {}
    for di, doc in enumerate(docs):
        for bi, block in enumerate(doc.blocks):
            g = groups.setdefault((di, block.group), len(groups))
            text = block.text
            found = list(TOKEN_RE.finditer(text))
            if not found:
                continue
            raws = [m.group() for m in found]
            for raw in dict.fromkeys(raws):  # new forms numbered in order of first use
                if raw in raw_id:
                    continue
                is_h = len(raw) == 1 and _is_han_char(raw)
                form = fold_han(raw) if is_h else fold_word(raw)
                tid = form_id.get(form)
                if tid is None:
                    tid = len(vocab)
                    form_id[form] = tid
                    vocab.append(form)
                raw_id[raw] = (tid, is_h)
            known = [raw_id[raw] for raw in raws]
            starts = [m.start() for m in found]
            ends = [m.end() for m in found]
            n = len(found)
            ids.extend([k[0] for k in known])
            han.extend([k[1] for k in known])
            cs.extend(starts)
            ce.extend(ends)
            blk.extend([bi] * n)
            grp.extend([g] * n)
            # an elision mark in the gap before a token (the common gap: one
            # space, or none between Han characters)
            ell.extend([s > p and (text[p] in "…⋯" if s - p == 1 else _ELISION_GAP.search(text, p, s) is not None)
                        for p, s in zip([0, *ends[:-1]], starts, strict=True)])
        doc_off.append(len(ids))
    ids_np = np.frombuffer(ids, dtype=np.int64).copy() if len(ids) else np.zeros(0, np.int64)
    freq = np.bincount(ids_np, minlength=len(vocab)).astype(np.int64)
    return Corpus(
        docs=docs,
        vocab=vocab,
        ids=ids_np,
        doc_off=np.asarray(doc_off, dtype=np.int64),
        blk=np.frombuffer(blk, dtype=np.int32).copy() if len(blk) else np.zeros(0, np.int32),
        cs=np.frombuffer(cs, dtype=np.int32).copy() if len(cs) else np.zeros(0, np.int32),
        ce=np.frombuffer(ce, dtype=np.int32).copy() if len(ce) else np.zeros(0, np.int32),
        ell=np.frombuffer(ell, dtype=np.int8).astype(bool) if len(ell) else np.zeros(0, bool),
        han=np.frombuffer(han, dtype=np.int8).astype(bool) if len(han) else np.zeros(0, bool),
        grp=np.frombuffer(grp, dtype=np.int32).copy() if len(grp) else np.zeros(0, np.int32),
        freq=freq,
    )
