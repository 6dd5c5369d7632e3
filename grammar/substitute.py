"""Capture-avoiding substitution and occurrence replacement on term ASTs.

Why our own: the mutation engine instantiates a rule's right-hand side with the terms the
index matched, and replaces the instance inside a candidate statement.  Both must respect
binders exactly as Lean does: a bound variable that happens to share a name with a matched
term must be renamed (Lean works with de Bruijn indices and never captures), and an
occurrence whose variables are re-bound by an inner binder is a *different* term that `rw`
would not touch.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from lean_alchemy.grammar.ast import (
    COE,
    FIELD,
    INSERT,
    MEM,
    PIPE,
    is_view_step,
    App,
    BinderGroup,
    BinOp,
    Ident,
    IfThenElse,
    Let,
    NamedArg,
    Prefix,
    Proj,
    Quant,
    SetBuilder,
    SetLit,
    Subtype,
    Term,
    bound_in_child,
    NOTE,
    get_at,
    view_at,
)
from lean_alchemy.grammar.notation_views import decode as decode_note, node_key
from lean_alchemy.grammar.operators import bracket_parts, with_bracket_content
from lean_alchemy.grammar.parser import bracket_term
from lean_alchemy.grammar.walk import (
    LAMBDAS,
    Capture,
    dotted,
    field_names,
    fresh_name,
    heads,
    rebuild,
)


def substitute(t: Term, mapping: Mapping[str, Term]) -> Term:
    """Replace free identifiers by terms, renaming binders that would capture, beta-reducing
    a substituted `fun` in head position (`f x` with `f := fun y => g y` gives `g x`)."""
    if not mapping:
        return t
    fv: set[str] = set()
    for v in mapping.values():
        fv |= heads(v)
    return _subst(t, dict(mapping), frozenset(fv))


def _subst(t: Term, m: dict[str, Term], fv: frozenset[str]) -> Term:
    if not m:
        return t
    if isinstance(t, Ident):
        if t.name in m:
            return m[t.name]
        head, dot, rest = t.name.partition(".")
        if dot and head in m:
            return dotted(m[head], rest)
        return t
    if isinstance(t, App):
        fn = _subst(t.fn, m, fv)
        args = tuple(_subst(a, m, fv) for a in t.args)
        if fn is not t.fn and isinstance(fn, Quant) and fn.op in LAMBDAS:
            return beta(fn, args)
        if fn is t.fn and all(a is b for a, b in zip(args, t.args)):
            return t
        if isinstance(fn, App):  # `f x` with `f := g a` is `g a x`
            return App(fn.fn, fn.args + args)
        return App(fn, args)
    if isinstance(t, Quant):
        return _subst_quant(t, m, fv)
    if isinstance(t, (SetBuilder, Subtype)):
        binder = _subst_group(t.binder, m, fv)
        inner, new_names = _scope(t.binder.names, m, fv, t.body)
        binder = _renamed_group(binder, new_names)
        return type(t)(binder, _subst(t.body, inner, _fv(inner)))
    if isinstance(t, Let):
        value = _subst(t.value, m, fv)
        ty = _subst(t.type, m, fv) if t.type is not None else None
        inner, new_names = _scope((t.name,), m, fv, t.body)
        return Let(t.kind, new_names.get(t.name, t.name), ty, value,
                   _subst(t.body, inner, _fv(inner)))
    if isinstance(t, BinOp):
        out = rebuild(t, lambda _f, _i, c: _subst(c, m, fv))
        parts = bracket_parts(t.op)
        if parts is not None and parts[1].strip() in m:
            # a rule variable filling a bracket (`f =O[l] g`): the grammar keeps it as text
            from lean_alchemy.grammar.printer import print_term

            return BinOp(with_bracket_content(t.op, print_term(m[parts[1].strip()])),
                         out.lhs, out.rhs)  # type: ignore[attr-defined]
        return out
    if isinstance(t, IfThenElse) and t.hyp:
        cond = _subst(t.cond, m, fv)
        inner, new_names = _scope((t.hyp,), m, fv, t.then, t.else_)
        ifv = _fv(inner)
        return IfThenElse(cond, _subst(t.then, inner, ifv), _subst(t.else_, inner, ifv),
                          new_names.get(t.hyp, t.hyp))
    return rebuild(t, lambda _f, _i, c: _subst(c, m, fv))


def _fv(m: Mapping[str, Term]) -> frozenset[str]:
    out: set[str] = set()
    for v in m.values():
        out |= heads(v)
    return frozenset(out)


def _scope(names: Iterable[str], m: dict[str, Term], fv: frozenset[str], *body: Term | None
           ) -> tuple[dict[str, Term], dict[str, str]]:
    """The mapping inside a binder of `names`: shadowed keys dropped, capturing names
    renamed (returned as old -> new)."""
    inner = dict(m)
    renames: dict[str, str] = {}
    for n in names:
        inner.pop(n, None)
    if not inner:
        return inner, renames
    ifv = _fv(inner)
    avoid = set(ifv) | set(names) | set(inner)
    for b in body:
        if b is not None:
            avoid |= heads(b)
    for n in names:
        if n in ifv and n != "_":
            new = fresh_name(n, avoid)
            avoid.add(new)
            renames[n] = new
            inner[n] = Ident(new)
    return inner, renames


def _subst_group(g: BinderGroup, m: dict[str, Term], fv: frozenset[str]) -> BinderGroup:
    ty = _subst(g.type, m, fv) if g.type is not None else None
    pred = _subst(g.pred, m, fv) if g.pred is not None else None
    if ty is g.type and pred is g.pred:
        return g
    return BinderGroup(g.names, ty, g.kind, g.pred_op, pred)


def _renamed_group(g: BinderGroup, renames: Mapping[str, str]) -> BinderGroup:
    if not renames or not any(n in renames for n in g.names):
        return g
    return BinderGroup(tuple(renames.get(n, n) for n in g.names), g.type, g.kind, g.pred_op,
                       g.pred)


def _subst_quant(t: Quant, m: dict[str, Term], fv: frozenset[str]) -> Quant:
    groups = []
    cur = m
    for g in t.binders:
        g2 = _subst_group(g, cur, _fv(cur))
        cur, renames = _scope(g.names, cur, _fv(cur), t.body, t.extra,
                              *[x.type for x in t.binders], *[x.pred for x in t.binders])
        groups.append(_renamed_group(g2, renames))
    cfv = _fv(cur)
    body = _subst(t.body, cur, cfv)
    extra = _subst(t.extra, cur, cfv) if t.extra is not None else None
    return Quant(t.op, tuple(groups), body, t.arrow, extra)


def beta(lam: Quant, args: tuple[Term, ...]) -> Term:
    """`(fun x y => b) a c` reduced to `b[x := a, y := c]` (extra arguments re-applied)."""
    names: list[str] = []
    for g in lam.binders:
        if g.pred_op is not None or not g.names:
            return App(lam, args)
        names.extend(g.names)
    if len(args) < len(names):
        return App(lam, args)
    mapping = {n: a for n, a in zip(names, args) if n != "_"}
    body = substitute(lam.body, mapping)
    rest = args[len(names):]
    if not rest:
        return body
    if isinstance(body, Quant) and body.op in LAMBDAS:
        return beta(body, rest)
    if isinstance(body, App):
        return App(body.fn, body.args + rest)
    return App(body, rest)


# --------------------------------------------------------------------------- occurrences

def replace_all(t: Term, old: Term, new: Term,
                field_step: tuple[str, int] | None = None) -> tuple[Term, int]:
    """Replace every occurrence of `old` in `t` by `new`, as `rw` with an instantiated rule
    does: occurrences where a variable of `old` is re-bound by an inner binder are other
    terms and stay; an occurrence where a variable of `new` would be captured raises
    `Capture`.  When `old` is a plain variable, `old.f` (dot notation) is an occurrence too.
    As in Lean's elaborated terms (`ast.view_at`), when `old` is an application `f a`, so is
    the prefix of a longer one, `f a b` (curried application): it becomes `new b`, and
    when `old` is a coercion `⇑(f a)`, so is `f a b` (Lean's `⇑(f a) b`); when
    `old` is `a ∈ s`, so is `a ∉ s` (`¬(a ∈ s)`): it becomes `¬new`; when `old` is
    `insert a {b}`, so is `{a, b}`; when it is `f a b`, so is `f a <| b` (`ast.PIPE`);
    the term in an operator's bracket is rewritten as an argument (`ast.BRACKET`); when
    it is a field chain `x.f` (`ast.FIELD`), so is the longer `x.f.g` (Lean's `(x.f).g`):
    it becomes `new.g`.  With `field_step` (the invocation's last path step
    when it is a field-notation view, `ast.DOT`/`ast.UNDOT`), so is each node whose view
    by that step is `old` (`x.f a` for `T.f a x`, `T.f a x` for `x.f a`: one term in Lean);
    the step fixes the receiver's position and namespace; with a notation view step
    (`ast.NOTE`), each node of its template's shape whose view is `old` (`M₀⁰` for
    `nonZeroDivisors M₀`).
    Returns the new term and the number of occurrences replaced."""
    r = _Replacer(old, new, field_step)
    out = r.go(t, frozenset())
    return out, r.count


class _Replacer:
    """The walk of `replace_all`.  Why a class and not nested functions: a nested function
    that calls itself, or one defined inside the walk, makes a reference cycle per call
    (the closure holds its environment, which holds the closure), and the mutation stage
    replaces millions of times: the cycle collector spent about a tenth of its CPU
    reclaiming them."""

    def __init__(self, old: Term, new: Term, field_step: tuple[str, int] | None) -> None:
        self.old = old
        self.new = new
        self.fv_old = heads(old)
        self.fv_new = heads(new)
        self.var = old.name if isinstance(old, Ident) and "." not in old.name else None
        self.n_pre = len(old.args) if isinstance(old, App) and not any(
            isinstance(a, NamedArg) for a in old.args) else 0
        coerced = old.arg if isinstance(old, Prefix) and old.op == "⇑" else None
        self.n_coe = (len(coerced.args) if isinstance(coerced, App) else 0) \
            if coerced is not None else -1
        self.view = old if (isinstance(old, BinOp) and old.op == "∈") or (
            isinstance(old, App) and old.fn == Ident("insert") and len(old.args) == 2
            and isinstance(old.args[1], SetLit)) else None
        self.count = 0
        self.step = field_step if field_step is not None else ("", 0)
        # a notation view (`ast.NOTE`): the nodes of its template's shape are viewed;
        # a field-notation view: the applications of the same field
        self.note = node_key(decode_note(self.step[0])[0]) \
            if self.step[0].startswith(NOTE) else None
        # a field chain of a variable (`ast.FIELD`): `x.f` is in `x.f.g`, as `(x.f).g`
        self.chain = old.name if self.step[0] == FIELD and isinstance(old, Ident) else None
        self.field = _field_of(old) if field_step is not None and self.note is None \
            and self.chain is None else None

    def _hit(self, bound: frozenset[str]) -> None:
        """Count an occurrence, unless a binder above it would capture a name of `new`."""
        if bound & self.fv_new:
            raise Capture(f"a binder of {sorted(bound & self.fv_new)} would capture")
        self.count += 1

    def _noted(self, s: Term, bound: frozenset[str]) -> Term | None:
        """The rewrite of a node whose notation view (`ast.NOTE`) is `old`, or holds it
        as a curried prefix (`h ⁻¹' s` for `Set.preimage h`: `new s`); None otherwise."""
        old, new, n_pre = self.old, self.new, self.n_pre
        seen = view_at_or_none(s, self.step[0], self.step[1])
        if seen is None or bound & self.fv_old:
            return None
        if seen == old:
            self._hit(bound)
            return new
        if (n_pre and isinstance(seen, App) and isinstance(old, App) and len(seen.args) > n_pre
                and seen.fn == old.fn and seen.args[:n_pre] == old.args):
            self._hit(bound)
            rest = tuple(self.go(a, bound) for a in seen.args[n_pre:])
            return App(new.fn, new.args + rest) if isinstance(new, App) else App(new, rest)
        return None

    def go(self, s: Term, bound: frozenset[str]) -> Term:
        old, new = self.old, self.new
        if s == old or (self.field is not None and _field_of(s) == self.field
                        and view_at_or_none(s, self.step[0], self.step[1]) == old):
            if bound & self.fv_old:
                return s
            self._hit(bound)
            return new
        if self.note is not None and node_key(s) == self.note:
            seen = self._noted(s, bound)
            if seen is not None:
                return seen
        var = self.var or self.chain
        if var is not None and isinstance(s, Ident) and s.name.startswith(var + "."):
            if var.split(".", 1)[0] in bound:
                return s
            self._hit(bound)
            return dotted(new, s.name[len(var) + 1:])
        n_pre = self.n_pre
        if (n_pre and isinstance(s, App) and len(s.args) > n_pre and isinstance(old, App)
                and s.fn == old.fn and s.args[:n_pre] == old.args
                and not bound & self.fv_old):
            self._hit(bound)
            rest = tuple(self.go(a, bound) for a in s.args[n_pre:])
            return App(new.fn, new.args + rest) if isinstance(new, App) else App(new, rest)
        n_coe = self.n_coe
        if (n_coe >= 0 and isinstance(s, App) and len(s.args) > n_coe
                and not bound & self.fv_old and view_at(s, COE, n_coe) == old):
            self._hit(bound)
            rest = tuple(self.go(a, bound) for a in s.args[n_coe:])
            return App(new.fn, new.args + rest) if isinstance(new, App) else App(new, rest)
        if self.view is not None and not bound & self.fv_old and (
                isinstance(s, BinOp) and s.op == "∉" or isinstance(s, SetLit)) and (
                _view(s) == old):
            self._hit(bound)
            if isinstance(s, SetLit):
                return new
            return BinOp("∉", new.lhs, new.rhs) if isinstance(new, BinOp) and new.op == "∈" \
                else Prefix("¬", new)
        if isinstance(s, BinOp) and s.op == "<|" and not bound & self.fv_old and \
                view_at(s, PIPE, -1) == old:
            self._hit(bound)
            return new
        if isinstance(s, BinOp) and "[" in s.op:
            return self._bracketed(s, bound)
        return rebuild(s, _ReplaceChild(self, s, bound))

    def _bracketed(self, s: BinOp, bound: frozenset[str]) -> Term:
        """`s` rewritten, the term in its operator's bracket too (`ast.BRACKET`: `𝓝 x`
        in `f =ᶠ[𝓝 x] g` is an argument to `rw`), printed back into the operator."""
        out = rebuild(s, _ReplaceChild(self, s, bound))
        inner = bracket_term(s.op)
        if inner is None:
            return out
        before = self.count
        got = self.go(inner, bound)
        if self.count == before:
            return out
        from lean_alchemy.grammar.printer import print_term

        assert isinstance(out, BinOp)
        return BinOp(with_bracket_content(s.op, print_term(got)), out.lhs, out.rhs)


class _ReplaceChild:
    """`rebuild`'s callback for the children of one node: the walk goes on below it with
    the names the node binds there added to `bound`."""

    def __init__(self, walk: _Replacer, node: Term, bound: frozenset[str]) -> None:
        self.walk = walk
        self.node = node
        self.bound = bound

    def __call__(self, fname: str, idx: int, c: Term) -> Term:
        extra = bound_in_child(self.node, fname, idx)
        return self.walk.go(c, self.bound | frozenset(extra) if extra else self.bound)


def alpha_equal(a: Term, b: Term) -> bool:
    """Whether `a` and `b` are the same term up to the names of the variables they bind
    (`∑ i ∈ s, f i` and `∑ j ∈ s, f j`), as Lean compares terms (de Bruijn indices).  A free
    name must be the same, and must not be bound on the other side.  A binder written
    without its type (`∀ᶠ x in l`) equals one written with it (`∀ᶠ (n : ℕ) in l`): Lean
    elaborates the first with the type inferred, and a rule's pattern rarely spells it.
    Binder annotations do not count either (`∀ {x}` and `∀ ⦃x⦄`): Lean's `rw` compares
    by definitional equality, which ignores them.
    (Module-level helpers, not nested functions: see `_Replacer`.)"""
    return a == b or _alpha_go(a, b, {}, {})


def _alpha_ident(x: Ident, y: Ident, env: dict[str, str], rev: dict[str, str]) -> bool:
    hx, dx, rx = x.name.partition(".")
    hy, dy, ry = y.name.partition(".")
    if hx in env or hy in rev:
        return env.get(hx) == hy and rev.get(hy) == hx and dx == dy and rx == ry
    return x.name == y.name


def _alpha_go(x: Term, y: Term, env: dict[str, str], rev: dict[str, str]) -> bool:
    """`alpha_equal` under the renamings `env` (names bound in `x` -> in `y`) and `rev`."""
    if type(x) is not type(y):
        return False
    if isinstance(x, Ident):
        assert isinstance(y, Ident)
        return _alpha_ident(x, y, env, rev)
    for f in field_names(type(x)):
        vx, vy = getattr(x, f), getattr(y, f)
        if isinstance(x, BinderGroup) and isinstance(y, BinderGroup):
            if f == "type" and (vx is None) != (vy is None) \
                    and x.default is None and y.default is None:
                continue  # `x` and `(x : T)` bind alike: Lean infers the type
            if f == "kind":
                continue  # `x : T`, `(x : T)`, `{x : T}`, `⦃x : T⦄`: annotations only
        if isinstance(vx, Term):
            if not isinstance(vy, Term) or not _alpha_child(x, y, f, -1, vx, vy, env, rev):
                return False
        elif isinstance(vx, tuple) and vx and isinstance(vx[0], Term):
            if not isinstance(vy, tuple) or len(vx) != len(vy) or not all(
                    _alpha_child(x, y, f, i, cx, cy, env, rev)
                    for i, (cx, cy) in enumerate(zip(vx, vy))):
                return False
        elif isinstance(x, BinderGroup) and f == "names":
            if len(vx) != len(vy):
                return False
        elif vx != vy:
            return False
    return True


def _alpha_child(x: Term, y: Term, f: str, i: int, cx: Term, cy: Term, env: dict[str, str],
                 rev: dict[str, str]) -> bool:
    bx, by = bound_in_child(x, f, i), bound_in_child(y, f, i)
    if len(bx) != len(by):
        return False
    if bx:
        env = {**env, **dict(zip(bx, by))}
        rev = {**rev, **dict(zip(by, bx))}
    return _alpha_go(cx, cy, env, rev)


def _field_of(t: Term) -> str | None:
    """The last component of the function of an application or identifier (`f` of
    `T.f a`, `x.f a`, `(e).f a`), None for other nodes."""
    fn = t.fn if isinstance(t, App) else t
    if isinstance(fn, Ident):
        return fn.name.rsplit(".", 1)[-1]
    if isinstance(fn, Proj):
        return fn.field
    return None


def view_at_or_none(s: Term, step: str, idx: int) -> Term | None:
    """`view_at(s, step, idx)`, None where `s` has no such view."""
    try:
        return view_at(s, step, idx)
    except IndexError:
        return None


def _view(s: Term) -> Term | None:
    """`a ∈ s` for `a ∉ s`, `insert a {b, …}` for `{a, b, …}` (`ast.view_at`), else None."""
    try:
        return view_at(s, MEM if isinstance(s, BinOp) else INSERT, -1)
    except IndexError:
        return None


def bound_at(t: Term, path: tuple[tuple[str, int], ...]) -> frozenset[str]:
    """Names bound by the binders above the position `path` in `t`."""
    bound: set[str] = set()
    cur = t
    for fname, idx in path:
        if is_view_step(fname):  # a view of a node binds nothing (`ast.view_at`)
            cur = get_at(cur, ((fname, idx),))
            continue
        bound.update(bound_in_child(cur, fname, idx))
        v = getattr(cur, fname)
        cur = v[idx] if idx >= 0 else v
    return frozenset(bound)
