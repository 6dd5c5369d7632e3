"""Name resolution: identifiers in statements -> full declaration names, as Lean would.

Why: a rule from `theorem Nat.succ_le ...` written inside `namespace Nat` says `succ n`, a
candidate elsewhere says `Nat.succ n`, a third one says `succ n` after `open Nat`.  Matching
compares *resolved* terms so all three meet.  Resolution follows Lean 4's
`resolveGlobalName`, restricted to what source text tells us:

- `_root_.x` is exactly `x`;
- otherwise the innermost namespace prefix in force that has it (`A.B.x`, else `A.x`) gives
  the only reading; else a dotted name that exists as written is itself; else the root
  (`x`) and each `open`ed namespace (`N.x`, also `open N (x)` / `hiding` / `renaming`)
  are all readings: when several exist the name is *ambiguous* (Lean elaborates each and
  keeps the one that fits, an overload) and we take the first in that order;
- `protected` declarations are not reachable by their last component alone
  (`namespace Nat` + `sub_le` does not reach a protected `Nat.sub_le`);
- a dotted name whose full form is unknown may be a constant followed by projections
  (`Nat.le_of_lt_succ.mp`, `h.le`): the longest resolvable prefix is resolved and the rest
  kept as written.  A name whose first component is a local (binder or bound variable)
  is left alone.

Names that resolve to nothing are *unresolved* and kept verbatim (Lean core and Batteries
names are unknown unless given with `IndexOptions.external_names`): matching then still
works between spellings that agree.  Both kinds are counted by `Resolver.counts`.

Choice for the stored ASTs (see docs/index.md): a resolved term is the same tree
with each constant `Ident` renamed to its full name, so paths are identical between a
candidate's written term and its resolved term.  Rules store resolved patterns and
replacements (a full name prints correctly from any namespace); invocations point into the
candidate's *written* term and carry the candidate's *written* sub-terms, so what the
mutation engine prints is the candidate's own text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Container, Iterable, Mapping, Sequence

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, Scope
from lean_alchemy.grammar.ast import (
    BinderGroup, Ident, IfThenElse, Let, Quant, SetBuilder, Subtype, Term, bound_in_child,
)
from lean_alchemy.grammar.walk import rebuild, without_levels
from lean_alchemy.index.visibility import Place, Visibility

_BINDING = (Quant, SetBuilder, Subtype, Let, IfThenElse)

ROOT = "_root_."
# Notations that the grammar reads as identifiers but that are not declarations to resolve.
BUILTIN = frozenset({"ℕ", "ℤ", "ℚ", "ℝ", "ℂ", "ℕ+", "ℝ≥0", "ℝ≥0∞", "ℚ≥0", "Prop", "Type",
                     "Sort", "π", "∅", "⊤", "⊥", "°"})


@dataclass(frozen=True, slots=True)
class OpenDecl:
    """One `open` in force: all of `namespace` (minus `hiding`), or only `only` names."""

    namespace: str
    only: tuple[str, ...] | None = None  # `open N (a b)` -> ("a", "b")
    hiding: tuple[str, ...] = ()
    renaming: tuple[tuple[str, str], ...] = ()  # (new short name, full old name)


_OPEN_KEYWORDS = {"scoped", "hiding", "renaming", "in"}


def parse_open(text: str) -> tuple[OpenDecl, ...]:
    """The namespaces an `open` command makes available for *names*.

    `open scoped N` only activates notation and instances, so it contributes nothing here.
    """
    body = text.strip()
    if body.startswith("open"):
        body = body[4:]
    body = body.strip()
    if body.endswith(" in"):
        body = body[:-3].strip()
    if not body or body.startswith("scoped"):
        return ()
    m = re.match(r"^([^\s(]+)\s*\(([^)]*)\)\s*$", body)
    if m:
        return (OpenDecl(m.group(1), only=tuple(m.group(2).split())),)
    m = re.match(r"^([^\s(]+)\s+hiding\s+(.*)$", body)
    if m:
        return (OpenDecl(m.group(1), hiding=tuple(m.group(2).split())),)
    m = re.match(r"^([^\s(]+)\s+renaming\s+(.*)$", body)
    if m:
        pairs = []
        for part in m.group(2).split(","):
            a, _, b = part.partition("→")
            if not b:
                a, _, b = part.partition("->")
            if a.strip() and b.strip():
                pairs.append((b.strip(), f"{m.group(1)}.{a.strip()}"))
        return (OpenDecl(m.group(1), only=(), renaming=tuple(pairs)),)
    return tuple(OpenDecl(w) for w in body.split() if w not in _OPEN_KEYWORDS)


@dataclass(frozen=True)
class ScopeView:
    """The parts of a `Scope` that resolution needs, precomputed once per scope.

    Hashed on every name lookup, so the hash is computed once (`__hash__` below)."""

    namespaces: tuple[str, ...]  # prefixes, innermost first: ("A.B", "A")
    opens: tuple[OpenDecl, ...]

    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.namespaces, self.opens))
            object.__setattr__(self, "_hash", h)
        return h

    @classmethod
    def of(cls, scope: Scope | None, namespace_hint: str = "",
           known: Container[str] | None = None) -> "ScopeView":
        """`known`: the library's namespaces (`namespaces_of`), to read each `open` as Lean
        does (`relative_opens`); None keeps every `open` as written."""
        opened: list[tuple[OpenDecl, tuple[str, ...]]] = []  # each with its prefixes
        if scope is None:
            comps = tuple(namespace_hint.split(".")) if namespace_hint else ()
        else:
            comps = tuple(c for ns in scope.namespaces for c in ns.split(".") if c)
            now: list[str] = []  # the namespaces open where each command stands
            for kind, text in scope.commands:
                if kind == "namespace":
                    now.extend(c for c in text.split(None, 1)[-1].split(".") if c)
                elif kind == "open":
                    opened.extend((o, _prefixes(now)) for o in parse_open(text))
        if known is not None and opened:
            opens = relative_opens(opened, known)
        else:
            opens = tuple(o for o, _ in opened)
        return cls(_prefixes(comps), opens)

    def inside(self, decl_name: str) -> "ScopeView":
        """The view inside declaration `decl_name`: Lean elaborates `theorem A.B.foo` as if
        within `namespace A.B`, so the prefixes of its full name come first (`A.B`,
        `A`), then the scope's own."""
        comps = decl_name.split(".")[:-1]
        own = _prefixes(comps)
        if not own or own[:len(self.namespaces)] == self.namespaces and \
                len(own) == len(self.namespaces):
            return self
        rest = tuple(n for n in self.namespaces if n not in own)
        return ScopeView(own + rest, self.opens)


