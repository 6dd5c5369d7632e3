"""Turn records (verified Mutant + Verdict, or a library Declaration) into corpus rows.

Library theorems become Mutants of kind `original` so that one column-wise function builds
every row; hygiene (dedup, decontamination, splits) reads Mutant fields, and tiers read the
`features` column, so everything is testable without a database or Lean.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from lean_alchemy.core.records import Declaration, Mutant, Scope, Verdict, content_hash

from .schema import EXTRA_TYPE, FEATURE_FIELDS, FEATURES_TYPE, MUTATION_TYPE

_FIXED_FEATURES = frozenset(n for n, _ in FEATURE_FIELDS)
# An explicit binder is a hypothesis when its type holds a relation or a common predicate, or
# when it is named like one (`h`, `hx`, `h₁`: Mathlib's convention).  `→` is left out on
# purpose: `(f : α → β)` is data.
_HYP_MARKERS = ("=", "≠", "<", ">", "≤", "≥", "∣", "∈", "∉", "⊆", "⊂", "∧", "∨", "¬", "↔",
                "∃", "Prime", "IsUnit", "Continuous", "Monotone", "Injective", "Surjective",
                "Finite", "Nonempty", "True", "False")


@dataclass(frozen=True)
class Provenance:
    """Versions stamped on every row (the verdict's own versions win when present)."""

    lean_version: str | None = None
    mathlib_rev: str | None = None
    tool_version: str = ""


@functools.lru_cache(maxsize=65536)
def _import_lines(imports: tuple[str, ...]) -> str:
    return "\n".join(f"import {m}" for m in imports)


def import_lines(imports: tuple[str, ...] | list[str]) -> str:
    return _import_lines(tuple(imports))


@functools.lru_cache(maxsize=65536)
def library_area(module: str) -> str:
    """`Mathlib.Algebra.Group.Basic` -> `Mathlib.Algebra`: the coarse area used in stats."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


# A top-level binder group with up to two levels of nested brackets inside its type.
_INNER = (r"(?:[^()\[\]{}⦃⦄]++|\((?:[^()]++|\([^()]*+\))*+\)"
          r"|\[(?:[^\[\]]++|\[[^\[\]]*+\])*+\]|\{[^{}]*+\})*+")
_GROUP = re.compile(r"\s*([(\[{⦃])(" + _INNER + r")[)\]}⦄]")
_HYP = re.compile("|".join(re.escape(m) for m in _HYP_MARKERS))


_GROUPS = re.compile(r"(?:\s*[(\[{⦃]" + _INNER + r"[)\]}⦄])*")


def statement_parts(statement: str) -> list[tuple[str, str]]:
    """Leading binder groups of a signature as (bracket, inner text), for hypothesis counts.

    A regex walk (not a full parse) because it runs once per row on millions of rows; types
    nested more than three brackets deep end the walk early (the counts are then low).
    """
    end = _GROUPS.match(statement).end()
    return _GROUP.findall(statement, 0, end)


_COUNT_CACHE: dict[str, tuple[int, int]] = {}


def binder_counts(statement: str) -> tuple[int, int]:
    """(binders, hypotheses): a group `{a b : α}` counts 2; `[Group G]` counts 1 binder.

    Cached by binder prefix: mutants of one theorem mostly share their binders.
    """
    end = _GROUPS.match(statement).end()
    prefix = statement[:end]
    hit = _COUNT_CACHE.get(prefix)
    if hit is not None:
        return hit
    num_binders = 0
    num_hyps = 0
    hyp = _HYP.search
    for br, inner in _GROUP.findall(prefix):
        names, sep, ty = inner.partition(" : ")
        if not sep:
            names, sep, ty = inner.partition(":")
            if not sep:
                num_binders += 1
                continue
        k = len(names.split()) or 1
        num_binders += k
        if br == "(" and (hyp(ty) or names.lstrip().startswith("h")):
            num_hyps += k
    if len(_COUNT_CACHE) > 200_000:
        _COUNT_CACHE.clear()
    _COUNT_CACHE[prefix] = (num_binders, num_hyps)
    return num_binders, num_hyps


def statement_features(statement: str) -> dict[str, float]:
    nb, nh = binder_counts(statement)
    return {"statement_chars": float(len(statement)),
            "statement_words": float(len(statement.split())),
            "num_binders": float(nb), "num_hypotheses": float(nh)}


def difficulty(depth: float, proof_chars: float, check_time: float | None) -> float:
    """The documented scalar the quantile tiering ranks (see schema FEATURE_FIELDS)."""
    return depth + math.log2(1 + proof_chars / 100) + math.log2(1 + (check_time or 0.0))


def features_array(statements: list[str], proofs: list[str], depths: list[int],
                   check_times: list[float | None],
                   engine: list[tuple[tuple[str, float], ...]]) -> pa.StructArray:
    """The `features` column of a batch, computed column-wise (the export's hot path)."""
    n = len(statements)
    counts = list(map(binder_counts, statements))
    nb = [b for b, _ in counts]
    nh = [h for _, h in counts]
    f64, i64 = pa.float64(), pa.int64()
    proof_chars = pc.cast(pa.array([len(p) for p in proofs], i64), f64)
    newlines = pc.cast(pa.array([p.count("\n") for p in proofs], i64), f64)
    proof_lines = pc.if_else(pc.equal(proof_chars, 0.0), 0.0, pc.add(newlines, 1.0))
    cols: dict[str, pa.Array] = {
        "statement_chars": pc.cast(pa.array([len(s) for s in statements], i64), f64),
        "statement_words": pc.cast(pa.array([len(s.split()) for s in statements], pa.int64()),
                                   pa.float64()),
        "proof_chars": proof_chars,
        "proof_lines": proof_lines,
        "num_binders": pc.cast(pa.array(nb, pa.int64()), pa.float64()),
        "num_hypotheses": pc.cast(pa.array(nh, pa.int64()), pa.float64()),
        "depth": pc.cast(pa.array(depths, pa.int64()), pa.float64()),
        "check_time": pa.array(check_times, pa.float64()),
    }
    lens = [len(f) for f in engine]
    keys: list = [k for f in engine for k, _ in f]
    values: list = [v for f in engine for _, v in f]
    offsets = [0, *itertools.accumulate(lens)]
    overrides: dict[str, dict[int, float | None]] = {}
    if keys and not _FIXED_FEATURES.isdisjoint(keys):  # slow path: the engine overrides ours
        keys, values, offsets = [], [], [0]
        for i, feats in enumerate(engine):
            for k, v in feats:
                if k in _FIXED_FEATURES and k != "difficulty":
                    overrides.setdefault(k, {})[i] = None if v is None else float(v)
                else:
                    keys.append(k)
                    values.append(v)
            offsets.append(len(keys))
    for k, patch in overrides.items():
        vals = cols[k].to_pylist()
        for i, v in patch.items():
            vals[i] = v
        cols[k] = pa.array(vals, pa.float64())
    ct = pc.fill_null(cols["check_time"], 0.0)
    cols["difficulty"] = pc.add(pc.add(pc.fill_null(cols["depth"], 0.0), pc.log2(pc.add(
        pc.divide(pc.fill_null(cols["proof_chars"], 0.0), 100.0), 1.0))), pc.log2(pc.add(ct, 1.0)))
    cols["extra"] = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()),
        pa.StructArray.from_arrays([pa.array(keys, pa.string()), pa.array(values, pa.float64())],
                                   fields=list(EXTRA_TYPE.value_type)))
    return pa.StructArray.from_arrays([cols[f.name] for f in FEATURES_TYPE],
                                      fields=list(FEATURES_TYPE))


