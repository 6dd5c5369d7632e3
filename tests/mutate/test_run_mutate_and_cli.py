"""`run_mutate` and the CLI on a real run directory over the golden library, with stand-ins
for the index and the run database (their own stages are tested elsewhere;
test_sample_library_through_mutate.py uses the real ones)."""

from __future__ import annotations

import json

import pytest

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.store import invocations_path, invocations_table, rules_table

from helpers.golden_library import CASES, RULES, SNIPPET
from helpers.lean_text import extract, invocation


class FakeDB:
    rows: dict = {}
    progress: dict | None = None

    @classmethod
    def for_run(cls, run):
        return cls()

    def add_mutant_rows(self, rows, assume_new=False, progress=None):
        """Rows encoded by this module's `mutant_row`: the Mutant itself."""
        new = self.add_mutants(rows)
        if progress is not None:
            FakeDB.progress = progress(new)
        return new

    def mutate_progress(self):
        return FakeDB.progress

    def clear_mutate_progress(self):
        FakeDB.progress = None

    def mutant_ids(self):
        return iter(sorted(FakeDB.rows))

    def close(self):
        pass

    def has_mutants(self):
        return bool(FakeDB.rows)

    def add_mutants(self, rows):
        new = 0
        for m, status, detail in rows:
            if m.id not in FakeDB.rows:
                FakeDB.rows[m.id] = (m, status, detail)
                new += 1
        return new


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    pytest.importorskip("lean_alchemy.grammar.printer")
    from lean_alchemy.extract import store

    decls, scopes = extract(SNIPPET)
    root = tmp_path_factory.mktemp("stage")
    run = RunDir.at(root / "run").ensure()
    store.write_declarations(run, decls.values())
    store.write_scopes(run, scopes.values())
    rules = {k: f() for k, f in RULES.items()}
    invs = []
    for case, (thm, rule_key, kind, loc, instance, subst) in sorted(CASES.items()):
        invs.append(invocation(decls[thm], rules[rule_key], kind, loc, instance, subst))
    invs.sort(key=lambda i: i.candidate)
    # the index's tables, written from the hand-made rules and invocations
    store.write_parquet(run.rules, rules_table(list(rules.values())))
    store.write_parquet(invocations_path(run), invocations_table(invs))
    return run


@pytest.fixture
def run_dir(inputs, monkeypatch):
    from lean_alchemy.mutate import pipeline

    FakeDB.rows = {}
    FakeDB.progress = None
    monkeypatch.setattr(pipeline, "RunDB", FakeDB)
    monkeypatch.setattr(pipeline, "mutant_row", lambda m, base_body="": m)
    return inputs


def test_run_mutate_writes_rows_and_stats(run_dir):
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import run_mutate

    stats = run_mutate(run_dir, MutateOptions())
    assert +stats.mutants == {"apply_hyp": 1, "rw_goal": 3, "rw_hyp": 2}
    assert stats.mutants_total == len(FakeDB.rows) == 6 == stats.new_rows
    assert stats.invocations == 6 and stats.candidates == 6
    on_disk = json.loads(run_dir.stats_path("mutate").read_text())
    assert on_disk["mutants"] == +stats.mutants and "versions" in on_disk
    assert json.loads(json.dumps(stats.as_dict())) == \
        {k: v for k, v in on_disk.items() if k != "versions"}
    assert {s for _, s, _ in FakeDB.rows.values()} <= {"pending", "refuted", "vacuous"}
    stored = dict(FakeDB.rows)
    again = run_mutate(run_dir, MutateOptions())  # a finished stage: nothing is redone
    assert FakeDB.rows == stored and again.new_rows == 0
    assert again.as_dict() | {"seconds": 0, "peak_rss_mb": 0, "new_rows": 0} == \
        stats.as_dict() | {"seconds": 0, "peak_rss_mb": 0, "new_rows": 0}
    other = run_mutate(run_dir, MutateOptions(seed=1))  # new options: mutated again
    assert other.new_rows < other.mutants_total and other.candidates == stats.candidates


def test_cli_maps_flags_onto_options(run_dir, capsys):
    from lean_alchemy.cli.main import main

    assert main(["mutate", "--run-dir", str(run_dir.root), "--proof-style", "invoke",
                 "--no-refute", "--max-per-theorem", "5", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "6 mutants (6 pending" in out
    stats = json.loads(run_dir.stats_path("mutate").read_text())
    assert stats["options"]["proof_style"] == "invoke" and stats["options"]["refute"] is False
    assert all(m.proof_style == "invoke" for m, _, _ in FakeDB.rows.values())


def test_missing_inputs_name_the_stage_to_run(tmp_path):
    from lean_alchemy.cli.main import main

    assert main(["mutate", "--run-dir", str(tmp_path / "nothing")]) == 2


def test_bad_options_are_clear_errors():
    from lean_alchemy.core.errors import AlchemyError
    from lean_alchemy.mutate.options import MutateOptions

    with pytest.raises(AlchemyError, match="depth"):
        MutateOptions(depth=0)
    with pytest.raises(AlchemyError, match="proof_style"):
        MutateOptions(proof_style="magic")  # type: ignore[arg-type]