def _prefixes(comps: Iterable[str]) -> tuple[str, ...]:
    """`A.B`, `A` for the namespaces `A`, `B` (innermost first)."""
    comps = tuple(comps)
    return tuple(".".join(comps[:i]) for i in range(len(comps), 0, -1))


def relative_opens(opens: Iterable[tuple[OpenDecl, tuple[str, ...]]],
                   known: Container[str]) -> tuple[OpenDecl, ...]:
    """`opens` with each namespace read as Lean's `open` reads it (`resolveNamespace`):
    `open Limits` after `open CategoryTheory`, or inside `namespace CategoryTheory`, opens
    `CategoryTheory.Limits`.  Each open comes with the namespace prefixes in force where
    it stands (innermost first): `open Set` above `namespace Homeomorph` opens `Set`, even
    where the library also has a `Homeomorph.Set`.  Lean opens the first of `P.N` (those
    prefixes `P`, then the root) that exists, and `Q.N` for every earlier plain `open Q`
    where that exists.  Why: Mathlib's category theory writes `open Limits` thousands of
    times; read as the root namespace `Limits`, which does not exist, every `IsZero` of
    those files stayed unresolved and met no rule's `CategoryTheory.Limits.IsZero`.
    Unless a prefix gives it, the name as written stays, first: a namespace `known` lacks
    may come from outside the library."""
    out: list[OpenDecl] = []
    plain: list[str] = []  # namespaces opened so far by a plain `open`, latest last
    for o, prefixes in opens:
        targets = [o.namespace]
        if not o.renaming and not o.namespace.startswith(ROOT):
            n = o.namespace
            at_scope = next((f"{p}.{n}" for p in prefixes if f"{p}.{n}" in known), None)
            if at_scope is not None:
                targets = [at_scope]  # found before the root, which Lean then skips
            targets.extend(f"{q}.{n}" for q in reversed(plain) if f"{q}.{n}" in known)
        seen: set[str] = set()
        for t in targets:
            if t in seen:
                continue
            seen.add(t)
            out.append(o if t == o.namespace else replace(o, namespace=t))
            if o.only is None and not o.hiding and not o.renaming:
                plain.append(t)
    return tuple(out)


