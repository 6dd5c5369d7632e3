"""The run database: every mutant, its state, and its verdict (the source of truth for checking).

Long because: the two tables and every transition of the lease protocol over them belong
together (`RunDB` holds every SQL statement); the opening checks live in `rundb_check.py`,
the Arrow reader in `corpus/db_batches.py`.

Why a database rather than files: checking is long, parallel and interruptible.  A mutant must
end with exactly one verdict even when workers or the driver are killed, and a second
`alchemy check` must pick up exactly what is left.  That needs atomic state transitions
(`pending -> leased -> verified|rejected|...`), which SQL gives us; SQLite in WAL mode keeps
it a single file next to the run, and any SQLAlchemy URL (e.g. PostgreSQL) works for a
cluster.

States:
  pending   waiting to be checked
  leased    handed to a worker until `lease_expires`; an expired lease is taken again
            (a killed worker or driver never loses a mutant, it only costs an attempt)
  verified | rejected | timeout | crashed   Lean's verdict (final)
  refuted | vacuous | ...                   decided before Lean (by `alchemy mutate`; final)

Tables: `mutants` holds what a mutant is (the `Mutant` fields as columns, tuples as JSON,
plus `detail` and `created_at`), written once; `states` holds where it stands (status,
attempts, lease owner/token/expiry, error class, first error, elapsed, backend, Lean
version, Mathlib revision, checked_at), one narrow row per mutant, so the hot writes of
checking touch small pages.  Read through this class, they look like one record.

`attempts` counts leases.  A mutant whose lease expired `max_attempts` times (it killed its
worker each time) is given up as `crashed` with error class `worker lost`.  A `timeout` or
`crashed` verdict is retried while attempts remain (a wall-clock timeout may be load); the
last one is kept.  A final status is never overwritten: the first verdict wins.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy import (
    BigInteger, Column, Float, Index, Integer, LargeBinary, MetaData, String, Table, Text,
    and_, bindparam, case, create_engine, event, func, inspect, select, tuple_, update)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core import lean_parts as parts_codec
from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundir import RunDir

from . import rundb_check

SCHEMA_VERSION = 2  # 2: Lean text in shared parts + compressed payload (`lean_parts`)
SQLITE_MMAP_BYTES = 1 << 30  # per connection; the OS page cache backs it, not the heap
BULK_ROWS = 5000  # an insert of this many rows or more gets a BULK_CACHE_KIB page cache
BULK_CACHE_KIB = 512 * 1024

PENDING = "pending"
LEASED = "leased"
OPEN_STATUSES = (PENDING, LEASED)
LEAN_STATUSES = ("verified", "rejected", "timeout", "crashed", "statement_ok")
# An open statement (`Mutant.proof_status == "open"`) that Lean elaborated, its proof `sorry`:
# the statement is well formed, nothing is proved.
STATEMENT_OK = "statement_ok"
RETRYABLE = ("timeout", "crashed")
WORKER_LOST = "worker lost"

# The mutants table's columns written by `add_mutant_rows` (`lean_parts.Encoded` order).
STORED_COLUMNS = ("id", "kind", "depth", "frame", "origin", "payload")
# Mutant fields stored as plain columns after `payload`: short values that readers filter and
# count by (`library_counts`), so they stay out of the compressed payload.
EXTRA_MUTANT_FIELDS = ("rule_library", "proof_status", "relation")

metadata = MetaData()

# What a mutant is: written once by `alchemy mutate`, never updated.  The Lean text is not
# stored whole: `frame` and `origin` name shared parts (`lean_parts`), `payload` holds the
# mutant's own fields compressed (`core.lean_parts`).  A column appended after `payload`
# (before `detail`) is stored as it is; give it a default so older writers stay valid.
mutants = Table(
    "mutants", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("depth", Integer, nullable=False),
    Column("frame", BigInteger, nullable=False),  # lean_parts.id: header and closing text
    Column("origin", BigInteger, nullable=False),  # lean_parts.id: source theorem, base proof
    Column("payload", LargeBinary, nullable=False),  # flags byte + deflate of the own fields
    Column("rule_library", Text, nullable=False, server_default=""),  # "" = the library's own
    Column("proof_status", String(16), nullable=False, server_default="proved"),
    Column("relation", String(32), nullable=False, server_default=""),
    Column("detail", Text),  # why refuted/vacuous (from mutate), or a note
    Column("created_at", Float, nullable=False),
)

# Text shared by many mutants, stored once: a unit's frame (header and closing text of a
# scope) or a source theorem's origin (names and its proof as a tactic body), keyed by a
# digest of the text (`lean_parts.part_id`), zlib-compressed.
lean_parts = Table(
    "lean_parts", metadata,
    # INTEGER (not BIGINT) so that SQLite keys the table by it, with no second index
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("text", LargeBinary, nullable=False),
)

# Where a mutant stands: a narrow row per mutant, so that leases and verdicts (the hot
# writes) touch a few small pages instead of rewriting kilobytes of Lean text per row.
states = Table(
    "states", metadata,
    Column("id", String(64), primary_key=True),  # = mutants.id
    Column("status", String(32), nullable=False),
    Column("source_module", String(512), nullable=False),  # copied: leases group by it
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(255)),
    Column("lease_token", String(64)),
    Column("lease_expires", Float),
    Column("error_class", String(64)),
    Column("first_error", Text),
    Column("elapsed", Float),
    Column("backend", String(32)),
    Column("lean_version", String(64)),
    Column("mathlib_rev", String(64)),
    Column("checked_at", Float),
    Column("axioms", Text),  # JSON list from `#print axioms`; NULL when Lean was not asked
    # leases go to pending mutants of one module together: a batch then shares its imports
    Index("ix_states_status_module", "status", "source_module", "id"),
    Index("ix_states_lease", "status", "lease_expires"),  # also serves owner look-ups
)

_STATE_COLS = [c for c in states.c if c.name != "id"]


def mutant_state_select():
    """SELECT every column of a mutant and its state."""
    return select(mutants, *_STATE_COLS).join_from(mutants, states, mutants.c.id == states.c.id)


# How far `alchemy mutate` got (`mutate/resume.py`): one row, keyed by what the mutants are a
# function of (inputs, options, code).  It is written in the transaction that stores a batch
# of rows, so the rows and the marker never disagree, and a killed run resumes after its last
# stored batch instead of from the first theorem.
mutate_progress = Table(
    "mutate_progress", metadata,
    Column("key", String(64), primary_key=True),
    Column("tasks_done", Integer, nullable=False),  # theorems mutated, in task order
    Column("tasks_total", Integer, nullable=False),
    Column("fresh_db", Integer, nullable=False),  # 1: the run began with no mutant stored
    Column("complete", Integer, nullable=False),
    Column("state", Text, nullable=False),  # JSON: counters, per-rule counts, new rows
)

meta_table = Table(
    "alchemy_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:"):
        return Path(url[len(prefix):].split("?", 1)[0])
    return None


def _readonly_connector(path: Path):
    """A sqlite3 connection factory that never writes: `mode=ro` while a write-ahead log
    holds data (its `-shm` is then needed), else `immutable=1`, which needs neither lock
    nor `-shm` file, so a read-only directory is readable."""
    wal = path.with_name(path.name + "-wal")
    flag = "mode=ro" if wal.exists() and wal.stat().st_size > 0 else "immutable=1"
    uri = f"{path.resolve().as_uri().replace('file://', 'file:', 1)}?{flag}"
    return lambda: sqlite3.connect(uri, uri=True, timeout=60.0, check_same_thread=False)


def _make_engine(url: str, readonly: bool = False) -> Engine:
    if not _is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    path = sqlite_path(url)
    if readonly and path is not None:
        engine = create_engine("sqlite://", creator=_readonly_connector(path))
    else:
        engine = create_engine(url, connect_args={"timeout": 60.0})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - exercised implicitly
        # Take over transaction control from pysqlite so that writes can BEGIN IMMEDIATE:
        # the write lock is then taken before the SELECT of a lease, so two processes can
        # never both read the same pending rows and both lease them.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            if not readonly:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            # a lease or a verdict batch touches scattered pages (ids are content hashes):
            # keep the hot state pages cached rather than re-read them per batch
            cur.execute("PRAGMA cache_size=-65536")
            # checkpoint the WAL every ~40 MB instead of ~4 MB: the same hot index pages are
            # rewritten by every batch and are then copied back (and synced) once, not often
            cur.execute("PRAGMA wal_autocheckpoint=10000")
            # read pages through a memory map instead of read() calls: streaming a run's
            # rows (the corpus export) fetched 15-30 % faster on a full-Mathlib database
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("alchemy_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _add_missing_columns(c: Connection) -> None:
    """Columns added to `states` after a database was created (all nullable)."""
    have = {col["name"] for col in inspect(c).get_columns("states")}
    for col in states.c:
        if col.name not in have:
            c.exec_driver_sql(f"ALTER TABLE states ADD COLUMN {col.name} "
                              f"{col.type.compile(dialect=c.dialect)}")


def _ensure_data_version(c: Connection) -> None:
    """The keys of `RunDB.data_version`: a random id per database and a write counter."""
    have = set(c.execute(select(meta_table.c.key).where(
        meta_table.c.key.in_(("database_id", "data_version")))).scalars())
    if "database_id" not in have:
        c.execute(meta_table.insert().values(key="database_id", value=uuid.uuid4().hex))
    if "data_version" not in have:
        c.execute(meta_table.insert().values(key="data_version", value="0"))


def _bump_data_version(c: Connection) -> None:
    """Count one change of what an export reads (rows added, statuses changed)."""
    c.exec_driver_sql("UPDATE alchemy_meta SET value = CAST(CAST(value AS INTEGER) + 1 "
                      "AS VARCHAR(32)) WHERE key = 'data_version'")


def _check_older_schema(c: Connection, label: str) -> None:
    """Refuse a database written with an older schema (before `create_all` touches it):
    schema 1 stored every mutant's Lean text whole, and its rows cannot be read as parts."""
    if not inspect(c).has_table("alchemy_meta"):
        return
    have = c.execute(select(meta_table.c.value)
                     .where(meta_table.c.key == "schema_version")).scalar()
    if have is not None and int(have) < SCHEMA_VERSION:
        raise AlchemyError(
            f"{label} was written by an older lean-alchemy (schema {have} < {SCHEMA_VERSION}"
            f"): move it aside (`mv {label} {label}.old`) and re-run `alchemy mutate`")


