"""Other spellings of a rule's pattern that Lean elaborates to the same term.

Why: the index matches patterns by their written shape, and a lemma's statement often
spells its left side in a way candidates do not (`StrictMono (f : α → β)`,
`map (σ := σ) f`, `⨆ (i) (_ : i ∈ s), f i`).  Each function here gives one such form, or
the pattern itself when it has none; `index.rules.variants` indexes each form as a rule of
its own, so the mutation stage instantiates exactly the pattern that matched.  Pure
functions of terms.
"""

from __future__ import annotations

from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Explicit, Ident, NamedArg, Prefix, Quant, Term, Typed,
)
from lean_alchemy.grammar.walk import heads, nodes, rebuild


def coerced_function(pattern: Term, pvars: frozenset[str]) -> Term | None:
    """`⇑e` for a pattern `(e : A → B)`, `e` a constant or a constant applied (not a pattern
    variable's term), else None.  Why: the ascription is no node of Lean's term; it
    elaborates to the coercion `⇑e` of a bundled map (`(LieAlgebra.ad R A : A → Module.End
    R A)`), which the candidate writes `⇑(ad R A)` or applies, `ad R A a`
    (`ast.COE`'s view).  Were `e` a function already, the ascription is the identity and
    `e` a sub-term of `e a` all the same."""
    if not (isinstance(pattern, Typed) and isinstance(pattern.type, BinOp)
            and pattern.type.op == "→"):
        return None
    e = pattern.term
    f = e.fn if isinstance(e, App) else e
    if not isinstance(f, Ident) or f.name.split(".", 1)[0] in pvars or (
            isinstance(e, App) and any(isinstance(a, NamedArg) for a in e.args)):
        return None
    return Prefix("⇑", e)


# Binding notations whose binder predicate stands for a binder of its proof:
# `⨆ x ∈ s, f x` is `⨆ x, ⨆ (_ : x ∈ s), f x`, `∀ x ∈ s, p x` is `∀ x, x ∈ s → p x`
# (not `∃`: `∃ x ∈ s, p x` is `∃ x, x ∈ s ∧ p x`; not `∑`: `∑ x ∈ s` is `Finset.sum s`).
PROOF_BINDER_PREDICATES = frozenset({"∀", "⨆", "⨅", "⋃", "⋂"})
_PREDICATE_OPS = frozenset({"∈", "∉", "⊆", "⊂", "⊇", "⊃", "≥", ">", "≤", "<", "≠"})


def with_binder_predicates(t: Term) -> Term:
    """`t` with each `⨆ (x : T) (_ : x ∈ s), f x` (a binder, then an anonymous binder of a
    proof about it) written `⨆ x ∈ s, f x`, the spelling the library mostly uses and Lean
    elaborates to the same term (`PROOF_BINDER_PREDICATES`); `t` itself when there is none.
    The binder's type is left out: a pattern's untyped binder matches a typed one."""
    def go(u: Term) -> Term:
        u2 = rebuild(u, lambda _f, _i, c: go(c))
        if isinstance(u2, Quant) and u2.op in PROOF_BINDER_PREDICATES \
                and len(u2.binders) == 2:
            first, proof = u2.binders
            prop = proof.type
            if (len(first.names) == 1 and first.pred is None and first.default is None
                    and first.kind in ("plain", "explicit") and proof.names == ("_",)
                    and proof.kind == "explicit" and isinstance(prop, BinOp)
                    and prop.op in _PREDICATE_OPS and prop.lhs == Ident(first.names[0])
                    and first.names[0] not in heads(prop.rhs)):
                group = BinderGroup(first.names, None, "plain", prop.op, prop.rhs)
                return Quant(u2.op, (group,), u2.body, u2.arrow, u2.extra)
        return u2

    return go(t)


def unascribed(t: Term, pvars: frozenset[str], type_of: dict[str, Term | None]) -> Term:
    """`t` without the ascriptions of a pattern variable at its own binder type
    (`StrictMono (f : α → β)`, `a ∈ (s : Finset α)`; `t` itself when it has none): they
    only annotate, Lean elaborates the bare variable, which the candidate writes.  An
    ascription that coerces stays (`(s : Set α)` of a `Finset`), and so does a numeral's:
    `(0 : αᵐᵒᵖ)` is all that says where `a ≠ (0 : αᵐᵒᵖ)` applies (stripped, 2,802 of
    Mathlib's rules matched every `x ≠ 0`, and their mutants read as ill-typed)."""
    if isinstance(t, Typed):
        inner = t.term
        if isinstance(inner, Ident) and inner.name in pvars and \
                type_of.get(inner.name) == t.type:
            return inner
        return t
    return rebuild(t, lambda _f, _i, c: unascribed(c, pvars, type_of))


def bare_constant(pattern: Term, pvars: frozenset[str]) -> Ident | None:
    """`C` for a pattern `@C` that is a constant alone (`@AlgebraicGeometry.Etale`), else
    None.  Why: such a lemma (`@Etale = @SmoothOfRelativeDimension 0`) rewrites the
    constant wherever it occurs, and the candidate writes it with its arguments
    (`Etale f`), not with `@`: Lean elaborates both to the same constant, the head of
    the application, which the matcher reaches as the function of `App` (every node of
    the candidate is a target).  A variable (`@f`) is left alone: a bare variable
    pattern would match everything."""
    if isinstance(pattern, Explicit) and isinstance(pattern.term, Ident):
        name = pattern.term.name
        if name.split(".", 1)[0] not in pvars:
            return pattern.term
    return None




def unnamed(t: Term, pvars: frozenset[str], mentioned: frozenset[str]) -> Term:
    """`t` without the named arguments `(x := v)` whose value is a pattern variable `v`
    (`map (σ := σ) f` read `map f`); `t` itself when it has none.  Why: a named argument
    only pins an implicit one, which `rw` solves by unifying the pattern with the instance,
    and the candidate rarely writes it.  A `v` that `mentioned` holds (the replacement
    or a side condition writes it) is kept unless the rest of the pattern binds it too:
    nothing else would give it a value.  An argument naming a term (`(R := ℝ)`) stays: it
    says where the rule applies."""
    named = frozenset(a.value.name for a in nodes(t) if isinstance(a, NamedArg)
                      and isinstance(a.value, Ident) and a.value.name in pvars)
    if not named:
        return t
    drop = named
    stripped = _without_named(t, drop)
    kept = (drop & mentioned) - heads(stripped)
    if kept:
        drop = drop - kept
        stripped = _without_named(t, drop) if drop else t
    return stripped


def _without_named(t: Term, drop: frozenset[str]) -> Term:
    """`t` with the named arguments whose value is a variable of `drop` left out; an
    application left with no argument is its function."""
    u = rebuild(t, lambda _f, _i, c: _without_named(c, drop))
    if isinstance(u, App):
        args = tuple(a for a in u.args if not (
            isinstance(a, NamedArg) and isinstance(a.value, Ident) and a.value.name in drop))
        if len(args) != len(u.args):
            return App(u.fn, args) if args else u.fn
    return u