def namespaces_of(names: Iterable[str]) -> frozenset[str]:
    """Every namespace that declaration names imply (`A` and `A.B` of `A.B.c`)."""
    out: set[str] = set()
    for n in names:
        i = n.find(".")
        while i > 0:
            out.add(n[:i])
            i = n.find(".", i + 1)
    return frozenset(out)


@dataclass
class NameTable:
    """The set of known declaration names and which of them are `protected`."""

    names: set[str] = field(default_factory=set)
    protected: set[str] = field(default_factory=set)
    # where each name is declared and what each module imports; None: all names visible
    visibility: Visibility | None = None

    @classmethod
    def from_declarations(cls, decls: Iterable[Declaration],
                          external: Iterable[str] = (),
                          imports: Mapping[str, Sequence[str]] | None = None) -> "NameTable":
        """`imports` (module -> its imports, `visibility.module_imports`): resolve a
        statement's names among the declarations it can see, as Lean does."""
        t = cls()
        decls = list(decls)
        for d in decls:
            t.names.add(d.full_name)
            if "protected" in d.modifiers:
                t.protected.add(d.full_name)
        if imports:
            t.visibility = Visibility.build(imports, decls)
        for n in external:
            n = n.strip()
            if n and not n.startswith("#"):
                t.names.add(n)
        return t

    def __contains__(self, name: str) -> bool:
        return name in self.names

    @property
    def namespaces(self) -> frozenset[str]:
        """`namespaces_of` the names, computed once (the table is complete by then)."""
        got = self.__dict__.get("_namespaces")
        if got is None:
            got = self.__dict__["_namespaces"] = namespaces_of(self.names)
        return got


# a dotted identifier as statements write it (`List.Nodup`, `Sum.inl`, `Function.support`)
_DOTTED = re.compile(r"(?<![\w.'₀-₉])([^\W\d][\w'₀-₉]*(?:\.[^\W\d][\w'!?₀-₉]*)+)")
MIN_WRITTEN_USES = 2  # declarations that must write a name in full before it counts


def written_external_names(rows: Iterable[tuple[str, Iterable[str], str]]) -> list[str]:
    """Full names the library writes in its statements but never declares: Lean core and
    Batteries names (`List.Nodup`, `Sum.inl`, `Function.Injective`) and names other
    commands generate (`Function.support` from `to_additive`).

    Why: a rule stated inside `namespace List` writes `Nodup l`; unless `List.Nodup` is a
    known name it stays unresolved, is printed bare into a mutant stated elsewhere, and
    Lean rejects the mutant (unknown identifier).  Lean accepted each of these spellings
    where it was written, so each is a real constant.

    `rows`: (full name, binder names, statement text) of every declaration.  A spelling
    counts when at least `MIN_WRITTEN_USES` declarations write it, its first component is
    none of their binders (`M.IsCocircuit` on a variable `M`) and is a namespace of the
    library, and it is neither declared, nor the tail of a declared name (`Measure.pi`
    for `MeasureTheory.Measure.pi`, written under `open MeasureTheory`), nor a projection
    of a declared or counted name or of such a tail (`Fin.ext_iff.not`,
    `Embedding.inl.trans`)."""
    rows = list(rows)
    declared = {name for name, _, _ in rows}
    spaces: set[str] = set()
    tails: set[str] = set()
    for name in declared:
        parts = name.split(".")
        spaces.update(".".join(parts[:k]) for k in range(1, len(parts)))
        tails.update(".".join(parts[k:]) for k in range(1, len(parts) - 1))
    uses: Counter[str] = Counter()
    for _, binder_names, text in rows:
        local = set(binder_names)
        for written in set(_DOTTED.findall(text)):
            first = written.split(".", 1)[0]
            if first in spaces and first not in local and written not in declared \
                    and written not in tails:
                uses[written] += 1
    counted = {n for n, k in uses.items() if k >= MIN_WRITTEN_USES}

    def projection(n: str) -> bool:
        parts = n.split(".")
        return any(p in declared or p in counted or p in tails
                   for p in (".".join(parts[:k]) for k in range(2, len(parts))))

    return sorted(n for n in counted if not projection(n))


