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
import pyarrow.compute as pc

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


def pending_batches(run: RunDir, proof_status: str = "proved"
                    ) -> Callable[[], Iterator[pa.RecordBatch]]:
    """The mutants that await checking, as source batches (status `pending`): proved
    ones, or with `proof_status="open"` the open statements."""
    return _batches(run, "pending", proof_status)


def statement_ok_batches(run: RunDir) -> Callable[[], Iterator[pa.RecordBatch]]:
    """The open statements Lean elaborated (status `statement_ok`)."""
    return _batches(run, "statement_ok", "open")


def _batches(run: RunDir, status: str, proof_status: str = "proved"
             ) -> Callable[[], Iterator[pa.RecordBatch]]:
    """Batches of one status whose rows have this `proof_status`: open statements and
    proved mutants share `pending`, and each export takes its own."""
    db = open_db(run)

    def read() -> Iterator[pa.RecordBatch]:
        for batch in iter_batches(db, (status,)):
            keep = pc.equal(batch.column("proof_status"), proof_status)
            if pc.all(keep).as_py():
                yield batch
            else:
                part = batch.filter(keep)
                if part.num_rows:
                    yield part
    return lambda: prefetched(read, name="corpus-read")


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
