"""`alchemy index`: declarations -> rules, invocations and the dependency graph.

Why one stage for all three: they share the expensive parts (decoding every statement's
AST, resolving every identifier in its scope), so one pass over the theorems derives the
rules, the statement/proof uses and, once the rule index is built, a second pass matches
every theorem's conclusion and hypotheses against it (`index.passes`).

Outputs (all atomic, a re-run replaces them):
- `RUN/rules.parquet`: one `Rule` a row (`index.store.read_rules`);
- `RUN/rules.arrow`: the same rules with each one's required constants and trie key,
  uncompressed, for projects that use this run as a dependency (`index.rule_keys`);
- `RUN/invocations.parquet`: one `Invocation` a row, rows of one candidate contiguous
  (`index.store.iter_invocations`; the mutation stage groups by candidate);
- `RUN/graph/nodes.parquet`, `edges.parquet` (`index.graph`; `load_graph` reads them back);
- `RUN/section_binders.parquet`: the section `variable` binders pass 1 parsed, for the
  mutation stage (`index.sections`; pass 2 workers get them from the parent by fork);
- `RUN/signatures.parquet`: the signature table (`index.typing.signatures.SCHEMA`), only
  with `IndexOptions.typed_filter`;
- `RUN/index.stats.json`: `IndexStats` (`index.stats`);
- `RUN/dependencies.json`: the dependency runs used (`IndexOptions.rules_from`), for the
  mutation stage (`index.dependency`).

Dependencies: their names join the project's name table and their notations its token
table; the rules of theirs that can fire in the project are compiled into the rule index
before the project's own (`index.dependency.relevant_rules`).  Without `rules_from`
nothing of this runs.

Parallelism: the name table is built in the parent and the rule index is filled there
while pass 1 workers derive the next chunks; both passes run in forked workers that
inherit one `IndexContext` (`core.forkpool.forked_map`) and share it copy-on-write.
"""

from __future__ import annotations

from collections import Counter
import logging
import os
import resource
import time
from itertools import chain
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from lean_alchemy.core.collector import few_collections
from lean_alchemy.core.forkpool import forked_map
from lean_alchemy.core.records import Declaration, Rule
from lean_alchemy.core.rundir import RunDir, atomic_write_text
from lean_alchemy.extract import store as extract_store
from lean_alchemy.extract.store import AtomicParquetWriter, write_parquet
from lean_alchemy.index import graph
from lean_alchemy.index.dependency import (
    Dependency, load_dependency, relevant_rules, statement_words, write_dependencies,
)
from lean_alchemy.index.match.lazy_leaf import PendingRule
from lean_alchemy.index.match.results import read_result_heads
from lean_alchemy.index.match.results import write_table as write_result_heads
from lean_alchemy.index.match.rigid import rigid_names
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.names import (
    NameTable, Resolver, read_external_names, written_external_names)
from lean_alchemy.index.visibility import module_imports
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.index.passes import IndexContext, derive_chunk, match_chunk
from lean_alchemy.index.dot_notation import undotted_rules
from lean_alchemy.index.receivers import table as receiver_table
from lean_alchemy.index.receivers import read_table as read_receivers
from lean_alchemy.index.receivers import write_table as write_receivers
from lean_alchemy.index.receivers import name_endings, read_sole, sole_fields, structure_fields
from lean_alchemy.index.rule_keys import write_rule_keys
from lean_alchemy.index.sections import write_section_binders
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.scoped import resolution_namespaces
from lean_alchemy.index.typing.signatures import FILE as SIGNATURES_FILE
from lean_alchemy.index.typing.signatures import build_signatures, write_signatures
from lean_alchemy.index.stats import IndexStats
from lean_alchemy.grammar.tokens import build_token_table
from lean_alchemy.index.match.notations import library_notations, type_formers
from lean_alchemy.index.store import INVOCATION_SCHEMA, invocations_path, rules_table
from lean_alchemy.index.unproved import directly_unproved, proof_uses_pairs, unproved_declarations

