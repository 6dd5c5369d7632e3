"""The section `variable`s in force at each non-theorem declaration of a file.

Why: `variable [Group G]` followed by `instance : Foo G` declares `instance [Group G] :
Foo G`; without the section binders an instance looks unconditional (and holds for every
type).  Extraction records scopes only for theorems, so the index stage walks the file
again with extraction's own parser and notes the scope at each other declaration.
"""

from __future__ import annotations

from lean_alchemy.extract.fileparse import FileParser
from lean_alchemy.grammar.ast import BinderGroup, Term
from lean_alchemy.grammar.statements import scope_binders
from lean_alchemy.grammar.walk import heads


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
                             own: tuple[BinderGroup, ...]) -> tuple[BinderGroup, ...]:
    """The section binders Lean includes in a declaration that mentions `mentioned` and
    has binders `own`: the variables it uses (and those their types use), and instance
    binders all of whose variables are included."""
    names: set[str] = set(heads(mentioned)) if mentioned is not None else set()
    for g in own:
        if g.type is not None:
            names |= heads(g.type)
    declared = {n for g in section for n in g.names}
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


def section_of(scope: object) -> tuple[BinderGroup, ...]:
    try:
        return scope_binders(scope)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - unparsable variables only leave premises out
        return ()


def resolution_namespaces(scope: object, full_name: str) -> frozenset[str]:
    """The namespaces a declaration's written names resolve in: the namespace stack of
    its scope and what its `open`s name (`grammar.tokens.open_namespaces`), and the
    namespaces of its own dotted name (`theorem Set.foo` is elaborated inside `Set`)."""
    from lean_alchemy.grammar.tokens import open_namespaces

    parts = full_name.split(".")[:-1]
    out = {".".join(parts[:k]) for k in range(1, len(parts) + 1)}
    if scope is not None:
        try:
            out.update(open_namespaces(scope))
        except Exception:  # noqa: BLE001 - an unread scope only leaves names unfiltered
            return frozenset()
    return frozenset(out)
