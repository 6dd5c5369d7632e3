"""Rewrites whose replacement needs a variable the pattern does not bind: the rule is kept,
and a match binds that variable to a variable of the candidate whose type fits
(`index.match.fill`), else leaves it to a new binder of the mutant when that binder can be
closed (`test_fill_fresh_binder.py`), else gives no invocation (`unfilled_variable`)."""

from __future__ import annotations

from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.statements import decl_binders, decl_conclusion, scope_binders
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.rules import RuleStats

from helpers.lean_text import derived_rules, extract, mutant_conclusion

LIB = """\
variable {M₀ : Type*} [CancelMonoidWithZero M₀]

theorem mul_right_inj' {a b c : M₀} (ha : a ≠ 0) : a * b = a * c ↔ b = c := sorry

theorem mul_right_inj_ne {a : M₀} [NeZero a] {b c : M₀} : a * b = a * c ↔ b = c := sorry

theorem rank_pos_iff {R M : Type*} [Semiring R] [AddCommMonoid M] [Module R M] :
    0 < Module.rank R M ↔ Nontrivial M := sorry

theorem indep_iff {Ω β : Type*} [mβ : MeasurableSpace β] (f : Ω → β) :
    IndepFn f ↔ Indep (MeasurableSpace.comap f mβ) := sorry

theorem isLittleO_iff {α : Type*} {f g : α → ℝ} {l : Filter α} :
    f =o[l] g ↔ Tendsto (fun x => f x / g x) l (𝓝 0) := sorry

theorem range_eq_top {R A B : Type*} [CommSemiring R] (f : A →ₐ[R] B) :
    f.range = (⊤ : Subalgebra R B) ↔ Function.Surjective f := sorry

theorem untyped_extra (m) (i : ℕ) : Ici i = g m i := sorry

theorem tendsto_congr' {α β : Type*} {f₁ f₂ : α → β} {l₁ : Filter α} {l₂ : Filter β}
    (hl : f₁ =ᶠ[l₁] f₂) : Tendsto f₁ l₁ l₂ ↔ Tendsto f₂ l₁ l₂ := sorry

theorem cand_mul (x y z : M₀) (hx : x ≠ 0) : y = z := sorry

theorem cand_mul_nat (n k : ℕ) (u v : M₀) (hn : n ≠ 0) : u = v := sorry

theorem cand_mul_unknown (q : ℕ) (u : M₀) : foo q = bar q := sorry

theorem cand_ne (x y z : M₀) [NeZero x] : y = z := sorry

theorem cand_ne_missing (x y z : M₀) : y = z := sorry

theorem cand_rank {S N : Type*} [Semiring S] [AddCommMonoid N] [Module S N] :
    Nontrivial N := sorry

theorem cand_rank_no_module {S N : Type*} [Semiring S] [AddCommMonoid N] :
    Nontrivial N := sorry

theorem cand_indep {Ω γ : Type*} [mγ : MeasurableSpace γ] (φ : Ω → γ) : IndepFn φ := sorry

theorem cand_indep_anon {Ω γ : Type*} [MeasurableSpace γ] (φ : Ω → γ) : IndepFn φ := sorry

theorem cand_indep_none {Ω γ : Type*} (φ : Ω → γ) : IndepFn φ := sorry

theorem cand_little_o {α : Type*} {u v : α → ℝ} {l : Filter α} : u =o[l] v := sorry

theorem cand_surj {K X Y : Type*} [CommSemiring K] (φ : X →ₐ[K] Y) :
    Function.Surjective φ := sorry

theorem cand_tendsto {α β : Type*} {f g : α → β} {l₁ : Filter α} {m : Filter β} :
    Tendsto f l₁ m := sorry

theorem cand_tendsto_other {α β : Type*} {f g : α → β} {l : Filter α} {m : Filter β} :
    Tendsto f l m := sorry

theorem cand_surj_concrete {X Y : Type*} (φ : X →ₐ[ℚ] Y) : Function.Surjective φ := sorry

theorem mono_iff_succ {n : ℕ} {α : Type*} [Preorder α] (f : Fin (n + 1) → α) :
    Monotone f ↔ ∀ i : Fin n, f i.castSucc ≤ f i.succ := sorry

theorem cand_mono {k : ℕ} {β : Type*} [Preorder β] (g : Fin (k + 1) → β) : Monotone g := sorry

theorem deg_def' {T : Type*} [Semiring T] (p : T[X]) : deg p = degBy (RingHom.id T) p := sorry

theorem cand_deg {R : Type*} [Semiring R] (q : R[X]) : deg q = 0 := sorry

theorem cand_mono_compound {k : ℕ} {β : Type*} [Preorder β] (g : Fin (k + 2) → β) :
    Monotone (g ∘ Fin.succ) := sorry
"""

