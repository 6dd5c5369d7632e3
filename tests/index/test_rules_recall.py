"""Rule derivation details that decide whether the index finds the rewrites the library's
own proofs make: section binder updates keep the variable's type."""

from __future__ import annotations

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.index.rules import RuleStats

from helpers.lean_text import derived_rules, extract


def _rules(text: str, name: str, stats: RuleStats | None = None):
    return derived_rules(text, name, stats)


UPDATED = """\
variable (A : Type*) (rel : Rels A) (M : Type*)

variable {A rel}

namespace Rels

theorem sol_iff (s : rel.Sol M) : s.Good ↔ span A (range s.var) = ⊤ := sorry

end Rels
"""


def test_a_binder_update_keeps_the_section_variable_type():
    from lean_alchemy.grammar.statements import scope_binders

    decls, scopes = extract(UPDATED)
    groups = scope_binders(scopes[decls["sol_iff"].scope_id])
    typed = {n: (g.kind, print_term(g.type) if g.type is not None else None)
             for g in groups for n in g.names}
    assert typed == {"A": ("implicit", "Type*"), "rel": ("implicit", "Rels A"),
                     "M": ("explicit", "Type*")}
    assert [g.names for g in groups] == [("A",), ("rel",), ("M",)]  # original positions


def test_a_variable_fixed_through_an_updated_binder_is_not_unbound():
    # `A` comes from `rel : Rels A`, and `rel` from `s : rel.Sol M`; the update
    # `variable {A rel}` must not hide those types
    st = RuleStats.new(trace=True)
    rules = [r for r in _rules(UPDATED, "sol_iff", st) if r.direction == "fwd"]
    assert "unbound_replacement_vars" not in st.dropped
    assert print_term(loads(rules[0].pattern)) == "s.Good"


def test_a_number_typed_receiver_gets_the_dot_spelling():
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.index.dot_notation import spellings
    from lean_alchemy.index.match.receiver_heads import receiver_head as _type_head

    ty = {"n": parse_term("ℕ"), "x": parse_term("ℝ")}
    got = [(k, print_term(q)) for k, q in spellings(parse_term("Nat.divisors n + Real.exp x"),
                                                    frozenset(ty), ty)]
    assert got == [("dot", "n.divisors + x.exp")]
    # negative: the namespace must be the number type's own
    assert spellings(parse_term("Int.natAbs n"), frozenset(ty), ty) == []
    # a receiver declared `n : Nat` has the same head as the rule's `n : ℕ`
    assert _type_head(parse_term("Nat")) == _type_head(parse_term("ℕ"))
    assert _type_head(parse_term("ℤ")) != _type_head(parse_term("ℕ"))


def test_bracket_and_multiplicative_abs_notations_give_rules():
    # `⁅x, y⁆` and `|a|ₘ` parse as notations (no opaque conclusion), print back as
    # written, and their equations give rewrite rules
    from lean_alchemy.grammar.ast import Enclosed, Opaque
    from lean_alchemy.grammar.parser import parse_term

    for text, opener in (("⁅x, ⁅y, m⁆⁆ = ⁅⁅x, y⁆, m⁆ + ⁅y, ⁅x, m⁆⁆", "⁅"),
                         ("|a * b|ₘ = |a|ₘ * |b|ₘ", "|ₘ")):
        t = parse_term(text)
        assert not isinstance(t, Opaque) and isinstance(t.lhs, Enclosed)
        assert t.lhs.open == opener and print_term(t) == text
    assert parse_term("|a| = a").lhs.open == "|"  # negative: the plain bars stay `abs`
    text = ("variable {G : Type*} [Group G]\n"
            "theorem comm_def (a b : G) : ⁅a, b⁆ = a * b * a⁻¹ * b⁻¹ := rfl\n"
            "theorem mabs_inv (a : G) : |a⁻¹|ₘ = |a|ₘ := sorry\n")
    for name, pattern in (("comm_def", "⁅a, b⁆"), ("mabs_inv", "|a⁻¹|ₘ")):
        rules = [r for r in _rules(text, name) if r.direction == "fwd"]
        assert [print_term(loads(r.pattern)) for r in rules] == [pattern]


TRANS = """\
variable {α : Type*}

theorem PEq.trans_source (e e' : PEq α) : (e.trans e').source = e.source ∩ e'.source := sorry
"""


def _index(rules, candidate: str):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(candidate, module="Demo.Cand")
    (d,) = decls.values()
    ix = RuleIndex.build(rules)
    return ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))


