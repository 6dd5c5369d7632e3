"""The typed filter asks the instances a rule's new text needs even when the rule's
variables share names with the candidate's, the new text binds names, or a type's head
may unfold.

Facts mirrored by the fixture, read in Mathlib:
- `Bornology.IsBounded {α : Type*} [Bornology α] (s : Set α) : Prop`
  (Mathlib/Topology/Bornology/Basic.lean), and a `protected abbrev Set := …` in
  `CategoryTheory` (Mathlib/CategoryTheory/Presentable/Type.lean:64), which makes the
  last name `Set` one an `abbrev` may have; `abbrev Ideal (R : Type u) … := Submodule R R`
  (Mathlib/RingTheory/Ideal/Defs.lean);
- `WithBot.addLECancellable_of_ne_bot … {x : WithBot α} (hx : x ≠ ⊥)`
  (Mathlib/Algebra/Order/Monoid/Unbundled/WithTop.lean:570), `notation "⊥" => Bot.bot`
  (Mathlib/Order/Notation.lean);
- `le_of_forall_rat_lt_imp_le {K : Type*} … {x y : K} (h : ∀ q : ℚ, (q : K) < x →
  (q : K) ≤ y) : x ≤ y` (Mathlib/Algebra/Order/Archimedean/Basic.lean:415).
"""

from helpers.typing_library import candidate_context as _ctx
from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.apart import TextMemo, renamed_apart
from lean_alchemy.index.typing.classes import ClassTable, unify
from lean_alchemy.index.typing.filter import TypedFilter

LIB = [
    ("Set", "def", "def Set (α : Type u) : Type u := α → Prop"),
    ("CategoryTheory.Small.Set", "abbrev",
     "abbrev CategoryTheory.Small.Set (X : Type u) : Type u := List X"),
    ("Bornology", "class", "class Bornology (α : Type u) where\n  cobounded : α → Prop"),
    ("Bornology.IsBounded", "def",
     "def Bornology.IsBounded {α : Type u} [Bornology α] (s : Set α) : Prop := True"),
    ("Bot", "class", "class Bot (α : Type u) where\n  bot : α"),
    ("LE", "class", "class LE (α : Type u) where\n  le : α → α → Prop"),
    ("LT", "class", "class LT (α : Type u) where\n  lt : α → α → Prop"),
    ("Preorder", "class", "class Preorder (α : Type u) extends LE α, LT α where\n  r : ℕ"),
    ("Ideal", "abbrev", "abbrev Ideal (R : Type u) : Type u := Set R"),
    ("WithBot", "def", "def WithBot (α : Type u) : Type u := Option α"),
]


def _table() -> ClassTable:
    return class_table(LIB)


def test_a_root_definition_is_what_its_bare_name_means() -> None:
    """`Set` is a root `def`; another namespace's `abbrev` of that last name does not
    make the bare name one instance matching may unfold.  A root `abbrev` stays one."""
    table = _table()
    assert "Set" not in table.flexible
    assert "Ideal" in table.flexible


def test_one_unfoldable_head_solves_its_arguments() -> None:
    """`Ideal α` against `Ideal X`: `Ideal` may unfold (an `abbrev`), yet its arguments
    solve `α`; different arguments are no clash (unknown), and solve nothing."""
    table = _table()
    s: dict = {}
    assert unify(parse_term("Ideal α"), parse_term("Ideal X"), frozenset({"α"}), s, table,
                 frozenset({"X"})) is True
    assert s == {"α": parse_term("X")}
    s2: dict = {"α": parse_term("Y")}
    assert unify(parse_term("Ideal α"), parse_term("Ideal X"), frozenset({"α"}), s2, table,
                 frozenset({"X", "Y"})) is None
    assert s2 == {"α": parse_term("Y")}


def test_a_constant_applied_to_a_set_asks_its_instances() -> None:
    """`¬Bornology.IsBounded s` as an `apply_hyp` mutant's new hypothesis, `s := F` with
    `F : Set X`: it needs `Bornology X`, which a bare `X` lacks."""
    table = _table()
    filt = TypedFilter(table)
    names, kinds = ["α", "", "s"], ["implicit", "inst", "implicit"]
    types = [parse_term("Type u"), parse_term("Bornology α"), parse_term("Set α")]
    new = (parse_term("¬Bornology.IsBounded s"),)
    val = {"s": parse_term("F")}
    bare = _ctx(table, "{X : Type u} (F : Set X)")
    assert filt.check(bare, names, kinds, types, val, "apply_hyp", new_terms=new,
                      namespace="Bornology") == "instance_missing"
    with_it = _ctx(table, "{X : Type u} [Bornology X] (F : Set X)")
    assert filt.check(with_it, names, kinds, types, val, "apply_hyp", new_terms=new,
                      namespace="Bornology") is None


