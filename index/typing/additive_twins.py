"""The additive definitions `@[to_additive]` generates, which no source header spells.

Why: Mathlib defines most multiplicative notions once and lets `to_additive` make the
additive twin: `Finset.sum` of `Finset.prod`, `abs` of `mabs`, `AddMonoidHom.ker` of
`MonoidHom.ker`, `AddSubgroup.zmultiples` of `Subgroup.zpowers`.  Without the twins the
signature table knows none of these names, so a value built with them gets no type and
the instances they need (`abs` needs `[Lattice α] [AddGroup α]`) are never asked.

The twin is named as `to_additive` names it (Mathlib/Tactic/Translate/GuessName.lean):
the name given in the attribute, else each name component split into words at case
changes and underscores, each word looked up in the attribute's dictionary
(Mathlib/Tactic/Translate/ToAdditive.lean, `nameDict`: `mul` → `Add`, `prod` → `Sum`,
`mabs` → `Abs`, `monoid` → `AddMonoid`…) with the case of the word it replaces, then
runs of words fixed by `abbreviationDict` (`commAdd` → `AddComm`).  Its binders and type
are the definition's with every name so translated and the multiplicative operators
made additive (`→*` → `→+`, `*` → `+`).  A definition whose attribute reorders arguments
(`reorder :=`, the `pow` → `nsmul` twins), names an `existing` twin, or whose header
writes a notation with no additive reading here (`^`, `ˣ`, `⁻¹`) gives none; a twin
whose name the sources declare is read from its own header (`build_signatures`).  An
`abbrev`'s twin keeps its body, translated alike: the table keys `abbrev`s by their last
name (`AddSubgroup.LeftTransversal` beside `Subgroup.LeftTransversal`), and a body left
out would make both unreadable, so that instances about them would match every type.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lean_alchemy.grammar.ast import App, BinderGroup, BinOp, Ident, Postfix, Term
from lean_alchemy.grammar.walk import nodes
from lean_alchemy.index.typing.generated import attributes_text

# `nameDict` (lower-case word -> the words it becomes), the entries for names of
# definitions and types; the classes' own entries are in `additive._WORDS`
NAME_DICT = {
    "one": ["Zero"], "mul": ["Add"], "smul": ["VAdd"], "inv": ["Neg"], "div": ["Sub"],
    "sdiv": ["VSub"], "prod": ["Sum"], "hmul": ["HAdd"], "hsmul": ["HVAdd"],
    "hdiv": ["HSub"], "hpow": ["HSMul"], "finprod": ["Finsum"], "tprod": ["TSum"],
    "pow": ["NSMul"], "npow": ["NSMul"], "zpow": ["ZSMul"], "mabs": ["Abs"],
    "monoid": ["Add", "Monoid"], "submonoid": ["Add", "Submonoid"],
    "group": ["Add", "Group"], "subgroup": ["Add", "Subgroup"],
    "semigroup": ["Add", "Semigroup"], "torsor": ["Add", "Torsor"],
    "magma": ["Add", "Magma"], "haar": ["Add", "Haar"], "prehaar": ["Add", "Prehaar"],
    "unit": ["Add", "Unit"], "units": ["Add", "Units"], "cyclic": ["Add", "Cyclic"],
    "semigrp": ["Add", "Semigrp"], "grp": ["Add", "Grp"], "commute": ["Add", "Commute"],
    "semiconj": ["Add", "Semiconj"], "conjugates": ["Add", "Conjugates"],
    "conj": ["Add", "Conj"], "commutator": ["Add", "Commutator"],
    "rootable": ["Divisible"], "zpowers": ["ZMultiples"], "powers": ["Multiples"],
    "multipliable": ["Summable"], "gpfree": ["APFree"], "quantale": ["Add", "Quantale"],
    "square": ["Even"], "mconv": ["Conv"], "irreducible": ["Add", "Irreducible"],
    "mlconvolution": ["LConvolution"],
}
# `abbreviationDict`: runs of words that read otherwise once translated
ABBREVIATIONS = {
    "isCancelAdd": "IsCancelAdd", "isLeftCancelAdd": "IsLeftCancelAdd",
    "isRightCancelAdd": "IsRightCancelAdd", "cancelAdd": "AddCancel",
    "leftCancelAdd": "AddLeftCancel", "rightCancelAdd": "AddRightCancel",
    "cancelCommAdd": "AddCancelComm", "commAdd": "AddComm", "zero_le": "Nonneg",
    "zeroLE": "Nonneg", "zero_lt": "Pos", "zeroLT": "Pos", "lezero": "Nonpos",
    "le_zero": "Nonpos", "ltzero": "Neg", "lt_zero": "Neg",
    "addAntidiagonal": "Antidiagonal", "addSingle": "Single", "addSupport": "Support",
    "addTSupport": "TSupport", "addIndicator": "Indicator", "isEven": "Even",
    "isRegular": "IsAddRegular", "orderOf": "AddOrderOf", "zeroLePart": "PosPart",
    "leZeroPart": "NegPart", "divisionAddMonoid": "SubtractionMonoid",
    "conGen": "AddConGen", "unone": "unzero",
}
# Capitalized words `splitCase` keeps whole (`endCapitalNames`)
_END_CAPITAL = {"LE": ("",), "LT": ("",), "GE": ("",), "GT": ("",), "WF": ("",),
                "Coe": ("TC", "T", "HTCT")}
# the multiplicative operators of a header and their additive twins
_OPERATORS = {"→*": "→+", "≃*": "≃+", "*": "+", "/": "-", "•": "+ᵥ", "↪*": "↪+"}
# notation with no additive reading here: a header with one gives no twin
_UNREAD = frozenset({"^", "ˣ", "⁻¹", "→*₀", "≃*₀"})
_ATTR = re.compile(r"@\[(?:[^\]]*?,\s*)?to_additive(?!_)\??([^\]]*)\]")


def split_case(s: str) -> list[str]:
    """`InvHMulLEConjugate₂SMul_ne_top` -> `Inv HMul LE Conjugate₂ SMul _ ne _ top`
    (`String.splitCase`: at underscores, after a lower-case letter followed by a capital,
    and after a whole word of `_END_CAPITAL`)."""
    out: list[str] = []
    i0 = 0
    while i0 + 1 < len(s):
        i1 = i0 + 1
        if s[i0] == "_" or s[i1] == "_":
            out.append(s[:i1])
            s, i0 = s[i1:], 0
            continue
        if s[i1].isupper():
            ends = _END_CAPITAL.get(s[:i1])
            x = next((x for x in ends or () if s[i1:].startswith(x)), None)
            if x is not None:
                out.append(s[:i1] + x)
                s, i0 = s[i1 + len(x):], 0
                continue
            if not s[i0].isupper():
                out.append(s[:i1])
                s, i0 = s[i1:], 0
                continue
        i0 = i1
    if s:
        out.append(s)
    return out


def _lower_capitals(s: str) -> str:
    """`decapitalizeSeq`: the leading capitals lowered (`HMul` -> `hmul`)."""
    k = 0
    while k < len(s) and s[k].isupper():
        k += 1
    return s[:k].lower() + s[k:]


def _decapitalize_like(like: str, s: str) -> str:
    """`s` with its leading capitals lowered when `like` starts lower-case."""
    return s if not like or like[0].isupper() else _lower_capitals(s)


def _apply_dict(words: list[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        got = NAME_DICT.get(w.lower())
        if got is None:
            out.append(w)
        else:
            out.extend([_decapitalize_like(w, got[0])] + got[1:])
    return out


def _fix_abbreviations(parts: list[str]) -> str:
    """`fixAbbreviation`: from each start, the shortest run of words whose joined text
    (leading capitals lowered) `ABBREVIATIONS` has is replaced; a start with none keeps
    its first word; a capitalized run never reaches past an underscore."""
    out: list[str] = []
    todo, window = list(parts), []  # words not looked at, the run being extended
    while todo or window:
        if not todo:
            out.append(window[0])
            todo, window = window[1:], []
            continue
        window = window + [todo.pop(0)]
        text = "".join(window)
        if window[-1] == "_" and text[0].isupper():
            out.append(window[0])
            todo, window = window[1:] + todo, []
            continue
        post = ABBREVIATIONS.get(_lower_capitals(text))
        if post is not None:
            out.append(_decapitalize_like(text, post))
            window = []
    return "".join(out)


def guess_name(component: str) -> str:
    """The additive name `to_additive` guesses for one name component."""
    return "'".join(_fix_abbreviations(_apply_dict(split_case(tok)))
                    for tok in component.split("'"))


def additive_name(full: str) -> str:
    return ".".join(guess_name(c) for c in full.split("."))


def additive_twin_sig(sig, snippet: str):  # noqa: ANN001, ANN201 - signatures.Sig
    """The definition `@[to_additive]` generates from `sig` (module doc); None when the
    attribute names an existing twin, reorders arguments, or the name stays the same."""
    m = _ATTR.search(attributes_text(snippet))
    if m is None:
        return None
    args = m.group(1).strip()
    if args.startswith("existing") or "reorder" in args or "self" == args.split()[:1]:
        return None
    given = re.match(r"([\w.'₀-₉]+)", args)
    if given is not None and given.group(1) not in ("existing",):
        name = given.group(1)
        if "." not in name and "." in sig.name:
            prefix = additive_name(sig.name.rsplit(".", 1)[0])
            name = f"{prefix}.{name}"
    else:
        name = additive_name(sig.name)
    if name == sig.name:
        return None
    terms = [g.type for g in sig.binders if g.type is not None]
    if sig.type is not None:
        terms.append(sig.type)
    for t in terms:
        for n in nodes(t):
            if isinstance(n, (BinOp, Postfix)) and n.op in _UNREAD:
                return None
    if sig.kind == "abbrev" and sig.body is None:
        return None  # an unread body would make every `abbrev` of its last name opaque
    binders = tuple(replace(g, type=_additive(g.type)) if g.type is not None else g
                    for g in sig.binders)
    # an `abbrev`'s body is what instance matching unfolds (`classes.ClassTable.unfold`,
    # keyed by last name, shared with the multiplicative `abbrev`); a `def`'s is left out
    body = _additive(sig.body) if sig.kind == "abbrev" and sig.body is not None else None
    return replace(sig, name=name, binders=binders,
                   type=_additive(sig.type) if sig.type is not None else None, body=body)


def _additive(t: Term) -> Term:
    """`t` with every name and multiplicative operator translated."""
    if isinstance(t, Ident):
        got = additive_name(t.name)
        return Ident(got) if got != t.name else t
    if isinstance(t, App):
        return App(_additive(t.fn), tuple(_additive(a) for a in t.args))
    if isinstance(t, BinOp):
        return BinOp(_OPERATORS.get(t.op, t.op), _additive(t.lhs), _additive(t.rhs))
    if isinstance(t, BinderGroup):
        return t
    return t


__all__ = ["additive_name", "additive_twin_sig", "guess_name", "split_case"]
