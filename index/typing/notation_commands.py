"""The `notation`, `prefix`, `infix` and `postfix` commands of a library's sources, read as
signature rows: which constant a token stands for.

Why apart from the headers: a command is no declaration; the table reads it from each
source file once (`signatures.build_signatures`) to expand the tokens of instance
conclusions (`notation` rows) and to name the constant behind a type operator (`infix`
rows: `A →+* B` is a `RingHom`, `αᵐᵒᵖ` a `MulOpposite`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Collection, Iterator

from lean_alchemy.extract.scope import ScopeTracker
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
    constant at its head; a literal keeps its ascription, `(⊤ : ENNReal)`), type the
    namespace a `scoped`/`local` command is in force in (`_command_scope`)."""
    marks: tuple[list[int], list[str]] | None = None
    for m in _NOTATION_CMD.finditer(text):
        scope = None
        if _SCOPED_CMD.match(m.group(0)):
            marks = marks or _namespaces_at(text)
            scope = _command_scope(m.group(0), marks[1][bisect_right(marks[0], m.start()) - 1])
        rhs = m.group(3).split("--")[0].strip()
        params = tuple(p.split(":", 1)[0] for p in m.group(2).split())
        try:
            body: Term | None = parse_term(rhs)
        except Exception:  # noqa: BLE001 - an unreadable right side: no body
            body = None
        typed = body
        while isinstance(body, Typed) or isinstance(body, Enclosed) and body.open == "(":
            body = body.term  # `(tensorUnit C : C)`: the term
        fn = body.fn if isinstance(body, App) else body
        if isinstance(typed, Typed) and isinstance(body, Ident) and body.name in ("⊤", "⊥"):
            body = typed  # `(⊤ : ENNReal)`: a literal's type is its ascription
        # a row without a body still tells that the token has another meaning
        yield Sig(m.group(1), "notation",
                  (BinderGroup(params, None, "explicit"),) if params else (),
                  Ident(scope) if scope else None, (),
                  body if isinstance(fn, Ident) else None)


def _command_scope(command_text: str, namespace: str) -> str | None:
    """Where a `scoped`/`local` command is in force: the namespace `scoped[N]` names, or
    the one it is declared in (a `local` one: its file, read as that namespace, which
    only adds readings elsewhere); None for a global command or one outside any."""
    m = re.match(r"(?:@\[[^\]\n]*\]\s*)?scoped\[([\w.]+)\]", command_text)
    return m.group(1) if m else (namespace or None)


# `infixr:25 " →+* " => RingHom` (Mathlib/Algebra/Ring/Hom/Defs.lean:300): an operator
# token that stands for a constant applied to its two operands
_INFIX_CMD = re.compile(r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?'
                        r'infix[lr]?:\w+\s+"\s*([^"\s]+)\s*"\s*=>\s*([\w.]+)\s*(?:--[^\n]*)?$',
                        re.M)


# `notation:25 M " →ₗ[" R:25 "] " M₂:0 => LinearMap (RingHom.id R) M M₂` (Mathlib/Algebra/
# Module/LinearMap/Defs.lean:96-99, 93 such commands in Mathlib): an operator with
# arguments in brackets (`G " →+c[" a ", " b "] " H => AddConstMap G H a b`,
# Mathlib/Algebra/AddConstMap/Basic.lean:50), read as `→ₗ` standing for `LinearMap`, as
# `→ₛₗ` does; a name may come first (`notation:25 (name := «MulActionHomLocal≺») X " →ₑ["
# φ:25 "] " Y:0 => MulActionHom φ X Y`, Mathlib/GroupTheory/GroupAction/Hom.lean:92)
_BRACKET_OP_CMD = re.compile(r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?'
                             r'notation3?:\w+(?:\s*\((?:name|priority)\s*:=\s*[^)\n]+\))*'
                             r'\s+[^\s"(]+\s+"\s*([^"\s\[⁅]+(?:⁅|(?=\[)))\[?"'
                             r'(?:\s*[^\s"]+\s+"[^"\]⁆]*")*?'
                             r'\s*[^\s"]+\s+"[\]⁆]\s*"\s+[^\s"]+\s*=>\s*([\w.]+)', re.M)