def test_a_dotted_variable_binds_the_receiver_of_a_longer_field_chain():
    rules = [r for r in _rules(TRANS, "PEq.trans_source") if r.direction == "fwd"]
    invs = _index(rules, "theorem c (f g : PEq β) : (f.symm.trans g).source = ∅ := sorry\n")
    assert [(i.instance, loads(dict(i.subst)["e"])) for i in invs] == [
        ("(f.symm.trans g).source", loads('["Ident","f.symm"]'))]
    # negatives: another last field, and a chain that only ends like the field's name
    assert _index(rules, "theorem c (f g : PEq β) : (f.symm.comp g).source = ∅ := sorry\n") == []
    assert _index(rules, "theorem c (f g : PEq β) : (f.symm.xtrans g).source = ∅ := sorry\n"
                  ) == []


def test_generic_patterns_without_evidence_do_not_spend_the_attempts():
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rigid import rigid_names
    from lean_alchemy.index.match.rule_index import RuleIndex

    from helpers.lean_text import make_rule

    # 24 generic rules (`m = n` over ℕ: no matched value of `foo 1 = bar 2` has a type
    # hint, so each fails `untyped_generic`) and one rule on `foo`, all equally specific
    generic = [make_rule(f"eq_flip{k}", "iff", "(m n : ℕ)", "m = n", "n = m")
               for k in range(24)]
    target = make_rule("foo_def", "eq", "", "foo", "baz")
    decls, _ = extract("def foo (n : ℕ) : ℕ := n\ndef bar (n : ℕ) : ℕ := n\n"
                       "theorem c : foo 1 = bar 2 := sorry\n", module="Demo.Cand")
    d = decls["c"]
    ix = RuleIndex.build(generic + [target], max_per_theorem=1,
                         rigid=rigid_names(decls.values()), generic_evidence=True)
    invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
    assert [i.rule_id for i in invs] == [target.id]
    # one generic failure at the sub-term, the others passed over: 2 tries in all
    assert ix.stats.filtered["untyped_generic"] == 1 and ix.stats.tried["rw_goal"] == 2


def test_a_generic_failure_does_not_pass_over_rules_of_another_type():
    # `c₁ = c₂` of `Comp α` finds no evidence at `toL 1 = bar 2`; `l₁ = l₂` of `List α`
    # does (`toL` is a definition whose result is a `List`), so it must still be tried
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rigid import rigid_names
    from lean_alchemy.index.match.rule_index import RuleIndex

    from helpers.lean_text import make_rule

    other = [make_rule(f"Comp.eq_flip{k}", "iff", "{α : Type*} (c₁ c₂ : Comp α)",
                       "c₁ = c₂", "c₂ = c₁") for k in range(4)]
    target = make_rule("List.eq_flip", "iff", "{α : Type*} (l₁ l₂ : List α)", "l₁ = l₂",
                       "l₂ = l₁")
    decls, _ = extract("structure Comp (α : Type*) where\n  x : α\n"
                       "def toL (n : ℕ) : List ℕ := [n]\ndef bar (n : ℕ) : List ℕ := [n]\n"
                       "theorem c : toL 1 = bar 2 := sorry\n", module="Demo.Cand")
    d = decls["c"]
    ix = RuleIndex.build(other + [target], max_per_theorem=1,
                         rigid=rigid_names(decls.values()), generic_evidence=True)
    ix.use_results({"toL": "List", "bar": "List"})
    invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
    assert [i.rule_id for i in invs] == [target.id]
    # the rules of `Comp` share the failure: one of them is tried, the others are not
    assert ix.stats.filtered["untyped_generic"] == 1


def test_rules_near_the_candidate_are_tried_first():
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    from helpers.lean_text import make_rule

    far = [make_rule(f"Other.foo_eq{k}", "eq", "(x : ℕ)", "foo x", f"baz{k} x",
                     module="Mathlib.Other") for k in range(24)]
    by_namespace = make_rule("Foo.foo_eq", "eq", "(x : ℕ)", "foo x", "qux x",
                             module="Mathlib.Other")
    by_module = make_rule("foo_eq", "eq", "(x : ℕ)", "foo x", "quux x", module="Demo.Cand")
    decls, _ = extract("def foo (n : ℕ) : ℕ := n\n"
                       "theorem Foo.Bar.c : foo 1 = 0 := sorry\n", module="Demo.Cand")
    d = decls["Foo.Bar.c"]
    for near in (by_namespace, by_module):
        for quota in (1, 2):
            ix = RuleIndex.build(far[:12] + [near] + far[12:], max_per_theorem=quota)
            invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
            assert len(invs) == quota and invs[0].rule_id == near.id
    # negative: a rule of another namespace and module is not near
    ix = RuleIndex.build(far, max_per_theorem=1)
    assert ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
    from lean_alchemy.index.match.tiers import near_keys as _near_keys

    assert [keys for keys, _, _ in _near_keys(d)] == [
        {"m:Demo.Cand"}, set(), {"n:Foo", "n:Foo.Bar"}, set()]
    # the module's rules come before the namespace's
    ix = RuleIndex.build(far[:12] + [by_namespace, by_module] + far[12:], max_per_theorem=1)
    invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
    assert [i.rule_id for i in invs] == [by_module.id]


