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
from collections import Counter
from dataclasses import replace
from pathlib import Path

from lean_alchemy.core.records import Declaration, ExtractFailure, NotationDecl, Scope
from lean_alchemy.core.rundir import RunDir

from .fileparse import FileExtraction, extract_file
from .options import ExtractOptions
from .project import find_project
from .store import (DECLARATION_SCHEMA, FAILURE_SCHEMA, NOTATION_SCHEMA, SCOPE_SCHEMA,
                    AtomicParquetWriter, declarations_table, failures_table, notations_table,
                    scopes_table)

log = logging.getLogger(__name__)

_annotate = None  # per process: the grammar's annotate_declaration, False if unavailable


def _annotator():
    """The grammar stage's `annotate_declaration`, imported lazily once per process (the
    grammar is optional at this stage: without it statements stay "unparsed")."""
    global _annotate
    if _annotate is None:
        try:
            from lean_alchemy.grammar.statements import annotate_declaration
            _annotate = annotate_declaration
        except ImportError as e:
            log.debug("grammar unavailable (%s): statements stay unparsed", e)
            _annotate = False
    return _annotate


def annotate_all(res: FileExtraction) -> FileExtraction:
    """Parse every theorem's statement; a parser crash marks that record "failed"."""
    fn = _annotator()
    if not fn:
        return res
    scopes = {s.id: s for s in res.scopes}
    out: list[Declaration] = []
    for d in res.declarations:
        if d.kind in ("theorem", "lemma"):
            try:
                d = fn(d, scopes.get(d.scope_id or ""))
            except Exception as e:  # a grammar bug must not lose the record
                d = replace(d, parse_status="failed",
                            parse_error=f"{type(e).__name__}: {e}"[:500])
        out.append(d)
    return FileExtraction(tuple(out), res.scopes, res.failures, res.notations)


def _work(job: tuple[str, str, bool]) -> FileExtraction:
    path, root, parse = job
    try:
        res = extract_file(Path(path), Path(root))
    except Exception as e:  # an extractor bug on one file must not stop the run
        rel = Path(path).relative_to(root).as_posix()
        return FileExtraction((), (), (ExtractFailure(
            rel, 0, "internal error", f"{type(e).__name__}: {e}"[:500]),))
    return annotate_all(res) if parse else res


def run_extract(src: Path, run: RunDir, opts: ExtractOptions = ExtractOptions()) -> dict:
    """Extract every file of the project at `src` into `run`; returns the stats written to
    `extract.stats.json`.  Raises AlchemyError when `src` holds no Lean sources."""
    t0 = time.perf_counter()
    project = find_project(Path(src), tuple(opts.libraries))
    run.ensure()
    jobs = opts.jobs or os.cpu_count() or 1
    tasks = [(str(f), str(project.root), opts.parse) for f in project.files]

    kinds: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    parse_status: Counter[str] = Counter()
    seen_scopes: set[str] = set()
    failed_files: set[str] = set()
    notations = [0]
    writers: list[AtomicParquetWriter] = []  # opened after the pool forks (no Arrow state
    # is inherited by workers)
    batch_d: list[Declaration] = []
    batch_s: list[Scope] = []
    batch_f: list[ExtractFailure] = []
    batch_n: list[NotationDecl] = []

    def flush() -> None:
        writers[0].write(declarations_table(batch_d))
        writers[1].write(scopes_table(batch_s))
        writers[2].write(failures_table(batch_f))
        writers[3].write(notations_table(batch_n))
        batch_d.clear()
        batch_s.clear()
        batch_f.clear()
        batch_n.clear()

    def consume(results) -> None:
        from tqdm import tqdm

        writers.extend([AtomicParquetWriter(run.declarations, DECLARATION_SCHEMA),
                        AtomicParquetWriter(run.scopes, SCOPE_SCHEMA),
                        AtomicParquetWriter(run.failures, FAILURE_SCHEMA),
                        AtomicParquetWriter(run.notations, NOTATION_SCHEMA)])
        bar = tqdm(results, total=len(tasks), unit="file", desc="extract",
                   disable=not opts.progress, mininterval=0.5)
        for k, res in enumerate(bar, 1):
            for d in res.declarations:
                kinds[d.kind] += 1
                if d.kind in ("theorem", "lemma"):
                    parse_status[d.parse_status] += 1
            batch_d.extend(res.declarations)
            for s in res.scopes:
                if s.id not in seen_scopes:
                    seen_scopes.add(s.id)
                    batch_s.append(s)
            for f in res.failures:
                reasons[f.reason] += 1
                if f.line == 0 or f.reason in ("unreadable", "undecodable"):
                    failed_files.add(f.file)
            batch_f.extend(res.failures)
            batch_n.extend(res.notations)
            notations[0] += len(res.notations)
            if k % max(1, opts.batch_files) == 0:
                flush()

    try:
        if jobs <= 1 or len(tasks) <= 1:
            consume(map(_work, tasks))
        else:
            ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
            with ctx.Pool(jobs) as pool:
                consume(pool.imap(_work, tasks, chunksize=8))
        flush()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for w in writers:
        w.close()

    candidates = kinds["theorem"] + kinds["lemma"]
    stats = {
        "source": str(Path(src).resolve()),
        "root": str(project.root),
        "libraries": list(project.libraries),
        "files": len(tasks),
        "files_failed": len(failed_files),
        "declarations": sum(kinds.values()),
        "declarations_by_kind": dict(sorted(kinds.items())),
        "theorems": candidates,
        "scopes": len(seen_scopes),
        "notations": notations[0],
        "failures": sum(reasons.values()),
        "failures_by_reason": dict(sorted(reasons.items())),
        "parse_status": dict(sorted(parse_status.items())),
        "parse": opts.parse,
        "jobs": jobs,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    run.write_stats("extract", stats)
    return stats