log = logging.getLogger(__name__)

GRAPH_WRITE_ROWS = 200000  # edges per Arrow table written after pass 2
FORK_MIN_THEOREMS = 2000  # below this, forking workers costs more than it saves


def run_index(run: RunDir, opts: IndexOptions = IndexOptions(), *,
              echo: Callable[[str], None] | None = None) -> IndexStats:
    """Derive rules, match every theorem, build the graph; returns the stats written to
    `RUN/index.stats.json` (see the module doc)."""
    start = time.perf_counter()
    ctx, external, deps = _load_context(run, opts)
    theorems = [i for i, d in enumerate(ctx.decls) if d.is_candidate]
    jobs = opts.jobs or os.cpu_count() or 1
    if len(theorems) < FORK_MIN_THEOREMS:
        jobs = 1
    chunks = _chunks(theorems, jobs)
    stats = IndexStats(theorems=len(theorems), external_names=len(external), jobs=jobs,
                       options=opts)
    dep_rules: list[PendingRule] = []
    if deps:
        with few_collections():  # ~10^5 pending rules and trie nodes, all kept
            dep_rules = _dependency_rules(run, ctx, deps, stats)
    else:
        write_dependencies(run, [])  # a previous index of this run may have used some
    stats.seconds_dependencies = round(time.perf_counter() - start, 2) if deps else 0.0
    bar = (tqdm(total=2 * len(theorems), desc="index", unit="thm", mininterval=0.5)
           if opts.progress else None)
    try:
        dep_receivers: dict[str, int] = {}
        dep_sole: dict[str, str] = {}  # field -> a dependency's sole constant of it
        for dep in deps:  # the dependencies' receivers, where the project shows none
            for name, position in read_receivers(Path(dep.run_dir)).items():
                dep_receivers.setdefault(name, position)
            for f, name in read_sole(Path(dep.run_dir)).items():
                dep_sole.setdefault(f, name)
        edges = _rules_pass(run, ctx, chunks, jobs, stats, bar, dep_rules,
                            (dep_receivers, dep_sole))
        t_rules = time.perf_counter()
        # invocable edges go to disk as they come (millions on Mathlib): only their counts
        # stay; the other edges follow after pass 2
        edge_writer = AtomicParquetWriter(graph.edges_path(run), graph.EDGE_SCHEMA)
        try:
            _match_pass(run, ctx, chunks, jobs, stats, bar, edge_writer)
        except BaseException:
            edge_writer.abort()
            raise
    finally:
        if bar is not None:
            bar.close()
    t_match = time.perf_counter()
    _write_graph(run, ctx, edges, edge_writer, stats)
    stats.seconds_rules = round(t_rules - start, 2)
    stats.seconds_match = round(t_match - t_rules, 2)
    stats.seconds = round(time.perf_counter() - start, 2)
    stats.peak_rss_mb = _peak_rss_mb(jobs)
    run.write_stats("index", stats.as_dict())
    if echo is not None:
        echo(f"index: {stats.rules} rules, {stats.invocations} invocations on "
             f"{stats.candidates_with_invocations}/{stats.candidates} theorems, "
             f"{stats.edges} graph edges in {stats.seconds} s -> {run.rules}, "
             f"{run.graph_dir}")
        if deps:
            echo("index: " + dependency_summary(stats))
    return stats


def dependency_summary(stats: IndexStats) -> str:
    """One line: the dependency rules used and the share of invocations they make."""
    by = stats.invocations_by_library
    total = stats.invocations
    parts = [f"{n} {lib} rules ({stats.dependency_rules_skipped[lib]} never matchable "
             "here, left out)" for lib, n in sorted(stats.dependency_rules.items())]
    dep = total - by.get("", 0)
    share = f"{100 * dep / total:.1f} %" if total else "n/a"
    return (f"{', '.join(parts) or 'no dependency rule'}; {dep}/{total} invocations "
            f"({share}) use a dependency's rule")