def test_rules_sharing_a_name_word_come_before_other_far_rules():
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.matcher import name_words
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.match.tiers import near_keys as _near_keys

    from helpers.lean_text import make_rule

    assert name_words("Finset.card_union_of_disjoint'") == {"card", "union", "disjoint"}
    far = [make_rule(f"Other.foo_eq{k}", "eq", "(x : ℕ)", "foo x", f"baz{k} x",
                     module="Mathlib.Other") for k in range(24)]
    # shares `frob` with the candidate's name, but neither its module nor its namespace
    worded = make_rule("Other.frob_foo_eq", "eq", "(x : ℕ)", "foo x", "qux x",
                       module="Mathlib.Other")
    decls, _ = extract("def foo (n : ℕ) : ℕ := n\n"
                       "theorem Bar.frob_of_one : foo 1 = 0 := sorry\n", module="Demo.Cand")
    d = decls["Bar.frob_of_one"]
    assert _near_keys(d)[3] == ({"w:frob", "w:one"}, 1, True)
    for at in (0, 12, 24):
        ix = RuleIndex.build(far[:at] + [worded] + far[at:], max_per_theorem=1)
        invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
        assert [i.rule_id for i in invs] == [worded.id]
    # two shared words come before the candidate's namespace, one after it
    two = make_rule("Other.frob_one_foo", "eq", "(x : ℕ)", "foo x", "quux x",
                    module="Mathlib.Other")
    by_namespace = make_rule("Bar.foo_eq", "eq", "(x : ℕ)", "foo x", "quuz x",
                             module="Mathlib.Other")
    for near in ([worded, by_namespace], [by_namespace, two], [two, by_namespace]):
        ix = RuleIndex.build(far[:12] + near + far[12:], max_per_theorem=1)
        invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
        assert [i.rule_id for i in invs] == [by_namespace.id if worded in near else two.id]
    # negative: a rule sharing only glue words (`of`) is not near: where it stands
    # changes whether the seeded sample keeps it
    glued = make_rule("Other.foo_of_eq", "eq", "(x : ℕ)", "foo x", "qux x",
                      module="Mathlib.Other")
    kept = set()
    for at in (0, 12, 24):
        ix = RuleIndex.build(far[:at] + [glued] + far[at:], max_per_theorem=1)
        kept.add(ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))[0].rule_id)
    assert kept != {glued.id}


def test_a_root_lemma_comes_first_among_rules_sharing_a_word():
    # `disjoint_iff` before `Finset.disjoint_left` for `Submonoid.disjoint_map`: the
    # root's lemmas hold at every type, a namespace's at its own
    from helpers.lean_text import make_rule

    worded = [make_rule(f"Other{k}.frob_foo", "eq", "(x : ℕ)", "foo x", f"baz{k} x",
                        module="Mathlib.Other") for k in range(24)]
    root = make_rule("frob_foo_eq", "eq", "(x : ℕ)", "foo x", "qux x", module="Mathlib.Other")
    decls, _ = extract("def foo (n : ℕ) : ℕ := n\n"
                       "theorem Bar.frob_of_one : foo 1 = 0 := sorry\n", module="Demo.Cand")
    d = decls["Bar.frob_of_one"]
    assert _kept_among(worded, root, d) == {root.id}
    # negative: a root lemma sharing no word is no nearer than the others
    plain = make_rule("foo_eq_qux", "eq", "(x : ℕ)", "foo x", "qux x", module="Mathlib.Other")
    assert plain.id not in _kept_among(worded, plain, d)


def _kept_among(others: list, rule, d) -> set[str]:
    """The rules kept at a quota of one with `rule` put among `others` at three places."""
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    kept = set()
    for at in (0, 12, 24):
        ix = RuleIndex.build(others[:at] + [rule] + others[at:], max_per_theorem=1)
        kept.update(i.rule_id for i in ix.invocations(d, tuple(decl_binders(d)),
                                                       decl_conclusion(d)))
    return kept


