"""The additive instances `@[to_additive]` generates, which no source header spells.

Why: Mathlib states most algebraic instances once, multiplicatively, and lets
`to_additive` make the additive twin (`Group.toDivisionMonoid` gives
`AddGroup.toSubtractionMonoid`, Mathlib/Algebra/Group/Defs.lean).  The signature table
reads headers only, so without the twins the forward closure of an `[AddGroup G]`
variable lacks `SubtractionMonoid G` and `InvolutiveNeg G`, and a *no* would be wrong.
Each instance whose class has an additive name among the table's classes gets a twin
with every class name of its conclusion and premises translated.  A twin of an instance
that has none only adds facts, which can turn a *no* into *yes*/*unknown*, never the
reverse; so the instances translated are not required to carry the attribute.
Instances about a closed type (`Inv ℝ≥0∞`) are not translated: `to_additive` instances
are about type variables and the containers built on them.

The name translation follows the one `to_additive` documents (Mathlib/Tactic/Translate/
ToAdditive.lean, `nameDict` and `abbreviationDict`): the words `One Mul Inv Div SMul`
become `Zero Add Neg Sub VAdd`, `Monoid Group Semigroup Magma` get an `Add` prefix,
`Division` becomes `Subtraction`, and an `Add` after `Comm`/`Cancel` moves to the front
(`CommGroup` → `AddCommGroup`).  A name is translated only when the result is a class
of the table; `Pow` (whose twin `SMul` swaps its arguments) is left alone.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable

from lean_alchemy.grammar.ast import App, BinderGroup, BinOp, Ident, Term

_WORDS = {"One": "Zero", "Mul": "Add", "Inv": "Neg", "Div": "Sub", "SMul": "VAdd",
          "Monoid": "AddMonoid", "Group": "AddGroup", "Semigroup": "AddSemigroup",
          "Magma": "AddMagma", "Division": "Subtraction", "Torsor": "AddTorsor"}
# words whose presence means the class has no additive twin (`MulZeroClass`,
# `MonoidWithZero`, `Ring`): translating them would invent a class
_KEEP = ("Zero", "Add", "Ring", "Field", "Module", "Algebra", "Pow", "Star", "Neg", "Sub")
_SPLIT = re.compile(r"SMul|[A-Z][a-z0-9]*|[a-z0-9]+")


def additive_names(classes: Iterable[str]) -> dict[str, str]:
    """Multiplicative class -> its additive twin, both classes of the table."""
    known = set(classes)
    out: dict[str, str] = {}
    for c in known:
        words = _SPLIT.findall(c)
        if "".join(words) != c or any(w in _KEEP for w in words) or \
                not any(w in _WORDS for w in words):
            continue
        got = "".join(_WORDS.get(w, w) for w in words)
        for cand in _orderings(got):
            if cand in known and cand != c:
                out[c] = cand
                break
    return out


def _orderings(name: str) -> list[str]:
    """`name` as translated, then with its inner `Add` moved to the front, then dropped
    (`SeminormedCommAddGroup` → `SeminormedAddCommGroup`, `CommAddGroup` →
    `AddCommGroup`, `SubtractionAddMonoid` → `SubtractionMonoid`)."""
    out = [name, name.replace("CommAdd", "AddComm")]
    k = name.find("Add", 1)
    if k > 0:
        rest = name[:k] + name[k + 3:]
        out += ["Add" + rest, rest]
    return out


def translate(t: Term, names: dict[str, str]) -> Term:
    """`t` with its class names translated (through applications and operators)."""
    if isinstance(t, Ident):
        got = names.get(t.name)
        return Ident(got) if got is not None else t
    if isinstance(t, App):
        return App(translate(t.fn, names), tuple(translate(a, names) for a in t.args))
    if isinstance(t, BinOp):
        return BinOp(t.op, translate(t.lhs, names), translate(t.rhs, names))
    return t


def translate_binders(groups: tuple[BinderGroup, ...], names: dict[str, str]
                      ) -> tuple[BinderGroup, ...]:
    """Instance binders with their class names translated; the others as they are."""
    out = []
    for g in groups:
        if g.kind == "inst" and g.type is not None:
            g = replace(g, type=translate(g.type, names))
        out.append(g)
    return tuple(out)
