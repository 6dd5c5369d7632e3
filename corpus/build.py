"""The corpus stage: verified mutants -> hygienic, split, tiered Parquet dataset + card + stats.

`build_dataset` is the pure-ish core over an iterable of (Mutant, Verdict) pairs (testable
without a database); `run_corpus` is the stage entry that wires it to a run directory.  Order
of steps per row: exclusion list -> dedup (library, then corpus) -> decontamination -> split
-> tier -> tier filter.  Every drop is counted by reason and written, with what it matched, to the drop
report `RUN/<corpus|unchecked>.dropped.jsonl`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from lean_alchemy.core.collector import few_collections
from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, Mutant
from lean_alchemy.core.rundir import RunDir, tool_version
from lean_alchemy.index.unproved import unproved_declarations

from . import marker, sources
from .card import write_card
from .decontam import Decontaminator, contaminated_sources, load_benchmarks
from .dedup import Deduper
from .finisher import SinkSpec, ThreadFinisher
from .options import CorpusOptions
from .rows import CHECKED_STATUSES, LIBRARY_VERDICT, Provenance, original_mutant, raw_columns, raw_features
from .source import Pair, batch_column, source_batches
from .schema import schema_with_metadata
from .splits import SPLITS, Splitter, read_name_list
from .stats import write_stats_bundle
from .tiers import Tierer, flat_column
from .writer import make_readable, staging_dir, swap_in

log = logging.getLogger(__name__)


@dataclass
class CorpusStats:
    """What a corpus build wrote and dropped, written to `RUN/<corpus|unchecked>.stats.json`
    (`as_dict`, also the summary the dataset card is written from).

    `build_dataset` fills the counters; `export` adds what it was built from (`checked`,
    `benchmark_items`...) and `run_corpus` the output folder.  `merge` adds the counters
    of another build; the other fields stay as they are."""

    rows: int = 0
    shards: dict[str, list[str]] = field(default_factory=dict)  # split -> relative paths
    by_split: Counter = field(default_factory=Counter)
    by_tier: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    seen: int = 0
    tier_cuts: tuple[float, ...] = ()
    lean_versions: Counter = field(default_factory=Counter)
    mathlib_revs: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    checked: bool = True
    benchmark_items: int = 0
    library_fingerprints: int = 0
    include_originals: bool = False
    unproved_originals: int = 0  # library theorems left out of the originals: unproved
    drop_report: str | None = None
    output: str | None = None  # set by `run_corpus`
    reused: bool = False  # the inputs were those of the last export: nothing was written

    @classmethod
    def from_dict(cls, d: dict) -> "CorpusStats":
        """The stats `as_dict` wrote (a finished export's, `corpus.marker`)."""
        return cls(rows=int(d.get("rows", 0)), shards=dict(d.get("shards") or {}),
                   by_split=Counter(d.get("by_split") or {}),
                   by_tier=Counter(d.get("by_tier") or {}),
                   dropped=Counter(d.get("dropped") or {}), seen=int(d.get("input_rows", 0)),
                   tier_cuts=tuple(d.get("tier_cuts") or ()),
                   lean_versions=Counter(d.get("lean_versions") or {}),
                   mathlib_revs=Counter(d.get("mathlib_revs") or {}),
                   seconds=float(d.get("seconds", 0.0)), checked=bool(d.get("checked", True)),
                   benchmark_items=int(d.get("benchmark_items", 0)),
                   library_fingerprints=int(d.get("library_fingerprints", 0)),
                   include_originals=bool(d.get("include_originals", False)),
                   unproved_originals=int(d.get("unproved_originals", 0)),
                   drop_report=d.get("drop_report"), output=d.get("output"))

    def merge(self, other: "CorpusStats") -> None:
        self.rows += other.rows
        for split, paths in other.shards.items():
            self.shards.setdefault(split, []).extend(paths)
        self.by_split.update(other.by_split)
        self.by_tier.update(other.by_tier)
        self.dropped.update(other.dropped)
        self.seen += other.seen
        self.lean_versions.update(other.lean_versions)
        self.mathlib_revs.update(other.mathlib_revs)

    def as_dict(self) -> dict:
        out = {"rows": self.rows, "input_rows": self.seen, "by_split": dict(self.by_split),
               "by_tier": dict(self.by_tier), "dropped": dict(self.dropped),
               "shards": self.shards, "tier_cuts": list(self.tier_cuts),
               "lean_versions": dict(self.lean_versions),
               "mathlib_revs": dict(self.mathlib_revs), "seconds": round(self.seconds, 3),
               "checked": self.checked, "benchmark_items": self.benchmark_items,
               "library_fingerprints": self.library_fingerprints,
               "include_originals": self.include_originals,
               "unproved_originals": self.unproved_originals, "drop_report": self.drop_report}
        if self.output is not None:
            out["output"] = self.output
        if self.reused:
            out["reused"] = True
        return out


def make_tierer(opts: CorpusOptions) -> Tierer:
    """Rules name their own tiers; quantile tiers are named by `tier_names`."""
    if opts.tier_method == "rules":
        return Tierer("rules", opts.tier_rules)
    return Tierer("quantiles", (), opts.tier_names, opts.tier_feature)


def make_splitter(opts: CorpusOptions) -> Splitter:
    excluded = set(opts.exclude_names)
    if opts.exclude_file:
        excluded |= read_name_list(opts.exclude_file)
    return Splitter(opts.train_fraction, opts.validation_fraction, opts.split_seed,
                    frozenset(excluded), opts.exclude_split)


class RowKey(NamedTuple):
    """What hygiene reads of a row (a `Mutant` has the same attributes)."""

    id: str
    name: str
    source_theorem: str
    kind: str
    statement: str


class Hygiene:
    """Per-row exclusion, dedup and decontamination with drop bookkeeping (stateful: dedup)."""

    def __init__(self, opts: CorpusOptions, splitter: Splitter, library: dict[str, str],
                 decontam: Decontaminator | None, report: Callable[[dict], None] | None):
        self.splitter = splitter
        self.deduper = Deduper(library=library if opts.dedup_library else {}, across=opts.dedup)
        self.decontam = decontam if decontam else None
        self.report = report

    def admit(self, m: Mutant | RowKey, dropped: Counter, contaminable: bool = True
              ) -> str | None:
        """The row's split if it is kept, else None (and the drop is recorded).
        `contaminable=False`: `Decontaminator.candidates` ruled decontamination out."""
        split = self.splitter.split_of(m.source_theorem, m.name)
        if split is None:
            return self._drop(m, dropped, "excluded", "exclusion list", None)
        d = self.deduper.check(m.id, m.name, m.kind)
        if d is not None:
            return self._drop(m, dropped, d[0], d[1], None)
        if self.decontam is not None and m.source_theorem in self.decontam.sources:
            return self._drop(m, dropped, "contaminated/source", m.source_theorem, None)
        if self.decontam is not None and contaminable:
            c = self.decontam.check(m.id, m.statement)
            if c is not None:
                return self._drop(m, dropped, c[0], c[1], c[2])
        return split

    def admit_batch(self, batch: pa.RecordBatch, dropped: Counter) -> list[str | None]:
        """`admit` of every row of a source batch, in order: the same splits, drops and
        dedup state as row by row.

        Why: per-row method calls cost more than the rest of a row's hygiene.  When nothing in
        the batch can be dropped (no excluded name, no known or repeated fingerprint, no row
        that decontamination could flag), whole-batch set operations decide it; otherwise row
        by row.  Only the columns hygiene reads become Python objects; statements only when
        some row may be contaminated (one RE2 pass decides which, `candidates`).
        """
        col = functools.partial(batch_column, batch)
        ids = col("id").to_pylist()
        names = col("name").to_pylist()
        sources = col("source_theorem").to_pylist()
        maybe = (self.decontam.candidates(ids, col("statement"))
                 if self.decontam is not None else None)
        if self.decontam is not None and not self.decontam.sources.isdisjoint(sources):
            maybe = [True] * len(ids)  # row by row: some row derives from a benchmark item
        contaminable = maybe is not None and any(maybe)
        excluded = self.splitter.excluded
        if not contaminable and (not excluded or (
                excluded.isdisjoint(sources) and excluded.isdisjoint(names))):
            if self.deduper.admit_all(ids, names):
                return self.splitter.splits_of(sources)
        kinds = col("kind").to_pylist()
        statements = col("statement").to_pylist() if contaminable else itertools.repeat("")
        admit = self.admit
        return [admit(RowKey(*r), dropped, may)
                for *r, may in zip(ids, names, sources, kinds, statements,
                                   maybe if contaminable else itertools.repeat(False))]

    def _drop(self, m: Mutant | RowKey, dropped: Counter, reason: str, detail: str,
              score: float | None) -> None:
        dropped[reason] += 1
        if self.report is not None:
            self.report({"id": m.id, "name": m.name, "source_theorem": m.source_theorem,
                         "kind": m.kind, "reason": reason, "matched": detail, "score": score})
        return None


BATCH_ROWS = 8192


def _batched(items: Iterable, hyg: Hygiene, dropped: Counter, stats: CorpusStats | None,
             checked: bool) -> Iterator[tuple[pa.RecordBatch, str]]:
    """Admitted rows in single-split source batches of exactly BATCH_ROWS rows (the last
    of each split shorter); drops are recorded.

    `items`: source batches and/or (mutant, verdict) pairs (`source.source_batches`).
    One buffer per split, so a batch never has to be filtered by split later.
    """
    buffers: dict[str, list[pa.RecordBatch]] = {}
    sizes: Counter = Counter()
    seen = 0
    for batch in source_batches(items):
        if checked:  # the corpus proper only ever holds rows Lean accepted
            verified = pc.is_in(batch.column("status"), CHECKED_STATUSES)
            if not pc.all(pc.fill_null(verified, False)).as_py():
                batch = batch.filter(verified)
        if not batch.num_rows:
            continue
        seen += batch.num_rows
        splits = hyg.admit_batch(batch, dropped)
        first = splits[0]
        if first is not None and splits.count(first) == len(splits):  # one split: no filter
            parts = {first: batch}
        else:
            parts = {split: batch.filter(pa.array([x == split for x in splits]))
                     for split in dict.fromkeys(splits) if split is not None}
        for split, part in parts.items():
            buffers.setdefault(split, []).append(part)
            sizes[split] += part.num_rows
            if sizes[split] >= BATCH_ROWS:
                table = pa.Table.from_batches(buffers[split]).combine_chunks()
                start = 0
                while table.num_rows - start >= BATCH_ROWS:
                    yield _one_batch(table.slice(start, BATCH_ROWS)), split
                    start += BATCH_ROWS
                rest = table.slice(start)
                buffers[split] = [_one_batch(rest)] if rest.num_rows else []
                sizes[split] = rest.num_rows
    if stats is not None:
        stats.seen += seen
    for split in SPLITS:
        if buffers.get(split):
            yield _one_batch(pa.Table.from_batches(buffers[split]).combine_chunks()), split


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    """A table of combined chunks as one record batch (no copy)."""
    batches = table.to_batches()
    if len(batches) == 1:
        return batches[0]
    return pa.RecordBatch.from_arrays([batch_column(table, n) for n in table.column_names],
                                      names=table.column_names)


@contextlib.contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow allocates from the C library's malloc while the export runs.

    Why: pyarrow's default pool (mimalloc) paid 0.5-1 s of kernel time in page faults while
    its heap first grew, a third of a 200k-row export; malloc reuses freed batches without
    that.  Buffers remember their pool, so arrays made before or after are unaffected.
    """
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def build_dataset(results: Callable[[], Iterable[pa.RecordBatch | Pair]], out_dir: Path, opts: CorpusOptions,
                  metadata: dict[str, str], library: dict[str, str] | None = None,
                  decontam: Decontaminator | None = None,
                  report: Callable[[dict], None] | None = None,
                  prov: Provenance | None = None, checked: bool = True) -> CorpusStats:
    """Write `results()` (called twice for quantile tiers) into `out_dir/data/<split>/part-*`.

    `results()` yields source batches (`source.SOURCE_SCHEMA`, as the run database is read)
    and/or (mutant, verdict or None) pairs.

    `checked`: keep only verified pairs and mark rows `checked`; False for `--unchecked`.
    `library` maps library-theorem fingerprints to names (dedup against the library);
    `report` receives one dict per dropped row.  Per-row work is only what must be (exclusion,
    dedup, decontamination, split); columns, features and tiers are computed per batch.
    """
    with few_collections(), system_allocator():  # see both for why
        return _build_dataset(results, out_dir, opts, metadata, library, decontam, report,
                              prov or Provenance(tool_version=tool_version()), checked)


def _build_dataset(results: Callable[[], Iterable[pa.RecordBatch | Pair]], out_dir: Path, opts: CorpusOptions,
                   metadata: dict[str, str], library: dict[str, str] | None,
                   decontam: Decontaminator | None, report: Callable[[dict], None] | None,
                   prov: Provenance, checked: bool) -> CorpusStats:
    opts.validate()
    t0 = time.perf_counter()
    stats = CorpusStats()
    splitter = make_splitter(opts)
    tierer = make_tierer(opts)
    wanted = frozenset(opts.tiers)
    unknown = wanted - set(tierer.names)
    if unknown:
        raise AlchemyError(f"--tiers {','.join(sorted(unknown))}: unknown tier; known: "
                           f"{', '.join(tierer.names)}")
    if opts.tier_method == "quantiles":
        values: list[float] = []
        hyg = Hygiene(opts, splitter, library or {}, decontam, None)
        for batch, _split in _batched(results(), hyg, Counter(), None, checked):
            feats = raw_features(raw_columns(batch, prov, checked))
            values += [x for x in flat_column(feats, opts.tier_feature).to_pylist()
                       if x is not None]
        tierer.cuts = Tierer.quantile_cuts(values, opts.tier_quantiles)
        stats.tier_cuts = tierer.cuts
    spec = SinkSpec(out_dir, schema_with_metadata(metadata), tierer, tuple(sorted(wanted)),
                    opts.shard_rows, opts.row_group_rows, opts.compression,
                    opts.compression_level, prov, checked)
    hyg = Hygiene(opts, splitter, library or {}, decontam, report)
    # The main thread takes batches (read ahead on a thread) and does what needs Python
    # objects (hygiene, splits); two worker threads build the columns in Arrow kernels, which
    # release the GIL, so they overlap (with the shard writer's own compression thread);
    # tables are written in batch order.
    finisher = ThreadFinisher(spec)
    try:
        for batch, split in _batched(results(), hyg, stats.dropped, stats, checked):
            finisher.submit(batch, split)
        sink = finisher.close()
    except BaseException:
        finisher.abort()
        raise
    stats.rows = sink.rows
    stats.by_split.update(sink.by_split)
    stats.by_tier.update(sink.by_tier)
    stats.lean_versions.update(sink.lean_versions)
    stats.mathlib_revs.update(sink.mathlib_revs)
    stats.shards = sink.shards
    if wanted and sink.filtered:
        stats.dropped["filtered/tier"] += sink.filtered
    stats.seconds = time.perf_counter() - t0
    return stats


def dataset_metadata(opts: CorpusOptions, checked: bool, run: RunDir | None) -> dict[str, str]:
    return {
        "dataset": opts.dataset_name,
        "checked": "true" if checked else "false",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool_version": tool_version(),
        "source_run": str(run.root.resolve()) if run is not None else "",
        "split_seed": opts.split_seed,
        "split_fractions": json.dumps({"train": opts.train_fraction,
                                       "validation": opts.validation_fraction,
                                       "test": opts.test_fraction}),
        "options": json.dumps(asdict(opts), default=str, sort_keys=True),
    }


def library_theorems(decls: Iterable[Declaration], fp: Callable | None
                     ) -> list[tuple[Declaration, str | None]]:
    """Library theorems with their canonical fingerprints (None when unavailable)."""
    return [(d, _safe_fp(fp, d)) for d in decls if d.is_candidate and d.conclusion is not None]


def library_pairs(theorems: list[tuple[Declaration, str | None]], scopes: dict,
                  unproved: frozenset[str] = frozenset()) -> Iterator[Pair]:
    """Library theorems as (Mutant of kind `original`, the library verdict), except the
    `unproved` ones: a library theorem is exported as checked only when it is proved."""
    for d, f in theorems:
        if d.full_name not in unproved:
            yield original_mutant(d, scopes.get(d.scope_id or ""), f), LIBRARY_VERDICT


def library_fingerprints(theorems: list[tuple[Declaration, str | None]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for d, f in theorems:
        if f:
            out.setdefault(f, d.full_name)
    return out


def _safe_fp(fp: Callable | None, d: Declaration) -> str | None:
    if fp is None:
        return None
    try:
        return fp(d)
    except Exception as e:  # one unfingerprintable theorem must not stop the export
        log.debug("cannot fingerprint %s: %s", d.full_name, e)
        return None


def export(results: Callable[[], Iterable[pa.RecordBatch | Pair]], out_dir: Path,
           opts: CorpusOptions, *, checked: bool = True, decls: list[Declaration] = (),
           scopes: dict | None = None, fingerprint: Callable | None = None,
           text_fingerprint: Callable | None = None, run: RunDir | None = None,
           drop_report: Path | None = None, db_stats: dict | None = None,
           outcomes: Callable[[], Iterable] | None = None,
           unproved: frozenset[str] = frozenset()) -> CorpusStats:
    """Build the dataset into a staging folder, write card and stats, then swap it in.
    `unproved`: library declarations never exported as originals (`unproved_declarations`)."""
    opts.validate()
    prov = Provenance(tool_version=tool_version())
    include_orig = opts.include_originals and checked
    theorems = library_theorems(decls, fingerprint) if (
        include_orig or (opts.dedup_library and fingerprint is not None)) else []
    library = library_fingerprints(theorems) if opts.dedup_library else {}
    items = load_benchmarks(opts.decontam_files, text_fingerprint) if opts.decontam_files else []
    decontam = Decontaminator(items, opts.ngram_n, opts.ngram_threshold) if items else None
    if decontam is not None:
        decontam.sources = contaminated_sources(decls, decontam, fingerprint)

    def pairs() -> Iterator[pa.RecordBatch | Pair]:
        if include_orig:
            yield from library_pairs(theorems, scopes or {}, unproved)
        yield from results()

    staging = staging_dir(out_dir)
    report_tmp = (drop_report.with_name(f".{drop_report.name}.tmp")
                  if drop_report is not None else None)
    try:
        fh = report_tmp.open("w", encoding="utf-8") if report_tmp is not None else None
        try:
            def report(d: dict) -> None:
                if fh is not None:
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
            stats = build_dataset(pairs, staging, opts, dataset_metadata(opts, checked, run),
                                library, decontam, report, prov, checked)
        finally:
            if fh is not None:
                fh.close()
        stats.checked = checked
        stats.benchmark_items = len(items)
        stats.library_fingerprints = len(library)
        stats.include_originals = include_orig
        stats.unproved_originals = (sum(d.full_name in unproved for d, _f in theorems)
                                    if include_orig else 0)
        stats.drop_report = str(drop_report) if drop_report else None
        write_card(staging, opts, stats.as_dict(), checked)
        if opts.stats and checked:
            write_stats_bundle(staging, run=run, db_stats=db_stats, outcomes=outcomes,
                               title=opts.dataset_name)
        make_readable(staging)
        swap_in(staging, out_dir)
        if report_tmp is not None:
            report_tmp.replace(drop_report)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if report_tmp is not None and report_tmp.exists():
            report_tmp.unlink()
        raise
    return stats


def with_progress(results: Callable[[], Iterable], total: int | None, desc: str
                  ) -> Callable[[], Iterator]:
    """`results` (source batches and/or pairs), counted in rows on a tqdm bar on stderr (a
    full-Mathlib export reads millions of rows for minutes).  The bar moves every 8,192
    rows or once per batch, so the count costs next to nothing."""
    def counted() -> Iterator:
        with tqdm(total=total, desc=desc, unit="row", mininterval=0.5,
                  dynamic_ncols=True) as bar:
            n = 0
            for item in results():
                yield item
                n += item.num_rows if isinstance(item, (pa.RecordBatch, pa.Table)) else 1
                if n >= 8192:
                    bar.update(n)
                    n = 0
            bar.update(n)
    return counted


def run_corpus(run: RunDir, opts: CorpusOptions, unchecked: bool = False) -> CorpusStats:
    """Stage entry: `alchemy corpus` (verified rows) or `alchemy corpus --unchecked`; kept
    as it is when nothing it reads changed since it was last written (`corpus.marker`)."""
    opts.validate()
    stage = "unchecked" if unchecked else "corpus"
    key = marker.export_key(run, opts, stage, sources.open_db(run)) if run.db.exists() else None
    done = marker.finished_export(run, stage, key,
                                  run.unchecked_dir if unchecked else run.corpus_dir)
    if done is not None:
        log.info("%s export: nothing changed since the last one, kept", stage)
        stats = CorpusStats.from_dict(done)
        stats.reused = True
        return stats
    marker.clear_mark(run, stage)
    stats = _export_run(run, opts, unchecked)
    marker.mark_export(run, stage, key, stats.as_dict())
    return stats


def _export_run(run: RunDir, opts: CorpusOptions, unchecked: bool) -> CorpusStats:
    fp = sources.declaration_fingerprinter() if (
        opts.dedup_library or opts.include_originals) else None
    decls: list[Declaration] = []
    scopes: dict = {}
    need_decls = ((opts.dedup_library and fp is not None)
                  or (opts.include_originals and not unchecked) or bool(opts.decontam_files))
    if need_decls:
        if run.declarations.exists() or opts.include_originals:
            decls = sources.read_declarations(run)
        else:
            log.warning("%s missing: dedup against the library is skipped", run.declarations)
    unproved: frozenset[str] = frozenset()
    if opts.include_originals and not unchecked:
        scopes = sources.read_scopes(run)
        unproved = unproved_declarations(decls, sources.proof_uses_edges(run))
    text_fp = sources.lean_text_fingerprinter() if opts.decontam_files else None
    if unchecked:
        results = sources.pending_batches(run)
        out, stage = run.unchecked_dir, "unchecked"
        db_stats = None
        outcomes = None
    else:
        results = sources.verified_batches(run)
        out, stage = run.corpus_dir, "corpus"
        db_stats = sources.db_counts(run)
        outcomes = lambda: sources.outcome_counts(run)  # noqa: E731
    if opts.progress:
        counts = (db_stats if db_stats is not None else sources.db_counts(run)).get("counts", {})
        results = with_progress(results, counts.get("pending" if unchecked else "verified"),
                                stage)
    stats = export(results, out, opts, checked=not unchecked, decls=decls, scopes=scopes,
                     fingerprint=fp, text_fingerprint=text_fp, run=run,
                     drop_report=run.root / f"{stage}.dropped.jsonl", db_stats=db_stats,
                     outcomes=outcomes, unproved=unproved)
    stats.output = str(out)
    run.write_stats(stage, stats.as_dict())
    return stats
