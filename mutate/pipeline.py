"""`alchemy mutate`: invocations of the rule index -> mutants in the run database.

The core (`Mutator`) is pure apart from its counters: it takes parsed declarations, scopes,
decoded rules and invocations and yields `(Mutant, status, detail)` rows; `run_mutate` only
reads the run directory, writes the database in batches and the stats file.  A mutant is
built in this order, and an invocation stops at the first step that rejects it (counted
in `dropped`): statement (`statements.apply_invocation`), fingerprint filters (`dedup`),
proof (`proofs`), rendering (`render`), refutation (`refute`).  Refuted and vacuous
mutants are stored with that status (the counterexample or reason as detail) and are never
pending, so they never reach Lean or the corpus.
"""

from __future__ import annotations

import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable, Iterator, Mapping, Sequence

from lean_alchemy.core.collector import few_collections
from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, Invocation, Mutant, Rule, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.grammar.ast import BinderGroup, Term
from lean_alchemy.mutate.dedup import Deduper, sampling_permutation
from lean_alchemy.mutate.fingerprint import fingerprint_statement
from lean_alchemy.mutate.naming import mutant_full_name, mutant_name
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.proofs import Body, bridge, invoke_body, merged_body, proof_text
from lean_alchemy.mutate.render import render
from lean_alchemy.mutate.statements import (
    DecodedRule, Mutation, Prepared, Skip, apply_invocation,
)
from lean_alchemy.grammar.walk import heads, node_count

log = logging.getLogger(__name__)

Row = tuple[Mutant, str, str]
# Rows per database transaction.  Why this many: ids are content hashes, so every row
# lands on a random page of the two id indexes, and a commit writes each page it dirtied
# (to the WAL, then back at the checkpoint).  With 2,000 rows per commit all of Mathlib's
# mutants (7.8 GB) made the parent write ~52 GB; with 20,000 a page collects many rows
# before it is written.  A killed run loses at most this many rows (a re-run adds them).
BATCH = 20000


# --------------------------------------------------------------------------- inputs

def decl_statement(decl: Declaration) -> tuple[tuple[BinderGroup, ...], Term] | None:
    """The parsed (binders, conclusion) of a declaration, or None when not parsed."""
    if decl.parse_status not in ("full", "partial") or not decl.conclusion_ast:
        return None
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    concl = decl_conclusion(decl)
    if concl is None:
        return None
    return tuple(decl_binders(decl)), concl


def section_binders(scope: Scope | None) -> tuple[BinderGroup, ...]:
    if scope is None:
        return ()
    from lean_alchemy.grammar.statements import scope_binders

    return tuple(scope_binders(scope))


def stored_section_binders(stored: Mapping[str, str]
                           ) -> Callable[[Scope | None], tuple[BinderGroup, ...]]:
    """`section_binders` that decodes the index stage's parse of a scope when `stored`
    (scope id -> `dumps_binders`, from `extract.sections.read_section_binders`) has it and
    parses the others.  Why: decoding is ~8x cheaper than the lark parse, which every
    worker otherwise repeats for every scope it meets."""
    def section_of(scope: Scope | None) -> tuple[BinderGroup, ...]:
        js = stored.get(scope.id) if scope is not None else None
        if js is None:
            return section_binders(scope)
        from lean_alchemy.grammar.statements import loads_binders

        return loads_binders(js)

    return section_of


def included_names(scope: Scope | None) -> tuple[str, ...]:
    """Names of `include` commands in force, minus later `omit`s (Lean 4 semantics)."""
    if scope is None:
        return ()
    names: list[str] = []
    for kind, text in scope.commands:
        words = text.replace("(", " ").replace(")", " ").split()
        if kind == "include":
            names += [w for w in words[1:] if w not in names]
        elif kind == "omit":
            names = [n for n in names if n not in words[1:]]
    return tuple(names)


def used_section(section: Sequence[BinderGroup], binders: Sequence[BinderGroup],
                 conclusion: Term, include: Sequence[str]) -> tuple[BinderGroup, ...]:
    """The section variables Lean includes in the theorem (its leading arguments)."""
    from lean_alchemy.index.section_variables import used_section_variables

    return used_section_variables(section, binders, conclusion, include)


