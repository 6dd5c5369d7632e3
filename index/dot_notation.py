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
whose type has head `T`.  The other direction needs the receiver's position, which only
the library's own statements give (the receiver table of `index.receivers`, complete
after the index's first pass): at the pattern's root it is a view of the candidate's node
(`index.match.fields`); below the root, where no view is tried, a rule whose pattern
writes `x.f …` gets a variant in `T.f` spelling once the table is in (`undotted_rules`).
Compound receivers are the candidate's views only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Iterable, Mapping

from lean_alchemy.core.records import Rule, content_hash
from lean_alchemy.grammar.ast import (
    App, BinOp, Ident, NamedArg, Postfix, Proj, Term, dumps, loads, undot_view,
)
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


def to_undot(p: Term, pvars: frozenset[str], type_of: Mapping[str, Term | None],
             receivers: Mapping[str, int]) -> Term:
    """`p` with each `x.f a₁ … aₙ` below its root (`x` a pattern variable of type `T …`,
    `T.f` in the receiver table at position k) written `T.f a₁ … x … aₙ`, `x` its k-th
    explicit argument (`ast.undot_view`): the spelling a candidate may write there,
    `Function.Exact (rTensor Q f) (rTensor Q g)` for the pattern
    `Function.Exact (f.rTensor Q) (g.rTensor Q)`.  The root is left: the candidate's own
    node has that view (`match.fields`).  A field chain (`x.f.g`) is left too."""
    heads = _heads(pvars, type_of)
    if not heads:
        return p

    def undot(t: Term) -> Term | None:
        f = t.fn if isinstance(t, App) else t
        if not isinstance(f, Ident):
            return None
        var, dot, field = f.name.partition(".")
        ns = heads.get(var) if dot and "." not in field else None
        k = receivers.get(f"{ns}.{field}") if ns is not None else None
        return undot_view(t, ns, k) if ns is not None and k is not None else None

    def go(t: Term, top: bool) -> Term:
        if isinstance(t, App) and isinstance(t.fn, Ident):
            t = rebuild(t, lambda name, _i, c: c if name == "fn" else go(c, False))
        elif not isinstance(t, Ident):
            return rebuild(t, lambda _f, _i, c: go(c, False))
        got = undot(t) if not top else None
        return got if got is not None else t

    return go(p, True)


# a dotted name in a serialized pattern (`["Ident","f.rTensor"]`): its head and one field
_DOTTED = re.compile(r'"([^"\s.]+)\.([^"\s.]+)"')


def undotted_rules(rules: Iterable[Rule], receivers: Mapping[str, int]) -> list[Rule]:
    """For each rewrite rule whose pattern writes a typed pattern variable's field below
    its root, the rule in the other spelling (`to_undot`) when the receiver table gives
    its receiver, with the id `content_hash(rule.id, "undot")`; none that repeats a
    pattern of the same lemma and direction (the `dot` variant of a rule written in `T.f`
    spelling gives back that rule's own).  Why after the first pass: the positions come
    from the whole library's statements."""
    from lean_alchemy.index.match.patterns import head_key

    out: list[Rule] = []
    fields = {name.rsplit(".", 1)[-1] for name in receivers}
    flagged: list[Rule] = []
    for r in rules:  # on the text: most rules write no such field, and decoding costs
        if r.kind != "imp" and r.pattern_vars and any(
                var in r.pattern_vars and field in fields
                for var, field in _DOTTED.findall(r.pattern)):
            flagged.append(r)
    if not flagged:
        return out
    lemmas = {r.lemma for r in flagged}
    seen = {(r.lemma, r.direction, r.pattern) for r in rules if r.lemma in lemmas}
    for r in flagged:
        pattern = loads(r.pattern)
        pvars = frozenset(r.pattern_vars)
        type_of = {n: loads(t) if t else None for n, t in zip(r.binder_names, r.binder_types)}
        other = to_undot(pattern, pvars, type_of, receivers)
        text = dumps(other) if other is not pattern else None
        if text is None or (r.lemma, r.direction, text) in seen:
            continue
        seen.add((r.lemma, r.direction, text))
        out.append(replace(r, id=content_hash(r.id, "undot"), pattern=text,
                           head=head_key(other, pvars)))
    return out