def make_features(statement: str, proof: str, depth: int, check_time: float | None,
                  engine: tuple[tuple[str, float], ...] = ()) -> dict:
    """One row's features as a dict (same computation as `features_array`)."""
    return features_array([statement], [proof], [depth], [check_time], [engine]).to_pylist()[0]


def formal_statement(name: str, statement: str, keyword: str = "theorem") -> str:
    sig = statement.strip()
    return f"{keyword} {name} {sig} :="


LIBRARY_VERDICT = Verdict(mutant_id="", status="verified", backend="library")
"""The verdict given to library theorems exported as rows of kind `original`."""


def original_mutant(d: Declaration, scope: Scope | None, fingerprint: str | None) -> Mutant:
    """A library theorem as a Mutant of kind `original`, so one code path builds every row."""
    imports = (tuple(scope.imports) if scope is not None else ()) or (d.module,)
    pre = scope.preamble() if scope is not None else ""
    post = scope.postamble() if scope is not None else ""
    proof = (d.proof or "").strip()
    decl = f"{formal_statement(d.name, d.statement)} {proof}".rstrip()
    body = "\n\n".join(x for x in (pre, decl, post) if x.strip())
    return Mutant(
        id=fingerprint or "orig-" + content_hash(d.full_name, d.statement), name=d.full_name,
        parent="", source_theorem=d.full_name, source_module=d.module, rule="", kind="original",
        direction="", location="", depth=0, proof_style=d.proof_style or "",
        statement=d.statement, proof=proof, imports=imports, header=pre, lean=body,
        scope_id=d.scope_id or "")


