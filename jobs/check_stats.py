"""What one `alchemy check` invocation did, as a typed record (`RUN/check.stats.json`).

Why a dataclass rather than a dict: the driver fills the counters from several places
(outcomes, leases, the end of the run), and a typo in a dict key would silently start a new
counter.  `as_dict` gives the JSON object readers know (`alchemy status`, the run summary);
`merge` adds up invocations, e.g. a check that was interrupted and then resumed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields


@dataclass
class CheckStats:
    """Counters of one invocation (`checked` .. `reclaimed_leases`), its settings and
    versions, and the database after it (`database`, `remaining`)."""

    by_status: Counter = field(default_factory=Counter)
    by_error_class: Counter = field(default_factory=Counter)
    retried: int = 0  # timeout/crashed verdicts sent back for another attempt
    lost_batches: int = 0
    bisected: int = 0
    lost_workers: int = 0
    already_final: int = 0  # verdicts another driver recorded first
    released: int = 0  # leases given back at the end
    reclaimed_leases: int = 0  # of drivers on this host that are gone
    seconds: float = 0.0
    backend: str = ""
    executor: str = ""
    workers: int = 0
    batch_size: int = 0
    lean_version: str = ""
    mathlib_rev: str = ""
    database: dict = field(default_factory=dict)
    remaining: int = 0
    interrupted: bool = False
    error: str | None = None
    peak_rss_mb: float = 0.0

    @property
    def checked(self) -> int:
        """Final verdicts recorded by this invocation."""
        return sum(self.by_status.values())

    @property
    def per_second(self) -> float:
        return round(self.checked / self.seconds, 3) if self.seconds > 0 else 0.0

    def count_verdict(self, status: str, error_class: str | None) -> None:
        self.by_status[status] += 1
        if status != "verified":
            self.by_error_class[error_class or "other"] += 1

    def merge(self, later: "CheckStats") -> "CheckStats":
        """This invocation followed by `later`: counters and time add up, settings,
        versions and the database state are the later one's, an error or interruption of
        the later one is kept."""
        out = CheckStats()
        for f in fields(CheckStats):
            a, b = getattr(self, f.name), getattr(later, f.name)
            if isinstance(a, Counter):
                value = a + b
            elif f.name == "peak_rss_mb":
                value = max(a, b)
            elif isinstance(a, (int, float)) and not isinstance(a, bool) and f.name not in (
                    "workers", "batch_size", "remaining"):
                value = a + b
            else:
                value = b
            setattr(out, f.name, value)
        out.seconds = round(out.seconds, 3)
        return out

    def as_dict(self) -> dict:
        """The object written to `RUN/check.stats.json` (keys sorted by the writer)."""
        return {
            "checked": self.checked,
            "by_status": dict(sorted(self.by_status.items())),
            "by_error_class": dict(sorted(self.by_error_class.items())),
            "retried": self.retried,
            "lost_batches": self.lost_batches,
            "bisected": self.bisected,
            "lost_workers": self.lost_workers,
            "already_final": self.already_final,
            "released": self.released,
            "reclaimed_leases": self.reclaimed_leases,
            "per_second": self.per_second,
            "seconds": round(self.seconds, 3),
            "backend": self.backend,
            "executor": self.executor,
            "workers": self.workers,
            "batch_size": self.batch_size,
            "lean_version": self.lean_version,
            "mathlib_rev": self.mathlib_rev,
            "database": dict(sorted(self.database.items())),
            "remaining": self.remaining,
            "interrupted": self.interrupted,
            "error": self.error,
            "peak_rss_mb": self.peak_rss_mb,
        }