# --------------------------------------------------------------------------- nodes

@dataclass(frozen=True, slots=True)
class Node:
    """A statement that can be mutated: a library theorem (depth 0) or a kept mutant."""

    decl: Declaration
    scope: Scope | None
    section: tuple[BinderGroup, ...]
    include: tuple[str, ...]
    binders: tuple[BinderGroup, ...]
    conclusion: Term
    body: Body
    depth: int
    fingerprints: tuple[str, ...]  # this statement's and its ancestors'
    parent_name: str  # Mutant.parent for children: theorem full name or mutant id
    prepared: Prepared | None = None


@dataclass
class Counters:
    mutants: Counter = field(default_factory=Counter)  # by kind (every stored row)
    status: Counter = field(default_factory=Counter)
    by_depth: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    refute: Counter = field(default_factory=Counter)  # refuter verdicts
    invocations: int = 0
    candidates: int = 0

    def merge(self, other: "Counters") -> None:
        for name in ("mutants", "status", "by_depth", "dropped", "refute"):
            getattr(self, name).update(getattr(other, name))
        self.invocations += other.invocations
        self.candidates += other.candidates

    def unstore(self, kind: str, depth: int, status: str, reason: str) -> None:
        """A row counted as stored is dropped after all (parallel runs: global filters)."""
        self.mutants[kind] -= 1
        self.status[status] -= 1
        self.by_depth[depth] -= 1
        self.dropped[reason] += 1


def features(m: Mutation, proof: str, depth: int) -> tuple[tuple[str, float], ...]:
    later: set[str] = set(heads(m.conclusion))
    hyps = 0
    for g in reversed(m.binders):
        if g.kind != "inst" and not (set(g.names) & later):
            hyps += len(g.names)
        later |= heads(g.type) | heads(g.pred)
    st = node_count(m.conclusion) + sum(node_count(g.type) for g in m.binders
                                        if g.type is not None)
    return (("statement_size", float(st)), ("binders", float(sum(len(g.names) or 1
                                                                   for g in m.binders))),
            ("hypotheses", float(hyps)), ("proof_lines", float(proof.count("\n") + 1)),
            ("proof_chars", float(len(proof))), ("depth", float(depth)),
            ("occurrences", float(m.step.occurrences)))


