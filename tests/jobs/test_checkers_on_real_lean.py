"""Both checkers against real Lean and Mathlib, on a handful of units known good and known bad.

Runs only where `lake` is on PATH (or in ~/.elan/bin) and `lean_workspace/` is built
(`alchemy setup-lean`); everywhere else every test is skipped with the reason.  Select them
alone with `pytest -m lean`.  Expect about a minute: each backend imports Mathlib modules.
"""

from __future__ import annotations

import pytest

from lean_alchemy.jobs.checkers import CheckUnit, make_checker
from lean_alchemy.jobs.options import CheckOptions
from lean_alchemy.jobs.toolchain import discover_toolchain

from helpers.standin import REPO, STANDIN_DIR


def _real_toolchain():
    tc = discover_toolchain(REPO / "lean_workspace")
    if not tc.ready:
        return None, f"no built Lean workspace here ({tc.problem})"
    if tc.lake is not None and tc.lake.resolve().parent == STANDIN_DIR:
        return None, "`lake` on PATH is the test stand-in, not Lean"
    return tc, ""


TOOLCHAIN, SKIP_REASON = _real_toolchain()
pytestmark = [pytest.mark.lean,
              pytest.mark.skipif(TOOLCHAIN is None, reason=SKIP_REASON or "no Lean")]

IMPORTS = ("Mathlib.Algebra.Group.Basic", "Mathlib.Tactic.Ring")


def unit(i: int, body: str) -> CheckUnit:
    lean = ("section\nnamespace AlchemyIntegration\nset_option autoImplicit false\n\n"
            f"{body}\n\nend AlchemyIntegration\nend\n")
    return CheckUnit(f"int{i}", f"AlchemyIntegration.t{i}", IMPORTS, lean)


UNITS = [
    (unit(0, "theorem t0 (a b : ℕ) : a + b = b + a := Nat.add_comm a b"), "verified", None),
    (unit(1, "theorem t1 {G : Type*} [Group G] (a b : G) : a * b * b⁻¹ = a := by\n"
             "  rw [mul_inv_cancel_right]"), "verified", None),
    (unit(2, "theorem t2 (a b : ℕ) : a + b = b + a := Nat.add_comm_typo a b"),
     "rejected", "unknown identifier"),
    (unit(3, "theorem t3 (a b : ℕ) : a + b = a := by\n  ring_nf"), "rejected", None),
    (unit(4, "theorem t4 (a : ℕ) : a = a + 0 := (rfl : a + 1 = a + 1)"),
     "rejected", "type mismatch"),
    (unit(5, "theorem t5 (x : ℕ) : x = x := by\n  sorry"), "rejected", "uses sorry"),
    (unit(6, "theorem t6 (a b c : ℤ) : (a + b) * c = a * c + b * c := by\n  ring"),
     "verified", None),
    # autoImplicit false: a misspelt variable must not become an implicit argument
    (unit(7, "theorem t7 : n + 0 = n := Nat.add_zero n"), "rejected", "unknown identifier"),
]


@pytest.mark.parametrize("backend", ["lean-json", "repl"])
def test_known_good_and_bad_units(backend: str) -> None:
    assert TOOLCHAIN is not None
    if backend == "repl" and TOOLCHAIN.repl_path is None:
        pytest.skip("the REPL is not built in lean_workspace")
    opts = CheckOptions(backend=backend, timeout_s=900.0, max_heartbeats=200000)
    checker = make_checker(opts, TOOLCHAIN)
    try:
        verdicts = checker.check([u for u, _, _ in UNITS])
    finally:
        checker.close()
    for (u, status, cls), v in zip(UNITS, verdicts):
        assert v.mutant_id == u.mutant_id
        assert v.status == status, (u.lean, v)
        if cls is not None:
            assert v.error_class == cls, (u.lean, v)
        assert v.lean_version == TOOLCHAIN.lean_version and v.mathlib_rev == TOOLCHAIN.mathlib_rev
