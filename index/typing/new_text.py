"""What a mutant's new text does with a rule variable's value, checked against the
value's type: dot notation `v.f` and application `v x`.

Why: a rule's replacement (or side condition, or antecedent) may read a field of a
variable (`l.reverse`, `g.left`) or apply it (`Φ x i`, `⇑f`).  Lean elaborates that text
at the value's type: `x.f` resolves in the namespace of the head of the value's type
(then its parents, then what it unfolds to), and an application needs a function, a
bundled map or a coercion to a function.  When the value's type is known and none of
those exists, the mutant cannot elaborate whatever the rule's binders say.

Here too is that text itself (`new_text`), the binder types a mutant states beside it
(`stated_binder_types`) and the dotted constants it writes (`rule_constants`).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from lean_alchemy.grammar.ast import (
    App, BinOp, Ident, NamedArg, Prefix, Proj, Quant, Sort, Term, children,
)
from lean_alchemy.grammar.walk import heads
from lean_alchemy.index.typing.infer import (
    ADDITIVE_NAME, GENERATED_NAMES, Constants, bundled_op, flat_binders, type_head_name,
)
from lean_alchemy.index.typing.saturate import subst


def receiver_fields(terms: Iterable[Term], names: Iterable[str]) -> dict[str, frozenset[str]]:
    """Rule variable -> the fields dot notation reads on it in `terms` (`v.f`, `v.f a`,
    `(v).f`): the first field after the variable itself."""
    wanted = frozenset(n for n in names if n)
    out: dict[str, set[str]] = {}
    todo = list(terms)
    while todo:
        t = todo.pop()
        if isinstance(t, Ident):
            first, _, rest = t.name.partition(".")
            if rest and first in wanted:
                out.setdefault(first, set()).add(rest.split(".", 1)[0])
            continue
        if isinstance(t, Proj) and isinstance(t.term, Ident) and t.term.name in wanted \
                and not t.field.isdigit():
            out.setdefault(t.term.name, set()).add(t.field.split(".", 1)[0])
        todo.extend(c for _, _, c in children(t))
    return {k: frozenset(v) for k, v in out.items()}


def dot_clash(consts: Constants | None, ty: Term, fields: Iterable[str],
              locals_: frozenset[str], tvars: frozenset[str]) -> str | None:
    """A field of `fields` that dot notation certainly cannot find on a value of type
    `ty` (as inferred, before `norm`), or None.  A type headed by a type variable of the
    candidate has no namespace at all ("type is not of the form C …"); a function type
    reads `Function.f`; a constant head goes through `Constants.dot_fails`.  A type
    headed by another local (a bundled object used as a type through `↥`) or by a
    projection of one (`X.α`) stays unknown."""
    if consts is None:
        return None
    h = ty
    while isinstance(h, App):
        h = h.fn
    for f in sorted(fields):
        if f.isdigit() or ADDITIVE_NAME.search(f) or f in GENERATED_NAMES:
            continue
        if isinstance(h, Ident):
            name = h.name
            if name in tvars:
                return f
            if name in locals_ or name.split(".", 1)[0] in locals_:
                continue
            if consts.dot_fails(name, f):
                return f
        elif (isinstance(h, BinOp) and h.op == "→") or (
                isinstance(h, Quant) and h.op in ("∀", "Π")):
            if consts.function_field_fails(f):
                return f
    return None


def applied_arity(terms: Iterable[Term], names: Iterable[str]) -> dict[str, int]:
    """Rule variable -> the most arguments the new text applies it to (`v x i`: 2; `⇑v`,
    a function coercion: 1)."""
    wanted = frozenset(n for n in names if n)
    out: dict[str, int] = {}
    todo = list(terms)
    while todo:
        t = todo.pop()
        k = 0
        if isinstance(t, App) and isinstance(t.fn, Ident) and t.fn.name in wanted:
            name, k = t.fn.name, sum(1 for a in t.args if not isinstance(a, NamedArg))
        elif isinstance(t, Prefix) and t.op == "⇑" and isinstance(t.arg, Ident) \
                and t.arg.name in wanted:
            name, k = t.arg.name, 1
        if k:
            out[name] = max(out.get(name, 0), k)
        todo.extend(c for _, _, c in children(t))
    return out


def constant_arguments(terms: Iterable[Term], names: Iterable[str]) -> frozenset[str]:
    """Rule variables the new text passes, as they are, as an explicit argument of a named
    constant (`Nat.findGreatest P n`, `Mono f`): Lean elaborates such an argument
    against the constant's parameter type, which in the rule is the variable's binder
    type.  An operand of an operator (`a < b`) is not one: the operator's class takes
    any type that has it."""
    wanted = frozenset(n for n in names if n)
    out: set[str] = set()
    todo = list(terms)
    while todo:
        t = todo.pop()
        if isinstance(t, App) and isinstance(t.fn, Ident) and t.fn.name not in wanted \
                and t.fn.name.split(".", 1)[0] not in wanted:
            out.update(a.name for a in t.args if isinstance(a, Ident) and a.name in wanted)
        todo.extend(c for _, _, c in children(t))
    return frozenset(out)


NUMBER_TYPES = frozenset({"Nat", "Int", "Rat", "Real", "Complex", "NNReal", "ENNReal",
                          "EReal", "PNat", "ENat"})


def cannot_apply(consts: Constants | None, ty: Term, k: int, tvars: frozenset[str],
                 funlike: frozenset[str]) -> bool:
    """Can a value of type `ty` (normalized) certainly not be applied to `k` arguments?
    Each argument peels a function type, a `∀` or a bundled map (coerced by `⇑`); a
    type-level definition unfolds (`Set α` is `α → Prop`); what is left when arguments
    remain must be a number type, a proposition or sort, or a type variable of the
    candidate without a function-like instance for the answer to be certain."""
    for _ in range(k):
        for _unfold in range(4):
            nxt = unfold_type(consts, ty)
            if nxt is None:
                break
            ty = nxt
        if isinstance(ty, BinOp) and (ty.op == "→" or bundled_op(ty.op)):
            ty = ty.rhs
            continue
        if isinstance(ty, Quant) and ty.op in ("∀", "Π"):
            ty = ty.body
            continue
        if isinstance(ty, Sort):
            return True
        h = type_head_name(ty)
        return h is not None and (h in NUMBER_TYPES or (h in tvars and h not in funlike))
    return False


def unfold_type(consts: Constants | None, ty: Term) -> Term | None:
    """One step of unfolding a type-level definition with a read body whose binders
    (or explicit binders) the type's arguments all fill (`Set α` to `α → Prop`), else
    None."""
    if consts is None:
        return None
    fn, args = (ty.fn, ty.args) if isinstance(ty, App) else (ty, ())
    if not isinstance(fn, Ident):
        return None
    found = consts._types(fn.name)
    exact = [s for s in found if s.name == fn.name]
    if len(exact) == 1 and "." not in fn.name:
        found = exact  # a bare name is the root declaration (`Set`, not `HasCardinalLT.Set`)
    if len(found) != 1 or found[0].kind not in ("def", "abbrev") or found[0].body is None:
        return None
    sig = found[0]
    params = [n for n, _, _ in flat_binders(sig)]
    if len(params) != len(args):  # `MorphismProperty C` of `(C) [Category C]`: explicit ones
        params = [n for n, _, k in flat_binders(sig) if k in ("explicit", "plain")]
    if len(params) != len(args) or any(isinstance(a, NamedArg) for a in args):
        return None
    return subst(sig.body, dict(zip(params, args)))


def new_text(rule) -> tuple[Term, ...]:  # noqa: ANN001 - core.records.Rule
    """The rule's text a mutant brings in: an implication's antecedents (`apply_hyp`), a
    rewrite's replacement, and the side conditions it states as hypotheses."""
    from lean_alchemy.grammar.ast import loads

    texts = tuple(rule.antecedents) if rule.kind == "imp" else (rule.replacement,)
    texts += tuple(rule.side_conditions)  # hypotheses the mutant states too
    out: list[Term] = []
    for a in texts:
        t = loads(a) if a else None
        if t is not None:
            out.append(t)
    return tuple(out)


def stated_binder_types(names: Sequence[str], kinds: Sequence[str],
                         types: Sequence[Term | None], values: Mapping[str, Term],
                         new_terms: Sequence[Term]) -> tuple[Term, ...]:
    """The types of the rule's binders the mutant states itself: those the new text
    mentions that the match left unbound (an `apply_hyp` mutant's
    `(o : Orientation ℝ G₀ (Fin 2))` beside its new hypothesis `o.oangle c y = π`).  Lean
    elaborates them too, so their constants' instances are needed like the new text's."""
    mentioned = frozenset().union(*(heads(t) for t in new_terms)) if new_terms else frozenset()
    return tuple(t for n, k, t in zip(names, kinds, types)
                 if n and n in mentioned and n not in values and k != "inst"
                 and t is not None and not isinstance(t, Sort))


def rule_constants(*terms: Term | None) -> frozenset[str]:
    """Dotted constant names written in a rule's terms (the candidates for dot notation
    in a printed mutant)."""
    out: set[str] = set()
    todo = [t for t in terms if t is not None]
    while todo:
        t = todo.pop()
        if isinstance(t, Ident):
            if "." in t.name:
                out.add(t.name)
            continue
        todo.extend(c for _, _, c in children(t))
    return frozenset(out)
