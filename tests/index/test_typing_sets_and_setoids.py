"""A set is no setoid.  `Setoid.eq_iff_classes_eq {r₁ r₂ : Setoid α} : r₁ = r₂ ↔ ∀ x,
{y | r₁ x y} = {y | r₂ x y}` (Mathlib/Data/Setoid/Partition.lean) used backwards on sets
`f ⁻¹' s` and `s : Set α` gives `(f ⁻¹' s) x y`: a set applied to two arguments.  Two
facts were missing: `Setoid` is a structure of Lean core (`Init/Core.lean`), not a name
the table may read as anything, and the bare `Set` is the root `def Set (α : Type u) :=
α → Prop` (Mathlib/Data/Set/Defs.lean), though another namespace declares an `abbrev`
of that last name (`HasCardinalLT.Set`, Mathlib/SetTheory/Cardinal/HasCardinalLT.lean),
so it unfolds to a function of one argument.
"""

from helpers.typing_library import candidate_context as _ctx
from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import TypedFilter

LIB = [
    ("Set", "def", "def Set (α : Type u) := α → Prop"),
    ("HasCardinalLT.Set", "abbrev",
     "abbrev HasCardinalLT.Set (X : Type u) (κ : Nat) := { A : Set X // A = A }"),
]
RULE = [("α", "implicit", "Type u"), ("r₁", "explicit", "Setoid α"),
        ("r₂", "explicit", "Setoid α")]


def _check(table: ClassTable, new_text: str, values: dict[str, str]) -> str | None:
    names = [n for n, _, _ in RULE]
    kinds = [k for _, k, _ in RULE]
    types = [parse_term(t) for _, _, t in RULE]
    vals = {k: parse_term(v) for k, v in values.items()}
    ctx = _ctx(table, "{β : Type u} (s t : Set β) (e f : Setoid β)")
    return TypedFilter(table).check(ctx, names, kinds, types, vals, "rw_goal",
                                    new_terms=(parse_term(new_text),))


def test_a_set_where_a_setoid_goes_clashes() -> None:
    table = class_table(LIB)
    assert _check(table, "∀ x, {y | r₁ x y} = {y | r₂ x y}", {"r₁": "s", "r₂": "t"}) == \
        "type_clash"
    assert _check(table, "r₁ = r₂", {"r₁": "s", "r₂": "t"}) == "type_clash"


def test_setoids_where_setoids_go_are_kept() -> None:
    table = class_table(LIB)
    assert _check(table, "∀ x, {y | r₁ x y} = {y | r₂ x y}", {"r₁": "e", "r₂": "f"}) is None


def test_an_abbreviation_of_sets_takes_a_finsets_rule() -> None:
    """`Finset.union_eq_left` backwards on `V ∪ U = V` with `U V : SetRel X X` and
    `abbrev SetRel α β := Set (α × β)` (Mathlib/Data/Rel.lean, read as elaborating: the
    rule's `∪` is generic): `SetRel X X` unfolds to `Set (X × X)`, which a `Finset`
    coerces to, before it unfolds to a function."""
    table = class_table(LIB + [
        ("Finset", "structure", "structure Finset (α : Type u) where\n  val : List α"),
        ("SetRel", "abbrev", "abbrev SetRel (α β : Type u) := Set (α × β)"),
        ("Finset.instCoeSort", "instance",
         "instance {α : Type u} : CoeTC (Finset α) (Set α) := sorry")])
    rule = [("α", "implicit", "Type u"), ("s", "explicit", "Finset α"),
            ("t", "explicit", "Finset α")]
    ctx = _ctx(table, "{X : Type u} (U V : SetRel X X)")
    got = TypedFilter(table).check(ctx, [n for n, _, _ in rule], [k for _, k, _ in rule],
                                   [parse_term(t) for _, _, t in rule],
                                   {"s": parse_term("V"), "t": parse_term("U")}, "rw_hyp",
                                   new_terms=(parse_term("s ∪ t = s"),))
    assert got is None
