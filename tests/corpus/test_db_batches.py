"""Run-database rows as Arrow batches (`jobs.db_arrow`): the ADBC path, the SQLAlchemy path
and the record readers (`iter_results`) hold the same rows, in the same order."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from lean_alchemy.core.prefetch import prefetched
from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.corpus.source import (SOURCE_SCHEMA, engine_lists, imports_lists,
                                        pairs_to_batch)
from lean_alchemy.corpus import db_batches as db_arrow
from lean_alchemy.core.rundb import RunDB

from helpers.builders import make_mutant

MODULES = ("Mathlib.B", "Mathlib.A", "Mathlib.C")


def varied_mutant(i: int) -> Mutant:
    """Mutant `i`, whose module, source theorem, depth, imports and features vary with `i`
    (every fourth has no imports, every sixth no features)."""
    module = MODULES[i % 3]
    return make_mutant(i, source_theorem=f"Foo.bar{i % 5}", source_module=module,
                       depth=1 + i % 2, imports=(module, "Mathlib.Tactic") if i % 4 else (),
                       lean=f"namespace Foo\ntheorem x{i} : True := trivial\nend Foo",
                       scope_id="s1",
                       features=(("size", 7.0), ("depth", 1.0 + i)) if i % 6 else ())


@pytest.fixture
def db(tmp_path: Path) -> RunDB:
    d = RunDB.for_run(RunDir.at(tmp_path / "run"), max_attempts=1)
    d.add_mutants([(varied_mutant(i), "pending", None) for i in range(40)])
    got = d.lease("w", 25, 60.0)
    verdicts = []
    for j, m in enumerate(got):
        if j % 3 == 0:  # no versions, no backend: the columns hold "" / 0.0
            verdicts.append(Verdict(m.id, "verified"))
        elif j % 3 == 1:
            verdicts.append(Verdict(m.id, "verified", elapsed=1.25, backend="repl",
                                    lean_version="v4.9.0", mathlib_rev="abc"))
        else:
            verdicts.append(Verdict(m.id, "rejected", error_class="type_mismatch",
                                    elapsed=0.5, backend="batch"))
    d.record_verdicts(verdicts)
    yield d
    d.close()


def _decoded(batch: pa.RecordBatch) -> dict:
    """A batch's rows with imports/features decoded (the two forms compare equal)."""
    cols = batch.to_pydict()
    cols["imports"] = imports_lists(batch.column("imports"),
                                    batch.column("source_module")).to_pylist()
    cols["features"] = engine_lists(batch.column("features")).to_pylist()
    return cols


def _concat(batches: list[pa.RecordBatch]) -> dict:
    out: dict = {}
    for b in batches:
        for k, v in _decoded(b).items():
            out.setdefault(k, []).extend(v)
    return out


@pytest.mark.parametrize("status", ["verified", "pending", "rejected"])
def test_adbc_sqlalchemy_and_records_agree(db: RunDB, status: str):
    adbc = list(db_arrow.iter_batches(db, (status,), page_rows=4))
    assert adbc and all(b.schema == SOURCE_SCHEMA for b in adbc)
    assert all(b.num_rows == 4 for b in adbc[:-1])  # pages of page_rows
    slow = list(db_arrow._sqlalchemy_batches(db, [status], 4))
    assert [b.num_rows for b in slow] == [b.num_rows for b in adbc]
    assert _concat(adbc) == _concat(slow)
    records = [(m, v) for m, v in db.iter_results(statuses=(status,))]
    want = _decoded(pairs_to_batch(records))
    got = _concat(adbc)
    for key in ("elapsed", "backend", "lean_version", "mathlib_rev"):
        # records carry "" and 0.0 where the database has NULL: so do the batches
        assert got[key] == want[key], key
    assert got == want
    ids = got["id"]
    assert len(ids) == len(set(ids)) == db.counts()[status]


def test_every_column_is_typed_even_when_a_page_has_no_value(db: RunDB):
    """A page whose verdict columns are all NULL in the database still has string/double
    columns (the driver would otherwise type them by the values it saw)."""
    pending = list(db_arrow.iter_batches(db, ("pending",), page_rows=3))
    assert pending and all(b.schema == SOURCE_SCHEMA for b in pending)
    assert set(pending[0].column("backend").to_pylist()) == {""}


