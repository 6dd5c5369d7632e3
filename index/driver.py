"""`alchemy index`: declarations -> rules, invocations and the dependency graph.

Why one stage for all three: they share the expensive parts (decoding every statement's
AST, resolving every identifier in its scope), so one pass over the theorems derives the
rules, the statement/proof uses and, once the rule index is built, a second pass matches
every theorem's conclusion and hypotheses against it.

Outputs (all atomic, a re-run replaces them):
- `RUN/rules.parquet`: one `Rule` a row (`read_rules`);
- `RUN/invocations.parquet`: one `Invocation` a row, rows of one candidate contiguous
  (`iter_invocations`; the mutation stage groups by candidate);
- `RUN/graph/nodes.parquet`, `edges.parquet` (`extract.graph`, `load_graph`);
- `RUN/section_binders.parquet`: the section `variable` binders pass 1 parsed, for the
  mutation stage (`extract.sections`; pass 2 workers get them from the parent by fork);
- `RUN/index.stats.json`: rules by kind, dropped rules by reason, candidates,
  invocations by kind, matches filtered by reason, edges by kind, unresolved / ambiguous
  names, seconds, peak RSS.

Parallelism: the rule index and the name table are built in the parent, then candidates
are matched in forked workers (`jobs`) that share them copy-on-write.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence, overload

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, Invocation, Rule, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.grammar.ast import (
    BinderGroup, Ident, IfThenElse, Let, Quant, SetBuilder, Subtype, Term, bound_in_child,
)
from lean_alchemy.grammar.walk import field_names

_BINDING = (Quant, SetBuilder, Subtype, Let, IfThenElse)
from lean_alchemy.index import graph as G
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.index.names import (
    NameTable, Resolver, ScopeView, binder_locals, read_external_names,
)
from lean_alchemy.index.rules import RuleStats, derive_rules

log = logging.getLogger(__name__)

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
])
_RULE_TUPLES = ("pattern_vars", "binder_names", "binder_kinds", "binder_types",
                "side_conditions", "antecedents")
BATCH = 20000


def invocations_path(run: RunDir):
    return run.root / "invocations.parquet"


def premises_path(run: RunDir):
    return run.root / "premises.parquet"


# --------------------------------------------------------------------------- tables

def rules_table(rules: list[Rule]) -> pa.Table:
    cols = {}
    for n in RULE_SCHEMA.names:
        vals = [getattr(r, n) for r in rules]
        cols[n] = [list(v) for v in vals] if n in _RULE_TUPLES else vals
    return pa.Table.from_pydict(cols, schema=RULE_SCHEMA)


def invocations_table(invs: list[Invocation]) -> pa.Table:
    return pa.Table.from_pydict({
        "candidate": [i.candidate for i in invs], "rule_id": [i.rule_id for i in invs],
        "kind": [i.kind for i in invs], "location": [i.location for i in invs],
        "path": [i.path for i in invs],
        "subst": [[{"name": k, "term": v} for k, v in i.subst] for i in invs],
        "instance": [i.instance for i in invs],
    }, schema=INVOCATION_SCHEMA)


def read_rules(run: RunDir) -> Iterator[Rule]:
    """The rules of a run, in the order they were derived."""
    run.require(run.rules, "index")
    from lean_alchemy.core.collector import few_collections

    t = pq.read_table(run.rules)
    with few_collections(freeze=False):  # millions of new objects, none of them garbage
        cols = {n: t.column(n).to_pylist() for n in RULE_SCHEMA.names}
        for n in _RULE_TUPLES:
            cols[n] = [tuple(x) if x else () for x in cols[n]]
        # positional: the schema lists the record's fields in order (a test checks it)
        rules = [Rule(*row) for row in zip(*cols.values())]
    return iter(rules)


def iter_invocations(run: RunDir) -> Iterator[Invocation]:
    """Invocations grouped by candidate (contiguous rows), streamed batch by batch."""
    path = run.require(invocations_path(run), "index")
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=BATCH):
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
    cols = [part.column(n).to_pylist() for n in INVOCATION_SCHEMA.names]
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


# --------------------------------------------------------------------------- per theorem

@dataclass
class Context:
    """Everything a worker needs, built once in the parent (shared by fork)."""

    decls: list[Declaration]
    scopes: dict[str, Scope]
    resolver: Resolver
    opts: IndexOptions
    views: dict[str, ScopeView] = field(default_factory=dict)
    sections: dict[str, tuple[BinderGroup, ...]] = field(default_factory=dict)
    # Section binders by scope id, serialized (`dumps_binders`): what pass 1 parsed, sent
    # back to the parent, which fills this before forking pass 2 so that pass 2 workers
    # decode instead of re-parsing; also stored for the mutation stage (`extract.sections`).
    section_json: dict[str, str] = field(default_factory=dict)
    # (scope id, serialized binders) parsed by this process and not yet sent to the parent
    fresh_sections: list[tuple[str, str]] = field(default_factory=list)

    def view(self, decl: Declaration) -> ScopeView:
        key = decl.scope_id or ""
        v = self.views.get(key)
        if v is None:
            scope = self.scopes.get(key)
            ns = decl.full_name.rsplit(".", 1)[0] if "." in decl.full_name else ""
            v = ScopeView.of(scope, namespace_hint=ns)
            self.views[key] = v
        return v

    def section(self, decl: Declaration) -> tuple[BinderGroup, ...]:
        """The section binders of `decl`'s scope: decoded from `section_json` when pass 1
        parsed them, else parsed (and recorded in `section_json`/`fresh_sections`)."""
        key = decl.scope_id or ""
        s = self.sections.get(key)
        if s is None:
            from lean_alchemy.grammar.statements import (
                dumps_binders, loads_binders, scope_binders,
            )

            js = self.section_json.get(key)
            if js is not None:
                s = loads_binders(js)
            else:
                scope = self.scopes.get(key)
                s = ()
                if scope is not None:
                    try:
                        s = tuple(scope_binders(scope))
                    except Exception:  # noqa: BLE001 - a bad `variable` line loses its binders only
                        s = ()
                    else:  # a failed parse is not stored: its readers fail as before
                        js = dumps_binders(s)
                        self.section_json[key] = js
                        self.fresh_sections.append((key, js))
            self.sections[key] = s
        return s


def parsed(decl: Declaration) -> tuple[tuple[BinderGroup, ...], Term] | None:
    """The structured parts of a statement (a partial parse keeps its parsed parts)."""
    if decl.parse_status not in ("full", "partial") or not decl.conclusion_ast:
        return None
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    try:
        concl = decl_conclusion(decl)
        if concl is None:
            return None
        return tuple(decl_binders(decl)), concl
    except Exception:  # noqa: BLE001 - a corrupt AST column loses one statement
        return None


def constants(t: Term | None, locals_: frozenset[str]) -> set[str]:
    """Resolved identifiers of a resolved term that are not locals or bound names."""
    out: set[str] = set()
    if t is not None:
        _consts(t, frozenset(), locals_, out)
    return out


def _consts(t: Term, bound: frozenset[str], locals_: frozenset[str], out: set[str]) -> None:
    if isinstance(t, Ident):
        head = t.name.split(".", 1)[0]
        if head not in bound and head not in locals_:
            out.add(t.name)
        return
    binding = isinstance(t, _BINDING)
    for f in field_names(type(t)):
        v = getattr(t, f)
        if isinstance(v, Term):
            extra = bound_in_child(t, f, -1) if binding else ()
            _consts(v, bound | frozenset(extra) if extra else bound, locals_, out)
        elif isinstance(v, tuple) and v and isinstance(v[0], Term):
            for k, x in enumerate(v):
                extra = bound_in_child(t, f, k) if binding else ()
                _consts(x, bound | frozenset(extra) if extra else bound, locals_, out)


def const_eq_for(resolver: Resolver, view: ScopeView) -> Callable[[str, Ident, Ident], bool]:
    """Rule constant vs candidate identifier: equal resolved names, or an unresolved
    candidate name that could denote the rule's constant in the candidate's scope."""
    def eq(pname: str, w: Ident, r: Ident) -> bool:
        if pname == r.name:
            return True
        if resolver.resolve_name(view, w.name)[1] != "unresolved":
            return False  # resolved to another constant
        return pname in resolver.possible(view, w.name)

    return eq


_CTX: Context | None = None
_INDEX = None


def _statement_edges(ctx: Context, decl: Declaration, view: ScopeView,
                     groups: tuple[BinderGroup, ...] | None, concl: Term | None,
                     locals_: frozenset[str], out: list[tuple]) -> None:
    res = ctx.resolver
    used: set[str] = set()
    if concl is not None:
        used |= constants(res.resolve_term(concl, view, locals_), locals_)
        for g in groups or ():
            for t in (g.type, g.pred, g.default):
                if t is not None:
                    used |= constants(res.resolve_term(t, view, locals_), locals_)
    for u in sorted(used):
        if u in res.table and u != decl.full_name:
            out.append((decl.full_name, u, "statement_uses", None, None, None, None, 1))
    if ctx.opts.proof_uses and decl.proof:
        seen: set[str] = set()
        for tok in proof_tokens(decl.proof):
            if tok.split(".", 1)[0] in locals_:
                continue
            full, status = res.resolve_name(view, tok)
            if status == "unresolved":
                continue
            # a projection suffix (`foo.mp`) is not part of the used constant
            while full not in res.table and "." in full:
                full = full.rsplit(".", 1)[0]
            if full in res.table and full != decl.full_name and full not in seen:
                seen.add(full)
                out.append((decl.full_name, full, "proof_uses", None, None, None, None, 1))


def proof_tokens(proof: str) -> list[str]:
    return sorted(G.proof_identifiers(proof))


@dataclass
class Pass1:
    """What pass 1 returns for a chunk of theorems."""

    rules: list[Rule]
    edges: list[tuple]
    rstats: RuleStats
    names: tuple[Counter, Counter, Counter]  # resolver counts, unresolved, ambiguous
    unparsed: int
    sections: list[tuple[str, str]]  # section binders this process parsed (serialized)


def _pass1(idx: list[int]) -> Pass1:
    """Rules and statement/proof-uses edges of theorems `idx` (worker or in-process)."""
    ctx = _CTX
    assert ctx is not None
    res = ctx.resolver
    res.counts, res.unresolved_names, res.ambiguous_names = Counter(), Counter(), Counter()
    rstats = RuleStats.new()
    rules: list[Rule] = []
    edges: list[tuple] = []
    unparsed = 0
    for i in idx:
        d = ctx.decls[i]
        view = ctx.view(d)
        section = ctx.section(d)
        p = parsed(d)
        if p is None:
            unparsed += 1
            rstats.dropped["unparsed"] += 1
            _statement_edges(ctx, d, view, None, None, binder_locals(section), edges)
            continue
        groups, concl = p
        locals_ = binder_locals(section) | binder_locals(groups)
        rules.extend(derive_rules(
            d, groups, concl, section=section, stats=rstats,
            resolve=lambda t, loc, _v=view: res.resolve_term(t, _v, loc, count=False)))
        _statement_edges(ctx, d, view, groups, concl, locals_, edges)
    sections, ctx.fresh_sections = ctx.fresh_sections, []
    return Pass1(rules, edges, rstats, (res.counts, res.unresolved_names,
                                        res.ambiguous_names), unparsed, sections)


@dataclass
class Pass2:
    """What pass 2 returns for a chunk of candidates: invocations and the aggregated
    invocable edges as Arrow tables (cheap to send between processes: all of Mathlib has
    ~9M of each, which as pickled tuples cost the parent tens of CPU-seconds), and
    counters."""

    table: pa.Table | None
    edges: pa.Table | None
    edge_kinds: Counter
    by_kind: Counter
    candidates: int
    with_invocations: int
    stats: object  # mutate.match.MatchStats


def _pass2(idx: list[int]) -> Pass2:
    """Match candidates `idx` (runs in a forked worker or in-process)."""
    from lean_alchemy.index.match.rule_index import MatchStats

    ctx, index = _CTX, _INDEX
    assert ctx is not None and index is not None
    index.stats = MatchStats()
    invs_all: list[Invocation] = []
    edges: list[tuple] = []
    by_kind: Counter = Counter()
    cands = with_inv = 0
    res = ctx.resolver
    for i in idx:
        decl = ctx.decls[i]
        cands += 1
        p = parsed(decl)
        if p is None:
            continue
        groups, concl = p
        view = ctx.view(decl)
        section = ctx.section(decl)
        locals_ = binder_locals(section) | binder_locals(groups)
        invs = index.invocations(
            decl, groups, concl, extra_binders=section,
            resolve=lambda t: res.resolve_term(t, view, locals_, count=False),
            const_eq=const_eq_for(res, view))
        if not invs:
            continue
        with_inv += 1
        agg: dict[tuple, list] = {}
        for inv in invs:
            by_kind[inv.kind] += 1
            r = index.rules[inv.rule_id]
            key = (r.lemma, inv.kind, r.direction, inv.location)
            e = agg.get(key)
            if e is None:
                agg[key] = [inv.instance, inv.rule_id, 1]
            else:
                e[2] += 1
        for (lemma, kind, direction, loc), (inst, rid, n) in agg.items():
            edges.append((decl.full_name, lemma, kind, direction, loc, inst, rid, n))
        invs_all.extend(invs)
    table = invocations_table(invs_all) if invs_all else None
    return Pass2(table, G.edges_table(edges) if edges else None, Counter(e[2] for e in edges),
                 by_kind, cands, with_inv, index.stats)


def _map(fn, chunks: list[list[int]], jobs: int):
    """`fn` over chunks, in order: in-process, or in `jobs` forked workers that share the
    parent's context copy-on-write (frozen, the collector does not touch, so copy, it)."""
    from lean_alchemy.core.collector import few_collections

    with few_collections():
        if jobs <= 1 or len(chunks) <= 1:
            for ch in chunks:
                yield fn(ch)
            return
        import multiprocessing as mp

        with mp.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(fn, chunks)


