"""The `notation`, `prefix`, `infix` and `postfix` commands of a library's sources, read as
signature rows: which constant a token stands for.

Why apart from the headers: a command is no declaration; the table reads it from each
source file once (`signatures.build_signatures`) to expand the tokens of instance
conclusions (`notation` rows) and to name the constant behind a type operator (`infix`
rows: `A →+* B` is a `RingHom`, `αᵐᵒᵖ` a `MulOpposite`).
"""

from __future__ import annotations

import re
from typing import Iterator

from lean_alchemy.grammar.ast import App, BinderGroup, Enclosed, Ident, Term, Typed
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.signatures import Sig


# `notation "tsze" => TrivSqZeroExt`, `scoped prefix:100 "ℤ√" => Zsqrtd`, `notation "𝟙_ "
# C:max => …`: a token and the names of its parameters, replaced by its right side; a name
# or priority may come first (`scoped[Topology] notation3 (name := nhdsGE) "𝓝[≥] " x:100 =>
# nhdsWithin x (Set.Ici x)`, Mathlib/Topology/Defs/Filter.lean:149)
_NOTATION_CMD = re.compile(r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?'
                           r'(?:notation3?|prefix)(?::\w+)?'
                           r'(?:\s*\((?:name|priority)\s*:=\s*[\w.]+\))*\s+"([^"\s]+)\s*"'
                           r'((?:\s+[^\W\d]\w*(?::\w+)?)*)\s*=>\s*([^\n]+)$', re.M)


def notation_commands(text: str) -> Iterator[Sig]:
    """The notations of a source file (`_NOTATION_CMD`) as `notation` rows: name the
    token, binders its parameters, body its right side (None unless it parses with a
    constant at its head)."""
    for m in _NOTATION_CMD.finditer(text):
        rhs = m.group(3).split("--")[0].strip()
        params = tuple(p.split(":", 1)[0] for p in m.group(2).split())
        try:
            body: Term | None = parse_term(rhs)
        except Exception:  # noqa: BLE001 - an unreadable right side: no body
            body = None
        while isinstance(body, Typed) or isinstance(body, Enclosed) and body.open == "(":
            body = body.term  # `(tensorUnit C : C)`: the term
        fn = body.fn if isinstance(body, App) else body
        # a row without a body still tells that the token has another meaning
        yield Sig(m.group(1), "notation",
                  (BinderGroup(params, None, "explicit"),) if params else (), None, (),
                  body if isinstance(fn, Ident) else None)


# `infixr:25 " →+* " => RingHom` (Mathlib/Algebra/Ring/Hom/Defs.lean:300): an operator
# token that stands for a constant applied to its two operands
_INFIX_CMD = re.compile(r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?'
                        r'infix[lr]?:\w+\s+"\s*([^"\s]+)\s*"\s*=>\s*([\w.]+)\s*(?:--[^\n]*)?$',
                        re.M)


# `notation:25 M " →ₗ[" R:25 "] " M₂:0 => LinearMap (RingHom.id R) M M₂` (Mathlib/Algebra/
# Module/LinearMap/Defs.lean:96-99, 93 such commands in Mathlib): an operator with
# arguments in brackets (`G " →+c[" a ", " b "] " H => AddConstMap G H a b`,
# Mathlib/Algebra/AddConstMap/Basic.lean:50), read as `→ₗ` standing for `LinearMap`, as
# `→ₛₗ` does
_BRACKET_OP_CMD = re.compile(r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?'
                             r'notation3?:\w+\s+[^\s"]+\s+"\s*([^"\s\[⁅]+(?:⁅|(?=\[)))\[?"'
                             r'(?:\s*[^\s"]+\s+"[^"\]⁆]*")*?'
                             r'\s*[^\s"]+\s+"[\]⁆]\s*"\s+[^\s"]+\s*=>\s*([\w.]+)', re.M)


# `postfix:max "ᵐᵒᵖ" => MulOpposite` (Mathlib/Algebra/Opposites.lean:68) and the notations
# of one variable and a token after it, `notation:max α "ᵒᵈ" => OrderDual α`
# (Mathlib/Order/Basic.lean), `scoped[Polynomial] notation:9000 R "[X]" => Polynomial R`
_POSTFIX_CMD = re.compile(r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?'
                          r'postfix:\w+\s+"\s*([^"\s]+)\s*"\s*=>\s*([\w.]+)\s*(?:--[^\n]*)?$',
                          re.M)
_POSTFIX_NOTATION_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3?:\w+\s+'
    r'([^\s":]+)(?::\w+)?\s+"\s*([^"\s]+)\s*"\s*=>\s*([\w.]+)\s+\1\s*(?:--[^\n]*)?$', re.M)


