"""Generalized field notation across spellings: a rule written `T.f a x` finds the
candidate's `x.f a` and a rule written `x.f a` finds `T.f a x`, the receiver placed where
the receiver table (`index.receivers`) says Lean puts it."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.substitute import replace_all
from lean_alchemy.index.receivers import collect, table

from helpers.lean_text import BAG, extract, make_rule


def _invocations(rules, candidate: str, receivers: dict[str, int]):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(candidate, module="Demo.Cand")
    (d,) = decls.values()
    ix = RuleIndex.build(rules)
    ix.receivers = receivers
    return ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))


def _subst(inv) -> dict[str, str]:
    return {k: print_term(loads(v)) for k, v in inv.subst}


def test_the_library_statements_show_where_the_receiver_goes():
    ty = {"y": parse_term("M"), "f": parse_term("Finsupp α M"), "a": parse_term("α"),
          "s": parse_term("Finset ℕ"), "g": parse_term("ℕ → ℕ"), "e": None}
    ev: Counter = Counter()
    for text in ("Finsupp.optionElim y f a = 0", "Finset.image g s = s",
                 "Finset.image g s ⊆ Finset.image g s"):
        collect(parse_term(text), ty, ev)
    assert table(ev) == {"Finsupp.optionElim": 1, "Finset.image": 1}
    assert ev[("Finset.image", 1)] == 3
    # negatives: an argument of unknown type before the receiver, a field of a local
    # (`s.image g` names no constant) and a variable bound inside the term
    ev2: Counter = Counter()
    for text in ("Finset.image (e 1) s = s", "s.image g = s", "∀ s, Finset.card s = 0"):
        collect(parse_term(text), ty, ev2)
    assert ev2 == Counter()


BAG_INSERT = make_rule("Bag.insert_self", "eq", "{n b}", "Bag.insert n b", "b")


def test_a_rule_in_constant_spelling_finds_the_dot_spelling():
    # the rule's binders have no types, so it has no dot spelling of its own
    invs = _invocations([BAG_INSERT], "theorem c (x : Bag) (k : ℕ) : x.insert k = x := sorry\n",
                        {"Bag.insert": 1})
    assert [(i.instance, _subst(i)) for i in invs] == [("Bag.insert k x", {"n": "k", "b": "x"})]
    assert invs[0].path == '[["lhs", -1], ["undot:Bag", 1]]'
    # negatives: no evidence of the receiver, and a variable of another type
    assert _invocations([BAG_INSERT], "theorem c (x : Bag) (k : ℕ) : x.insert k = x := "
                        "sorry\n", {}) == []
    assert _invocations([BAG_INSERT], "theorem c (x : Box) (k : ℕ) : x.insert k = x := "
                        "sorry\n", {"Bag.insert": 1}) == []


def test_a_rule_in_dot_spelling_finds_the_constant_spelling():
    # (`make_rule` takes `o.card` for a constant: the pattern variable is said here)
    card = replace(make_rule("Ordinal.card_def", "eq", "{o}", "o.card", "cardOf o"),
                   pattern_vars=("o",))
    invs = _invocations([card], "theorem c (n : Cardinal) (p : Ordinal) : "
                        "n ≤ Ordinal.card p := sorry\n", {"Ordinal.card": 0})
    assert [(i.instance, _subst(i)) for i in invs] == [("p.card", {"o": "p"})]
    assert invs[0].path == '[["rhs", -1], ["dot", 0]]'
    # a compound receiver is a projection, which the rule's `(a * b).toReal` spells
    to_real = replace(make_rule("ENNReal.toReal_mul", "eq", "{a b : ENNReal}",
                                "(a * b).toReal", "a.toReal * b.toReal"),
                      pattern_vars=("a", "b"))
    invs = _invocations([to_real], "theorem c (x : ENNReal) : ENNReal.toReal (x * ⊤) = 0 := "
                        "sorry\n", {"ENNReal.toReal": 0})
    assert [(i.instance, _subst(i)) for i in invs] == [("(x * ⊤).toReal",
                                                        {"a": "x", "b": "⊤"})]
    # negative: without the table entry the constant spelling stays unmatched
    assert _invocations([card], "theorem c (n : Cardinal) (p : Ordinal) : "
                        "n ≤ Ordinal.card p := sorry\n", {}) == []


def test_the_rewrite_replaces_the_candidates_own_spelling():
    new, n = replace_all(parse_term("x.insert k = x"), parse_term("Bag.insert k x"),
                         parse_term("x"), ("undot:Bag", 1))
    assert (print_term(new), n) == ("x = x", 1)
    new, n = replace_all(parse_term("n ≤ Ordinal.card p"), parse_term("p.card"),
                         parse_term("q"), ("dot", 0))
    assert (print_term(new), n) == ("n ≤ q", 1)
    new, n = replace_all(parse_term("ENNReal.toReal (x * ⊤) = 0"),
                         parse_term("(x * ⊤).toReal"), parse_term("x.toReal * y.toReal"),
                         ("dot", 0))
    assert (print_term(new), n) == ("x.toReal * y.toReal = 0", 1)
    # negatives: the receiver at another position than the step's, another field, and
    # no field-notation step (a rewrite found elsewhere)
    for target, old, step in (("x.insert k = x", "Bag.insert x k", ("undot:Bag", 1)),
                              ("n ≤ Ordinal.card p", "p.type", ("dot", 0)),
                              ("x.insert k = x", "Bag.insert k x", None)):
        assert replace_all(parse_term(target), parse_term(old), parse_term("z"), step)[1] == 0


STAGE = BAG + """
theorem put_self {k b} : Bag.put k b = b := rfl

theorem uses (x : Bag) (j : ℕ) : (x.put j).n = x.n := rfl

