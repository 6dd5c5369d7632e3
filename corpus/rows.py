"""Turn source batches (`corpus.source`: database rows, or records) into corpus columns.

Library theorems become Mutants of kind `original` (then source batches like every other
row) so that one column-wise path builds every row; tiers read the `features` column, so
everything is testable without a database or Lean.  The per-row definitions kept here
(`import_lines`, `binder_counts`, `declared_name`) are what the batch code is tested against.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lean_alchemy.core.records import Declaration, Mutant, Scope, Verdict, content_hash

from .schema import EXTRA_TYPE, FEATURE_FIELDS, FEATURES_TYPE, MUTATION_TYPE
from .source import (batch_column, engine_lists, import_lines_column,
                     imports_lists, pairs_to_batch)

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
    """`import A\nimport B` (the per-row definition of `source.import_lines_column`)."""
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


_COUNT_CACHE: dict[str, tuple[int, int]] = {}


def binder_counts(statement: str) -> tuple[int, int]:
    """(binders, hypotheses): a group `{a b : α}` counts 2; `[Group G]` counts 1 binder.

    Cached by binder prefix: mutants of one theorem mostly share their binders.
    """
    prefix = statement[:_GROUPS.match(statement).end()]
    return _COUNT_CACHE.get(prefix) or _prefix_counts(prefix)


def _prefix_counts(prefix: str) -> tuple[int, int]:
    """`binder_counts` of a binder prefix (already cut by `_GROUPS`), cached."""
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


# Python's whitespace (`str.isspace`, what `str.split()`/`str.strip()`/`\s` use); none lies
# above U+3000 (a test checks the whole code space).  Arrow's `utf8_is_space` is the same set
# (also tested), so `utf8_trim_whitespace` is `str.strip()`.
PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_RE2_WS = "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE)
_ASCII_WS = np.zeros(256, np.bool_)
_ASCII_WS[[ord(c) for c in PY_WHITESPACE if ord(c) < 128]] = True
_NON_ASCII_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE if ord(c) >= 128) + "]"
# `_GROUPS` for RE2: greedy instead of possessive quantifiers (the same match here: every
# bracket alternative starts with its own opener and a run never holds a closer, so giving
# back characters can never let the closer match) and `\s` as Python's whitespace set.
_GROUPS_RE2 = "^(?P<prefix>" + _GROUPS.pattern.replace("++", "+").replace("*+", "*").replace(
    "\\s", "[" + _RE2_WS + "]") + ")"


def utf8_array(values: list[str]) -> pa.Array:
    """Python strings as an Arrow string array (tools and tests: the export reads Arrow)."""
    return pa.array(values, pa.string())


def word_counts(arr: pa.Array) -> np.ndarray:
    """`len(s.split())` of every string of `arr`, as int64.

    Counted over the UTF-8 bytes: a word starts at a non-space byte after a space byte or at
    the start of the string (continuation bytes never follow a space).  Rows holding a
    non-ASCII space (rare) are counted by Python.
    """
    n = len(arr)
    counts = np.zeros(n, np.int64)
    if n == 0:
        return counts
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], np.int32, count=n + 1, offset=arr.offset * 4)
    base, end = int(offsets[0]), int(offsets[-1])
    if end > base:
        ws = np.take(_ASCII_WS, np.frombuffer(bufs[2], np.uint8, count=end - base, offset=base))
        start = np.empty_like(ws)  # start[j]: byte j begins a word (not space, space before)
        start[0] = True
        start[1:] = ws[:-1]
        rel = offsets - base
        first = rel[:-1][rel[:-1] < rel[1:]]  # where each non-empty string begins
        start[first] = True
        np.greater(start, ws, out=start)
        nonempty = rel[:-1] < rel[1:]
        counts[nonempty] = np.add.reduceat(start.view(np.uint8), first, dtype=np.int32)
    odd = pc.match_substring_regex(arr, _NON_ASCII_WS)
    if pc.any(odd).as_py():
        for i in np.flatnonzero(odd.to_numpy(zero_copy_only=False)):
            counts[i] = len(arr[int(i)].as_py().split())
    return counts


def statement_features(statement: str) -> dict[str, float]:
    nb, nh = binder_counts(statement)
    return {"statement_chars": float(len(statement)),
            "statement_words": float(len(statement.split())),
            "num_binders": float(nb), "num_hypotheses": float(nh)}


def statement_binder_counts(statements: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(binders, hypotheses) of a batch as float64 arrays: `binder_counts` per distinct
    binder prefix, the prefixes cut by one RE2 pass (`_GROUPS_RE2`) in Arrow."""
    prefixes = pc.dictionary_encode(pc.extract_regex(statements, _GROUPS_RE2).field(0))
    get = _COUNT_CACHE.get
    count = _prefix_counts
    uniq = [get(p) or count(p) for p in prefixes.dictionary.to_pylist()]
    idx = prefixes.indices
    f64 = pa.float64()
    return (pc.take(pa.array([b for b, _ in uniq], f64), idx),
            pc.take(pa.array([h for _, h in uniq], f64), idx))


