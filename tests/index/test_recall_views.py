"""Sub-terms Lean's `rw` sees that the candidate writes inside a larger token: a constant
with universe levels (`Small.{v}`), a field of a field of a variable (`f.range.FG`
holds `f.range`) and the term in an operator's bracket (`f =ᶠ[𝓝 (x, y)] g` holds
`𝓝 (x, y)`).  Each with its negative case."""

from __future__ import annotations

import json

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.printer import print_term

from helpers.lean_text import derived_rules, extract, mutant_conclusion


def _found(text: str, rule_names: list[str], candidate: str, direction: str = "fwd"):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    rules = [r for n in rule_names for r in derived_rules(text, n)]
    decls, _ = extract(text)
    d = decls[candidate]
    invs = RuleIndex.build(rules).invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
    by_id = {r.id: r for r in rules}
    return d, [(by_id[i.rule_id], i) for i in invs
               if i.kind == "rw_goal" and by_id[i.rule_id].direction == direction]


UNIVERSES = """\
namespace Univ
universe u v w

class Tiny (α : Type v) : Prop where
  out : True
class Other (α : Type v) : Prop where
  out : True
def sections (α : Type u) : Type u := α

theorem tiny_iff {α : Type u} : Tiny.{u} (sections α) ↔ Nonempty α := sorry

theorem cand {β : Type w} (h : Nonempty β) : Tiny.{w} (sections β) := sorry

theorem other {β : Type w} (h : Nonempty β) : Other.{w} (sections β) := sorry

end Univ
"""


def test_a_constant_with_other_universe_levels_is_the_same_constant():
    d, found = _found(UNIVERSES, ["tiny_iff"], "cand")
    assert [i.instance for _, i in found] == ["Tiny.{w} (sections β)"]
    assert mutant_conclusion(d, *found[0]) == "Nonempty β"


def test_universe_levels_do_not_make_another_constant_match():
    assert _found(UNIVERSES, ["tiny_iff"], "other")[1] == []


CHAINS = """\
namespace Chain

structure Hom (α : Type) where
  toFun : α → α

def Hom.range {α : Type} (f : Hom α) : Set α := Set.univ
def Hom.image {α : Type} (f : Hom α) : Set α := Set.univ
def FG {α : Type} (s : Set α) : Prop := True
def Set.FG' {α : Type} (s : Set α) : Prop := True

theorem range_eq_image {α : Type} (f : Hom α) : f.range = f.image := sorry

theorem fg_range {α : Type} (f : Hom α) (h : FG f.image) : f.range.FG' := sorry

theorem fg_other {α : Type} (f : Hom α) (h : FG f.image) : f.image.FG' := sorry

end Chain
"""


def _rewritten_at(text: str, rule: str, candidate: str, step: str) -> tuple[str, str]:
    """(instance, mutant conclusion) of the one `rw_goal` invocation of `rule` on
    `candidate`, checked to end in the view `step`."""
    d, found = _found(text, [rule], candidate)
    assert len(found) == 1
    assert json.loads(found[0][1].path)[-1][0] == step
    return found[0][1].instance, mutant_conclusion(d, *found[0])


def test_a_field_chain_of_a_variable_holds_its_shorter_chain():
    # `rw [range_eq_image]` turns `(f.range).FG'` into `(f.image).FG'`
    assert _rewritten_at(CHAINS, "range_eq_image", "fg_range", "field") \
        == ("f.range", "f.image.FG'")


def test_a_field_chain_does_not_hold_another_field():
    assert _found(CHAINS, ["range_eq_image"], "fg_other")[1] == []


def test_a_field_chain_rewritten_to_a_compound_term_is_a_projection():
    from lean_alchemy.grammar.ast import FIELD, Ident
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.grammar.substitute import replace_all

    t = parse_term("FG f.range.FG' ∧ g.range.FG'")
    out, n = replace_all(t, Ident("f.range"), parse_term("map f ⊤"), (FIELD, 1))
    assert (print_term(out), n) == ("FG (map f ⊤).FG' ∧ g.range.FG'", 1)


