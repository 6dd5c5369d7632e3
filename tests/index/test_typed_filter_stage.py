"""The index stage with `typed_filter`: the signature table is stored in the run, and a
rule whose class the candidate's type variable lacks is not matched there.

The library is written here (not Mathlib's text); its classes mirror Mathlib's shape:
`CommGroup` extends `Group` (Mathlib/Algebra/Group/Defs.lean:1312), so a rewrite whose
replacement applies a constant that needs `[CommGroup G]` cannot be used on a `[Group G]`
variable.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lean_alchemy.index.options import IndexOptions

from helpers.benchmarks import load_benchmark
from helpers.lean_text import extracted_run

LIB = """\
namespace Fx

class Semigroup' (G : Type u) extends Mul G where
  assoc : True

class Group' (G : Type u) extends Semigroup' G where
  inv : G → G

class CommGroup' (G : Type u) extends Group' G where
  comm : True

def swapped {G : Type u} [CommGroup' G] (a b : G) : G := b * a

theorem mul_swap {G : Type u} [CommGroup' G] (a b : G) : a * b = swapped a b := by
  rfl

theorem in_group {G : Type u} [Group' G] (x y : G) (h : x = y) : x * y = y * x := by
  subst h; rfl

theorem in_comm_group {G : Type u} [CommGroup' G] (x y : G) (h : x = y) : x * y = y * x := by
  subst h; rfl

end Fx
"""


def _indexed(root: Path, typed: bool):
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.store import iter_invocations, read_rules

    run = extracted_run(root, LIB, "Fx/Basic.lean")
    stats = run_index(run, IndexOptions(jobs=1, max_matches_per_theorem=None,
                                        typed_filter=typed))
    rules = {r.id: r for r in read_rules(run)}
    pairs = {(i.candidate, rules[i.rule_id].lemma) for i in iter_invocations(run)}
    return run, stats.as_dict(), pairs


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    return _indexed(tmp_path_factory.mktemp("typed"), True)


def test_a_commutative_group_lemma_is_not_matched_on_a_group_variable(typed) -> None:
    _, stats, pairs = typed
    assert ("Fx.in_comm_group", "Fx.mul_swap") in pairs
    assert ("Fx.in_group", "Fx.mul_swap") not in pairs
    assert stats["matches_filtered"].get("instance_missing", 0) >= 1


def test_without_the_flag_the_match_is_kept(tmp_path: Path) -> None:
    _, stats, pairs = _indexed(tmp_path, False)
    assert ("Fx.in_group", "Fx.mul_swap") in pairs
    assert "instance_missing" not in stats["matches_filtered"]


def test_the_signature_table_is_stored_with_its_schema(typed) -> None:
    from lean_alchemy.index.typing.signatures import SCHEMA, read_signatures

    run, _, _ = typed
    path = run.root / "signatures.parquet"
    assert pq.read_schema(path).equals(SCHEMA, check_metadata=False)
    sigs = {s.name: s for s in read_signatures(path)}
    assert sigs["Fx.CommGroup'"].kind == "class"
    assert len(sigs["Fx.CommGroup'"].parents) == 1  # `extends Group' G`, read back


def test_explain_shows_the_failed_instance_query(typed) -> None:
    """`alchemy explain` with the run's signature table replays the typed filter: the
    location is refused as `instance_missing`, and the record shows the rule variables'
    inferred types and the query `CommGroup' G` answered *no*; without the table the
    same location is accepted."""
    from lean_alchemy.index.explain import Library, explain, render
    from lean_alchemy.index.typing.classes import ClassTable
    from lean_alchemy.index.typing.signatures import read_signatures

    run, _, _ = typed
    plain = explain(Library(run), "Fx.in_group", "Fx.mul_swap")
    assert any(x["verdict"] == "accepted" for x in plain["locations"])
    lib = Library(run)
    lib.use_typing(ClassTable.build(read_signatures(run.root / "signatures.parquet")))
    data = explain(lib, "Fx.in_group", "Fx.mul_swap")
    refused = [x for x in data["locations"] if x["verdict"] == "filter:instance_missing"]
    assert refused and not any(x["verdict"] == "accepted" for x in data["locations"])
    typing = refused[0]["typing"]
    assert {"query": "CommGroup' G", "answer": "no"} in typing["queries"]
    assert any(v["inferred"] == "G" for v in typing["values"])
    assert "instance CommGroup' G: no" in render(data)


def test_the_cost_benchmark_matches_a_sample_with_and_without_the_filter(typed, capsys) -> None:
    """`benchmarks/typed_cost.py` on this run: the pass with the filter drops the
    commutative-group match the plain pass keeps."""
    import json

    mod = load_benchmark("typed_cost")
    run, _, _ = typed
    assert mod.main([str(run.root), "--sample", "10"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["candidates"] >= 2
    assert got["dropped"]["instance_missing"] >= 1
    assert got["typed_invocations"] < got["plain_invocations"]


def test_the_labelled_set_benchmark_replays_rows_through_the_defaults(typed, tmp_path, capsys
                                                                       ) -> None:
    """`benchmarks/typed_filter.py --defaults`: a row the default index still makes is
    built by the mutation stage (here into another statement than the one labelled), a
    row of a rule that makes nothing is `not_found`."""
    import json

    mod = load_benchmark("typed_filter")
    run, _, _ = typed
    row = {"source_theorem": "Fx.in_group", "rule": "Fx.mul_swap", "direction": "fwd",
           "kind": "rw_goal", "location": "goal", "statement": "(x : G) : x = x",
           "label": "ill_typed", "reason_class": "instance_missing"}
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps(row) + "\n" + json.dumps(dict(row, rule="Fx.nope",
                                                               label="elaborates")) + "\n")
    assert mod.main([str(run.root), str(labels), "--defaults", "--items"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["labelled"] == 2
    assert [x["pipeline"] for x in got["items"]] == ["reprinted", "not_found"]
    assert got["pipeline"]["ill_typed"]["states"] == {"reprinted": 1}