_DECLS, _SCOPES = extract(LIB)


def _rules(name: str, st: RuleStats | None = None):
    return derived_rules(LIB, name, st)


def _index(*lemmas: str) -> RuleIndex:
    return RuleIndex.build([r for n in lemmas for r in _rules(n)])


def _invocations(ix: RuleIndex, cand: str, lemma: str, direction: str):
    d = _DECLS[cand]
    section = tuple(scope_binders(_SCOPES[d.scope_id]))
    out = []
    for inv in ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d),
                              extra_binders=section):
        r = ix.rules[inv.rule_id]
        if r.lemma == lemma and r.direction == direction and inv.kind == "rw_goal":
            out.append(inv)
    return out


def _subst(inv) -> dict[str, str]:
    from lean_alchemy.grammar.ast import loads

    return {k: print_term(loads(v)) for k, v in inv.subst}


def test_rules_needing_a_candidate_variable_are_kept():
    for name in ("mul_right_inj'", "rank_pos_iff", "indep_iff", "isLittleO_iff",
                 "range_eq_top"):
        st = RuleStats.new()
        dirs = {r.direction for r in _rules(name, st) if r.kind == "iff"}
        assert dirs == {"fwd", "bwd"}, name
        assert "unbound_replacement_vars" not in st.dropped, name


def test_a_variable_without_a_declared_type_still_drops_the_rule():
    st = RuleStats.new()
    assert not [r for r in _rules("untyped_extra", st) if r.direction == "fwd"]
    assert st.dropped["unbound_replacement_vars"] == 1


def test_a_term_variable_takes_candidate_variables_of_its_type():
    ix = _index("mul_right_inj'")
    got = [_subst(i) for i in _invocations(ix, "cand_mul", "mul_right_inj'", "bwd")]
    # `M₀` is solved from `y : M₀`; the first two variables of that type, in binder order
    assert got == [{"a": "x", "b": "y", "c": "z"}, {"a": "y", "b": "y", "c": "z"}]


def test_a_term_variable_of_another_or_unknown_type_is_not_filled():
    ix = _index("mul_right_inj'")
    got = [_subst(i) for i in _invocations(ix, "cand_mul_nat", "mul_right_inj'", "bwd")]
    assert got == [{"a": "u", "b": "u", "c": "v"}, {"a": "v", "b": "u", "c": "v"}]  # not n, k
    # `foo q`: no type, so `M₀` is unknown and no variable is chosen
    assert _invocations(ix, "cand_mul_unknown", "mul_right_inj'", "bwd") == []
    assert ix.stats.filtered["unfilled_variable"] >= 1


def test_an_instance_about_the_filled_variable_must_be_the_candidates():
    ix = _index("mul_right_inj_ne")
    got = [_subst(i)["a"] for i in _invocations(ix, "cand_ne", "mul_right_inj_ne", "bwd")]
    assert got == ["x"]  # `[NeZero x]` is there, `[NeZero y]` is not
    # no candidate variable has its `NeZero`, and `b = c` relates variables only: no new
    # binder is offered for `a` either (`fill._bare_relation`)
    assert _invocations(ix, "cand_ne_missing", "mul_right_inj_ne", "bwd") == []