def read_external_names(path: str | Path | None) -> list[str]:
    """One full name a line (`#` comments allowed): names from outside the project."""
    if not path:
        return []
    p = Path(path)
    if not p.is_file():
        raise AlchemyError(f"external names file {p} does not exist (one full name a line)")
    return [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def possible_names(view: ScopeView, name: str) -> frozenset[str]:
    """Every full name `name` could denote in `view` if the declaration existed: what an
    *unresolved* name (from outside the project) may still be equal to."""
    if name.startswith(ROOT):
        return frozenset((name[len(ROOT):],))
    out = {name}
    out.update(f"{ns}.{name}" for ns in view.namespaces)
    for o in view.opens:
        out.update(old for new, old in o.renaming if new == name)
        if (o.only is None or name in o.only) and name not in o.hiding:
            out.add(f"{o.namespace}.{name}")
    return frozenset(out)


class Resolver:
    """Resolves identifiers against a `NameTable`; caches per (scope view, name).

    `counts` collects `resolved` / `unresolved` / `ambiguous` occurrences, and
    `unresolved_names` / `ambiguous_names` the distinct names, for the stage's stats.
    """

    def __init__(self, table: NameTable) -> None:
        self.table = table
        self.counts: Counter[str] = Counter()
        self.unresolved_names: Counter[str] = Counter()
        self.ambiguous_names: Counter[str] = Counter()
        # view -> name -> (resolved text, status, the readings it was chosen among)
        self._cache: dict[ScopeView, dict[str, tuple[str, str, tuple[str, ...]]]] = {}

    # ------------------------------------------------------------------ one name
    def candidates(self, view: ScopeView, name: str, at: Place | None = None) -> list[str]:
        """Every full name `name` may denote (no projections), as Lean's
        `resolveGlobalName` finds them: the innermost namespace prefix that has it gives
        the only one; else a dotted name that exists as written is itself; else the root
        name and every `open`'s, among which Lean picks by elaborating each (overloads).
        `at`: the place of the statement; only the declarations it can see count."""
        if name.startswith(ROOT):
            n = name[len(ROOT):]
            return [n] if self._known(n, at) else []
        atomic = "." not in name
        protected = self.table.protected
        for ns in view.namespaces:
            full = f"{ns}.{name}"
            if self._known(full, at) and not (atomic and full in protected):
                return [full]
        if not atomic and self._known(name, at):
            return [name]
        out: list[str] = []
        if self._known(name, at):
            out.append(name)
        for o in view.opens:
            for new, old in o.renaming:
                if new == name and self._known(old, at):
                    out.append(old)
            if o.only is not None and name not in o.only:
                continue
            if name in o.hiding:
                continue
            full = f"{o.namespace}.{name}"
            if self._known(full, at) and not (atomic and full in protected):
                out.append(full)
        seen: set[str] = set()
        return [x for x in out if not (x in seen or seen.add(x))]

    def _known(self, name: str, at: Place | None) -> bool:
        if name not in self.table.names:
            return False
        vis = self.table.visibility
        return at is None or vis is None or vis.visible(name, at)

    def place_of(self, own: str) -> Place | None:
        """Where declaration `own` is stated (None: unknown, or the table has no places)."""
        vis = self.table.visibility
        return None if vis is None or not own else vis.place(own)

    def _seen_from(self, got: tuple[str, str, tuple[str, ...]], at: Place | None) -> bool:
        """Whether the readings of a cached resolution are all visible from `at`: then
        the resolution at `at` is the same (hiding only removes readings)."""
        vis = self.table.visibility
        return at is None or vis is None or all(vis.visible(c, at) for c in got[2])

    def possible(self, view: ScopeView, name: str) -> frozenset[str]:
        """`possible_names` (a method too, for callers that hold a resolver)."""
        return possible_names(view, name)

    def resolve_name(self, view: ScopeView, name: str, own: str = "") -> tuple[str, str]:
        """(resolved text, status) with status resolved / ambiguous / unresolved; `own`:
        the declaration whose text names it (only what is visible there counts)."""
        cache = self._cache.get(view)
        if cache is None:
            cache = self._cache[view] = {}
        got = cache.get(name)
        if got is None:
            got = cache[name] = self._resolve_uncached(view, name)
        at = self.place_of(own)
        if not self._seen_from(got, at):
            got = self._resolve_uncached(view, name, own, at)
        return got[0], got[1]

    def _resolve_uncached(self, view: ScopeView, name: str, own: str = "",
                          at: Place | None = None) -> tuple[str, str, tuple[str, ...]]:
        """(resolved text, status, the readings it was chosen among)."""
        parts = name.split(".")
        # longest prefix that denotes a constant; the rest are projections (`foo.mp`)
        for k in range(len(parts), 0, -1):
            head = ".".join(parts[:k])
            if head == "_root_":
                break
            c = [x for x in self.candidates(view, head, at) if x != own]
            if c:
                full = ".".join([c[0]] + parts[k:])
                return full, ("ambiguous" if len(c) > 1 else "resolved"), tuple(c)
        if name.startswith(ROOT):
            return name[len(ROOT):], "unresolved", ()
        return name, "unresolved", ()

    # ------------------------------------------------------------------ terms
    def resolve_term(self, t: Term, view: ScopeView, locals_: frozenset[str] = frozenset(),
                     count: bool = True, own: str = "") -> Term:
        """`t` with every constant identifier renamed to its full name (same tree shape).

        `locals_` are names bound outside `t` (binders of the declaration, section
        variables); names bound inside `t` (quantifiers, `fun`, set-builder...) are tracked
        on the way down.  Unchanged sub-trees are shared, not copied.  `own` is the
        declaration whose statement `t` is: Lean elaborates the statement before the
        declaration exists, so `sSup` in `theorem Ideal.IsHomogeneous.sSup` is the root
        `sSup`, never the theorem itself.
        """
        cache = self._cache.get(view)
        if cache is None:
            cache = self._cache[view] = {}
        return self._resolve_under(t, view, cache, locals_, frozenset(), count, own,
                                   self.place_of(own))

    def _resolve_under(self, t: Term, view: ScopeView, cache: dict, locals_: frozenset[str],
                       bound: frozenset[str], count: bool, own: str = "",
                       at: Place | None = None) -> Term:
        """`t` resolved under the names `bound` by enclosing binders of the term."""
        if isinstance(t, Ident):
            name = t.name
            head = name.split(".", 1)[0]
            if head in locals_ or head in bound or name in BUILTIN:
                return t
            if ".{" in name:  # `Small.{u}`: the constant (`walk.without_levels`)
                name = without_levels(name)
                if name in BUILTIN:
                    return Ident(name)
            got = cache.get(name)
            if got is None:
                got = cache[name] = self._resolve_uncached(view, name)
            if own and got[0].startswith(own) and (len(got[0]) == len(own)
                                                   or got[0][len(own)] == ".") \
                    or not self._seen_from(got, at):
                # the declaration itself, or a reading declared where it cannot be seen:
                # rare, not cached
                got = self._resolve_uncached(view, name, own, at)
            full, status = got[0], got[1]
            if count:
                self.counts[status] += 1
                if status == "unresolved":
                    self.unresolved_names[name] += 1
                elif status == "ambiguous":
                    self.ambiguous_names[name] += 1
            return Ident(full) if full != t.name else t
        binding = isinstance(t, _BINDING)

        def child(fname: str, k: int, x: Term) -> Term:
            extra = bound_in_child(t, fname, k) if binding else ()
            return self._resolve_under(x, view, cache, locals_,
                                       bound | frozenset(extra) if extra else bound, count,
                                       own, at)

        return rebuild(t, child)


def binder_locals(groups: Iterable[BinderGroup]) -> frozenset[str]:
    return frozenset(n for g in groups for n in g.names if n and n != "_")


__all__ = ["OpenDecl", "parse_open", "relative_opens", "namespaces_of", "ScopeView",
           "NameTable", "Resolver",
           "read_external_names", "written_external_names", "binder_locals"]
