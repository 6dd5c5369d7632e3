"""A dependency library and a project that imports it, as Lean source trees: what the
`--rules-from` and open-statement tests run the pipeline on (written here, not copied)."""

from __future__ import annotations

from pathlib import Path

DEPENDENCY = {
    "Dep/Arith.lean": """namespace Dep

def twice (n : Nat) : Nat := n + n

theorem twice_eq_two_mul (n : Nat) : twice n = 2 * n := by
  unfold twice
  omega

theorem add_self_eq_two_mul (n : Nat) : n + n = 2 * n := by
  omega

theorem le_of_lt_succ' {a b : Nat} (h : a < b + 1) : a ≤ b := by
  omega

def rare (x : Nat) : Nat := x

theorem rare_eq (x : Nat) : rare x = x := rfl

theorem rare_add (x y : Nat) : rare (x + y) = rare x + y := by
  simp [rare]

def pick (f : Nat → Nat) : Nat → Nat := f

theorem pick_id : pick id = id := rfl

theorem sorried_lemma (n : Nat) : twice n = n * 2 := by
  sorry

end Dep
""",
}

PROJECT = {
    "Proj/Basic.lean": """import Dep.Arith

open Dep

theorem proj_twice (n : Nat) (h : 0 < n) : twice n + 0 = n + n := by
  simp [twice]

theorem proj_bound (m : Nat) (h : m < 4 + 1) : m + m ≤ 8 := by
  omega

theorem proj_open (k : Nat) (hk : k < 2 + 1) : k + k ≤ 4 := by
  sorry

theorem proj_pick (n : Nat) : pick id n = n := rfl

theorem proj_own (a : Nat) : proj_helper a = a := rfl
""",
    "Proj/Helper.lean": """def proj_helper (a : Nat) : Nat := a

theorem proj_helper_eq (a : Nat) : proj_helper a = a := rfl
""",
}

BENCHMARK = """theorem bench_item (k : Nat) (hk : k < 2 + 1) : k + k ≤ 4 := by
  sorry
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root
