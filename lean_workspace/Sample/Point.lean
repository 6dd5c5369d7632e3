/-
Sample library of lean-alchemy: theorems written for this project in Mathlib's style, as
input for the demo and the tests. Nothing in it is copied from Mathlib.
-/
import Mathlib.Tactic.Ring
import Mathlib.Tactic.Positivity
import Sample.Basic

/-!
# Lattice points

A small custom structure `Sample.Pt` of points of `ℤ × ℤ` with componentwise addition and
scaling. Its algebraic laws are equations between structure terms, so they exercise the
mutation stage on something other than numbers.
-/

namespace Sample

/-- A point of the integer lattice. -/
@[ext]
structure Pt where
  /-- The first coordinate. -/
  x : ℤ
  /-- The second coordinate. -/
  y : ℤ
  deriving DecidableEq

namespace Pt

instance : Add Pt := ⟨fun p q => ⟨p.x + q.x, p.y + q.y⟩⟩

instance : Zero Pt := ⟨⟨0, 0⟩⟩

instance : Neg Pt := ⟨fun p => ⟨-p.x, -p.y⟩⟩

instance : Inhabited Pt := ⟨0⟩

/-- Scaling a point by an integer. -/
def smul (k : ℤ) (p : Pt) : Pt := ⟨k * p.x, k * p.y⟩

/-- The dot product of two points. -/
def dot (p q : Pt) : ℤ := p.x * q.x + p.y * q.y

/-- The taxicab norm. -/
def norm1 (p : Pt) : ℤ := |p.x| + |p.y|

local notation:73 k:74 " •ₚ " p:73 => smul k p

section Coordinates

@[simp] theorem add_x (p q : Pt) : (p + q).x = p.x + q.x := rfl

@[simp] theorem add_y (p q : Pt) : (p + q).y = p.y + q.y := rfl

@[simp] theorem zero_x : (0 : Pt).x = 0 := rfl

@[simp] theorem zero_y : (0 : Pt).y = 0 := rfl

@[simp] theorem neg_x (p : Pt) : (-p).x = -p.x := rfl

@[simp] theorem neg_y (p : Pt) : (-p).y = -p.y := rfl

@[simp] theorem smul_x (k : ℤ) (p : Pt) : (k •ₚ p).x = k * p.x := rfl

@[simp] theorem smul_y (k : ℤ) (p : Pt) : (k •ₚ p).y = k * p.y := rfl

end Coordinates

section Laws

variable (p q r : Pt)

protected theorem add_comm : p + q = q + p := by
  ext <;> simp only [add_x, add_y] <;> ring

protected theorem add_assoc : p + q + r = p + (q + r) := by
  ext <;> simp only [add_x, add_y] <;> ring

protected theorem add_zero : p + 0 = p := by
  ext <;> simp

protected theorem zero_add : 0 + p = p := by
  ext <;> simp

protected theorem add_neg_cancel : p + -p = 0 := by
  ext <;> simp

theorem neg_neg' : -(-p) = p := by
  ext <;> simp

end Laws

alias add_comm' := Pt.add_comm

section Scaling

variable (j k : ℤ) (p q : Pt)

theorem smul_add : k •ₚ (p + q) = k •ₚ p + k •ₚ q := by
  ext <;> simp only [smul_x, smul_y, add_x, add_y] <;> ring

theorem add_smul : (j + k) •ₚ p = j •ₚ p + k •ₚ p := by
  ext <;> simp only [smul_x, smul_y, add_x, add_y] <;> ring

theorem smul_smul : j •ₚ (k •ₚ p) = (j * k) •ₚ p := by
  ext <;> simp only [smul_x, smul_y] <;> ring

theorem one_smul : (1 : ℤ) •ₚ p = p := by
  ext <;> simp

theorem zero_smul : (0 : ℤ) •ₚ p = 0 := by
  ext <;> simp

theorem smul_neg : k •ₚ (-p) = -(k •ₚ p) := by
  ext <;> simp only [smul_x, smul_y, neg_x, neg_y] <;> ring

end Scaling

section Dot

variable (p q r : Pt)

theorem dot_comm : dot p q = dot q p := by
  unfold dot
  ring

theorem dot_add_left : dot (p + q) r = dot p r + dot q r := by
  simp only [dot, add_x, add_y]
  ring

theorem dot_add_right : dot p (q + r) = dot p q + dot p r := by
  simp only [dot, add_x, add_y]
  ring

theorem dot_smul_left (k : ℤ) : dot (k •ₚ p) q = k * dot p q := by
  simp only [dot, smul_x, smul_y]
  ring

theorem dot_self_nonneg : 0 ≤ dot p p := by
  have hx := mul_self_nonneg p.x
  have hy := mul_self_nonneg p.y
  unfold dot
  linarith

theorem dot_zero_left : dot 0 p = 0 := by
  simp [dot]

theorem norm1_nonneg : 0 ≤ norm1 p := by
  unfold norm1
  positivity

end Dot

end Pt

end Sample