def _features(st_arr: pa.Array, proof_arr: pa.Array, depths: pa.Array, check_times: pa.Array,
              engine: pa.ListArray | None) -> pa.StructArray:
    """The `features` column of a batch: only Arrow kernels and numpy per row
    (both release the GIL), Python once per distinct binder prefix and engine feature."""
    n = len(st_arr)
    f64 = pa.float64()
    proof_chars = pc.cast(pc.utf8_length(proof_arr), f64)
    newlines = pc.cast(pc.count_substring(proof_arr, "\n"), f64)
    proof_lines = pc.if_else(pc.equal(proof_chars, 0.0), 0.0, pc.add(newlines, 1.0))
    cols: dict[str, pa.Array] = {
        "statement_chars": pc.cast(pc.utf8_length(st_arr), f64),
        "statement_words": pa.array(word_counts(st_arr).astype(np.float64)),
        "proof_chars": proof_chars,
        "proof_lines": proof_lines,
        "depth": pc.cast(depths, f64),
        "check_time": check_times,
    }
    text_counts: dict[str, pa.Array] = {}

    def from_text() -> dict[str, pa.Array]:
        """Binder counts read off the statement text (one RE2 pass), computed only when
        some row lacks the engine's exact counts."""
        if not text_counts:
            text_counts["num_binders"], text_counts["num_hypotheses"] = (
                statement_binder_counts(st_arr))
        return text_counts

    if engine is None or engine.offsets[-1].as_py() == engine.offsets[0].as_py():  # none
        extra = pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)),
                                         pa.array([], EXTRA_TYPE.value_type))
    else:
        extra = _merge_engine(cols, engine, from_text)
    for key in ("num_binders", "num_hypotheses"):
        if key not in cols:
            cols[key] = from_text()[key]
    ct = pc.fill_null(cols["check_time"], 0.0)
    cols["difficulty"] = pc.add(pc.add(pc.fill_null(cols["depth"], 0.0), pc.log2(pc.add(
        pc.divide(pc.fill_null(cols["proof_chars"], 0.0), 100.0), 1.0))), pc.log2(pc.add(ct, 1.0)))
    cols["extra"] = extra
    return pa.StructArray.from_arrays([cols[f.name] for f in FEATURES_TYPE],
                                      fields=list(FEATURES_TYPE))


# Engine feature keys that are one of our own fields under another name: the engine counts
# binders and hypotheses exactly on the statement's AST (a hypothesis: a binder, not an
# instance, that no later binder and not the conclusion depends on).
ENGINE_ALIASES = {"binders": "num_binders", "hypotheses": "num_hypotheses"}


