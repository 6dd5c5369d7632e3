"""Fingerprints of every library statement: the `library_duplicate` filter's set.

Why a module and a cache of its own: all of Mathlib is ~190k statements to load and
canonicalize, the largest fixed cost of the mutation stage, and the set depends only on
the declarations file and the fingerprint code.  It is computed in forked workers and
stored in `RUN/library_fingerprints.txt` under a key of both, so re-running the stage
(new options, a re-tuned index) reads it back.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

from lean_alchemy.core.forkpool import forked_map
from lean_alchemy.core.native import source_path
from lean_alchemy.core.records import Declaration
from lean_alchemy.core.rundir import RunDir, atomic_write_text
from lean_alchemy.mutate.fingerprint import declaration_statement, fingerprint_statement

LIBRARY_CACHE = "library_fingerprints.txt"
# The modules the library set is a function of (with the declarations file).
FINGERPRINT_SOURCES = ("mutate.fingerprint", "grammar.walk", "grammar.ast",
                       "grammar.statements")
FORK_MIN_DECLARATIONS = 2000  # below this, forking workers costs more than it saves


def _fingerprints_of(decls: Sequence[Declaration]) -> list[str]:
    out: list[str] = []
    for d in decls:
        if not d.is_candidate:
            continue
        try:
            parsed = declaration_statement(d)
        except Exception:  # noqa: BLE001 - a bad record only loses its library entry
            continue
        if parsed is not None:
            out.append(fingerprint_statement(*parsed))
    return out


def _slice_fingerprints(decls: Sequence[Declaration], bounds: tuple[int, int]) -> list[str]:
    return _fingerprints_of(decls[bounds[0]:bounds[1]])


def library_fingerprints(decls: Iterable[Declaration], jobs: int = 1) -> frozenset[str]:
    """Fingerprints of every candidate library statement (the `library_duplicate` filter).
    With `jobs > 1` the work is split over forked processes."""
    decls = decls if isinstance(decls, Sequence) else list(decls)
    if jobs <= 1 or len(decls) < FORK_MIN_DECLARATIONS:
        return frozenset(_fingerprints_of(decls))
    step = -(-len(decls) // (jobs * 8))
    bounds = [(i, min(i + step, len(decls))) for i in range(0, len(decls), step)]
    out: set[str] = set()
    for part in forked_map(_slice_fingerprints, decls, bounds, jobs, ordered=False):
        out.update(part)
    return frozenset(out)


def library_cache_key(run: RunDir) -> str:
    """The declarations file's content and the fingerprint code: the library set is a pure
    function of both, so a cached set with this key is exact."""
    h = hashlib.sha256()
    with open(run.declarations, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    for module in FINGERPRINT_SOURCES:
        h.update(source_path(module).read_bytes())
    return h.hexdigest()


def cached_library_fingerprints(run: RunDir, decls: Sequence[Declaration], jobs: int = 1
                                ) -> frozenset[str]:
    """`library_fingerprints`, stored in `RUN/library_fingerprints.txt` (first line: the
    cache key) so that re-running the stage skips the ~190k statement fingerprints."""
    path = run.root / LIBRARY_CACHE
    key = library_cache_key(run)
    if path.exists():
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except OSError:
            lines = []
        if lines and lines[0] == key:
            return frozenset(x for x in lines[1:] if x)
    lib = library_fingerprints(decls, jobs)
    atomic_write_text(path, "\n".join([key, *sorted(lib)]) + "\n")
    return lib


__all__ = ["LIBRARY_CACHE", "library_fingerprints", "library_cache_key",
           "cached_library_fingerprints"]
