"""Canonical fingerprints of statements: equal fingerprints = the same theorem statement.

Why: mutants are deduplicated against their parent, against every library statement and
against each other (`rw [mul_comm]` and `rw [← mul_comm]` often meet), and `Mutant.id` is
this fingerprint, so the run database stores a statement once.  What is normalized:

- parentheses and whitespace: the AST has no parentheses and no layout;
- names of bound variables: the signature's variables become `#0`, `#1`, ... in binder
  order and every inner binder (`∀`, `∑`, `fun`, set-builder, `let`) is renamed by its
  binding level, so alpha-equivalent statements print identically;
- `(x : α) : P x` and `: ∀ x : α, P x`, `(h : A) : B` and `: A → B` (the same Pi type):
  leading `∀` binders and premises of the conclusion are opened into binders;
- binder brackets `( ) { } ⦃ ⦄` (explicitness does not change the proposition);
- independent hypotheses and instance binders (names not used by anything after them)
  lose their names and are sorted, so their order does not matter.

The context (section `variable`s) is deliberately not part of the fingerprint: library
theorems are fingerprinted from their own signature (`fingerprint_declaration`), and the
corpus compares `Mutant.id` with those.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Callable, Sequence

from lean_alchemy.core.records import Declaration, content_hash
from lean_alchemy.grammar.ast import (
    NODE_TYPES, App, BinderGroup, BinOp, IfThenElse, Ident, Let, Opaque, Quant, SetBuilder,
    Subtype, Term, loads,
)
from lean_alchemy.grammar.statements import loads_binders
from lean_alchemy.grammar.walk import add_heads, field_names, heads, rebuild, serialized

_PLAIN_KINDS = {"explicit": "x", "implicit": "x", "strict": "x", "plain": "x", "inst": "inst"}
_KIND_TEXT = {k: repr(v) for k, v in _PLAIN_KINDS.items()}  # serialized plain kinds


def open_conclusion(binders: Sequence[BinderGroup], conclusion: Term
                    ) -> tuple[list[BinderGroup], Term]:
    """Single-name binders, with the conclusion's leading `∀`s and premises opened."""
    flat: list[BinderGroup] = []
    for g in binders:
        for n in (g.names or ("",)):
            flat.append(BinderGroup((n,), g.type, g.kind, g.pred_op, g.pred))
    concl = conclusion
    while True:
        if isinstance(concl, Quant) and concl.op == "∀":
            for g in concl.binders:
                for n in (g.names or ("",)):
                    flat.append(BinderGroup((n,), g.type, "explicit"))
                    if g.pred_op is not None:
                        flat.append(BinderGroup(("",), BinOp(g.pred_op, Ident(n), g.pred),  # type: ignore[arg-type]
                                                "explicit"))
            concl = concl.body
            continue
        if isinstance(concl, BinOp) and concl.op == "→":
            flat.append(BinderGroup(("",), concl.lhs, "explicit"))
            concl = concl.rhs
            continue
        return flat, concl


