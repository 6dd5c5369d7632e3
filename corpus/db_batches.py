"""Run-database rows as Arrow record batches, for the corpus export.

Why a second read path beside `RunDB.iter_results`: the export wants columns, and making a
Python object per value (sqlite3, then SQLAlchemy rows, then records) cost it more than
everything else; worse, Python's sqlite3 releases the GIL around every row step and takes
it back, so next to the export's Arrow threads each step waited for the GIL (a read that
takes 3 s alone took minutes beside a busy thread).  On SQLite the rows are read by the
ADBC SQLite driver, in C, straight into Arrow, with the GIL released; any other database
(or a machine without the driver) reads through SQLAlchemy into the same batches.

Rows come in the order and pages of `RunDB._pages`: one status at a time, by (source module,
id), each page its own short read (a checker may be writing verdicts meanwhile).

The Lean text is not a column: a page's rows are decoded from their shared parts and
compressed payloads by `core.lean_parts` (the same rendering the checker gets through
`RunDB`), the only per-row Python step of the read.
"""

from __future__ import annotations

import logging
from typing import Iterator, Sequence

import pyarrow as pa
from sqlalchemy.exc import DatabaseError

from lean_alchemy.corpus.source import SOURCE_SCHEMA, VERDICT_COLUMNS, conform

from lean_alchemy.core.lean_parts import TEXT_FIELDS, PartReader
from lean_alchemy.core.rundb import (
    EXTRA_MUTANT_FIELDS, SQLITE_MMAP_BYTES, STORED_COLUMNS, RunDB, mutant_state_select, mutants,
    sqlite_path, states, unreadable_database_error)

log = logging.getLogger(__name__)

PAGE_ROWS = 8192
# SQLite's page cache for the reader (KiB; the default is 2 MiB): each row's look-up of its
# mutant walks the id index, whose upper pages then stay cached.  Measured on a full-Mathlib
# database: 12 % less CPU per row read (4.6 -> 4.05 s per 400,000 rows).
READ_CACHE_KIB = 262144

# Every column typed the same in every row (the driver infers a column's type from the values
# of a page): the verdict columns may be NULL, and "" means "not known" to the export.
_VERDICT_SQL = {"status": "s.status", "elapsed": "coalesce(s.elapsed, 0.0)",
                "backend": "coalesce(s.backend, '')",
                "lean_version": "coalesce(s.lean_version, '')",
                "mathlib_rev": "coalesce(s.mathlib_rev, '')"}
_ROW_COLUMNS = STORED_COLUMNS + EXTRA_MUTANT_FIELDS  # the mutants table's first columns
_SELECT = ", ".join([f"m.{c}" for c in _ROW_COLUMNS]
                    + [f"{_VERDICT_SQL[c]} AS {c}" for c in VERDICT_COLUMNS])
_PAGE = (f"SELECT {_SELECT} FROM states s JOIN mutants m ON m.id = s.id WHERE s.status = ?"
         "{after} ORDER BY s.source_module, s.id LIMIT ?")
_FIRST_PAGE = _PAGE.format(after="")
_NEXT_PAGE = _PAGE.format(after=" AND (s.source_module, s.id) > (?, ?)")


def iter_batches(db: RunDB, statuses: Sequence[str] | None = ("verified",),
                 exclude: Sequence[str] = (), page_rows: int = PAGE_ROWS
                 ) -> Iterator[pa.RecordBatch]:
    """Mutants in `statuses` (None: every status present but `exclude`) with their verdict
    columns, as `SOURCE_SCHEMA` batches of up to `page_rows` rows."""
    chosen = db._statuses(statuses, exclude)
    path = sqlite_path(db.url)
    connect = _adbc_connect() if path is not None else None
    if connect is None:
        try:
            yield from _sqlalchemy_batches(db, chosen, page_rows)
        except DatabaseError as e:
            raise unreadable_database_error(db.label, e) from None
        return
    try:
        yield from _adbc_batches(connect, path, chosen, page_rows, PartReader(db.load_parts))
    except _driver_errors() as e:  # a damaged file: name it and the fix, like RunDB does
        raise unreadable_database_error(db.label, e) from None