def test_a_type_variable_comes_from_a_linking_instance():
    ix = _index("rank_pos_iff")
    got = [_subst(i) for i in _invocations(ix, "cand_rank", "rank_pos_iff", "bwd")]
    assert got == [{"M": "N", "R": "S"}]
    # no `[Module S N]`: `R` is left to a new binder (with `[Semiring R] [Module R N]`)
    got = [_subst(i) for i in _invocations(ix, "cand_rank_no_module", "rank_pos_iff", "bwd")]
    assert got == [{"M": "N"}]


def test_an_instance_variable_takes_the_candidates_instance():
    ix = _index("indep_iff")
    got = [_subst(i) for i in _invocations(ix, "cand_indep", "indep_iff", "fwd")]
    assert got == [{"f": "φ", "mβ": "mγ"}]
    got = [_subst(i) for i in _invocations(ix, "cand_indep_anon", "indep_iff", "fwd")]
    assert got == [{"f": "φ", "mβ": "(inferInstance : MeasurableSpace γ)"}]


def test_a_name_inside_an_operator_of_the_pattern_is_the_candidates():
    ix = _index("isLittleO_iff")
    got = [_subst(i) for i in _invocations(ix, "cand_little_o", "isLittleO_iff", "fwd")]
    assert got == [{"f": "u", "g": "v", "l": "l"}]


def test_a_name_inside_an_operator_of_a_type_is_solved_from_the_value():
    ix = _index("range_eq_top")
    got = [_subst(i) for i in _invocations(ix, "cand_surj", "range_eq_top", "bwd")]
    # `B` of the new text comes from `φ`'s type too, and the invocation carries it: the
    # mutation engine's exact type matching cannot read `→ₐ[K]` against `→ₐ[R]`
    assert got == [{"B": "Y", "R": "K", "f": "φ"}]
    # `R := ℚ` is not a type variable of the candidate: refused (the mutant would ascribe
    # it with the rule's universe)
    assert _invocations(ix, "cand_surj_concrete", "range_eq_top", "bwd") == []


def test_the_mutant_passes_the_filled_variable_by_name():
    # the mutation engine needs no special case: the filling is one more named argument
    from lean_alchemy.mutate.proofs import bridge
    from lean_alchemy.mutate.statements import DecodedRule, apply_invocation

    ix = _index("mul_right_inj'", "indep_iff")
    d = _DECLS["cand_mul"]
    inv = _invocations(ix, "cand_mul", "mul_right_inj'", "bwd")[0]
    m = apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), inv,
                         DecodedRule.of(ix.rules[inv.rule_id]))
    assert print_term(m.conclusion) == "x * y = x * z"
    assert [print_term(g.type) for g in m.binders if g.names == ("hx",)] == ["x ≠ 0"]
    body = bridge(m.step, ("exact sorry_free",))
    assert body[1] == "rewrite [← mul_right_inj' (a := x) (b := y) (c := z) (ha := hx)] at this"
    d = _DECLS["cand_indep_anon"]
    inv = _invocations(ix, "cand_indep_anon", "indep_iff", "fwd")[0]
    m = apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), inv,
                         DecodedRule.of(ix.rules[inv.rule_id]))
    assert print_term(m.conclusion) == \
        "Indep (MeasurableSpace.comap φ (inferInstance : MeasurableSpace γ))"
    assert "(mβ := (inferInstance : MeasurableSpace γ))" in bridge(m.step, ("exact h",))[1]


