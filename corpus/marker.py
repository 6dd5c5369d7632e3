"""Completion markers of the exports: an export whose inputs did not change is not redone.

Why: a re-run of `alchemy run` on a finished run repeated the export of every pending or
verified row (minutes on all of Mathlib) to write the same files.  After an export
succeeds, `RUN/<corpus|unchecked>.export.json` records the key of what it read; the next
export with the same key keeps the folder as it is.

The key: the export kind, its options (progress aside), the tool version, the run
database's `data_version` (a random id per database and a counter every write of rows or
statuses increments, `core.rundb`), and the size and modification time of the other files
the export reads (declarations and scopes, benchmark and exclusion files).  Why the whole
export and not each shard: the corpus deduplicates across rows, and quantile tiers cut on
every row's feature, so one new row can change any shard; the marker is per export (the
corpus of verified rows and the unchecked export are marked apart, and each is redone only
when its own key changed).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from lean_alchemy.core.records import content_hash
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir, atomic_write_text, tool_version

from .options import CorpusOptions

log = logging.getLogger(__name__)


def marker_path(run: RunDir, stage: str) -> Path:
    return run.root / f"{stage}.export.json"


def _file_signature(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def export_key(run: RunDir, opts: CorpusOptions, stage: str, db: RunDB) -> str | None:
    """The key of an export of `run` now, or None when the database cannot say what it
    holds (an export is then always done)."""
    version = db.data_version()
    if version is None:
        return None
    options = {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts)
               if f.name != "progress"}
    files = [run.declarations, run.root / "scopes.parquet",
             *map(Path, opts.decontam_files)]
    if opts.exclude_file:
        files.append(Path(opts.exclude_file))
    return content_hash(stage, json.dumps(options, sort_keys=True, default=str),
                        tool_version(), version, *map(_file_signature, files))


def finished_export(run: RunDir, stage: str, key: str | None, out_dir: Path) -> dict | None:
    """The stats of the last export when its key is `key` and its output is still there,
    else None."""
    if key is None or not out_dir.is_dir():
        return None
    try:
        marker = json.loads(marker_path(run, stage).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("key") != key:
        return None
    stats = marker.get("stats")
    return stats if isinstance(stats, dict) else None


def mark_export(run: RunDir, stage: str, key: str | None, stats: dict) -> None:
    """Record a finished export (written after its output was swapped in)."""
    if key is not None:
        atomic_write_text(marker_path(run, stage),
                          json.dumps({"key": key, "stats": stats}, indent=2, sort_keys=True))


def clear_mark(run: RunDir, stage: str) -> None:
    """Forget the last export (before a new one replaces its output)."""
    try:
        marker_path(run, stage).unlink()
    except FileNotFoundError:
        pass
