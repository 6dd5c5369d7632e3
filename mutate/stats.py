"""`MutateStats`: the counters of one mutation run, written to `RUN/mutate.stats.json`.

Why a typed record: the same counters are kept by a `Mutator` for the theorems it
mutated, handed back by each worker as a delta (`Mutator.take_stats`), added up by the
parent (`merge`) and corrected by the parent's global filters (`unstore`); one record
carries them from the worker to the file.  `as_dict` gives the file's content (key names
and values are read by `alchemy run`'s summary, the benchmarks and tests).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lean_alchemy.mutate.options import MutateOptions

COUNTERS = ("mutants", "status", "by_depth", "dropped", "refute", "names")


@dataclass
class MutateStats:
    """Counters of some theorems (a worker's delta) or of the whole run (the parent's).

    `merge` adds every count; the run-level fields (`library_fingerprints`,
    `stored_section_binders`, `new_rows`, `jobs`, `options`, timings, peak memory) are the
    parent's own and `merge` leaves them alone."""

    mutants: Counter = field(default_factory=Counter)  # by kind (every stored row)
    status: Counter = field(default_factory=Counter)
    by_depth: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    refute: Counter = field(default_factory=Counter)  # refuter verdicts
    # the name check (`name_scope`): mutants repaired, and `unresolved_name` drops by cause
    names: Counter = field(default_factory=Counter)
    invocations: int = 0
    candidates: int = 0
    library_fingerprints: int = 0
    stored_section_binders: int = 0  # scopes whose binders were read from the index's file
    new_rows: int = 0  # rows the database did not have yet
    jobs: int = 0
    options: MutateOptions = field(default_factory=MutateOptions)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    def merge(self, other: "MutateStats") -> None:
        for name in COUNTERS:
            getattr(self, name).update(getattr(other, name))
        self.invocations += other.invocations
        self.candidates += other.candidates

    def counters(self) -> dict:
        """The counts alone as plain JSON data (pairs keep `by_depth`'s int keys), sorted so
        equal counts give equal text: what a resumed run starts from (`mutate/resume.py`)."""
        out: dict = {name: sorted(([k, v] for k, v in getattr(self, name).items()),
                                  key=lambda kv: str(kv[0]))
                     for name in COUNTERS}
        out["invocations"] = self.invocations
        out["candidates"] = self.candidates
        return out

    @classmethod
    def from_counters(cls, data: dict) -> "MutateStats":
        """The inverse of `counters`."""
        out = cls(invocations=int(data["invocations"]), candidates=int(data["candidates"]))
        for name in COUNTERS:
            getattr(out, name).update({k: v for k, v in data.get(name, ())})
        return out

    def unstore(self, kind: str, depth: int, status: str, reason: str) -> None:
        """A row counted as stored is dropped after all (parallel runs: global filters)."""
        self.mutants[kind] -= 1
        self.status[status] -= 1
        self.by_depth[depth] -= 1
        self.dropped[reason] += 1

    @property
    def mutants_total(self) -> int:
        return sum(self.mutants.values())

    def as_dict(self) -> dict:
        """The content of `RUN/mutate.stats.json`."""
        opts = self.options
        return {
            "mutants": {k: v for k, v in sorted(self.mutants.items()) if v},
            "mutants_total": self.mutants_total,
            "status": {k: v for k, v in sorted(self.status.items()) if v},
            "refuted": self.status.get("refuted", 0),
            "vacuous": self.status.get("vacuous", 0),
            "pending": self.status.get("pending", 0),
            "dropped": {k: v for k, v in sorted(self.dropped.items()) if v},
            "by_depth": {str(k): v for k, v in sorted(self.by_depth.items()) if v},
            "refute_verdicts": dict(sorted(self.refute.items())),
            "names": {k: v for k, v in sorted(self.names.items()) if v},
            "invocations": self.invocations,
            "candidates": self.candidates,
            "library_fingerprints": self.library_fingerprints,
            "stored_section_binders": self.stored_section_binders,
            "new_rows": self.new_rows,
            "jobs": self.jobs,
            "options": {"depth": opts.depth, "proof_style": opts.proof_style,
                        "max_per_theorem": opts.max_per_theorem,
                        "max_per_rule": opts.max_per_rule, "seed": opts.seed,
                        "max_heartbeats": opts.max_heartbeats, "refute": opts.refute,
                        "samples": opts.samples, "open_statements": opts.open_statements},
            "seconds": self.seconds,
            "peak_rss_mb": self.peak_rss_mb,
        }


__all__ = ["MutateStats"]