# `notation M " [⋀^" ι "]→ₗ[" R "] " N:100 => AlternatingMap R M N ι` (Mathlib/LinearAlgebra/
# Alternating/Basic.lean:73; `]→L[`, Mathlib/Topology/Algebra/Module/Alternating/Basic.lean:
# 51): an operator that opens with a bracket of its own, keyed `[⋀^]→ₗ` (`operator_key`)
_OPEN_BRACKET_OP_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3?(?::\w+)?\s+'
    r'[^\s"]+\s+"\s*(\[[^"\w\s\]]+)"\s*[^\s"]+\s+"\]([^"\[\s]+)\["\s*[^\s"]+\s+"\]\s*"'
    r'\s*[^\s"]+\s*=>\s*([\w.]+)', re.M)


# `notation3 "Πʳ " (...) ", " "[" r:(scoped R => R)", " a:(scoped A => A) "]_[" f "]" =>
#   RestrictedProduct r a f` (Mathlib/Topology/Algebra/RestrictedProduct/Basic.lean:85) and
# `notation3:100"⨂["R"] "(...)", "r:(scoped f => PiTensorProduct R f) => r` (Mathlib/
# LinearAlgebra/PiTensorProduct/Basic.lean:110): a notation that opens with its token, whose
# right side (or the scoped term it returns) is a constant applied; the grammar leaves most
# such texts unread, and the constant says what type they are
_LEADING_TOKEN_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3?(?::\w+)?\s*'
    r'(?:\((?:name|priority)\s*:=\s*[^)\n]+\)\s*)*"\s*([^"\s]+)\s*"([^\n]*(?:\n[ \t]+[^\n]*)*)',
    re.M)
_QUOTED = re.compile(r'"[^"]*"')
_NAME = re.compile(r"\(?@?((?:_root_\.)?[^\W\d][\w.']*)")


_LOCAL_CMD = re.compile(r"\A(?:@\[[^\]\n]*\]\s*)?local\b")


def _names_like(token: str) -> bool:
    """Could a token open an identifier (a letter, but not `λ`, `Π`, `Σ`, which Lean
    reserves)?  An unread text that starts so may start with a variable of that name."""
    return token[:1].isalpha() and token[:1] not in "λΠΣ" or token[:1] == "_"


def _leading_constant(rest: str) -> str | None:
    """The constant the right side of a `_LEADING_TOKEN_CMD` applies (`rest`: the command
    after its token), looking through a returned scoped term (`r:(scoped f =>
    PiTensorProduct R f) => r`); None when it is one of the notation's variables."""
    cut = rest.rfind("=>")
    got = _NAME.match(rest[cut + 2:].strip()) if cut >= 0 else None
    if got is None:
        return None
    name = got.group(1)
    scoped = re.search(re.escape(name) + r"(?::\d+)?:\(scoped\s+\w+\s*=>\s*\(?@?"
                       r"((?:_root_\.)?[^\W\d][\w.']*)", rest)
    if scoped is not None:
        return scoped.group(1).removeprefix("_root_.")
    name = name.removeprefix("_root_.")
    variables = set(re.findall(r"[^\W\d][\w']*", _QUOTED.sub(" ", rest[:cut])))
    return None if name.split(".", 1)[0] in variables else name


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


# `scoped[Manifold] notation "C^" n "⟮" I ", " M "; " I' ", " M' "⟯" => ContMDiffMap I I' M M'
# n` (Mathlib/Geometry/Manifold/ContMDiffMap.lean:42): a token, a variable and a bracket
# glued to it, which the grammar reads as the token applied to a `Glued` (`C^ n⟮…⟯`)
_TOKEN_GLUED_NOTATION_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3?(?::\w+)?\s+'
    r'"([^"\s]+)"\s+[^\W\d]\w*(?::\w+)?\s+"[⟮(\[]"[^\n]*?=>\s*\(?@?([\w.]+)', re.M)


