"""Which section `variable`s Lean 4 makes arguments of a theorem.

Why one module: the rule index (a rule's binders, hence the named arguments a mutant's
proof passes), the mutation engine (`invoke` proofs) and the refuter (the variables it
samples) must agree with Lean, or a proof passes an argument the lemma does not have, or
passes one twice (`(p := s) (p := s)`) when a name was declared in two `variable` commands.
"""

from __future__ import annotations

from typing import Sequence

from lean_alchemy.grammar.ast import App, BinderGroup, Ident, Term
from lean_alchemy.grammar.walk import heads, last_component

# Classes whose first argument is a type of bundled maps (they extend `DFunLike`).
FUN_LIKE_CLASSES = frozenset({"FunLike", "DFunLike", "EquivLike", "EmbeddingLike"})
FUN_LIKE_SUFFIXES = ("HomClass", "EquivClass", "EmbeddingClass", "IsoClass")


def function_like_subject(t: Term | None) -> str | None:
    """`F` when `t` is `FunLike F α β`, `RingHomClass F R S`…: an instance that makes the
    type variable `F` a type of bundled maps; else None."""
    if not isinstance(t, App) or not isinstance(t.fn, Ident) or not t.args:
        return None
    cls = last_component(t.fn.name)
    first = t.args[0]
    if (cls in FUN_LIKE_CLASSES or cls.endswith(FUN_LIKE_SUFFIXES)) and isinstance(first, Ident):
        return first.name
    return None


def used_section_variables(section: Sequence[BinderGroup], binders: Sequence[BinderGroup],
                           conclusion: Term, include: Sequence[str] = ()
                           ) -> tuple[BinderGroup, ...]:
    """The section `variable` binders Lean 4 includes in a theorem: those whose names the
    statement mentions (transitively through included binder types), then instance binders
    all of whose variables are included.  Hypothesis variables such as `(h : 0 < n)` are not
    included unless mentioned or named by an `include` command in force (`include`); a
    named instance binder the statement mentions (`[q : QPF F]` in `q.LiftpPreservation`)
    is included with its variables.

    One addition to that syntactic rule: a function-like instance (`[FunLike F A B]`,
    `[AlgHomClass F R A B]`…) about an included `F` is included with its variables.  Lean
    decides inclusion on the elaborated statement, and applying `f : F` (`f x`) uses that
    instance and with it `B`, which the statement never writes (`StarAlgHom.mem_equalizer`
    takes `{B}` and `[FunLike F A B]` although its statement names neither)."""
    # The theorem's own binders shadow section variables of the same name: a name counts as
    # a use of the section variable only where no own binder of that name is in scope.
    # (`heads` is memoized per node, and section binder types are shared by every mutant of
    # a scope, so this is mostly lookups.)
    needed = set(include)
    own: set[str] = set()
    for g in binders:
        needed |= (heads(g.type) | heads(g.pred) | heads(g.default)) - own
        own |= set(g.names)
    needed |= heads(conclusion) - own
    section = tuple(section)
    names = frozenset(n for g in section for n in g.names)
    key = (id(section), frozenset(needed & names))
    hit = _SECTION_MEMO.get(key)
    if hit is not None and hit[0] is section:
        return hit[1]
    out = _select_section(section, names, key[1])
    if len(_SECTION_MEMO) >= 50_000:
        _SECTION_MEMO.clear()
    _SECTION_MEMO[key] = (section, out)
    return out


# (id(section), needed section names) -> (section, selection).  Why: the selection depends
# on the statement only through the section names it needs, and the mutants of one theorem
# (one section tuple, shared) almost always need the same ones.
_SECTION_MEMO: dict[tuple[int, frozenset[str]], tuple[tuple[BinderGroup, ...],
                                                       tuple[BinderGroup, ...]]] = {}


def _select_section(section: tuple[BinderGroup, ...], section_names: frozenset[str],
                    needed0: frozenset[str]) -> tuple[BinderGroup, ...]:
    """`used_section_variables` once the statement's needed section names are known."""
    needed = set(needed0)
    # a later section binder shadows an earlier one with the same name: `later[i]` holds
    # the names of the non-instance binders after position i (one backward pass)
    later: list[frozenset[str]] = [frozenset()] * len(section)
    acc: frozenset[str] = frozenset()
    for i in range(len(section) - 1, -1, -1):
        later[i] = acc
        if section[i].kind != "inst":
            acc = acc | frozenset(section[i].names)
    chosen: dict[int, tuple[str, ...]] = {}
    pulled: set[int] = set()  # function-like instances whose subject is included
    changed = True
    while changed:
        changed = False
        for i, g in enumerate(section):
            if g.kind == "inst":
                # a function-like instance of an included type, or a named instance the
                # statement mentions (`[q : QPF F]`, `q.LiftpPreservation`)
                if i not in pulled and (function_like_subject(g.type) in needed
                                        or needed.intersection(g.names)):
                    pulled.add(i)
                    needed |= heads(g.type) & section_names
                    changed = True
                continue
            names = tuple(n for n in g.names if n in needed and n not in later[i])
            if names and chosen.get(i) != names:
                chosen[i] = names
                needed |= heads(g.type) | heads(g.pred)
                changed = True
    included = {n for names in chosen.values() for n in names}
    out = []
    for i, g in enumerate(section):
        if g.kind == "inst":
            vs = heads(g.type) & section_names
            if vs and vs <= included or needed.intersection(g.names):
                out.append(g)
        elif i in chosen:
            out.append(BinderGroup(chosen[i], g.type, g.kind, g.pred_op, g.pred))
    return tuple(out)