# --------------------------------------------------------------------------- the stage

def _indexed(r: Rule, opts: IndexOptions) -> bool:
    """Whether the options match rules of `r`'s kind (`apply` for implications, `rewrite`
    for equations and iffs)."""
    return opts.apply if r.kind == "imp" else opts.rewrite


def _peak_rss_mb(jobs: int) -> float:
    """The parent's peak plus `jobs` times the largest worker's: an upper bound of the
    concurrent peak (getrusage reports only the largest child)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if jobs > 1 else 0
    return round((own + jobs * child) / 1024, 1)


def run_index(run: RunDir, opts: IndexOptions = IndexOptions(), *,
              echo: Callable[[str], None] | None = None) -> dict:
    """Derive rules, match every theorem, build the graph; returns the stats written to
    `RUN/index.stats.json` (see the module doc)."""
    global _CTX, _INDEX
    from lean_alchemy.extract import store
    from lean_alchemy.index.sections import write_section_binders
    from lean_alchemy.extract.store import AtomicParquetWriter, write_parquet
    from lean_alchemy.index.match.rule_index import MatchStats, RuleIndex
    from lean_alchemy.index.match.rigid import rigid_names

    start = time.perf_counter()
    run.require(run.declarations, "extract")
    decls = store.read_declarations(run)
    scopes = store.read_scopes(run) if run.scopes.exists() else {}
    external = read_external_names(opts.external_names)
    table = NameTable.from_declarations(decls, external)
    resolver = Resolver(table)
    ctx = Context(decls, scopes, resolver, opts)
    theorems = [i for i, d in enumerate(decls) if d.is_candidate]
    jobs = opts.jobs or os.cpu_count() or 1
    if len(theorems) < 2000:
        jobs = 1  # forking costs more than it saves
    size = max(64, min(1024, len(theorems) // (jobs * 16) + 1))
    chunks = [theorems[k:k + size] for k in range(0, len(theorems), size)]
    bar = None
    if opts.progress:
        from tqdm import tqdm

        bar = tqdm(total=2 * len(theorems), desc="index", unit="thm", mininterval=0.5)

    # pass 1: rules and statement/proof uses
    rstats = RuleStats.new()
    edges: list[tuple] = []
    unparsed = 0
    name_counts: Counter = Counter()
    unresolved: Counter = Counter()
    ambiguous: Counter = Counter()
    # one rule per id, the first (a name declared twice, e.g. in two files, gives one rule);
    # the rule index is filled meanwhile: each chunk's new rules are compiled in the parent
    # while the workers run the next chunks
    uniq: dict[str, Rule] = {}
    derived = indexed = 0
    index = RuleIndex.empty(max_per_theorem=opts.max_matches_per_theorem,
                            rigid=rigid_names(decls), generic_evidence=opts.generic_evidence)
    _CTX = ctx
    try:
        for k, part in enumerate(_map(_pass1, chunks, jobs)):
            derived += len(part.rules)
            for r in part.rules:
                if r.id not in uniq:
                    uniq[r.id] = r
                    if _indexed(r, opts):
                        indexed += 1
                        index.add(r)
            edges.extend(part.edges)
            rstats.rules.update(part.rstats.rules)
            rstats.dropped.update(part.rstats.dropped)
            name_counts.update(part.names[0])
            unresolved.update(part.names[1])
            ambiguous.update(part.names[2])
            unparsed += part.unparsed
            for key, js in part.sections:  # two workers may both have parsed a scope
                ctx.section_json.setdefault(key, js)
            if bar is not None:
                bar.update(len(chunks[k]))
    finally:
        _CTX = None
    if len(uniq) < derived:
        rstats.dropped["duplicate_name"] += derived - len(uniq)
    rules = list(uniq.values())
    del uniq
    write_parquet(run.rules, rules_table(rules))
    write_section_binders(run, ctx.section_json, scopes)
    t_rules = time.perf_counter()

    # pass 2: matching, invocations streamed to disk, invocable edges aggregated
    inv_counts: Counter = Counter()
    mstats = MatchStats()
    candidates = with_inv = 0
    inv_w = AtomicParquetWriter(invocations_path(run), INVOCATION_SCHEMA)
    # invocable edges go to disk as they come (millions on Mathlib): only their counts stay
    edge_w = AtomicParquetWriter(G.edges_path(run), G.EDGE_SCHEMA)
    edge_kinds: Counter = Counter()
    _CTX, _INDEX = ctx, index
    try:
        for k, part in enumerate(_map(_pass2, chunks, jobs)):
            candidates += part.candidates
            with_inv += part.with_invocations
            inv_counts.update(part.by_kind)
            mstats.merge(part.stats)
            if part.edges is not None:
                edge_w.write(part.edges)
                edge_kinds.update(part.edge_kinds)
            if part.table is not None:
                inv_w.write(part.table)
            if bar is not None:
                bar.update(len(chunks[k]))
        inv_w.close()
    except BaseException:
        inv_w.abort()
        edge_w.abort()
        raise
    finally:
        _CTX, _INDEX = None, None
        if bar is not None:
            bar.close()
    t_match = time.perf_counter()

    # graph: the other edges, then the nodes (every endpoint of an invocable edge is a
    # declaration; other edges may name external constants or premises)
    try:
        edges.extend(_premise_edges(run))
        node_rows, module_edges = _nodes(decls, scopes)
        edges.extend(module_edges)
        known = {r["name"] for r in node_rows}
        for e in edges:
            for n in (e[0], e[1]):
                if n not in known:
                    known.add(n)
                    node_rows.append({"name": n, "kind": "external", "module": None,
                                      "file": None, "line": None, "attributes": (),
                                      "parse_status": None})
        edge_kinds.update(e[2] for e in edges)
        for k in range(0, len(edges), 200000):
            edge_w.write(G.edges_table(edges[k:k + 200000]))
        edge_w.close()
    except BaseException:
        edge_w.abort()
        raise
    G.write_nodes(run, G.nodes_table(node_rows))

    stats = {
        "rules": len(rules),
        "rules_by_kind": dict(sorted(Counter(r.kind for r in rules).items())),
        "rules_indexed": indexed,
        "dropped": dict(sorted(rstats.dropped.items())),
        "theorems": len(theorems),
        "candidates": candidates,
        "candidates_with_invocations": with_inv,
        "unparsed": unparsed,
        "invocations": sum(inv_counts.values()),
        "invocations_by_kind": dict(sorted(inv_counts.items())),
        "pairs_retrieved": dict(sorted(mstats.retrieved.items())),
        "pairs_tried": dict(sorted(mstats.tried.items())),
        "matches_found": dict(sorted(mstats.found.items())),
        # what an uncapped run would find: retrieved x the success rate of what was tried
        "matches_estimated": {k: round(mstats.retrieved[k] * mstats.found[k] / n)
                              for k, n in sorted(mstats.tried.items()) if n},
        "matches_filtered": dict(sorted(mstats.filtered.items())),
        "capped": mstats.capped,
        "edges_by_kind": dict(sorted(edge_kinds.items())),
        "edges": sum(edge_kinds.values()),
        "nodes": len(node_rows),
        "names_unresolved": len(unresolved),
        "names_ambiguous": len(ambiguous),
        "name_occurrences": {k: name_counts.get(k, 0)
                             for k in ("resolved", "unresolved", "ambiguous")},
        "top_unresolved": dict(unresolved.most_common(20)),
        "top_ambiguous": dict(ambiguous.most_common(20)),
        "external_names": len(external),
        "jobs": jobs,
        "options": {"external_names": opts.external_names,
                    "max_matches_per_theorem": opts.max_matches_per_theorem,
                    "rewrite": opts.rewrite, "apply": opts.apply,
                    "proof_uses": opts.proof_uses,
                    "generic_evidence": opts.generic_evidence},
        "seconds_rules": round(t_rules - start, 2),
        "seconds_match": round(t_match - t_rules, 2),
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": _peak_rss_mb(jobs),
    }
    run.write_stats("index", stats)
    if echo is not None:
        echo(f"index: {stats['rules']} rules, {stats['invocations']} invocations on "
             f"{with_inv}/{candidates} theorems, {stats['edges']} graph edges in "
             f"{stats['seconds']} s -> {run.rules}, {run.graph_dir}")
    return stats


def _premise_edges(run: RunDir) -> list[tuple]:
    p = premises_path(run)
    if not p.exists():
        return []
    t = pq.read_table(p)
    if "theorem" not in t.column_names or "premise" not in t.column_names:
        raise AlchemyError(f"{p}: expected columns theorem, premise (a LeanDojo extraction)")
    seen = set()
    out = []
    for a, b in zip(t.column("theorem").to_pylist(), t.column("premise").to_pylist()):
        if a and b and (a, b) not in seen:
            seen.add((a, b))
            out.append((a, b, "premise", None, None, None, None, 1))
    return out


def _nodes(decls: list[Declaration], scopes: dict[str, Scope]
           ) -> tuple[list[dict], list[tuple]]:
    rows: list[dict] = []
    seen: set[str] = set()
    modules: dict[str, tuple[str, ...]] = {}
    for d in decls:
        if d.full_name not in seen:
            seen.add(d.full_name)
            rows.append({"name": d.full_name, "kind": d.kind, "module": d.module,
                         "file": d.file, "line": d.start_line, "attributes": d.attributes,
                         "parse_status": d.parse_status})
        modules.setdefault(d.module, ())
    for s in scopes.values():
        if s.imports or s.module not in modules:
            modules[s.module] = tuple(dict.fromkeys(modules.get(s.module, ()) + s.imports))
    edges = []
    for m, imps in sorted(modules.items()):
        if m not in seen:
            seen.add(m)
            rows.append({"name": m, "kind": "module", "module": m, "file": None, "line": None,
                         "attributes": (), "parse_status": None})
        for imp in imps:
            edges.append((m, imp, "imports", None, None, None, None, 1))
    return rows, edges


def load_graph(run: RunDir, kinds: Iterable[str] | None = None):
    """The dependency graph of a run as a `networkx.MultiDiGraph` (see `extract.graph`)."""
    return G.load_graph(run, kinds)


__all__ = ["run_index", "read_rules", "iter_invocations", "read_invocation_table",
           "invocation_rows", "InvocationRows", "candidate_runs", "load_graph", "rules_table",
           "invocations_table", "RULE_SCHEMA", "INVOCATION_SCHEMA"]
