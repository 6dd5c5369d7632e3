"""Which rule variables a filling may write `_` for Lean's unifier (`fill`, *Hole*).

Why apart: what makes a hole solvable is a question about where Lean elaborates a name
(binder types, arguments, operands, field receivers), not about the candidate's variables.
"""

from __future__ import annotations

from lean_alchemy.grammar.ast import (App, BinOp, Enclosed, Hole, Ident, Postfix, Prefix, Proj,
                                      Quant, Term, Typed, children)
from lean_alchemy.grammar.walk import heads, nodes

HOLE: Term = Hole("_")  # a value Lean's unifier finds (`fill` module doc, *Hole*)


def holes(wanted: frozenset[str], written: frozenset[str], type_of: dict[str, Term | None],
          pvars: frozenset[str], allowed: frozenset[str]) -> frozenset[str]:
    """The variables of `wanted` that may be written `_` (module doc, *Hole*): each one
    the declared type of a matched variable the replacement writes (`written`) fixes,
    directly or through another such variable's type (`C` of `{Q R : C} (f : Q ⟶ R)`)."""
    from lean_alchemy.index.rules import determined

    reach = frozenset().union(*(determined(frozenset((v,)), type_of, pvars) - {v}
                                for v in written)) if written else frozenset()
    return wanted & reach & allowed


def value_positions(t: Term, out: set[str], inside: bool = False) -> frozenset[str]:
    """Names `t` writes as a plain value: an operand of arithmetic or of a relation
    (`Ioc T (T + p)`), of a prefix operator or an enclosing notation (`|x|`), or anywhere
    in `‹UniformSpace α›` (found by `assumption` after elaboration).  A `_` there has no
    type to be unified through (`T + _`); as an argument of a constant or in a binder's
    type (`mkLinearMap _ N`, `g : P ⟶ _`) the types around it fix it."""

    if isinstance(t, Ident):
        if inside:
            out.add(t.name.split(".", 1)[0])
        return frozenset(out)
    assumed = inside or (isinstance(t, Enclosed) and t.open == "‹")  # all of it
    operand = isinstance(t, (Enclosed, Prefix)) or (
        isinstance(t, BinOp) and t.op in _VALUE_OPS)  # its direct operands only
    for _, _, c in children(t):
        value_positions(c, out, assumed or (operand and isinstance(c, Ident)))
    return frozenset(out)


# operators whose operands are values of one type the operator does not relate to anything
_VALUE_OPS = frozenset({"+", "-", "*", "/", "%", "^", "•", "=", "≠", "<", "≤", ">", "≥", "∣",
                        "⊔", "⊓", "∩", "∪", "\\"})


def elaborated_first(r: Term) -> frozenset[str]:
    """Names a `_` could not stand for in `r`: Lean needs the type of a receiver of field
    notation (`(_).str F`, also `P.str` for `P : _`) and of an applied function
    (`_ (Subtype R)`) before anything unifies it.  An ascription's target may have one:
    Mathlib itself writes `(L.fixingSubgroup : Set _)`."""

    used: set[str] = set()
    typed_by: dict[str, set[str]] = {}  # type variable -> names bound with it as type
    for t in nodes(r):
        if isinstance(t, App) and isinstance(t.fn, Ident):
            used.add(t.fn.name)
        elif isinstance(t, Proj) and isinstance(t.term, Ident):
            used.add(t.term.name)
        elif isinstance(t, Ident) and "." in t.name:
            used.add(t.name.split(".", 1)[0])
        elif isinstance(t, Quant):
            for g in t.binders:
                if isinstance(g.type, Ident):
                    typed_by.setdefault(g.type.name, set()).update(g.names)
    return frozenset(used).union(v for v, bound in typed_by.items() if bound & used)


def ascription_holes(pattern: Term, replacement: Term, named: frozenset[str],
                     sorts: frozenset[str]) -> frozenset[str]:
    """Type variables (`sorts`) that `replacement` writes only inside the types of
    ascriptions that have the replacement's own type: the replacement itself
    (`(T (m + -n) : R[T;T⁻¹])`) or an operand of an operator whose result has its
    operands' type (`(∅ : Set α)ᶜ`).  When `pattern` names a constant of its own, that type
    is the type of the instance the replacement takes the place of, so Lean unifies a `_`
    there with it (`Set.univ ∈ C α` becomes `(∅ : Set _)ᶜ ∈ C α`).  Not when the pattern
    is a variable or notation every type has (`⊤`, `∅`: the instance may be of any type,
    so would the new text be); not a variable the new text's type does not show (`R` of
    `comap ((↑) : ℤ → R) atTop`, a `Filter ℤ`: nothing fixes it); and not one also written
    in another ascription (`R` of `((X s : MvPolynomial σ R) : MvPowerSeries σ R)`: the
    inner `_` would be fixed only through the coercion, which Lean does not search)."""
    from lean_alchemy.index.match.rigid import OVERLOADED_CONSTANTS

    if not heads(pattern) - named - OVERLOADED_CONSTANTS:
        return frozenset()
    own: list[Term] = []
    _own_typed(replacement, own)
    inside: set[str] = set()
    elsewhere: set[str] = set()
    _ascribed(replacement, frozenset(id(t) for t in own), inside, elsewhere)
    return frozenset(inside - elsewhere) & sorts


_SAME_TYPE_OPS = frozenset({"+", "-", "*", "/", "∩", "∪", "⊔", "⊓", "\\", "∆", "ᶜ", "⁻¹"})


def _own_typed(t: Term, out: list[Term]) -> None:
    """The ascriptions whose type is `t`'s own (`ascription_holes`), appended to `out`."""

    if isinstance(t, Typed):
        out.append(t)
    elif isinstance(t, (Postfix, Prefix)) and t.op in _SAME_TYPE_OPS:
        _own_typed(t.arg, out)
    elif isinstance(t, BinOp) and t.op in _SAME_TYPE_OPS:
        _own_typed(t.lhs, out)
        _own_typed(t.rhs, out)


def _ascribed(t: Term, own: frozenset[int], inside: set[str], elsewhere: set[str]) -> None:
    """Names `t` writes inside the type of an ascription of `own` (`inside`) and anywhere
    else (`elsewhere`)."""

    if isinstance(t, Typed):
        (inside if id(t) in own else elsewhere).update(heads(t.type))
        _ascribed(t.term, own, inside, elsewhere)
        return
    if isinstance(t, Ident):
        elsewhere.add(t.name.split(".", 1)[0])
        return
    for _, _, c in children(t):
        _ascribed(c, own, inside, elsewhere)
