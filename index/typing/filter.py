"""The typed match filter: after a rule matched, do its types and instances fit?

For each pattern variable, the type of its matched value (`infer_type`) is unified with
the rule's binder type, whose binders are the unknowns; this instantiates the rule's type
variables (`α := ℝ`, `G := G`).  Then each instance binder `[C α]` of the rule whose
arguments are now free of the rule's variables is asked of the candidate's `Resolver`: a
*no* drops the match (`instance_missing`).  A function-typed rule variable (`hammingDist`'s
`x : ∀ i, β i`) bound to a value of a number type or of a candidate type variable that
has no function-like instance drops it too (`type_clash`).  Everything unknown keeps it.
"""

from __future__ import annotations

from collections import Counter
from typing import Mapping, Sequence

from lean_alchemy.grammar.ast import App, BinderGroup, BinOp, Ident, Quant, Sort, Term, Typed
from lean_alchemy.index.typing.classes import NO, ClassTable, Resolver, head_of, norm, subst, unify

NUMBERS = frozenset({"Nat", "Int", "Rat", "Real", "Complex", "NNReal", "ENNReal", "EReal",
                     "PNat", "ENat"})
_FUNLIKE = ("FunLike", "HomClass", "EquivClass", "EmbeddingClass", "CoeFun", "EquivLike")


def infer_type(w: Term, local_types: Mapping[str, Term]) -> Term | None:
    """The type of a candidate's sub-term when it is visible without elaboration: a
    variable's binder type, an ascription, a local function applied to all its
    arguments; else None (unknown)."""
    if isinstance(w, Typed):
        return w.type
    if isinstance(w, Ident):
        return local_types.get(w.name)
    if isinstance(w, App) and isinstance(w.fn, Ident):
        t = local_types.get(w.fn.name)
        for _ in w.args:
            if isinstance(t, BinOp) and t.op == "→":
                t = t.rhs
            else:
                return None
        return t
    return None


def _is_function_type(t: Term) -> bool:
    return (isinstance(t, BinOp) and t.op == "→") or (isinstance(t, Quant) and t.op in ("∀", "Π"))


class Context:
    """One candidate statement: its binders' types, type variables and instance facts,
    with a `Resolver` memoized across all its matches."""

    def __init__(self, table: ClassTable, groups: Sequence[BinderGroup]) -> None:
        self.types: dict[str, Term] = {}
        facts: list[Term] = []
        tvars: set[str] = set()
        for g in groups:
            if g.kind == "inst" and g.type is not None:
                facts.append(g.type)
            for n in g.names:
                if g.type is not None:
                    self.types[n] = g.type
                if isinstance(g.type, Sort):
                    tvars.add(n)
        self.tvars = frozenset(tvars)
        self.resolver = Resolver(table, self.tvars, facts)
        self.funlike = frozenset(n for f in self.resolver.facts for n in _args_names(f)
                                 if any(k in (head_of(f) or "") for k in _FUNLIKE))


def _args_names(f: Term) -> list[str]:
    return [a.name for a in (f.args if isinstance(f, App) else ()) if isinstance(a, Ident)]


class TypedFilter:
    """`check` a match; `stats` counts the reasons and the values that got a type."""

    def __init__(self, table: ClassTable) -> None:
        self.table = table
        self.stats: Counter = Counter()

    def check(self, ctx: Context, names: Sequence[str], kinds: Sequence[str],
              types: Sequence[Term | None], values: Mapping[str, Term],
              mutation: str = "rw_goal") -> str | None:
        """None when the match may elaborate, else `instance_missing` / `type_clash`.
        `names`/`kinds`/`types`: the rule's binders; `values`: its substitution;
        `mutation`: the mutant kind.  An `apply_hyp` mutant never mentions the rule: its
        new hypotheses are the antecedents' text re-read in the candidate's scope, which
        needs only what their own notation needs (not the rule's instance binders, and a
        notation may mean another constant there), so the rule's binders decide nothing."""
        if mutation == "apply_hyp":
            return None
        metas = frozenset(n for n in names if n)
        s: dict[str, Term] = {}
        for n, t in zip(names, types):
            w = values.get(n) if n else None
            if w is None or t is None:
                continue
            self.stats["values"] += 1
            vt = infer_type(w, ctx.types)
            if vt is None:
                continue
            self.stats["values_typed"] += 1
            vt = norm(vt, ctx.tvars)
            if _is_function_type(t) and vt is not None:
                h = head_of(vt)
                if h in NUMBERS or (h in ctx.tvars and h not in ctx.funlike):
                    return "type_clash"
            if vt is not None and not isinstance(t, Sort):
                unify(norm(t, metas), vt, metas, s, self.table, ctx.tvars)  # type: ignore
        for n, k, t in zip(names, kinds, types):
            if k != "inst" or t is None:
                continue
            q = subst(norm(t, metas), s)  # type: ignore[arg-type]
            if _free(q, metas - frozenset(s)):
                continue
            self.stats["instance_queries"] += 1
            if ctx.resolver.holds(q) == NO:
                return "instance_missing"
        return None


def _free(t: Term, names: frozenset[str]) -> bool:
    if isinstance(t, Ident):
        return t.name in names
    if isinstance(t, App):
        return _free(t.fn, names) or any(_free(a, names) for a in t.args)
    if isinstance(t, BinOp):
        return _free(t.lhs, names) or _free(t.rhs, names)
    return not isinstance(t, (Sort,))
