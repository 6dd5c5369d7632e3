"""Adapters from the other stages' outputs (run database, declarations, fingerprints).

Why a separate module: the corpus core is pure functions over records; only this file knows
where those records come from, and it imports the other stages lazily so that a missing or
half-built neighbour yields one clear error naming the stage to run, never an ImportError.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterator

import pyarrow as pa

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.prefetch import prefetched
from lean_alchemy.core.records import Declaration, Scope
from lean_alchemy.core.rundir import RunDir

log = logging.getLogger(__name__)


def open_db(run: RunDir):
    """The run's job database (`lean_alchemy.core.rundb.RunDB`), or a clear error."""
    run.require(run.db, "mutate")
    try:
        from lean_alchemy.core.rundb import RunDB
    except ImportError as e:  # pragma: no cover - depends on the jobs package being present
        raise AlchemyError(f"the run database module is unavailable ({e})") from None
    return RunDB.for_run(run)


def verified_batches(run: RunDir) -> Callable[[], Iterator[pa.RecordBatch]]:
    """The run's verified mutants with their verdicts, as source batches
    (`corpus.source.SOURCE_SCHEMA`), each page read ahead on a thread."""
    return _batches(run, "verified")


def pending_batches(run: RunDir) -> Callable[[], Iterator[pa.RecordBatch]]:
    """The mutants that await checking, as source batches (status `pending`)."""
    return _batches(run, "pending")


def _batches(run: RunDir, status: str) -> Callable[[], Iterator[pa.RecordBatch]]:
    db = open_db(run)
    from lean_alchemy.corpus.db_batches import iter_batches

    return lambda: prefetched(lambda: iter_batches(db, (status,)), name="corpus-read")


def outcome_counts(run: RunDir) -> list[tuple[str, str, str | None, int]] | None:
    """(kind, status, error class, rows) of every decided mutant, for acceptance statistics
    (counted by the database: streaming every row took minutes on a full-Mathlib run)."""
    if not run.db.exists():
        return None
    return open_db(run).outcome_counts()


def db_counts(run: RunDir) -> dict:
    if not run.db.exists():
        return {}
    db = open_db(run)
    out: dict = {}
    for name in ("counts", "error_class_counts"):
        fn = getattr(db, name, None)
        if fn is not None:
            try:
                out[name] = {str(k): v for k, v in dict(fn()).items()}
            except Exception as e:  # a statistics read must not break the export
                log.warning("run database %s() failed: %s", name, e)
    return out


def read_declarations(run: RunDir) -> list[Declaration]:
    run.require(run.declarations, "extract")
    from lean_alchemy.extract.store import read_declarations as rd

    return list(rd(run.declarations))


def read_scopes(run: RunDir) -> dict[str, Scope]:
    """scope_id -> Scope when the extract stage wrote scopes.parquet (else empty)."""
    if not run.scopes.exists():
        return {}
    try:
        from lean_alchemy.extract import store
    except ImportError:
        return {}
    fn = getattr(store, "read_scopes", None)
    if fn is None:
        return {}
    scopes = fn(run.scopes)
    if isinstance(scopes, dict):
        return scopes
    return {s.id: s for s in scopes}


def declaration_fingerprinter() -> Callable[[Declaration], str | None] | None:
    """`mutate.fingerprint.fingerprint_declaration`, or None when that module is absent."""
    try:
        from lean_alchemy.mutate.fingerprint import fingerprint_declaration
    except ImportError:
        log.warning("lean_alchemy.mutate.fingerprint is unavailable: library dedup and "
                    "fingerprint decontamination are skipped")
        return None
    return fingerprint_declaration


def lean_text_fingerprinter() -> Callable[[str, str], str | None] | None:
    """Fingerprint of a theorem given as Lean text (benchmark files), via the Lean parser."""
    fp_decl = declaration_fingerprinter()
    if fp_decl is None:
        return None
    try:
        from lean_alchemy.extract.fileparse import extract_text
        from lean_alchemy.grammar.statements import annotate_declaration
    except ImportError:
        log.warning("the Lean parser is unavailable: benchmark fingerprints are skipped "
                    "(normalized-text and n-gram matching still apply)")
        return None

    def fingerprint(text: str, origin: str) -> str | None:
        file, _, line = origin.rpartition(":")
        src = text if ":=" in text else text + " :="
        if src.rstrip().endswith(":="):
            src = src.rstrip() + " by sorry"
        try:
            res = extract_text(src, module="Benchmark", file=file or origin)
            decls = res[0] if isinstance(res, tuple) else res
            decls = [d for d in decls if isinstance(d, Declaration)]
            if not decls:
                return None
            return fp_decl(annotate_declaration(decls[0]))
        except Exception as e:  # an unparsable benchmark item keeps its text matches
            log.debug("%s: cannot fingerprint benchmark item: %s", origin, e)
            return None
    return fingerprint
