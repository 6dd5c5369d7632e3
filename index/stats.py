"""`IndexStats`: the counters of one index run, written to `RUN/index.stats.json`.

Why a typed record and not a dict built at the end: workers count their chunk of
theorems into an `IndexStats` of their own, and the parent adds them up with `merge`, so
every counter has one name and one type from the worker to the file.  `as_dict` gives the
file's content (key names and values are read by `alchemy run`'s summary, the benchmarks
and tests).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lean_alchemy.index.match.rule_index import MatchStats
from lean_alchemy.index.options import IndexOptions


@dataclass
class IndexStats:
    """Counters of a chunk of theorems (from a worker) or of the whole run (the parent's).

    `merge` adds every count; the run-level fields (`jobs`, `options`, timings, peak
    memory) are the parent's own and `merge` leaves them alone."""

    rules: int = 0  # kept rules (one per rule id)
    rules_by_kind: Counter = field(default_factory=Counter)
    rules_indexed: int = 0  # rules the options match (`rewrite`/`apply`)
    rules_undotted: int = 0  # of `rules`, field-notation variants (`dot_notation.undotted_rules`)
    dropped: Counter = field(default_factory=Counter)  # rules not derived, by reason
    theorems: int = 0
    candidates: int = 0
    candidates_with_invocations: int = 0
    unparsed: int = 0  # theorems whose statement did not parse
    misread_candidates: int = 0  # candidates skipped: statement printed with other tokens
    invocations_by_kind: Counter = field(default_factory=Counter)
    matches: MatchStats = field(default_factory=MatchStats)
    edges_by_kind: Counter = field(default_factory=Counter)
    nodes: int = 0
    name_occurrences: Counter = field(default_factory=Counter)  # resolved/unresolved/ambiguous
    unresolved_names: Counter = field(default_factory=Counter)  # name -> occurrences
    ambiguous_names: Counter = field(default_factory=Counter)
    external_names: int = 0
    jobs: int = 0
    options: IndexOptions = field(default_factory=IndexOptions)
    seconds_rules: float = 0.0
    seconds_match: float = 0.0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    # dependency runs (`IndexOptions.rules_from`): library -> rules compiled / left out
    # (constants the project never writes), and invocations by the library of their rule
    # ("" = the project's own)
    dependency_rules: Counter = field(default_factory=Counter)
    dependency_rules_skipped: Counter = field(default_factory=Counter)
    invocations_by_library: Counter = field(default_factory=Counter)
    seconds_dependencies: float = 0.0

    def merge(self, other: "IndexStats") -> None:
        self.rules += other.rules
        self.rules_by_kind.update(other.rules_by_kind)
        self.rules_indexed += other.rules_indexed
        self.dropped.update(other.dropped)
        self.theorems += other.theorems
        self.candidates += other.candidates
        self.candidates_with_invocations += other.candidates_with_invocations
        self.unparsed += other.unparsed
        self.misread_candidates += other.misread_candidates
        self.invocations_by_kind.update(other.invocations_by_kind)
        self.matches.merge(other.matches)
        self.edges_by_kind.update(other.edges_by_kind)
        self.nodes += other.nodes
        self.name_occurrences.update(other.name_occurrences)
        self.unresolved_names.update(other.unresolved_names)
        self.ambiguous_names.update(other.ambiguous_names)
        self.external_names += other.external_names
        self.invocations_by_library.update(other.invocations_by_library)

    @property
    def invocations(self) -> int:
        return sum(self.invocations_by_kind.values())

    @property
    def edges(self) -> int:
        return sum(self.edges_by_kind.values())

    def as_dict(self) -> dict:
        """The content of `RUN/index.stats.json`."""
        m, opts = self.matches, self.options
        return {
            "rules": self.rules,
            "rules_by_kind": dict(sorted(self.rules_by_kind.items())),
            "rules_indexed": self.rules_indexed,
            "rules_undotted": self.rules_undotted,
            "dropped": dict(sorted(self.dropped.items())),
            "theorems": self.theorems,
            "candidates": self.candidates,
            "candidates_with_invocations": self.candidates_with_invocations,
            "unparsed": self.unparsed,
            "misread_candidates": self.misread_candidates,
            "invocations": self.invocations,
            "invocations_by_kind": dict(sorted(self.invocations_by_kind.items())),
            "pairs_retrieved": dict(sorted(m.retrieved.items())),
            "pairs_tried": dict(sorted(m.tried.items())),
            "matches_found": dict(sorted(m.found.items())),
            # what an uncapped run would find: retrieved x the success rate of what was tried
            "matches_estimated": {k: round(m.retrieved[k] * m.found[k] / n)
                                  for k, n in sorted(m.tried.items()) if n},
            "matches_filtered": dict(sorted(m.filtered.items())),
            "capped": m.capped,
            "edges_by_kind": dict(sorted(self.edges_by_kind.items())),
            "edges": self.edges,
            "nodes": self.nodes,
            "names_unresolved": len(self.unresolved_names),
            "names_ambiguous": len(self.ambiguous_names),
            "name_occurrences": {k: self.name_occurrences.get(k, 0)
                                 for k in ("resolved", "unresolved", "ambiguous")},
            "top_unresolved": dict(self.unresolved_names.most_common(20)),
            "top_ambiguous": dict(self.ambiguous_names.most_common(20)),
            "external_names": self.external_names,
            "jobs": self.jobs,
            "options": {"external_names": opts.external_names,
                        "max_matches_per_theorem": opts.max_matches_per_theorem,
                        "rewrite": opts.rewrite, "apply": opts.apply,
                        "proof_uses": opts.proof_uses,
                        "generic_evidence": opts.generic_evidence},
            "seconds_rules": self.seconds_rules,
            "seconds_match": self.seconds_match,
            "seconds": self.seconds,
            "peak_rss_mb": self.peak_rss_mb,
            **({"rules_from": list(opts.rules_from),
                "max_dependency_matches_per_theorem": opts.max_dependency_matches_per_theorem,
                "dependency_rules": dict(sorted(self.dependency_rules.items())),
                "dependency_rules_skipped": dict(sorted(self.dependency_rules_skipped.items())),
                "invocations_by_library": {
                    "(own)": self.invocations - sum(
                        v for k, v in self.invocations_by_library.items() if k),
                    **{k: v for k, v in sorted(self.invocations_by_library.items()) if k}},
                "seconds_dependencies": self.seconds_dependencies}
               if opts.rules_from else {}),
        }


__all__ = ["IndexStats"]
