"""`alchemy explain` (every stage's verdict for one candidate and one rule lemma) and the
recall benchmark built on it (`benchmarks/recall.py`)."""

from __future__ import annotations

import json

import pytest

from lean_alchemy.index.options import IndexOptions

from helpers.benchmarks import load_benchmark
from helpers.lean_text import extracted_run


LIB = """\
import Mathlib.Algebra.Group.Basic

namespace Demo

theorem add_zero' (a : ℕ) : a + 0 = a := Nat.add_zero a

theorem mul_zero' (a : ℕ) : a * 0 = 0 := Nat.mul_zero a

theorem real_add_zero (x : ℝ) : x + 0 = x := by simp

theorem goal_case (x y : ℕ) : (x + 0) * y = x * y := by
  rw [add_zero']

theorem typed_case (r : ℝ) : r + 0 = r := by
  rw [Demo.add_zero']

theorem bound_case : ∀ z : ℕ, z + 0 = z := by
  rw [add_zero']

theorem back_case (x : ℕ) : x = x + 0 := by
  rw [← add_zero' x]

theorem hyp_only (x : ℕ) (h : x + 0 = 1) : x = 1 := by
  rw [add_zero'] at h
  exact h

theorem local_rw (x : ℕ) (h : x = 1) : x + 0 = 1 := by
  rw [h]

theorem many (a b c d e : ℕ) : a + 0 + (b + 0) + (c + 0) + (d + 0) = a + b + c + d := by
  rw [add_zero']

end Demo
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from lean_alchemy.index.driver import run_index

    r = extracted_run(tmp_path_factory.mktemp("explain"), LIB)
    run_index(r, IndexOptions(jobs=1, max_matches_per_theorem=3))
    return r


def _explain(run, cand, rule, direction=None, **kw):
    from lean_alchemy.index.explain import Library, explain

    return explain(Library(run), cand, rule, direction, **kw)


def test_kept_pair_shows_the_substitution(run):
    got = _explain(run, "Demo.goal_case", "Demo.add_zero'", "fwd")
    assert got["accepted"] and got["kept"] and got["rejected_by"] is None
    (loc,) = got["locations"]
    assert loc["instance"] == "x + 0" and loc["subst"] == {"a": "x"}
    assert loc["kind"] == "rw_goal" and loc["verdict"] == "accepted"


def test_an_accepted_location_gives_the_index_s_own_invocation(run):
    """With `invocations=True` an accepted location holds the records the index stored
    for it (`RUN/invocations.parquet`), field for field, and the output the rules by id:
    the mutation stage can be replayed on them."""
    from lean_alchemy.index.store import iter_invocations

    got = _explain(run, "Demo.goal_case", "Demo.add_zero'", "fwd", invocations=True)
    (loc,) = got["locations"]
    (inv,) = loc["invocations"]
    stored = [i for i in iter_invocations(run) if i.candidate == "Demo.goal_case"
              and i.rule_id == inv.rule_id]
    assert stored == [inv]
    assert got["rules"][inv.rule_id].lemma == "Demo.add_zero'"
    assert "invocations" not in _explain(run, "Demo.goal_case", "Demo.add_zero'",
                                         "fwd")["locations"][0]


def test_dropped_rule_names_the_reason(run):
    got = _explain(run, "Demo.back_case", "Demo.add_zero'", "bwd")
    assert got["rejected_by"] == "rule_dropped:bare_variable"
    assert not got["accepted"] and not got["kept"] and got["locations"] == []


def test_type_filter_shows_the_types_compared(run):
    got = _explain(run, "Demo.typed_case", "Demo.add_zero'", "fwd")
    assert got["rejected_by"] == "filter:type_mismatch"
    (loc,) = got["locations"]
    assert loc["types"]["equation_type"] == "ℕ"
    assert loc["types"]["variables"]["a"]["value_type"] == ["ℝ", True]


def test_under_binder_and_no_skeleton_hit(run):
    got = _explain(run, "Demo.bound_case", "Demo.add_zero'", "fwd")
    assert got["rejected_by"] == "under_binder"
    got = _explain(run, "Demo.goal_case", "Demo.mul_zero'", "fwd")
    assert got["rejected_by"] == "no_skeleton_hit"


def test_cap_reports_sampling(run):
    got = _explain(run, "Demo.many", "Demo.add_zero'", "fwd")
    assert got["accepted"] and got["cap"] == 3 and got["candidate_invocations"] == 3
    kept = [x for x in got["locations"] if x["kept"]]
    assert got["kept"] == bool(kept)
    dropped = [x for x in got["locations"] if x["verdict"] == "accepted" and not x["kept"]]
    assert len(dropped) == 4 - len(kept)  # four instances accepted, three kept at most


def test_cli_json_and_text(run, capsys):
    from lean_alchemy.cli.main import main

    assert main(["explain", "Demo.goal_case", "Demo.add_zero'", "--run-dir",
                 str(run.root), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"accepted", "kept", "rejected_by", "locations"} <= set(data)
    assert main(["explain", "Demo.typed_case", "Demo.add_zero'", "--run-dir",
                 str(run.root)]) == 0
    out = capsys.readouterr().out
    assert "filter:type_mismatch" in out and "a: rule ℕ vs value ['ℝ', True]" in out
    assert main(["explain", "Demo.nope", "Demo.add_zero'", "--run-dir", str(run.root)]) != 0


# --------------------------------------------------------------------------- recall

def _recall():
    return load_benchmark("recall")


@pytest.mark.parametrize("proof, want", [
    ("by\n  rw [add_zero']", ("add_zero'", "fwd", False)),
    ("by rw [← foo x y, bar]\n  simp", ("foo", "bwd", True)),
    ("by rw [<- foo]", ("foo", "bwd", False)),
    ("by rw [foo , bar x]", ("foo", "fwd", False)),
    ("by rwa [Nat.foo (a := 1)]", ("Nat.foo", "fwd", True)),
    ("by rewrite [foo]; simp", ("foo", "fwd", False)),
    ("by rw [foo] at h", None),
    ("by rw [foo] at h ⊢", None),
    ("by rw [(foo x).symm]", None),
    ("by simp [foo]", None),
    ("foo.trans bar", None),
    ("by\n  intro x\n  rw [foo]", None),
])
def test_first_rewrite(proof, want):
    assert _recall().first_rewrite(proof) == want


def test_recall_on_a_run(run):
    got = _recall().measure(run, sample=5)
    # positives: goal_case, typed_case, bound_case, back_case and many (not hyp_only:
    # `at h`; not local_rw: `h` is a binder)
    assert got["positives"] == 5
    assert got["hits"] == 2  # goal_case and many (its quota keeps three of four)
    misses = {m["candidate"]: m["rejected_by"] for m in got["misses"]}
    assert misses["Demo.typed_case"] == "filter:type_mismatch"
    assert misses["Demo.back_case"] == "rule_dropped:bare_variable"
    assert misses["Demo.bound_case"] == "under_binder"
    assert got["misses_by_stage"]["filter"] == {"total": 1, "type_mismatch": 1}
    from collections import Counter

    from lean_alchemy.index.store import iter_invocations

    kept = Counter(i.candidate for i in iter_invocations(run))
    names = ["goal_case", "typed_case", "bound_case", "back_case", "many"]
    below = [n for n in names if kept[f"Demo.{n}"] < 3]
    assert "typed_case" in below and "many" not in below
    assert got["below_cap"] == len(below)
    assert got["recall_below_cap"] == round(("goal_case" in below) / len(below), 4)
    # back_case alone passes an argument (`rw [← add_zero' x]`)
    apart = got["by_arguments"]
    assert apart["with_arguments"]["positives"] == 1
    assert apart["with_arguments"]["hits"] == 0
    assert apart["without_arguments"]["positives"] == 4
    assert apart["without_arguments"]["hits"] == 2
    assert apart["without_arguments"]["below_cap"] + apart["with_arguments"]["below_cap"] \
        == got["below_cap"]


def test_recall_rematch_agrees_with_the_run(run):
    # re-matching the positives' candidates against the run's rules with the same code
    # reproduces what the index kept (same rules order, cap and options)
    bench = _recall()
    read, again = bench.measure(run, sample=5), bench.measure(run, sample=5, rematched=True)
    assert again["rematched"] and not read["rematched"]
    for key in ("positives", "hits", "below_cap", "hits_below_cap", "misses_by_stage"):
        assert again[key] == read[key], key


TYPED_LIB = """\
class MyGroup (G : Type) where
  inv : G → G