# `notation3 "Π₀ "(...)", "r:(scoped f => DFinsupp f) => r` (Mathlib/Data/DFinsupp/Defs.lean:
# 69), `scoped[DirectSum] notation3 "⨁ "(...)", "r:(scoped f => DirectSum _ f) => r`: a
# binder notation whose value is the constant its scoped body heads (`Π₀ i, β i` is
# `DFinsupp β`), named by its token; options may come first (`notation3 (prettyPrint :=
# false) "Πₗ " (...) ", " r:(scoped p => Lex (∀ i, p i)) => r`, Mathlib/Order/PiLex.lean:55)
_BINDER_NOTATION_CMD = re.compile(
    r'^(?:@\[[^\]\n]*\]\s*)?(?:scoped(?:\[[\w.]+\])?\s+|local\s+)?notation3(?::\w+)?\s*'
    r'(?:\((?:name|priority|prettyPrint)\s*:=\s*[^)\n]+\)\s*)*'
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
_INFIX_ROWS: tuple[tuple[str | None, re.Pattern, int | str | tuple[int, int], int], ...] = (
    (None, _INFIX_CMD, 1, 2), (None, _POSTFIX_CMD, 1, 2),
    ("notation", _BRACKET_OP_CMD, 1, 2), ("notation", _OPEN_BRACKET_OP_CMD, (1, 2), 3),
    ("notation", _POSTFIX_NOTATION_CMD, 2, 3),
    ("notation", _BINARY_NOTATION_CMD, 1, 2), ("notation", _GLUED_NOTATION_CMD, 1, 2),
    ("notation", _BINDER_NOTATION_CMD, 1, 2), ("notation", _TOKEN_GLUED_NOTATION_CMD, 1, 2),
    ("macro_rules", _GLUED_MACRO_CMD, VARIABLE_BRACKET, 1))


# the commands that open and close namespaces, at the start of a line
_BLOCK_CMD = re.compile(r"^(?:noncomputable\s+)?(namespace|section|end)\b[ \t]*([^\s-]*)", re.M)


def _namespaces_at(text: str) -> tuple[list[int], list[str]]:
    """The positions where the current namespace changes, and the namespace from there."""
    tracker = ScopeTracker("")
    starts, names = [0], [""]
    for m in _BLOCK_CMD.finditer(text):
        if m.group(1) == "end":
            tracker.end(m.group(2))
        else:
            tracker.push(m.group(1), m.group(2))
        starts.append(m.start())
        names.append(".".join(tracker.namespaces))
    return starts, names


def resolve_in(namespace: str, name: str, declared: Collection[str]) -> str:
    """The constant `name` denotes when written in `namespace`: Lean resolves the right
    side of a notation where the command stands, innermost namespace first (`infixr " ⥤ "
    => Functor` in `namespace CategoryTheory` is `CategoryTheory.Functor`, not core's
    `Functor`)."""
    if name.startswith("_root_."):
        return name[len("_root_."):]
    parts = namespace.split(".") if namespace else []
    for k in range(len(parts), 0, -1):
        full = ".".join(parts[:k]) + "." + name
        if full in declared:
            return full
    return name


# what an `infix` row's type says of its command: in force only where its namespace is
# open (`scoped`, `local`), an operator with a bracket (`M ≅[L] N`, keyed `≅` as the
# plain `X ≅ Y` is), and an `infix` command proper, whose constant takes the two operands
# as its last explicit arguments (`infixr:65 " ◃ " => Shelf.act`; not `α ×ₗ β => Lex
# (Prod α β)`)
INFIX_SCOPED, INFIX_BRACKET, INFIX_OPERANDS = "scoped", "bracket", "operands"
# a notation that opens with its token (`_LEADING_TOKEN_CMD`), keyed by that token
INFIX_LEADING = "leading"
_SCOPED_CMD = re.compile(r"\A(?:@\[[^\]\n]*\]\s*)?(?:scoped|local)\b")


def _infix_form(command_text: str, command: re.Pattern) -> Ident | None:
    words = [w for w, on in ((INFIX_SCOPED, _SCOPED_CMD.match(command_text) is not None),
                             (INFIX_BRACKET, command in (_BRACKET_OP_CMD,
                                                         _OPEN_BRACKET_OP_CMD)),
                             (INFIX_OPERANDS, command is _INFIX_CMD)) if on]
    return Ident(" ".join(words)) if words else None


def infix_commands(text: str, declared: Collection[str] = frozenset()) -> Iterator[Sig]:
    """The `infix`/`infixl`/`infixr` commands of a source file whose right side is a
    constant, as `infix` rows: name the token, body the constant (what dot notation on
    a value of type `A →+* B` resolves in: `RingHom`); the notations of an operator
    with a bracketed argument (`M →ₗ[R] N`), named by the operator before its bracket;
    the postfix type operators (`αᵐᵒᵖ`, `αᵒᵈ`, `R[X]`) and the notations of a token between
    two variables (`α ×ₗ β`), named by their token; the notations glued to a bracket
    (`C(α, β)`, `ℚ_[p]`), named by the token with its bracket (`C(`), or by the token
    before a variable glued to a bracket (`C^n⟮I, M; I', M'⟯`: `C^`); the binder
    notations whose value is a constant applied (`Π₀ i, β i`), named by their token;
    the brackets glued to a term by `macro_rules` (`R[M]`), keyed `VARIABLE_BRACKET`;
    the notations that open with their token (`Πʳ i, [R i, B i]_[𝓕]`, `⨂[R] i, A i`),
    named by it and marked `INFIX_LEADING`, unless a row above read them.  The constant
    is resolved in the command's namespace among the names `declared`."""
    marks: tuple[list[int], list[str]] | None = None
    seen: set[tuple[str, str]] = set()
    for key, form, name, start in _command_rows(text):
        if declared:
            marks = marks or _namespaces_at(text)
            ns = marks[1][bisect_right(marks[0], start) - 1]
            name = resolve_in(ns, name, declared)
        if form is not None and INFIX_LEADING in form.name.split() and (key, name) in seen:
            continue  # read above (`C(α, β)`)
        seen.add((key, name))
        yield Sig(key, "infix", (), form, (), Ident(name))


def _command_rows(text: str) -> Iterator[tuple[str, Ident | None, str, int]]:
    """(key, form, constant as written, position) of each command `infix_commands` reads,
    the `_INFIX_ROWS` first, then the notations that open with their token."""
    for needle, command, token, constant in _INFIX_ROWS:
        if needle is None or needle in text:
            for m in command.finditer(text):
                key = token if isinstance(token, str) else m.group(token) \
                    if isinstance(token, int) else f"{m.group(token[0])}]{m.group(token[1])}"
                yield key, _infix_form(m.group(0), command), m.group(constant), m.start()
    if "notation" in text:
        for m in _LEADING_TOKEN_CMD.finditer(text):
            name = _leading_constant(m.group(2))
            if name is None or _LOCAL_CMD.match(m.group(0)) or _names_like(m.group(1)):
                continue  # a file's own `local notation "X" => …` reads nothing elsewhere
            words = ([INFIX_SCOPED] if _SCOPED_CMD.match(m.group(0)) else []) + [INFIX_LEADING]
            yield m.group(1), Ident(" ".join(words)), name, m.start()


__all__ = ["INFIX_BRACKET", "INFIX_LEADING", "INFIX_OPERANDS", "INFIX_SCOPED",
           "VARIABLE_BRACKET", "infix_commands", "notation_commands", "resolve_in"]
