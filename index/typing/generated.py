"""Type names no source header spells: those `to_additive` and `to_dual` generate, and
parameterless notations (`expand_notations`).

Why: an instance about `WithZero α` or `WithTop α` names a type the signature table never
read (`WithZero` is the additive twin of `WithOne`, Mathlib/Algebra/Group/WithOne/
Defs.lean; `WithTop` the order dual of `WithBot`, Mathlib/Order/TypeTags.lean:22).  A name
the table does not know might be a notation for any type, so such an instance counted for
every head and `MeasurableSpace Ordinal` or `Inv (Ideal R)` could never be *no*.  A
generated name is a declaration of its own, of its twin's kind: it names one head.
The twin is found by the translations the attributes document: `to_additive`'s words
(`infer.TWIN_WORDS`: `Zero` for `One`, `Add` for `Mul`, …) and `to_dual`'s pairs
(Mathlib/Tactic/Translate/ToDual.lean, the dictionary from line 152: `Top`/`Bot`,
`Sup`/`Inf`, `Max`/`Min`, `Upper`/`Lower`, `Succ`/`Pred`, …).  Only a twin that is a
structure, inductive type, class or definition of the table counts; an `abbrev` twin
(which instance matching unfolds) leaves the name unknown.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from lean_alchemy.grammar.ast import App, BinOp, Ident, Term
from lean_alchemy.index.typing.infer import multiplicative_twins
from lean_alchemy.index.typing.saturate import subst

# `to_dual`'s word pairs, both ways (the capitalized forms a type name holds)
DUAL_WORDS = (("Top", "Bot"), ("Sup", "Inf"), ("Max", "Min"), ("Upper", "Lower"),
              ("Above", "Below"), ("Greatest", "Least"), ("LUB", "GLB"),
              ("Cofinal", "Coinitial"), ("Succ", "Pred"), ("Codisjoint", "Disjoint"),
              ("Coatom", "Atom"), ("Gfp", "Lfp"), ("Next", "Prev"),
              ("Coheyting", "Heyting"), ("Coframe", "Frame"), ("Hypograph", "Epigraph"),
              ("Maximal", "Minimal"), ("Untop", "Unbot"))


def dual_twins(name: str) -> list[str]:
    """The names whose `to_dual` twin may be `name`: one word swapped at a time (a `Co`
    prefix word is tried before its stem, `Codisjoint` before `Disjoint`)."""
    out = []
    for a, b in DUAL_WORDS:
        for this, other in ((a, b), (b, a)):
            if this in name and not (this == "Disjoint" and "Codisjoint" in name) and \
                    not (this in ("Atom", "Heyting", "Frame") and "Co" + this in name):
                out.append(name.replace(this, other))
    return out


def generated_types(names: Iterable[str], kinds: dict[str, str]) -> dict[str, str]:
    """Name -> the kind it takes from its twin, for each of `names` (heads the table
    does not know) one of whose `to_additive` or `to_dual` twins is a type-level
    declaration of `kinds` (key -> `structure`, `inductive`, `class` or `def`)."""
    out: dict[str, str] = {}
    for n in names:
        if not n[:1].isupper():
            continue
        for twin in multiplicative_twins(n) + dual_twins(n):
            kind = kinds.get(twin)
            if kind is not None and twin != n:
                out[n] = kind
                break
    return out


Reading = tuple[tuple[str, ...], Term]  # a notation's parameters and right side


def notation_table(sigs: Iterable) -> dict[str, tuple[Reading, ...]]:  # noqa: ANN001 - Sig
    """Token -> its parameters and right sides (one per distinct definition: `𝔻` is the
    unit disc in one file and `LieDerivation R L L` in another), of the tokens whose
    every `notation` row has a right side read."""
    seen: dict[str, list[Reading] | None] = {}
    for s in sigs:
        if s.kind != "notation":
            continue
        got = seen.setdefault(s.name, [])
        reading = (tuple(n for g in s.binders for n in g.names), s.body)
        if s.body is None or got is None:
            seen[s.name] = None
        elif reading not in got:
            got.append(reading)  # type: ignore[arg-type]
    return {k: tuple(v) for k, v in seen.items() if v}


MAX_READINGS = 8  # readings of one instance's conclusion (`expand_notations`)


def expand_notations(t: Term, notations: Mapping[str, tuple[Reading, ...]],
                     bound: Iterable[str] = ()) -> list[Term]:
    """The readings of `t` with each notation token applied to at least its parameters
    replaced by one of its right sides, the parameters substituted and further arguments
    applied (`tsze R M` is `TrivSqZeroExt R M`, `𝕎 R` with `𝕎 := WittVector p` is
    `WittVector p R`, `𝟙_ C` is `MonoidalCategoryStruct.tensorUnit C`), as Lean's macro
    expansion does (Mathlib/Algebra/TrivSqZeroExt/Basic.lean:72, `local notation "tsze"
    => TrivSqZeroExt`): an instance written with a notation is about the type it
    denotes, one reading per definition of the token.  Names in `bound` (the instance's
    binders) are variables, never tokens.  More than `MAX_READINGS` readings: `t` as
    written (its tokens stay unknown names)."""
    bound = frozenset(bound)
    table = {k: v for k, v in notations.items() if k not in bound}
    out = _readings(t, table) if table else [t]
    return out if len(out) <= MAX_READINGS else [t]


def _readings(t: Term, table: Mapping[str, tuple[Reading, ...]]) -> list[Term]:
    if isinstance(t, Ident):
        return [body for params, body in table.get(t.name, ()) if not params] \
            if t.name in table and all(not p for p, _ in table[t.name]) else [t]
    if isinstance(t, App):
        arg_sets = _product([_readings(a, table) for a in t.args])
        if isinstance(t.fn, Ident) and t.fn.name in table and \
                all(len(p) <= len(t.args) for p, _ in table[t.fn.name]):
            return [_apply(params, body, args) for params, body in table[t.fn.name]
                    for args in arg_sets][:MAX_READINGS + 1]
        return [App(fn, args) for fn in _readings(t.fn, table)
                for args in arg_sets][:MAX_READINGS + 1]
    if isinstance(t, BinOp):
        return [BinOp(t.op, a, b) for a in _readings(t.lhs, table)
                for b in _readings(t.rhs, table)][:MAX_READINGS + 1]
    return [t]


def _apply(params: tuple[str, ...], body: Term, args: tuple[Term, ...]) -> Term:
    """The right side with its parameters replaced by the first arguments, applied to
    the others."""
    body = subst(body, dict(zip(params, args)))
    rest = args[len(params):]
    if not rest:
        return body
    return App(body.fn, body.args + rest) if isinstance(body, App) else App(body, rest)


def _product(options: list[list[Term]]) -> list[tuple[Term, ...]]:
    out: list[tuple[Term, ...]] = [()]
    for opts in options:
        out = [prev + (o,) for prev in out for o in opts][:MAX_READINGS + 1]
    return out


# `@[to_dual]` / `@[to_dual name]` / `@[to_dual /-- doc -/]` in a declaration's attributes
_TO_DUAL_ATTR = re.compile(r"@\[(?:[^\]]*?,\s*)?to_dual(?:\s+(?!/--)([\w.'₀-₉]+))?")
# `@[to_dual self]` (its own dual), `@[to_dual existing foo]` (a twin the sources declare,
# read from its own header), `@[to_dual none]`: no declaration generated (Mathlib writes
# these 334, 129 and 208 times)
_NO_NEW_TWIN = frozenset({"self", "existing", "none"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9']+|[^A-Za-z0-9']+")
_DUAL_OF = {**{a: b for a, b in DUAL_WORDS}, **{b: a for a, b in DUAL_WORDS}}
_DUAL_OF.update({k[0].lower() + k[1:]: v[0].lower() + v[1:] for k, v in list(_DUAL_OF.items())})


def dual_name(name: str) -> str:
    """`to_dual`'s name for the twin of `name`: every whole word of the dictionary
    swapped (`upperBounds` → `lowerBounds`, `BddAbove` → `BddBelow`; `Topology` is one
    word and stays)."""
    return "".join(_DUAL_OF.get(w, w) for w in _WORD.findall(name))


# the declaration keyword after a definition's attributes and modifiers
_DECL_KEYWORD = re.compile(r"^(?:(?:private|protected|noncomputable|nonrec|partial|unsafe)\s+)*"
                           r"(?:def|abbrev)\s", re.M)


def attributes_text(snippet: str) -> str:
    """A definition's text before its keyword: its docstring and attributes.  Not
    before the first `:=`, which an attribute may hold (`@[to_additive (attr := grind)]`,
    on `mabs`)."""
    m = _DECL_KEYWORD.search(snippet)
    return snippet[:m.start()] if m is not None else snippet


def dual_twin_sig(sig, snippet: str):  # noqa: ANN001, ANN201 - signatures.Sig
    """The declaration `@[to_dual]` generates from a definition (`BddBelow` from
    `BddAbove`, Mathlib/Order/Bounds/Defs.lean:37-41): named by the attribute or by
    `dual_name`, its binders, type and body with the dictionary's names swapped
    (`[OrderTop α]` → `[OrderBot α]`); None when the name has no word to swap."""
    from dataclasses import replace

    from lean_alchemy.index.typing.additive import translate

    m = _TO_DUAL_ATTR.search(attributes_text(snippet))
    if m is None:
        return None
    if m.group(1) in _NO_NEW_TWIN:
        return None
    name = m.group(1) or dual_name(sig.name)
    if "." not in name and "." in sig.name:
        name = sig.name.rsplit(".", 1)[0] + "." + name
    if name == sig.name:
        return None
    words: dict[str, str] = {}

    def swap(t: Term | None) -> Term | None:
        if t is None:
            return None
        for n in heads_of(t):
            d = dual_name(n)
            if d != n:
                words[n] = d
        return translate(t, words)

    binders = tuple(replace(g, type=swap(g.type)) for g in sig.binders)
    return replace(sig, name=name, binders=binders, type=swap(sig.type), body=swap(sig.body))


def heads_of(t: Term) -> frozenset[str]:
    from lean_alchemy.grammar.walk import heads

    return heads(t)
