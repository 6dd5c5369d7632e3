"""Open statements end to end: a theorem proved by `sorry` is mutated only with
`open_statements`, its mutants are exact statements with proof `sorry`, exported apart
(`RUN/statements/`), never among the proved rows, and a benchmark listed for
decontamination keeps its own statements and their mutants out of every split."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lean_alchemy.core.records import Verdict
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.corpus.build import run_corpus
from lean_alchemy.corpus.options import CorpusOptions
from lean_alchemy.corpus.statements import run_statements, statements_dir
from lean_alchemy.extract.options import ExtractOptions
from lean_alchemy.extract.pipeline import run_extract
from lean_alchemy.index.driver import run_index
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.pipeline import run_mutate

from helpers.downstream import BENCHMARK, DEPENDENCY, PROJECT, write_tree

QUIET = dict(jobs=1, progress=False)
ALL_TRAIN = dict(train_fraction=1.0, validation_fraction=0.0, test_fraction=0.0, stats=False)


def _project(base: Path, open_statements: bool) -> RunDir:
    dep = RunDir.at(base / "dep-run")
    if not dep.rules.exists():
        run_extract(write_tree(base / "dep", DEPENDENCY), dep, ExtractOptions(**QUIET))
        run_index(dep, IndexOptions(**QUIET))
    run = RunDir.at(base / f"proj-run-{open_statements}")
    run_extract(write_tree(base / "proj", PROJECT), run, ExtractOptions(**QUIET))
    run_index(run, IndexOptions(rules_from=(str(dep.root),), **QUIET))
    run_mutate(run, MutateOptions(jobs=1, refute=False, open_statements=open_statements))
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[RunDir, RunDir]:
    base = tmp_path_factory.mktemp("open")
    return _project(base, False), _project(base, True)


def _mutants(run: RunDir):
    with RunDB.for_run(run, mode="read") as db:
        return list(db.iter_mutants())


def test_sorried_theorems_are_mutated_only_with_open_statements(runs) -> None:
    closed, opened = runs
    assert not [m for m in _mutants(closed) if m.source_theorem == "proj_open"]
    stats = json.loads(closed.stats_path("mutate").read_text())
    assert stats["dropped"]["sorry_in_original"] > 0
    ms = [m for m in _mutants(opened) if m.source_theorem == "proj_open"]
    assert ms and all(m.proof_status == "open" and m.proof == "sorry" for m in ms)
    assert all(m.lean.split(":=", 1)[1].split()[0] == "sorry" for m in ms)
    assert {m.relation for m in ms} <= {"equivalent", "implied_by_source"}
    from lean_alchemy.index.store import read_rules
    conditional = {r.lemma for run in (RunDir.at(opened.root.parent / "dep-run"), opened)
                   for r in read_rules(run) if r.side_conditions}
    assert all(m.relation == ("implied_by_source" if m.kind == "apply_hyp"
                              or m.rule in conditional else "equivalent") for m in ms)
    # the proved theorems' mutants are unchanged by the option
    proved = {m.id for m in _mutants(opened) if m.proof_status == "proved"}
    assert proved == {m.id for m in _mutants(closed)}


def test_open_statements_are_exported_apart_from_proved_rows(runs) -> None:
    _closed, run = runs
    opts = CorpusOptions(**ALL_TRAIN)
    run_corpus(run, opts, unchecked=True)
    rows = pq.read_table(run.unchecked_dir / "data").to_pylist()
    assert rows and all(r["proof_status"] == "proved" for r in rows)
    run_statements(run, opts, unchecked=True)
    got = pq.read_table(statements_dir(run, unchecked=True) / "data").to_pylist()
    n_open = sum(m.proof_status == "open" for m in _mutants(run))
    assert len(got) == n_open > 0
    assert all(r["proof_status"] == "open" and r["proof"] == "sorry" and not r["checked"]
               for r in got)
    assert (statements_dir(run, unchecked=True) / "README.md").exists()  # the same card


def test_statement_ok_rows_make_the_checked_statements_export(runs) -> None:
    _closed, run = runs
    opened = [m for m in _mutants(run) if m.proof_status == "open"]
    with RunDB.for_run(run) as db:
        db.record_verdicts([Verdict(mutant_id=opened[0].id, status="statement_ok",
                                    backend="repl")])
    opts = CorpusOptions(**ALL_TRAIN)
    stats = run_statements(run, opts)
    assert stats is not None and stats.rows == 1
    got = pq.read_table(statements_dir(run) / "data").to_pylist()
    assert [(r["id"], r["checked"]) for r in got] == [(opened[0].id, True)]
    run_corpus(run, opts)  # the proved corpus never holds a statement_ok row
    assert not (run.corpus_dir / "data").exists() or opened[0].id not in {
        r["id"] for r in pq.read_table(run.corpus_dir / "data").to_pylist()}


def test_a_benchmark_listed_for_decontamination_never_reaches_train(runs, tmp_path: Path
                                                                    ) -> None:
    _closed, run = runs
    bench = tmp_path / "bench.lean"
    bench.write_text(BENCHMARK)
    run_statements(run, CorpusOptions(**ALL_TRAIN), unchecked=True)
    before = pq.read_table(statements_dir(run, unchecked=True) / "data").to_pylist()
    from_bench = sum(r["source_theorem"] == "proj_open" and r["split"] == "train"
                     for r in before)
    assert from_bench > 0  # without decontamination they are training rows
    opts = CorpusOptions(decontam_files=(str(bench),), **ALL_TRAIN)
    stats = run_statements(run, opts, unchecked=True)
    got = pq.read_table(statements_dir(run, unchecked=True) / "data").to_pylist()
    assert not [r for r in got if r["source_theorem"] == "proj_open"]
    assert stats.dropped["contaminated/source"] == from_bench
    # the proved export drops nothing of the other theorems
    base = run_corpus(run, CorpusOptions(**ALL_TRAIN), unchecked=True).rows
    assert run_corpus(run, opts, unchecked=True).rows == base


def test_a_rule_with_an_unrecognised_hypothesis_makes_no_open_statement() -> None:
    """`(pp : Prime p)` not listed as a side condition: a proved mutant's check would catch
    the missing argument, an open statement's cannot, so none is built from it."""
    from helpers.lean_text import make_rule
    from lean_alchemy.mutate.mutator import unlisted_hypotheses

    listed = make_rule("L.dvd_iff", "iff", "{p q : Nat} (pp : Nat.Prime p)", "p ∣ q", "p = q",
                       hyps=("Nat.Prime p",))
    assert not unlisted_hypotheses(listed)
    unlisted = dataclasses.replace(listed, side_conditions=())
    assert unlisted_hypotheses(unlisted)
    plain = make_rule("L.add_comm", "eq", "(a b : Nat)", "a + b", "b + a")
    assert not unlisted_hypotheses(plain)