def test_a_rule_no_candidate_variable_can_fill_is_passed_over_before_matching():
    from lean_alchemy.index.match.fill import Candidate, fill_spec, possible

    def cand(name: str) -> Candidate:
        from lean_alchemy.grammar.walk import binder_types

        d = _DECLS[name]
        section = tuple(scope_binders(_SCOPES[d.scope_id]))
        groups = tuple(decl_binders(d))
        return Candidate.of(groups, section, decl_conclusion(d),
                            binder_types(section + groups))

    def spec(lemma: str, direction: str):
        (r,) = [r for r in _rules(lemma) if r.direction == direction and r.kind == "iff"]
        return fill_spec(r)

    assert possible(spec("mul_right_inj_ne", "bwd"), cand("cand_ne"))
    assert not possible(spec("mul_right_inj_ne", "bwd"), cand("cand_ne_missing"))  # NeZero
    # a variable that may be bound anew never makes a rule impossible
    assert possible(spec("rank_pos_iff", "bwd"), cand("cand_rank_no_module"))
    # a named instance is never bound anew: without a `MeasurableSpace`, impossible
    assert not possible(spec("indep_iff", "fwd"), cand("cand_indep_none"))
    ix = RuleIndex.build(_rules("indep_iff"), max_per_theorem=64)
    assert _invocations(ix, "cand_indep_none", "indep_iff", "fwd") == []
    assert sum(ix.stats.tried.values()) == 0 and ix.stats.filtered["unfilled_variable"] >= 1


def test_a_matched_variable_filling_a_bracket_of_a_side_condition_is_substituted():
    from lean_alchemy.grammar.printer import print_term
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.mutate.statements import DecodedRule, apply_invocation

    ix = _index("tendsto_congr'")
    got = [_subst(i) for i in _invocations(ix, "cand_tendsto", "tendsto_congr'", "fwd")]
    assert got and all(s["l₁"] == "l₁" for s in got) and got[0]["f₂"] == "g"
    # `l₁ := l`: the new hypothesis states `f =ᶠ[l] g`, the bracket substituted
    d = _DECLS["cand_tendsto_other"]
    hyps = set()
    for inv in _invocations(ix, "cand_tendsto_other", "tendsto_congr'", "fwd"):
        assert _subst(inv)["l₁"] == "l"
        m = apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), inv,
                             DecodedRule.of(ix.rules[inv.rule_id]))
        hyps |= {print_term(g.type) for g in m.binders if g.names[0].startswith("h")}
    assert hyps == {"f =ᶠ[l] g", "f =ᶠ[l] f"}


def _mutant_conclusion(ix: RuleIndex, cand: str, inv) -> str:
    return mutant_conclusion(_DECLS[cand], ix.rules[inv.rule_id], inv)


def test_a_variable_only_types_fix_is_carried_or_the_match_refused():
    # `n` is fixed by `f : Fin (n + 1) → α` and spelled by the new text (`Fin n`): the
    # invocation carries it, so the mutation engine can write the statement
    ix = _index("mono_iff_succ", "range_eq_top")
    invs = _invocations(ix, "cand_mono", "mono_iff_succ", "fwd")
    assert [_subst(i) for i in invs] == [{"f": "g", "n": "k"}]
    assert _mutant_conclusion(ix, "cand_mono", invs[0]) == (
        "∀ i : Fin k, g i.castSucc ≤ g i.succ")
    inv = _invocations(ix, "cand_surj", "range_eq_top", "bwd")[0]
    assert _mutant_conclusion(ix, "cand_surj", inv) == "φ.range = (⊤ : Subalgebra K Y)"
    # a value whose type the candidate does not declare leaves `n` unknown: Lean's
    # unifier finds it from `g ∘ Fin.succ`, so it is written `_` (`test_rules_fill_holes`)
    invs = _invocations(ix, "cand_mono_compound", "mono_iff_succ", "fwd")
    assert [_subst(i) for i in invs] == [{"f": "g ∘ Fin.succ", "n": "_"}]


def test_a_variable_fixed_inside_a_glued_notation_is_solved():
    # `T` of `p : T[X]` (a glued notation) is solved from `q : R[X]`, item by item
    ix = _index("deg_def'")
    invs = _invocations(ix, "cand_deg", "deg_def'", "fwd")
    assert [_subst(i) for i in invs] == [{"T": "R", "p": "q"}]
    assert _mutant_conclusion(ix, "cand_deg", invs[0]) == "degBy (RingHom.id R) q = 0"
