"""What a mutation run will cost, said before it starts: mutants, disk and time.

Why: the defaults on a large library make millions of mutants; a user should learn the
size of the run database and the time before the disk fills, not after.  The forecast is
a function of the index's output (invocations per theorem, `RUN/invocations.parquet`),
the options (the per-theorem cap) and per-mutant costs measured on all of Mathlib
(docs/benchmarks.md): how many invocations under the cap become stored mutants, the run
database's bytes per stored mutant, and the CPU seconds of mutation per stored mutant.
At depth > 1 the kept mutants are mutated again within the same cap, so the depth-1
figure is a floor for the mutants and the time.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.store import invocations_path
from lean_alchemy.mutate.options import MutateOptions

# Measured on all of Mathlib at the defaults (docs/benchmarks.md, "run database" and
# "mutation"): 2,659,980 mutants stored from 2,757,385 invocations under the cap, run.sqlite
# 1,517,596,672 bytes, mutation 864 CPU-s (encoding and compressing the rows included).
STORED_PER_INVOCATION = 0.965  # stored mutants / invocations under the per-theorem cap
BYTES_PER_MUTANT = 571.0  # run.sqlite bytes per stored mutant (tables and indexes)
CPU_SECONDS_PER_MUTANT = 0.000325  # mutation CPU seconds per stored mutant
DISK_MARGIN = 1.1  # the write-ahead log and page slack on top of the forecast


@dataclass(frozen=True)
class Forecast:
    invocations: int  # invocable edges of the index
    capped: int  # of them under the per-theorem cap
    mutants: int  # forecast stored mutants
    disk_bytes: int  # forecast run.sqlite size
    cpu_seconds: float  # forecast mutation CPU time
    wall_seconds: float  # cpu_seconds over the worker processes
    free_bytes: int  # free space where the run database goes

    @property
    def disk_short(self) -> bool:
        return self.disk_bytes > self.free_bytes

    def lines(self) -> list[str]:
        out = [f"forecast: ~{self.mutants:,} mutants from {self.capped:,} of "
               f"{self.invocations:,} invocations under the cap, run database "
               f"~{_size(self.disk_bytes)}, mutation ~{_duration(self.wall_seconds)} "
               f"({self.cpu_seconds:,.0f} CPU-s)"]
        if self.disk_short:
            out.append(f"warning: the forecast run database (~{_size(self.disk_bytes)}) is "
                       f"larger than the free space ({_size(self.free_bytes)}); lower "
                       f"[mutate] max_per_theorem or free disk space before mutating")
        return out


def capped_invocations(counts: list[int], cap: int | None) -> int:
    """Invocations tried before each theorem's cap (`cap` None: all of them)."""
    return sum(counts) if cap is None else sum(min(n, cap) for n in counts)


def forecast(run: RunDir, opts: MutateOptions, workers: int,
             free_bytes: int | None = None) -> Forecast | None:
    """The forecast of mutating `run` with `opts` on `workers` processes (None without an
    index).  `free_bytes`: free space where the database goes (measured when None)."""
    path = invocations_path(run)
    if not path.exists():
        return None
    table = pq.read_table(path, columns=["candidate"])
    counts = pc.value_counts(table["candidate"]).field("counts").to_pylist()
    capped = capped_invocations(counts, opts.max_per_theorem)
    mutants = int(round(capped * STORED_PER_INVOCATION))
    cpu = mutants * CPU_SECONDS_PER_MUTANT
    if free_bytes is None:
        free_bytes = free_space(run.root)
    return Forecast(int(table.num_rows), capped, mutants,
                    int(mutants * BYTES_PER_MUTANT * DISK_MARGIN), cpu,
                    cpu / max(workers, 1), free_bytes)


def forecast_lines(run: RunDir, opts: MutateOptions) -> list[str]:
    """The forecast as printed before mutating (none without an index).  Never raises: a
    forecast that cannot be made must not stop the run."""
    workers = opts.jobs or os.cpu_count() or 1
    try:
        f = forecast(run, opts, workers)
    except Exception as e:  # noqa: BLE001 - an unreadable index is reported by the stage
        return [f"forecast: not available ({e})"]
    return f.lines() if f is not None else []


def free_space(where: Path) -> int:
    """Free bytes on the file system of `where` (its nearest existing parent)."""
    p = where
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.0f} min"


__all__ = ["Forecast", "forecast", "forecast_lines", "capped_invocations", "free_space"]