def _alpha(t: Term, env: dict[str, str], level: int) -> Term:
    """Rename free variables by `env` and every binder by its binding level."""
    if isinstance(t, Ident):
        head, dot, rest = t.name.partition(".")
        if head in env:
            return Ident(env[head] + dot + rest)
        return t
    if isinstance(t, Opaque):
        return Opaque(" ".join(t.text.split()))
    if isinstance(t, Quant):
        groups = []
        inner = dict(env)
        lv = level
        for g in t.binders:
            ty = _alpha(g.type, inner, lv) if g.type is not None else None
            pred = _alpha(g.pred, inner, lv) if g.pred is not None else None
            names = []
            for n in g.names:
                if n == "_":
                    names.append(n)
                    continue
                new = f"#{lv}"
                lv += 1
                inner[n] = new
                names.append(new)
            groups.append(BinderGroup(tuple(names), ty, _PLAIN_KINDS.get(g.kind, g.kind),
                                      g.pred_op, pred))
        body = _alpha(t.body, inner, lv)
        extra = _alpha(t.extra, inner, lv) if t.extra is not None else None
        if t.op in ("fun", "λ"):  # `λ x => e` is `fun x ↦ e`
            return Quant("fun", tuple(groups), body, "↦", extra)
        return Quant(t.op, tuple(groups), body, t.arrow, extra)
    if isinstance(t, (SetBuilder, Subtype)):
        g = t.binder
        ty = _alpha(g.type, env, level) if g.type is not None else None
        pred = _alpha(g.pred, env, level) if g.pred is not None else None
        inner = dict(env)
        names = []
        lv = level
        for n in g.names:
            new = f"#{lv}"
            lv += 1
            inner[n] = new
            names.append(new)
        return type(t)(BinderGroup(tuple(names), ty, g.kind, g.pred_op, pred),
                       _alpha(t.body, inner, lv))
    if isinstance(t, Let):
        inner = dict(env)
        inner[t.name] = f"#{level}"
        return Let(t.kind, f"#{level}",
                   _alpha(t.type, env, level) if t.type is not None else None,
                   _alpha(t.value, env, level), _alpha(t.body, inner, level + 1))
    if isinstance(t, IfThenElse) and t.hyp:
        inner = dict(env)
        inner[t.hyp] = f"#{level}"
        return IfThenElse(_alpha(t.cond, env, level), _alpha(t.then, inner, level + 1),
                          _alpha(t.else_, inner, level + 1), f"#{level}")
    return rebuild(t, lambda _f, _i, c: _alpha(c, env, level))


def canonical_statement(binders: Sequence[BinderGroup], conclusion: Term
                        ) -> tuple[tuple[BinderGroup, ...], Term]:
    """The normalized (binders, conclusion) that the fingerprint hashes (see module doc)."""
    flat, concl = open_conclusion(binders, conclusion)
    # which binders are used after their own position
    used_later: list[bool] = []
    later: set[str] = set(heads(concl))
    for g in reversed(flat):
        used_later.append(g.names[0] not in ("", "_") and g.names[0] in later)
        later |= heads(g.type) | heads(g.pred)
    used_later.reverse()
    env: dict[str, str] = {}
    kept: list[BinderGroup] = []
    floating: list[BinderGroup] = []
    for g, used in zip(flat, used_later):
        level = len(env)
        ty = _alpha(g.type, env, level) if g.type is not None else None
        pred = _alpha(g.pred, env, level) if g.pred is not None else None
        kind = _PLAIN_KINDS.get(g.kind, g.kind)
        if used:
            name = f"#{level}"
            env[g.names[0]] = name
            kept.append(BinderGroup((name,), ty, kind, g.pred_op, pred))
        else:
            floating.append(BinderGroup((), ty, kind, g.pred_op, pred))
    floating.sort(key=_text)
    return tuple(kept) + tuple(floating), _alpha(concl, env, len(env))


def _text(t: Term) -> str:
    return serialized(t)


def fingerprint_statement(binders: Sequence[BinderGroup], conclusion: Term) -> str:
    """16 hex digits identifying the statement up to the normalizations above."""
    return content_hash("stmt", *canonical_texts(binders, conclusion))


# --------------------------------------------------------------------------- fast path
#
# `fingerprint_statement` runs once per mutant and once per library theorem (~190k on
# Mathlib), and building the renamed ASTs of `canonical_statement` only to serialize them
# was most of its cost.  `canonical_texts` writes the same text directly: `_S[type(t)](t,
# env, level)` is `serialized(_alpha(t, env, level))`, one function per node class (a dict
# dispatch instead of isinstance chains).  tests/mutate/test_fingerprint_fast_paths.py checks the two
# routes agree on varied statements; the fingerprints of all Mathlib were checked
# identical when it was introduced.


