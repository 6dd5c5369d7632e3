"""Typed, immutable records that cross stage boundaries.

Every stage reads and writes these and nothing else, so a stage can be run, tested and
scheduled without knowing how its neighbours are built. Records are frozen dataclasses with
plain-data fields (str, int, tuples) so that they pickle cheaply to worker processes and map
one-to-one onto Parquet / SQL columns.
"""

from __future__ import annotations

import hashlib
import json
import operator
from dataclasses import dataclass, fields
from typing import Literal, TypeVar

from lean_alchemy.core.slots import slot_init

BinderKind = Literal["explicit", "implicit", "inst", "strict"]
"""`(x : T)`, `{x : T}`, `[inst : C]`, `⦃x : T⦄`."""

BINDER_BRACKETS: dict[str, tuple[str, str]] = {
    "explicit": ("(", ")"),
    "implicit": ("{", "}"),
    "inst": ("[", "]"),
    "strict": ("⦃", "⦄"),
}

DeclKind = Literal[
    "theorem", "lemma", "def", "abbrev", "instance", "structure", "class", "inductive",
    "alias", "opaque", "axiom", "example", "notation", "macro", "syntax", "other",
]

ParseStatus = Literal["full", "partial", "failed", "unparsed"]


_R = TypeVar("_R")


def pickled_by_fields(cls: type[_R]) -> type[_R]:
    """Pickle a frozen, slotted dataclass as its constructor and field tuple.

    Why: for such classes `dataclasses` supplies `__getstate__`/`__setstate__` written in
    Python (a `fields()` walk and one `object.__setattr__` per field), which made pickling
    a `Mutant` cost ~45 us each way; `alchemy mutate` sends millions of them from its
    worker processes to the parent.  A field tuple read by one `attrgetter` pickles in C.
    """
    names = [f.name for f in fields(cls) if f.init]
    if len(names) != len(fields(cls)):
        raise TypeError(f"{cls.__name__}: every field must be an __init__ argument")
    get = operator.attrgetter(*names)
    if len(names) == 1:
        def reduce(self):  # attrgetter of one name returns the value, not a tuple
            return cls, (get(self),)
    else:
        def reduce(self):
            return cls, get(self)
    cls.__reduce__ = reduce  # type: ignore[method-assign]
    return cls


def content_hash(*parts: str, length: int = 16) -> str:
    """Stable short hash of text parts: ids must not depend on Python's salted `hash`."""
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:length]


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Binder:
    """One binder of a declaration signature, e.g. `{a b : α}` gives two Binders.

    `name` is "" for anonymous instance binders `[Ring R]`.  `type` is the source text of
    the type; the parsed AST lives in `Declaration.binders_ast` (serialized) so this record
    stays plain data.
    """

    name: str
    kind: BinderKind
    type: str | None


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Scope:
    """What must be replayed before a declaration so that it re-elaborates elsewhere.

    `commands` are the scope commands in force, in source order, already filtered to what is
    still active at the declaration (closed sections dropped, `end` matched).  `namespaces`
    is the namespace stack (outermost first) at the declaration.  `preamble()` renders them
    as Lean text that opens the same namespaces and sections; `postamble()` closes them.
    """

    module: str
    imports: tuple[str, ...]
    namespaces: tuple[str, ...]
    # Each entry: (kind, text) where kind is one of namespace/section/open/variable/universe/
    # set_option/notation/attribute/omit/include/instance/other and text is the exact source
    # of the command.  namespace/section entries open a block that `postamble` closes.
    commands: tuple[tuple[str, str], ...]
    is_module_file: bool = False

    @property
    def id(self) -> str:
        return content_hash(self.module, "\n".join(f"{k}\t{t}" for k, t in self.commands))

    def preamble(self) -> str:
        return "\n".join(text for _, text in self.commands)

    def postamble(self) -> str:
        """Close every namespace/section opened by the preamble, innermost first."""
        closers = []
        for kind, text in reversed(self.commands):
            if kind in ("namespace", "section"):
                parts = text.split()
                name = " ".join(parts[1:2]) if len(parts) > 1 else ""
                closers.append(f"end {name}".rstrip())
        return "\n".join(closers)


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Declaration:
    """One declaration of the source library.

    Theorems/lemmas carry everything (statement, proof, scope); other kinds are recorded by
    name and kind only so that later stages can resolve identifiers.
    """

    full_name: str
    name: str  # as written after the keyword
    kind: str  # DeclKind
    module: str
    file: str  # path relative to the project root
    start_line: int  # 1-based, the first line of the command (attributes/docstring included)
    end_line: int  # 1-based, inclusive
    start_byte: int = 0
    end_byte: int = 0
    modifiers: tuple[str, ...] = ()  # private, protected, noncomputable, nonrec, ...
    attributes: tuple[str, ...] = ()  # e.g. ("simp", "norm_cast")
    docstring: str | None = None
    binders: tuple[Binder, ...] = ()
    conclusion: str | None = None  # the type after the final `:`
    proof: str | None = None  # text after `:=` (or the `|` / `where` equations)
    proof_style: str | None = None  # "term", "tactic", "equations", "where"
    scope_id: str | None = None
    source: str = "source"  # provenance of the record: "source" or "leandojo"
    # Filled by the grammar stage: compact serialization of the parsed signature.
    parse_status: str = "unparsed"  # ParseStatus
    parse_error: str | None = None
    binders_ast: str | None = None
    conclusion_ast: str | None = None

    @property
    def is_candidate(self) -> bool:
        return self.kind in ("theorem", "lemma")

    @property
    def statement(self) -> str:
        """The signature as Lean text: binders then `: conclusion`."""
        b = render_binders(self.binders)
        return f"{b} : {self.conclusion}" if b else f": {self.conclusion}"


