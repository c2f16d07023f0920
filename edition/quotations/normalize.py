"""The folding of :mod:`edition.textfold`, under the name the quotation modules import it by.

The folding moved to the core (issue 21): the site's comparison pages mark the words that
differ between two passages as detection folds them, and the site may not import from the
quotation stage.
"""

from __future__ import annotations

from ..textfold import (
    CLOSE_QUOTES,
    ELLIPSIS_RE,
    HAN,
    INITIALS,
    OPEN_QUOTES,
    TOKEN_RE,
    WORDCH,
    Tok,
    edit_distance_le1,
    fold_han,
    fold_text,
    fold_word,
    is_han,
    ocr_equal,
    quoted_at,
    tokenize,
)

__all__ = [
    "CLOSE_QUOTES",
    "ELLIPSIS_RE",
    "HAN",
    "INITIALS",
    "OPEN_QUOTES",
    "TOKEN_RE",
    "WORDCH",
    "Tok",
    "edit_distance_le1",
    "fold_han",
    "fold_text",
    "fold_word",
    "is_han",
    "ocr_equal",
    "quoted_at",
    "tokenize",
]
