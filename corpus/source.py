"""Source batches: the rows an export reads, as Arrow record batches (`SOURCE_SCHEMA`).

Why Arrow and not records: the run database is read straight into Arrow (ADBC, see
`jobs.db_arrow.iter_batches`) without making a Python object per value, and every step of
the export after hygiene is an Arrow kernel.  Python objects per row cost the export more
than everything else together, and they hold the GIL, so the export's threads could not
overlap.  Records (`Mutant`, `Verdict`: library originals, tests, other callers) become the
same batches through `pairs_to_batch`.

Two columns are JSON text, as the database stores them (`jobs.db.mutant_row`): `imports` and
`features`; `imports_lists` and `engine_lists` decode them with Arrow kernels (and accept
lists, for tools).
"""

from __future__ import annotations

import functools
import itertools
import json
from operator import attrgetter
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Mutant, Verdict, features_json, imports_json

from .schema import EXTRA_TYPE

ENGINE_TYPE = EXTRA_TYPE  # list<struct<key: string, value: float64>>
IMPORTS_TYPE = pa.list_(pa.string())

# The run database's mutant columns a source batch holds, then its verdict columns.
MUTANT_COLUMNS = ("id", "name", "parent", "source_theorem", "source_module", "rule", "kind",
                  "direction", "location", "depth", "proof_style", "statement", "proof",
                  "imports", "header", "lean", "features", "rule_library", "proof_status",
                  "relation")
VERDICT_COLUMNS = ("status", "elapsed", "backend", "lean_version", "mathlib_rev")
_NOT_STRING = {"depth": pa.int64(), "elapsed": pa.float64()}

SOURCE_SCHEMA = pa.schema([pa.field(n, _NOT_STRING.get(n, pa.string()))
                           for n in MUTANT_COLUMNS + VERDICT_COLUMNS])
"""The database's form: `imports`/`features` as JSON text; verdict columns null or "" where
a row has no verdict.  Every source batch has exactly this schema (the column builders also
accept `IMPORTS_TYPE`/`ENGINE_TYPE` lists in those two columns, for tools)."""

SOURCE_COLUMNS = tuple(SOURCE_SCHEMA.names)

Pair = tuple[Mutant, "Verdict | None"]
CHUNK_ROWS = 8192  # records per batch made by `source_batches`


# --------------------------------------------------------------------------- from records


_JSON_COLUMNS = ("imports", "features")  # encoded per record (`core.records`)
_PLAIN_COLUMNS = tuple(n for n in MUTANT_COLUMNS if n not in _JSON_COLUMNS)
_PLAIN = attrgetter(*_PLAIN_COLUMNS)
_VERDICT = attrgetter(*VERDICT_COLUMNS)
_NO_VERDICT = (None,) * len(VERDICT_COLUMNS)


def pairs_to_batch(pairs: list[Pair]) -> pa.RecordBatch:
    """(mutant, verdict or None) records as one source batch, in the database's form
    (`imports`/`features` as the JSON `jobs.db.mutant_row` stores), so that records and
    database rows mix in one export (library originals before the run's mutants).

    One C-level pass gathers the plain fields of every record and `zip(*)` turns the rows
    into columns; imports repeat per module, so they are encoded once per distinct tuple.
    """
    n = len(pairs)
    ms = [p[0] for p in pairs]
    plain = list(zip(*map(_PLAIN, ms))) if n else [()] * len(_PLAIN_COLUMNS)
    verdict = list(zip(*[_VERDICT(v) if v is not None else _NO_VERDICT
                         for _, v in pairs])) if n else [()] * len(VERDICT_COLUMNS)
    s = pa.string()
    arrays = {k: pa.array(v, SOURCE_SCHEMA.field(k).type)
              for k, v in zip(_PLAIN_COLUMNS + VERDICT_COLUMNS, plain + verdict)}
    imps = [tuple(m.imports) for m in ms]
    uniq = dict.fromkeys(imps)
    for i, k in enumerate(uniq):
        uniq[k] = i
    arrays["imports"] = pc.take(pa.array([imports_json(k) for k in uniq], s),
                                pa.array(list(map(uniq.__getitem__, imps)), pa.int32()))
    arrays["features"] = pa.array([features_json(m.features) for m in ms], s)
    return pa.RecordBatch.from_arrays([arrays[k] for k in SOURCE_COLUMNS], names=SOURCE_COLUMNS)


def engine_array(features: list[tuple[tuple[str, float], ...]]) -> pa.ListArray:
    """Engine features of records (`Mutant.features`) as `ENGINE_TYPE` lists.  Python
    only flattens the pairs (in C); values may be None (null)."""
    n = len(features)
    lens = np.fromiter(map(len, features), np.int64, n)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(lens, out=offsets[1:])
    chain = itertools.chain.from_iterable
    flat = list(chain(chain(features)))  # k0, v0, k1, v1, ...
    return pa.ListArray.from_arrays(pa.array(offsets), pa.StructArray.from_arrays(
        [pa.array(flat[0::2], pa.string()), pa.array(flat[1::2], pa.float64())],
        fields=list(ENGINE_TYPE.value_type)))


