"""Deduplication by canonical fingerprint, across the corpus and against the library.

Why fingerprints and not strings: two mutations can reach the same statement with different
binder names or spacing, and a mutation can land exactly on a theorem the library already
has; the canonical fingerprint (the mutation engine's `Mutant.id`, `fingerprint_declaration`
for library theorems) identifies both.  Memory is one set of short strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Deduper:
    """Streaming: the first row with a fingerprint wins, later ones are reported as drops."""

    library: dict[str, str] = field(default_factory=dict)  # fingerprint -> library theorem
    across: bool = True
    seen: dict[str, str] = field(default_factory=dict)  # fingerprint -> name of the kept row

    def check(self, fid: str, name: str, kind: str) -> tuple[str, str] | None:
        """None to keep the row, else (reason, detail) for the drop report."""
        if kind != "original" and fid in self.library:
            return "duplicate/library", self.library[fid]
        if self.across:
            first = self.seen.get(fid)
            if first is not None:
                return "duplicate/corpus", first
            self.seen[fid] = name
        return None

    def admit_all(self, fids: list[str], names: list[str]) -> bool:
        """Keep every row of a chunk at once if none can be a drop, else change nothing.

        True when no fingerprint is a library theorem, repeated in the chunk or already seen
        (then all are recorded as seen, as `check` one by one would); False sends the caller
        to `check` row by row.  Set operations in C instead of a method call per row.
        """
        if self.library and not self.library.keys().isdisjoint(fids):
            return False
        if self.across:
            if len(set(fids)) != len(fids) or not self.seen.keys().isdisjoint(fids):
                return False
            self.seen.update(zip(fids, names))
        return True
