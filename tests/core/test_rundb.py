"""The run database: idempotent inserts, atomic leases, verdicts recorded once, bad files."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import time
from pathlib import Path

import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.core.rundb import RunDB, mutant_row

from helpers.builders import make_mutant


def stored_mutant(i: int, module: str = "Mathlib.Foo", name: str | None = None) -> Mutant:
    """Mutant `i` of module `module` with every field set, a scope id and features included."""
    return make_mutant(i, name=name or f"Foo.bar_mut{i}", source_module=module,
                       imports=(module, "Mathlib.Tactic"), header="namespace Foo\nopen Nat",
                       lean=f"namespace Foo\ntheorem x{i} : True := trivial\nend Foo",
                       scope_id="s1", features=(("size", 7.0), ("depth", 1.0)))


@pytest.fixture
def db(tmp_path: Path) -> RunDB:
    d = RunDB.for_run(RunDir.at(tmp_path / "run"), max_attempts=3)
    yield d
    d.close()


def test_add_is_idempotent_and_round_trips(db: RunDB) -> None:
    rows = [(stored_mutant(i), "pending", None) for i in range(5)] + [(stored_mutant(9), "refuted", "counterexample: a = 0")]
    assert db.add_mutants(rows) == 6
    assert db.add_mutants(rows + [(stored_mutant(0), "pending", None)]) == 0  # also duplicates in one call
    assert db.add_mutants([(stored_mutant(5), "pending", None), (stored_mutant(5), "pending", None), (stored_mutant(1), "refuted", "x")]) == 1
    assert db.counts() == {"pending": 6, "refuted": 1}
    assert db.get("m00001") == stored_mutant(1)  # every field, tuples included
    assert db.get("nope") is None
    assert db.detail("m00009") == "counterexample: a = 0"
    assert [m.id for m in db.iter_mutants(statuses=("refuted",))] == ["m00009"]
    assert len(list(db.iter_mutants())) == 7


def test_assume_new_inserts_without_look_ups_and_falls_back_on_a_stored_id(db: RunDB) -> None:
    from lean_alchemy.core.rundb import mutant_row

    assert not db.has_mutants()
    rows = [(mutant_row(stored_mutant(i)), "pending", None) for i in range(4)]
    assert db.add_mutant_rows(rows, assume_new=True) == 4 and db.has_mutants()
    # a wrong promise (m00002 is stored): the batch is rolled back and stored checked,
    # nothing twice, nothing lost
    more = [(mutant_row(stored_mutant(i)), "refuted" if i == 5 else "pending", None) for i in (2, 5, 6)]
    assert db.add_mutant_rows(more, assume_new=True) == 2
    assert db.counts() == {"pending": 5, "refuted": 1}
    assert sorted(m.id for m in db.iter_mutants()) == [f"m0000{i}" for i in (0, 1, 2, 3, 5, 6)]


def test_streams_every_row_once_in_pages_by_status_module_and_id(db: RunDB) -> None:
    mods = ("Mathlib.B", "Mathlib.A", "Mathlib.C")
    rows = [(stored_mutant(i, module=mods[i % 3]), "refuted" if i % 4 == 0 else "pending", None)
            for i in range(23)]
    db.add_mutants(rows)
    got = [(s, m.source_module, m.id) for m in db.iter_mutants()
           for s in ["refuted" if int(m.id[1:]) % 4 == 0 else "pending"]]
    assert got == sorted((s, m.source_module, m.id) for m, s, _ in rows)
    pages = [r._mapping["id"] for page in db._pages(
        __import__("lean_alchemy.core.rundb", fromlist=["mutant_state_select"]).mutant_state_select(), ["pending"], chunk=4)
             for r in page]
    assert pages == [m.id for m in db.iter_mutants(statuses=("pending",))]  # page edges
    assert len(pages) == len(set(pages)) == 17


def test_streaming_pages_are_index_range_scans(db: RunDB) -> None:
    """A page must not read and sort every row of its status (it never finished on 2.6 M)."""
    from sqlalchemy import tuple_
    from lean_alchemy.core.rundb import mutant_state_select, states
    key = (states.c.source_module, states.c.id)
    q = (mutant_state_select().where(states.c.status == "pending", tuple_(*key) > tuple_("M", "m1"))
         .order_by(*key).limit(2000))
    with db.engine.connect() as c:
        sql = str(q.compile(c, compile_kwargs={"literal_binds": True}))
        plan = " ".join(r[-1] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "TEMP B-TREE" not in plan and "ix_states_status_module" in plan, plan


def test_adding_again_keeps_a_verdict(db: RunDB) -> None:
    db.add_mutants([(stored_mutant(1), "pending", None)])
    [m] = db.lease("a", 5, 60)
    assert db.record_verdicts([Verdict(m.id, "verified", elapsed=1.5, backend="repl")]) == 1
    assert db.add_mutants([(stored_mutant(1), "pending", None)]) == 0
    assert db.counts() == {"verified": 1}


def test_leases_go_to_one_owner_and_expire(db: RunDB) -> None:
    db.add_mutants([(stored_mutant(i), "pending", None) for i in range(10)])
    a = db.lease("a", 4, 60)
    b = db.lease("b", 4, 0.05)
    assert len(a) == len(b) == 4 and not {m.id for m in a} & {m.id for m in b}
    assert db.lease_owners() == {"a": 4, "b": 4}
    assert db.state(a[0].id)["attempts"] == 1 and db.state(a[0].id)["lease_owner"] == "a"
    time.sleep(0.1)
    c = db.lease("c", 10, 60)  # b's leases expired: retried first, then the 2 pending left
    assert {m.id for m in c} == {m.id for m in b} | {"m00008", "m00009"}
    assert db.state(b[0].id)["attempts"] == 2 and db.state(b[0].id)["lease_owner"] == "c"
    assert db.lease("d", 10, 60) == []  # a's and c's leases are live
    assert db.counts() == {"leased": 10}


def test_expired_too_often_is_given_up(db: RunDB) -> None:
    db.add_mutants([(stored_mutant(1), "pending", None), (stored_mutant(2), "pending", None)])
    for owner in ("a", "b", "c"):
        got = db.lease(owner, 1, 60, max_attempts=3)
        assert [m.id for m in got] == ["m00001"]
        assert db.expire([got[0].id], owner=owner) == 1  # the worker died with it
    assert db.expire(["m00002"]) == 0  # not leased: nothing to expire
    assert [m.id for m in db.lease("d", 5, 60, max_attempts=3)] == ["m00002"]
    st = db.state("m00001")
    assert st["status"] == "crashed" and st["error_class"] == "worker lost" and st["attempts"] == 3
    assert db.given_up == 1
    assert db.error_class_counts() == {"crashed": {"worker lost": 1}}


def test_verdict_recorded_once(db: RunDB) -> None:
    db.add_mutants([(stored_mutant(i), "pending", None) for i in range(3)] + [(stored_mutant(7), "vacuous", "h : False")])
    ms = db.lease("a", 3, 60)
    v = [Verdict(ms[0].id, "verified", None, None, 2.0, "lean-json", "4.9.0", "abc123"),
         Verdict(ms[1].id, "rejected", "type mismatch", "type mismatch\n  h", 1.0, "lean-json")]
    assert db.record_verdicts(v) == 2
    # a second verdict (another driver, a duplicate) never overwrites a final one
    assert db.record_verdicts([Verdict(ms[0].id, "rejected", "other"),
                               Verdict("m00007", "verified"), Verdict("unknown", "verified")]) == 0
    # a verdict from a worker whose lease was lost is still taken while the mutant is open
    assert db.record_verdicts([Verdict(ms[2].id, "verified"), Verdict(ms[2].id, "rejected")]) == 1
    res = dict((m.id, v) for m, v in db.iter_results(statuses=None))
    assert res[ms[0].id] == v[0] and res[ms[1].id] == v[1]
    assert res["m00007"].status == "vacuous" and res["m00007"].first_error == "h : False"
    assert [m.id for m, _ in db.iter_results()] == sorted([ms[0].id, ms[2].id])
    assert db.state(ms[0].id)["lease_owner"] is None
    assert db.error_class_counts() == {"rejected": {"type mismatch": 1}}
    assert db.verdict(ms[0].id) == v[0] and db.verdict("unknown") is None


def test_timeouts_are_retried_then_final(db: RunDB) -> None:
    db.add_mutants([(stored_mutant(1), "pending", None)])
    for attempt in (1, 2):
        [m] = db.lease("a", 1, 60)
        assert db.record_verdicts_detail([Verdict(m.id, "timeout", "wall-clock timeout")]) == \
            {m.id: "pending"}
        st = db.state(m.id)
        assert st["status"] == "pending" and st["attempts"] == attempt
        assert st["error_class"] == "wall-clock timeout"  # kept for `status`
    [m] = db.lease("a", 1, 60)
    assert db.record_verdicts([Verdict(m.id, "timeout", "wall-clock timeout")]) == 1
    assert db.counts() == {"timeout": 1}


def test_release_refunds_the_attempt(db: RunDB) -> None:
    db.add_mutants([(stored_mutant(i), "pending", None) for i in range(4)])
    db.lease("a", 2, 60)
    db.lease("b", 2, 60)
    assert db.release("a") == 2
    assert db.release("b", refund=False) == 2
    assert db.counts() == {"pending": 4}
    assert sorted(db.attempt_counts().items()) == [(0, 2), (1, 2)]
    assert db.renew("nobody", 60) == 0


def _lease_all(url: str, owner: str, q) -> None:
    db = RunDB(url)
    got = []
    while True:
        ms = db.lease(owner, 3, 600)
        if not ms:
            break
        got += [m.id for m in ms]
    q.put(got)


def test_concurrent_leases_from_two_processes_never_overlap(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run")
    db = RunDB.for_run(run)
    db.add_mutants([(stored_mutant(i, module=f"M{i % 5}"), "pending", None) for i in range(400)])
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_lease_all, args=(run.db_url, f"p{i}", q)) for i in range(3)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    ids = [i for r in results for i in r]
    assert len(ids) == len(set(ids)) == 400
    assert db.counts() == {"leased": 400}


def test_corrupt_database_names_the_file_and_the_fix(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run").ensure()
    run.db.write_bytes(b"this is not SQLite at all\n" * 100)
    with pytest.raises(AlchemyError) as e:
        RunDB.for_run(run)
    msg = str(e.value)
    assert str(run.db) in msg and "is damaged: it is not an SQLite database" in msg
    assert "mv " in msg and "\n" not in msg
    d = tmp_path / "dir.sqlite"
    d.mkdir()
    with pytest.raises(AlchemyError, match="is a directory"):
        RunDB(f"sqlite:///{d}")


def test_any_url_and_an_empty_file(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run").ensure()
    run.db.write_bytes(b"")  # an empty file is an empty SQLite database
    assert RunDB.for_run(run).counts() == {}
    other = tmp_path / "elsewhere" / "jobs.db"
    db = RunDB.for_run(run, f"sqlite:///{other}")
    db.add_mutants([(stored_mutant(1), "pending", None)])
    assert other.exists() and RunDB(f"sqlite:///{other}").counts() == {"pending": 1}
    assert RunDB.for_run(run).counts() == {}


def test_sample_reads_a_kind_from_a_start_id_and_wraps_around(db: RunDB) -> None:
    import dataclasses

    ms = [dataclasses.replace(stored_mutant(i), kind="rw_goal" if i % 2 else "apply_hyp") for i in range(10)]
    db.add_mutants([(m, "pending", None) for m in ms])
    assert db.kinds() == ["apply_hyp", "rw_goal"]
    odd = sorted(m.id for m in ms if m.kind == "rw_goal")
    got = db.sample("rw_goal", 3, start=odd[3])
    assert [m.id for m in got] == [odd[3], odd[4], odd[0]]
    assert all(m.kind == "rw_goal" for m in got)
    assert len(db.sample("apply_hyp", 50)) == 5 and db.sample("rw_hyp", 2) == []


def test_rows_are_read_by_position_in_the_joined_column_order() -> None:
    """`_decode`/`_row_verdict` index rows by position: pin the layout they assume."""
    from lean_alchemy.core.rundb import STORED_COLUMNS, mutant_state_select
    keys = list(mutant_state_select().selected_columns.keys())
    assert tuple(keys[:len(STORED_COLUMNS)]) == STORED_COLUMNS
    assert keys[len(STORED_COLUMNS):] == [
        "rule_library", "proof_status", "relation", "detail", "created_at", "status",
        "source_module", "attempts", "lease_owner",
        "lease_token", "lease_expires", "error_class", "first_error", "elapsed", "backend",
        "lean_version", "mathlib_rev", "checked_at", "axioms"]


def test_encoded_rows_store_exactly_what_add_mutants_stores(tmp_path: Path) -> None:
    rows = [(stored_mutant(i), "pending", None) for i in range(4)] + [(stored_mutant(7), "vacuous", "h : False")]
    a = RunDB.for_run(RunDir.at(tmp_path / "a"))
    b = RunDB.for_run(RunDir.at(tmp_path / "b"))
    try:
        assert a.add_mutants(rows) == 5
        encoded = [(mutant_row(m), status, detail) for m, status, detail in rows]
        assert b.add_mutant_rows(encoded) == 5
        assert b.add_mutant_rows(encoded[:2]) == 0  # idempotent by id, as add_mutants
        assert b.counts() == a.counts() == {"pending": 4, "vacuous": 1}
        for i in (0, 3, 7):
            assert b.get(f"m{i:05d}") == a.get(f"m{i:05d}") == stored_mutant(i)
        assert b.detail("m00007") == "h : False"
    finally:
        a.close()
        b.close()


def test_a_large_insert_enlarges_that_connections_page_cache(db: RunDB, monkeypatch) -> None:
    """Batches of BULK_ROWS rows or more (the mutate stage's) get the bulk page cache, on
    both insert paths; smaller ones keep the default; every row is stored either way."""
    import lean_alchemy.core.rundb as dbmod

    def cache_size() -> int:
        with db._read() as c:
            return c.exec_driver_sql("PRAGMA cache_size").scalar()

    monkeypatch.setattr(dbmod, "BULK_ROWS", 3)
    default = cache_size()
    assert default != -dbmod.BULK_CACHE_KIB
    assert db.add_mutant_rows([(mutant_row(stored_mutant(i)), "pending", None) for i in range(2)],
                              assume_new=True) == 2
    assert cache_size() == default
    assert db.add_mutant_rows([(mutant_row(stored_mutant(i)), "pending", None) for i in range(2, 6)],
                              assume_new=True) == 4
    assert cache_size() == -dbmod.BULK_CACHE_KIB
    assert db.add_mutant_rows([(mutant_row(stored_mutant(i)), "pending", None) for i in range(4, 9)]) == 3
    assert db.counts() == {"pending": 9}


def test_axioms_are_stored_and_old_databases_gain_the_column(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = RunDB(f"sqlite:///{path}")
    db.add_mutants([(stored_mutant(0), "pending", None), (stored_mutant(1), "pending", None)])
    db.close()
    con = sqlite3.connect(path)  # a database made before verdicts carried axioms
    con.execute("ALTER TABLE states DROP COLUMN axioms")
    con.commit()
    con.close()
    db = RunDB(f"sqlite:///{path}")
    db.record_verdicts([Verdict("m00000", "verified", axioms=("propext", "Quot.sound")),
                        Verdict("m00001", "rejected", "uses sorry", axioms=("sorryAx",))])
    assert db.verdict("m00000").axioms == ("propext", "Quot.sound")
    assert db.verdict("m00001").axioms == ("sorryAx",)
    assert dict((v.mutant_id, v.axioms) for _m, v in db.iter_results(None)) == {
        "m00000": ("propext", "Quot.sound"), "m00001": ("sorryAx",)}


def test_plain_mutant_fields_round_trip(tmp_path: Path) -> None:
    """The fields stored as plain columns beside the payload (rule library, proof status,
    relation) are read back with the rest of the record."""
    m = dataclasses.replace(stored_mutant(1), rule_library="Mathlib", proof_status="open",
                            relation="equivalent")
    with RunDB.for_run(RunDir.at(tmp_path / "a")) as db:
        db.add_mutants([(m, "pending", None), (stored_mutant(2), "pending", None)])
        assert db.get(m.id) == m
        assert db.library_counts() == {("Mathlib", "open"): 1, ("", "proved"): 1}


def test_quick_check_is_skipped_only_while_the_file_is_unchanged(tmp_path: Path, monkeypatch) -> None:
    from lean_alchemy.core import rundb_check

    run = RunDir.at(tmp_path / "run")
    with RunDB.for_run(run) as d:
        d.add_mutants([(stored_mutant(i), "pending", None) for i in range(3)])
    calls = []
    real = rundb_check.integrity_problem
    monkeypatch.setattr(rundb_check, "integrity_problem",
                        lambda conn, size: calls.append(size) or real(conn, size))
    RunDB.for_run(run, mode="read").close()
    RunDB.for_run(run, mode="read").close()
    assert len(calls) == 1  # the second open found the file as it passed
    with RunDB.for_run(run, mode="write") as d:
        d.add_mutants([(stored_mutant(7), "pending", None)])
    RunDB.for_run(run, mode="read").close()
    assert len(calls) == 2  # the write changed the database: checked again
