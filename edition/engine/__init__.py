"""The build engine (issue 21): one kept :class:`BuildState` and one :func:`run` that
``edition build`` (:mod:`edition.builder`) and ``edition serve`` (:mod:`edition.serve`) both call.

* :mod:`.state`: what a build keeps between runs (stamps, per-text results, links, written hashes);
* :mod:`.run`: :func:`run`, a full build or what a set of changed paths touches;
* :mod:`.links`: quotation links carried over an edit and marked again where they changed;
* :mod:`.render`: the pages of an edition, all of them or those a change touches;
* :mod:`.sink`: where the files go (a temporary directory swapped into place, or memory);
* :mod:`.background`: quotation detection, the search index and the archival bundle in a forked child (serve).
"""

from .background import (
    apply_bundle,
    apply_links,
    apply_search,
    detect_now,
    start_bundle,
    start_detection,
    start_search,
)
from .links import revalidate
from .run import SEARCH_PARTS, failure, run
from .sink import DirectorySink, MemorySink, replace_dir
from .state import BuildState, Report

__all__ = [
    "SEARCH_PARTS",
    "BuildState",
    "DirectorySink",
    "MemorySink",
    "Report",
    "apply_bundle",
    "apply_links",
    "apply_search",
    "detect_now",
    "failure",
    "replace_dir",
    "revalidate",
    "run",
    "start_bundle",
    "start_detection",
    "start_search",
]
