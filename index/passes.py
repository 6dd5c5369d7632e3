"""The index stage's two passes over chunks of theorems, as functions of a context.

Pass 1 (`derive_chunk`) derives each theorem's rules and its statement/proof-uses edges;
pass 2 (`match_chunk`) matches each theorem against the rule index built from pass 1's
rules.  Both are plain functions of an `IndexContext` and a chunk of theorem positions:
the driver runs them in this process or in forked workers that inherit the context
(`core.forkpool.forked_map`), and results do not depend on which.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import pyarrow as pa

from lean_alchemy.core.records import Declaration, Invocation, Rule, Scope
from lean_alchemy.grammar.ast import BinderGroup, Ident, Term
from lean_alchemy.grammar.tokens import TokenTable
from lean_alchemy.grammar.statements import (
    statement_mismatch,
    decl_binders, decl_conclusion, dumps_binders, loads_binders, scope_binders,
)
from lean_alchemy.index import graph
from lean_alchemy.index.match.rule_index import MatchStats, RuleIndex
from lean_alchemy.index.names import Resolver, ScopeView, binder_locals
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.index.rules import RuleStats, derive_rules
from lean_alchemy.index.stats import IndexStats
from lean_alchemy.index.store import invocations_table


@dataclass
class IndexContext:
    """Everything a pass needs, built once in the parent (inherited by forked workers).

    `rule_index` is filled while pass 1's results come back and used by pass 2."""

    decls: list[Declaration]
    scopes: dict[str, Scope]
    resolver: Resolver
    opts: IndexOptions
    rule_index: RuleIndex
    views: dict[str, ScopeView] = field(default_factory=dict)
    sections: dict[str, tuple[BinderGroup, ...]] = field(default_factory=dict)
    # Section binders by scope id, serialized (`dumps_binders`): what pass 1 parsed, sent
    # back to the parent, which fills this before forking pass 2 so that pass 2 workers
    # decode instead of re-parsing; also stored for the mutation stage (`index.sections`).
    section_json: dict[str, str] = field(default_factory=dict)
    # (scope id, serialized binders) parsed by this process and not yet sent to the parent
    fresh_sections: list[tuple[str, str]] = field(default_factory=list)
    # the run's token table (`store.run_token_table`): rules come only from statements
    # whose printed text lexes to the tokens of their source (None: no such check)
    tokens: TokenTable | None = None
    # theorems whose statement was misread (pass 1): no rule from them, and no invocation
    # on them in pass 2 (their mutants would state something else)
    misread: set[str] = field(default_factory=set)
    # rule id -> library, for the rules of dependency runs (`index.dependency`)
    rule_library: dict[str, str] = field(default_factory=dict)

    def view(self, decl: Declaration) -> ScopeView:
        """Where `decl`'s names resolve: its scope, inside its own dotted name (Lean
        elaborates `theorem Ring.krullDimLE_iff` within `namespace Ring`, so its
        `KrullDimLE` is `Ring.KrullDimLE`; what is declared there later is not visible,
        `index.visibility`)."""
        key = decl.scope_id or ""
        v = self.views.get(key)
        if v is None:
            scope = self.scopes.get(key)
            ns = decl.full_name.rsplit(".", 1)[0] if "." in decl.full_name else ""
            v = ScopeView.of(scope, namespace_hint=ns, known=self.resolver.table.namespaces)
            self.views[key] = v
        return v.inside(decl.full_name)

    def section(self, decl: Declaration) -> tuple[BinderGroup, ...]:
        """The section binders of `decl`'s scope: decoded from `section_json` when pass 1
        parsed them, else parsed (and recorded in `section_json`/`fresh_sections`)."""
        key = decl.scope_id or ""
        s = self.sections.get(key)
        if s is None:
            js = self.section_json.get(key)
            if js is not None:
                s = loads_binders(js)
            else:
                s = self._parse_section(key)
            self.sections[key] = s
        return s

    def _parse_section(self, key: str) -> tuple[BinderGroup, ...]:
        scope = self.scopes.get(key)
        if scope is None:
            return ()
        try:
            s = tuple(scope_binders(scope))
        except Exception:  # noqa: BLE001 - a bad `variable` line loses its binders only
            return ()
        # a failed parse is not stored: its readers fail as before
        js = dumps_binders(s)
        self.section_json[key] = js
        self.fresh_sections.append((key, js))
        return s