end Bag
"""


def test_the_index_stage_collects_the_table_and_matches_the_other_spelling(tmp_path):
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.explain import Library, explain
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.index.receivers import read_table
    from lean_alchemy.index.store import iter_invocations, read_rules

    from helpers.lean_text import extracted_run

    run = extracted_run(tmp_path, STAGE)
    run_index(run, IndexOptions(jobs=1, max_matches_per_theorem=None))
    # `Bag.put k b` with `k : ℕ`, `b : Bag` in `put_put` shows the receiver at 1
    assert read_table(run.root) == {"Bag.put": 1}
    rules = {r.id: r for r in read_rules(run)}
    got = {(rules[i.rule_id].lemma, i.instance, i.path) for i in iter_invocations(run)
           if i.candidate == "Bag.uses"}
    # `put_self` has untyped binders (no dot spelling of its own): the candidate's
    # `x.put j` is viewed as `Bag.put j x`
    assert ("Bag.put_self", "Bag.put j x", '[["lhs", -1], ["term", -1], ["undot:Bag", 1]]'
            ) in got
    data = explain(Library(run), "Bag.uses", "Bag.put_self", "fwd")
    assert data["accepted"] and data["kept"]
    # negative: without the table the view is gone
    (run.root / "receivers.parquet").unlink()
    assert not explain(Library(run), "Bag.uses", "Bag.put_self", "fwd")["accepted"]


def test_a_dependency_table_fills_the_constants_the_project_shows_nothing_about(tmp_path):
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.index.receivers import read_table

    from helpers.lean_text import extracted_run

    dep = extracted_run(tmp_path / "dep", STAGE)
    run_index(dep, IndexOptions(jobs=1))
    alone = extracted_run(tmp_path / "alone", "theorem p (x : ℕ) : x = x := rfl\n",
                          path="Proj/Basic.lean")
    run_index(alone, IndexOptions(jobs=1))
    with_dep = extracted_run(tmp_path / "proj", "theorem p (x : ℕ) : x = x := rfl\n",
                             path="Proj/Basic.lean")
    run_index(with_dep, IndexOptions(jobs=1, rules_from=(str(dep.root),)))
    assert read_table(with_dep.root) == {"Bag.put": 1}
    # negative: indexed alone, the project's statements show no receiver
    assert read_table(alone.root) == {}


INJ_ON = replace(make_rule("Set.injOn_iff", "eq", "{f s}", "Set.InjOn f s", "Injective f"),
                 pattern_vars=("f", "s"))


def _sole_invocations(candidate: str, sole: dict[str, str]):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(candidate, module="Demo.Cand")
    (d,) = decls.values()
    ix = RuleIndex.build([INJ_ON])
    ix.receivers = {"Set.InjOn": 1, "Set.image": 1}
    ix.sole = sole
    return ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))


def test_a_field_of_a_compound_term_reads_as_the_librarys_only_constant_of_it():
    cand = "theorem c (e : Foo) (f : ℕ → ℕ) (x : ℕ) : (e.target x).InjOn f := sorry\n"
    invs = _sole_invocations(cand, {"InjOn": "Set.InjOn"})
    assert [(i.instance, _subst(i)) for i in invs] == [
        ("Set.InjOn f (e.target x)", {"f": "f", "s": "e.target x"})]
    assert invs[0].path == '[["undot:Set", 1]]'
    # a constant's field and a variable whose type is a type variable's
    invs = _sole_invocations("theorem c (f : ℕ → ℕ) : univ.InjOn f := sorry\n",
                             {"InjOn": "Set.InjOn"})
    assert [i.instance for i in invs] == ["Set.InjOn f univ"]
    invs = _sole_invocations("theorem c {α : Type} (s : α) (f : ℕ → ℕ) : s.InjOn f := "
                             "sorry\n", {"InjOn": "Set.InjOn"})
    assert [i.instance for i in invs] == ["Set.InjOn f s"]
    # negative: a field name other constants share (no `sole` entry) gives no view
    assert _sole_invocations(cand, {}) == []
    new, n = replace_all(parse_term("(e.target x).InjOn f ∧ (e.target y).InjOn f"),
                         parse_term("Set.InjOn f (e.target x)"), parse_term("Injective f"),
                         ("undot:Set", 1))
    assert (print_term(new), n) == ("Injective f ∧ (e.target y).InjOn f", 1)


def test_a_field_is_sole_when_no_declaration_field_or_constructor_ends_in_it(tmp_path):
    from types import SimpleNamespace

    from lean_alchemy.index.receivers import name_endings, sole_fields, structure_fields

    src = ("structure PartialEquiv (α β : Type) where\n  toFun : α → β\n"
           "  (target : Set β)\n  protected source : Set α\n\n"
           "inductive Tree where\n  | leaf : Tree\n  | node (l r : Tree) : Tree\n")
    (tmp_path / "A.lean").write_text(src, encoding="utf-8")
    cut = src.index("inductive")
    decls = [SimpleNamespace(kind="structure", file="A.lean", start_byte=0, end_byte=cut),
             SimpleNamespace(kind="inductive", file="A.lean", start_byte=cut,
                             end_byte=len(src.encode()))]
    fields = structure_fields(decls, tmp_path)
    assert {"toFun", "target", "source", "leaf", "node"} <= fields
    receivers = ["Set.InjOn", "Path.target", "Tree.size", "Foo.node"]
    names = ["Set.InjOn", "Path.target", "Tree.size", "Foo.node", "Finset.size"]
    # `target` is also a field, `node` a constructor, `size` another declaration's name
    assert sole_fields(receivers, name_endings(names, fields)) == {"Set.InjOn"}