BRACKETS = """\
namespace Brk

theorem nhds_prod_eq {X Y : Type} {x : X} {y : Y} : 𝓝 (x, y) = 𝓝 x ×ˢ 𝓝 y := sorry

theorem cand {f g : ℕ × ℕ → ℝ} {x y : ℕ} (h : True) : f =ᶠ[𝓝 (x, y)] g := sorry

theorem cand_bound {f g : ℕ × ℕ → ℝ} {y : ℕ} : ∀ x : ℕ, f =ᶠ[𝓝 (x, y)] g := sorry

theorem cand_other {f g : ℕ × ℕ → ℝ} {x : ℕ} : f =ᶠ[𝓝 x] g := sorry

end Brk
"""


def test_the_term_in_an_operators_bracket_is_rewritten_as_an_argument():
    assert _rewritten_at(BRACKETS, "nhds_prod_eq", "cand", "bracket") \
        == ("𝓝 (x, y)", "f =ᶠ[𝓝 x ×ˢ 𝓝 y] g")


def test_a_bracket_naming_a_bound_variable_or_another_term_is_not_matched():
    assert _found(BRACKETS, ["nhds_prod_eq"], "cand_bound")[1] == []
    assert _found(BRACKETS, ["nhds_prod_eq"], "cand_other")[1] == []


def test_a_filled_variables_type_agrees_whatever_its_universe_levels():
    from lean_alchemy.grammar.ast import App, Ident
    from lean_alchemy.index.match.unify import unify

    # the rule's types are resolved (levels dropped), the candidate's binder types written
    assert unify(Ident("SSet"), Ident("SSet.{u}"), frozenset(), {})
    assert unify(App(Ident("Demo.Tiny"), (Ident("α"),)),
                 App(Ident("Tiny.{w}"), (Ident("β"),)), frozenset({"α"}), {})
    assert not unify(Ident("SSet"), Ident("Other.{u}"), frozenset(), {})


TYPED_BRACKETS = """\
namespace TB

structure Filt (α : Type) where
  sets : Set (Set α)

def nb {α : Type} (l : Filt α) : Filt (Filt α) := ⟨∅⟩
def lifted {α : Type} (l : Filt α) : Filt (Filt α) := ⟨∅⟩

theorem nb_eq {α : Type} (l : Filt α) : nb l = lifted l := sorry

theorem on_point {f g : ℕ → ℕ} (y : ℕ → ℕ) : f =ᶠ[nb y] g := sorry

theorem on_filter {f g : Filt ℕ → ℕ} (l : Filt ℕ) : f =ᶠ[nb l] g := sorry

end TB
"""


def test_the_terms_in_a_bracket_are_typed_like_the_others():
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rigid import rigid_names
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(TYPED_BRACKETS)
    rules = derived_rules(TYPED_BRACKETS, "nb_eq")
    ix = RuleIndex.build(rules, rigid=rigid_names(decls.values()), generic_evidence=True)

    def found(name: str) -> list[str]:
        d = decls[name]
        return [i.instance for i in ix.invocations(d, tuple(decl_binders(d)),
                                                   decl_conclusion(d))]

    # a function is no `Filt α`: the rigid filter sees the bracket's variable typed
    assert found("on_point") == []
    assert found("on_filter") == ["nb l"]


COERCED = """\
namespace Coe

structure Hom (α β : Type) where
  toFun : α → β

instance {α β : Type} : CoeFun (Hom α β) (fun _ => α → β) := ⟨Hom.toFun⟩

def ad (α : Type) : Hom α α := ⟨id⟩
def lmul (α : Type) : Hom α α := ⟨id⟩
def Nil {α : Type} (x : α) : Prop := True

theorem ad_eq (α : Type) : (ad α : α → α) = lmul α := sorry

theorem cand (a : ℕ) : Nil (ad ℕ a) := sorry

theorem written (a : ℕ) : Nil (⇑(ad ℕ) a) := sorry

theorem other (a : ℕ) : Nil (lmul ℕ a) := sorry

end Coe
"""