def parsed(decl: Declaration) -> tuple[tuple[BinderGroup, ...], Term] | None:
    """The structured parts of a statement (a partial parse keeps its parsed parts)."""
    if decl.parse_status not in ("full", "partial") or not decl.conclusion_ast:
        return None
    try:
        concl = decl_conclusion(decl)
        if concl is None:
            return None
        return tuple(decl_binders(decl)), concl
    except Exception:  # noqa: BLE001 - a corrupt AST column loses one statement
        return None


def const_eq_for(resolver: Resolver, view: ScopeView) -> Callable[[str, Ident, Ident], bool]:
    """Rule constant vs candidate identifier: equal resolved names, a reading of an
    overloaded candidate name (the root's and some `open`'s: `IsBounded` under `open
    Bornology Filter`, which Lean settles by elaborating each), or an unresolved
    candidate name that could denote the rule's constant in the candidate's scope.  A rule
    constant the library does not declare either (Lean core's `Injective`, a name
    `to_additive` generates such as `Function.Exact`) is kept as the rule wrote it, under
    the rule's own `open`s: `Injective` under `open Function` is the candidate's
    unresolved `Function.Injective`, so a candidate name that qualifies it is that name."""
    table = resolver.table

    def eq(pname: str, w: Ident, r: Ident) -> bool:
        if pname == r.name:
            return True
        status = resolver.resolve_name(view, w.name)[1]
        if status == "ambiguous":  # an overload: Lean keeps the reading that elaborates
            return pname in resolver.candidates(view, w.name)
        if status != "unresolved":
            return False  # resolved to another constant
        if pname in resolver.possible(view, w.name):
            return True
        return w.name.endswith("." + pname) and pname not in table

    return eq


# --------------------------------------------------------------------------- pass 1

@dataclass
class DerivedChunk:
    """What pass 1 returns for a chunk of theorems."""

    rules: list[Rule]
    edges: list[graph.Edge]
    sections: list[tuple[str, str]]  # section binders this process parsed (serialized)
    misread: list[str]  # theorems whose printed statement lexes unlike their source
    stats: IndexStats  # dropped rules, unparsed theorems, name resolution counts
    # evidence of receiver positions, (constant, position) -> applications (`index.receivers`)
    receivers: Counter = field(default_factory=Counter)


def misread_statement(tokens: TokenTable, scopes: dict[str, Scope], decl: Declaration,
                      groups: tuple[BinderGroup, ...], conclusion: Term) -> str | None:
    """How the printed statement's tokens differ from the source's under the tokens in
    force in `decl`'s scope (`grammar.statements.statement_mismatch`), or None."""
    scope = scopes.get(decl.scope_id or "")
    lexicon = tokens.for_scope(scope) if scope is not None else tokens.lexicon
    return statement_mismatch(decl, groups, conclusion, lexicon)