def source_batches(items: Iterable, chunk: int = CHUNK_ROWS) -> Iterator[pa.RecordBatch]:
    """Record batches from an iterable of source batches and/or (mutant, verdict) pairs,
    in order: batches pass through, runs of pairs become batches of up to `chunk` rows."""
    pending: list[Pair] = []
    for item in items:
        if isinstance(item, (pa.RecordBatch, pa.Table)):
            if pending:
                yield pairs_to_batch(pending)
                pending = []
            if isinstance(item, pa.Table):
                yield from map(conform, item.combine_chunks().to_batches())
            elif item.num_rows:
                yield conform(item)
            continue
        pending.append(item)
        if len(pending) >= chunk:
            yield pairs_to_batch(pending)
            pending = []
    if pending:
        yield pairs_to_batch(pending)


def conform(batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
    """`batch` with exactly `SOURCE_SCHEMA` (columns in order, types cast where they differ:
    a database driver types an all-empty page as it can), or a clear error naming the column
    that cannot be."""
    if isinstance(batch, pa.RecordBatch) and batch.schema == SOURCE_SCHEMA:
        return batch
    arrays = []
    for field in SOURCE_SCHEMA:
        if field.name not in batch.schema.names:
            raise AlchemyError(f"source batch lacks the column `{field.name}` "
                               f"(expected the columns of corpus.source.SOURCE_SCHEMA)")
        col = batch_column(batch, field.name)
        if col.type != field.type:
            try:
                col = col.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise AlchemyError(f"source batch column `{field.name}` is {col.type}, "
                                   f"expected {field.type}: {e}") from None
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, schema=SOURCE_SCHEMA)


def batch_column(batch: pa.RecordBatch | pa.Table, name: str) -> pa.Array:
    """One column as a single array (a table's chunks combined)."""
    col = batch.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


# --------------------------------------------------------------------------- imports


@functools.lru_cache(maxsize=65536)
def json_list(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def imports_lists(imports: pa.Array, modules: pa.Array) -> pa.ListArray:
    """`imports` as lists of module names; a row without imports imports its own module.

    The JSON form repeats per source module, so each distinct text is decoded once.
    """
    if pa.types.is_string(imports.type) or pa.types.is_large_string(imports.type):
        codes = pc.dictionary_encode(imports)
        lists = pa.array([json_list(t) for t in codes.dictionary.to_pylist()], IMPORTS_TYPE)
        imports = pc.take(lists, codes.indices)
    empty = pc.equal(pc.list_value_length(imports), 0)
    if pc.any(empty).as_py():
        n = len(modules)
        own = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)),
                                       modules.cast(pa.string()))
        imports = pc.if_else(empty, own, imports)
    return imports


def import_lines_column(lists: pa.ListArray) -> pa.Array:
    """`import A\\nimport B` per row (`rows.import_lines` of each list)."""
    return pc.binary_join_element_wise("import ", pc.binary_join(lists, "\nimport "), "")


# --------------------------------------------------------------------------- engine features

# What `json.dumps([[key, value], ...])` writes for plain keys and finite or null values:
# the rows the kernels below decode.  Anything else (escapes, NaN, other spacing) makes the
# batch decode with `json` instead, with the same result.
_VALUE = r"(?:-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|null)"
_PAIR = r'\["[A-Za-z0-9_.]+", ' + _VALUE + r"\]"
_ENGINE_JSON = r"^\[(?:" + _PAIR + r"(?:, " + _PAIR + r")*)?\]$"


def engine_lists(features: pa.Array) -> pa.ListArray:
    """Engine features as `ENGINE_TYPE` lists, from lists or the database's JSON text."""
    if not (pa.types.is_string(features.type) or pa.types.is_large_string(features.type)):
        return features
    if len(features) and pc.all(pc.match_substring_regex(features, _ENGINE_JSON)).as_py():
        return _engine_from_plain_json(features)
    return engine_array([tuple((str(k), None if v is None else float(v))
                               for k, v in json.loads(t)) for t in features.to_pylist()])


def _engine_from_plain_json(features: pa.Array) -> pa.ListArray:
    """`engine_lists` of rows that all match `_ENGINE_JSON`: split on the separators."""
    n = len(features)
    nonempty = pc.not_equal(features, "[]")
    counts = pc.if_else(nonempty, pc.add(pc.count_substring(features, "], ["), 1), 0)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(counts.to_numpy(zero_copy_only=False), out=offsets[1:])
    inner = pc.utf8_slice_codeunits(pc.filter(features, nonempty), 3, -2)  # k", v], ["k2", v2
    # one separator between every two items: k, v, k2, v2, ...
    flat = pc.list_flatten(pc.split_pattern(pc.replace_substring(inner, '], ["', '", '), '", '))
    m = len(flat)
    key = flat.take(pa.array(np.arange(0, m, 2)))
    text = flat.take(pa.array(np.arange(1, m, 2)))
    is_null = pc.equal(text, "null")
    value = pc.cast(pc.if_else(is_null, "0", text), pa.float64())
    value = pc.if_else(is_null, pa.scalar(None, pa.float64()), value)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.StructArray.from_arrays(
        [key, value], fields=list(ENGINE_TYPE.value_type)))
