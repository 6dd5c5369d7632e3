/-
Sample library of lean-alchemy: theorems written for this project in Mathlib's style, as
input for the demo and the tests. Nothing in it is copied from Mathlib.
-/
import Mathlib.Tactic.Ring
import Mathlib.Tactic.Lemma
import Mathlib.Tactic.Linarith
import Mathlib.Algebra.Order.Ring.Defs

/-!
# Identities in commutative rings

Statements over an arbitrary commutative ring `R`, with the ring supplied by instance
binders from `variable`. The same identities as in `Sample.Basic`, generalised, so that a
rule found in one file invokes candidates in another.
-/

universe u v

namespace Sample.Ring

open Function

variable {R : Type u} [CommRing R]

section Identities

variable (a b c : R)

lemma mul_comm' : a * b = b * a := mul_comm a b

theorem add_mul_self_eq' : (a + b) * (a + b) = a * a + 2 * a * b + b * b := by ring

theorem sq_sub_sq_gen : a ^ 2 - b ^ 2 = (a + b) * (a - b) := by ring

theorem mul_sub_mul' : a * c - b * c = (a - b) * c := by ring

/-- The binomial expansion of a cube. -/
theorem cube_expand :
    (a + b) ^ 3 =
      a ^ 3 + 3 * a ^ 2 * b + 3 * a * b ^ 2 + b ^ 3 := by
  ring

lemma two_mul_gen : 2 * a = a + a := by ring

lemma neg_mul_neg' : -a * -b = a * b := by ring

lemma add_sub_cancel_gen : a + b - b = a := by ring

end Identities

section Hypotheses

variable {x y : R}

theorem sub_eq_zero_of_eq' (h : x = y) : x - y = 0 := by
  rw [h, sub_self]

theorem eq_of_sub_eq_zero' (h : x - y = 0) : x = y := sub_eq_zero.mp h

/-- A rewrite whose right-hand side only makes sense under the hypothesis `h`. -/
theorem mul_eq_of_eq_left (h : x = y) (z : R) : x * z = y * z := by
  rw [h]

end Hypotheses

section Ordered

variable {K : Type v} [CommRing K] [LinearOrder K] [IsStrictOrderedRing K]

theorem sq_nonneg_gen (x : K) : 0 ≤ x ^ 2 := sq_nonneg x

/-- The arithmetic-geometric mean inequality in its polynomial form. -/
theorem two_mul_le_add_sq' (x y : K) : 2 * x * y ≤ x ^ 2 + y ^ 2 := by
  nlinarith [sq_nonneg (x - y)]

theorem add_pos_of_pos_of_nonneg' {x y : K} (hx : 0 < x) (hy : 0 ≤ y) : 0 < x + y := by
  linarith

lemma le_of_sub_nonneg_gen {x y : K} (h : 0 ≤ x - y) : y ≤ x := by
  linarith

end Ordered

section Instances

/-- Named instance binders are kept by the extractor as `[inst : CommRing S]`. -/
theorem sq_eq_mul_self {S : Type u} [inst : CommRing S] (s : S) : s ^ 2 = s * s := by
  ring

end Instances

end Sample.Ring
