"""Type terms as the class table compares them: Lean core's type heads, the number tower,
the normal form of a type term (`norm`) and its head (`head_of`).

Why apart: the table (`classes`) and the instance matching (`instance_unify`) share them,
and the matching is a module of its own.
"""

from __future__ import annotations

from lean_alchemy.grammar.ast import (
    App, BinOp, Ident, Postfix, Prefix, Quant, Sort, Subtype, Term, Typed,
)
from lean_alchemy.index.typing.signatures import head_name

# Lean core types (`Prelude.lean`, `Init`): heads as concrete as the library's structures
# (`Setoid α` is a structure of `Init/Core.lean`, which no `Set α` is)
CORE_TYPES = ("Nat", "Int", "Rat", "Bool", "String", "Char", "List", "Array", "Option", "Prod",
              "Sum", "Fin", "UInt8", "UInt64", "ULift", "PLift", "Unit", "PUnit", "Quot",
              "Float", "Except", "Thunk", "Task", "IO", "Sigma", "PSigma", "PProd", "MProd",
              "BitVec", "TransGen", "Empty", "PEmpty", "PSum", "Setoid")
# Lean core's monad transformers, definitions the library's `abbrev`s unfold to (`abbrev M
# := ReaderT Context MetaM`): constants instance matching does not unfold
CORE_DEFS = ("ReaderT", "StateT", "StateRefT", "ExceptT", "OptionT", "EStateM",
             "MonadCacheT", "StateCpsT", "ExceptCpsT")
# the number tower: types spelled only by their names or the aliases `head_name`
# normalizes (`ℕ ℤ ℚ ℝ ℂ ℝ≥0 ℝ≥0∞ EReal`), so no notation or generated name of an
# instance's conclusion (`M ⟶ N`, `WithTop α`, `tsze R M`) denotes one of them
TOWER = frozenset({"Nat", "Int", "Rat", "Real", "Complex", "NNReal", "ENNReal", "EReal",
                   "NNRat", "PNat", "ENat"})
SIGMA = {"Σ": "Sigma", "Σ'": "PSigma"}

def norm(t: Term | None, local: frozenset[str] = frozenset()) -> Term | None:
    """A type term with constants keyed like the table (`head_name`), locals kept,
    ascriptions dropped: structural equality is then type equality up to notation."""
    if t is None:
        return None
    if isinstance(t, Ident):
        return t if t.name in local else Ident(head_name(t.name))
    if isinstance(t, Typed):
        return norm(t.term, local)
    if isinstance(t, App):
        return App(norm(t.fn, local), tuple(norm(a, local) for a in t.args))  # type: ignore
    if isinstance(t, BinOp) and t.op in ("<|", "|>"):  # `WithConv <| C →ₐ[R] A`
        f = norm(t.lhs if t.op == "<|" else t.rhs, local)
        x = norm(t.rhs if t.op == "<|" else t.lhs, local)
        if f is None or x is None:
            return None
        return App(f.fn, f.args + (x,)) if isinstance(f, App) else App(f, (x,))
    if isinstance(t, BinOp):
        return BinOp(t.op, norm(t.lhs, local), norm(t.rhs, local))  # type: ignore[arg-type]
    return t


def head_of(t: Term) -> str | None:
    """The head symbol of a type: `Finset` of `Finset α`, `→` of a function type, `ᵐᵒᵖ`
    of `αᵐᵒᵖ`, `→ₗ` of `M →ₗ[R] N` (the bracket is an argument), a local's name; None
    for what has no visible head (a projection, an unparsed span)."""
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident):
        return t.name
    if isinstance(t, BinOp):
        return t.op.split("[", 1)[0]
    if isinstance(t, (Postfix, Prefix)):
        return t.op
    if isinstance(t, Quant) and t.op in ("∀", "Π"):
        return "→"
    if isinstance(t, Quant) and t.op in SIGMA:  # `Σ i, G i` is `Sigma G` (Lean core)
        return SIGMA[t.op]
    if isinstance(t, Sort):
        return "Sort"
    if isinstance(t, Subtype):
        return "Subtype"
    return None

