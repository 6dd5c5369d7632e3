"""Sharded Parquet writer with a fixed schema, written into a staging folder then swapped in.

Why staging + swap: a killed export must never leave a half-dataset that looks complete, and
the previous corpus stays readable until the new one is whole.  The writer takes Arrow
tables (built column-wise by the caller, which is much faster than `from_pylist`).
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import DICTIONARY_COLUMNS, SCHEMA, STATISTICS_COLUMNS


class ShardWriter:
    """`add_table(t)` batches of rows; shards `part-00000.parquet`, ... of `shard_rows` rows.

    Small batches are buffered until a row group is full, so a rare split (1% valid) still
    gets row groups of `row_group_rows` rows and compresses as well as the common one.
    """

    def __init__(self, out_dir: Path, schema: pa.Schema = SCHEMA, shard_rows: int = 100_000,
                 row_group_rows: int = 20_000, compression: str = "zstd",
                 compression_level: int | None = 6):
        self.out_dir = Path(out_dir)
        self.schema = schema
        self.shard_rows = shard_rows
        self.row_group_rows = max(1, min(row_group_rows, shard_rows))
        self.compression = None if compression == "none" else compression
        self.level = compression_level if self.compression in ("zstd", "gzip", "brotli") else None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._in_shard = 0
        self.shards: list[Path] = []
        self.rows = 0
        # Encoding + zstd release the GIL: a background thread overlaps them with the
        # Python work of the next batch (the second core).  One thread keeps the order.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="corpus-writer")
        self._futures: deque[Future] = deque()

    def add_table(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._pending.append(table.replace_schema_metadata(self.schema.metadata))
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        if not self._pending_rows:
            return
        table = pa.concat_tables(self._pending) if len(self._pending) > 1 else self._pending[0]
        n = table.num_rows
        # keep a partial row group buffered unless closing
        usable = n if final else (n // self.row_group_rows) * self.row_group_rows
        rest = table.slice(usable)
        start = 0
        while start < usable:
            if self._writer is None:
                path = self.out_dir / f"part-{len(self.shards):05d}.parquet"
                self._writer = pq.ParquetWriter(
                    path, self.schema, compression=self.compression,
                    compression_level=self.level, use_dictionary=list(DICTIONARY_COLUMNS),
                    write_statistics=list(STATISTICS_COLUMNS))
                self.shards.append(path)
                self._in_shard = 0
            take = min(usable - start, self.shard_rows - self._in_shard)
            self._submit(self._writer.write_table, table.slice(start, take),
                         row_group_size=self.row_group_rows)
            self._in_shard += take
            start += take
            if self._in_shard >= self.shard_rows:
                self._submit(self._writer.close)
                self._writer = None
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def _submit(self, fn, *args, **kw) -> None:
        while len(self._futures) >= 2:  # bounded: at most two batches in flight
            self._futures.popleft().result()  # re-raises a write error here
        self._futures.append(self._pool.submit(fn, *args, **kw))

    def _drain(self) -> None:
        try:
            while self._futures:
                self._futures.popleft().result()
        finally:
            self._pool.shutdown(wait=True)

    def abort(self) -> None:
        """Stop after an error elsewhere: finish queued writes, close the open file."""
        try:
            self._drain()
        except Exception:  # the caller is already raising the error that matters
            pass
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> list[Path]:
        self._flush(final=True)
        if self._writer is not None:
            self._submit(self._writer.close)
            self._writer = None
        self._drain()
        if not self.shards:  # an empty dataset still has one (empty) shard with the schema
            path = self.out_dir / "part-00000.parquet"
            pq.write_table(self.schema.empty_table(), path, compression=self.compression)
            self.shards.append(path)
        return self.shards


def staging_dir(final: Path) -> Path:
    tmp = final.with_name(f".{final.name}.staging")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def swap_in(staging: Path, final: Path) -> None:
    """Replace `final` by `staging` (old copy removed only after the rename succeeded)."""
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    if old.exists():
        shutil.rmtree(old)


def make_readable(folder: Path) -> None:
    """Files of a published dataset are world-readable (atomic writes create them 0600)."""
    for p in Path(folder).rglob("*"):
        if p.is_file():
            p.chmod(0o644)