class Mutator:
    """Builds mutants for library theorems, invocation by invocation (see module doc)."""

    def __init__(self, rules: Iterable[Rule], scopes: dict[str, Scope], opts: MutateOptions,
                 *, library: frozenset[str] = frozenset(), refute_opts=None,
                 index=None, show: Callable[[Term], str] | None = None,
                 show_binders: Callable[[Sequence[BinderGroup]], str] | None = None,
                 parse: Callable[[Declaration], tuple[tuple[BinderGroup, ...], Term] | None]
                 = decl_statement,
                 section_of: Callable[[Scope | None], tuple[BinderGroup, ...]] = section_binders,
                 tokens=None) -> None:
        """`show`/`show_binders`/`parse`/`section_of` default to the grammar stage's
        printer and statement readers (injectable so the engine is testable alone).
        `tokens` (a `grammar.tokens.TokenTable`) enables the token-fidelity check of each
        library statement (`render_mismatch`)."""
        self.rules = {r.id: r for r in rules}
        self.decoded: dict[str, DecodedRule | Skip] = {}
        self.scopes = scopes
        self.opts = opts
        self.refute_opts: Any = None  # RefuteOptions when refuting
        if opts.refute:  # resolved once: `refute` runs for every built mutant
            import dataclasses

            from lean_alchemy.mutate.refute import RefuteOptions
            self.refute_opts = dataclasses.replace(refute_opts or RefuteOptions(),
                                                   samples=opts.samples)
        self.index = index
        self.dedup = Deduper(library, opts.max_per_theorem, opts.max_per_rule)
        self.counters = Counters()
        self.dedup.dropped = self.counters.dropped  # one counter for every filter
        self._section_cache: dict[str, tuple[BinderGroup, ...]] = {}
        if show is None:
            from lean_alchemy.grammar.printer import print_term
            show = print_term
        if show_binders is None:
            from lean_alchemy.mutate.render import default_show_binders
            show_binders = default_show_binders
        self.show: Callable[[Term], str] = show
        self.show_binders: Callable[[Sequence[BinderGroup]], str] = show_binders
        self.parse = parse
        self.section_of = section_of
        self.tokens = tokens

    @property
    def dropped(self) -> Counter:
        return self.counters.dropped

    def take_counters(self) -> Counters:
        """The counters so far, replaced by fresh ones (worker processes report deltas)."""
        out = self.counters
        self.counters = Counters()
        self.dedup.dropped = self.counters.dropped
        return out

    # ------------------------------------------------------------------ rules, roots
    def rule(self, rule_id: str) -> DecodedRule:
        d = self.decoded.get(rule_id)
        if d is None:
            r = self.rules.get(rule_id)
            if r is None:
                raise Skip("unknown_rule", rule_id)
            try:
                d = DecodedRule.of(r)
            except Skip as e:
                d = e
            self.decoded[rule_id] = d
        if isinstance(d, Skip):
            raise d
        return d

    def root(self, decl: Declaration) -> Node:
        """The library theorem as a node (depth 0); raises Skip when it cannot be mutated."""
        if not decl.is_candidate:
            raise Skip("not_a_theorem", decl.kind)
        parsed = self.parse(decl)
        if parsed is None:
            raise Skip("unparsed_candidate", decl.full_name)
        binders, conclusion = parsed
        scope = self.scopes.get(decl.scope_id or "")
        if self.tokens is not None:
            from lean_alchemy.grammar.statements import statement_mismatch
            diff = statement_mismatch(decl, binders, conclusion,
                                      self.tokens.for_scope(scope) if scope is not None
                                      else self.tokens.lexicon, self.show)
            if diff is not None:  # its mutants would be printed from a misread tree
                raise Skip("render_mismatch", f"{decl.full_name}: {diff}")
        key = decl.scope_id or ""
        section = self._section_cache.get(key)
        if section is None:
            section = self.section_of(scope)
            self._section_cache[key] = section
        include = included_names(scope)
        if self.opts.proof_style == "invoke":
            if "private" in decl.modifiers:
                raise Skip("private_original", decl.full_name)
            used = used_section(section, binders, conclusion, include)
            body = invoke_body(decl.full_name, used + binders)
        else:
            if decl.proof_style in ("equations", "where"):
                raise Skip("proof_unsupported", decl.proof_style)
            body = merged_body(decl)
        fp = fingerprint_statement(binders, conclusion)
        return Node(decl, scope, section, include, binders, conclusion, body, 0, (fp,),
                    decl.full_name, Prepared.of(binders, conclusion, section))

    # ------------------------------------------------------------------ one mutant
    def build(self, node: Node, inv: Invocation) -> tuple[Row, Node | None] | None:
        """The stored row for `inv` applied to `node` (and the node to mutate further when
        the mutant is pending), or None when a filter drops it (counted)."""
        decl = node.decl
        try:
            rule = self.rule(inv.rule_id)
            m = apply_invocation(node.binders, node.conclusion, inv, rule,
                                 context=node.section, prepared=node.prepared)
        except Skip as e:
            self.dropped[e.reason] += 1
            return None
        fp = fingerprint_statement(m.binders, m.conclusion)
        if self.dedup.check(fp, node.fingerprints, m.conclusion, decl.full_name,
                            rule.rule.lemma) is not None:
            return None
        depth = node.depth + 1
        try:
            body = bridge(m.step, node.body, self.show)
            proof = proof_text(body)
            concl_text = self.show(m.conclusion)
            name = mutant_name(decl.name, inv.kind, fp, depth)
            rendered = render(name, m.binders, concl_text, proof, node.scope,
                              self.opts.max_heartbeats, self.show_binders)
        except Skip as e:
            self.dropped[e.reason] += 1
            return None
        except Exception as err:  # a printer failure must not stop a whole library run
            log.debug("rendering %s failed: %s", decl.full_name, err)
            self.dropped["render_error"] += 1
            return None
        status, detail = self.refute(node, m)
        imports = tuple(dict.fromkeys(x for x in (decl.module, rule.rule.module) if x))
        mutant = Mutant(
            id=fp, name=mutant_full_name(decl.full_name, inv.kind, fp, depth),
            parent=node.parent_name, source_theorem=decl.full_name,
            source_module=decl.module, rule=rule.rule.lemma, kind=inv.kind,
            direction=rule.rule.direction, location=inv.location, depth=depth,
            proof_style=self.opts.proof_style, statement=rendered.statement, proof=proof,
            imports=imports, header=rendered.header, lean=rendered.lean,
            scope_id=decl.scope_id or "", features=features(m, proof, depth))
        pending = status == "pending"
        self.dedup.admit(fp, decl.full_name, rule.rule.lemma, counts=pending)
        c = self.counters
        c.mutants[inv.kind] += 1
        c.status[status] += 1
        c.by_depth[depth] += 1
        child = None
        if pending and depth < self.opts.depth:
            child = Node(decl, node.scope, node.section, node.include, m.binders,
                         m.conclusion, body, depth, node.fingerprints + (fp,), fp,
                         Prepared.of(m.binders, m.conclusion, node.section))
        return (mutant, status, detail), child

    def refute(self, node: Node, m: Mutation) -> tuple[str, str]:
        if not self.opts.refute:
            return "pending", ""
        from lean_alchemy.mutate.refute import refute_statement

        try:
            r = refute_statement(m.binders, m.conclusion, self.refute_opts,
                                 section=node.section or None, include=node.include)
        except Exception as e:  # the refuter must never lose a mutant: keep it pending
            log.debug("refuter failed: %s", e)
            self.counters.refute["error"] += 1
            return "pending", ""
        self.counters.refute[r.status] += 1
        if r.status == "refuted":
            cex = ", ".join(f"{k} := {v}" for k, v in (r.counterexample or ()))
            return "refuted", f"counterexample: {cex}"
        if r.status == "vacuous":
            return "vacuous", r.reason or "a hypothesis is false"
        return "pending", ""

    # ------------------------------------------------------------------ one theorem
    def mutate_theorem(self, decl: Declaration, invocations: Sequence[Invocation]
                       ) -> Iterator[Row]:
        """Every stored row for one library theorem, all depths, in a seeded order.

        `invocations` may be lazy (`extract.index.InvocationRows`): only its length is
        read up front, and an invocation is accessed when it is tried, so the rows past
        the per-theorem cap are counted (`theorem_cap`) but never decoded."""
        self.counters.candidates += 1
        self.counters.invocations += len(invocations)
        try:
            root = self.root(decl)
        except Skip as e:
            self.dropped[e.reason] += len(invocations)
            return
        frontier: list[tuple[Node, Sequence[Invocation]]] = [(root, invocations)]
        while frontier:
            node, invs = frontier.pop(0)
            order = sampling_permutation(len(invs), self.opts.seed,
                                         f"{decl.full_name}/{node.parent_name}")
            children: list[Node] = []
            for i, k in enumerate(order):
                if self.dedup.theorem_full(decl.full_name):
                    self.dropped["theorem_cap"] += len(order) - i
                    break
                out = self.build(node, invs[k])
                if out is None:
                    continue
                row, child = out
                yield row
                if child is not None:
                    children.append(child)
            if self.index is not None:
                for child in children:
                    invs2 = list(self.index.invocations(
                        decl, child.binders, child.conclusion, extra_binders=child.section))
                    self.counters.invocations += len(invs2)
                    frontier.append((child, invs2))