# `notation:35 α " ×ₗ " β:34 => Lex (Prod α β)` (Mathlib/Order/Lex.lean): a token between two
# variables, standing for the constant heading the right side
_BINARY_NOTATION_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3?:\w+\s+'
    r'[^\s":]+(?::\w+)?\s+"\s*([^"\s]+)\s*"\s+[^\s":]+(?::\w+)?\s*=>\s*\(?@?([\w.]+)', re.M)
# `notation "ℚ_[" p "]" => Padic p`, `notation "C(" α ", " β ")" => ContinuousMap α β`
# (Mathlib/NumberTheory/Padics/PadicNumbers.lean, Mathlib/Topology/ContinuousMap/Defs.lean):
# a token glued to its opening bracket, keyed as the grammar's `Glued` reads it (with a
# priority too: `notation (priority := 2000) "C₀(" α ", " β ")" => ZeroAtInftyContinuousMap
# α β`, Mathlib/Topology/ContinuousMap/ZeroAtInfty.lean:50)
_GLUED_NOTATION_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3?(?::\w+)?\s+'
    r'(?:\(priority\s*:=\s*\w+\)\s*)?"([^"\s]+[(\[])"[^\n]*?=>\s*\(?@?([\w.]+)', re.M)


# `notation3 "Π₀ "(...)", "r:(scoped f => DFinsupp f) => r` (Mathlib/Data/DFinsupp/Defs.lean:
# 69), `scoped[DirectSum] notation3 "⨁ "(...)", "r:(scoped f => DirectSum _ f) => r`: a
# binder notation whose value is the constant its scoped body heads (`Π₀ i, β i` is
# `DFinsupp β`), named by its token
_BINDER_NOTATION_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3(?::\w+)?\s*'
    r'"([^"\s]+)\s*"\s*\(\.\.\.\)\s*",\s*"\s*\w+(?::\w+)?:\(scoped\s+\w+\s*=>\s*\(?@?'
    r'(?:_root_\.)?([\w.]+)[^\n]*?\)\s*=>\s*\w+\s*(?:--[^\n]*)?$', re.M)


# `macro_rules | `($R[$M]) => `(MonoidAlgebra $R $M)` (Mathlib/Algebra/MonoidAlgebra/Defs.lean:
# 93-117), `macro_rules | `($R[$S⁻¹]) => ``(OreLocalization $S $R)` (Mathlib/GroupTheory/
# OreLocalization/Basic.lean:103): a bracket glued to a term, which the grammar reads as a
# `Glued` whose head is that term; keyed `VARIABLE_BRACKET`
_GLUED_MACRO_CMD = re.compile(r'^macro_rules\s*\|\s*`\(\$\w+\[\$\w+(?:⁻¹)?\]\)\s*=>\s*`+\(@?'
                              r'([\w.]+)', re.M)
VARIABLE_BRACKET = "_["  # no token: the key of the brackets glued to a term


# (a word the text must hold, the command, its token's group or a fixed key, its
# constant's group), in the order the rows are read
_INFIX_ROWS: tuple[tuple[str | None, re.Pattern, int | str, int], ...] = (
    (None, _INFIX_CMD, 1, 2), (None, _POSTFIX_CMD, 1, 2),
    ("notation", _BRACKET_OP_CMD, 1, 2), ("notation", _POSTFIX_NOTATION_CMD, 2, 3),
    ("notation", _BINARY_NOTATION_CMD, 1, 2), ("notation", _GLUED_NOTATION_CMD, 1, 2),
    ("notation", _BINDER_NOTATION_CMD, 1, 2),
    ("macro_rules", _GLUED_MACRO_CMD, VARIABLE_BRACKET, 1))


def infix_commands(text: str) -> Iterator[Sig]:
    """The `infix`/`infixl`/`infixr` commands of a source file whose right side is a
    constant, as `infix` rows: name the token, body the constant (what dot notation on
    a value of type `A →+* B` resolves in: `RingHom`); the notations of an operator
    with a bracketed argument (`M →ₗ[R] N`), named by the operator before its bracket;
    the postfix type operators (`αᵐᵒᵖ`, `αᵒᵈ`, `R[X]`) and the notations of a token between
    two variables (`α ×ₗ β`), named by their token; the notations glued to a bracket
    (`C(α, β)`, `ℚ_[p]`), named by the token with its bracket (`C(`); the binder
    notations whose value is a constant applied (`Π₀ i, β i`), named by their token;
    the brackets glued to a term by `macro_rules` (`R[M]`), keyed `VARIABLE_BRACKET`."""
    for needle, command, token, constant in _INFIX_ROWS:
        if needle is None or needle in text:
            for m in command.finditer(text):
                key = token if isinstance(token, str) else m.group(token)
                yield Sig(key, "infix", (), None, (), Ident(m.group(constant)))

__all__ = ["VARIABLE_BRACKET", "infix_commands", "notation_commands"]