def derive_chunk(ctx: IndexContext, positions: list[int]) -> DerivedChunk:
    """Rules and statement/proof-uses edges of the theorems at `positions`."""
    resolver = ctx.resolver
    resolver.counts = Counter()
    resolver.unresolved_names = Counter()
    resolver.ambiguous_names = Counter()
    rule_stats = RuleStats.new()
    rules: list[Rule] = []
    edges: list[graph.Edge] = []
    misread: list[str] = []
    receivers: Counter = Counter()
    unparsed = 0
    for i in positions:
        d = ctx.decls[i]
        view = ctx.view(d)
        section = ctx.section(d)
        p = parsed(d)
        if p is None:
            unparsed += 1
            rule_stats.dropped["unparsed"] += 1
            graph.statement_edges(resolver, d, view, None, None, binder_locals(section),
                                  ctx.opts.proof_uses, edges)
            continue
        groups, concl = p
        locals_ = binder_locals(section) | binder_locals(groups)
        if ctx.tokens is not None and misread_statement(ctx.tokens, ctx.scopes, d, groups,
                                                        concl) is not None:
            # its rules would print the misread tree into every mutant they make
            rule_stats.dropped["render_mismatch"] += 1
            misread.append(d.full_name)
            graph.statement_edges(resolver, d, view, groups, concl, locals_,
                                  ctx.opts.proof_uses, edges)
            continue
        rules.extend(derive_rules(
            d, groups, concl, section=section, stats=rule_stats, receivers=receivers,
            resolve=lambda t, loc, _v=view, _d=d.full_name: resolver.resolve_term(
                t, _v, loc, count=False, own=_d)))
        graph.statement_edges(resolver, d, view, groups, concl, locals_, ctx.opts.proof_uses,
                              edges)
    sections, ctx.fresh_sections = ctx.fresh_sections, []
    stats = IndexStats(dropped=rule_stats.dropped, unparsed=unparsed,
                       name_occurrences=resolver.counts,
                       unresolved_names=resolver.unresolved_names,
                       ambiguous_names=resolver.ambiguous_names)
    return DerivedChunk(rules, edges, sections, misread, stats, receivers)


# --------------------------------------------------------------------------- pass 2

@dataclass
class MatchedChunk:
    """What pass 2 returns for a chunk of candidates: invocations and the aggregated
    invocable edges as Arrow tables (cheap to send between processes: all of Mathlib has
    ~9M of each, which as pickled tuples cost the parent tens of CPU-seconds), and
    counters."""

    invocations: pa.Table | None
    edges: pa.Table | None
    stats: IndexStats  # candidates, invocations and invocable edges by kind, match counters


def match_chunk(ctx: IndexContext, positions: list[int]) -> MatchedChunk:
    """Match the candidates at `positions` against the rule index."""
    index = ctx.rule_index
    index.stats = MatchStats()
    stats = IndexStats(matches=index.stats)
    found: list[Invocation] = []
    edges: list[graph.Edge] = []
    resolver = ctx.resolver
    for i in positions:
        decl = ctx.decls[i]
        stats.candidates += 1
        p = parsed(decl)
        if p is None:
            continue
        if decl.full_name in ctx.misread:
            stats.misread_candidates += 1
            continue
        groups, concl = p
        view = ctx.view(decl)
        section = ctx.section(decl)
        locals_ = binder_locals(section) | binder_locals(groups)
        invs = index.invocations(
            decl, groups, concl, extra_binders=section,
            resolve=lambda t: resolver.resolve_term(t, view, locals_, count=False,
                                                    own=decl.full_name),
            const_eq=const_eq_for(resolver, view))
        if not invs:
            continue
        stats.candidates_with_invocations += 1
        stats.invocations_by_kind.update(inv.kind for inv in invs)
        if ctx.rule_library:  # counted only when a dependency's rules are indexed
            stats.invocations_by_library.update(ctx.rule_library.get(inv.rule_id, "")
                                                for inv in invs)
        edges.extend(invocable_edges(decl, invs, index))
        found.extend(invs)
    stats.edges_by_kind.update(e[2] for e in edges)
    return MatchedChunk(invocations_table(found, ctx.rule_library) if found else None,
                        graph.edges_table(edges) if edges else None, stats)


def invocable_edges(decl: Declaration, invs: list[Invocation], index: RuleIndex
                    ) -> list[graph.Edge]:
    """One edge per (lemma, kind, direction, location) of a candidate's invocations, with
    the first instance and rule id and the number of invocations it stands for."""
    agg: dict[tuple, list] = {}
    for inv in invs:
        r = index.rules[inv.rule_id]
        key = (r.lemma, inv.kind, r.direction, inv.location)
        e = agg.get(key)
        if e is None:
            agg[key] = [inv.instance, inv.rule_id, 1]
        else:
            e[2] += 1
    return [(decl.full_name, lemma, kind, direction, loc, inst, rid, n)
            for (lemma, kind, direction, loc), (inst, rid, n) in agg.items()]


__all__ = ["IndexContext", "parsed", "const_eq_for", "DerivedChunk", "derive_chunk",
           "MatchedChunk", "match_chunk", "invocable_edges"]