# --------------------------------------------------------------------------- the stage

def _library_part(decls: Sequence[Declaration]) -> list[str]:
    from lean_alchemy.mutate.fingerprint import declaration_statement

    out: list[str] = []
    for d in decls:
        if not d.is_candidate:
            continue
        try:
            parsed = declaration_statement(d)
        except Exception:  # noqa: BLE001 - a bad record only loses its library entry
            continue
        if parsed is not None:
            out.append(fingerprint_statement(*parsed))
    return out


_LIBRARY: Sequence[Declaration] = ()  # set in the parent before forking the pool


def _library_slice(bounds: tuple[int, int]) -> list[str]:
    return _library_part(_LIBRARY[bounds[0]:bounds[1]])


def library_fingerprints(decls: Iterable[Declaration], jobs: int = 1) -> frozenset[str]:
    """Fingerprints of every candidate library statement (the `library_duplicate` filter).
    All of Mathlib is ~190k statements to load and canonicalize: with `jobs > 1` the work
    is split over forked processes."""
    global _LIBRARY
    decls = decls if isinstance(decls, Sequence) else list(decls)
    if jobs <= 1 or len(decls) < 2000:
        return frozenset(_library_part(decls))
    import multiprocessing as mp

    step = -(-len(decls) // (jobs * 8))
    bounds = [(i, min(i + step, len(decls))) for i in range(0, len(decls), step)]
    _LIBRARY = decls
    try:
        with mp.get_context("fork").Pool(jobs) as pool:
            out: set[str] = set()
            for part in pool.imap_unordered(_library_slice, bounds):
                out.update(part)
    finally:
        _LIBRARY = ()
    return frozenset(out)


LIBRARY_CACHE = "library_fingerprints.txt"


def _library_cache_key(run: RunDir) -> str:
    """The declarations file's content and the fingerprint code: the library set is a pure
    function of both, so a cached set with this key is exact."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    with open(run.declarations, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    here = Path(__file__).resolve().parent
    for src in (here / "fingerprint.py", here / "substitute.py",
                here.parent / "grammar" / "ast.py", here.parent / "grammar" / "statements.py"):
        if src.exists():
            h.update(src.read_bytes())
    return h.hexdigest()


def cached_library_fingerprints(run: RunDir, decls: Sequence[Declaration], jobs: int = 1
                                ) -> frozenset[str]:
    """`library_fingerprints`, stored in `RUN/library_fingerprints.txt` (first line: the
    cache key) so that re-running the stage (new options, a re-tuned index) skips the
    ~190k statement fingerprints."""
    from lean_alchemy.core.rundir import atomic_write_text

    path = run.root / LIBRARY_CACHE
    key = _library_cache_key(run)
    if path.exists():
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except OSError:
            lines = []
        if lines and lines[0] == key:
            return frozenset(x for x in lines[1:] if x)
    lib = library_fingerprints(decls, jobs)
    atomic_write_text(path, "\n".join([key, *sorted(lib)]) + "\n")
    return lib


def _read_inputs(run: RunDir):
    run.require(run.declarations, "extract")
    run.require(run.rules, "index")
    try:
        from lean_alchemy.extract import store
        from lean_alchemy.index.driver import read_invocation_table, read_rules
        from lean_alchemy.index.sections import read_section_binders
    except ImportError as e:
        raise AlchemyError(f"the extract/index stages are not available ({e})") from None
    decls = list(store.read_declarations(run, kinds=("theorem", "lemma")))
    scopes = store.read_scopes(run) if run.scopes.exists() else {}
    if not isinstance(scopes, dict):
        scopes = {s.id: s for s in scopes}
    rules = list(read_rules(run))
    sections = read_section_binders(run, scopes)  # {} for runs indexed before it existed
    return decls, scopes, sections, rules, read_invocation_table(run)


Task = Hashable
"""What a worker is told to mutate: small and picklable (a position, a row range); the
`load` function of `mutate_all` turns it into (declaration, invocations) on the worker."""
Load = Callable[[Any], "tuple[Declaration, Sequence[Invocation]]"]


@dataclass(frozen=True)
class Workload:
    """The stage's tasks: one per theorem, (declaration position, invocation row range).

    Why ranges and not records: all of Mathlib has ~10M invocations; decoding and pickling
    them in the parent made it the bottleneck of a parallel run.  Workers (forked after
    this is built) decode only their own theorems' rows from the shared Arrow table, and
    of those only the ones tried before the per-theorem cap (`InvocationRows`).
    """

    decls: Sequence[Declaration]
    table: Any  # pyarrow.Table with the invocation schema
    tasks: tuple[tuple[int, int, int], ...]
    unknown: int  # invocations whose candidate is not a known theorem

    @classmethod
    def build(cls, decls: Sequence[Declaration], table) -> "Workload":
        from lean_alchemy.index.driver import candidate_runs

        pos = {d.full_name: i for i, d in enumerate(decls)}
        tasks: list[tuple[int, int, int]] = []
        unknown = 0
        for name, a, b in candidate_runs(table):
            i = pos.get(name)
            if i is None:
                unknown += b - a
            else:
                tasks.append((i, a, b))
        return cls(decls, table, tuple(tasks), unknown)

    def load(self, task: tuple[int, int, int]) -> tuple[Declaration, Sequence[Invocation]]:
        """The theorem and its invocation rows, decoded lazily (only the ones tried)."""
        from lean_alchemy.index.driver import InvocationRows

        i, a, b = task
        return self.decls[i], InvocationRows(self.table, a, b)


Encode = Callable[[Mutant], object]
_WORKER: tuple[Mutator, Load, Encode | None] | None = None  # set before forking the pool


def _theorem_rows(mut: Mutator, decl: Declaration, invs: Sequence[Invocation]) -> list[Row]:
    """One theorem's rows with the cross-theorem filter state cleared first: a worker then
    computes the same rows whatever it mutated before, so the result does not depend on
    how a pool happens to schedule theorems (cross-theorem duplicates and the rule cap are
    applied afterwards, in order, by `mutate_all`).  The per-theorem count is cleared too:
    two declarations can share a full name (private theorems), and each has its own cap."""
    mut.dedup.seen.clear()
    mut.dedup.per_rule.clear()
    mut.dedup.per_theorem.clear()
    return list(mut.mutate_theorem(decl, invs))


# What the global filters of `mutate_all` read of a row: (id, rule, source theorem, kind,
# depth), then the row itself, possibly encoded: (key, mutant or encode(mutant), status,
# detail).
Keyed = tuple[tuple[str, str, str, str, int], object, str, str]


def _keyed(rows: list[Row], encode: Encode | None) -> list[Keyed]:
    return [((m.id, m.rule, m.source_theorem, m.kind, m.depth),
             m if encode is None else encode(m), status, detail)
            for m, status, detail in rows]


def _work(tasks: list[Task]) -> tuple[list[Keyed], Counters]:
    assert _WORKER is not None
    m, load, encode = _WORKER
    rows: list[Keyed] = []
    for task in tasks:
        rows.extend(_keyed(_theorem_rows(m, *load(task)), encode))
    return rows, m.take_counters()


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for t in tasks:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def mutate_all(mut: Mutator, tasks: Iterable[Task], load: Load, jobs: int = 1,
               chunk: int = 32, encode: Encode | None = None) -> Iterator[tuple]:
    """Every stored row, in the order of `tasks` (one theorem each, see `Load`).  Each
    theorem is mutated on its own (`_theorem_rows`); the global filters (duplicates of
    earlier theorems' mutants, rule caps) are then applied here in task order, so
    `jobs > 1` (theorems mutated in forked worker processes) yields exactly the rows and
    counters of `jobs = 1`.

    Rows are (Mutant, status, detail), or (encode(Mutant), status, detail) with `encode`:
    it runs in the workers, so what they send is plain data that the parent unpickles and
    stores as it is (`jobs.db.mutant_row` for `RunDB.add_mutant_rows`).  Unpickling
    Mutants and encoding them in the parent cost more than the database insert did."""
    glob = Deduper(max_per_rule=mut.opts.max_per_rule)

    def admitted(rows: Iterable[Keyed]) -> Iterator[tuple]:
        for (fid, rule, theorem, kind, depth), row, status, detail in rows:
            if fid in glob.seen:
                mut.counters.unstore(kind, depth, status, "duplicate")
                continue
            pending = status == "pending"
            if pending and glob.max_per_rule is not None and \
                    glob.per_rule[rule] >= glob.max_per_rule:
                mut.counters.unstore(kind, depth, status, "rule_cap")
                continue
            glob.admit(fid, theorem, rule, counts=pending)
            yield row, status, detail

    with few_collections():
        if jobs <= 1:
            for task in tasks:
                yield from admitted(_keyed(_theorem_rows(mut, *load(task)), encode))
            return
        import multiprocessing as mp

        global _WORKER
        _WORKER = (mut, load, encode)
        try:
            ctx = mp.get_context("fork")
            with ctx.Pool(jobs) as pool:
                for rows, counters in pool.imap(_work, _chunks(tasks, chunk)):
                    mut.counters.merge(counters)
                    yield from admitted(rows)
        finally:
            _WORKER = None


def _token_table(run: RunDir):
    """The run's token table (`grammar.tokens.build_token_table` over
    `RUN/notations.parquet`), or None for a run extracted before notations were recorded
    (then no `render_mismatch` check)."""
    if not run.notations.exists():
        return None
    from lean_alchemy.extract.store import read_notations
    from lean_alchemy.grammar.tokens import build_token_table
    return build_token_table(read_notations(run))


def run_mutate(run: RunDir, opts: MutateOptions = MutateOptions(), refute_opts=None,
               *, echo: Callable[[str], None] | None = None) -> dict:
    """Build, filter, refute and store the mutants of a run (see module doc); returns the
    stats written to `RUN/mutate.stats.json`."""
    import os

    start = time.perf_counter()
    jobs = opts.jobs or os.cpu_count() or 1
    decls, scopes, sections, rules, invocations = _read_inputs(run)
    library = cached_library_fingerprints(run, decls, jobs)
    index = None
    if opts.depth > 1:
        from lean_alchemy.index.match.rule_index import RuleIndex
        from lean_alchemy.index.match.rigid import rigid_names
        index = RuleIndex.build(rules, rigid=rigid_names(decls), generic_evidence=True)
    mut = Mutator(rules, scopes, opts, library=library, refute_opts=refute_opts, index=index,
                  section_of=stored_section_binders(sections), tokens=_token_table(run))
    from lean_alchemy.core.rundb import RunDB, mutant_row
    db = RunDB.for_run(run)
    work = Workload.build(decls, invocations)
    mut.dropped["unknown_candidate"] += work.unknown
    mut.counters.invocations += work.unknown
    bar = None
    if opts.progress:
        from tqdm import tqdm
        bar = tqdm(desc="mutate", unit="thm", total=len(work.tasks), mininterval=0.5)

    def tasks() -> Iterator[tuple[int, int, int]]:
        for t in work.tasks:
            if bar is not None:
                bar.update(1)
            yield t

    stored = 0
    batch: list[tuple] = []
    # a database without mutants gets only this run's (unique) ids: no look-ups needed
    fresh = not db.has_mutants()
    for row in mutate_all(mut, tasks(), work.load, jobs, encode=mutant_row):
        batch.append(row)
        if len(batch) >= BATCH:
            stored += db.add_mutant_rows(batch, assume_new=fresh)
            batch = []
    if batch:
        stored += db.add_mutant_rows(batch, assume_new=fresh)
    if bar is not None:
        bar.close()
    c = mut.counters
    stats = {
        "mutants": {k: v for k, v in sorted(c.mutants.items()) if v},
        "mutants_total": sum(c.mutants.values()),
        "status": {k: v for k, v in sorted(c.status.items()) if v},
        "refuted": c.status.get("refuted", 0),
        "vacuous": c.status.get("vacuous", 0),
        "pending": c.status.get("pending", 0),
        "dropped": {k: v for k, v in sorted(c.dropped.items()) if v},
        "by_depth": {str(k): v for k, v in sorted(c.by_depth.items()) if v},
        "refute_verdicts": dict(sorted(c.refute.items())),
        "invocations": c.invocations,
        "candidates": c.candidates,
        "library_fingerprints": len(library),
        "stored_section_binders": len(sections),
        "new_rows": stored,
        "jobs": jobs,
        "options": {"depth": opts.depth, "proof_style": opts.proof_style,
                    "max_per_theorem": opts.max_per_theorem,
                    "max_per_rule": opts.max_per_rule, "seed": opts.seed,
                    "max_heartbeats": opts.max_heartbeats, "refute": opts.refute,
                    "samples": opts.samples},
        "seconds": round(time.perf_counter() - start, 3),
        "peak_rss_mb": round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                 resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
                             / 1024, 1),
    }
    run.write_stats("mutate", stats)
    if echo is not None:
        echo(f"mutate: {stats['mutants_total']} mutants ({stats['pending']} pending, "
             f"{stats['refuted']} refuted, {stats['vacuous']} vacuous) from "
             f"{c.candidates} theorems in {stats['seconds']} s -> {run.db}")
    return stats