def canonical_texts(binders: Sequence[BinderGroup], conclusion: Term) -> list[str]:
    """`[serialized(b) for b in bs] + ["⊢", serialized(concl)]` for `(bs, concl) =
    canonical_statement(binders, conclusion)`, without building `bs` and `concl`."""
    flat: list[tuple[str, Term | None, str, str | None, Term | None]] = []
    for g in binders:
        for n in (g.names or ("",)):
            flat.append((n, g.type, g.kind, g.pred_op, g.pred))
    concl = conclusion
    while True:  # the loop of `open_conclusion`
        if isinstance(concl, Quant) and concl.op == "∀":
            for g in concl.binders:
                for n in (g.names or ("",)):
                    flat.append((n, g.type, "explicit", None, None))
                    if g.pred_op is not None:
                        flat.append(("", BinOp(g.pred_op, Ident(n), g.pred), "explicit",  # type: ignore[arg-type]
                                     None, None))
            concl = concl.body
            continue
        if isinstance(concl, BinOp) and concl.op == "→":
            flat.append(("", concl.lhs, "explicit", None, None))
            concl = concl.rhs
            continue
        break
    used_later: list[bool] = []
    later: set[str] = set()
    add_heads(concl, later)
    for n, ty, _, _, pred in reversed(flat):
        used_later.append(n not in ("", "_") and n in later)
        if ty is not None:
            add_heads(ty, later)
        if pred is not None:
            add_heads(pred, later)
    used_later.reverse()
    env: dict[str, str] = {}
    kept: list[str] = []
    floating: list[str] = []
    S = _S
    for (n, ty, kind, pred_op, pred), used in zip(flat, used_later):
        level = len(env)
        tail = ("," + ("None" if ty is None else S[type(ty)](ty, env, level))
                + "," + (_KIND_TEXT.get(kind) or repr(kind)) + "," + repr(pred_op) + ","
                + ("None" if pred is None else S[type(pred)](pred, env, level)) + ",None,)")
        if used:
            kept.append("BinderGroup(['#%d',]" % level + tail)
            env[n] = "#%d" % level
        else:
            floating.append("BinderGroup([]" + tail)
    floating.sort()
    kept.extend(floating)
    kept.append("⊢")
    kept.append(S[type(concl)](concl, env, len(env)))
    return kept


_ENV = dict[str, str]


# identifier name -> its serialized text (plain strings: a bounded table the GC never scans)
_IDENT_TEXT: dict[str, str] = {}


def _ident_text(name: str) -> str:
    text = _IDENT_TEXT.get(name)
    if text is None:
        text = "Ident(" + repr(name) + ",)"
        if len(_IDENT_TEXT) >= 1 << 17:
            _IDENT_TEXT.clear()
        _IDENT_TEXT[name] = text
    return text


def _s_ident(t: Ident, env: _ENV, level: int) -> str:
    name = t.name
    if env:
        if "." in name:
            head, dot, rest = name.partition(".")
            if head in env:
                name = env[head] + dot + rest
        elif name in env:
            name = env[name]
    return _IDENT_TEXT.get(name) or _ident_text(name)


def _s_opaque(t: Opaque, env: _ENV, level: int) -> str:
    return "Opaque(" + repr(" ".join(t.text.split())) + ",)"


def _s_items(xs: tuple[Term, ...], env: _ENV, level: int, parts: list[str]) -> None:
    """Append the texts of a node's children, each followed by `,`.  Identifiers (half of
    all nodes) are handled inline, the same steps as `_s_ident`, which saves a call per
    leaf."""
    S = _S
    T = _IDENT_TEXT
    for x in xs:
        if type(x) is Ident:
            n = x.name
            if env:
                if "." in n:
                    head, dot, rest = n.partition(".")
                    if head in env:
                        n = env[head] + dot + rest
                elif n in env:
                    n = env[n]
            parts.append(T.get(n) or _ident_text(n))
        else:
            parts.append(S[type(x)](x, env, level))
        parts.append(",")