def test_no_rows_no_batches(tmp_path: Path):
    d = RunDB.for_run(RunDir.at(tmp_path / "empty"))
    try:
        assert list(db_arrow.iter_batches(d, ("verified",))) == []
        assert list(db_arrow.iter_batches(d, None)) == []
    finally:
        d.close()


def test_prefetched_keeps_order_raises_and_stops_early():
    assert list(prefetched(lambda: iter(range(50)), depth=3)) == list(range(50))

    def failing():
        yield 1
        raise ValueError("page 2 unreadable")

    got = []
    with pytest.raises(ValueError, match="page 2"):
        for x in prefetched(failing):
            got.append(x)
    assert got == [1]

    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    it = prefetched(endless, depth=2)
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]
    it.close()  # the consumer stops: the producer is closed, its thread ends
    assert closed.wait(5)
    deadline = time.time() + 5
    while any(t.name == "prefetch" for t in threading.enumerate()) and time.time() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "prefetch" for t in threading.enumerate())


def test_outcome_counts_equal_counting_the_records(db: RunDB):
    """Acceptance statistics counted by the database equal counting every decided row."""
    from collections import Counter

    from lean_alchemy.corpus.stats import acceptance, outcomes_of

    got = db.outcome_counts()
    want = Counter()
    for m, v in db.iter_results(statuses=None):
        want[(m.kind, v.status, v.error_class)] += 1
    assert sorted(got) == sorted((*k, n) for k, n in want.items())
    assert {s for _, s, _, _ in got} == {"verified", "rejected"}  # pending rows: undecided
    assert acceptance(got) == acceptance(outcomes_of(db.iter_results(statuses=None)))
    assert acceptance(got)["error_classes"] == {"rw_goal": {"type_mismatch": 8}}


@pytest.mark.parametrize("sql", [db_arrow._FIRST_PAGE, db_arrow._NEXT_PAGE])
def test_pages_are_index_range_scans(db: RunDB, sql: str):
    """Each page reads a range of the (status, source_module, id) index, with no sort: a
    sort would read every row of the status per page (on millions of rows, never ending)."""
    params = ("pending", 8192) if sql is db_arrow._FIRST_PAGE else (
        "pending", "Mathlib.A", "m00001", 8192)
    with db.engine.connect() as c:
        plan = " ".join(str(r[-1]) for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql,
                                                              params))
    assert "TEMP B-TREE" not in plan and "ix_states_status_module" in plan, plan


@pytest.mark.parametrize("reader", ["adbc", "sqlalchemy"])
def test_a_damaged_database_names_the_file_and_the_fix(tmp_path: Path, monkeypatch, reader):
    """Pages damaged after the schema and after the database was opened (the opening check
    of `RunDB.for_run` is tested in test_rundb_damage.py): the export's read stops with
    the file and the fix,
    not a driver traceback (the corpus is written to a staging folder, so the previous
    corpus stays as it was)."""
    from lean_alchemy.core.errors import AlchemyError

    run = RunDir.at(tmp_path / "run")
    d = RunDB.for_run(run)
    d.add_mutants([(varied_mutant(i), "pending", None) for i in range(400)])
    d.close()
    data = bytearray(run.db.read_bytes())
    assert len(data) > 40 * 4096
    for at in range(len(data) // 3, len(data) - 4096, 4096):  # leave the schema page intact
        data[at + 100:at + 3000] = b"\xff" * 2900
    run.db.write_bytes(bytes(data))
    if reader == "sqlalchemy":
        monkeypatch.setattr(db_arrow, "_adbc_connect", lambda: None)
    d = RunDB(run.db_url)  # past the opening check, as in a database damaged while in use
    try:
        with pytest.raises(AlchemyError) as e:
            list(db_arrow.iter_batches(d, ("pending",)))
    finally:
        d.close()
    msg = str(e.value)
    assert str(run.db) in msg and "not a readable run database" in msg and "mv " in msg
