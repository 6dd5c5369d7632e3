"""No rule comes from an unproved lemma: one proved by `sorry`, an `axiom`, or one whose
proof uses either (followed through `proof_uses` edges to a fixpoint).

Why: Lean accepts a proof that uses a sorry'd lemma with a warning at most, so mutants
rewritten with such a rule would "verify" on nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from lean_alchemy.core.records import Declaration
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.driver import run_index
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.index.unproved import directly_unproved, unproved_declarations

from helpers.lean_text import extracted_run

LIBRARY = """namespace Lib

def dbl (n : Nat) : Nat := n + n

theorem dbl_eq_proved (n : Nat) : dbl n = n + n := rfl

theorem dbl_eq_sorried (n : Nat) : dbl n = 2 * n := by
  sorry

theorem dbl_eq_from_sorried (n : Nat) : dbl n = n * 2 := by
  rw [dbl_eq_sorried, Nat.mul_comm]

axiom dbl_pos_oracle (n : Nat) : 0 < dbl (n + 1)

theorem dbl_pos_from_oracle (n : Nat) : 0 < dbl (n + 1) + 0 := by
  simpa using dbl_pos_oracle n

theorem target (n : Nat) (h : 0 < n) : dbl n + 0 = n + n := by
  simp [dbl]

end Lib
"""


def indexed_library(tmp_path: Path, **index_opts) -> tuple[RunDir, dict]:
    run = extracted_run(tmp_path, LIBRARY, "Lib/Basic.lean")
    run_index(run, IndexOptions(jobs=1, progress=False, **index_opts))
    return run, json.loads(run.stats_path("index").read_text())


def test_no_rule_comes_from_an_unproved_lemma(tmp_path: Path) -> None:
    run, stats = indexed_library(tmp_path)
    lemmas = set(pq.read_table(run.rules, columns=["lemma"])["lemma"].to_pylist())
    assert "Lib.dbl_eq_proved" in lemmas
    assert not lemmas & {"Lib.dbl_eq_sorried", "Lib.dbl_eq_from_sorried",
                         "Lib.dbl_pos_oracle", "Lib.dbl_pos_from_oracle"}
    assert stats["dropped"]["unproved_rule"] >= 4
    used = set(pq.read_table(run.root / "invocations.parquet", columns=["rule_id"])
               ["rule_id"].to_pylist())
    rule_ids = dict(zip(*pq.read_table(run.rules, columns=["id", "lemma"]).to_pydict().values()))
    assert used and used <= set(rule_ids)  # every invocation's rule is a kept rule


def test_without_proof_uses_edges_only_the_directly_unproved_are_left_out(tmp_path: Path
                                                                          ) -> None:
    run, stats = indexed_library(tmp_path, proof_uses=False)
    lemmas = set(pq.read_table(run.rules, columns=["lemma"])["lemma"].to_pylist())
    assert "Lib.dbl_eq_from_sorried" in lemmas
    assert not lemmas & {"Lib.dbl_eq_sorried", "Lib.dbl_pos_oracle"}


def decl(name: str, proof: str | None, kind: str = "theorem") -> Declaration:
    return Declaration(full_name=name, name=name, kind=kind, module="M", file="M.lean",
                       start_line=1, end_line=1, proof=proof)


def test_unproved_follows_proof_uses_to_a_fixpoint() -> None:
    decls = [decl("a", "by sorry"), decl("b", "a"), decl("c", "b"), decl("d", "rfl"),
             decl("ax", None, kind="axiom"), decl("e", "-- sorry in a comment\n  rfl")]
    assert directly_unproved(decls) == {"a", "ax"}
    uses = [("b", "a"), ("c", "b"), ("d", "e")]
    assert unproved_declarations(decls, uses) == {"a", "b", "c", "ax"}
