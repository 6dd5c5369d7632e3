"""`RUN/rule_keys.parquet`: what a project needs of each rule of this run when it uses
the run as a dependency (`alchemy index --rules-from RUN`), computed once here.

Why: a project indexed with Mathlib's rules needs, for each of Mathlib's ~245k rules, the
constants its pattern requires (to leave out the rules that cannot fire in the project,
`index.dependency.relevant_rules`) and its trie key (`patterns.pattern_symbols`, to file
it in the rule index).  Computing both from the serialized patterns cost every such
project about as much as indexing a 10k-declaration project with its own rules; the
index of the dependency computes them once (the keys are those its own rule index
compiled) and every project that uses it reads two columns.

Layout: one row per row of `rules.parquet`, in the same order, with its `id` (a file
whose ids differ is stale and ignored); `constants` the pattern's required constants
(`pattern_constants`); `symbols` the trie key as positions in the symbol table stored in
the file's metadata (`symbols`: a JSON list; a key holds ~20k distinct symbols for 10^6
occurrences), null when the pattern cannot be read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lean_alchemy.core.records import Rule
from lean_alchemy.extract.store import write_parquet
from lean_alchemy.grammar.ast import loads
from lean_alchemy.index.match.patterns import pattern_symbols
from lean_alchemy.index.match.trie import Trie

FILE = "rule_keys.parquet"
SYMBOLS_KEY = b"symbols"
SCHEMA = pa.schema([("id", pa.string()), ("constants", pa.list_(pa.string())),
                    ("symbols", pa.list_(pa.int32()))])
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


def indexed_symbols(tries: Iterable[Trie]) -> dict[str, tuple]:
    """Rule id -> trie key of every compiled rule in these tries (their `Compiled.symbols`,
    so the keys of a run's own rules are not computed twice)."""
    out: dict[str, tuple] = {}
    stack = [(t.root, t.LEAF) for t in tries]  # (the instance's: compiled, LEAF is a slot)
    while stack:
        node, leaf = stack.pop()
        for key, child in node.items():
            if key == leaf:
                for c in child:
                    syms = getattr(c, "symbols", None)
                    rule = getattr(c, "rule", None)
                    if syms is not None and isinstance(rule, Rule):
                        out.setdefault(rule.id, tuple(syms))
            else:
                stack.append((child, leaf))
    return out


def rule_keys_table(rules: Sequence[Rule], known: dict[str, tuple]) -> pa.Table:
    """The keys of `rules` (rows in their order); `known` gives the trie keys already
    computed, the others are computed from the patterns."""
    table: dict[object, int] = {}
    symbols: list[list[int] | None] = []
    for r in rules:
        syms = known.get(r.id)
        if syms is None:
            p = loads(r.pattern)
            syms = tuple(pattern_symbols(p, frozenset(r.pattern_vars))) if p else None
        symbols.append(None if syms is None else
                       [table.setdefault(s, len(table)) for s in syms])
    meta = json.dumps(list(table), ensure_ascii=False, separators=(",", ":"))
    return pa.Table.from_pydict(
        {"id": [r.id for r in rules], "constants": [rule_constants(r) for r in rules],
         "symbols": symbols}, schema=SCHEMA.with_metadata({SYMBOLS_KEY: meta.encode()}))


def write_rule_keys(run_root: Path, rules: Sequence[Rule], tries: Iterable[Trie]) -> None:
    write_parquet(run_root / FILE, rule_keys_table(rules, indexed_symbols(tries)))


@dataclass(frozen=True)
class RuleKeys:
    """The stored keys of a run's rules, rows aligned with its `rules.parquet`."""

    constants: pa.ListArray
    symbols: pa.ListArray
    table: list  # symbol table: position -> symbol

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
        table = self.table
        syms = [table[k] for k in codes]
        base = offsets[0]
        return [tuple(syms[offsets[k] - base:offsets[k + 1] - base]) if valid[k] else None
                for k in range(len(valid))]


def _symbol(x: object) -> object:
    return tuple(_symbol(y) for y in x) if isinstance(x, list) else x


def read_rule_keys(run_root: Path, ids: pa.ChunkedArray | pa.Array) -> RuleKeys | None:
    """The stored keys of the run whose rules have these ids, or None when the file is
    missing or does not describe these rules (an index run before it existed, or a
    `rules.parquet` replaced since)."""
    path = run_root / FILE
    if not path.exists():
        return None
    try:
        t = pq.read_table(path)
        meta = (t.schema.metadata or {}).get(SYMBOLS_KEY)
        if (meta is None or t.schema.names != SCHEMA.names
                or not t.column("id").equals(ids)):
            return None
        table = [_symbol(s) for s in json.loads(meta)]
    except (OSError, ValueError, pa.ArrowException):
        return None
    return RuleKeys(t.column("constants").combine_chunks(),
                    t.column("symbols").combine_chunks(), table)


__all__ = ["FILE", "SCHEMA", "pattern_constants", "rule_constants", "indexed_symbols",
           "rule_keys_table", "write_rule_keys", "RuleKeys", "read_rule_keys"]
