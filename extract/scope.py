"""Track what is in force at each point of a Lean file: namespaces, sections, opens, ...

Why: a theorem only re-elaborates elsewhere if its `open`s, `variable`s, universes, options
and local notations are replayed inside the same namespaces.  The tracker keeps a stack of
blocks (namespace / section / mutual); each block owns the scope commands issued inside it,
so `end` drops exactly what Lean drops.  A `Scope` is rebuilt only when something changes,
so the thousands of theorems between two scope commands share one object (and one id).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lean_alchemy.core.records import Binder, Scope

from .commands import parse_binders
from .lexer import mask


@dataclass(slots=True)
class _Block:
    kind: str  # "namespace" | "section" | "mutual"
    components: tuple[str, ...]  # name split on "." (empty for an anonymous section)
    opener: tuple[str, str] | None  # the (kind, text) entry rendered in a preamble
    commands: list[tuple[str, str]] = field(default_factory=list)


def split_name(name: str) -> tuple[str, ...]:
    """`A.«b.c».D` -> ("A", "«b.c»", "D")."""
    out: list[str] = []
    cur: list[str] = []
    guarded = False
    for ch in name:
        if ch == "«":
            guarded = True
        elif ch == "»":
            guarded = False
        if ch == "." and not guarded:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return tuple(p for p in out if p)


class ScopeTracker:
    """Mutable, file-local state; hands out immutable `Scope` records."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.imports: tuple[str, ...] = ()
        self.is_module_file = False
        self.root: list[tuple[str, str]] = []
        self.stack: list[_Block] = []
        self._cached: Scope | None = None
        self._with_prefix: dict[tuple[tuple[str, str], ...], Scope] = {}
        self.scopes: dict[str, Scope] = {}  # id -> Scope, every scope handed out

    # -- state changes
    def _changed(self) -> None:
        self._cached = None
        self._with_prefix = {}

    def add_import(self, module: str) -> None:
        self.imports = self.imports + (module,)
        self._changed()

    def set_module_file(self) -> None:
        self.is_module_file = True
        self._changed()

    def add(self, kind: str, text: str) -> None:
        """Record a scope command (open, variable, universe, ...) in the innermost block."""
        (self.stack[-1].commands if self.stack else self.root).append((kind, text))
        self._changed()

    def push(self, kind: str, name: str) -> None:
        comps = split_name(name)
        if kind == "mutual":
            opener = None
        elif kind == "namespace":
            opener = ("namespace", f"namespace {name}")
        else:
            opener = ("section", f"section {name}".rstrip())
        self.stack.append(_Block(kind, comps, opener))
        self._changed()

    def end(self, name: str) -> bool:
        """Close blocks as Lean's `end NAME` does; False when nothing matched exactly."""
        if not self.stack:
            return False
        comps = split_name(name)
        ok = True
        if not comps:
            blk = self.stack.pop()
            ok = not blk.components
        else:
            remaining = list(comps)
            while remaining and self.stack:
                blk = self.stack.pop()
                if not blk.components:
                    ok = False
                    continue
                k = len(blk.components)
                r = len(remaining)
                if k > r and blk.kind == "namespace" and blk.components[-r:] == tuple(remaining):
                    # `namespace A.B` ... `end B`: Lean closes B only, `A` stays open
                    outer = blk.components[:-r]
                    self.stack.append(_Block("namespace", outer,
                                             ("namespace", "namespace " + ".".join(outer))))
                    remaining = []
                    continue
                if tuple(remaining[-k:]) != blk.components:
                    ok = False
                remaining = remaining[:-k] if k <= len(remaining) else []
        self._changed()
        return ok

    # -- queries
    @property
    def namespaces(self) -> tuple[str, ...]:
        out: list[str] = []
        for b in self.stack:
            if b.kind == "namespace":
                out.extend(b.components)
        return tuple(out)

    def commands(self) -> tuple[tuple[str, str], ...]:
        out = list(self.root)
        for b in self.stack:
            if b.opener is not None:
                out.append(b.opener)
            out.extend(b.commands)
        return tuple(out)

    def current(self, extra: tuple[tuple[str, str], ...] = ()) -> Scope:
        """The scope in force now, plus `extra` commands (from `... in` prefixes)."""
        if not extra:
            if self._cached is None:
                self._cached = self._register(Scope(self.module, self.imports, self.namespaces,
                                                    self.commands(), self.is_module_file))
            return self._cached
        got = self._with_prefix.get(extra)
        if got is None:
            base = self.current()
            got = self._register(Scope(base.module, base.imports, base.namespaces,
                                       base.commands + extra, base.is_module_file))
            self._with_prefix[extra] = got
        return got

    def _register(self, scope: Scope) -> Scope:
        sid = scope.id
        prev = self.scopes.get(sid)
        if prev is not None and prev == scope:
            return prev
        self.scopes[sid] = scope
        return scope


# ---------------------------------------------------------------- variable binders

def _strip_keyword(text: str, *words: str) -> int:
    t = text.lstrip()
    off = len(text) - len(t)
    for w in words:
        if t.startswith(w):
            return off + len(w)
    return off


def command_binders(text: str) -> tuple[Binder, ...]:
    """Binders written in one `variable ...` / `omit ...` command text (bracket groups and
    bare names, as in `omit y`)."""
    masked = mask(text).masked
    start = _strip_keyword(masked, "variable?", "variable", "omit", "include")
    return parse_binders(text, masked, start, len(text))


def variable_binders(scope: Scope) -> tuple[Binder, ...]:
    """The `variable` binders in force at `scope`, in declaration order.

    `omit` removes binders (by name, or by type for anonymous instance binders); a later
    `variable (x)` / `{x}` without a type changes the binder kind of an existing `x`
    (Lean's binder update).  `include` does not change the set of binders.
    """
    current: list[Binder] = []
    for kind, text in scope.commands:
        if kind == "variable":
            for b in command_binders(text):
                if b.type is None:
                    for k, old in enumerate(current):
                        if old.name == b.name:
                            current[k] = Binder(old.name, b.kind, old.type)
                            break
                    else:
                        current.append(b)
                else:
                    current.append(b)
        elif kind == "omit":
            for b in command_binders(text):
                if b.name:
                    current = [c for c in current if c.name != b.name]
                elif b.type is not None:
                    current = [c for c in current if not (c.kind == "inst" and
                                                           c.type == b.type)]
    return tuple(current)
