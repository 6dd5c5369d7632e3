"""A theorem whose statement the grammar misread (its printed text lexes to other tokens
than its source) gives no rule and no invocation: every mutant printed from the misread
tree would state something else than the source.

Why this test builds a run: the check sits between the grammar and the index's two passes;
a misread is forced by giving the index a wrong tree for one theorem, the way a grammar
that did not know a library's notation would."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.grammar.ast import App, BinOp, Ident, ListLit, Num
from lean_alchemy.index import passes
from lean_alchemy.index.driver import run_index
from lean_alchemy.index.options import IndexOptions

from helpers.lean_text import extracted_run

LIBRARY = """namespace It

def twice (f : Nat → Nat) (n : Nat) : Nat := f (f n)

notation:max f "^[" n "]" => Nat.iterate f n

theorem iter_two (f : Nat → Nat) (x : Nat) : f^[2] x = twice f x := rfl

theorem twice_zero (f : Nat → Nat) : twice f 0 = f (f 0) := rfl

theorem uses (f : Nat → Nat) (h : twice f 0 = 0) : f (f 0) = 0 := by
  rw [← twice_zero]; exact h

end It
"""


def index_library(tmp_path: Path, misread: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[RunDir, dict]:
    run = extracted_run(tmp_path, LIBRARY, "It/Basic.lean")
    if misread:  # read `f^[2] x` as `f ^ [2] x`, as a grammar without the token would
        real = passes.parsed

        def parsed(decl):
            p = real(decl)
            if p is not None and decl.full_name == "It.iter_two":
                wrong = BinOp("^", Ident("f"), App(ListLit((Num("2"),)), (Ident("x"),)))
                return p[0], BinOp("=", wrong, p[1].rhs)
            return p
        monkeypatch.setattr(passes, "parsed", parsed)
    run_index(run, IndexOptions(jobs=1, progress=False))
    return run, json.loads(run.stats_path("index").read_text())


def test_a_misread_statement_gives_no_rule_and_no_invocation(tmp_path, monkeypatch) -> None:
    run, stats = index_library(tmp_path, True, monkeypatch)
    lemmas = set(pq.read_table(run.rules, columns=["lemma"])["lemma"].to_pylist())
    assert "It.iter_two" not in lemmas and "It.twice_zero" in lemmas
    assert stats["dropped"]["render_mismatch"] == 1 and stats["misread_candidates"] == 1
    candidates = set(pq.read_table(run.root / "invocations.parquet",
                                   columns=["candidate"])["candidate"].to_pylist())
    assert "It.iter_two" not in candidates


def test_a_faithful_statement_is_kept(tmp_path, monkeypatch) -> None:
    run, stats = index_library(tmp_path, False, monkeypatch)
    lemmas = set(pq.read_table(run.rules, columns=["lemma"])["lemma"].to_pylist())
    assert "It.iter_two" in lemmas
    assert "render_mismatch" not in stats["dropped"] and stats["misread_candidates"] == 0
