"""The section `variable`s in force at each non-theorem declaration of a file.

Why: `variable [Group G]` followed by `instance : Foo G` declares `instance [Group G] :
Foo G`; without the section binders an instance looks unconditional (and holds for every
type).  Extraction records scopes only for theorems, so the index stage walks the file
again with extraction's own parser and notes the scope at each other declaration.
"""

from __future__ import annotations

import re

from lean_alchemy.extract.fileparse import FileParser
from lean_alchemy.grammar.ast import BinderGroup, BinOp, Term, children
from lean_alchemy.grammar.statements import scope_binders
from lean_alchemy.grammar.walk import heads

_WORD = re.compile(r"[^\W\d][\w'!?.]*")  # a name (`R`, `σ₁₂`, `K.ringOfIntegers`)


class _ScopeRecorder(FileParser):
    """The extraction parser, remembering the scope of every declaration it meets."""

    def __init__(self, text: str, module: str, file: str) -> None:
        super().__init__(text, module, file)
        self.scopes: dict[str, object] = {}

    def declaration(self, cmd, kw, word, attr_spans, mods):  # type: ignore[no-untyped-def]
        before = len(self.decls)
        super().declaration(cmd, kw, word, attr_spans, mods)
        if len(self.decls) > before:
            # `variable (M) in def …`: the prefix commands hold for this declaration only
            extra = tuple(e for a, b in getattr(cmd, "prefixes", ())
                          if (e := self.scope_entry(a, b)) is not None)
            scope = self.tracker.current(extra)
            for d in self.decls[before:]:
                self.scopes[d.full_name] = scope
            del self.decls[before:]  # only the scopes are wanted


def declaration_scopes(text: str, module: str, file: str) -> dict[str, object]:
    """full name -> `Scope` in force at each declaration of one file's text."""
    p = _ScopeRecorder(text, module, file)
    p.run()
    return p.scopes


def included_section_binders(section: tuple[BinderGroup, ...], mentioned: Term | None,
                             own: tuple[BinderGroup, ...],
                             body_words: frozenset[str] = frozenset()
                             ) -> tuple[BinderGroup, ...]:
    """The section binders Lean includes in a declaration that mentions `mentioned` and
    has binders `own`: the variables it uses (and those their types use), and instance
    binders all of whose variables are included; a name `own` binds shadows the
    section's.  `body_words`: the words of a
    definition's body, whose variables Lean includes too (`def ContDiffWithinAt (n : ℕ∞ω)
    (f : E → F) … : Prop := … 𝕜 …` under `variable (𝕜)` takes `𝕜` first, Mathlib/Analysis/
    Calculus/ContDiff/Defs.lean:131)."""
    names: set[str] = _mentions(mentioned) if mentioned is not None else set()
    names |= body_words
    for g in own:
        if g.type is not None:
            names |= _mentions(g.type)
    # a name the declaration binds itself is its own (`{v : InfinitePlace K} (hv : IsReal
    # v)` under `variable (v)`, Mathlib/NumberTheory/NumberField/Completion/
    # InfinitePlace.lean): the section's `v` is not used
    own_names = {n for g in own for n in g.names}
    names -= own_names
    declared = {n for g in section for n in g.names} - own_names
    changed = True
    while changed:
        changed = False
        for g in section:
            if g.names and set(g.names) & names and g.type is not None:
                new = (heads(g.type) & declared) - names
                if new:
                    names |= new
                    changed = True
    out = []
    for g in section:
        if g.kind == "inst":
            if g.type is not None and heads(g.type) & declared and \
                    (heads(g.type) & declared) <= names:
                out.append(g)
        elif set(g.names) & names:
            out.append(BinderGroup(tuple(n for n in g.names if n in names), g.type, g.kind))
    return tuple(out)


def _mentions(t: Term) -> set[str]:
    """`heads(t)` and the names written inside an operator's brackets, which the parser
    keeps in the operator (`M₁ →ₗ[R] M₂` mentions `R`: without it `instance : CoeHead F
    (M₁ →ₗ[R] M₂)` would lose its section binder `[LinearMapClass F R M₁ M₂]`,
    Mathlib/Algebra/Module/LinearMap/Defs.lean:173-180)."""
    out = set(heads(t))
    todo = [t]
    while todo:
        x = todo.pop()
        if isinstance(x, BinOp) and "[" in x.op:
            out.update(w.split(".", 1)[0] for w in _WORD.findall(x.op[x.op.index("["):]))
        todo.extend(c for _, _, c in children(x))
    return out


def section_of(scope: object) -> tuple[BinderGroup, ...]:
    try:
        return scope_binders(scope)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - unparsable variables only leave premises out
        return ()


def resolution_namespaces(scope: object, full_name: str) -> frozenset[str]:
    """The namespaces a declaration's written names resolve in: the namespace stack of
    its scope and what its `open`s name (`grammar.tokens.open_namespaces`), and the
    namespaces of its own dotted name (`theorem Set.foo` is elaborated inside `Set`), and
    the namespace of each `attribute [local instance]` command in force
    (`signatures.local_instance_scope`), whose instances hold only there."""
    from lean_alchemy.grammar.tokens import open_namespaces
    from lean_alchemy.index.typing.signatures import local_instance_names, local_instance_scope

    parts = full_name.split(".")[:-1]
    out = {".".join(parts[:k]) for k in range(1, len(parts) + 1)}
    if scope is not None:
        try:
            out.update(open_namespaces(scope))
            out.update(local_instance_scope(n) for kind, text in scope.commands  # type: ignore[attr-defined]
                       if kind == "attribute" and "local" in text
                       for n in local_instance_names(text))
        except Exception:  # noqa: BLE001 - an unread scope only leaves names unfiltered
            return frozenset()
    return frozenset(out)


_BODY_WORD = re.compile(r"(?<![\w.'])[^\W\d][\w'₀-₉]*")  # a name not after a dot
# a `match` arm's pattern (`| k + 1 => …`): the names in it are bound there, not uses
_ARM_PATTERN = re.compile(r"(?m)^\s*\|([^\n]*?)=>")


def body_words(body: str) -> frozenset[str]:
    """The names a definition's body uses, less those its `match` arms bind
    (`lowerCentralSeriesLast`'s `| k + 1 => lowerCentralSeries R L M k` under `variable
    (k : ℕ)`, Mathlib/Algebra/Lie/Nilpotent.lean: Lean does not include the section's
    `k`)."""
    bound = {w for m in _ARM_PATTERN.finditer(body) for w in _BODY_WORD.findall(m.group(1))}
    return frozenset(_BODY_WORD.findall(body)) - bound
