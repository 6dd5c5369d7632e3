"""Adapters from the other stages' outputs (run database, declarations, fingerprints).

Why a separate module: the corpus core is pure functions over records; only this file knows
where those records come from (the run database, the extraction's Parquet files, the
mutation stage's fingerprints), and a run directory without them gives one clear error
naming the stage to run.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterator

import pyarrow as pa

from lean_alchemy.core.prefetch import prefetched
from lean_alchemy.core.records import Declaration, Scope
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.corpus.db_batches import iter_batches
from lean_alchemy.extract import store as extract_store
from lean_alchemy.extract.fileparse import extract_text
from lean_alchemy.grammar.statements import annotate_declaration
from lean_alchemy.mutate.fingerprint import fingerprint_declaration

log = logging.getLogger(__name__)


def open_db(run: RunDir) -> RunDB:
    """The run's database, checked and opened for reading, or one clear error."""
    return RunDB.for_run(run, mode="read")


def verified_batches(run: RunDir) -> Callable[[], Iterator[pa.RecordBatch]]:
    """The run's verified mutants with their verdicts, as source batches
    (`corpus.source.SOURCE_SCHEMA`), each page read ahead on a thread."""
    return _batches(run, "verified")


def pending_batches(run: RunDir) -> Callable[[], Iterator[pa.RecordBatch]]:
    """The mutants that await checking, as source batches (status `pending`)."""
    return _batches(run, "pending")


def _batches(run: RunDir, status: str) -> Callable[[], Iterator[pa.RecordBatch]]:
    db = open_db(run)
    return lambda: prefetched(lambda: iter_batches(db, (status,)), name="corpus-read")


def outcome_counts(run: RunDir) -> list[tuple[str, str, str | None, int]] | None:
    """(kind, status, error class, rows) of every decided mutant, for acceptance statistics
    (counted by the database: streaming every row took minutes on a full-Mathlib run)."""
    if not run.db.exists():
        return None
    return open_db(run).outcome_counts()


def db_counts(run: RunDir) -> dict:
    """Mutants by status (`counts`) and error classes (`error_class_counts`), for the
    corpus statistics; a failed read is logged and left out."""
    if not run.db.exists():
        return {}
    db = open_db(run)
    out: dict = {}
    for name, read in (("counts", db.counts), ("error_class_counts", db.error_class_counts)):
        try:
            out[name] = {str(k): v for k, v in dict(read()).items()}
        except Exception as e:  # a statistics read must not break the export
            log.warning("run database %s() failed: %s", name, e)
    return out


def read_declarations(run: RunDir) -> list[Declaration]:
    run.require(run.declarations, "extract")
    return list(extract_store.read_declarations(run.declarations))


def proof_uses_edges(run: RunDir) -> list[tuple[str, str]]:
    """(user, used) pairs of the graph's `proof_uses` edges; none without a graph."""
    path = run.graph_dir / "edges.parquet"
    if not path.exists():
        return []
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    edges = pq.read_table(path, columns=["src", "dst", "kind"])
    edges = edges.filter(pc.equal(edges["kind"], "proof_uses"))
    return list(zip(edges["src"].to_pylist(), edges["dst"].to_pylist()))


def read_scopes(run: RunDir) -> dict[str, Scope]:
    """scope_id -> Scope when the extract stage wrote scopes.parquet (else empty)."""
    if not run.scopes.exists():
        return {}
    return extract_store.read_scopes(run.scopes)


def declaration_fingerprinter() -> Callable[[Declaration], str | None]:
    """The library dedup's fingerprint of a declaration (`mutate.fingerprint`)."""
    return fingerprint_declaration


def lean_text_fingerprinter() -> Callable[[str, str], str | None]:
    """Fingerprint of a theorem given as Lean text (benchmark files), via the Lean parser."""
    def fingerprint(text: str, origin: str) -> str | None:
        file, _, line = origin.rpartition(":")
        src = text if ":=" in text else text + " :="
        if src.rstrip().endswith(":="):
            src = src.rstrip() + " by sorry"
        try:
            decls = extract_text(src, module="Benchmark", file=file or origin).declarations
            if not decls:
                return None
            return fingerprint_declaration(annotate_declaration(decls[0]))
        except Exception as e:  # an unparsable benchmark item keeps its text matches
            log.debug("%s: cannot fingerprint benchmark item: %s", origin, e)
            return None
    return fingerprint
