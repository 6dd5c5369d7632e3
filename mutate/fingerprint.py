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

from typing import Sequence

from lean_alchemy.core.records import Declaration, content_hash
from lean_alchemy.grammar.ast import (
    BinderGroup, BinOp, IfThenElse, Ident, Let, Opaque, Quant, SetBuilder, Subtype, Term,
)
from lean_alchemy.mutate.substitute import heads, rebuild, serialized

_PLAIN_KINDS = {"explicit": "x", "implicit": "x", "strict": "x", "plain": "x", "inst": "inst"}


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
                        flat.append(BinderGroup(("",), BinOp(g.pred_op, Ident(n), g.pred),
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
    bs, concl = canonical_statement(binders, conclusion)
    return content_hash("stmt", *(_text(b) for b in bs), "⊢", _text(concl))


def declaration_statement(decl: Declaration) -> tuple[tuple[BinderGroup, ...], Term] | None:
    """The parsed signature of a declaration (grammar stage output), or None."""
    if not decl.conclusion_ast:
        return None
    from lean_alchemy.grammar.ast import loads

    conclusion = loads(decl.conclusion_ast)
    if conclusion is None:
        return None
    try:
        from lean_alchemy.grammar.statements import loads_binders
        binders = tuple(loads_binders(decl.binders_ast or ""))
    except ImportError:  # pragma: no cover - before the grammar stage lands
        raw = loads(decl.binders_ast) if decl.binders_ast else None
        binders = tuple(raw) if isinstance(raw, tuple) else ()
    return binders, conclusion  # type: ignore[return-value]


def fingerprint_declaration(decl: Declaration) -> str:
    """Fingerprint of a library declaration's own signature (what `Mutant.id` is compared
    with).  A declaration the grammar could not parse gets a fingerprint of its
    whitespace-normalized statement text instead (it can still meet exact duplicates)."""
    parsed = declaration_statement(decl)
    if parsed is None:
        return content_hash("text", " ".join(decl.statement.split()))
    return fingerprint_statement(*parsed)
