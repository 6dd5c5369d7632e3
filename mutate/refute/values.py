"""Lean 4 / Mathlib semantics of the decidable fragment, on Python values.

Why a separate module: every operation here must agree with Lean exactly (a refutation is a
claim that Lean's statement is false), so the semantics sit in one small place that the unit
tests pin down operation by operation.

Representation: ℕ and ℤ are Python `int`, ℚ and ℝ are `fractions.Fraction` (ℝ is only ever
given rational values, which is sound for refutation: a rational counterexample is a real one
as long as every operation used agrees on ℚ ⊆ ℝ), `Bool` and `Prop` are Python `bool`.

Totality conventions (Lean core / Mathlib):
- ℕ: `a - b = 0` when `b > a`; `a / 0 = 0`; `a % 0 = a`.
- ℤ: `/` and `%` are `Int.ediv` / `Int.emod` (Euclidean rounding: `0 ≤ a % b < |b|` for
  `b ≠ 0`), `a / 0 = 0`, `a % 0 = a` (Init/Data/Int/DivMod/Basic.lean: "we decided to use
  ediv and emod for the default typeclass instances").
- ℚ, ℝ: `x / 0 = 0`, `0⁻¹ = 0`; `x ^ (n : ℤ)` is `zpow`: `x ^ (-n) = (x ^ n)⁻¹`.
"""

from __future__ import annotations

import math
from fractions import Fraction

# Types of the fragment.  Numeric types are ordered by the coercions Lean inserts
# (ℕ → ℤ → ℚ → ℝ); `join` is the "max type" of Lean's binop% elaborator on this chain.
N, Z, Q, R, B, P = "ℕ", "ℤ", "ℚ", "ℝ", "Bool", "Prop"
NUMERIC: tuple[str, ...] = (N, Z, Q, R)
FIELDS = (Q, R)
RANK = {N: 0, Z: 1, Q: 2, R: 3}

TYPE_NAMES: dict[str, str] = {
    "ℕ": N, "Nat": N, "ℤ": Z, "Int": Z, "ℚ": Q, "Rat": Q, "ℝ": R, "Real": R,
    "Bool": B, "Prop": P,
}
NAMESPACE = {N: "Nat", Z: "Int", Q: "Rat", R: "Real", B: "Bool"}

# Bounds that keep a single evaluation cheap; exceeding one skips the assignment (never a guess).
MAX_BITS = 4096
MAX_EXP = 4096
MAX_FACTORIAL = 2000
MAX_RANGE = 5000
MAX_STEPS = 20000  # loop iterations (∑ ∏ bounded ∀ ∃) per assignment


class TooBig(Exception):
    """A value or loop exceeds the evaluation bounds: the assignment is skipped, not judged."""


def join(a: str | None, b: str | None) -> str | None:
    """The larger of two numeric types (None = not yet determined)."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if a in RANK and b in RANK:
        return a if RANK[a] >= RANK[b] else b
    raise TypeError(f"no common type for {a} and {b}")


def can_coerce(src: str, dst: str) -> bool:
    if src == dst:
        return True
    if src in RANK and dst in RANK:
        return RANK[src] < RANK[dst]
    return src == B and dst == P  # `b` used as a Prop means `b = true`


def coerce(v, src: str, dst: str):
    if src == dst:
        return v
    if dst in FIELDS and src in (N, Z):
        return Fraction(v)
    return v  # ℕ→ℤ, ℚ→ℝ, Bool→Prop keep their Python value


def check(v):
    if type(v) is int:
        if v.bit_length() > MAX_BITS:
            raise TooBig("integer too large")
    elif type(v) is Fraction:
        if v.numerator.bit_length() > MAX_BITS or v.denominator.bit_length() > MAX_BITS:
            raise TooBig("fraction too large")
    return v


# ------------------------------------------------------------------ arithmetic


def nat_sub(a: int, b: int) -> int:
    return a - b if a >= b else 0


def nat_div(a: int, b: int) -> int:
    return a // b if b else 0


def nat_mod(a: int, b: int) -> int:
    return a % b if b else a


def int_ediv(a: int, b: int) -> int:
    if b == 0:
        return 0
    return (a - int_emod(a, b)) // b


def int_emod(a: int, b: int) -> int:
    if b == 0:
        return a
    return a % abs(b)


def int_fdiv(a: int, b: int) -> int:
    return a // b if b else 0


def int_fmod(a: int, b: int) -> int:
    return a % b if b else a


def int_tdiv(a: int, b: int) -> int:
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def int_tmod(a: int, b: int) -> int:
    return a - b * int_tdiv(a, b)


def field_div(a: Fraction, b: Fraction) -> Fraction:
    return a / b if b else Fraction(0)


def field_inv(a: Fraction) -> Fraction:
    return 1 / a if a else Fraction(0)


def npow(a, n: int):
    """`Monoid.npow`: exponent a natural number."""
    if n < 0:
        raise ValueError("npow with a negative exponent")
    if a in (0, 1, -1):
        return a ** n
    if n > MAX_EXP:
        raise TooBig("exponent too large")
    bits = (a.bit_length() if type(a) is int
            else max(a.numerator.bit_length(), a.denominator.bit_length()))
    if bits * n > 2 * MAX_BITS:  # decide before computing a huge power
        raise TooBig("power too large")
    return check(a ** n)


def zpow(a: Fraction, n: int) -> Fraction:
    """`DivInvMonoid.zpow` in a field: `a ^ (-n) = (a ^ n)⁻¹`, so `0 ^ (-1) = 0`."""
    if n >= 0:
        return npow(a, n)
    return field_inv(npow(a, -n))


def nat_gcd(a: int, b: int) -> int:
    return math.gcd(a, b)


def nat_lcm(a: int, b: int) -> int:
    return math.lcm(a, b)


def factorial(n: int) -> int:
    if n > MAX_FACTORIAL:
        raise TooBig("factorial argument too large")
    return math.factorial(n)


def choose(n: int, k: int) -> int:
    if n > 20 * MAX_FACTORIAL:
        raise TooBig("choose argument too large")
    return math.comb(n, k) if k <= n else 0


def dvd(a: int, b: int) -> bool:
    """`a ∣ b` in ℕ or ℤ: ∃ c, b = a * c (so `0 ∣ b ↔ b = 0`)."""
    if a == 0:
        return b == 0
    return b % a == 0


def int_sign(a: int) -> int:
    return (a > 0) - (a < 0)


def floor(x: Fraction) -> int:
    return math.floor(x)


def ceil(x: Fraction) -> int:
    return math.ceil(x)


def nat_sqrt(n: int) -> int:
    return math.isqrt(n)


_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def is_prime(n: int) -> bool:
    """`Nat.Prime n`: exact (deterministic Miller–Rabin, valid below 3.3·10²⁴)."""
    if n < 2:
        return False
    for p in _MR_BASES:
        if n % p == 0:
            return n == p
    if n >= 3317044064679887385961981:
        raise TooBig("primality of a very large number")
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def lean_value(v, ty: str) -> str:
    """A value as Lean syntax, for counterexamples."""
    if ty == B:
        return "true" if v else "false"
    if ty == P:
        return "True" if v else "False"
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return str(v)