def _s_app(t: App, env: _ENV, level: int) -> str:
    parts = ["App("]
    _s_items((t.fn,), env, level, parts)
    parts[-1] = ",["
    _s_items(t.args, env, level, parts)
    parts.append("],)")
    return "".join(parts)


def _s_binop(t: BinOp, env: _ENV, level: int) -> str:
    parts = ["BinOp(", repr(t.op), ","]
    _s_items((t.lhs, t.rhs), env, level, parts)
    parts.append(")")
    return "".join(parts)


def _s_quant(t: Quant, env: _ENV, level: int) -> str:
    S = _S
    inner = dict(env)
    lv = level
    parts = []
    for g in t.binders:
        ty = g.type
        pred = g.pred
        ty_s = "None" if ty is None else S[type(ty)](ty, inner, lv)
        pred_s = "None" if pred is None else S[type(pred)](pred, inner, lv)
        names = []
        for n in g.names:
            if n == "_":
                names.append("'_',")
                continue
            inner[n] = "#%d" % lv
            names.append("'#%d'," % lv)
            lv += 1
        parts.append("BinderGroup([" + "".join(names) + "]," + ty_s + ","
                     + (_KIND_TEXT.get(g.kind) or repr(g.kind)) + "," + repr(g.pred_op) + ","
                     + pred_s + ",None,),")
    body = t.body
    extra = t.extra
    body_s = S[type(body)](body, inner, lv)
    extra_s = "None" if extra is None else S[type(extra)](extra, inner, lv)
    if t.op in ("fun", "λ"):  # `λ x => e` is `fun x ↦ e`
        op, arrow = "fun", "↦"
    else:
        op, arrow = t.op, t.arrow
    return ("Quant(" + repr(op) + ",[" + "".join(parts) + "]," + body_s + "," + repr(arrow)
            + "," + extra_s + ",)")


def _s_setlike(t: SetBuilder | Subtype, env: _ENV, level: int) -> str:
    S = _S
    g = t.binder
    ty = g.type
    pred = g.pred
    ty_s = "None" if ty is None else S[type(ty)](ty, env, level)
    pred_s = "None" if pred is None else S[type(pred)](pred, env, level)
    inner = dict(env)
    lv = level
    names = []
    for n in g.names:
        inner[n] = "#%d" % lv
        names.append("'#%d'," % lv)
        lv += 1
    body = t.body
    return (type(t).__name__ + "(BinderGroup([" + "".join(names) + "]," + ty_s + ","
            + repr(g.kind) + "," + repr(g.pred_op) + "," + pred_s + ",None,),"
            + S[type(body)](body, inner, lv) + ",)")


def _s_let(t: Let, env: _ENV, level: int) -> str:
    S = _S
    inner = dict(env)
    inner[t.name] = "#%d" % level
    ty = t.type
    value = t.value
    body = t.body
    return ("Let(" + repr(t.kind) + ",'#%d'," % level
            + ("None" if ty is None else S[type(ty)](ty, env, level)) + ","
            + S[type(value)](value, env, level) + ","
            + S[type(body)](body, inner, level + 1) + ",)")


def _s_ite(t: IfThenElse, env: _ENV, level: int) -> str:
    S = _S
    cond = t.cond
    then = t.then
    else_ = t.else_
    if not t.hyp:
        return ("IfThenElse(" + S[type(cond)](cond, env, level) + ","
                + S[type(then)](then, env, level) + "," + S[type(else_)](else_, env, level)
                + "," + repr(t.hyp) + ",)")
    inner = dict(env)
    inner[t.hyp] = "#%d" % level
    return ("IfThenElse(" + S[type(cond)](cond, env, level) + ","
            + S[type(then)](then, inner, level + 1) + ","
            + S[type(else_)](else_, inner, level + 1) + ",'#%d',)" % level)