def render_binders(binders: tuple[Binder, ...]) -> str:
    out = []
    for b in binders:
        lo, hi = BINDER_BRACKETS[b.kind]
        if b.type is None:
            out.append(f"{lo}{b.name}{hi}")
        elif b.name:
            out.append(f"{lo}{b.name} : {b.type}{hi}")
        else:
            out.append(f"{lo}{b.type}{hi}")
    return " ".join(out)


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ExtractFailure:
    """A theorem/lemma (or a whole file) that could not be turned into a record."""

    file: str
    line: int
    reason: str
    detail: str = ""


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class NotationDecl:
    """A command that declares syntax (`notation`, `infixl`, `prefix`, `macro`, `syntax`,
    `elab`, ...) and the tokens it adds to Lean's token table.

    Why recorded: Lean's lexer reads the longest token of the table in force, so
    `f^[n]` and `f ^ [n]` are different terms once `^[` is a token; the grammar's fidelity
    check lexes statements with the table these records build (`grammar.tokens`).
    `visibility` is "global", "scoped" (active where `namespace` is open or entered) or
    "local" (active in the rest of the file's section).
    """

    module: str
    file: str
    line: int
    keyword: str  # notation | notation3 | infix | infixl | infixr | prefix | postfix | ...
    visibility: str  # global | scoped | local
    namespace: str  # the scoped namespace (`scoped[NS]`, else the current namespace)
    tokens: tuple[str, ...]
    text: str  # the command's source (attributes and modifiers included)


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Rule:
    """A directed rewrite (eq/iff) or an implication, derived from one theorem.

    `pattern` is what is matched in a candidate, `replacement` what it becomes (for `imp`:
    pattern = the conclusion matched against a hypothesis, replacement = the antecedents,
    serialized as a conjunction list in `antecedents`).  ASTs are serialized with
    `lean_alchemy.grammar.ast.dumps`.
    """

    id: str
    lemma: str  # full name of the theorem
    kind: str  # "eq" | "iff" | "imp"
    direction: str  # "fwd" (lhs -> rhs) | "bwd" (rhs -> lhs); "fwd" for imp
    pattern: str  # serialized AST
    replacement: str  # serialized AST ("" for imp)
    pattern_vars: tuple[str, ...]  # binder names that act as pattern variables
    binder_names: tuple[str, ...]  # all binder names of the lemma, in order
    binder_kinds: tuple[str, ...]  # BinderKind per binder
    binder_types: tuple[str, ...]  # serialized AST of each binder type ("" if none)
    side_conditions: tuple[str, ...] = ()  # serialized ASTs of remaining explicit hyps
    antecedents: tuple[str, ...] = ()  # for imp: serialized ASTs of the antecedents
    head: str = ""  # index key of the pattern (head symbol / arity)
    module: str = ""


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocable edge: `rule` fires on `candidate` at `location` (the index's output).

    The contract between the index (which finds where a rule applies) and the mutation
    engine (which builds the new statement and proof).  `path` is the JSON of an
    `ast.Path` inside the target term (the conclusion for the goal, the hypothesis type
    otherwise); `subst` maps each pattern variable to the serialized AST it matched.
    """

    candidate: str  # full name of the theorem being mutated
    rule_id: str  # Rule.id
    kind: str  # "rw_goal" | "rw_hyp" | "apply_hyp"
    location: str  # "goal" or the hypothesis binder name
    path: str  # json list of [field, index] steps
    subst: tuple[tuple[str, str], ...]
    instance: str  # the matched sub-term, printed (for people and the graph)


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Mutant:
    """A new theorem obtained from a candidate by one mutation step (or `depth` of them).

    `id` is the canonical fingerprint of the normalized statement plus context, so the same
    mutant produced twice is stored once.  `lean` is the complete, self-contained check unit
    (preamble, options, declaration, postamble) without the import header.
    """

    id: str
    name: str  # the new declaration's (unique, deterministic) name
    parent: str  # full name of the original theorem (or parent mutant id at depth > 1)
    source_theorem: str  # full name of the original library theorem
    source_module: str
    rule: str  # full name of the lemma used
    kind: str  # "rw_goal" | "rw_hyp" | "apply_hyp"
    direction: str  # "fwd" | "bwd"
    location: str  # "goal" or the hypothesis name
    depth: int
    proof_style: str  # "merged" | "invoke"
    statement: str  # the signature text: binders ` : ` conclusion
    proof: str  # proof text after `:=`
    imports: tuple[str, ...]  # modules the check unit needs (the source module, at least)
    header: str  # scope preamble (namespaces, opens, variables, options) before the declaration
    lean: str  # the complete check unit without the import lines: header, declaration, `end`s
    scope_id: str = ""
    features: tuple[tuple[str, float], ...] = ()
    # the library the rule lemma comes from ("" for the mutated library's own rules, else
    # the dependency's name, e.g. "Mathlib": `IndexOptions.rules_from`)
    rule_library: str = ""
    # "proved": `proof` proves the statement; "open": the source theorem has no proof the
    # engine can reuse (`sorry`), so the statement is exact and the proof is `sorry`
    proof_status: str = "proved"
    # what the statement is to its source: "equivalent" (a rewrite with an `=`/`↔` lemma:
    # provable exactly when the source is) or "implied_by_source" (an apply step)
    relation: str = ""


@slot_init
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Verdict:
    """Lean's judgement on one mutant."""

    mutant_id: str
    status: str  # verified | rejected | timeout | crashed | ...
    error_class: str | None = None
    first_error: str | None = None
    elapsed: float = 0.0
    backend: str = ""
    lean_version: str = ""
    mathlib_rev: str = ""
    # what `#print axioms` listed for the mutant's declaration; None when Lean was not asked
    # (a verdict decided before Lean, a timeout, a crash)
    axioms: tuple[str, ...] | None = None


# `json.dumps(x, ensure_ascii=False)` builds a new encoder per call; the mutate stage
# encodes two small lists per mutant (millions), so one encoder with those options serves.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def imports_json(imports: tuple[str, ...] | list[str]) -> str:
    """A mutant's `imports` as stored in the run database (and read by the corpus export)."""
    return _ENCODE(list(imports))


def features_json(features: tuple[tuple[str, float], ...]) -> str:
    """A mutant's `features` as stored in the run database: `[["key", value], ...]`, the form
    the corpus export decodes with Arrow kernels (`corpus.source.engine_lists`)."""
    return _ENCODE([list(x) for x in features])
