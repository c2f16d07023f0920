"""Whether run-to-run caches are used: one switch for all of them."""

from __future__ import annotations

import os


def caches_on() -> bool:
    """Whether run-to-run caches (sentence vectors, English word keys, schema validation
    results) are used: ``EDITION_CACHE=0`` turns them off (the benchmark does, so that its
    timings include that work). The parsed CC-CEDICT is always cached."""
    return os.environ.get("EDITION_CACHE", "1") not in ("0", "false", "no")
