"""`ExtractStats` and `LeanDojoStats`: the counters of an extraction, written to
`RUN/extract.stats.json` (and `RUN/leandojo.stats.json` for LeanDojo data).

Why typed records: the counters are kept file by file as the parent streams results to
Parquet, and `alchemy run`'s summary, the benchmarks and tests read them back by name;
one record names each counter once.  `as_dict` gives the file's content.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lean_alchemy.core.records import Declaration, ExtractFailure, Scope

THEOREM_KINDS = ("theorem", "lemma")
# reasons that mean a whole file could not be read (besides a failure on line 0)
FILE_FAILURES = ("unreadable", "undecodable")


@dataclass
class ExtractStats:
    """Counters of a source extraction (or of part of one: `merge` adds them up)."""

    files: int = 0
    theorems: int = 0
    declarations_by_kind: Counter = field(default_factory=Counter)
    parse_status: Counter = field(default_factory=Counter)  # of theorems and lemmas
    failures_by_reason: Counter = field(default_factory=Counter)
    scope_ids: set[str] = field(default_factory=set)
    failed_files: set[str] = field(default_factory=set)
    notations: int = 0  # notation-declaring commands recorded (`RUN/notations.parquet`)
    # run-level: where the sources came from, how they were read
    source: str = ""
    root: str = ""
    libraries: tuple[str, ...] = ()
    parse: bool = True
    jobs: int = 0
    seconds: float = 0.0

    def count_declarations(self, decls: tuple[Declaration, ...] | list[Declaration]) -> None:
        for d in decls:
            self.declarations_by_kind[d.kind] += 1
            if d.kind in THEOREM_KINDS:
                self.theorems += 1
                self.parse_status[d.parse_status] += 1

    def count_failures(self, failures: tuple[ExtractFailure, ...] | list[ExtractFailure]
                       ) -> None:
        for f in failures:
            self.failures_by_reason[f.reason] += 1
            if f.line == 0 or f.reason in FILE_FAILURES:
                self.failed_files.add(f.file)

    def new_scopes(self, scopes: tuple[Scope, ...] | list[Scope]) -> list[Scope]:
        """The scopes not counted before, now counted (each scope is written once)."""
        out = []
        for s in scopes:
            if s.id not in self.scope_ids:
                self.scope_ids.add(s.id)
                out.append(s)
        return out

    def merge(self, other: "ExtractStats") -> None:
        self.files += other.files
        self.theorems += other.theorems
        self.declarations_by_kind.update(other.declarations_by_kind)
        self.parse_status.update(other.parse_status)
        self.failures_by_reason.update(other.failures_by_reason)
        self.scope_ids |= other.scope_ids
        self.failed_files |= other.failed_files

    def as_dict(self) -> dict:
        """The content of `RUN/extract.stats.json` for a source extraction."""
        return {
            "source": self.source,
            "root": self.root,
            "libraries": list(self.libraries),
            "files": self.files,
            "files_failed": len(self.failed_files),
            "declarations": sum(self.declarations_by_kind.values()),
            "declarations_by_kind": dict(sorted(self.declarations_by_kind.items())),
            "theorems": self.theorems,
            "scopes": len(self.scope_ids),
            "notations": self.notations,
            "failures": sum(self.failures_by_reason.values()),
            "failures_by_reason": dict(sorted(self.failures_by_reason.items())),
            "parse_status": dict(sorted(self.parse_status.items())),
            "parse": self.parse,
            "jobs": self.jobs,
            "seconds": self.seconds,
        }


@dataclass
class LeanDojoStats(ExtractStats):
    """An extraction from LeanDojo data: the common counters (`theorems` counts the
    LeanDojo records read as theorems), what the LeanDojo files held, and the agreement
    report with a source tree when one was given."""

    leandojo_path: str = ""
    source_tree: str | None = None
    records: int = 0
    duplicates_skipped: int = 0
    statements_from_state: int = 0
    statements_from_source: int = 0
    premise_edges: int = 0
    corpus_files: int = 0
    corpus_premises: int = 0
    format_errors: list[str] = field(default_factory=list)
    agreement: dict | None = None

    def merge(self, other: "ExtractStats") -> None:
        super().merge(other)
        if isinstance(other, LeanDojoStats):
            self.records += other.records
            self.duplicates_skipped += other.duplicates_skipped
            self.statements_from_state += other.statements_from_state
            self.statements_from_source += other.statements_from_source
            self.premise_edges += other.premise_edges
            self.corpus_files += other.corpus_files
            self.corpus_premises += other.corpus_premises
            self.format_errors += other.format_errors

    def as_dict(self) -> dict:
        """The content of `RUN/extract.stats.json` (`leandojo.stats.json` adds
        `agreement`)."""
        return {
            "source": "leandojo", "leandojo_path": self.leandojo_path,
            "source_tree": self.source_tree,
            "files": self.files,
            "records": self.records, "duplicates_skipped": self.duplicates_skipped,
            "declarations": sum(self.declarations_by_kind.values()),
            "declarations_by_kind": dict(sorted(self.declarations_by_kind.items())),
            "theorems": self.theorems,
            "statements_from_state": self.statements_from_state,
            "statements_from_source": self.statements_from_source,
            "scopes": len(self.scope_ids),
            "premise_edges": self.premise_edges,
            "corpus_files": self.corpus_files,
            "corpus_premises": self.corpus_premises,
            "failures": sum(self.failures_by_reason.values()),
            "failures_by_reason": dict(sorted(self.failures_by_reason.items())),
            "format_errors": list(self.format_errors),
            "parse_status": dict(sorted(self.parse_status.items())), "parse": self.parse,
            "seconds": self.seconds,
        }


__all__ = ["ExtractStats", "LeanDojoStats"]