def test_a_rule_variable_named_like_a_candidate_s_type_variable_is_kept_apart() -> None:
    """`x ≠ ⊥` with the rule's `x : WithBot α` matched to the candidate's `b : α`: the
    new hypothesis needs `Bot α` of the candidate's `α`, though the rule's own `α` has
    that name and stays unsolved."""
    table = _table()
    filt = TypedFilter(table)
    names, kinds = ["α", "x"], ["implicit", "implicit"]
    types = [parse_term("Type u"), parse_term("WithBot α")]
    new = (parse_term("x ≠ ⊥"),)
    val = {"x": parse_term("b")}
    bare = _ctx(table, "{α : Type u} [LE α] (b : α)")
    assert filt.check(bare, names, kinds, types, val, "apply_hyp",
                      new_terms=new) == "instance_missing"
    assert [str(q) for q, _ in filt.last["queries"]] == [str(parse_term("Bot α"))]
    with_bot = _ctx(table, "{α : Type u} [Bot α] (b : α)")
    assert filt.check(with_bot, names, kinds, types, val, "apply_hyp", new_terms=new) is None


def test_renaming_apart_touches_only_clashing_names() -> None:
    memo = TextMemo()
    names, types = ["α", "x"], [parse_term("Type u"), parse_term("WithBot α")]
    new = (parse_term("∀ y : α, x ≠ y"),)
    same = renamed_apart(names, types, {"x": parse_term("b")}, new, frozenset({"β"}), memo)
    assert same[0] is names and same[3] is new
    got = renamed_apart(names, types, {"α": parse_term("ℕ")}, new, frozenset({"α"}), memo)
    assert list(got[0]) == ["α₉₉", "x"]
    assert got[1][1] == parse_term("WithBot α₉₉")
    assert got[2] == {"α₉₉": parse_term("ℕ")}
    assert got[3][0] == parse_term("∀ y : α₉₉, x ≠ y")
    again = renamed_apart(names, types, {"α": parse_term("ℤ")}, new, frozenset({"α"}), memo)
    assert again[3] is got[3]  # memoized: the filter's own memos meet the same terms
    # the new text writes `α` and the match leaves it: the mutant prints `α`, which in
    # the candidate's scope is the candidate's `α`, so it keeps its name
    kept = renamed_apart(names, types, {"x": parse_term("b")}, new, frozenset({"α"}), memo)
    assert list(kept[0]) == ["α", "x"] and kept[3][0] == new[0]
    unprinted = (parse_term("x ≠ x"),)
    apart = renamed_apart(names, types, {"x": parse_term("b")}, unprinted,
                          frozenset({"α"}), memo)
    assert list(apart[0]) == ["α₉₉", "x"]


def test_the_rule_s_types_reach_under_the_new_text_s_binders() -> None:
    """`∀ q : ℚ, (q : K) < x → (q : K) ≤ y` with `K := α` from `x := a`, `a : α`: under
    the binder `(q : K)` is `(q : α)`, so `<` asks `LT α`, which `[LE α]` lacks."""
    table = _table()
    filt = TypedFilter(table)
    names, kinds = ["K", "x", "y"], ["implicit", "implicit", "implicit"]
    types = [parse_term("Type u"), parse_term("K"), parse_term("K")]
    new = (parse_term("∀ q : ℚ, (q : K) < x → (q : K) ≤ y"),)
    val = {"x": parse_term("a"), "y": parse_term("b")}
    only_le = _ctx(table, "{α : Type u} [LE α] (a b : α)")
    assert filt.check(only_le, names, kinds, types, val, "apply_hyp",
                      new_terms=new) == "instance_missing"
    ordered = _ctx(table, "{α : Type u} [Preorder α] (a b : α)")
    assert filt.check(ordered, names, kinds, types, val, "apply_hyp", new_terms=new) is None


def test_a_notation_with_parameters_asks_the_instances_of_its_right_side() -> None:
    """`𝓝[≥] a` (a `notation3` with a name, Mathlib/Topology/Defs/Filter.lean:149) is
    `nhdsWithin a (Set.Ici a)`: at `a := x`, `x : X`, it needs `Preorder X` for
    `Set.Ici`, which a topological `X` alone lacks."""
    from lean_alchemy.index.typing.notation_commands import notation_commands

    rows = list(notation_commands(
        'scoped[Topology] notation3 (name := nhdsGE) "𝓝[≥] " x:100 => '
        'nhdsWithin x (Set.Ici x)\n'))
    assert [r.name for r in rows] == ["𝓝[≥]"]
    table = class_table(LIB + [
        ("TopologicalSpace", "class", "class TopologicalSpace (α : Type u) where\n  o : ℕ"),
        ("Filter", "structure", "structure Filter (α : Type u) where\n  s : Set (Set α)"),
        ("nhdsWithin", "def", "def nhdsWithin {X : Type u} [TopologicalSpace X] (x : X) "
                              "(s : Set X) : Filter X := sorry"),
        ("Set.Ici", "def", "def Set.Ici {α : Type u} [Preorder α] (a : α) : Set α := sorry"),
    ], rows)
    filt = TypedFilter(table)
    names, kinds = ["α", "a"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α")]
    new = (parse_term("𝓝[≥] a"),)
    val = {"a": parse_term("x")}
    topo = _ctx(table, "{X : Type u} [TopologicalSpace X] (x : X)")
    assert filt.check(topo, names, kinds, types, val, new_terms=new) == "instance_missing"
    assert (parse_term("Preorder X"), "no") in filt.last["queries"]
    both = _ctx(table, "{X : Type u} [TopologicalSpace X] [Preorder X] (x : X)")
    assert filt.check(both, names, kinds, types, val, new_terms=new) is None
