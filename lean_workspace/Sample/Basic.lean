/-
Sample library of lean-alchemy: theorems written for this project in Mathlib's style, as
input for the demo and the tests. Nothing in it is copied from Mathlib.
-/
module

public import Mathlib.Tactic.Ring
public import Mathlib.Tactic.Linarith

/-!
# Basic identities on `ℕ` and `ℤ`

Small equations about addition, multiplication and doubling. They are deliberately
simple: the mutation stage rewrites other sample theorems with them (left to right and
right to left), so every left-hand side here also occurs in some other statement.

## Main declarations

* `Sample.double`: twice a natural number.
* `Sample.double_eq_two_mul`: `double n = 2 * n`.
* `Sample.sq_sub_sq'`: difference of squares over `ℤ`.
-/

@[expose] public section

namespace Sample

/-- Twice a natural number, defined by addition so that `double_eq_two_mul` has content. -/
def double (n : ℕ) : ℕ := n + n

/-- Commutativity of addition on `ℕ`, restated so that it can be used as a rewrite rule. -/
theorem my_add_comm (a b : ℕ) : a + b = b + a := Nat.add_comm a b

theorem my_add_assoc (a b c : ℕ) : a + b + c = a + (b + c) := Nat.add_assoc a b c

theorem my_mul_comm (a b : ℕ) : a * b = b * a := Nat.mul_comm a b

/-- Doubling is multiplication by two. -/
theorem double_eq_two_mul (n : ℕ) : double n = 2 * n := by
  unfold double
  omega

theorem double_add (m n : ℕ) : double (m + n) = double m + double n := by
  simp only [double]
  omega

@[simp]
theorem double_zero : double 0 = 0 := rfl

theorem two_mul_add (a b : ℕ) : 2 * (a + b) = 2 * a + 2 * b := by ring

theorem add_self_eq_two_mul (n : ℕ) : n + n = 2 * n := by omega

/- The next lemmas are stated over `ℤ` where subtraction is well behaved.
/- (Over `ℕ` the same statements would need side conditions; see `my_sub_add_cancel`.) -/
-/

/-- The difference of two squares factors. -/
theorem sq_sub_sq' (a b : ℤ) : a ^ 2 - b ^ 2 = (a + b) * (a - b) := by ring

theorem add_sq_expand (a b : ℤ) :
    (a + b) ^ 2 = a ^ 2 + 2 * a * b + b ^ 2 := by
  ring

theorem sub_sq_expand (a b : ℤ) :
    (a - b) ^ 2 = a ^ 2 - 2 * a * b + b ^ 2 := by
  ring

theorem mul_add_one' (a b : ℕ) : a * (b + 1) = a * b + a := by ring

theorem succ_mul' (a b : ℕ) : (a + 1) * b = a * b + b := by ring

/-- A conditional rewrite: truncated subtraction cancels only below the minuend. -/
theorem my_sub_add_cancel {a b : ℕ} (h : b ≤ a) : a - b + b = a := by omega

theorem my_add_sub_cancel (a b : ℕ) : a + b - b = a := by omega

private theorem double_pos_aux {n : ℕ} (h : 0 < n) : 0 < n + n := by omega

theorem double_pos {n : ℕ} (h : 0 < n) : 0 < double n := double_pos_aux h

/-- Adding zero on the right, proved by `rfl`; protected so that it never shadows `add_zero`. -/
protected theorem add_zero (n : ℕ) : n + 0 = n := rfl

/-- Adding zero on the left needs an induction, done here with equation-style patterns. -/
theorem my_zero_add : ∀ n : ℕ, 0 + n = n
  | 0 => rfl
  | n + 1 => by rw [← Nat.add_assoc, my_zero_add n]

theorem double_succ (n : ℕ) : double (n + 1) = double n + 2 := by
  unfold double
  omega

end Sample