def _merge_engine(cols: dict[str, pa.Array], engine: pa.ListArray,
                  fallback: Callable[[], dict[str, pa.Array]]) -> pa.ListArray:
    """Merge the mutation engine's features of a batch (`ENGINE_TYPE` lists) into `cols`;
    return `extra`.

    An engine value for one of our own fields (`proof_chars`, `depth`, `binders` as
    `num_binders`...; not `difficulty`, which is always ours) replaces ours (null stays
    null); every other key goes to `extra`, in the engine's order.  A field missing from
    `cols` is taken from `fallback()` for the rows without an engine value (never called
    when every row has one).  numpy and Arrow kernels only: every mutant carries seven
    engine features, so a per-row loop dominated the export.
    """
    n = len(engine)
    offsets = np.frombuffer(engine.buffers()[1], np.int32, count=n + 1, offset=engine.offset * 4)
    lens = np.diff(offsets)
    flat = engine.flatten()
    values = flat.field("value")
    codes = pc.dictionary_encode(flat.field("key"))
    names = codes.dictionary.to_pylist()
    idx = codes.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    row_of = np.repeat(np.arange(n), lens)
    canon = [ENGINE_ALIASES.get(k, k) for k in names]
    if canon != names:  # an alias: its values count as its field's (codes may merge)
        merged = list(dict.fromkeys(canon))
        idx = np.array([merged.index(c) for c in canon], np.int64)[idx]
        names = merged
    to_extra = np.ones(len(idx), np.bool_)
    for code, key in enumerate(names):
        if key not in _FIXED_FEATURES or key == "difficulty":
            continue
        at = np.flatnonzero(idx == code)
        to_extra[at] = False
        rows = row_of[at]
        if len(rows) > 1 and not np.all(rows[1:] != rows[:-1]):  # a key twice in a row:
            # the last one wins (`rows` is sorted: `at` ascends)
            last = {int(r): int(j) for r, j in zip(rows, at)}
            rows = np.fromiter(last.keys(), np.int64, len(last))
            at = np.fromiter(last.values(), np.int64, len(last))
        has = np.zeros(n, np.bool_)
        has[rows] = True
        picked = pc.take(values, pa.array(at))  # in row order: `rows` ascends
        full = pc.take(picked, pa.array(np.where(has, np.cumsum(has) - 1, 0)))
        base = cols.get(key)
        if base is None and not has.all():
            base = fallback()[key]
        cols[key] = full if base is None else pc.if_else(pa.array(has), full, base)
    keep = np.flatnonzero(to_extra)
    counts = np.bincount(row_of[keep], minlength=n)
    extra_offsets = np.zeros(n + 1, np.int32)
    np.cumsum(counts, out=extra_offsets[1:])
    return pa.ListArray.from_arrays(
        pa.array(extra_offsets),
        pa.StructArray.from_arrays([pc.take(pa.array(names, pa.string()), pa.array(idx[keep])),
                                    pc.take(values, pa.array(keep))],
                                   fields=list(EXTRA_TYPE.value_type)))


def formal_statement(name: str, statement: str, keyword: str = "theorem") -> str:
    sig = statement.strip()
    return f"{keyword} {name} {sig} :="


LIBRARY_VERDICT = Verdict(mutant_id="", status="verified", backend="library")
# The statuses a row is `checked` with: Lean proved it (`verified`), or, for an open
# statement, Lean elaborated its statement (`statement_ok`; nothing is proved).
CHECKED_STATUSES = pa.array(["verified", "statement_ok"], pa.string())
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


# `_DECLARED` for RE2 (Arrow's regex engine): `\s`/`\S` spelled as Python's whitespace set,
# since RE2's `\s` is ASCII only.  A test checks it agrees with `declared_name`.
_DECLARED_RE2 = (r"(?m)^(?:@\[[^\n]*\][WS]*)?(?:protected[WS]+|private[WS]+)?"
                 r"(?:theorem|lemma)[WS]+(?P<name>[^WS]+)").replace("WS", _RE2_WS)


def declared_names(lean: pa.Array, names: pa.Array) -> pa.Array:
    """`declared_name` of a batch, the same as the RE2 pattern `_DECLARED_RE2` gives.

    Why not only RE2: its pass over every byte of every check unit was a fifth of the
    export's cost.  Arrow's substring search is ~20x faster, and a mutant's unit (rendered
    by `mutate.render`) has one line starting `theorem <name> `; where the first `theorem`
    of a unit is that line's start, followed by one space, and no `lemma` comes before
    it, the RE2 match is that line too (an earlier match would need an earlier `theorem`
    or `lemma`), so the name is what follows up to the next whitespace, and an RE2 match
    anchored there reads only the name.  Every other row (attributes, `protected`,
    `lemma`, odd spacing) goes through the full RE2 pattern as before.
    """
    n = len(lean)
    fast = _fast_declared(lean) if n else None
    if fast is None:
        return _declared_re2(lean, names)
    mask, found = fast
    out = pc.replace_with_mask(names, pa.array(mask), found) if len(found) else names
    slow = ~mask
    if slow.any():
        slow_arr = pa.array(slow)
        out = pc.replace_with_mask(out, slow_arr, _declared_re2(pc.filter(lean, slow_arr),
                                                                pc.filter(names, slow_arr)))
    return out