_DECLARED = re.compile(r"^(?:@\[[^\n]*\]\s*)?(?:protected\s+|private\s+)?(?:theorem|lemma)\s+(\S+)", re.M)


def declared_name(m: Mutant) -> str:
    """The name as declared inside the check unit (relative to its namespace blocks).

    `Mutant.name` is the full name (the corpus' identifier); the declaration inside `header`
    may be written shorter (`theorem foo_rw_goal_1a2b` inside `namespace Bar`), and
    `formal_statement` must use that spelling so `header + formal_statement + proof` is the
    same Lean as `text`.
    """
    found = _DECLARED.search(m.lean)
    return found.group(1) if found else m.name


def mutant_columns(pairs: list[tuple[Mutant, Verdict | None]], prov: Provenance,
                   checked: bool = True) -> dict[str, pa.Array]:
    """Every column but `tier`/`split` for a batch of (mutant, verdict), built column-wise.

    Why column-wise: this is the export's hot path; list comprehensions per column and Arrow
    kernels cost a fraction of building one dict per row.  `v` is None for `--unchecked`.
    """
    ms = [m for m, _ in pairs]
    vs = [v for _, v in pairs]
    n = len(ms)
    imports = [list(m.imports) or [m.source_module] for m in ms]
    imp = [import_lines(x) for x in imports]
    header = [i + "\n\n" + m.header if m.header and not m.header.isspace() else i
              for i, m in zip(imp, ms)]
    text = [i + "\n\n" + m.lean.strip() + "\n" for i, m in zip(imp, ms)]
    formal = [f"theorem {declared_name(m)} {m.statement.strip()} :=" for m in ms]
    depths = [m.depth for m in ms]
    check_times = [(v.elapsed or None) if v is not None else None for v in vs]
    s = pa.string()

    def opt(vals: list[str]) -> pa.Array:  # "" means "not applicable" (originals)
        return pa.array([x or None for x in vals], s)

    mutation = pa.StructArray.from_arrays([
        pa.array([m.kind for m in ms], s),
        opt([m.rule for m in ms]),
        opt([m.direction for m in ms]),
        opt([m.location for m in ms]),
        pa.array(depths, pa.int32()),
        opt([m.proof_style for m in ms]),
        opt([m.parent for m in ms]),
    ], fields=list(MUTATION_TYPE))
    feats = features_array([m.statement for m in ms], [m.proof for m in ms], depths,
                           check_times, [m.features for m in ms])
    lean = [v.lean_version if v is not None and v.lean_version else prov.lean_version
            for v in vs]
    rev = [v.mathlib_rev if v is not None and v.mathlib_rev else prov.mathlib_rev for v in vs]
    return {
        "id": pa.array([m.id for m in ms], s),
        "name": pa.array([m.name for m in ms], s),
        "header": pa.array(header, s),
        "formal_statement": pa.array(formal, s),
        "proof": pa.array([m.proof for m in ms], s),
        "text": pa.array(text, s),
        "source_theorem": pa.array([m.source_theorem for m in ms], s),
        "source_module": pa.array([m.source_module for m in ms], s),
        "library_area": pa.array([library_area(m.source_module) for m in ms], s),
        "imports": pa.array(imports, pa.list_(s)),
        "mutation": mutation,
        "features": feats,
        "checked": pa.array([bool(checked and v is not None and v.status == "verified")
                             for v in vs], pa.bool_()),
        "check_backend": pa.array([(v.backend or None) if v is not None else None for v in vs],
                                  s),
        "lean_version": pa.array(lean, s),
        "mathlib_rev": pa.array(rev, s),
        "tool_version": pa.array([prov.tool_version] * n, s),
    }


def rows_table(cols: dict[str, pa.Array], schema: pa.Schema) -> pa.Table:
    """Columns (from `mutant_columns` plus `tier` and `split`) in schema order."""
    return pa.Table.from_arrays([cols[f.name] for f in schema], schema=schema)


def mutant_row(m: Mutant, v: Verdict | None, prov: Provenance, checked: bool = True,
               tier: str | None = None, split: str | None = None) -> dict:
    """One row as a dict (single-row API for tests and tools; the export works in batches)."""
    cols = mutant_columns([(m, v)], prov, checked)
    row = {k: a[0].as_py() for k, a in cols.items()}
    row["tier"], row["split"] = tier, split
    return row


def original_row(d: Declaration, scope: Scope | None, fingerprint: str | None,
                 prov: Provenance) -> dict:
    return mutant_row(original_mutant(d, scope, fingerprint), LIBRARY_VERDICT, prov)