def _adbc_batches(connect, path, chosen: list[str], page_rows: int, parts: PartReader
                  ) -> Iterator[pa.RecordBatch]:
    con = connect(f"file:{path}?mode=ro", autocommit=True)
    try:
        cur = con.cursor()
        cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cur.execute(f"PRAGMA cache_size=-{READ_CACHE_KIB}")
        for status in chosen:
            last: tuple[str, str] | None = None
            while True:
                if last is None:
                    cur.execute(_FIRST_PAGE, (status, page_rows))
                else:
                    cur.execute(_NEXT_PAGE, (status, last[0], last[1], page_rows))
                table = cur.fetch_arrow_table()
                if table.num_rows:
                    batch = _decoded_batch(table, parts)
                    yield batch
                    last = (batch.column("source_module")[-1].as_py(),
                            batch.column("id")[-1].as_py())
                if table.num_rows < page_rows:
                    break
        cur.close()
    finally:
        con.close()


def _adbc_connect():
    """`adbc_driver_sqlite.dbapi.connect`, or None (with a note) where it is missing."""
    try:
        from adbc_driver_sqlite.dbapi import connect
    except ImportError as e:  # pragma: no cover - the driver is a dependency
        log.info("ADBC SQLite driver unavailable (%s): reading rows through SQLAlchemy", e)
        return None
    return connect


def _driver_errors() -> tuple[type[BaseException], ...]:
    from adbc_driver_manager import Error

    return (Error,)


_STATE = {c.name: i for i, c in enumerate(c for c in states.c if c.name != "id")}
_TEXT_AT = {n: i for i, n in enumerate(TEXT_FIELDS)}


def _decoded_batch(table: pa.Table, parts: PartReader) -> pa.RecordBatch:
    """A page of stored rows (`_ROW_COLUMNS` then `VERDICT_COLUMNS`) as a source batch:
    every row's texts decoded and rendered (`core.lean_parts.decode_texts`)."""
    ids = table.column("id").to_pylist()
    frames = table.column("frame").to_pylist()
    origins = table.column("origin").to_pylist()
    payloads = table.column("payload").to_pylist()
    depths = table.column("depth").to_pylist()
    parts.need(frames, origins)
    texts = parts.texts
    rows = [texts(i, d, f, o, p)
            for i, d, f, o, p in zip(ids, depths, frames, origins, payloads)]
    per_origin = [o for o, _ in rows]
    columns = list(zip(*[t for _, t in rows]))
    arrays: dict[str, pa.Array] = {
        "id": table.column("id").combine_chunks(),
        "kind": table.column("kind").combine_chunks(),
        "depth": pa.array(depths, pa.int64()),
        "source_theorem": pa.array([o.source_theorem for o in per_origin], pa.string()),
        "source_module": pa.array([o.source_module for o in per_origin], pa.string()),
    }
    for name, at in _TEXT_AT.items():
        arrays[name] = pa.array(columns[at], pa.string())
    for name in EXTRA_MUTANT_FIELDS + VERDICT_COLUMNS:
        arrays[name] = table.column(name).combine_chunks()
    return conform(pa.RecordBatch.from_arrays([arrays[n] for n in SOURCE_SCHEMA.names],
                                              names=SOURCE_SCHEMA.names))


def _sqlalchemy_batches(db: RunDB, chosen: list[str], page_rows: int
                        ) -> Iterator[pa.RecordBatch]:
    """The same batches through SQLAlchemy (any database it speaks)."""
    n_fields = len(mutants.c)  # the joined row: every mutant column, then the state
    state_at = [n_fields + _STATE[c] for c in VERDICT_COLUMNS]
    parts = PartReader(db.load_parts)
    for page in db._pages(mutant_state_select(), chosen, chunk=page_rows):
        columns = list(zip(*page))
        data = {n: list(columns[i]) for i, n in enumerate(_ROW_COLUMNS)}
        for name, at in zip(VERDICT_COLUMNS, state_at):
            values = columns[at]
            if name == "elapsed":
                values = [float(v or 0.0) for v in values]
            elif name in ("backend", "lean_version", "mathlib_rev"):
                values = [v or "" for v in values]
            data[name] = values
        yield _decoded_batch(pa.table(data), parts)
