"""What the corpus is made of: tables by mutation kind, rule, library area, tier and depth,
acceptance and error classes per kind, and the comparison of two runs.

Why computed from the written Parquet (not from the build's counters): the numbers must
describe the dataset users load, including one exported by an older version; acceptance needs
the run database, which holds the mutants Lean rejected (they are not in the corpus).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundir import RunDir, atomic_write_text

from .schema import FEATURE_FIELDS

TOP_RULES = 30
TABLES = (("by_kind", "mutation kind"), ("by_rule", "rule lemma"), ("by_area", "library area"),
          ("by_tier", "tier"), ("by_depth", "depth"), ("by_split", "split"))


def read_corpus(corpus_dir: Path) -> pa.Table:
    files = sorted((Path(corpus_dir) / "data").rglob("*.parquet"))
    if not files:
        return pa.table({})
    cols = ["mutation", "library_area", "tier", "split", "features"]
    return pads.dataset([str(f) for f in files], format="parquet").to_table(columns=cols)


def _counts(arr: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    vc = pc.value_counts(arr)
    out = {("null" if v is None else str(v)): int(c) for v, c in
           zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist())}
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _summary(values: list[float]) -> dict[str, float] | None:
    vals = sorted(v for v in values if v is not None and not math.isnan(v))
    if not vals:
        return None
    q = lambda p: vals[min(len(vals) - 1, int(p * len(vals)))]  # noqa: E731
    return {"mean": round(sum(vals) / len(vals), 4), "p50": q(0.5), "p90": q(0.9),
            "max": vals[-1], "n": len(vals)}


def corpus_stats(table: pa.Table) -> dict:
    """Tables over the rows of a corpus (a table with mutation/library_area/tier/... columns)."""
    if table.num_rows == 0 or "mutation" not in table.column_names:
        return {"rows": 0, **{k: {} for k, _ in TABLES}, "features": {}}
    mutation = table.column("mutation").combine_chunks()
    kind = mutation.field("kind")
    rule = mutation.field("rule")
    depth = mutation.field("depth")
    by_rule = _counts(rule)
    out = {
        "rows": table.num_rows,
        "by_kind": _counts(kind),
        "by_rule": dict(list(by_rule.items())[:TOP_RULES]),
        "distinct_rules": len(by_rule),
        "by_area": _counts(table.column("library_area")),
        "by_tier": _counts(table.column("tier")),
        "by_depth": dict(sorted(_counts(depth).items(), key=lambda kv: kv[0])),
        "by_split": _counts(table.column("split")),
    }
    feats = table.column("features").combine_chunks()
    out["features"] = {n: s for n, _ in FEATURE_FIELDS
                       if (s := _summary(feats.field(n).to_pylist())) is not None}
    # kind x tier, for the stacked plot
    kt: dict[str, Counter] = defaultdict(Counter)
    for k, t in zip(kind.to_pylist(), table.column("tier").to_pylist()):
        kt[str(k)][str(t)] += 1
    out["kind_by_tier"] = {k: dict(v) for k, v in kt.items()}
    return out


Outcome = tuple[str, str, "str | None", int]
"""(mutation kind, status, error class, rows): what acceptance statistics count."""


def outcomes_of(results: Iterable[tuple[Mutant, Verdict | None]]) -> Iterator[Outcome]:
    """Records as outcomes (a row without a verdict is `pending`)."""
    for m, v in results:
        yield (m.kind, v.status, v.error_class, 1) if v is not None else (m.kind, "pending",
                                                                          None, 1)


def acceptance(outcomes: Iterable[Outcome]) -> dict:
    """Per mutation kind: status counts, acceptance rate, error classes (the run database:
    `RunDB.outcome_counts` counts them there)."""
    status: dict[str, Counter] = defaultdict(Counter)
    errors: dict[str, Counter] = defaultdict(Counter)
    for kind, st, error_class, n in outcomes:
        status[kind][st] += n
        if st not in ("verified", "pending"):
            errors[kind][error_class or st] += n
    per_kind = {}
    for k, c in sorted(status.items()):
        decided = sum(n for s, n in c.items() if s not in ("pending", "running"))
        per_kind[k] = {"statuses": dict(c), "total": sum(c.values()),
                       "verified": c.get("verified", 0),
                       "acceptance": round(c.get("verified", 0) / decided, 4) if decided else None}
    return {"per_kind": per_kind,
            "error_classes": {k: dict(v.most_common()) for k, v in sorted(errors.items())}}


def run_stats(corpus_dir: Path, db_stats: dict | None = None,
              outcomes: Iterable[Outcome] | None = None,
              name: str = "") -> dict:
    st = corpus_stats(read_corpus(corpus_dir))
    st["name"] = name or str(corpus_dir)
    if outcomes is not None:
        st["acceptance"] = acceptance(outcomes)
    if db_stats:
        st["database"] = db_stats
    return st


def compare(a: dict, b: dict) -> dict:
    """Side-by-side counts of two runs: for each table, key -> [a, b, b - a]."""
    out: dict = {"runs": [a.get("name", "A"), b.get("name", "B")],
                 "rows": [a.get("rows", 0), b.get("rows", 0), b.get("rows", 0) - a.get("rows", 0)]}
    for key, _ in TABLES:
        ta, tb = a.get(key, {}), b.get(key, {})
        out[key] = {k: [ta.get(k, 0), tb.get(k, 0), tb.get(k, 0) - ta.get(k, 0)]
                    for k in sorted(set(ta) | set(tb), key=lambda k: -(ta.get(k, 0) + tb.get(k, 0)))}
    acc = {}
    pa_, pb_ = (a.get("acceptance") or {}).get("per_kind", {}), (b.get("acceptance") or {}).get(
        "per_kind", {})
    for k in sorted(set(pa_) | set(pb_)):
        acc[k] = [pa_.get(k, {}).get("acceptance"), pb_.get(k, {}).get("acceptance")]
    out["acceptance"] = acc
    return out


def format_table(title: str, counts: dict, total: int | None = None, limit: int = 20) -> str:
    if not counts:
        return f"{title}: (none)"
    total = total or sum(v for v in counts.values() if isinstance(v, int)) or 1
    width = max(len(str(k)) for k in list(counts)[:limit])
    lines = [title]
    for k, v in list(counts.items())[:limit]:
        lines.append(f"  {str(k):<{width}}  {v:>9}  {100 * v / total:5.1f}%")
    if len(counts) > limit:
        lines.append(f"  ... {len(counts) - limit} more")
    return "\n".join(lines)


def format_stats(st: dict) -> str:
    parts = [f"== {st.get('name', '')}: {st['rows']} rows"]
    for key, title in TABLES:
        parts.append(format_table(f"by {title}", st.get(key, {}), st["rows"]))
    acc = st.get("acceptance")
    if acc:
        lines = ["acceptance per kind (verified / decided)"]
        for k, d in acc["per_kind"].items():
            rate = "n/a" if d["acceptance"] is None else f"{100 * d['acceptance']:.1f}%"
            lines.append(f"  {k:<12} {d['verified']:>8} / {d['total']:<8} {rate}")
            errs = acc["error_classes"].get(k, {})
            for e, n in list(errs.items())[:5]:
                lines.append(f"      {e}: {n}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def format_compare(c: dict) -> str:
    a, b = c["runs"]
    parts = [f"== compare  A = {a}\n           B = {b}\n  rows: {c['rows'][0]} -> {c['rows'][1]} "
             f"({c['rows'][2]:+d})"]
    for key, title in TABLES:
        rows = c.get(key, {})
        if not rows:
            continue
        width = max(len(str(k)) for k in list(rows)[:15])
        lines = [f"by {title}            A          B      B-A"]
        for k, (x, y, d) in list(rows.items())[:15]:
            lines.append(f"  {str(k):<{width}}  {x:>9}  {y:>9}  {d:+8d}")
        parts.append("\n".join(lines))
    if c.get("acceptance"):
        lines = ["acceptance per kind      A        B"]
        for k, (x, y) in c["acceptance"].items():
            f = lambda r: "n/a" if r is None else f"{100 * r:.1f}%"  # noqa: E731
            lines.append(f"  {k:<12}  {f(x):>8} {f(y):>8}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def write_stats_bundle(corpus_dir: Path, run: RunDir | None = None, db_stats: dict | None = None,
                       outcomes=None, title: str = "") -> dict:
    """stats.json, plots/*.png and report.html inside `corpus_dir`; `outcomes`: acceptance
    counts (`Outcome`s, or a callable giving them)."""
    st = run_stats(corpus_dir, db_stats, outcomes() if callable(outcomes) else outcomes,
                   name=str(run.root) if run is not None else title)
    write_outputs(Path(corpus_dir), [st], None, title or st["name"])
    return st


def write_outputs(out_dir: Path, stats: list[dict], comparison: dict | None, title: str) -> dict:
    from .plots import write_plots
    from .report import write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    doc = stats[0] if len(stats) == 1 and comparison is None else {"runs": stats,
                                                                    "comparison": comparison}
    atomic_write_text(out_dir / "stats.json",
                      json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    plots = write_plots(out_dir / "plots", stats)
    write_report(out_dir / "report.html", title, stats, comparison, plots)
    for f in (out_dir / "stats.json", out_dir / "report.html", *plots):
        f.chmod(0o644)
    return doc
