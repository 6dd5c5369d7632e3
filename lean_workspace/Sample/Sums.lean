/-
Sample library of lean-alchemy: theorems written for this project in Mathlib's style, as
input for the demo and the tests. Nothing in it is copied from Mathlib.
-/
import Mathlib.Algebra.BigOperators.Group.Finset.Basic
import Mathlib.Data.Nat.Factorial.Basic
import Mathlib.Tactic.Ring
import Mathlib.Order.Monotone.Basic
import Sample.Basic

/-!
# Triangular numbers, finite sums and factorials

Definitions by pattern matching and proofs by structural recursion (`|` equations), by
`induction`, and with auxiliary lemmas introduced by `where`.
-/

namespace Sample

open Finset
open scoped Nat

/-- The `n`-th triangular number `0 + 1 + ⋯ + n`. -/
def tri : ℕ → ℕ
  | 0 => 0
  | n + 1 => tri n + (n + 1)

section Triangular

attribute [local simp] tri

@[simp]
theorem tri_zero : tri 0 = 0 := rfl

theorem tri_succ (n : ℕ) : tri (n + 1) = tri n + (n + 1) := rfl

theorem tri_one : tri 1 = 1 := by simp

/-- Gauss's formula, proved by recursion on `n` with equation patterns. -/
theorem two_mul_tri : ∀ n : ℕ, 2 * tri n = n * (n + 1)
  | 0 => rfl
  | n + 1 => by
    rw [tri_succ, mul_add, two_mul_tri n]
    ring

theorem tri_add_two (n : ℕ) : tri (n + 1 + 1) = tri n + (2 * n + 3) := aux n
where
  aux (k : ℕ) : tri (k + 1 + 1) = tri k + (2 * k + 3) := by
    rw [tri_succ, tri_succ]
    omega

theorem tri_le_tri_succ (n : ℕ) : tri n ≤ tri (n + 1) := by
  rw [tri_succ]
  omega

theorem tri_mono {m n : ℕ} (h : m ≤ n) : tri m ≤ tri n :=
  monotone_nat_of_le_succ tri_le_tri_succ h

end Triangular

/-- The sum of the first `n + 1` numbers, doubled. -/
theorem two_mul_sum_range (n : ℕ) :
    2 * ∑ i ∈ range (n + 1), i = n * (n + 1) := by
  induction n with
  | zero => simp
  | succ k ih =>
    rw [sum_range_succ, mul_add, ih]
    ring

theorem sum_range_eq_tri (n : ℕ) : ∑ i ∈ range (n + 1), i = tri n := by
  have h₁ := two_mul_sum_range n
  have h₂ := two_mul_tri n
  omega

theorem factorial_pos' (n : ℕ) : 0 < n ! := Nat.factorial_pos n

theorem factorial_succ' (n : ℕ) : (n + 1)! = (n + 1) * n ! := Nat.factorial_succ n

theorem le_factorial_succ (n : ℕ) : n + 1 ≤ (n + 1)! := by
  rw [factorial_succ']
  have h : 1 ≤ n ! := factorial_pos' n
  calc n + 1 = (n + 1) * 1 := (Nat.mul_one _).symm
    _ ≤ (n + 1) * n ! := Nat.mul_le_mul le_rfl h

set_option maxHeartbeats 400000 in
/-- The factorial of `n + 2` in terms of the factorial of `n`. -/
theorem factorial_add_two (n : ℕ) : (n + 1 + 1)! = (n + 1 + 1) * (n + 1) * n ! := by
  rw [Nat.factorial_succ, Nat.factorial_succ]
  ring

end Sample
