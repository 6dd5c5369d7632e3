"""The index stage's Parquet tables: rules and invocations, their schemas, writers' tables
and readers.

Why a module of its own: the mutation stage reads these tables (`read_rules`,
`read_invocation_table`, `candidate_runs`, `InvocationRows`) without needing the index
driver, and the readers carry their own performance decisions (a resident table shared
by forked workers, lazily decoded rows) that the driver does not care about.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence, overload

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lean_alchemy.core.arrow_lists import list_column, list_tuples
from lean_alchemy.core.collector import few_collections
from lean_alchemy.core.records import Invocation, Rule
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract.store import read_notations
from lean_alchemy.grammar.tokens import TokenTable, build_token_table

_STR = pa.string()
_LIST_STR = pa.list_(_STR)
RULE_SCHEMA = pa.schema([
    ("id", _STR), ("lemma", _STR), ("kind", _STR), ("direction", _STR), ("pattern", _STR),
    ("replacement", _STR), ("pattern_vars", _LIST_STR), ("binder_names", _LIST_STR),
    ("binder_kinds", _LIST_STR), ("binder_types", _LIST_STR),
    ("side_conditions", _LIST_STR), ("antecedents", _LIST_STR), ("head", _STR),
    ("module", _STR),
])
INVOCATION_SCHEMA = pa.schema([
    ("candidate", _STR), ("rule_id", _STR), ("kind", _STR), ("location", _STR),
    ("path", _STR), ("subst", pa.list_(pa.struct([("name", _STR), ("term", _STR)]))),
    ("instance", _STR),
    ("library", _STR),  # the library of the rule: "" for the project's own, else its name
])
_RULE_TUPLES = ("pattern_vars", "binder_names", "binder_kinds", "binder_types",
                "side_conditions", "antecedents")
# the columns an `Invocation` record holds, in its field order
_RECORD_COLUMNS = ("candidate", "rule_id", "kind", "location", "path", "subst", "instance")
READ_BATCH_ROWS = 20000  # rows per batch when streaming the invocations back


def invocations_path(run: RunDir) -> Path:
    return run.root / "invocations.parquet"


def rules_table(rules: list[Rule]) -> pa.Table:
    """The rules as `RULE_SCHEMA` columns.  Why the list columns are built from one flat
    array and offsets: Arrow converts a list of Python lists item by item, and the index
    stage writes ~3x10^5 rules with six list columns each while the other core idles."""
    cols: dict[str, pa.Array] = {}
    for n in RULE_SCHEMA.names:
        vals = [getattr(r, n) for r in rules]
        cols[n] = list_column(vals) if n in _RULE_TUPLES else pa.array(vals, _STR)
    return pa.Table.from_pydict(cols, schema=RULE_SCHEMA)


def invocations_table(invs: list[Invocation], library: dict[str, str] | None = None
                      ) -> pa.Table:
    """`library`: rule id -> library for the rules of a dependency (others are "")."""
    lib = library or {}
    return pa.Table.from_pydict({
        "candidate": [i.candidate for i in invs], "rule_id": [i.rule_id for i in invs],
        "kind": [i.kind for i in invs], "location": [i.location for i in invs],
        "path": [i.path for i in invs], "subst": _subst_array(invs),
        "instance": [i.instance for i in invs],
        "library": [lib.get(i.rule_id, "") for i in invs] if lib else [""] * len(invs),
    }, schema=INVOCATION_SCHEMA)


def _subst_array(invs: list[Invocation]) -> pa.ListArray:
    """The `subst` column from flat name/term columns and offsets.  Why not one dict per
    pair: a downstream project's index writes ~10^6 pairs, and building a dict for each
    cost a tenth of its match pass."""
    offsets = [0]
    names: list[str] = []
    terms: list[str] = []
    for i in invs:
        for k, v in i.subst:
            names.append(k)
            terms.append(v)
        offsets.append(len(names))
    pairs = pa.StructArray.from_arrays([pa.array(names, _STR), pa.array(terms, _STR)],
                                       fields=list(INVOCATION_SCHEMA.field("subst").type
                                                   .value_type))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pairs,
                                    type=INVOCATION_SCHEMA.field("subst").type)


def read_rules(run: RunDir) -> Iterator[Rule]:
    """The rules of a run, in the order they were derived."""
    run.require(run.rules, "index")
    t = pq.read_table(run.rules)
    with few_collections(freeze=False):  # millions of new objects, none of them garbage
        cols = {n: list_tuples(t.column(n)) if n in _RULE_TUPLES else t.column(n).to_pylist()
                for n in RULE_SCHEMA.names}
        # positional: the schema lists the record's fields in order (a test checks it)
        rules = [Rule(*row) for row in zip(*cols.values())]
    return iter(rules)


def iter_invocations(run: RunDir) -> Iterator[Invocation]:
    """Invocations grouped by candidate (contiguous rows), streamed batch by batch."""
    path = run.require(invocations_path(run), "index")
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=READ_BATCH_ROWS):
        yield from invocation_rows(batch, 0, batch.num_rows)


def _bulk_memory_pool() -> pa.MemoryPool:
    """jemalloc when this pyarrow has it, else the C library's allocator (see
    `read_invocation_table`)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.system_memory_pool()


