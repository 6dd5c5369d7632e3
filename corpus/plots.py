"""PNG plots of corpus statistics (matplotlib, Agg backend: no display needed).

Why one figure per question (kinds, areas, tiers, depth, top rules, feature distributions):
each PNG can be dropped into a paper or a PR as is; with several runs each figure shows the
runs side by side so a comparison is one glance.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LEAN_STATUSES = ("verified", "rejected", "timeout", "crashed")
PLOTS = (
    ("by_kind", "Rows by mutation kind", "kind.png"),
    ("by_area", "Rows by library area (top 15)", "area.png"),
    ("by_tier", "Rows by tier", "tier.png"),
    ("by_depth", "Rows by mutation depth", "depth.png"),
    ("by_rule", "Top rule lemmas (top 15)", "rules.png"),
    ("by_split", "Rows by split", "split.png"),
)


def _bar(ax, stats: list[dict], key: str, limit: int = 15, horizontal: bool = False) -> bool:
    keys: list[str] = []
    for st in stats:
        for k in st.get(key, {}):
            if k not in keys:
                keys.append(k)
    keys = keys[:limit]
    if not keys:
        return False
    n = len(stats)
    width = 0.8 / n
    for i, st in enumerate(stats):
        vals = [st.get(key, {}).get(k, 0) for k in keys]
        pos = [j + (i - (n - 1) / 2) * width for j in range(len(keys))]
        label = st.get("name", f"run {i + 1}")
        if horizontal:
            ax.barh(pos, vals, height=width, label=label)
        else:
            ax.bar(pos, vals, width=width, label=label)
    if horizontal:
        ax.set_yticks(range(len(keys)), keys, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("rows")
    else:
        ax.set_xticks(range(len(keys)), keys, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("rows")
    if n > 1:
        ax.legend(fontsize=7)
    return True


def write_plots(out_dir: Path, stats: list[dict]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for key, title, fname in PLOTS:
        horizontal = key in ("by_rule", "by_area")
        fig, ax = plt.subplots(figsize=(7, 4.5 if horizontal else 3.5))
        try:
            if _bar(ax, stats, key, horizontal=horizontal):
                ax.set_title(title)
                fig.tight_layout()
                fig.savefig(out_dir / fname, dpi=90)
                written.append(out_dir / fname)
        finally:
            plt.close(fig)
    acc = [(st.get("acceptance") or {}).get("per_kind", {}) for st in stats]
    # kinds with at least one Lean verdict; without any (nothing checked yet) no plot,
    # rather than an empty one
    rates = [{k: (d.get("acceptance") or 0.0) * 100 for k, d in a.items()
              if any(d.get("statuses", {}).get(s) for s in LEAN_STATUSES)} for a in acc]
    if any(rates):
        fig, ax = plt.subplots(figsize=(7, 3.5))
        try:
            _bar(ax, [{"name": st.get("name"), "r": r} for st, r in zip(stats, rates)], "r")
            ax.set_ylim(0, 100)
            ax.set_ylabel("% verified")
            ax.set_title("Acceptance per mutation kind")
            fig.tight_layout()
            fig.savefig(out_dir / "acceptance.png", dpi=90)
            written.append(out_dir / "acceptance.png")
        finally:
            plt.close(fig)
    return written