def _declared_re2(lean: pa.Array, names: pa.Array) -> pa.Array:
    found = pc.extract_regex(lean, _DECLARED_RE2)
    return pc.coalesce(found.flatten()[0], names)


def _fast_declared(lean: pa.Array) -> tuple[np.ndarray, pa.Array] | None:
    """(rows decided, their names in row order) for `declared_names`' fast path; None
    when the array is not a plain string array (then RE2 decides every row)."""
    if lean.type != pa.string() or lean.null_count:
        return None
    n = len(lean)
    bufs = lean.buffers()
    offsets = np.frombuffer(bufs[1], np.int32, count=n + 1, offset=lean.offset * 4)
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    th = pc.find_substring(lean, "theorem").to_numpy(zero_copy_only=False).astype(np.int32)
    mask = th >= 0
    # a `lemma` followed by whitespace before the `theorem` could start an earlier match
    # (`lemma_foo` in a proof cannot): one search of the whole buffer finds them all
    base = int(offsets[0])
    hits = [m.start() for m in _LEMMA_WORD.finditer(data[base:offsets[-1]].tobytes())]
    if hits:
        pos = np.array(hits, np.int64) + base
        row = np.searchsorted(offsets, pos, side="right") - 1
        mask[row[pos - offsets[row] < th[row]]] = False
    if not mask.any():  # (also: every unit empty, so no byte to look at below)
        return mask, pa.array([], pa.string())
    at = offsets[:-1] + th  # where `theorem` starts, in `data`
    start = at + 8
    mask &= start < offsets[1:]
    last = max(len(data) - 1, 0)
    # at a line's start, and followed by exactly one space
    before = data[np.clip(at - 1, 0, last)]
    mask &= ((th == 0) | (before == 10)) & (data[np.clip(at + 7, 0, last)] == 32)
    rows_ = np.flatnonzero(mask)
    if not len(rows_):
        return mask, pa.array([], pa.string())
    # The names start at `start`: a string array over the same bytes whose element i runs
    # from row i's name to the next row's (valid: the starts ascend, each after an ASCII
    # space), so an anchored RE2 match reads only the name's own bytes
    s = start[rows_]
    view = pa.Array.from_buffers(pa.string(), len(rows_), [
        None, pa.py_buffer(np.append(s, offsets[rows_[-1] + 1]).astype(np.int32)), bufs[2]])
    found = pc.extract_regex(view, _NAME_AT_START).field(0)
    # no name there (a non-ASCII space first), or one that runs past its own unit: RE2
    length = pc.fill_null(pc.binary_length(found), -1).to_numpy(zero_copy_only=False)
    ok = (length > 0) & (length <= offsets[1:][rows_] - s)
    if not ok.all():
        mask[rows_[~ok]] = False
        found = pc.filter(found, pa.array(ok))
    return mask, found


_NAME_AT_START = "^(?P<name>[^" + _RE2_WS + "]+)"
# `lemma` and a byte that is, or may start, whitespace (any non-ASCII lead byte).
_LEMMA_WORD = re.compile(rb"lemma(?=[" + re.escape(bytes(
    c for c in range(128) if _ASCII_WS[c])) + rb"\xc2-\xf4])")


@dataclass
class RawColumns:
    """A batch's columns before the per-row string work (`raw_columns`)."""

    cols: dict[str, pa.Array]  # final columns
    statement: pa.Array
    lean: pa.Array
    imp: pa.Array  # the `import` lines of each row
    depth: pa.Array
    check_time: pa.Array
    engine: pa.ListArray | None  # engine features per row (`ENGINE_TYPE`)


_NULL_STRING = pa.scalar(None, pa.string())


def _or_null(arr: pa.Array) -> pa.Array:
    """`x or None` of every string."""
    return pc.if_else(pc.equal(arr, ""), _NULL_STRING, arr)


