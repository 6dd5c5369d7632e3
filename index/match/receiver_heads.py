"""The head of a type, as dot notation resolves a receiver through it.

Lean reads `x.f` as `T.f x` for the head `T` of `x`'s type: a rule pattern `s.card` with
`s : Finset α` is `Finset.card`, and a candidate's `t.card` is the same constant only when
`t`'s type has the same head (`value_checks.receivers_ok`).  Here the head of a type as written,
by the last component of its constant (`Finset α`: `Finset`), by the structure a type
notation denotes (`R →+* S`: `RingHom`, `R[X]`: `Polynomial`, `Rᵃᵒᵖ⟦Γ⟧`: `HahnSeries`,
`αᵐᵒᵖ`: `MulOpposite`, `C(X, Y)`: `ContinuousMap`), or by a decorated arrow outside the
table with its bracket emptied (`X →[M] Y`: `→[]`), so that both sides name it alike.  A
function type, dependent or not (`α → β`, `(i : ι) → β i`, `Π i, β i`), is `Function`:
Lean looks a field of a function up there (`f.comp g` is `Function.comp f g`), so `x.Tendsto`
with `x : ∀ i, β i` is never `Hyperreal.Tendsto`.
"""

from __future__ import annotations

from typing import Sequence

from lean_alchemy.grammar.ast import App, BinOp, Glued, Ident, Postfix, Quant, Term
from lean_alchemy.grammar.walk import last_component, nodes
from lean_alchemy.index.match.patterns import NUMBER_TYPES
from lean_alchemy.index.match.rigid import infix_structure
from lean_alchemy.index.typing.coerce import POSTFIX_TYPES


def receiver_head(t: Term | None, bound: frozenset[str] = frozenset()) -> str | None:
    """The last component of the constant heading a type (`Finset α` -> `Finset`), None
    for a type variable, a sort or anything else."""
    if isinstance(t, Glued) and t.open == "⟦":
        return "HahnSeries"  # `R⟦Γ⟧`, HahnSeries' glued `⟦`
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident) and t.name.split(".", 1)[0] not in bound:
        return NUMBER_TYPES.get(t.name) or last_component(t.name)  # `Nat` is `ℕ`
    if isinstance(t, BinOp) and t.op == "→" or isinstance(t, Quant) and t.op in ("∀", "Π"):
        return "Function"  # Lean resolves `f.comp` on any function type in `Function`
    if isinstance(t, BinOp):  # `C ⥤ D` is a `Functor`, `R →+* S` a `RingHom`
        got = infix_structure(t.op)
        if got is None and len(t.op) > 1 and t.op[0] in "→≃↪":
            got = t.op.split("[", 1)[0] + "[]" if "[" in t.op else t.op  # `X →[M] Y`
        return got
    if isinstance(t, Postfix):  # `R[X]`, `αᵐᵒᵖ`
        return POSTFIX_TYPES.get(t.op)
    if isinstance(t, Glued) and t.open == "(" and isinstance(t.head, Ident) \
            and t.head.name == "C":
        return "ContinuousMap"  # `C(X, Y)`
    return None


def dot_receivers(terms: Sequence[Term], pvars: frozenset[str], names: Sequence[str],
                  btypes: Sequence[Term | None]) -> tuple:
    """(variable, head of its type) for the pattern variables used with dot notation in
    `terms` (`s.ncard`, `M.eRk X`): the pattern, and the text a mutant gets from the rule
    (replacement, side conditions, antecedents: `hx : x.Tendsto atBot` of
    `Hyperreal.lt_of_tendsto_atBot`, which becomes the mutant's own field notation on the
    matched value).  Lean resolves `x.f` through the head of `x`'s type, so a candidate's
    `y.f` is the same constant only when `y`'s type has the same head."""
    used = {i.name.partition(".")[0] for p in terms for i in nodes(p)
            if isinstance(i, Ident) and "." in i.name and i.name.partition(".")[0] in pvars}
    if not used:
        return ()
    bound = frozenset(n for n in names if n)
    out = []
    for n, t in zip(names, btypes):
        if n in used:
            h = receiver_head(t, bound)
            if h is not None:
                out.append((n, h))
    return tuple(out)
