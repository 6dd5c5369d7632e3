"""The two spellings of a function applied to a variable: `T.f x a` and `x.f a`.

Lean reads `x.f a` (generalized field notation) as `T.f x a` where `T` is the head of
`x`'s type and `x` is passed as the first explicit argument of type `T …`.  Both spellings
elaborate to the same term, so a rule stated as `Finset.sup s f ≤ a` rewrites a candidate
that says `s.sup f ≤ a`.  The matcher is syntactic; instead of
normalizing every candidate (the invocation must point into the candidate's own text, so
that the mutation engine finds the instance literally), a rule whose pattern applies a
constant to a variable is also indexed in the dot spelling (`spellings`): one rule per
spelling, with the same lemma, direction and replacement.  A dotted variable the lemma
writes (`α.inv`) is also indexed as a projection (`(α).inv`), which binds a compound
receiver (`(e.symm).inv`).

Limits: for `T.f … x …` -> `x.f …`, `x` is the first argument that is a pattern variable
whose type has head `T`.  The other direction and compound receivers are the candidate's
views (`index.match.fields`, with the receiver table of `index.receivers`), not rules.
"""

from __future__ import annotations

from typing import Callable, Mapping

from lean_alchemy.grammar.ast import App, BinOp, Ident, NamedArg, Postfix, Proj, Term
from lean_alchemy.grammar.walk import rebuild
from lean_alchemy.index.match.rigid import infix_structure, postfix_structure


# Full names of the structures whose notation `infix_structure` names by last component
# outside the root namespace.
_NAMESPACED = {"Iso": "CategoryTheory.Iso", "Functor": "CategoryTheory.Functor",
               "Embedding": "Function.Embedding", "SimpleFunc": "MeasureTheory.SimpleFunc"}


def type_head(t: Term | None) -> str | None:
    """The (resolved) constant heading a type: `Finset α` -> `Finset`, `M →ₗ[R] N` ->
    `LinearMap`, `ℕ` -> `Nat`; None for anything else (a type variable is filtered out by the caller,
    which knows the binders)."""
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, BinOp):
        got = infix_structure(t.op)
        return _NAMESPACED.get(got, got) if got is not None else None
    if isinstance(t, Postfix):
        return postfix_structure(t.op)
    return _NUMBERS.get(t.name, t.name) if isinstance(t, Ident) else None


# The number types by the constant that names their namespace (`n.divisors` with `n : ℕ`
# is `Nat.divisors n`).
_NUMBERS = {"ℕ": "Nat", "ℤ": "Int", "ℚ": "Rat", "ℝ": "Real", "ℂ": "Complex", "ℕ+": "PNat",
            "ℝ≥0": "NNReal", "ℝ≥0∞": "ENNReal", "ℚ≥0": "NNRat"}


def _heads(pvars: frozenset[str], type_of: Mapping[str, Term | None]) -> dict[str, str]:
    """Pattern variable -> head constant of its type, for variables typed by a constant
    (not by another binder of the rule: `x : α` has no namespace to look in)."""
    out = {}
    for v in pvars:
        h = type_head(type_of.get(v))
        if h is not None and h.split(".", 1)[0] not in type_of:
            out[v] = h
    return out


def _map(t: Term, fn: Callable[[Term], Term | None]) -> Term:
    """`t` with `fn` applied bottom-up wherever it gives a new term."""
    t2 = rebuild(t, lambda _f, _i, c: _map(c, fn)) if not isinstance(t, Ident) else t
    got = fn(t2)
    return got if got is not None else t2


def to_dot(p: Term, pvars: frozenset[str], type_of: Mapping[str, Term | None]) -> Term:
    """`p` with each `T.f … x …` (x a pattern variable of type `T …`) written `x.f …`."""
    heads = _heads(pvars, type_of)

    def fn(t: Term) -> Term | None:
        if not (isinstance(t, App) and isinstance(t.fn, Ident)):
            return None
        ns, dot, field = t.fn.name.rpartition(".")
        if not dot or not ns:
            return None
        for i, a in enumerate(t.args):
            if isinstance(a, NamedArg):
                return None
            if isinstance(a, Ident) and heads.get(a.name) == ns:
                rest = t.args[:i] + t.args[i + 1:]
                head = Ident(f"{a.name}.{field}")
                return App(head, rest) if rest else head
        return None

    return _map(p, fn)


def to_proj(p: Term, pvars: frozenset[str]) -> Term:
    """`p` with each dotted pattern variable `x.f` written as the projection `(x).f`.  Why:
    a candidate applies the same field to a compound receiver (`(e.symm).inv`,
    `(expand R p f).roots.toFinset`), which the grammar reads as projections, not as an
    identifier; `x` then binds the whole receiver."""
    def fn(t: Term) -> Term | None:
        if not isinstance(t, Ident):
            return None
        head, dot, rest = t.name.partition(".")
        if not dot or head not in pvars or not rest:
            return None
        return _proj(head, rest)

    return _map(p, fn)


def _proj(head: str, rest: str) -> Term:
    out: Term = Ident(head)
    for part in rest.split("."):
        out = Proj(out, part)
    return out


def spellings(p: Term, pvars: frozenset[str], type_of: Mapping[str, Term | None]
              ) -> list[tuple[str, Term]]:
    """The other spellings of a pattern worth indexing: ("dot", …) and ("proj", …).

    `to_dot` is what Lean's elaborator does in reverse (the receiver is the first argument
    of type `T …`), so it is exact.  `to_proj` lets a dotted variable the lemma itself
    writes (`α.inv ≫ f`, `s.toFinset.image f`) bind a compound receiver; the receiver's
    type is then unknown, so the field name alone ties it to the rule (kept, like a
    variable of unknown type).  Not indexed, because they lose precision without a
    signature table: `x.f a` as `T.f x a` (the receiver need not be the first argument:
    `s.image f` is `Finset.image f s`) and the dot spelling of `T.f x` on a compound
    receiver (`(z + z').map Φ` would meet every `map` lemma of every type)."""
    out: list[tuple[str, Term]] = []
    for name, q in (("dot", to_dot(p, pvars, type_of)), ("proj", to_proj(p, pvars))):
        if q != p and all(q != r for _, r in out):
            out.append((name, q))
    return out
