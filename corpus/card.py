"""The dataset card: `README.md` in Hugging Face card format next to the shards.

Why generated from the schema and the build counts: a hand-written card drifts from the data.
The YAML header (`configs` with one `data_files` entry per split, `dataset_info.features`,
`splits`) is what `datasets.load_dataset(DIR)` and the Hub read; the Markdown body says where
the rows come from, what was dropped and why, and documents every column.  Unchecked exports
get a different card that says loudly that Lean has not verified the rows.
"""

from __future__ import annotations

import json
from pathlib import Path

from lean_alchemy.core.rundir import atomic_write_text, tool_version

from .options import CorpusOptions
from .schema import COLUMNS, hf_feature_of, markdown_schema_table
from .splits import SPLITS


def _yaml(obj: object, indent: int = 0) -> list[str]:
    """A tiny YAML emitter (JSON-quoted scalars are valid YAML): no PyYAML dependency."""
    pad = "  " * indent
    out: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:")
                out += _yaml(v, indent + 1 if isinstance(v, dict) else indent)
            else:
                out.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict) and item:
                sub = _yaml(item, indent + 1)
                out.append(f"{pad}- {sub[0].lstrip()}")
                out += sub[1:]
            else:
                out.append(f"{pad}- {_scalar(item)}")
    return out


def _scalar(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if v == {} or v == []:
        return json.dumps(v)
    return json.dumps(str(v), ensure_ascii=False)


def split_bytes(out_dir: Path | None, split: str) -> int:
    """Bytes of a split's Parquet files (0 before they exist)."""
    if out_dir is None:
        return 0
    return sum(p.stat().st_size for p in (Path(out_dir) / "data" / split).glob("*.parquet"))


def card_header(opts: CorpusOptions, summary: dict, checked: bool,
                out_dir: Path | None = None) -> dict:
    """The YAML header.  `dataset_info.splits` needs `name`, `num_bytes` and
    `num_examples` in every entry, or `datasets` ignores it with a "malformed" warning."""
    splits = [s for s in SPLITS if s in summary["shards"]]
    features = [{"name": n, **hf_feature_of(t)} for n, t, _, _ in COLUMNS]
    return {
        "pretty_name": opts.dataset_name + ("" if checked else " (UNCHECKED candidates)"),
        "license": "apache-2.0",
        "language": ["en"],
        "tags": ["lean4", "theorem-proving", "formal-mathematics", "synthetic",
                 "lean-alchemy"] + ([] if checked else ["unverified"]),
        "configs": [{"config_name": "default", "data_files": [
            {"split": s, "path": f"data/{s}/*.parquet"} for s in splits]}],
        "dataset_info": {
            "features": features,
            "splits": [{"name": s, "num_bytes": split_bytes(out_dir, s),
                        "num_examples": int(summary["by_split"].get(s, 0))} for s in splits],
        },
    }


def render_card(opts: CorpusOptions, summary: dict, checked: bool,
                out_dir: Path | None = None) -> str:
    head = "\n".join(["---"] + _yaml(card_header(opts, summary, checked, out_dir))
                     + ["---", ""])
    title = f"# {opts.dataset_name}" + ("" if checked else " — UNCHECKED candidates")
    body = [title, ""]
    if checked:
        body += [
            "Synthetic Lean 4 theorems made by `lean-alchemy`: each row is a theorem of the "
            "source library rewritten (`rw`) or strengthened through an implication (`apply`) "
            "by one library lemma, with a proof built from the original one, and **verified "
            "by Lean** (`checked = true` in every row).",
        ]
    else:
        body += [
            "> **Warning: Lean has NOT checked these rows.** They are mutation candidates "
            "awaiting verification (`checked = false` in every row and in the file metadata). "
            "Many will not compile. Never mix them into a training set as verified data; use "
            "`alchemy check` then `alchemy corpus` for the verified corpus.",
        ]
    by_split = ", ".join(f"{s}: {summary['by_split'].get(s, 0)}" for s in SPLITS)
    by_tier = ", ".join(f"{k}: {v}" for k, v in sorted(summary["by_tier"].items()))
    dropped = ", ".join(f"{k}: {v}" for k, v in sorted(summary["dropped"].items())) or "none"
    lean = ", ".join(summary.get("lean_versions", {})) or "unknown"
    mathlib = ", ".join(summary.get("mathlib_revs", {})) or "unknown"
    body += [
        "", "## Provenance", "",
        f"- produced by lean-alchemy {tool_version()} from the run directory recorded in the "
        "Parquet metadata key `lean_alchemy.source_run`",
        f"- Lean toolchain(s): {lean}",
        f"- Mathlib revision(s): {mathlib}",
        f"- original library theorems included as rows of kind `original`: "
        f"{'yes' if summary.get('include_originals') else 'no'}",
        "", "## Counts", "",
        f"- rows: {summary['rows']} (read: {summary['input_rows']})",
        f"- by split: {by_split}",
        f"- by tier: {by_tier or 'none'}",
        f"- dropped: {dropped}",
        "", "## Splits and hygiene", "",
        f"Rows are split by **source theorem** (all mutants of one original land in one split) "
        f"with a keyed hash (seed `{opts.split_seed}`; fractions train {opts.train_fraction}, "
        f"validation {opts.validation_fraction}, test {opts.test_fraction}). Names on the exclusion list "
        f"go to `{opts.exclude_split}`. Duplicates are removed by canonical statement "
        "fingerprint across the dataset"
        + (" and against the source library" if opts.dedup_library else "") + ". "
        + (f"Rows matching any of {summary.get('benchmark_items', 0)} benchmark statements "
           f"(fingerprint, normalized text, or {opts.ngram_n}-gram overlap ≥ "
           f"{opts.ngram_threshold}) were dropped; see the drop report."
           if summary.get("benchmark_items") else "No decontamination set was given."),
        "", "## Tiers", "",
        _tier_text(opts, summary),
        "", "## Loading", "",
        "From this folder (`DIR`), every split:", "",
        "```python",
        "from datasets import load_dataset",
        "ds = load_dataset(\"DIR\")  # reads this card: " + ", ".join(
            s for s in SPLITS if s in summary["shards"]),
        "ds = load_dataset(\"parquet\", data_files={"
        + ", ".join(f'\"{s}\": \"DIR/data/{s}/*.parquet\"' for s in SPLITS
                    if s in summary["shards"]) + "})",
        "import pyarrow.dataset as pads",
        "table = pads.dataset(\"DIR/data\", format=\"parquet\").to_table()  # all rows; "
        "column `split`",
        "```",
        "", "## Schema", "", markdown_schema_table(), "",
    ]
    return head + "\n".join(body)


def _tier_text(opts: CorpusOptions, summary: dict) -> str:
    if opts.tier_method == "quantiles":
        return (f"Tiers {', '.join(opts.tier_names)} by quantiles {list(opts.tier_quantiles)} of "
                f"feature `{opts.tier_feature}` (cut values {summary.get('tier_cuts')}).")
    rules = "\n".join(f"- `{r}`" for r in opts.tier_rules)
    return "Tiers by ordered rules over `features` (first match wins):\n\n" + rules


def write_card(out_dir: Path, opts: CorpusOptions, summary: dict, checked: bool) -> Path:
    return atomic_write_text(Path(out_dir) / "README.md",
                             render_card(opts, summary, checked, out_dir))