namespace Demo2

def double {G : Type} (a : G) : G := a

theorem double_eq {G : Type} [MyGroup G] (a : G) : double a = MyGroup.inv (MyGroup.inv a) :=
  rfl

theorem ok_case {G : Type} [MyGroup G] (b : G) : double b = b := by
  rw [double_eq]

theorem bad_case (n : ℕ) : double n = n := by
  rw [double_eq]

end Demo2
"""


def test_recall_hits_replayed_with_the_typed_filter(tmp_path):
    """Both rewrites are hits of the index (filter off); with the typed filter on, the one
    that would need `MyGroup ℕ` (no instance: ℕ's head is concrete) is refused, the one
    on a `[MyGroup G]` variable is kept, and the cost in recall follows."""
    from lean_alchemy.index.driver import run_index

    r = extracted_run(tmp_path, TYPED_LIB)
    run_index(r, IndexOptions(jobs=1))
    got = _recall().measure(r, sample=0, typed_sample=10)
    assert got["positives"] == 2 and got["hits"] == 2
    typed = got["typed_filter"]
    assert typed["sampled_hits"] == 2
    assert typed["verdicts"] == {"kept": 1, "filter:instance_missing": 1}
    assert typed["refused_share"] == 0.5 and typed["recall_any_cost"] == 0.5
    assert [x["candidate"] for x in typed["refused"]] == ["Demo2.bad_case"]
    assert (r.root / "signatures.parquet").exists()


RECEIVERS = """\
namespace Rv

structure Box (α : Type) where
  lo : α

structure Tag (α : Type) where
  v : α

def Tag.size {α : Type} (t : Tag α) : ℕ := 0

def Box.self {α : Type} (b : Box α) : Box α := b

def Box.toTag {α : Type} (b : Box α) : Tag α := ⟨b.lo⟩

theorem Tag.size_def {α : Type} (t : Tag α) : t.size = 0 := rfl

theorem on_box (b : Box ℕ) : b.self.size = 0 := sorry

theorem on_tag (b : Box ℕ) : b.toTag.size = 0 := sorry

end Rv
"""


def test_explain_refuses_a_receiver_of_another_structure_as_the_index_does(tmp_path):
    """A receiver that applies a definition takes that definition's result head, in the
    index and in `alchemy explain` alike: `b.self` is a `Box`, so `b.self.size` is no
    `Tag.size`; `b.toTag` is a `Tag`."""
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.store import iter_invocations, read_rules

    r = extracted_run(tmp_path, RECEIVERS, "Rv/Basic.lean")
    run_index(r, IndexOptions(jobs=1))
    lemmas = {x.id: x.lemma for x in read_rules(r)}
    pairs = {(i.candidate, lemmas[i.rule_id]) for i in iter_invocations(r)}
    assert ("Rv.on_tag", "Rv.Tag.size_def") in pairs
    assert ("Rv.on_box", "Rv.Tag.size_def") not in pairs
    assert _explain(r, "Rv.on_tag", "Rv.Tag.size_def", "fwd")["accepted"]
    got = _explain(r, "Rv.on_box", "Rv.Tag.size_def", "fwd")
    assert got["rejected_by"] == "filter:receiver_mismatch"