def _load_context(run: RunDir, opts: IndexOptions
                  ) -> tuple[IndexContext, list[str], list[Dependency]]:
    """The run's declarations and scopes, the name resolver and an empty rule index; the
    external names the options point to; the dependency runs (`rules_from`), whose names
    and notations are added here."""
    run.require(run.declarations, "extract")
    decls = extract_store.read_declarations(run)
    scopes = extract_store.read_scopes(run) if run.scopes.exists() else {}
    external = read_external_names(opts.external_names) + _written_names(run, decls)
    with few_collections():  # a dependency's names: ~10^5 records, all kept
        deps = [load_dependency(p) for p in opts.rules_from]
    table = NameTable.from_declarations(decls, external, module_imports(scopes.values()))
    for dep in deps:
        table.names.update(n.full_name for n in dep.names)
        table.protected.update(dep.protected)
    resolver = Resolver(table)
    rigid = rigid_names(chain(decls, *(dep.names for dep in deps)))
    rule_index = RuleIndex.empty(max_per_theorem=opts.max_matches_per_theorem,
                                 rigid=rigid, generic_evidence=opts.generic_evidence)
    rule_index.max_dependency_per_theorem = opts.max_dependency_matches_per_theorem
    rule_index.declared = table.names  # fields of constants (`patterns.constant_receivers`)
    root = Path((run.read_stats("extract") or {}).get("root") or ".")
    heads = read_result_heads(decls, root)  # `match.results`, kept for `alchemy explain`
    write_result_heads(run.root, heads)
    rule_index.use_results(heads)
    if opts.typed_filter:
        rule_index.use_typing(ClassTable.build(_signature_table(run, decls)),
                              lambda d: resolution_namespaces(scopes.get(d.scope_id or ""),
                                                              d.full_name))
    own = extract_store.read_notations(run) if run.notations.exists() else []
    notations = list(chain(own, *(dep.notations for dep in deps)))
    tokens = build_token_table(notations) if run.notations.exists() or deps else None
    rule_index.notations = library_notations(notations, resolver, type_formers(decls))
    return IndexContext(decls, scopes, resolver, opts, rule_index,
                        tokens=tokens), external, deps


def _written_names(run: RunDir, decls: list[Declaration]) -> list[str]:
    """`written_external_names` of the run's declarations, also written to
    `RUN/written_names.txt` for the stages that resolve names after this one."""
    names = written_external_names(
        (d.full_name, [b.name for b in d.binders],
         " ".join([b.type or "" for b in d.binders] + [d.conclusion or ""])) for d in decls)
    atomic_write_text(run.written_names, "".join(f"{n}\n" for n in names))
    return names


def _dependency_rules(run: RunDir, ctx: IndexContext, deps: list[Dependency],
                      stats: IndexStats) -> list[PendingRule]:
    """The dependencies' rules that can fire in the project, added to the rule index
    (before the project's own; compiled when first retrieved) and tagged with their
    library; `RUN/dependencies.json` records what was used."""
    vocabulary = statement_words(ctx.decls, ctx.scopes)
    out: list[PendingRule] = []
    entries = []
    for dep in deps:
        rules, skipped = relevant_rules(dep, vocabulary)
        stats.dependency_rules_skipped[dep.library] += skipped
        for r in rules:
            if r.id in ctx.rule_library:
                continue  # two dependency runs of one library: the first one's rule
            ctx.rule_library[r.id] = dep.library
            out.append(r)
            if _indexed(r, ctx.opts) and ctx.rule_index.add_lazy(r):
                stats.dependency_rules[dep.library] += 1
        entries.append({"library": dep.library, "run_dir": str(Path(dep.run_dir).resolve()),
                        "rules": dep.rules_total, "rules_used": len(rules)})
    write_dependencies(run, entries)
    return out


def _signature_table(run: RunDir, decls: list) -> list:
    """The run's signature table, built once from the extracted declarations' sources
    and stored as `RUN/signatures.parquet` (for the benchmarks and for reading); always
    rebuilt here, since the declarations it describes may have been extracted anew."""
    root = Path((run.read_stats("extract") or {}).get("root") or ".")
    sigs = build_signatures(decls, root)
    write_signatures(run.root / SIGNATURES_FILE, sigs)
    return sigs


