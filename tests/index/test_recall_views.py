"""Sub-terms Lean's `rw` sees that the candidate writes inside a larger token: a constant
with universe levels (`Small.{v}`), a field of a field of a variable (`f.range.FG`
holds `f.range`) and the term in an operator's bracket (`f =ᶠ[𝓝 (x, y)] g` holds
`𝓝 (x, y)`).  Each with its negative case."""

from __future__ import annotations

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


def test_a_field_chain_of_a_variable_holds_its_shorter_chain():
    d, found = _found(CHAINS, ["range_eq_image"], "fg_range")
    assert [i.instance for _, i in found] == ["f.range"]
    assert found[0][1].path.endswith('["field", 1]]')
    # `rw [range_eq_image]` turns `(f.range).FG'` into `(f.image).FG'`
    assert mutant_conclusion(d, *found[0]) == "f.image.FG'"


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
    d, found = _found(BRACKETS, ["nhds_prod_eq"], "cand")
    assert [i.instance for _, i in found] == ["𝓝 (x, y)"]
    assert found[0][1].path.endswith('["bracket", -1]]')
    assert mutant_conclusion(d, *found[0]) == "f =ᶠ[𝓝 x ×ˢ 𝓝 y] g"


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


def _starving_text(decoys: int) -> str:
    parts = ["namespace Starve\n"]
    for k in range(decoys):
        parts.append(f"namespace D{k}\ndef map (n : ℕ) : ℕ := n\n"
                     f"theorem map_map{k} (n : ℕ) : map (map n) = n := sorry\nend D{k}\n")
    parts.append("namespace T\ndef map (n : ℕ) : ℕ := n\n"
                 "theorem map_eq (n : ℕ) : map n = n := sorry\nend T\n"
                 "theorem cand (k : ℕ) : T.map (T.map k) = k := sorry\nend Starve\n")
    return "".join(parts)


def _resolved_invocations(text: str, candidate: str, cap: int):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.names import NameTable, Resolver, ScopeView
    from lean_alchemy.index.passes import const_eq_for

    decls, scopes = extract(text)
    rules = [r for d in decls.values() if d.kind == "theorem" and d.name != candidate
             for r in derived_rules(text, d.name)]
    d = decls[candidate]
    res = Resolver(NameTable.from_declarations(decls.values()))
    view = ScopeView.of(scopes[d.scope_id])
    ix = RuleIndex.build(rules, max_per_theorem=cap)
    invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d),
                          resolve=lambda t: res.resolve_term(t, view, frozenset({"k"})),
                          const_eq=const_eq_for(res, view))
    lemma = {r.id: r.lemma for r in rules}
    return {lemma[i.rule_id] for i in invs}


def test_constants_of_the_same_last_name_do_not_starve_the_right_rule():
    # thirty `Dk.map (Dk.map n)` patterns fit `T.map (T.map k)` by skeleton and are tried
    # first (more specific); each is refused by its constant
    assert _resolved_invocations(_starving_text(30), "cand", cap=4) == {"Starve.T.map_eq"}


def test_a_budget_still_bounds_the_refused_matches():
    # past four times the attempts, the refused pairs stop the tier as before
    assert _resolved_invocations(_starving_text(140), "cand", cap=4) == set()
