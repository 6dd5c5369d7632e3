"""A match whose replacement needs a variable the pattern leaves open may be filled several
ways (`mul_zero'` backwards, `0 ~> a * 0`: `a := x` or `a := y`); each filling is an
invocation, and the per-theorem quota bounds them all, not the matches."""

from __future__ import annotations

LIB = """\
namespace Demo

theorem mul_zero' (a : ℕ) : a * 0 = 0 := Nat.mul_zero a

theorem zero_goal (x y : ℕ) : x + 0 = x := by simp

end Demo
"""


def _kept(tmp_path, cap):
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.index.store import iter_invocations

    from helpers.lean_text import extracted_run

    run = extracted_run(tmp_path / str(cap), LIB)
    run_index(run, IndexOptions(jobs=1, max_matches_per_theorem=cap))
    return [i for i in iter_invocations(run) if i.candidate == "Demo.zero_goal"]


def test_each_filling_counts_against_the_quota(tmp_path):
    fillings = _kept(tmp_path, None)
    assert len(fillings) >= 2  # one match, several ways to fill `a`
    assert len({(i.rule_id, i.path) for i in fillings}) == 1
    assert len(_kept(tmp_path, 1)) == 1
