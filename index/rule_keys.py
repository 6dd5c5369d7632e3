"""`RUN/rules.arrow`: a run's rules as a project that uses the run as a dependency
(`alchemy index --rules-from RUN`) reads them, with what it needs of each computed once here.

Why: a project indexed with Mathlib's rules needs, for each of Mathlib's ~245k rules, the
constants its pattern requires (to leave out the rules that cannot fire in the project,
`index.dependency.relevant_rules`) and its trie key (`patterns.pattern_symbols`, to file
it in the rule index).  Computing both from the serialized patterns, and decoding all of
`rules.parquet` to reach the few rules it compiles, cost every such project about as much
as indexing a 10k-declaration project with its own rules.  The dependency's index
computes the keys once (those its own rule index compiled) and writes the table
uncompressed: a project maps the file, reads two columns and touches only the rows it
compiles; forked workers share the mapped pages.

Layout: `rules.parquet`'s columns, row for row (a file whose ids differ from
`rules.parquet`'s, or whose `keys_format` is not the code's, is stale and ignored), then
`constants` (the pattern's required constants, `pattern_constants`) and `symbols` (the
trie key as positions in the symbol table kept in the file's metadata under `symbols`, a
JSON list: ~20k distinct symbols for 10^6 occurrences on Mathlib; null when the pattern
cannot be read).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from lean_alchemy.core.records import Rule
from lean_alchemy.core.rundir import atomic_target
from lean_alchemy.grammar.ast import loads
from lean_alchemy.index.match.patterns import pattern_symbols

FILE = "rules.arrow"
SYMBOLS_KEY = b"symbols"
# The spelling of the trie keys (`patterns.shape`); a file of another is stale.  2: binder
# annotations left out of binder symbols.
FORMAT_KEY, KEYS_FORMAT = b"keys_format", b"2"
KEY_FIELDS = [pa.field("constants", pa.list_(pa.string())),
              pa.field("symbols", pa.list_(pa.int32()))]
_PATTERN_IDENT = re.compile(r'\["Ident","((?:[^"\\]|\\.)*)"\]')
_WORD_FULL = re.compile(r"[^\W\d][\w'!?]*\Z")


def pattern_constants(pattern: str, bound: set[str]) -> list[str]:
    """Last components of the identifiers of a serialized pattern that are not rule binders
    (nor projections of one) and are spelled as words (symbolic names are never required):
    a rule can be retrieved for a candidate only when all of them occur in it."""
    out = []
    for raw in _PATTERN_IDENT.findall(pattern):
        name = json.loads(f'"{raw}"') if "\\" in raw else raw
        if name.split(".", 1)[0] in bound:
            continue
        last = name.rsplit(".", 1)[-1]
        if _WORD_FULL.match(last):
            out.append(last)
    return out


def rule_constants(r: Rule) -> list[str]:
    return pattern_constants(r.pattern, set(r.binder_names) | set(r.pattern_vars))


def with_rule_keys(table: pa.Table, rules: Sequence[Rule], known: dict[str, tuple]
                   ) -> pa.Table:
    """`table` (the rules table of `rules`, `index.store.rules_table`) with their keys;
    `known` gives the trie keys already computed, the others come from the patterns."""
    codes: dict[object, int] = {}
    symbols: list[list[int] | None] = []
    for r in rules:
        syms = known.get(r.id)
        if syms is None:
            p = loads(r.pattern)
            syms = tuple(pattern_symbols(p, frozenset(r.pattern_vars))) if p else None
        symbols.append(None if syms is None else
                       [codes.setdefault(s, len(codes)) for s in syms])
    meta = json.dumps(list(codes), ensure_ascii=False, separators=(",", ":"))
    out = table.append_column(KEY_FIELDS[0], pa.array([rule_constants(r) for r in rules],
                                                      KEY_FIELDS[0].type))
    out = out.append_column(KEY_FIELDS[1], pa.array(symbols, KEY_FIELDS[1].type))
    return out.replace_schema_metadata({SYMBOLS_KEY: meta.encode(), FORMAT_KEY: KEYS_FORMAT})


def write_rule_keys(run_root: Path, table: pa.Table, rules: Sequence[Rule],
                    known: dict[str, tuple] | None = None) -> None:
    """`RUN/rules.arrow` (atomically) from the run's rules table and rules; `known`: the
    trie keys its rule index compiled (`RuleIndex.own_symbols`), reused."""
    full = with_rule_keys(table, rules, known or {})
    path = run_root / FILE
    tmp = atomic_target(path)
    try:
        with pa.OSFile(str(tmp), "wb") as f, ipc.new_file(f, full.schema) as w:
            w.write_table(full)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class RuleKeys:
    """A run's `rules.arrow`, mapped: its rules table (`table`, the columns of
    `rules.parquet`) and their keys."""

    table: pa.Table
    constants: pa.ListArray
    symbols: pa.ListArray
    symbol_table: list  # position -> symbol

    def missing_constants(self, vocabulary: frozenset[str]) -> pa.Array:
        """Per row: does the pattern require a constant outside `vocabulary`?"""
        flat = pc.list_flatten(self.constants)
        rows = pc.list_parent_indices(self.constants)
        absent = pc.invert(pc.is_in(flat, value_set=pa.array(sorted(vocabulary),
                                                             pa.string())))
        bad = pc.unique(pc.filter(rows, absent))
        return pc.is_in(pa.array(range(len(self.constants)), pa.int64()),
                        value_set=bad.cast(pa.int64()))

    def keys(self, rows: pa.Array) -> list[tuple | None]:
        """The trie keys of these rows (None: unreadable pattern)."""
        picked = self.symbols.take(rows)
        codes = pc.list_flatten(picked).to_numpy(zero_copy_only=False).tolist()
        offsets = picked.offsets.to_numpy().tolist()
        valid = picked.is_valid().to_numpy(zero_copy_only=False).tolist()
        table = self.symbol_table
        syms = [table[k] for k in codes]
        base = offsets[0]
        return [tuple(syms[offsets[k] - base:offsets[k + 1] - base]) if valid[k] else None
                for k in range(len(valid))]


def _symbol(x: object) -> object:
    return tuple(_symbol(y) for y in x) if isinstance(x, list) else x


def read_rule_keys(run_root: Path, ids: pa.ChunkedArray | pa.Array) -> RuleKeys | None:
    """The mapped `rules.arrow` of the run whose `rules.parquet` has these ids, or None
    when it is missing, describes other rules (an index run before it existed, or a
    `rules.parquet` replaced since) or spells its keys another way (`KEYS_FORMAT`)."""
    path = run_root / FILE
    if not path.exists():
        return None
    try:
        t = ipc.open_file(pa.memory_map(str(path))).read_all()
        stored = t.schema.metadata or {}
        meta = stored.get(SYMBOLS_KEY)
        if (meta is None or stored.get(FORMAT_KEY) != KEYS_FORMAT
                or t.schema.names[-2:] != [f.name for f in KEY_FIELDS]
                or not t.column("id").equals(ids)):
            return None
        table = [_symbol(s) for s in json.loads(meta)]
    except (OSError, ValueError, pa.ArrowException):
        return None
    return RuleKeys(t.drop_columns([f.name for f in KEY_FIELDS]),
                    t.column("constants").combine_chunks(),
                    t.column("symbols").combine_chunks(), table)


__all__ = ["FILE", "KEY_FIELDS", "pattern_constants", "rule_constants",
           "with_rule_keys", "write_rule_keys", "RuleKeys", "read_rule_keys"]