def _generic(cls: type) -> Callable[[Term, _ENV, int], str]:
    """The text of `rebuild(t, alpha children)` for a class with no binding behaviour."""
    head = cls.__name__ + "("
    names = field_names(cls)

    def text(t: Term, env: _ENV, level: int) -> str:
        S = _S
        parts = [head]
        for fname in names:
            v = getattr(t, fname)
            if isinstance(v, Term):
                parts.append(S[type(v)](v, env, level))
            elif isinstance(v, tuple) and v and isinstance(v[0], Term):
                parts.append("[" + "".join([
                    (S[type(x)](x, env, level) if isinstance(x, Term) else serialized(x)) + ","
                    for x in v]) + "]")
            else:
                parts.append(serialized(v))
            parts.append(",")
        parts.append(")")
        return "".join(parts)

    return text


_FIELD_TEXT = {  # declared field type -> expression of its text (`v` is the value)
    "str": "repr(v{i})", "str | None": "repr(v{i})", "bool": "repr(v{i})",
    "Term": "_S[type(v{i})](v{i}, env, level)",
    "Term | None": '("None" if v{i} is None else _S[type(v{i})](v{i}, env, level))',
    "tuple[Term, ...]": '"[" + "".join([_S[type(x)](x, env, level) + "," for x in v{i}]) + "]"',
}


def _specialized(cls: type) -> Callable[[Term, _ENV, int], str]:
    """`_generic(cls)` unrolled over the class's declared field types (a generated
    function: no per-field isinstance tests); `_generic` itself for other field types."""
    types = {f.name: str(f.type) for f in fields(cls)}
    names = field_names(cls)
    if any(types[n] not in _FIELD_TEXT for n in names):
        return _generic(cls)
    lines = ["def text(t, env, level, _S=_S):"]
    lines += [f"    v{i} = t.{n}" for i, n in enumerate(names)]
    body = " + ".join([repr(cls.__name__ + "(")]
                      + [_FIELD_TEXT[types[n]].format(i=i) + ' + ","'
                         for i, n in enumerate(names)] + ['")"'])
    lines.append(f"    return {body}")
    env: dict[str, object] = {"_S": _S}
    exec("\n".join(lines), env)  # noqa: S102 - source built above from the class fields
    return env["text"]  # type: ignore[return-value]


class _Dispatch(dict):
    """class -> text function; classes without a hand-written one get `_specialized`."""

    def __missing__(self, cls: type) -> Callable[[Term, _ENV, int], str]:
        if issubclass(cls, _SPECIAL):  # a subclass elsewhere: the reference route
            fn = self[cls] = lambda t, env, level: serialized(_alpha(t, env, level))
        elif cls in NODE_TYPES:
            fn = self[cls] = _specialized(cls)
        else:
            fn = self[cls] = _generic(cls)
        return fn


_SPECIAL = (Ident, Opaque, Quant, SetBuilder, Subtype, Let, IfThenElse)


_S: dict[type, Callable[..., str]] = _Dispatch({
    Ident: _s_ident, Opaque: _s_opaque, App: _s_app, BinOp: _s_binop, Quant: _s_quant,
    SetBuilder: _s_setlike, Subtype: _s_setlike, Let: _s_let, IfThenElse: _s_ite,
    type(None): lambda t, env, level: "None",  # a missing child, as `serialized` writes it
})


def declaration_statement(decl: Declaration) -> tuple[tuple[BinderGroup, ...], Term] | None:
    """The parsed signature of a declaration (grammar stage output), or None."""
    if not decl.conclusion_ast:
        return None
    conclusion = loads(decl.conclusion_ast)
    if conclusion is None:
        return None
    return tuple(loads_binders(decl.binders_ast or "")), conclusion  # type: ignore[return-value]


def fingerprint_declaration(decl: Declaration) -> str:
    """Fingerprint of a library declaration's own signature (what `Mutant.id` is compared
    with).  A declaration the grammar could not parse gets a fingerprint of its
    whitespace-normalized statement text instead (it can still meet exact duplicates)."""
    parsed = declaration_statement(decl)
    if parsed is None:
        return content_hash("text", " ".join(decl.statement.split()))
    return fingerprint_statement(*parsed)