def _chunks(theorems: list[int], jobs: int) -> list[list[int]]:
    """Theorem positions in chunks: about 16 per worker, 64 to 1024 theorems each."""
    size = max(64, min(1024, len(theorems) // (jobs * 16) + 1))
    return [theorems[k:k + size] for k in range(0, len(theorems), size)]


def _indexed(r: Rule | PendingRule, opts: IndexOptions) -> bool:
    """Whether the options match rules of `r`'s kind (`apply` for implications, `rewrite`
    for equations and iffs)."""
    return opts.apply if r.kind == "imp" else opts.rewrite


def _rules_pass(run: RunDir, ctx: IndexContext, chunks: list[list[int]], jobs: int,
                stats: IndexStats, bar: tqdm | None, dep_rules: list[PendingRule],
                dep_receivers: tuple[dict[str, int], dict[str, str]] = ({}, {})
                ) -> list[graph.Edge]:
    """Pass 1: rules (written to `RUN/rules.parquet`, compiled into `ctx.rule_index` as
    each chunk comes back while the workers derive the next ones), the section binders
    (`RUN/section_binders.parquet`, and `ctx.section_json` for pass 2); returns the
    statement/proof-uses edges.  No rule comes from an unproved declaration
    (`index.unproved`): those proved with `sorry` are never indexed, and those whose proof
    uses one, known once every proof-uses edge is in, are taken out afterwards."""
    edges: list[graph.Edge] = []
    # one rule per id, the first (a name declared twice, e.g. in two files, gives one rule)
    unique: dict[str, Rule] = {}
    unproved = frozenset(directly_unproved(ctx.decls))
    derived = 0
    evidence: Counter = Counter()  # receiver positions (`index.receivers`)
    with few_collections():
        for k, part in enumerate(forked_map(derive_chunk, ctx, chunks, jobs)):
            derived += len(part.rules)
            evidence.update(part.receivers)
            for r in part.rules:
                if r.id not in unique:
                    unique[r.id] = r
                    if r.lemma not in unproved and _indexed(r, ctx.opts):
                        stats.rules_indexed += 1
                        ctx.rule_index.add(r)
            edges.extend(part.edges)
            ctx.misread.update(part.misread)
            stats.merge(part.stats)
            for key, js in part.sections:  # two workers may both have parsed a scope
                ctx.section_json.setdefault(key, js)
            if bar is not None:
                bar.update(len(chunks[k]))
    if len(unique) < derived:
        stats.dropped["duplicate_name"] += derived - len(unique)
    rules = _proved_rules(ctx, list(unique.values()), unproved, edges, stats, dep_rules)
    _receivers(run, ctx, evidence, dep_receivers)
    undotted = undotted_rules(rules, ctx.rule_index.receivers)
    for r in undotted:  # after the rules they come from, as `recall.py --rematch` adds them
        if _indexed(r, ctx.opts):
            stats.rules_indexed += 1
            ctx.rule_index.add(r)
    stats.rules_undotted = len(undotted)
    rules += undotted
    stats.rules = len(rules)
    stats.rules_by_kind.update(r.kind for r in rules)
    table = rules_table(rules)
    write_parquet(run.rules, table)
    write_rule_keys(run.root, table, rules, ctx.rule_index.own_symbols)
    write_section_binders(run, ctx.section_json, ctx.scopes)
    return edges


def _receivers(run: RunDir, ctx: IndexContext, evidence: Counter,
               deps: tuple[dict[str, int], dict[str, str]]) -> None:
    """The receiver table (`index.receivers`) from pass 1's evidence and the
    dependencies', with the constants whose field name is the library's only one
    (`sole_fields`; a dependency's own, where the project ends no name or field in it:
    its structures' fields are not read here), stored and handed to pass 2."""
    receivers = receiver_table(evidence)
    names = ctx.resolver.table.names
    fields = structure_fields(ctx.decls, Path((run.read_stats("extract") or {}).get("root")
                                              or "."))
    endings = name_endings(names, fields)
    sole = sole_fields(receivers, endings)
    dep_positions, dep_sole = deps
    for name, position in dep_positions.items():
        receivers.setdefault(name, position)
    sole |= {n for n in dep_sole.values() if endings[n.rsplit(".", 1)[-1]] <= 1}
    write_receivers(run.root, evidence, receivers, sole)
    ctx.rule_index.receivers = receivers
    ctx.rule_index.sole = {n.rsplit(".", 1)[-1]: n for n in sole if n in receivers}


def _proved_rules(ctx: IndexContext, rules: list[Rule], directly: frozenset[str],
                  edges: list[graph.Edge], stats: IndexStats,
                  dep_rules: list[PendingRule] = ()) -> list[Rule]:
    """`rules` less those of unproved declarations (counted `unproved_rule`).  When a proof
    uses an unproved lemma (`proof_uses` edges, to a fixpoint), the rule index is built
    again without its rules, in the same order, as if they had never been added."""
    unproved = unproved_declarations(ctx.decls, proof_uses_pairs(edges))
    kept = [r for r in rules if r.lemma not in unproved]
    stats.dropped["unproved_rule"] += len(rules) - len(kept)
    if any(r.lemma in unproved and r.lemma not in directly for r in rules):
        ctx.rule_index = ctx.rule_index.emptied()
        stats.rules_indexed = 0
        for r in dep_rules:  # first, as before
            if _indexed(r, ctx.opts):
                ctx.rule_index.add_lazy(r)
        for r in kept:
            if _indexed(r, ctx.opts):
                stats.rules_indexed += 1
                ctx.rule_index.add(r)
    return kept


def _match_pass(run: RunDir, ctx: IndexContext, chunks: list[list[int]], jobs: int,
                stats: IndexStats, bar: tqdm | None, edge_writer: AtomicParquetWriter
                ) -> None:
    """Pass 2: every candidate matched against the rule index; the invocations streamed
    to `RUN/invocations.parquet`, the invocable edges to `edge_writer`."""
    inv_writer = AtomicParquetWriter(invocations_path(run), INVOCATION_SCHEMA)
    try:
        with few_collections():
            for k, part in enumerate(forked_map(match_chunk, ctx, chunks, jobs)):
                stats.merge(part.stats)
                if part.edges is not None:
                    edge_writer.write(part.edges)
                if part.invocations is not None:
                    inv_writer.write(part.invocations)
                if bar is not None:
                    bar.update(len(chunks[k]))
        inv_writer.close()
    except BaseException:
        inv_writer.abort()
        raise


def _write_graph(run: RunDir, ctx: IndexContext, edges: list[graph.Edge],
                 edge_writer: AtomicParquetWriter, stats: IndexStats) -> None:
    """The other edges after the invocable ones, then the nodes (every endpoint of an
    invocable edge is a declaration; other edges may name external constants or
    premises)."""
    try:
        edges.extend(graph.premise_edges(run))
        node_rows, module_edges = graph.declaration_nodes(ctx.decls, ctx.scopes)
        edges.extend(module_edges)
        graph.add_external_nodes(node_rows, edges)
        stats.edges_by_kind.update(e[2] for e in edges)
        for k in range(0, len(edges), GRAPH_WRITE_ROWS):
            edge_writer.write(graph.edges_table(edges[k:k + GRAPH_WRITE_ROWS]))
        edge_writer.close()
    except BaseException:
        edge_writer.abort()
        raise
    graph.write_nodes(run, graph.nodes_table(node_rows))
    stats.nodes = len(node_rows)


def _peak_rss_mb(jobs: int) -> float:
    """The parent's peak plus `jobs` times the largest worker's: an upper bound of the
    concurrent peak (getrusage reports only the largest child)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if jobs > 1 else 0
    return round((own + jobs * child) / 1024, 1)


__all__ = ["run_index"]