def test_a_pattern_ascribed_a_function_type_is_the_coerced_map():
    # `rw [ad_eq]` rewrites `ad ℕ a`, Lean's `⇑(ad ℕ) a`: the function of the application
    assert _rewritten_at(COERCED, "ad_eq", "cand", "coe") == \
        ("⇑(ad ℕ)", "Nil (Coe.lmul ℕ a)")
    d, found = _found(COERCED, ["ad_eq"], "written")  # the coercion written out
    assert [(x[1].instance, mutant_conclusion(d, *x)) for x in found] == \
        [("⇑(ad ℕ)", "Nil ((Coe.lmul ℕ) a)")]


def test_a_pattern_ascribed_a_function_type_does_not_match_another_map():
    assert _found(COERCED, ["ad_eq"], "other")[1] == []
    # a pattern variable's term stays as it is: `⇑f` would meet every coercion
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.index.pattern_forms import coerced_function

    assert coerced_function(parse_term("(f : α → β)"), frozenset({"f"})) is None
    assert coerced_function(parse_term("(f.comp g : α → β)"), frozenset({"f", "g"})) is None
    assert coerced_function(parse_term("(ad α : Set α)"), frozenset({"α"})) is None


CONSTANT_FIELDS = """\
namespace CF

structure Measure (α : Type) where
  w : ℕ

def Measure.restrict {α : Type} (μ : Measure α) (s : Set α) : Measure α := μ
def Measure.total {α : Type} (μ : Measure α) : ℕ := μ.w
def volume : Measure ℕ := ⟨0⟩
def other : ℕ := 0

theorem total_restrict {α : Type} (μ : Measure α) (s : Set α) :
    (μ.restrict s).total = μ.total := sorry

theorem cand (s : Set ℕ) : (volume.restrict s).total = 0 := sorry

theorem written (s : Set ℕ) : (Measure.restrict volume s).total = 0 := sorry

end CF
"""


def _found_declared(text: str, rule: str, candidate: str, declared: bool = True):
    """`_found` with names resolved in the candidate's scope and the index told the
    library's declared names, as pass 2 is (`declared=False`: as before it was)."""
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.names import NameTable, Resolver, ScopeView, binder_locals

    rules = derived_rules(text, rule)
    decls, scopes = extract(text)
    d = decls[candidate]
    ix = RuleIndex.build(rules)
    res = Resolver(NameTable.from_declarations(decls.values()))
    if declared:
        ix.declared = res.table.names
    view = ScopeView.of(scopes[d.scope_id])
    groups = tuple(decl_binders(d))
    local = binder_locals(groups)
    invs = ix.invocations(d, groups, decl_conclusion(d),
                          resolve=lambda t: res.resolve_term(t, view, local))
    by_id = {r.id: r for r in rules}
    return d, [(by_id[i.rule_id], i) for i in invs if i.kind == "rw_goal"]


def test_a_field_of_a_constant_is_its_receiver_applied():
    # `volume.restrict s` is Lean's `Measure.restrict volume s`: `μ := volume`
    d, found = _found_declared(CONSTANT_FIELDS, "total_restrict", "cand")
    assert [(i.instance, mutant_conclusion(d, r, i)) for r, i in found] == \
        [("(volume.restrict s).total", "volume.total = 0")]
    # negatives: without the library's names (the symbol of an unknown name), and a
    # declared name is a constant, not a field (`Measure.restrict volume s` is matched
    # through the receiver table's views, which this index has not)
    assert _found_declared(CONSTANT_FIELDS, "total_restrict", "cand", declared=False)[1] == []
    assert _found_declared(CONSTANT_FIELDS, "total_restrict", "written")[1] == []
