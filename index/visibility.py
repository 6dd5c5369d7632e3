"""Which declarations a statement can see: Lean elaborates a declaration against the
modules its file imports (transitively) and the declarations above it in its own file.

Why: name resolution against the whole library reads `image` in `Homeomorph.image_symm`
(`Topology/Homeomorph/Defs.lean`, inside `namespace Homeomorph`) as `Homeomorph.image`,
which `Topology/Homeomorph/Lemmas.lean` declares later and Defs does not import; Lean
read `Set.image`.  The rule then carried the wrong constant and met no candidate.

`Visibility` holds, for each module, the set of modules it imports transitively (a bit
set over module numbers: 8,302 Mathlib modules make 1 KB a set) and, for each name
declared exactly once, where: (module number, first line).  A name declared twice
(private declarations of two files) or not by the library (Lean core, a dependency) has
no place and is always visible.  A library module whose imports are unknown (a run
extracted before every file got a scope record) leaves the closures that reach it
incomplete, and a statement in such a module sees every other module: only a certain
"not imported" hides a name.  Modules of other roots than the library's (`Batteries`,
`Lean`) import none of the library's, so not knowing theirs loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from lean_alchemy.core.records import Declaration

Place = tuple[int, int]  # (module number, first line of the declaration)


@dataclass
class Visibility:
    """Import closures of modules and places of declarations (see module doc)."""

    modules: dict[str, int] = field(default_factory=dict)
    closures: list[int] = field(default_factory=list)  # module number -> bit set of imports
    complete: list[bool] = field(default_factory=list)  # module number -> closure known
    places: dict[str, Place] = field(default_factory=dict)

    @classmethod
    def build(cls, imports: Mapping[str, Sequence[str]],
              decls: Iterable[Declaration]) -> "Visibility":
        """`imports`: module -> the modules its file imports (as written).  Modules
        outside `imports` (Lean core, Batteries) get numbers but import nothing known."""
        v = cls()
        for m in imports:
            v._number(m)
        for deps in imports.values():
            for d in deps:
                v._number(d)
        roots = {m.split(".", 1)[0] for m in imports}
        v.closures = [0] * len(v.modules)
        v.complete = [m in imports or m.split(".", 1)[0] not in roots for m in v.modules]
        done = [False] * len(v.modules)
        names = list(v.modules)  # module number -> name
        for m in imports:
            v._close(v.modules[m], imports, names, done)
        seen: dict[str, Place | None] = {}
        for d in decls:
            place = (v._number(d.module), d.start_line)
            seen[d.full_name] = None if d.full_name in seen else place
        v.places = {n: p for n, p in seen.items() if p is not None}
        extra = len(v.modules) - len(v.closures)  # modules only declarations name
        v.closures.extend([0] * extra)
        v.complete.extend([False] * extra)
        return v

    def _number(self, module: str) -> int:
        got = self.modules.get(module)
        if got is None:
            got = self.modules[module] = len(self.modules)
        return got

    def _close(self, start: int, imports: Mapping[str, Sequence[str]], names: list[str],
               done: list[bool]) -> None:
        """The closure of module `start` and of everything it imports, iteratively (the
        import graph is deep: a recursive walk would overflow Python's stack)."""
        stack: list[tuple[int, bool]] = [(start, False)]
        entered: set[int] = set()  # on the walk's path or waiting: an import cycle stops
        while stack:
            i, expanded = stack.pop()
            if done[i]:
                continue
            deps = [self.modules[d] for d in imports.get(names[i], ()) if d != names[i]]
            if not expanded:
                if i in entered:
                    continue  # a cycle (bad input): the module is closed where it began
                entered.add(i)
                stack.append((i, True))
                stack.extend((j, False) for j in deps if not done[j] and j not in entered)
                continue
            bits = 0
            for j in deps:
                bits |= self.closures[j] | (1 << j)
                self.complete[i] = self.complete[i] and self.complete[j]
            self.closures[i] = bits
            done[i] = True

    def place(self, name: str) -> Place | None:
        return self.places.get(name)

    def visible(self, name: str, at: Place) -> bool:
        """Whether a statement at `at` can see `name`: declared above it in its module, or
        in a module its module imports; names without a place always are."""
        p = self.places.get(name)
        if p is None:
            return True
        if p[0] == at[0]:
            return p[1] < at[1]
        return not self.complete[at[0]] or bool((self.closures[at[0]] >> p[0]) & 1)


def module_imports(scopes: Iterable[object]) -> dict[str, tuple[str, ...]]:
    """module -> its imports, from the extraction's scopes (`core.records.Scope`); every
    scope of a file carries the file's imports."""
    out: dict[str, tuple[str, ...]] = {}
    for s in scopes:
        out.setdefault(getattr(s, "module"), tuple(getattr(s, "imports")))
    return out


__all__ = ["Place", "Visibility", "module_imports"]
