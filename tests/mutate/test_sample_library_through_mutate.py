"""End to end on the bundled sample library: extract -> index -> mutate -> run database."""

from __future__ import annotations

from pathlib import Path

import pytest

from lean_alchemy.core.rundir import RunDir

from helpers.benchmarks import load_benchmark

WORKSPACE = Path(__file__).resolve().parents[2] / "lean_workspace"


@pytest.fixture(scope="module")
def mutated(tmp_path_factory):
    for mod in ("lean_alchemy.grammar.printer", "lean_alchemy.grammar.statements",
                "lean_alchemy.index.driver", "lean_alchemy.core.rundb"):
        pytest.importorskip(mod)
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.extract.options import ExtractOptions
    from lean_alchemy.extract.pipeline import run_extract
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import run_mutate

    run = RunDir.at(tmp_path_factory.mktemp("e2e") / "run")
    run_extract(WORKSPACE, run, ExtractOptions(jobs=1, progress=False))
    run_index(run, IndexOptions())
    stats = run_mutate(run, MutateOptions(max_per_theorem=None))
    again = run_mutate(run, MutateOptions(max_per_theorem=None))
    return run, stats, again


def _rows(run: RunDir):
    from lean_alchemy.core.rundb import RunDB

    out = []
    for item in RunDB.for_run(run).iter_mutants(statuses=None):
        out.append(item[0] if isinstance(item, tuple) else item)
    return out


def test_every_kind_is_produced(mutated):
    run, stats, _ = mutated
    for kind in ("rw_goal", "rw_hyp", "apply_hyp"):
        assert stats.mutants.get(kind, 0) > 0, stats
    assert stats.seconds >= 0 and run.stats_path("mutate").exists()


def test_rerun_is_idempotent(mutated):
    _, stats, again = mutated
    assert again.new_rows == 0
    assert again.mutants_total == stats.mutants_total


def test_stored_mutants_are_complete_check_units(mutated):
    run, stats, _ = mutated
    rows = _rows(run)
    assert len(rows) == stats.mutants_total
    for m in rows:
        assert "sorry" not in m.proof and "admit" not in m.proof
        assert m.lean.startswith("section\n") and m.lean.rstrip().endswith("end")
        assert "set_option autoImplicit false" in m.header
        assert "set_option maxHeartbeats 400000 in\ntheorem " in m.lean
        assert m.imports and m.imports[0].startswith("Sample")


def test_every_stored_mutant_reparses_to_its_fingerprint(mutated):
    from lean_alchemy.extract.fileparse import extract_text
    from lean_alchemy.extract.pipeline import annotate_all
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.mutate.fingerprint import fingerprint_statement

    run, _, _ = mutated
    for m in _rows(run):
        res = annotate_all(extract_text(m.lean, module="Check", file="Check.lean"))
        (d,) = [x for x in res.declarations if x.is_candidate]
        assert d.parse_status == "full", (m.lean, d.parse_error)
        assert fingerprint_statement(tuple(decl_binders(d)), decl_conclusion(d)) == m.id, m.lean


def _scopes(run: RunDir):
    from lean_alchemy.extract import store

    return store.read_scopes(run)


def test_stored_section_binders_are_exactly_the_parse(mutated):
    """The index stage stores the section binders of every candidate's scope, each equal
    to what parsing the scope gives (the mutation stage reads them instead of parsing)."""
    from lean_alchemy.extract import store
    from lean_alchemy.index.sections import read_section_binders
    from lean_alchemy.grammar.statements import loads_binders, scope_binders

    run, stats, _ = mutated
    scopes = _scopes(run)
    stored = read_section_binders(run, scopes)
    wanted = {d.scope_id for d in store.read_declarations(run) if d.is_candidate}
    assert set(stored) == wanted and stats.stored_section_binders == len(wanted)
    assert sum(1 for js in stored.values() if js != "[]") >= 3  # `variable` lines parsed
    for scope_id, js in stored.items():
        assert loads_binders(js) == scope_binders(scopes[scope_id]), scope_id


def test_mutate_parses_section_binders_when_none_are_stored(mutated, tmp_path):
    """A run indexed before section binders were stored (or with a stale file) is mutated
    by parsing them: the same rows and counters."""
    import shutil

    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import run_mutate

    run, stats, _ = mutated
    old = RunDir.at(tmp_path / "old")
    shutil.copytree(run.root, old.root, ignore=shutil.ignore_patterns("run.sqlite*"))
    old.section_binders.unlink()
    again = run_mutate(old, MutateOptions(max_per_theorem=None))
    assert again.stored_section_binders == 0
    skip = {"seconds", "peak_rss_mb", "stored_section_binders", "versions"}
    assert {k: v for k, v in again.as_dict().items() if k not in skip} == \
        {k: v for k, v in stats.as_dict().items() if k not in skip}
    key = lambda m: (m.id, m.lean, m.proof, m.features)  # noqa: E731
    assert sorted(map(key, _rows(old))) == sorted(map(key, _rows(run)))


def test_mutate_benchmark_reports_cpu_seconds_and_machine(tmp_path, capsys):
    """`benchmarks/mutate.py --index` on the sample: the figures the issue asks for, plus
    CPU seconds per stage (the workers' included) and the machine they were taken on."""
    import json

    from lean_alchemy.extract.options import ExtractOptions
    from lean_alchemy.extract.pipeline import run_extract

    run = RunDir.at(tmp_path / "run")
    run_extract(WORKSPACE, run, ExtractOptions(jobs=1, progress=False))
    bench = load_benchmark("mutate")
    assert bench.main([str(run.root), "--index", "--jobs", "2", "--examples", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    stats = json.loads(run.stats_path("mutate").read_text())
    assert out["mutants"] == stats["mutants"] and out["mutants_total"] > 0
    assert set(out["mutants"]) == {"rw_goal", "rw_hyp", "apply_hyp"}
    # `--index` ran the index stage; times are rounded to 0.1 s, and the sample's can round
    # to 0, so only their consistency is checked (speed belongs in the benchmark, not here)
    assert run.stats_path("index").exists()
    assert out["seconds_total"] >= out["seconds_index"] >= 0
    cpu = out["cpu_seconds"]
    assert cpu["index"] >= 0 and cpu["mutate"] >= 0
    assert cpu["total"] == pytest.approx(cpu["index"] + cpu["mutate"], abs=0.11)
    assert out["machine"]["cores"] >= 1 and out["machine"]["cpu"]
    assert len(out["examples"]) == 3 and all("theorem " in e["lean"] for e in out["examples"])


def test_extract_benchmark_reports_coverage_on_the_sample(tmp_path, capsys):
    """`benchmarks/extract.py` on the sample: it reads the stage's stats and prints its
    figures (it once read the stats object as a dict and failed after the extraction)."""
    import json

    bench = load_benchmark("extract")
    run_dir = tmp_path / "run"
    assert bench.main([str(WORKSPACE), "-j", "1", "--run-dir", str(run_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    stats = json.loads((run_dir / "extract.stats.json").read_text())
    assert out["files"] == stats["files"] > 0
    assert out["all_declarations"] == stats["declarations"] >= out["declarations"] > 0
    assert 0 < out["coverage"] <= 1
