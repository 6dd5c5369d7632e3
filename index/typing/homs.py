"""What the arrows of a category are: `X ⟶ Y` is `Quiver.Hom X Y`, which Lean unfolds,
for dot notation, to the `Hom` an instance gives the objects' type (`instance :
Category (C ⥤ D) where Hom F G := NatTrans F G`, Mathlib/CategoryTheory/Functor/
Category.lean:53; `instance : Category (ModuleCat R) where Hom M N := Hom M N` inside
`namespace ModuleCat`).  So `α.app X` for `α : F ⟶ G` is `NatTrans.app α X`.

Read from the sources with the instances (`signatures.build_signatures`) as `hom` rows:
name the head of the objects' type (a constant's last component, or a type operator as
written, `⥤`), body the constant its arrows are, resolved where the instance stands."""

from __future__ import annotations

import re
from typing import Callable, Collection

from lean_alchemy.grammar.ast import App, BinOp, Ident, Sort, Term
from lean_alchemy.index.typing.coerce import FUNCTION, bundled_map
from lean_alchemy.index.typing.notation_commands import resolve_in
from lean_alchemy.index.typing.signatures import Sig, head_name

# a `Hom` field given in an instance's body: `  Hom F G := NatTrans F G`, `  Hom := Hom`
_HOM_FIELD = re.compile(r"^\s+Hom((?:\s+[^\W\d]\w*)*)\s*:=\s*@?([\w.]+)((?:\s+[^\W\d]\w*)*)"
                        r"\s*(?:--[^\n]*)?$", re.M)


def hom_rows(sig: Sig, snippet: str, namespace: str, declared: Collection[str]) -> list[Sig]:
    """The `hom` row of one instance `sig` (source `snippet`, declared in `namespace`)
    whose body gives `Hom` as a constant applied to `Hom`'s own parameters in order (or
    none, `Hom := Hom`); none for another body (`Hom X Y := X → Y`)."""
    if "Hom" not in snippet or not isinstance(sig.type, App) or len(sig.type.args) != 1:
        return []
    m = _HOM_FIELD.search(snippet)
    if m is None or m.group(1).split() != m.group(3).split():
        return []
    key = objects_key(sig.type.args[0])
    if key is None:
        return []
    const = resolve_in(namespace, m.group(2), declared)
    return [Sig(key, "hom", (), None, (), Ident(const))]


def objects_key(obj_type: Term) -> str | None:
    """The key of a type of objects: its head constant's last component (`ModuleCat R`:
    `ModuleCat`), or its type operator (`C ⥤ D`: `⥤`)."""
    t = obj_type
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident):
        return head_name(t.name)
    if isinstance(t, BinOp) and "[" not in t.op:
        return t.op
    return None


def arrow_clash(hom: Term, arrow: Term, object_type: Callable[[Term], Term | None],
                structure: Callable[[str], bool], plain_type: Callable[[Term], bool]) -> bool:
    """Can a morphism `X ⟶ Y` (`hom`) certainly not be a value of the function type or
    bundled map `arrow` (`A → B`, `A →ₐ[R] B`), or the reverse?  In the category of types
    `X ⟶ Y` unfolds to `X → Y`; in a category of bundled objects (`X Y : ModuleCat R`,
    `CompHausLike P`, `Scheme`) it unfolds to a map between the objects' carriers `↑X`,
    `↑Y`, never to a map between types in their own right (a type variable `α`, `ℝ`): `A`
    would have to be `↑X`.  So a clash when the objects' type (`object_type(X)`) has a
    `structure` head and both of `arrow`'s carriers are `plain_type`s; unknown when the
    objects' type is a sort or a variable (`[Category C]`, where `C` may be `Type`)."""
    if not (isinstance(hom, BinOp) and hom.op == "⟶" and isinstance(arrow, BinOp)):
        return False
    if not (arrow.op == FUNCTION or bundled_map(arrow.op)):
        return False
    if not (plain_type(arrow.lhs) and plain_type(arrow.rhs)):
        return False
    ty = object_type(hom.lhs)
    if ty is None or isinstance(ty, Sort):
        return False
    h = ty
    while isinstance(h, App):
        h = h.fn
    return isinstance(h, Ident) and structure(head_name(h.name))


def structure_hom_clash(hom: Term, other: Term, object_type: Callable[[Term], Term | None],
                        hom_of: Callable[[Term], str | None],
                        other_head: Callable[[Term], str | None],
                        differs: Callable[[str, str], bool]) -> bool:
    """Can a morphism `X ⟶ Y` whose category's arrows are a structure (`ModuleCat.Hom`,
    `instance : Category (ModuleCat R) where Hom M N := Hom M N`) certainly not be a
    value of `other`, a function type or another bundled map (`M →ₗ[R] N`), or the
    reverse?  `X ⟶ Y` unfolds to that structure applied (`hom_of` of the objects'
    type), which is no function and no other structure unless a coercion leads between
    them (`differs` says there is none)."""
    if not (isinstance(hom, BinOp) and hom.op == "⟶") or \
            isinstance(other, BinOp) and other.op == "⟶":
        return False
    ty = object_type(hom.lhs)
    if ty is None or isinstance(ty, Sort):
        return False
    arrows = hom_of(ty)
    theirs = other_head(other)
    return arrows is not None and theirs is not None and differs(arrows, theirs)


__all__ = ["arrow_clash", "hom_rows", "objects_key", "structure_hom_clash"]
