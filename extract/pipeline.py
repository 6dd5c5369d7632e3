"""`alchemy extract`: a Lean project -> declarations / scopes / failures Parquet + stats.

Files are extracted in a process pool (each worker reads, splits and, when asked, parses
the statements of its files), and the parent streams results into the Parquet files in
file order, so memory stays bounded by a batch of files and output is deterministic.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from tqdm import tqdm

from lean_alchemy.core.records import Declaration, ExtractFailure, NotationDecl, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.grammar.statements import annotate_declaration

from .fileparse import FileExtraction, extract_file
from .options import ExtractOptions
from .project import find_project
from .stats import ExtractStats
from .store import (DECLARATION_SCHEMA, FAILURE_SCHEMA, NOTATION_SCHEMA, SCOPE_SCHEMA,
                    AtomicParquetWriter, declarations_table, failures_table, notations_table,
                    scopes_table)

log = logging.getLogger(__name__)

def annotate_declarations(decls: Iterable[Declaration], scopes: dict[str, Scope]
                          ) -> list[Declaration]:
    """Parse every theorem's statement (`grammar.statements.annotate_declaration`); a
    parser crash marks that record "failed" instead of losing it."""
    out: list[Declaration] = []
    for d in decls:
        if d.kind in ("theorem", "lemma"):
            try:
                d = annotate_declaration(d, scopes.get(d.scope_id or ""))
            except Exception as e:  # a grammar bug must not lose the record
                d = replace(d, parse_status="failed",
                            parse_error=f"{type(e).__name__}: {e}"[:500])
        out.append(d)
    return out


def annotate_all(extraction: FileExtraction) -> FileExtraction:
    """A file's extraction with every theorem's statement parsed."""
    scopes = {s.id: s for s in extraction.scopes}
    return FileExtraction(tuple(annotate_declarations(extraction.declarations, scopes)),
                          extraction.scopes, extraction.failures, extraction.notations)


def _work(job: tuple[str, str, bool, tuple[str, ...]]) -> FileExtraction:
    path, root, parse, theorem_keywords = job
    try:
        extraction = extract_file(Path(path), Path(root), theorem_keywords)
    except Exception as e:  # an extractor bug on one file must not stop the run
        rel = Path(path).relative_to(root).as_posix()
        return FileExtraction((), (), (ExtractFailure(
            rel, 0, "internal error", f"{type(e).__name__}: {e}"[:500]),))
    return annotate_all(extraction) if parse else extraction


def run_extract(src: Path, run: RunDir, opts: ExtractOptions = ExtractOptions()
                ) -> ExtractStats:
    """Extract every file of the project at `src` into `run`; returns the stats written to
    `extract.stats.json`.  Raises AlchemyError when `src` holds no Lean sources."""
    t0 = time.perf_counter()
    project = find_project(Path(src), tuple(opts.libraries))
    run.ensure()
    jobs = opts.jobs or os.cpu_count() or 1
    tasks = [(str(f), str(project.root), opts.parse, tuple(opts.theorem_keywords))
             for f in project.files]
    stats = ExtractStats(files=len(tasks), source=str(Path(src).resolve()),
                         root=str(project.root), libraries=tuple(project.libraries),
                         parse=opts.parse, jobs=jobs)
    if jobs <= 1 or len(tasks) <= 1:
        _write_results(map(_work, tasks), run, opts, len(tasks), stats)
    else:
        ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
        with ctx.Pool(jobs) as pool:
            _write_results(pool.imap(_work, tasks, chunksize=8), run, opts, len(tasks), stats)
    stats.seconds = round(time.perf_counter() - t0, 2)
    run.write_stats("extract", stats.as_dict())
    return stats


def _write_results(results: Iterable[FileExtraction], run: RunDir, opts: ExtractOptions,
                   files: int, stats: ExtractStats) -> None:
    """Stream the files' results, in file order, into the four Parquet files, a batch of
    `opts.batch_files` files at a time, counting them into `stats`.  The writers are
    opened here, after the pool forked, so that no Arrow state is inherited by workers."""
    writers = (AtomicParquetWriter(run.declarations, DECLARATION_SCHEMA),
               AtomicParquetWriter(run.scopes, SCOPE_SCHEMA),
               AtomicParquetWriter(run.failures, FAILURE_SCHEMA),
               AtomicParquetWriter(run.notations, NOTATION_SCHEMA))
    decls: list[Declaration] = []
    scopes: list[Scope] = []
    failures: list[ExtractFailure] = []
    notations: list[NotationDecl] = []

    def flush() -> None:
        writers[0].write(declarations_table(decls))
        writers[1].write(scopes_table(scopes))
        writers[2].write(failures_table(failures))
        writers[3].write(notations_table(notations))
        decls.clear()
        scopes.clear()
        failures.clear()
        notations.clear()

    try:
        bar = tqdm(results, total=files, unit="file", desc="extract",
                   disable=not opts.progress, mininterval=0.5)
        for k, extraction in enumerate(bar, 1):
            stats.count_declarations(extraction.declarations)
            decls.extend(extraction.declarations)
            scopes.extend(stats.new_scopes(extraction.scopes))
            stats.count_failures(extraction.failures)
            failures.extend(extraction.failures)
            notations.extend(extraction.notations)
            stats.notations += len(extraction.notations)
            if k % max(1, opts.batch_files) == 0:
                flush()
        flush()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for w in writers:
        w.close()