def unreadable_database_error(where: str, e: Exception) -> AlchemyError:
    orig = getattr(e, "orig", None) or e
    return AlchemyError(
        f"{where} is not a readable run database ({orig}). Move it aside (e.g. "
        f"`mv {where} {where}.broken`) and re-run `alchemy mutate` to rebuild it, or pass "
        f"--db with the URL of the right database")


_ENCODED_PARTS: dict = {}  # this process's keyed parts (`lean_parts.encode`'s cache)


def mutant_row(m: Mutant, base_body: str = "") -> tuple:
    """A mutant as `RunDB.add_mutant_rows` stores it: the `STORED_COLUMNS` values, its
    source module (for `states`), and the (part id, text) pairs of its shared parts
    (`core.lean_parts.encode`; `base_body`: its theorem's proof as a tactic body, cut out
    of the stored proof).  `alchemy mutate` encodes rows in its worker processes, so the
    parent only unpickles plain tuples and inserts them; the parts of one theorem are the
    same objects in every row, so pickling sends them once per batch."""
    e = parts_codec.encode(m, base_body, _ENCODED_PARTS)
    return (e.id, e.kind, e.depth, e.frame, e.origin, e.payload, m.rule_library,
            m.proof_status, m.relation, e.source_module, e.parts)


def _bulk_insert(c: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert tuples in `columns` order with the driver's own executemany.  Why not Core's
    `insert()` with dicts: its per-row parameter processing cost more than SQLite's
    insert itself, and `alchemy mutate` writes millions of rows through here."""
    style = c.dialect.paramstyle
    if style == "qmark":
        marks = ["?"] * len(columns)
    elif style in ("format", "pyformat"):
        marks = ["%s"] * len(columns)
    elif style == "numeric":
        marks = [f":{i + 1}" for i in range(len(columns))]
    else:  # a named-parameter driver: Core's insert takes dicts
        c.execute(table.insert(), [dict(zip(columns, r)) for r in rows])
        return
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
    c.exec_driver_sql(sql, rows)


def _row_id(row: tuple) -> str:
    return row[0]


# `mutant_state_select()` rows are read by position (a Row's mapping costs more than the rest
# of the conversion): every mutants column, then every states column but the id.
_N_MUTANT_COLS = len(mutants.c)
_DETAIL = [c.name for c in mutants.c].index("detail")
_ROW_COLUMNS = STORED_COLUMNS + EXTRA_MUTANT_FIELDS  # a `mutant_row` tuple starts with these
_ROW_MODULE = len(_ROW_COLUMNS)  # then the source module
_ROW_PARTS = _ROW_MODULE + 1  # then the shared parts


def _row_verdict(r) -> Verdict:
    (status, _module, _attempts, _owner, _token, _expires, error_class, first_error, elapsed,
     backend, lean_version, mathlib_rev, _checked_at, axioms) = r[_N_MUTANT_COLS:]
    return Verdict(mutant_id=r[0], status=status, error_class=error_class,
                   first_error=first_error if first_error is not None else r[_DETAIL],
                   elapsed=float(elapsed or 0.0), backend=backend or "",
                   lean_version=lean_version or "", mathlib_rev=mathlib_rev or "",
                   axioms=None if axioms is None else tuple(json.loads(axioms)))


class RunDB:
    """One run database.  Safe to use from several processes at once (leases are atomic)."""

    def __init__(self, url: str, *, max_attempts: int = 3, label: str | None = None,
                 readonly: bool = False) -> None:
        """`readonly`: only read (a read-only run directory); the schema must exist."""
        self.url = url
        self.max_attempts = max_attempts
        self.readonly = readonly
        self.given_up = 0  # mutants this object gave up as `worker lost` (see `lease`)
        self.label = label or (str(sqlite_path(url)) if sqlite_path(url) else url)
        self._parts = parts_codec.PartReader(self.load_parts)
        self._stored_parts: set[int] = set()  # part ids this object stored or checked
        path = sqlite_path(url)
        if path is not None:
            if path.is_dir():
                raise AlchemyError(f"{path} is a directory, not a run database")
            if not readonly:
                path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = _make_engine(url, readonly)
        self._writer = self.engine.execution_options(alchemy_write=True)
        try:
            with (self._read() if readonly else self._write()) as c:
                _check_older_schema(c, self.label)
                if not readonly:
                    metadata.create_all(c)
                    _add_missing_columns(c)
                have = c.execute(select(meta_table.c.value)
                                 .where(meta_table.c.key == "schema_version")).scalar()
                if have is None and not readonly:
                    c.execute(meta_table.insert().values(key="schema_version",
                                                         value=str(SCHEMA_VERSION)))
                if not readonly:
                    _ensure_data_version(c)
                elif int(have) > SCHEMA_VERSION:
                    raise AlchemyError(
                        f"{self.label} was written by a newer lean-alchemy (schema {have} > "
                        f"{SCHEMA_VERSION}): upgrade lean-alchemy to read it")
        except AlchemyError:
            self.engine.dispose()
            raise
        except OperationalError as e:
            self.engine.dispose()
            if "locked" in str(e).lower():
                raise AlchemyError(f"{self.label} is locked by another process: {e.orig}") from None
            raise unreadable_database_error(self.label, e) from None
        except DatabaseError as e:
            self.engine.dispose()
            raise unreadable_database_error(self.label, e) from None

    @classmethod
    def for_run(cls, run: RunDir, url: str | None = None, *, mode: str = "create",
                **kw) -> "RunDB":
        """The run's database: `url` if given (any SQLAlchemy URL), else RUN/run.sqlite,
        after the checks of `core/rundb_check.py`.  `mode`: "create" (`alchemy mutate`: a
        missing file is made), "write" (`alchemy check`: the file must exist and be
        writable), "read" (status, corpus, stats: a read-only run is opened read-only)."""
        if url:
            return cls(url, **kw)
        path = run.db
        if not path.exists() or (mode == "create" and path.stat().st_size == 0
                                 and not rundb_check.mutants_made(run)):
            if mode != "create":
                raise rundb_check.missing_error(run, path)
            run.ensure()
            return cls(run.db_url, **kw)
        problem = rundb_check.sqlite_file_problem(path)
        if problem:
            raise rundb_check.damaged_error(run, path, problem)
        readonly = rundb_check.readonly_reason(run, path)
        if readonly and mode != "read":
            raise AlchemyError(f"{readonly}: `alchemy {'check' if mode == 'write' else 'mutate'}`"
                               f" writes to {path}; make it writable (`chmod -R u+w "
                               f"{run.root}`) or copy the run directory and use the copy "
                               f"(`alchemy status` reads a read-only run)")
        db = cls(run.db_url, readonly=bool(readonly), **kw)
        with db.engine.connect() as c:
            problem = rundb_check.checked_integrity_problem(run, path,
                                                            c.connection.dbapi_connection)
            if problem is None and mode != "create" and rundb_check.mutants_made(run) \
                    and not c.execute(select(states.c.id).limit(1)).first():
                problem = "it holds no mutant"
        if problem:
            db.close()
            raise rundb_check.damaged_error(run, path, problem)
        return db

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE on SQLite)."""
        with self._writer.begin() as c:
            yield c

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as c:
            yield c

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "RunDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ writes

    def add_mutants(self, rows: Iterable[tuple[Mutant, str, str | None]]) -> int:
        """Insert mutants with their initial status (pending, refuted, vacuous...).

        Idempotent by `Mutant.id`: a mutant already present is left as it is (its verdict
        included).  One transaction per call; returns the number of new rows.
        """
        return self.add_mutant_rows((mutant_row(m), status, detail)
                                    for m, status, detail in rows)

    def add_mutant_rows(self, rows: Iterable[tuple[tuple, str, str | None]], *,
                        assume_new: bool = False,
                        progress: Callable[[int], dict] | None = None) -> int:
        """`add_mutants` of mutants already encoded by `mutant_row`.

        `assume_new`: the caller knows no row is stored yet (`alchemy mutate` into a database
        that had no mutants: its ids are unique within the run), so the look-up of existing
        ids is skipped (a sixth of the insert's cost).  Should a row exist after all (another
        writer), the batch is rolled back and stored with the look-up: nothing is lost or
        stored twice.

        `progress`: called with the number of new rows inside the same transaction; the
        `mutate_progress` row it returns replaces the stored one (`mutate/resume.py`)."""
        now = time.time()
        batch: dict[str, tuple] = {}
        parts: dict[int, str] = {}
        for values, status, detail in rows:
            if values[0] not in batch:
                batch[values[0]] = (*values[:_ROW_MODULE], detail, now, status,
                                    values[_ROW_MODULE])
                for pid, text in values[_ROW_PARTS]:
                    parts[pid] = text
        if not batch and progress is None:
            return 0
        if assume_new:
            try:
                with self._write() as c:
                    self._bulk_cache(c, len(batch))
                    self._store_parts(c, parts)
                    self._insert_new(c, list(batch.values()))
                    self._set_progress(c, progress, len(batch))
                    _bump_data_version(c)
                self._stored_parts.update(parts)
                return len(batch)
            except IntegrityError:
                pass  # rolled back: take the checked path
        with self._write() as c:
            self._bulk_cache(c, len(batch))
            self._store_parts(c, parts)
            ids = list(batch)
            present: set[str] = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                present.update(c.execute(select(mutants.c.id).where(mutants.c.id.in_(chunk)))
                               .scalars())
            fresh = [r for k, r in batch.items() if k not in present]
            self._insert_new(c, fresh)
            self._set_progress(c, progress, len(fresh))
            if fresh:
                _bump_data_version(c)
        self._stored_parts.update(parts)
        return len(fresh)

    def _store_parts(self, c: Connection, parts: dict[int, str]) -> None:
        """Insert the shared parts not stored yet; a stored part with the same id must hold
        the same text (a digest collision is an error, never a silent mix-up)."""
        new = [k for k in parts if k not in self._stored_parts]
        have: dict[int, bytes] = {}
        for i in range(0, len(new), 500):
            have.update(c.execute(select(lean_parts.c.id, lean_parts.c.text)
                                  .where(lean_parts.c.id.in_(new[i:i + 500]))).all())
        for k, blob in have.items():
            if parts_codec.decompress_part(blob) != parts[k]:
                raise AlchemyError(f"{self.label}: two different Lean parts share the digest "
                                   f"{k}; store this run in a fresh run directory")
        rows = [(k, parts_codec.compress_part(parts[k])) for k in new if k not in have]
        if rows:
            _bulk_insert(c, lean_parts, ("id", "text"), rows)

    @staticmethod
    def _set_progress(c: Connection, progress: Callable[[int], dict] | None, new: int) -> None:
        if progress is not None:
            c.execute(mutate_progress.delete())
            c.execute(mutate_progress.insert().values(**progress(new)))

    def mutate_progress(self) -> dict | None:
        """The stored `mutate_progress` row (None when no mutation run stored a batch)."""
        with self._read() as c:
            r = c.execute(select(mutate_progress)).first()
        return dict(r._mapping) if r is not None else None

    def clear_mutate_progress(self) -> None:
        with self._write() as c:
            c.execute(mutate_progress.delete())

    def mutant_ids(self) -> Iterator[str]:
        """Every stored mutant id, in primary-key order."""
        with self._read() as c:
            yield from c.execute(select(mutants.c.id).order_by(mutants.c.id)).scalars()

    @staticmethod
    def _bulk_cache(c: Connection, rows: int) -> None:
        """A page cache big enough for a large insert's dirty index pages (SQLite only, on
        this connection).  Why: a batch of thousands of rows dirties thousands of scattered
        pages of the id indexes; with the default cache they are spilled to the WAL before
        the commit and written again by it."""
        if rows >= BULK_ROWS and c.dialect.name == "sqlite":
            c.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")

    @staticmethod
    def _insert_new(c: Connection, rows: list[tuple]) -> None:
        """Rows of `add_mutant_rows` (stored columns, detail, created_at, status, source
        module) whose ids
        are not stored: the mutant and its `states` row.  Inserted in id order: ids are
        fingerprints, scattered over both id indexes, and a batch walking each index once
        in order cost SQLite about a third less CPU than the same rows in the order they
        were made (every read orders by id or module, never by insertion)."""
        if rows:
            rows = sorted(rows, key=_row_id)
            _bulk_insert(c, mutants, _ROW_COLUMNS + ("detail", "created_at"),
                         [r[:-2] for r in rows])
            _bulk_insert(c, states, ("id", "status", "source_module", "attempts"),
                         [(r[0], r[-2], r[-1], 0) for r in rows])

    def has_mutants(self) -> bool:
        """Whether any mutant is stored."""
        with self._read() as c:
            return c.execute(select(mutants.c.id).limit(1)).first() is not None

    def lease(self, owner: str, n: int, lease_seconds: float,
              max_attempts: int | None = None) -> list[Mutant]:
        """Atomically hand up to `n` mutants to `owner` until now + lease_seconds.

        Candidates: leases that expired (their worker or driver died) with attempts left,
        then pending mutants, grouped by source module.  Leases that expired with no attempts
        left are given up first (status `crashed`, error class `worker lost`).  Each lease
        counts one attempt.  A lease never goes to two owners: on SQLite the whole
        transaction holds the write lock; elsewhere the selected rows are locked
        (FOR UPDATE SKIP LOCKED) until the transaction ends.
        """
        if n <= 0:
            return []
        max_attempts = self.max_attempts if max_attempts is None else max_attempts
        now = time.time()
        token = uuid.uuid4().hex
        t = states.c
        expired = and_(t.status == LEASED, t.lease_expires < now)
        with self._write() as c:
            lost = c.execute(update(states).where(expired, t.attempts >= max_attempts).values(
                status="crashed", error_class=WORKER_LOST, lease_owner=None, lease_token=None,
                lease_expires=None, checked_at=now,
                first_error=f"the worker checking it was lost {max_attempts} times "
                            f"(killed, out of memory, or node lost)")).rowcount
            if lost:
                self.given_up += lost
                _bump_data_version(c)
            ids = list(c.execute(select(t.id).where(expired, t.attempts < max_attempts)
                                 .limit(n).with_for_update(skip_locked=True)).scalars())
            if len(ids) < n:
                ids += c.execute(select(t.id).where(t.status == PENDING)
                                 .order_by(t.status, t.source_module, t.id)
                                 .limit(n - len(ids)).with_for_update(skip_locked=True)).scalars()
            if not ids:
                return []
            _bump_data_version(c)
            # No re-check of the state here: SQLite holds the write lock since the SELECT, and
            # other databases hold the rows (FOR UPDATE).  (A re-check with OR also makes
            # SQLite's planner scan every pending row instead of the primary key.)
            c.execute(update(states).where(t.id.in_(ids)).values(
                status=LEASED, lease_owner=owner, lease_token=token,
                lease_expires=now + lease_seconds, attempts=t.attempts + 1))
            rows = c.execute(mutant_state_select().where(t.id.in_(ids), t.lease_token == token)
                             .order_by(t.source_module, t.id)).all()
        return self._decode(rows)

    def renew(self, owner: str, lease_seconds: float) -> int:
        """Push back the expiry of every lease `owner` holds (a long batch is not stolen)."""
        with self._write() as c:
            return c.execute(update(states).where(
                states.c.status == LEASED, states.c.lease_owner == owner).values(
                lease_expires=time.time() + lease_seconds)).rowcount

    def record_verdicts(self, verdicts: Iterable[Verdict],
                        max_attempts: int | None = None) -> int:
        """Store verdicts; returns how many were taken.

        A verdict is taken only for a mutant still open (pending or leased), whoever holds
        the lease: the first verdict wins and a final status is never overwritten.  A
        `timeout`/`crashed` verdict with attempts left sends the mutant back to `pending`
        (its error kept for `status`); the last attempt's verdict is final.
        """
        return len(self.record_verdicts_detail(verdicts, max_attempts))

    def record_verdicts_detail(self, verdicts: Iterable[Verdict],
                               max_attempts: int | None = None) -> dict[str, str]:
        """`record_verdicts`, returning the resulting status of each verdict taken
        (mutant id -> status; `pending` = sent back for another attempt)."""
        max_attempts = self.max_attempts if max_attempts is None else max_attempts
        vs = list({v.mutant_id: v for v in reversed(list(verdicts))}.values())[::-1]
        if not vs:
            return {}
        t = states.c
        now = time.time()
        taken: dict[str, str] = {}
        with self._write() as c:
            open_attempts: dict[str, int] = {}
            ids = [v.mutant_id for v in vs]
            for i in range(0, len(ids), 500):
                # filter the status here, not in SQL: `status IN (...)` tempts SQLite's
                # planner into scanning the status index instead of the primary key
                open_attempts.update((k, a) for k, a, st in c.execute(
                    select(t.id, t.attempts, t.status).where(t.id.in_(ids[i:i + 500])))
                    if st in OPEN_STATUSES)
            params = []
            for v in vs:
                if v.mutant_id not in open_attempts:
                    continue  # unknown, or already final: the first verdict won
                retry = v.status in RETRYABLE and open_attempts[v.mutant_id] < max_attempts
                status = PENDING if retry else v.status
                taken[v.mutant_id] = status
                params.append({"b_id": v.mutant_id, "b_status": status,
                               "b_error_class": v.error_class, "b_first_error": v.first_error,
                               "b_elapsed": float(v.elapsed or 0.0), "b_backend": v.backend,
                               "b_lean_version": v.lean_version, "b_mathlib_rev": v.mathlib_rev,
                               "b_axioms": None if v.axioms is None else json.dumps(
                                   list(v.axioms), ensure_ascii=False)})
            if params:
                _bump_data_version(c)
                # the write lock is held since the SELECT: no one can finalize these meanwhile
                c.execute(update(states).where(t.id == bindparam("b_id")).values(
                    status=bindparam("b_status"), error_class=bindparam("b_error_class"),
                    first_error=bindparam("b_first_error"), elapsed=bindparam("b_elapsed"),
                    backend=bindparam("b_backend"), lean_version=bindparam("b_lean_version"),
                    mathlib_rev=bindparam("b_mathlib_rev"), axioms=bindparam("b_axioms"),
                    lease_owner=None, lease_token=None,
                    lease_expires=None, checked_at=now), params)
        return taken

    def expire(self, mutant_ids: Sequence[str] | None, owner: str | None = None) -> int:
        """End the leases of these mutants (None: all of `owner`'s) now, their attempt
        counted: the next `lease` retries them, or gives them up as `worker lost` when no
        attempts are left.  Used when the driver knows a worker, or a driver, died."""
        t = states.c
        cond = [t.status == LEASED]
        if mutant_ids is not None:
            if not mutant_ids:
                return 0
            cond.append(t.id.in_(list(mutant_ids)))
        elif owner is None:
            raise ValueError("expire() needs mutant ids or an owner")
        if owner is not None:
            cond.append(t.lease_owner == owner)
        with self._write() as c:
            return c.execute(update(states).where(*cond).values(
                lease_expires=time.time() - 1.0)).rowcount

    def release(self, owner: str, *, refund: bool = True) -> int:
        """Give back every unfinished lease of `owner` (a clean stop): the mutants become
        pending again.  `refund` returns the attempt that the lease counted (nothing was
        tried); without it, the attempt stays counted (the owner died while checking)."""
        t = states.c
        values = dict(status=PENDING, lease_owner=None, lease_token=None, lease_expires=None)
        if refund:
            values["attempts"] = case((t.attempts > 0, t.attempts - 1), else_=0)
        with self._write() as c:
            n = c.execute(update(states).where(t.status == LEASED, t.lease_owner == owner)
                          .values(**values)).rowcount
            if n:
                _bump_data_version(c)
            return n

    def data_version(self) -> str | None:
        """An id of what the database holds: its random id and a counter that every write of
        rows or statuses increments (None for a database without them).  Equal values mean
        an export would read the same rows (`corpus.marker`)."""
        with self._read() as c:
            got = dict(c.execute(select(meta_table.c.key, meta_table.c.value).where(
                meta_table.c.key.in_(("database_id", "data_version")))).all())
        if len(got) < 2:
            return None
        return f"{got['database_id']}:{got['data_version']}"

    def lease_owners(self) -> dict[str, int]:
        """owner -> number of mutants it holds leased."""
        with self._read() as c:
            return {o: n for o, n in c.execute(
                select(states.c.lease_owner, func.count()).where(states.c.status == LEASED)
                .group_by(states.c.lease_owner)).all()}

    # ------------------------------------------------------------------ reads

    def counts(self) -> dict[str, int]:
        """status -> number of mutants."""
        with self._read() as c:
            return {s: n for s, n in c.execute(
                select(states.c.status, func.count()).group_by(states.c.status)).all()}

    def error_class_counts(self, statuses: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
        """status -> error class -> count, over final Lean verdicts that carry an error
        (rejected, timeout, crashed by default)."""
        statuses = tuple(statuses) if statuses else ("rejected", "timeout", "crashed")
        out: dict[str, dict[str, int]] = {}
        with self._read() as c:
            for s, ec, n in c.execute(
                    select(states.c.status, states.c.error_class, func.count())
                    .where(states.c.status.in_(statuses))
                    .group_by(states.c.status, states.c.error_class)).all():
                out.setdefault(s, {})[ec or "other"] = n
        return out

    def outcome_counts(self, exclude: Sequence[str] = OPEN_STATUSES
                       ) -> list[tuple[str, str, str | None, int]]:
        """(mutation kind, status, error class, rows) over mutants whose status is not in
        `exclude` (by default: every decided one), counted in one grouped query."""
        chosen = self._statuses(None, exclude)
        if not chosen:
            return []
        # `status IN (...)` of the statuses present, not `NOT IN (excluded)`: the planner then
        # reads only those statuses' index ranges instead of every row (19 s on a
        # million pending mutants)
        q = (select(mutants.c.kind, states.c.status, states.c.error_class, func.count())
             .join_from(mutants, states, mutants.c.id == states.c.id)
             .where(states.c.status.in_(chosen))
             .group_by(mutants.c.kind, states.c.status, states.c.error_class)
             .order_by(mutants.c.kind, states.c.status, states.c.error_class))
        with self._read() as c:
            return [(k, s, e, int(n)) for k, s, e, n in c.execute(q).all()]

    def library_counts(self) -> dict[tuple[str, str], int]:
        """(rule library, proof status) -> mutants: how many use a dependency's rule
        ("" = the library's own) and how many are open statements.  A full scan of the
        mutants table: callers ask only for runs that have dependencies or open ones."""
        with self._read() as c:
            rows = c.execute(select(mutants.c.rule_library, mutants.c.proof_status, func.count())
                             .group_by(mutants.c.rule_library, mutants.c.proof_status)).all()
        return {(lib or "", st or "proved"): int(n) for lib, st, n in rows}

    def total(self) -> int:
        with self._read() as c:
            return int(c.execute(select(func.count()).select_from(states)).scalar() or 0)

    def attempt_counts(self) -> dict[int, int]:
        with self._read() as c:
            return {int(a): n for a, n in c.execute(
                select(states.c.attempts, func.count()).group_by(states.c.attempts)).all()}

    def check_window(self) -> tuple[float | None, float | None, int]:
        """(first, last) `checked_at` over Lean verdicts and their number: the rate that
        `status` reports."""
        with self._read() as c:
            lo, hi, n = c.execute(select(func.min(states.c.checked_at),
                                         func.max(states.c.checked_at), func.count())
                                  .where(states.c.status.in_(LEAN_STATUSES))).one()
        return lo, hi, int(n or 0)

    def _statuses(self, statuses: Sequence[str] | None, exclude: Sequence[str] = ()
                  ) -> list[str]:
        """The statuses to stream, in a fixed order: `statuses`, or every status present
        (minus `exclude`) when None."""
        if statuses is not None:
            return sorted(set(statuses))
        with self._read() as c:
            have = c.execute(select(states.c.status).distinct()).scalars().all()
        return sorted(set(have) - set(exclude))

    def _pages(self, stmt, statuses: Sequence[str], chunk: int = 2000) -> Iterator[list]:
        """Rows in pages of up to `chunk`, one status at a time, in (source_module, id) order.

        Why this order: each page is then a range scan of the (status, source_module, id)
        index, whatever the table's size.  Paging by id across statuses made SQLite read
        every row of the status and sort them for each page of 2,000, which never finished
        on a full-Mathlib run (2.6 M pending rows).  Short read transactions, constant memory.
        """
        key = (states.c.source_module, states.c.id)
        for status in statuses:
            page = stmt.where(states.c.status == status).order_by(*key).limit(chunk)
            last: tuple[str, str] | None = None
            while True:
                q = page if last is None else page.where(tuple_(*key) > tuple_(*last))
                with self._read() as c:
                    rows = c.execute(q).all()
                if rows:
                    yield rows
                if len(rows) < chunk:
                    break
                m = rows[-1]._mapping  # the state's key columns
                last = (m["source_module"], m["id"])

    def _decode(self, rows: Sequence) -> list[Mutant]:
        """`mutant_state_select()` rows (or any rows starting with `STORED_COLUMNS`) as
        records, their shared parts fetched in one query per page (`lean_parts`)."""
        self._parts.need([r[3] for r in rows], [r[4] for r in rows])
        mutant = self._parts.mutant
        return [mutant(r[0], r[1], r[2], r[3], r[4], r[5], r[6:9]) for r in rows]

    def load_parts(self, ids: list[int]) -> list[tuple[int, bytes]]:
        """(id, compressed text) of these shared parts (`core.lean_parts.PartReader`)."""
        with self._read() as c:
            return [tuple(r) for r in c.execute(
                select(lean_parts.c.id, lean_parts.c.text).where(lean_parts.c.id.in_(ids)))]

    def iter_mutants(self, statuses: Sequence[str] | None = None) -> Iterator[Mutant]:
        """Mutants in `statuses` (None: all), by status, then source module, then id."""
        for page in self._pages(mutant_state_select(), self._statuses(statuses)):
            yield from self._decode(page)

    def iter_results(self, statuses: Sequence[str] | None = ("verified",)
                     ) -> Iterator[tuple[Mutant, Verdict]]:
        """(mutant, verdict) for mutants in `statuses`; None = every final one (all but
        pending and leased).  Ordered by status, then source module, then id."""
        chosen = self._statuses(statuses, exclude=OPEN_STATUSES)
        for page in self._pages(mutant_state_select(), chosen):
            yield from zip(self._decode(page), map(_row_verdict, page))

    def sample(self, kind: str, n: int, start: str = "",
               statuses: Sequence[str] | None = ("pending",)) -> list[Mutant]:
        """Up to `n` mutants of `kind`: the first ids from `start` on, wrapping around.
        Ids are fingerprints (hash digests), so this is a reproducible pseudo-random sample
        for a given `start`, read through the primary key instead of the whole table."""
        out: list[Mutant] = []
        with self._read() as c:
            for cond in (states.c.id >= start, states.c.id < start):
                stmt = mutant_state_select().where(mutants.c.kind == kind, cond)
                if statuses is not None:
                    stmt = stmt.where(states.c.status.in_(list(statuses)))
                stmt = stmt.order_by(states.c.id).limit(n - len(out))
                out += self._decode(c.execute(stmt).all())
                if len(out) >= n:
                    break
        return out

    def kinds(self) -> list[str]:
        with self._read() as c:
            return sorted(c.execute(select(mutants.c.kind).distinct()).scalars())

    def get(self, mutant_id: str) -> Mutant | None:
        with self._read() as c:
            r = c.execute(mutant_state_select().where(states.c.id == mutant_id)).first()
        return self._decode([r])[0] if r is not None else None

    def state(self, mutant_id: str) -> dict | None:
        """Every state column of one mutant (status, attempts, lease, verdict fields)."""
        with self._read() as c:
            r = c.execute(select(states, mutants.c.detail).join_from(
                states, mutants, mutants.c.id == states.c.id).where(states.c.id == mutant_id)).first()
        return dict(r._mapping) if r is not None else None

    def verdict(self, mutant_id: str) -> Verdict | None:
        with self._read() as c:
            r = c.execute(mutant_state_select().where(states.c.id == mutant_id)).first()
        if r is None or r._mapping["status"] in OPEN_STATUSES:
            return None
        return _row_verdict(r)

    def detail(self, mutant_id: str) -> str | None:
        """The note stored with a mutant (why it was refuted or found vacuous)."""
        with self._read() as c:
            return c.execute(select(mutants.c.detail).where(mutants.c.id == mutant_id)).scalar()
