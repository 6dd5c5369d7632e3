"""The typed match filter: after a rule matched, do its types and instances fit?

Each matched value is typed (`infer`) and unified with the rule's binder type, which
instantiates the rule's type variables (`α := ℝ`); a value that certainly cannot stand
there drops the match (`type_clash`).  The instances the mutant's new text needs at those
types (`needs`) are asked of the candidate's `Resolver`: a *no* drops it
(`instance_missing`).  Everything unknown keeps it.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Callable, Mapping, Sequence

from lean_alchemy.grammar.walk import heads
from lean_alchemy.grammar.substitute import substitute
from lean_alchemy.index.typing.signatures import head_name
from lean_alchemy.grammar.ast import App, BinderGroup, BinOp, Glued, Ident, Num, Quant, Sort, Term
from lean_alchemy.index.typing.classes import (
    ANY_HEAD, NO, TOWER, UNKNOWN, ClassTable, Resolver, head_of, norm, subst, unify,
)
from lean_alchemy.index.typing.coerce import ANY, rigid_op, target_sources, type_head
from lean_alchemy.index.typing.apart import TextMemo, renamed_apart
from lean_alchemy.index.typing.homs import arrow_clash, structure_hom_clash
from lean_alchemy.index.typing.infer import PROP, Inference
from lean_alchemy.index.typing.places import function_at, typed_by_place, untyped_function
from lean_alchemy.index.typing.saturate import may_name, mentions_unsolved
from lean_alchemy.index.typing.new_text import (
    new_text, rule_constants, stated_binder_types,
    applied_arity, cannot_apply, constant_arguments, dot_clash, receiver_fields,
    unfold_type,
)
from lean_alchemy.index.typing.needs import instance_needs

NUMBERS = frozenset({"Nat", "Int", "Rat", "Real", "Complex", "NNReal", "ENNReal", "EReal",
                     "PNat", "ENat"})
_FUNLIKE = ("FunLike", "HomClass", "EquivClass", "EmbeddingClass", "CoeFun", "EquivLike")


def infer_type(w: Term, local_types: Mapping[str, Term]) -> Term | None:
    """The type of a sub-term from its variables' types alone (no signature table):
    a variable, an ascription, a local function applied (`infer.Inference`)."""
    return Inference(None, local_types, frozenset(), _no_unify).type_of(w)


def _no_unify(*_a) -> None:  # noqa: ANN002
    return None


def _is_function_type(t: Term) -> bool:
    return (isinstance(t, BinOp) and t.op == "→") or (isinstance(t, Quant) and t.op in ("∀", "Π"))


class Context:
    """One candidate statement: its binders' types, type variables and instance facts,
    with a `Resolver` memoized across all its matches and an `Inference` of its terms."""

    def __init__(self, table: ClassTable, groups: Sequence[BinderGroup],
                 namespaces: frozenset[str] = frozenset()) -> None:
        """`namespaces`: where the candidate's written names resolve (`scoped.
        resolution_namespaces`; empty: by dotted suffix alone)."""
        self.types: dict[str, Term] = {}
        facts: list[Term] = []
        tvars: set[str] = set()
        names: set[str] = set()
        for g in groups:
            if g.type is not None and (g.kind == "inst" or _names_a_class(table, g.type)):
                facts.append(g.type)
            for n in g.names:
                names.add(n)
                if g.type is not None:
                    self.types[n] = g.type
                else:  # `(s)` re-binds a section's `s` at a type Lean infers from use
                    self.types.pop(n, None)
                if isinstance(g.type, Sort):
                    tvars.add(n)
                else:
                    tvars.discard(n)
        self.tvars = frozenset(tvars)
        self.names = frozenset(names)
        self.resolver = Resolver(table, self.tvars, facts)
        self.funlike = frozenset(n for f in self.resolver.facts for n in _args_names(f)
                                 if any(k in (head_of(f) or "") for k in _FUNLIKE))
        # type variables a coercion may lead from (`[CoeFun F …]`, `[SetLike S α]`,
        # `[FunLike F α β]`) and the sources of the coercions into each (`coerce`)
        self.coerced = frozenset(n for f in self.resolver.facts for n in _args_names(f)[:1]
                                 if _coercion_source_class(head_of(f) or ""))
        # heads the scoped instances of the open namespaces are about: a *no* about a
        # type mentioning one is not trusted here (`ClassTable.scoped_heads`)
        self.scoped_heads = table.scoped_heads(namespaces)
        self.scoped_classes = table.scoped_classes_of(namespaces) if self.scoped_heads \
            else frozenset()
        # a scoped or local coercion instance in force: a clash of heads may be coerced away
        self.scoped_coercions = table.opens_scoped_coercions(namespaces)
        # a binder `[OfNat α 2]`: numerals of its own (`filter._numeral_query`)
        self.states_numerals = any(head_of(f) == "OfNat" for f in self.resolver.facts)
        self._sources: dict[str, set[str]] = {}  # `sources`, per type variable asked
        self.infer = Inference(table.constants, self.types, self.tvars,  # type: ignore
                               lambda p, t, m, s_, loc: unify(p, t, m, s_, table, loc),
                               frozenset(names - set(self.types)), namespaces)

    def sources(self, var: str) -> set[str]:
        """The heads a coercion may lead from into type variable `var` (`coerce.
        target_sources`), computed when first asked: most candidates ask for none."""
        hit = self._sources.get(var)
        if hit is None:
            hit = self._sources[var] = target_sources(self.resolver.table, self.resolver.facts,
                                                      var, self.resolver.keys)
        return hit


def _names_a_class(table: ClassTable, ty: Term) -> bool:
    """A binder whose type is a class, however bracketed (`{m : MeasurableSpace α}`,
    `(_ : Fact p)`): Lean makes every such local a local instance, so it is a fact
    (Mathlib writes `{m : MeasurableSpace α}` in sections of measure theory)."""
    h = head_of(ty)
    return h is not None and head_name(h) in table.params


def _coercion_source_class(c: str) -> bool:
    return c.startswith("Coe") or c in _FUNLIKE or c in ("SetLike", "DFunLike") or \
        c.endswith(("HomClass", "EquivClass", "EmbeddingClass"))


def _args_names(f: Term) -> list[str]:
    return [a.name for a in (f.args if isinstance(f, App) else ()) if isinstance(a, Ident)]


class TypedFilter:
    """`check` a match; `stats` counts the reasons and the values that got a type;
    `last` holds what the last `check` compared (for `alchemy explain`)."""

    def __init__(self, table: ClassTable) -> None:
        self.table = table
        self.stats: Counter = Counter()
        self.last: dict = {}
        self._hetero_memo: dict[tuple[str, Term, str], bool] = {}
        # the instance queries a rule text needs at its variables' types (`_needs`), and
        # the fields and arity it reads (`_receivers`)
        self._needs_memo = TextMemo()
        self._fields_memo = TextMemo()
        self._apart_memo = TextMemo()  # the rule's text renamed apart (`apart`)

    def check(self, ctx: Context, names: Sequence[str], kinds: Sequence[str],
              types: Sequence[Term | None], values: Mapping[str, Term],
              mutation: str = "rw_goal", constants: frozenset[str] = frozenset(),
              new_terms: Sequence[Term] = (), namespace: str = "") -> str | None:
        """None when the match may elaborate, else `instance_missing` / `type_clash`.
        `names`/`kinds`/`types`: the rule's binders; `values`: its substitution;
        `mutation`: the mutant kind; `new_terms`: the rule's text the mutant brings in
        (its replacement, or an `apply_hyp`'s antecedents), written in `namespace`.  A mutant never mentions the
        rule: the instances it needs are those of the constants and operators of
        `new_terms` at the values' types (`needs`), not the rule's instance binders.  An
        `apply_hyp` mutant's new hypotheses are the antecedents re-read in the
        candidate's scope, where the rule's binder types decide nothing either (no
        type clash is judged there)."""
        self.last = {"values": [], "queries": [], "clash": None}
        names, types, values, new_terms = renamed_apart(names, types, values, new_terms,
                                                        ctx.tvars, self._apart_memo)
        metas = frozenset(n for n in names if n)
        s: dict[str, Term] = {}
        env: dict[str, Term] = {}  # rule variable -> its value's type
        typed: list[tuple[str, Term, Term]] = []
        literals: list[tuple[str, Term, Term | None]] = []  # (variable, type, a `fun`)
        fields, arity, pinned = self._receivers(new_terms, metas)
        for n, t in zip(names, types):
            w = values.get(n) if n else None
            if w is None or t is None:
                continue
            self.stats["values"] += 1
            if isinstance(t, Sort) and t.text != "Prop":
                got = self._type_value(ctx, w)
                if got is not None:  # `α := IsLimit t`: the value is the type itself
                    s[n] = got
                    self.stats["values_typed"] += 1
                    self.last["values"].append((n, t, w, t))
                    continue
            raw = ctx.infer.type_of(w)
            vt = norm(raw, ctx.tvars) if raw is not None else None
            self.last["values"].append((n, t, w, vt))
            if vt is None:
                if typed_by_place(w):  # typed by where it is used (`_literal_types`)
                    self.stats["values_literals"] += 1
                    literals.append((n, t, None))
                elif untyped_function(w):
                    literals.append((n, t, w))
                continue
            self.stats["values_typed"] += 1
            env[n] = vt
            clash = self._value_clash(ctx, n, t, raw, vt, fields, arity, mutation)
            if clash is not None:
                self.last["clash"] = clash
                return "type_clash"
            if mutation == "apply_hyp" and n not in pinned:
                pt = norm(t, metas)
                if not isinstance(t, Sort) and pt is not None:
                    unify(pt, vt, metas, s, self.table, ctx.tvars)
                continue
            if _is_function_type(t):
                h = head_of(vt)
                if h in NUMBERS or (h in ctx.tvars and h not in ctx.funlike):
                    self.last["clash"] = (n, t, vt)
                    return "type_clash"
            if not isinstance(t, Sort):
                pt = norm(t, metas)
                unify(pt, vt, metas, s, self.table, ctx.tvars)  # type: ignore[arg-type]
                typed.append((n, pt, vt))  # type: ignore[arg-type]
        free = metas - frozenset(s)
        if self._literal_types(ctx, literals, metas, s, free):
            return "type_clash"
        for n, pt, vt in typed:
            want = subst(pt, s)
            if type_head(want) != type_head(vt) and self._dot_resolves(n, want, vt, constants):
                return None  # Lean reads `v.f` on the value's own type: not this rule's
            if self._clash(ctx, want, vt, top=True, free=free) or \
                    self._arrow_clash(ctx, want, vt, names, types, free):
                self.last["clash"] = (n, want, vt)
                return "type_clash"
        stated = stated_binder_types(names, kinds, types, values, new_terms)
        return self._instances(ctx, names, types, metas, s, env, tuple(new_terms) + stated,
                               namespace)

    def _value_clash(self, ctx: Context, n: str, t: Term, raw: Term | None, vt: Term,
                     fields: Mapping[str, frozenset[str]], arity: Mapping[str, int],
                     mutation: str) -> tuple | None:
        """(variable, expected, value type) when a value certainly cannot stand where the
        rule's new text puts it, whatever the rule's types are solved to."""
        f = dot_clash(self.table.constants, raw, fields.get(n, ()), ctx.names,
                      ctx.tvars) if n in fields and raw is not None else None
        if f is not None:  # the new text reads `v.f`, no `f` on the value's type
            return (n, Ident(f"{n}.{f}"), vt)
        if n in arity and cannot_apply(self.table.constants, vt, arity[n], ctx.tvars,
                                       ctx.funlike):  # `v x` with `v` a number
            return (n, Ident(f"{n} applied to {arity[n]}"), vt)
        if t == PROP and isinstance(vt, Sort) and vt.text.startswith("Type") and \
                mutation != "apply_hyp":
            # a type (`R × A`) where a proposition goes: no coercion from `Type u` to `Prop`
            return (n, t, vt)
        return None

    def _literal_types(self, ctx: Context, literals: list[tuple[str, Term, Term | None]],
                       metas: frozenset[str], s: Mapping[str, Term], free: frozenset[str]
                       ) -> bool:
        """Type the values typed by their place (`places`) as the match's solved types
        say it is: a literal as it is, never clashing (`x * y` matched `f a * 2`: `y : α`,
        `α := ℝ`); an untyped `fun` by its body, clashing as any value.  True on a clash."""
        for n, t, fun in literals:
            pt = norm(t, metas) if not isinstance(t, Sort) else None
            want = subst(pt, s) if pt is not None else None
            if want is None or may_name(want, free):
                continue
            raw = function_at(ctx.infer, fun, want) if fun is not None else want
            got = norm(raw, ctx.tvars) if raw is not None else None
            if got is None:
                continue
            self.stats["values_typed"] += 1
            self.stats["values_literals_typed" if fun is None else "values_functions"] += 1
            self.last["values"] = [(m, ty, w, got if m == n and vt is None else vt)
                                   for m, ty, w, vt in self.last["values"]]
            if fun is not None and self._clash(ctx, want, got, top=True, free=free):
                self.last["clash"] = (n, want, got)
                return True
        return False

    def _receivers(self, new_terms: Sequence[Term], metas: frozenset[str]
                   ) -> tuple[dict[str, frozenset[str]], dict[str, int], frozenset[str]]:
        """`receiver_fields`, `applied_arity` and `constant_arguments` of the rule's new
        text, memoized per rule text: a candidate's matches run through many rules, and
        each rule comes back with every candidate, so the text is read once, not once per
        match."""
        hit = self._fields_memo.get(new_terms, (metas,))
        if hit is not None:
            return hit  # type: ignore[return-value]
        got = (receiver_fields(new_terms, metas), applied_arity(new_terms, metas),
               constant_arguments(new_terms, metas))
        self._fields_memo.put(new_terms, (metas,), got)
        return got

    def _type_value(self, ctx: Context, w: Term) -> Term | None:
        """The value of a type-valued rule variable (`α : Type*`) as a type term, when it
        certainly is one and its instances do not depend on the candidate's binders:
        headed by a constant of the table, not by a local (a type variable, whose
        instances come from section binders that may be read incompletely; a set or
        structure used as a type through `↥`), a bound name or a projection."""
        h = w
        while isinstance(h, App):
            h = h.fn
        if not isinstance(h, Ident):
            return None
        name = h.name
        if name in ctx.names or name.split(".", 1)[0] in ctx.names:
            return None
        if head_name(name) not in self.table.known:
            return None
        return norm(w, ctx.tvars)

    def _instances(self, ctx: Context, names, types, metas, s, env, new_terms,  # noqa: ANN001
                   namespace: str) -> str | None:
        """`instance_missing` when an instance the new text needs (`needs`) certainly
        does not exist in the candidate's context."""
        if not new_terms:
            return None
        local = dict(env)
        for n, t in zip(names, types):  # typed through the others: `a : α`, `α := ℝ`
            if n and n not in local and n not in s and t is not None and \
                    not isinstance(t, Sort):
                pt = subst(norm(t, metas), s)  # type: ignore[arg-type]
                if not may_name(pt, metas - frozenset(s)):
                    local[n] = pt
        for need in self._needs(ctx, metas, s, local, new_terms, namespace):
            q = self._numeral_query(ctx, need) if head_of(need) == "OfNat" else need
            if q is None:
                continue
            self.stats["instance_queries"] += 1
            ans = ctx.resolver.holds(q, exhaustive=False)
            if ans == NO and ctx.scoped_heads and (ANY_HEAD in ctx.scoped_heads or frozenset(
                    head_name(n) for n in heads(q)) & ctx.scoped_heads) and (
                    ctx.scoped_classes is None or head_name(head_of(q) or "") in
                    ctx.scoped_classes):
                ans = UNKNOWN  # an open scoped instance may give it
            self.last["queries"].append((q, ans))
            if ans == NO:
                return "instance_missing"
        return None

    def _numeral_query(self, ctx: Context, q: Term) -> Term | None:
        """The class that gives a type the literal of `OfNat T k` (`needs._numeral`):
        `Zero T` for 0, `One T` for 1 (Lean core's `Zero.toOfNat0`, `One.toOfNat1`,
        renamed into each other by Mathlib/Tactic/ToAdditive.lean:22), `NatCast T` for
        the others (`instOfNatAtLeastTwo`, Mathlib/Data/Nat/Cast/Defs.lean:42).  None
        (not asked) when another `OfNat` instance of the table may apply at `T` (`Fin n`,
        `ℕ`, functions through `Pi.instOfNat`) or the candidate states one."""
        args = q.args if isinstance(q, App) else ()
        if len(args) != 2 or not isinstance(args[1], Num) or not args[1].text.isdigit():
            return None
        ty, k = args[0], int(args[1].text)
        if ctx.states_numerals:
            return None
        h = type_head(ty)
        kind = "var" if h in ctx.tvars else "tower" if h in TOWER else ""
        key = ("OfNat", ty, kind)
        direct = self._hetero_memo.get(key)
        if direct is None:
            direct = self._hetero_memo[key] = any(
                not _casts_numerals(metas, prem, pats)
                and self._first_may_be(pats[0] if pats else None, metas, h, kind)
                for metas, prem, pats, _co in self.table.instances.get("OfNat", ()))
        cls = "Zero" if k == 0 else "One" if k == 1 else "NatCast"
        if direct or cls not in self.table.params:
            return None
        return App(Ident(cls), (ty,))

    def _needs(self, ctx: Context, metas: frozenset[str], s: dict[str, Term],
               local: dict[str, Term], new_terms: Sequence[Term], namespace: str
               ) -> tuple[Term, ...]:
        """The instance queries `new_terms` need with the rule's variables typed by `s`
        and `local` (`needs.instance_needs`, less those about a type argument inference
        left open), memoized: they depend on the rule and those types alone, and a rule
        meets the same types at many matches.  The answers depend on the candidate's
        instances and are asked each time."""
        key = (metas, tuple(sorted(s.items())), tuple(sorted(local.items())), ctx.tvars,
               namespace)
        hit = self._needs_memo.get(new_terms, key)
        if hit is not None:
            return hit  # type: ignore[return-value]
        inf = Inference(self.table.constants, local, ctx.tvars,  # type: ignore[arg-type]
                        lambda p, t, m, s_, loc: unify(p, t, m, s_, self.table, loc),
                        frozenset(metas - frozenset(local)))
        rule_terms = frozenset(metas - frozenset(s))
        hetero = lambda c, t: self._hetero(c, t, ctx.tvars)  # noqa: E731
        got = tuple(q for term in new_terms
                    for q in instance_needs(inf, substitute(term, s), hetero, rule_terms,
                                            namespace)
                    if not mentions_unsolved(q))
        self._needs_memo.put(new_terms, key, got)
        return got

    def _hetero(self, cls: str, ty: Term, tvars: frozenset[str] = frozenset()) -> bool:
        """Might a heterogeneous instance of `cls` (`HMul`…) apply with `ty` first?  Not
        for a candidate's type variable unless an instance's first argument is a bare
        variable or an `abbrev` that may unfold to one (an instance about `Matrix l m α`
        or the notation `k[G]` is no instance about `Γ`), nor for a type of the number
        tower unless one names it (no notation or unknown name denotes ℕ)."""
        h = type_head(ty)
        kind = "var" if h in tvars else "tower" if h in TOWER else ""
        hit = self._hetero_memo.get((cls, ty, kind))
        if hit is None:
            hit = any(self._first_may_be(pats[0] if pats else None, metas, h, kind)
                      for metas, _prem, pats, _co in self.table.instances.get(cls, ()))
            self._hetero_memo[(cls, ty, kind)] = hit
        return hit

    def _first_may_be(self, p: Term | None, metas: frozenset[str], h: str | None,
                      kind: str) -> bool:
        """May an instance pattern's first argument `p` match a type with head `h`?  A
        notation glued to one of the instance's variables (`k[G]`, `MonoidAlgebra k G`)
        matches only a type written with the same notation or of unknown head: its key
        would otherwise carry the variable's name (`k[`) and, unknown to the table, match
        every type, so `*` was never asked of any structure."""
        if isinstance(p, Glued) and isinstance(p.head, Ident) and p.head.name in metas:
            return h is None or kind == "" and h.endswith(p.open) and h not in self.table.known
        ph = type_head(p) if p is not None else None
        if ph is not None and ph in metas:
            return True
        tab = self.table
        if kind == "var":
            return ph is not None and ph in tab.flexible and tab.may_be_bare(ph)
        if ph == h:
            return True
        if kind == "tower":
            return ph is not None and ph in tab.flexible and tab.may_be_bare(ph)
        return ph is None or ph in tab.flexible or ph not in tab.known

    def _arrow_clash(self, ctx: Context, want: Term, got: Term, names: Sequence[str],
                     types: Sequence[Term | None], free: frozenset[str]) -> bool:
        """A morphism of bundled objects against a map between types (`homs.
        arrow_clash`), either way: the rule's objects typed by its binders, the
        candidate's by inference; a carrier is a type in its own right when it is a type
        variable of the candidate or a number type (a rule's unsolved variable might be
        solved to a carrier `↑X`)."""
        def plain(a: Term) -> bool:
            h = head_of(a)
            return h is not None and h not in free and (h in ctx.tvars or h in TOWER)

        def rule_object(x: Term) -> Term | None:  # asked only of `X ⟶ Y` against a map
            t = next((t for n, t in zip(names, types) if n == x.name), None) \
                if isinstance(x, Ident) and x.name in free else None
            return t if t is not None else ctx.infer.type_of(x)
        structure = partial(self.table.type_constants_only, final=True)
        return arrow_clash(want, got, rule_object, structure, plain) or \
            arrow_clash(got, want, ctx.infer.type_of, structure, plain) or \
            self._hom_structure_clash(ctx, want, got, rule_object)

    def _hom_structure_clash(self, ctx: Context, want: Term, got: Term,
                             rule_object: Callable[[Term], Term | None]) -> bool:
        """`homs.structure_hom_clash` either way: a function type or a bundled map
        (`→ₗ[R]`, `LinearMap`) is no arrow of a category whose arrows are a structure
        (`ModuleCat.Hom`), and the reverse, unless the value's type coerces to the other."""
        consts = self.table.constants
        def head(t: Term) -> str | None:
            h = head_of(t)
            c = consts.infix_head(h) if h is not None and h != "→" and rigid_op(h) else h
            return c if c == "→" or c is not None and consts.structure_named(c) else None

        def differs(into: bool) -> Callable[[str, str], bool]:
            def clash(arrows: str, other: str) -> bool:
                if arrows == other or not consts.structure_named(arrows):
                    return False
                a, o = head_name(arrows), head_name(other)
                if into:  # a value of `other` where the category's arrow goes
                    return not self._coerces(ctx, o, a)
                # a concrete category's arrows coerce to functions (`ConcreteCategory`)
                return other != "→" and not (self._coerces(ctx, "⟶", o)
                                             or self._coerces(ctx, a, o))
            return clash
        return consts is not None and (
            structure_hom_clash(want, got, rule_object, consts.hom_of, head, differs(True))
            or structure_hom_clash(got, want, ctx.infer.type_of, consts.hom_of, head,
                                   differs(False)))

    def _rigid(self, ctx: Context, h: str | None) -> bool:
        if h is None:
            return False
        return h in ctx.tvars or rigid_op(h) or (h in self.table.rigid
                                                 and h not in self.table.flexible)

    def _head(self, ctx: Context, t: Term, free: frozenset[str]) -> str | None:
        """`type_head`, None for a free rule variable and for a projection of a local
        (`X.α`, `C.obj`), which the table's last-name keys would misread."""
        fn = t
        while isinstance(fn, App):
            fn = fn.fn
        if isinstance(fn, Ident) and (fn.name in free or (
                "." in fn.name and fn.name.split(".", 1)[0] in ctx.types)):
            return None
        return type_head(t)

    def _dot_resolves(self, var: str, want: Term, got: Term, constants: frozenset[str]
                      ) -> bool:
        """The rule writes `v.f` for its variable `v` (or the mutant prints `H.f v` so),
        which Lean resolves in the namespace of the value's own type `G`: no clash when
        `G.f` exists too."""
        hw, hg = type_head(want), type_head(got)
        consts = self.table.constants
        for c in constants:
            ns, _, f = c.partition(".") if c.split(".", 1)[0] == var else c.rpartition(".")
            if ns and (ns == var or head_name(ns) == hw) and \
                    consts.lookup(f"{hg}.{f.split('.', 1)[0]}"):  # type: ignore[attr-defined]
                return True
        return False

    def _coerces(self, ctx: Context, a: str, b: str) -> bool:
        """May a value whose type has head `a` be coerced to head `b`?"""
        if a in ctx.coerced:
            return True
        co = self.table.coercions  # type: ignore[attr-defined]
        if b in ctx.tvars:
            srcs = ctx.sources(b)
            return co.free_target or ANY in srcs or a in srcs or b in co.reach(a)
        # an operator head (`→ₛₗ`) has the instances of the constant it stands for
        # (`LinearMap`), whichever way they are written (`horn`)
        known = self.table.constants.infix_head(b) if rigid_op(b) and \
            self.table.constants is not None else b
        known = head_name(known) if known is not None else b
        return co.may_coerce(a, b, self.table.horn().head_closure(known)
                             if known in self.table.known else None)

    def _unfolded_clash(self, ctx: Context, want: Term, got: Term, hw: str, hg: str,
                        free: frozenset[str]) -> bool:
        """Heads that are definitions (`MorphismProperty C := ∀ ⦃X Y⦄, (X ⟶ Y) → Prop`,
        `Matrix m n α := m → n → α`) compared after unfolding them, as Lean's
        definitional check does: a clash when both unfold to rigid heads that differ
        and no coercion leads between the written or the unfolded heads."""
        cw, cg = self._whnf_heads(ctx, want, free), self._whnf_heads(ctx, got, frozenset())
        uw, ug = cw[-1], cg[-1]
        if uw is None or ug is None or uw == ug or not (
                self._rigid(ctx, uw) and self._rigid(ctx, ug)) or ctx.scoped_coercions:
            return False
        if self._same_constant(uw, ug) or (uw in NUMBERS and ug in NUMBERS):
            return False
        return not any(self._coerces(ctx, a, b) or self._coerces(ctx, b, a)
                       for a in {hg, *cg} if a is not None for b in {hw, *cw} if b is not None)

    def _whnf_heads(self, ctx: Context, t: Term, free: frozenset[str]) -> list[str | None]:
        """`t`'s heads as its definitions are unfolded (`SetRel X X`, `Set (X × X)`, `X × X
        → Prop`): a coercion may lead from any of them."""
        out = [self._head(ctx, t, free)]
        for _ in range(4):
            nxt = unfold_type(self.table.constants, t)
            if nxt is None:
                break
            t = nxt
            out.append(self._head(ctx, t, free))
        return out

    def _same_constant(self, a: str, b: str) -> bool:
        """Do two operator heads stand for one constant (`infer.Constants.infix_head`)?"""
        consts = self.table.constants
        if consts is None or not (rigid_op(a) and rigid_op(b)):
            return False
        c = consts.infix_head(a)  # type: ignore[attr-defined]
        return c is not None and c == consts.infix_head(b)  # type: ignore[attr-defined]

    def _unfolds_away(self, ctx: Context, t: Term, h: str, tvar: str) -> bool:
        """Could `t` (head `h`, a known constant) unfold to the type variable `tvar`?
        Only a definition whose arguments mention it (`αᵒᵈ`, `Lex α`): an instance or
        definition cannot produce a candidate's variable from nothing."""
        return h not in self.table.known or tvar in heads(t)

    def _clash(self, ctx: Context, want: Term, got: Term, top: bool,
               free: frozenset[str] = frozenset()) -> bool:
        """Certainly different types: rigid heads that differ with no coercion either
        way (at the top only: Lean coerces a whole value, never its type's arguments),
        or equal heads with a certainly different argument.  A type variable of the
        candidate is rigid against anything that cannot unfold to it."""
        # `free` names the rule's unsolved variables, which only `want` holds: the value's
        # type is the candidate's, whose type variable `α` is rigid even when the rule
        # calls one of its own variables `α` too
        hw, hg = self._head(ctx, want, free), self._head(ctx, got, frozenset())
        if hw is None or hg is None:
            return False
        both = self._rigid(ctx, hw) and self._rigid(ctx, hg)
        if not both and hw != hg:
            if hw in ctx.tvars and not self._unfolds_away(ctx, got, hg, hw):
                both = True
            elif hg in ctx.tvars and not self._unfolds_away(ctx, want, hw, hg):
                both = True
        if not both:
            return top and hw != hg and self._unfolded_clash(ctx, want, got, hw, hg, free)
        if hw != hg:
            if self._same_constant(hw, hg):
                return False  # `M →ₗ[R] N` is `M →ₛₗ[RingHom.id R] N`: one `LinearMap`
            if not top:
                return True
            if ctx.scoped_coercions:
                return False
            return not (self._coerces(ctx, hg, hw) or self._coerces(ctx, hw, hg)
                        or (hw in NUMBERS and hg in NUMBERS))
        if isinstance(want, BinOp) and isinstance(got, BinOp) and want.op == got.op == "→":
            # a function's codomain: Lean elaborates a `fun` body against it (coercing)
            return (self._clash(ctx, want.lhs, got.lhs, False, free)
                    or self._clash(ctx, want.rhs, got.rhs, True, free))
        if hw in ctx.tvars or hw != hg or ANY in (hw, hg):
            return False
        wa = want.args if isinstance(want, App) else ()
        ga = got.args if isinstance(got, App) else ()
        if len(wa) != len(ga):
            return False
        return any(self._clash(ctx, a, b, False, free) for a, b in zip(wa, ga))


def _casts_numerals(metas: frozenset[str], prem: Sequence[Term], pats: Sequence[Term]
                    ) -> bool:
    """An `OfNat v n` instance about a bare variable `v` that needs `[NatCast v]`
    (`instOfNatAtLeastTwo`): what the `NatCast` query of `_numeral_query` stands for."""
    v = pats[0] if pats else None
    return isinstance(v, Ident) and v.name in metas and any(
        head_of(p) == "NatCast" and isinstance(p, App) and p.args[:1] == (v,) for p in prem)

