"""Where an export's batches become Parquet: columns, tiers, the shard writer.

The export's main thread reads source batches and decides hygiene and splits (Python sets
over a few columns); a `BatchSink` builds the corpus columns (`rows.raw_columns` and
`rows.finish_columns`: Arrow kernels, which release the GIL), assigns tiers and writes the
shards in batch order; `ThreadFinisher` runs the column work on two worker threads so that
it overlaps the main thread's next batch.

Why not a child process for the sink (tried): the two stages run 1.4 s and 1.6 s per 200k
rows side by side as processes, but moving a batch's raw columns across costs ~1 KB per
row (0.24 s to serialize 200k rows, and the pipe copies on both sides), which took back
most of what the processes gained over threads (2.1-2.4 s).
"""

from __future__ import annotations

from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .rows import Provenance, finish_columns, raw_columns, rows_table
from .splits import SPLITS
from .tiers import Tierer
from .writer import ShardWriter

DATA_DIR = "data"


@dataclass
class SinkResult:
    """What the sink counted; shard paths relative to the dataset folder."""

    rows: int = 0
    by_split: Counter = field(default_factory=Counter)
    by_tier: Counter = field(default_factory=Counter)
    lean_versions: Counter = field(default_factory=Counter)
    mathlib_revs: Counter = field(default_factory=Counter)
    filtered: int = 0  # rows the tier filter dropped
    shards: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SinkSpec:
    """Everything a sink needs to know about the dataset it writes."""

    out_dir: Path
    schema: pa.Schema
    tierer: Tierer
    wanted: tuple[str, ...]  # tiers to keep (empty: all)
    shard_rows: int
    row_group_rows: int
    compression: str
    compression_level: int | None
    prov: Provenance = Provenance()
    checked: bool = True  # False for `--unchecked` (no row is marked checked)


def _count_into(counter: Counter, arr: pa.ChunkedArray | pa.Array) -> None:
    vc = pc.value_counts(arr)
    for v, c in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()):
        if v is not None:
            counter[v] += c


class BatchSink:
    """Raw batches -> finished, tiered tables -> shard writers, in the order given."""

    def __init__(self, spec: SinkSpec):
        self.spec = spec
        self.result = SinkResult()
        self.writers: dict[str, ShardWriter] = {}
        self._wanted = pa.array(sorted(spec.wanted), pa.string())

    def finish(self, batch: pa.RecordBatch, split: str) -> tuple[pa.Table, int]:
        """Source batch -> columns -> tier -> table (Arrow kernels); and how many rows the
        tier filter dropped."""
        cols = finish_columns(raw_columns(batch, self.spec.prov, self.spec.checked))
        n = batch.num_rows
        cols["tier"] = self.spec.tierer.tier_array(cols["features"])
        cols["split"] = pa.array([split] * n, pa.string())
        table = rows_table(cols, self.spec.schema)
        if self.spec.wanted:
            keep = pc.is_in(cols["tier"], self._wanted)
            kept = pc.sum(keep).as_py() or 0
            if kept < table.num_rows:
                return table.filter(keep), table.num_rows - kept
        return table, 0

    def write(self, table: pa.Table, split: str, filtered: int) -> None:
        """Counters, then the split's shard writer."""
        res = self.result
        res.filtered += filtered
        if table.num_rows == 0:
            return
        res.rows += table.num_rows
        res.by_split[split] += table.num_rows
        _count_into(res.by_tier, table.column("tier"))
        _count_into(res.lean_versions, table.column("lean_version"))
        _count_into(res.mathlib_revs, table.column("mathlib_rev"))
        self._writer(split).add_table(table)

    def add(self, batch: pa.RecordBatch, split: str) -> None:
        table, filtered = self.finish(batch, split)
        self.write(table, split, filtered)

    def _writer(self, split: str) -> ShardWriter:
        w = self.writers.get(split)
        if w is None:
            s = self.spec
            w = self.writers[split] = ShardWriter(
                s.out_dir / DATA_DIR / split, s.schema, s.shard_rows, s.row_group_rows,
                s.compression, s.compression_level)
        return w

    def close(self) -> SinkResult:
        if not self.writers:  # an empty dataset still carries its schema (one empty shard)
            self._writer("train")
        for split in SPLITS:
            if split in self.writers:
                self.result.shards[split] = [str(p.relative_to(self.spec.out_dir))
                                             for p in self.writers[split].close()]
        return self.result

    def abort(self) -> None:
        for w in self.writers.values():
            w.abort()


class ThreadFinisher:
    """The sink in this process: `finish` on two worker threads (Arrow kernels release the
    GIL), `write` on the caller's thread in batch order."""

    def __init__(self, spec: SinkSpec):
        self.sink = BatchSink(spec)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="corpus-columns")
        self._pending: deque[tuple[Future, str]] = deque()

    def submit(self, batch: pa.RecordBatch, split: str) -> None:
        while len(self._pending) > 2:  # bounded: a few batches in flight
            self._collect()
        self._pending.append((self._pool.submit(self.sink.finish, batch, split), split))

    def _collect(self) -> None:
        fut, split = self._pending.popleft()
        table, filtered = fut.result()  # re-raises an error of the worker here
        self.sink.write(table, split, filtered)

    def close(self) -> SinkResult:
        while self._pending:
            self._collect()
        self._pool.shutdown(wait=True)
        return self.sink.close()

    def abort(self) -> None:
        for f, _ in self._pending:
            f.cancel()
        self._pool.shutdown(wait=True)
        self.sink.abort()