def read_invocation_table(run: RunDir) -> pa.Table:
    """The whole invocation table, resident.  Why resident: the mutation stage hands
    workers row ranges of it (one theorem's invocations) instead of pickled records, and
    forked workers share its Arrow buffers (~2.3 GB for all of Mathlib) without copying.

    Why another allocator for it: with pyarrow's default pool (mimalloc) reading all of
    Mathlib's table took ~20 s wall, two thirds of it system time spent faulting in the
    fresh memory; with jemalloc (or the system allocator) the same read takes ~2 s of
    system time.  Only this read uses it; the table's content is the same."""
    default = pa.default_memory_pool()
    pa.set_memory_pool(_bulk_memory_pool())
    try:
        return pq.read_table(run.require(invocations_path(run), "index"))
    finally:
        pa.set_memory_pool(default)


def invocation_rows(table: pa.Table | pa.RecordBatch, start: int, end: int
                    ) -> list[Invocation]:
    """Rows [start, end) of an invocation table as records."""
    part = table.slice(start, end - start)
    cols = [part.column(n).to_pylist() for n in _RECORD_COLUMNS]
    return [Invocation(c, r, k, loc, p, tuple((x["name"], x["term"]) for x in sub or ()), ins)
            for c, r, k, loc, p, sub, ins in zip(*cols)]


class InvocationRows(Sequence[Invocation]):
    """Rows [start, end) of an invocation table as a sequence of records, each record
    built only when it is accessed.

    Why lazy: the mutation stage tries a theorem's invocations in a seeded random order
    and stops at its per-theorem cap, so on Mathlib only ~1/3 of the rows are ever tried;
    decoding them all (`invocation_rows`) cost ~8 % of a worker's CPU.  On first access
    the range's columns become Python lists (cheap: flat strings, the `subst` pairs as
    two flat lists and offsets, no per-pair dicts); an `Invocation` is then built for
    the rows read only.  Records equal `invocation_rows`' (tested)."""

    __slots__ = ("_table", "_start", "_len", "_cols", "_subst")

    def __init__(self, table: pa.Table | pa.RecordBatch, start: int, end: int) -> None:
        self._table = table
        self._start = start
        self._len = max(0, end - start)
        self._cols: list[list] | None = None  # candidate .. path, instance
        self._subst: tuple[list[int], list[str | None], list[str | None],
                           list[bool] | None] | None = None

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> Invocation: ...

    @overload
    def __getitem__(self, i: slice) -> list[Invocation]: ...

    def __getitem__(self, i: int | slice) -> Invocation | list[Invocation]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._len))]
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(i)
        if self._cols is None:
            self._decode()
        assert self._cols is not None and self._subst is not None
        c, r, k, loc, p, ins = self._cols
        offsets, names, terms, valid = self._subst
        a, b = offsets[i], offsets[i + 1]
        sub = tuple(zip(names[a:b], terms[a:b])) if valid is None or valid[i] else ()
        return Invocation(c[i], r[i], k[i], loc[i], p[i], sub, ins[i])

    def _decode(self) -> None:
        part = self._table.slice(self._start, self._len)
        self._cols = [part.column(n).to_pylist()
                      for n in ("candidate", "rule_id", "kind", "location", "path", "instance")]
        col = part.column("subst")
        chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
        offsets: list[int] = [0]
        names: list[str | None] = []
        terms: list[str | None] = []
        valid: list[bool] | None = None
        for ch in chunks:  # a theorem's rows can straddle two row groups
            if not len(ch):
                continue
            off = ch.offsets.to_pylist()  # absolute in ch.values (the chunk's own slice)
            lo, hi = off[0], off[-1]
            vals = ch.values.slice(lo, hi - lo)
            base = len(names) - lo
            offsets.extend(o + base for o in off[1:])
            names.extend(vals.field("name").to_pylist())
            terms.extend(vals.field("term").to_pylist())
            if ch.null_count:  # a null list is no pairs, whatever its offsets say
                if valid is None:
                    valid = [True] * (len(offsets) - 1 - len(ch))
                valid.extend(ch.is_valid().to_pylist())
            elif valid is not None:
                valid.extend([True] * len(ch))
        self._subst = (offsets, names, terms, valid)


def candidate_runs(table: pa.Table) -> list[tuple[str, int, int]]:
    """(candidate, start, end) of each run of equal candidates, in table order.  Run-end
    encoded by Arrow: converting the ~9M candidate strings of all of Mathlib to Python
    and grouping them took ~10x longer."""
    if not table.num_rows:
        return []
    ree = pc.run_end_encode(table.column("candidate").combine_chunks())
    ends = ree.run_ends.to_pylist()
    return list(zip(ree.values.to_pylist(), [0, *ends[:-1]], ends))


__all__ = ["RULE_SCHEMA", "INVOCATION_SCHEMA", "invocations_path", "rules_table",
           "invocations_table", "read_rules", "iter_invocations", "read_invocation_table",
           "invocation_rows", "InvocationRows", "candidate_runs"]


def run_token_table(run: RunDir) -> TokenTable | None:
    """The run's token table: Lean's tokens and those of the library's notation commands
    (`grammar.tokens.build_token_table` over `RUN/notations.parquet`), built once per run;
    None for a run extracted before notations were recorded (then no `render_mismatch`
    check)."""
    if not run.notations.exists():
        return None
    return build_token_table(read_notations(run))