def _is_blank(arr: pa.Array) -> pa.Array:
    """`not s or s.isspace()` (Arrow's `utf8_is_space` is false for "", like Python's)."""
    return pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr))


def raw_columns(batch: pa.RecordBatch | pa.Table, prov: Provenance,
                checked: bool = True) -> RawColumns:
    """Phase 1 of the export's columns, from a source batch (`source.SOURCE_SCHEMA`).

    Arrow kernels only (they release the GIL), so it runs on the export's worker thread.
    `checked`: a row is `checked` when its status is `verified`; False for `--unchecked`.
    """
    col = functools.partial(batch_column, batch)
    n = batch.num_rows
    s = pa.string()
    module = col("source_module")
    imports = imports_lists(col("imports"), module)
    imp = import_lines_column(imports)
    header = col("header")
    status = col("status")
    if checked:
        is_checked = pc.fill_null(pc.is_in(status, CHECKED_STATUSES), False)
    else:
        is_checked = pa.array(np.zeros(n, np.bool_))
    elapsed = col("elapsed")
    check_time = pc.if_else(pc.equal(pc.fill_null(elapsed, 0.0), 0.0),
                            pa.scalar(None, pa.float64()), elapsed)  # `elapsed or None`
    depth = pc.cast(col("depth"), pa.int32())

    def version(name: str, default: str | None) -> pa.Array:
        got = _or_null(pc.fill_null(col(name), ""))
        return got if default is None else pc.fill_null(got, pa.scalar(default, s))

    cols = {
        "id": col("id"),
        "name": col("name"),
        "proof": col("proof"),
        "source_theorem": col("source_theorem"),
        "source_module": module,
        "imports": imports,
        "mutation": pa.StructArray.from_arrays([
            col("kind"), _or_null(col("rule")),  # "" means "not applicable" (originals)
            _or_null(col("direction")), _or_null(col("location")), depth,
            _or_null(col("proof_style")), _or_null(col("parent")),
        ], fields=list(MUTATION_TYPE)),
        "checked": is_checked,
        "check_backend": version("backend", None),
        "lean_version": version("lean_version", prov.lean_version),
        "mathlib_rev": version("mathlib_rev", prov.mathlib_rev),
        "tool_version": pa.repeat(pa.scalar(prov.tool_version, s), n),
        "proof_status": col("proof_status"),
        "relation": _or_null(col("relation")),
        "rule_library": _or_null(col("rule_library")),
        "header": pc.if_else(_is_blank(header), imp,
                             pc.binary_join_element_wise(imp, header, "\n\n")),
    }
    engine = engine_lists(col("features"))
    return RawColumns(cols, col("statement"), col("lean"), imp, depth, check_time, engine)


def raw_features(raw: RawColumns) -> pa.StructArray:
    """The `features` column of a batch (the quantile pass needs it alone)."""
    return _features(raw.statement, raw.cols["proof"], raw.depth, raw.check_time, raw.engine)


def finish_columns(raw: RawColumns) -> dict[str, pa.Array]:
    """Phase 2 of the export's columns: text, formal statement, features, library area."""
    cols = dict(raw.cols)
    cols["text"] = pc.binary_join_element_wise(raw.imp, "\n\n",
                                               pc.utf8_trim_whitespace(raw.lean), "\n", "")
    cols["formal_statement"] = pc.binary_join_element_wise(
        "theorem", declared_names(raw.lean, cols["name"]),
        pc.utf8_trim_whitespace(raw.statement), ":=", " ")
    cols["features"] = raw_features(raw)
    modules = pc.dictionary_encode(cols["source_module"])
    areas = pa.array([library_area(x) for x in modules.dictionary.to_pylist()], pa.string())
    cols["library_area"] = pc.take(areas, modules.indices)
    return cols


def mutant_columns(pairs: list[tuple[Mutant, Verdict | None]], prov: Provenance,
                   checked: bool = True) -> dict[str, pa.Array]:
    """Every column but `tier`/`split` for records (mutant, verdict or None), through the
    export's own path: a source batch (`pairs_to_batch`), then `raw_columns` and
    `finish_columns`."""
    return finish_columns(raw_columns(pairs_to_batch(pairs), prov, checked))


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
