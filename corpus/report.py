"""One self-contained HTML report: tables plus the PNG plots inlined as base64.

Why self-contained: the report is mailed, attached to issues and opened from object stores;
one file with no external CSS, JS or image links renders the same everywhere.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from lean_alchemy.core.rundir import atomic_write_text

from .stats import TABLES

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 8px}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
.grid{display:flex;flex-wrap:wrap;gap:1.5em}img{max-width:100%;border:1px solid #eee}
h2{border-bottom:1px solid #ddd}"""


def _table(headers: list[str], rows: list[list[object]]) -> str:
    h = "".join(f"<th>{html.escape(x)}</th>" for x in headers)
    body = []
    for r in rows:
        cells = []
        for c in r:
            cls = ' class="n"' if isinstance(c, (int, float)) else ""
            txt = f"{c:.1%}" if isinstance(c, float) and 0 <= c <= 1 else str(c)
            cells.append(f"<td{cls}>{html.escape(txt)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{h}</tr>{''.join(body)}</table>"


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(path.name)}</figcaption></figure>")


def render_report(title: str, stats: list[dict], comparison: dict | None,
                  plots: list[Path]) -> str:
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
           f"</title><style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    if comparison is not None:
        a, b = comparison["runs"]
        out.append(f"<h2>Comparison</h2><p>A = {html.escape(str(a))}<br>B = "
                   f"{html.escape(str(b))}</p>")
        out.append(_table(["", "A", "B", "B−A"], [["rows", *comparison["rows"]]]))
        for key, label in TABLES:
            rows = [[k, *v] for k, v in list(comparison.get(key, {}).items())[:25]]
            if rows:
                out.append(f"<h3>by {html.escape(label)}</h3>" + _table([label, "A", "B", "B−A"],
                                                                         rows))
        if comparison.get("acceptance"):
            out.append("<h3>acceptance per kind</h3>" + _table(
                ["kind", "A", "B"], [[k, *("n/a" if x is None else x for x in v)]
                                     for k, v in comparison["acceptance"].items()]))
    if plots:
        out.append("<h2>Plots</h2><div class='grid'>" + "".join(_img(p) for p in plots) + "</div>")
    for st in stats:
        n = st.get("rows", 0) or 1
        out.append(f"<h2>{html.escape(str(st.get('name', '')))} — {st.get('rows', 0)} rows</h2>")
        for key, label in TABLES:
            counts = st.get(key, {})
            if counts:
                out.append(f"<h3>by {html.escape(label)}</h3>" + _table(
                    [label, "rows", "share"], [[k, v, v / n] for k, v in counts.items()]))
        feats = st.get("features", {})
        if feats:
            out.append("<h3>features</h3>" + _table(
                ["feature", "mean", "p50", "p90", "max"],
                [[k, *(f"{d[q]:g}" for q in ("mean", "p50", "p90", "max"))]
                 for k, d in feats.items()]))
        acc = st.get("acceptance")
        if acc:
            rows = []
            for k, d in acc["per_kind"].items():
                errs = ", ".join(f"{e}: {c}" for e, c in list(acc["error_classes"].get(k, {})
                                                               .items())[:6])
                rows.append([k, d["total"], d["verified"],
                             "n/a" if d["acceptance"] is None else d["acceptance"], errs])
            out.append("<h3>acceptance and error classes per kind</h3>" + _table(
                ["kind", "mutants", "verified", "acceptance", "top error classes"], rows))
    out.append("</body></html>")
    return "\n".join(out)


def write_report(path: Path, title: str, stats: list[dict], comparison: dict | None,
                 plots: list[Path]) -> Path:
    return atomic_write_text(path, render_report(title, stats, comparison, plots))
