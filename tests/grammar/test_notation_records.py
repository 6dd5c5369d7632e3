"""The extract side of the token table: syntax-declaring commands become `NotationDecl`
records (with their tokens, visibility and namespace) stored in RUN/notations.parquet,
and `build_token_table` turns them into the table Lean has in force."""

from __future__ import annotations

from lean_alchemy.core.records import NotationDecl
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract.fileparse import extract_text
from lean_alchemy.extract.store import NOTATION_SCHEMA, read_notations, write_notations
from lean_alchemy.grammar.tokens import build_token_table, lex

SRC = '''
import Mathlib.Order.Basic

/-- iterate -/
notation:max f "^[" n "]" => Nat.iterate f n

namespace Topology.Filter

scoped notation "𝓝[" s "] " x:100 => nhdsWithin x s

end Filter

theorem t1 (x : ℕ) : x = x := rfl

end Topology

scoped[MeasureTheory] notation "MeasurableSet[" m "]" => @MeasurableSet _ m

section
local infixl:65 " +ₗ " => Add.add
theorem t2 (a b : ℕ) : a +ₗ b = a + b := rfl
end

syntax "myTactic" term : tactic

theorem t3 : letI := inst; P := by
  simp
'''


def _run():
    return extract_text(SRC, module="Demo.Notation", file="Demo/Notation.lean")


def test_notation_commands_are_recorded_with_tokens_and_scope():
    res = _run()
    by_tok = {n.tokens: n for n in res.notations}
    it = by_tok[("^[", "]")]
    assert (it.visibility, it.namespace, it.keyword, it.module) == \
        ("global", "", "notation", "Demo.Notation")
    assert it.line == 5 and it.text.startswith("/-- iterate -/")
    nh = by_tok[("𝓝[", "]")]
    assert (nh.visibility, nh.namespace) == ("scoped", "Topology.Filter")
    ms = by_tok[("MeasurableSet[", "]")]
    assert (ms.visibility, ms.namespace) == ("scoped", "MeasureTheory")
    assert by_tok[("+ₗ",)].visibility == "local"
    # an identifier-like atom of a tactic is no token: nothing to record
    assert not any("myTactic" in n.tokens for n in res.notations)


def test_end_of_an_inner_namespace_keeps_the_outer_open():
    res = _run()
    t1 = next(d for d in res.declarations if d.name == "t1")
    assert t1.full_name == "Topology.t1"


def test_letI_statement_keeps_its_body():
    t3 = next(d for d in _run().declarations if d.name == "t3")
    assert t3.conclusion == "letI := inst; P"
    assert t3.proof == "by\n  simp"


def test_notations_parquet_round_trip(tmp_path):
    res = _run()
    run = RunDir(tmp_path)
    path = write_notations(run, res.notations)
    assert path == tmp_path / "notations.parquet"
    import pyarrow.parquet as pq
    assert pq.read_schema(path).remove_metadata() == NOTATION_SCHEMA
    back = read_notations(run)
    assert back == list(res.notations)
    assert all(isinstance(n, NotationDecl) and isinstance(n.tokens, tuple) for n in back)


def test_table_from_records():
    table = build_token_table(_run().notations)
    assert "^[" in table.tokens and "𝓝[" not in table.tokens and "+ₗ" not in table.tokens
    assert lex("f^[n]", table.lexicon) == ["f", "^[", "n", "]"]
    assert lex("MeasurableSet[m] s", table.active(["MeasureTheory"]))[0] == "MeasurableSet["
    assert lex("MeasurableSet[m] s", table.lexicon)[0] == "MeasurableSet"


# ------------------------------------------------------------------ mutate: render_mismatch

def test_statement_mismatch_and_mutator_drop():
    from lean_alchemy.core.records import Binder, Declaration, Scope
    from lean_alchemy.grammar.ast import BinOp, Ident, ListLit
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.grammar.statements import binders_of, statement_mismatch
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import Mutator

    table = build_token_table(_run().notations)
    scope = Scope("Demo.Notation", (), (), ())
    binders = (Binder("f", "explicit", "ℕ → ℕ"),)
    decl = Declaration(full_name="t", name="t", kind="theorem", module="Demo.Notation",
                       file="Demo/Notation.lean", start_line=1, end_line=1, binders=binders,
                       conclusion="f^[2] 0 = 0", proof="rfl", proof_style="term",
                       scope_id=scope.id, parse_status="full")
    good = parse_term(decl.conclusion)
    groups = binders_of(binders)
    assert statement_mismatch(decl, groups, good, table.lexicon) is None
    # the misreading `f ^ [2]` round-trips through the grammar, but its tokens differ
    bad = BinOp("=", BinOp("^", Ident("f"), ListLit((Ident("2"),))), Ident("0"))
    assert "'^['" in statement_mismatch(decl, groups, bad, table.lexicon)

    def mutator(concl):
        return Mutator([], {scope.id: scope}, MutateOptions(refute=False), tokens=table,
                       parse=lambda d: (groups, concl), section_of=lambda s: ())

    m = mutator(bad)
    assert list(m.mutate_theorem(decl, [object(), object()])) == []
    assert m.dropped["render_mismatch"] == 2
    m = mutator(good)
    list(m.mutate_theorem(decl, []))
    assert m.dropped["render_mismatch"] == 0
