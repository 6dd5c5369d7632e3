"""The other spelling of a candidate's generalized field notation, as views of a node.

Lean elaborates `x.f a` (with `x : T …`) and `T.f a x` to the same term when `x` is the
receiver of `T.f`: its first explicit argument of type `T …`.  A rule written in one
spelling must therefore also match a candidate written in the other.  The rule side
already gives `T.f … x …` its dot spelling when `x` is a pattern variable of type `T …`
(`index.dot_notation`); what it cannot do is place a receiver it does not know the
position of.  With the receiver table (`index.receivers`: `T.f` -> position), each
candidate node gets the views (`grammar.ast.view_at`):

- `DOT`: `T.f a₀ … aₙ` (a constant applied) is also `aₚ.f …` without `aₚ`, `p` the
  receiver's position: a rule the lemma writes `x.f a` (`p.predAbove i`,
  `(a * b).toReal`) matches the candidate's `predAbove i (last n)`,
  `ENNReal.toReal (a * ∞)`; a compound receiver becomes a projection (`(a * ∞).toReal`),
  which the rule's projection spelling matches;
- `UNDOT`: `y.f a₁ … aₙ` with `y` a variable of the candidate whose declared type has head
  `T` (resolved) is also `T.f a₁ … y … aₙ`, `y` at `T.f`'s receiver position: a rule
  written `Finsupp.optionElim y f a` matches the candidate's `f.optionElim y a`, where
  the rule's own dot spelling cannot exist (its receiver is no pattern variable, or its
  type is not written with head `T`).

- `UNDOT` also for a field of a compound term (`(hf.localInverseAt x).target.InjOn f`), of
  a constant (`atTop.EventuallyConst f`) or of a variable whose type's head is not read,
  when the library has one constant of that field's name, in the table
  (`receivers.sole_fields`: no other declaration, structure field or constructor ends
  in it): Lean's `e.f` resolves through `e`'s type, which the node does not show, but a
  statement Lean accepted can have meant no other `T.f`.

A constant without a table entry gets no view (no evidence of its receiver), and neither
does a named argument before the receiver.  The matched instance is the view: the
invocation's path ends in the view step, and `grammar.substitute.replace_all` rewrites the
candidate's own spelling of it.
"""

from __future__ import annotations

from typing import Callable, Mapping

from lean_alchemy.grammar.ast import DOT, UNDOT, App, Ident, NamedArg, Proj, Term
from lean_alchemy.index.dot_notation import type_head
from lean_alchemy.index.match.patterns import Flat


class FieldViews:
    """The field-notation view steps of one candidate's nodes (`steps`): the receiver
    table, the candidate's declared variable types and how to resolve them (a variable's
    type is resolved once, when a field of it is first met)."""

    __slots__ = ("receivers", "types", "resolve", "sole", "_heads")

    def __init__(self, receivers: Mapping[str, int], types: Mapping[str, Term],
                 resolve: Callable[[Term], Term], sole: Mapping[str, str] | None = None
                 ) -> None:
        self.receivers = receivers
        self.types = types
        self.resolve = resolve
        self.sole = sole or {}  # field -> the library's only constant of it
        self._heads: dict[str, str | None] = {}

    def head(self, var: str) -> str | None:
        """The resolved head constant of `var`'s declared type (None: unknown, or a type
        variable of the candidate)."""
        if var in self._heads:
            return self._heads[var]
        ty = self.types.get(var)
        h = type_head(self.resolve(ty)) if ty is not None else None
        if h is not None and h.split(".", 1)[0] in self.types:
            h = None  # `x : α`: a type variable names no namespace
        self._heads[var] = h
        return h

    def steps(self, fl: Flat, i: int) -> list[tuple[str, int]]:
        """The view steps of the node at `i` (module doc)."""
        w = fl.written[i]
        fn, args = (w.fn, w.args) if isinstance(w, App) else (w, ())
        if isinstance(fn, Proj):  # `(e).f a₁ … aₙ`: the library's only `T.f`, if any
            return self._sole(fn.field, args)
        if not isinstance(fn, Ident):
            return []
        sym = fl.syms[i + 1] if isinstance(w, App) else fl.syms[i]
        if isinstance(sym, tuple) and sym[0] == "id":  # a constant: `T.f a₀ … aₙ`
            r = fl.resolved[i]
            rfn = r.fn if isinstance(r, App) else r
            p = self.receivers.get(rfn.name) if isinstance(rfn, Ident) else None
            if p is None:  # `c.f a₁ … aₙ`, a field of the constant `c` (`atTop.Tendsto`)
                head, dot, field = fn.name.partition(".")
                return self._sole(field, args) if dot and "." not in field else []
            if p >= len(args) or any(isinstance(a, NamedArg) for a in args[:p + 1]):
                return []
            return [(DOT, p)]
        var, dot, field = fn.name.partition(".")
        if not dot or "." in field or var not in self.types:
            return []
        ns = self.head(var)
        if ns is None:  # `x : α`, or a type the table cannot read: only a sole field
            return self._sole(field, args)
        p = self.receivers.get(f"{ns}.{field}")
        if p is None or p > len(args) or any(isinstance(a, NamedArg) for a in args[:p]):
            return []
        return [(UNDOT + ns, p)]  # type: ignore[operator]

    def _sole(self, field: str, args: tuple) -> list[tuple[str, int]]:
        """The `UNDOT` step of a field whose receiver's type is not known (a compound
        term, a constant) when the library has one constant of that name
        (`receivers.sole_fields`): Lean's `e.f` can have meant no other."""
        name = self.sole.get(field)
        p = self.receivers.get(name) if name is not None else None
        if p is None or p > len(args) or any(isinstance(a, NamedArg) for a in args[:p]):
            return []
        return [(UNDOT + name.rsplit(".", 1)[0], p)]
