/-
Sample library of lean-alchemy: theorems written for this project in Mathlib's style, as
input for the demo and the tests. Nothing in it is copied from Mathlib.
-/
import Mathlib.Tactic.Lemma
import Mathlib.Tactic.Linarith
import Mathlib.Tactic.Positivity
import Mathlib.Algebra.Group.Nat.Even
import Mathlib.Algebra.Order.Ring.Abs
import Sample.Basic

/-!
# Order facts about doubling and squaring

Implications with explicit hypotheses (`h : 0 < n → ...`) and `↔` statements. The
implications are the `apply` rules of the mutation stage: a hypothesis `h : 0 < n * n`
of another theorem can be replaced by the antecedent `0 < n` of `mul_self_pos_of_pos`.
-/

namespace Sample

section NatOrder

variable {m n k : ℕ}

/-- A positive number has a positive square. -/
theorem mul_self_pos_of_pos (h : 0 < n) : 0 < n * n := by
  nlinarith

theorem lt_double_of_pos (h : 0 < n) : n < double n := by
  unfold double
  omega

theorem le_double (n : ℕ) : n ≤ double n := by
  unfold double
  omega

theorem double_le_double (h : m ≤ n) : double m ≤ double n := by
  unfold double
  omega

theorem double_lt_double_iff : double m < double n ↔ m < n := by
  unfold double
  omega

theorem double_inj (h : double m = double n) : m = n := by
  unfold double at h
  omega

theorem double_eq_zero_iff : double n = 0 ↔ n = 0 := by
  unfold double
  omega

theorem pos_of_double_pos (h : 0 < double n) : 0 < n := by
  unfold double at h
  omega

theorem add_pos_of_pos_left (h : 0 < m) (n : ℕ) : 0 < m + n := by omega

theorem lt_of_add_lt_left' (h : m + k < n) : m < n := by omega

theorem mul_self_le_mul_self' (h : m ≤ n) : m * m ≤ n * n := Nat.mul_le_mul h h

theorem le_of_mul_le_mul_pos (hk : 0 < k) (h : k * m ≤ k * n) : m ≤ n :=
  Nat.le_of_mul_le_mul_left h hk

lemma lt_succ_iff_le' : m < n + 1 ↔ m ≤ n := by omega

lemma sub_eq_zero_iff_le' : m - n = 0 ↔ m ≤ n := by omega

lemma add_le_add_iff_right' : m + k ≤ n + k ↔ m ≤ n := by omega

lemma two_mul_le_two_mul_iff : 2 * m ≤ 2 * n ↔ m ≤ n := by omega

open Nat in
/-- `succ` is monotone in the strict sense, stated with `Nat.succ` opened. -/
theorem succ_le_of_lt' (h : m < n) : succ m ≤ n := succ_le_of_lt h

/-- An `Iff` proved by its two fields, written with `where`. -/
theorem pos_iff_ne_zero' : 0 < n ↔ n ≠ 0 where
  mp h := by omega
  mpr h := by omega

theorem even_double (n : ℕ) : Even (double n) := ⟨n, rfl⟩

/-- Conditional rewrite with two side conditions. -/
theorem sub_sub_cancel'
    (h₁ : k ≤ n) (h₂ : n ≤ m + k) :
    m + k - n + (n - k) = m := by
  omega

end NatOrder

alias ⟨lt_of_double_lt_double, double_lt_double⟩ := double_lt_double_iff

section IntOrder

variable (a b c : ℤ)

lemma int_add_comm' : a + b = b + a := by ring

lemma neg_add_eq_sub' : -a + b = b - a := by ring

theorem sub_nonneg_iff' : 0 ≤ a - b ↔ b ≤ a := by omega

theorem sq_nonneg' : 0 ≤ a ^ 2 := by positivity

theorem abs_mul_self' : |a| * |a| = a * a := abs_mul_abs_self a

set_option linter.unusedVariables false in
theorem le_of_sub_nonneg' {a b : ℤ} (h : 0 ≤ a - b) (hc : 0 ≤ c) : b ≤ a := by
  omega

lemma mul_nonneg_of_nonneg {a b : ℤ} (ha : 0 ≤ a) (hb : 0 ≤ b) : 0 ≤ a * b := by
  nlinarith

/-- A strict inequality between squares from one between the bases, for nonnegative bases. -/
theorem sq_lt_sq_of_lt
    {a b : ℤ} (ha : 0 ≤ a) (h : a < b) :
    a ^ 2 < b ^ 2 := by
  nlinarith

theorem add_lt_add_of_lt_of_le' {a b c d : ℤ} (h₁ : a < b) (h₂ : c ≤ d) :
    a + c < b + d := by
  omega

end IntOrder

end Sample
