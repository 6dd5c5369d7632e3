"""The explicit Arrow schema of the corpus, with a one-line description per column.

Why explicit: a schema inferred from the first batch breaks the writer as soon as a later
batch has a null where the first had a value, or a feature key the first never saw.  Here
every column has a fixed type; the open-ended part of `features` lives in `features.extra`
(a list of key/value pairs) because Hugging Face `datasets` cannot read Arrow `map` columns.
The descriptions below feed the README, the dataset card and `--help` alike.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"

MUTATION_FIELDS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("kind", pa.string(), "`rw_goal`, `rw_hyp`, `apply_hyp`, or `original` for a library theorem"),
    ("rule", pa.string(), "full name of the lemma used by the mutation (null for originals)"),
    ("direction", pa.string(), "`fwd` (lhs → rhs) or `bwd` (rhs → lhs)"),
    ("location", pa.string(), "`goal` or the name of the rewritten hypothesis"),
    ("depth", pa.int32(), "number of mutation steps from the original (0 for originals)"),
    ("proof_style", pa.string(), "`merged` or `invoke` (how the new proof reuses the old one)"),
    ("parent", pa.string(), "original theorem name, or parent mutant id when depth > 1"),
)

FEATURE_FIELDS: tuple[tuple[str, str], ...] = (
    ("statement_chars", "characters of the statement (binders and conclusion)"),
    ("statement_words", "whitespace-separated words of the statement"),
    ("proof_chars", "characters of the proof"),
    ("proof_lines", "lines of the proof"),
    ("num_binders", "binders of the statement (a group `{a b : α}` counts 2); the mutation "
                    "engine's count when it has one"),
    ("num_hypotheses", "hypotheses: for mutants the engine's exact count (binders, not "
                       "instances, that no later binder and not the conclusion depends on); "
                       "for originals, explicit binders that look like hypotheses (a relation "
                       "or predicate in the type, or an `h…` name)"),
    ("depth", "mutation depth"),
    ("check_time", "seconds Lean took to check the declaration (null if unknown)"),
    ("difficulty", "depth + log2(1 + proof_chars/100) + log2(1 + check_time): the quantile key"),
)

MUTATION_TYPE = pa.struct([pa.field(n, t) for n, t, _ in MUTATION_FIELDS])
EXTRA_TYPE = pa.list_(pa.struct([pa.field("key", pa.string()), pa.field("value", pa.float64())]))
FEATURES_TYPE = pa.struct(
    [pa.field(n, pa.float64()) for n, _ in FEATURE_FIELDS] + [pa.field("extra", EXTRA_TYPE)])

COLUMNS: tuple[tuple[str, pa.DataType, bool, str], ...] = (
    ("id", pa.string(), False, "canonical fingerprint of the normalized statement (unique)"),
    ("name", pa.string(), False, "full name of the theorem (namespaces included; `text` declares it inside its namespace blocks)"),
    ("header", pa.string(), False,
     "`import` lines, then the scope preamble (namespaces, `open`, `variable`, options)"),
    ("formal_statement", pa.string(), False, "`theorem NAME BINDERS : CONCLUSION :=`"),
    ("proof", pa.string(), False, "proof text after `:=`"),
    ("text", pa.string(), False,
     "the complete Lean file a pretraining run reads: imports, preamble, theorem, `end`s"),
    ("source_theorem", pa.string(), False, "full name of the library theorem it derives from"),
    ("source_module", pa.string(), False, "module of that theorem, e.g. `Mathlib.Algebra.Group.Basic`"),
    ("library_area", pa.string(), False, "first two components of the module, e.g. `Mathlib.Algebra`"),
    ("imports", pa.list_(pa.string()), False, "modules imported by `text`"),
    ("mutation", MUTATION_TYPE, False, "how the theorem was made (struct, see below)"),
    ("features", FEATURES_TYPE, False,
     "difficulty features (struct of float64, nullable; `extra` holds further key/value pairs)"),
    ("tier", pa.string(), False, "difficulty tier (`easy`/`medium`/`hard` by default)"),
    ("split", pa.string(), False, "`train`, `validation` or `test`, decided by the source theorem"),
    ("checked", pa.bool_(), False, "true when Lean verified the row (always true in the corpus)"),
    ("check_backend", pa.string(), True, "checker that verified it (`batch`, `repl`...)"),
    ("lean_version", pa.string(), True, "Lean toolchain the row was checked with"),
    ("mathlib_rev", pa.string(), True, "Mathlib commit the row was checked against"),
    ("tool_version", pa.string(), False, "lean-alchemy version that produced the row"),
    ("proof_status", pa.string(), False,
     "`proved` (`proof` proves it) or `open` (the source theorem had no reusable proof: "
     "the statement is exact, the proof `sorry`; exported to `statements/`)"),
    ("relation", pa.string(), True,
     "to the source theorem: `equivalent` (rewrites with `=`/`↔` lemmas) or "
     "`implied_by_source` (an apply step, or a rewrite whose side conditions or variables "
     "became new hypotheses or binders); null for originals"),
    ("rule_library", pa.string(), True,
     "library of the rule lemma when it comes from a dependency run (e.g. `Mathlib`); "
     "null for the source library's own lemmas"),
)

SCHEMA = pa.schema([pa.field(n, t, nullable=nl) for n, t, nl, _ in COLUMNS])

# Columns whose values repeat across rows (a module, a rule, a tier...): Parquet dictionary
# encoding pays off there.  The others (ids, statements, proofs, full texts) are nearly all
# distinct: a dictionary only costs encoding time before Parquet falls back to plain pages.
DICTIONARY_COLUMNS: tuple[str, ...] = (
    "header", "source_theorem", "source_module", "library_area", "imports.list.element",
    "mutation.kind", "mutation.rule", "mutation.direction", "mutation.location",
    "mutation.proof_style", "mutation.parent", "tier", "split", "check_backend",
    "lean_version", "mathlib_rev", "tool_version", "features.extra.list.element.key",
    "proof_status", "relation", "rule_library")
COLUMN_NAMES: tuple[str, ...] = tuple(c[0] for c in COLUMNS)


def _leaf_paths(name: str, t: pa.DataType) -> list[str]:
    """Parquet column paths of an Arrow field (`mutation.kind`, `imports.list.element`)."""
    if pa.types.is_struct(t):
        return [p for i in range(t.num_fields)
                for p in _leaf_paths(f"{name}.{t.field(i).name}", t.field(i).type)]
    if pa.types.is_list(t):
        return _leaf_paths(f"{name}.list.element", t.value_type)
    return [name]


# Long Lean text: min/max statistics of such pages serve no query and cost a third of the
# writer's time, so Parquet statistics are written for every other column only (those that
# readers filter on: ids, names, modules, kinds, tiers, splits, features, versions).
LONG_TEXT_COLUMNS: tuple[str, ...] = ("header", "formal_statement", "proof", "text")
STATISTICS_COLUMNS: tuple[str, ...] = tuple(
    p for n, t, _, _ in COLUMNS if n not in LONG_TEXT_COLUMNS for p in _leaf_paths(n, t))


def schema_with_metadata(metadata: dict[str, str]) -> pa.Schema:
    """The dataset schema carrying key/value metadata (provenance) in every shard footer."""
    meta = {"lean_alchemy.schema_version": SCHEMA_VERSION}
    meta.update({f"lean_alchemy.{k}" if not k.startswith("lean_alchemy.") else k: str(v)
                 for k, v in metadata.items()})
    return SCHEMA.with_metadata(meta)


def hf_feature_of(t: pa.DataType) -> object:
    """The Hugging Face card `features:` entry of an Arrow type (the card's YAML header)."""
    if pa.types.is_struct(t):
        return {"struct": [{"name": t.field(i).name, **_hf_entry(t.field(i).type)}
                           for i in range(t.num_fields)]}
    if pa.types.is_list(t):
        return {"list": hf_feature_of(t.value_type)}
    return {"dtype": _HF_DTYPES[str(t)]}


def _hf_entry(t: pa.DataType) -> dict:
    f = hf_feature_of(t)
    return f if isinstance(f, dict) else {"dtype": f}


_HF_DTYPES = {"string": "string", "int32": "int32", "int64": "int64", "double": "float64",
              "bool": "bool"}


def markdown_schema_table() -> str:
    """The full schema as Markdown tables (README and dataset card share this text)."""
    rows = ["| column | type | description |", "|---|---|---|"]
    for n, t, nullable, desc in COLUMNS:
        ty = _type_name(t) + (" (nullable)" if nullable else "")
        rows.append(f"| `{n}` | {ty} | {desc} |")
    rows += ["", "`mutation` struct:", "", "| field | type | description |", "|---|---|---|"]
    for n, t, desc in MUTATION_FIELDS:
        rows.append(f"| `{n}` | {_type_name(t)} | {desc} |")
    rows += ["", "`features` struct (all float64, null when unknown):", "",
             "| field | description |", "|---|---|"]
    for n, desc in FEATURE_FIELDS:
        rows.append(f"| `{n}` | {desc} |")
    rows.append("| `extra` | list of `{key: string, value: float64}`: any further feature of "
                "the mutation engine |")
    return "\n".join(rows)


def _type_name(t: pa.DataType) -> str:
    if pa.types.is_struct(t):
        return "struct"
    if pa.types.is_list(t):
        return f"list<{_type_name(t.value_type)}>"
    return {"double": "float64"}.get(str(t), str(t))