def test_rules_of_a_namespace_the_statement_mentions_come_before_other_far_rules():
    # `Finset.coe_subset` for a statement about `G.edgeFinset : Finset _`: among the
    # thousands of rules of a generic leaf, those of the statement's own types first
    from lean_alchemy.index.match.tiers import statement_namespaces

    from helpers.lean_text import make_rule

    assert statement_namespaces(["Finset.card", "Set", "Nat.succ"]) == {
        "n:Finset", "n:Set", "n:Nat"}
    far = [make_rule(f"Other{k}.foo_eq", "eq", "(x : ℕ)", "foo x", f"baz{k} x",
                     module="Mathlib.Other") for k in range(24)]
    mentioned = make_rule("Fs.foo_eq", "eq", "(x : ℕ)", "foo x", "qux x", module="Mathlib.Other")
    decls, _ = extract("def foo (n : ℕ) : ℕ := n\ndef Fs.size (n : ℕ) : ℕ := n\n"
                       "theorem Bar.baz (n : ℕ) : foo (Fs.size n) = 0 := sorry\n",
                       module="Demo.Cand")
    d = decls["Bar.baz"]
    assert _kept_among(far, mentioned, d) == {mentioned.id}
    # negative: a namespace the statement does not mention is no nearer than the others
    other = make_rule("Gs.foo_eq", "eq", "(x : ℕ)", "foo x", "qux x", module="Mathlib.Other")
    assert other.id not in _kept_among(far, other, d)


def test_the_goal_gets_half_of_the_quota():
    from collections import Counter

    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    from helpers.lean_text import make_rule

    rw = [make_rule(f"foo_eq{k}", "eq", "(x : ℕ)", "foo x", f"baz{k} x") for k in range(16)]
    imp = [make_rule(f"foo_zero{k}", "imp", "(x : ℕ) (hx : x = 1)", "foo x = 0",
                     hyps=("x = 1",)) for k in range(16)]
    decls, _ = extract("def foo (n : ℕ) : ℕ := n\n"
                       "theorem c (h : foo 1 = 0) (h' : foo 2 = 0) : foo 3 = foo 4 := sorry\n",
                       module="Demo.Cand")
    d = decls["c"]
    ix = RuleIndex.build(rw + imp, max_per_theorem=8)
    kinds = Counter(i.kind for i in ix.invocations(d, tuple(decl_binders(d)),
                                                   decl_conclusion(d)))
    # a quarter each for the hypotheses (rounded up), the rest for the goal
    assert kinds == {"apply_hyp": 2, "rw_hyp": 2, "rw_goal": 4}
    # negative: without hypotheses the goal takes the whole quota
    decls, _ = extract("def foo (n : ℕ) : ℕ := n\ntheorem c : foo 3 = foo 4 := sorry\n",
                       module="Demo.Cand")
    d = decls["c"]
    assert len(ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))) == 8


CONCLUSIONS = """\
variable {α : Type*}

theorem rot_apply (i : Fin n) : haveI := i.neZero; rot n i = i + 1 := sorry
theorem rot_let (i : Fin n) : let m := n; rot m i = i + 1 := sorry
theorem to_eq {n : ℕ} : {a b : α} → IsNat a n → cast n = b → a = cast n := sorry
theorem comm_X (p : ℕ) : Commute X p := sorry
theorem inst_eq [PseudoMetricSpace α] : ‹PseudoMetricSpace α›.toUniformSpace = ofDist α := sorry
"""


def test_conclusions_lean_reads_as_equations_give_rewrites():
    def fwd(name: str) -> list[str]:
        st = RuleStats.new(trace=True)
        return [print_term(loads(r.pattern)) for r in _rules(CONCLUSIONS, name, st)
                if r.direction == "fwd" and r.kind != "imp"]

    # `haveI := v; t` is `t` with the instance inlined
    assert fwd("rot_apply") == ["rot n i"]
    # `{a b : α} →` binds like `∀ {a b : α},`; a premise of an equation is an antecedent
    # even when its look does not say proposition (`IsNat a n`)
    assert fwd("to_eq") == []  # its forward pattern `a` is a bare variable
    rules = [r for r in _rules(CONCLUSIONS, "to_eq") if r.kind == "eq"]
    assert [print_term(loads(r.pattern)) for r in rules] == ["cast n"]  # bwd
    assert [print_term(loads(s)) for s in rules[0].side_conditions] == [
        "IsNat a n", "cast n = b"]
    # `‹T›` parses, so the lemma gives its rewrite
    assert fwd("inst_eq") == ["‹PseudoMetricSpace α›.toUniformSpace"]
    # negatives: a named `let` stays in the lemma's type, and a proposition that is no
    # equation gives no rewrite
    assert fwd("rot_let") == [] and fwd("comm_X") == []
