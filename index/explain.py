"""Why was (or wasn't) a lemma used on a theorem: every stage's verdict for one pair.

`alchemy explain CANDIDATE RULE` answers the question researchers and curriculum designers
ask of the index ("why is `Finset.coe_subset` never offered on this theorem?") and the one
we ask when auditing a filter.  It replays, for one candidate and one rule lemma, exactly
what the index stage does (`index.rules.derive_rules`, the discrimination tree, the
matcher, the type filter) with the run's options, and reads the run's
`invocations.parquet` to say whether the per-theorem cap kept the pair.

Why it does not rebuild the index: only the two declarations, their scopes and the names
of the library (for resolution and the rigid-type table) are needed, so a question about
one pair is answered in seconds on all of Mathlib.  The same code classifies the misses of
`benchmarks/recall.py`, so the benchmark's breakdown and this command always agree.

Stages, in order (the first that refuses is `rejected_by`):
- `candidate_unparsed`, `rule_unparsed`: a statement the grammar could not read;
- `rule_dropped:<reason>`: the rule derivation dropped the directed rule (the reasons of
  `index.rules`, e.g. `unbound_replacement_vars`), or `rule_dropped:no_rewrite` when the
  lemma's conclusion is neither `=` nor `↔`;
- `no_skeleton_hit`: no sub-term of any location fits the pattern's skeleton in the trie;
  `under_binder` when the only fitting sub-terms mention a bound variable;
- `matcher_failed`: skeletons fit, the first-order match failed everywhere;
- `filter:<reason>`: every match was dropped (`type_mismatch`, `rigid_mismatch`,
  `untyped_generic`, `spelling_clash`, `self_rewrite`…);
- `sampling:cap` / `sampling:attempts`: accepted, but the run kept no invocation of the
  pair: the theorem's quota was full, or it was not full and the attempts budget ran out.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import pyarrow.compute as pc
import pyarrow.parquet as pq

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, Rule
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.grammar.ast import BinderGroup, Term
from lean_alchemy.grammar.walk import binder_types
from lean_alchemy.index.passes import IndexContext, const_eq_for, misread_statement, parsed
from lean_alchemy.index.match.fill import Candidate, fill_spec, fillings
from lean_alchemy.index.match.fresh import FRESH
from lean_alchemy.index.match.invocation_records import location_invocations, show_term
from lean_alchemy.index.match.matcher import Compiled, compile_rule, match_flat, type_ok
from lean_alchemy.index.match.patterns import Flat, constant_receivers, flat_hints, flatten
from lean_alchemy.index.match.rigid import rigid_names
from lean_alchemy.index.match.fields import FieldViews
from lean_alchemy.index.match.notations import library_notations, type_formers
from lean_alchemy.index.match.results import read_table as read_result_heads
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.match.targets import dependent_hypotheses, hypotheses
from lean_alchemy.index.dot_notation import undotted_rules
from lean_alchemy.index.receivers import read_sole, read_table as read_receivers
from lean_alchemy.index.match.trie import Trie
from lean_alchemy.index.match.value_checks import result_clash, value_clash
from lean_alchemy.index.names import NameTable, Resolver, binder_locals, read_external_names
from lean_alchemy.index.visibility import module_imports
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.index.rules import RuleStats, derive_rules
from lean_alchemy.index.store import invocations_path, run_token_table
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.new_text import new_text, rule_constants
from lean_alchemy.index.typing.scoped import resolution_namespaces

REWRITE_KINDS = ("eq", "iff")
NEW_BINDER = "(new binder)"  # a filled variable no candidate variable fits (`match.fill`)


@dataclass(frozen=True, slots=True)
class _Name:
    """The columns of a declaration that name resolution and the rigid table need."""

    full_name: str
    kind: str
    modifiers: tuple[str, ...]
    module: str = ""
    start_line: int = 0

    @property
    def is_candidate(self) -> bool:
        return self.kind in ("theorem", "lemma")


class Library:
    """What explanations need of a run, loaded once: the library's names (resolution,
    rigid types), scopes and section binders (`index.passes.IndexContext`), the run's options
    and, on demand, declarations and invocation rows.

    `decls` may be given (the recall benchmark has them all in memory); otherwise each
    declaration is read from `declarations.parquet` with a filter when first asked for."""

    def __init__(self, run: RunDir, decls: Iterable[Declaration] | None = None) -> None:
        from lean_alchemy.extract.store import (
            declarations_from_table, read_notations, read_scopes,
        )

        run.require(run.declarations, "extract")
        self.run = run
        self._from_table = declarations_from_table
        self._decls: dict[str, Declaration] = {}
        if decls is not None:
            for d in decls:
                self._decls.setdefault(d.full_name, d)
            light: Iterable = self._decls.values()
        else:
            t = pq.read_table(run.declarations, columns=list(_Name.__slots__))  # in order
            light = [_Name(n, k, tuple(m or ()), mod, line) for n, k, m, mod, line in zip(
                *(t.column(c).to_pylist() for c in _Name.__slots__))]
        opts = _read_json(run.root / "index.stats.json").get("options", {})
        self.cap: int | None = opts.get("max_matches_per_theorem",
                                        IndexOptions.max_matches_per_theorem)
        self.generic_evidence = bool(opts.get("generic_evidence", True))
        external = _external(opts.get("external_names")) + _external(str(run.written_names))
        scopes = read_scopes(run) if run.scopes.exists() else {}
        self.resolver = Resolver(NameTable.from_declarations(
            light, external, module_imports(scopes.values())))
        self.rigid = rigid_names(light)
        self.ctx = IndexContext([], scopes, self.resolver, IndexOptions(), RuleIndex(),
                                tokens=run_token_table(run))
        # definition -> result head, as pass 2 used it (`match.results`)
        self.ctx.rule_index.use_results(read_result_heads(run.root))
        self._kept: dict[str, list[tuple[str, str, str, str]]] = {}
        # `T.f` -> receiver position, as pass 2 used it (`index.receivers`)
        self.receivers: dict[str, int] = read_receivers(run.root)
        self.sole: dict[str, str] = read_sole(run.root)  # `receivers.sole_fields`
        # the library's notations as views, as pass 2 built them (`match.notations`)
        self.notations = library_notations(
            read_notations(run) if run.notations.exists() else (), self.resolver,
            type_formers(light))
        self.typed: TypedFilter | None = None  # `use_typing`: the typed match filter

    def use_typing(self, table: ClassTable) -> None:
        """Replay the typed match filter too (`index.typing`): each location then shows
        the types inferred for the rule's variables and the instance queries asked."""
        self.typed = TypedFilter(table)

    def decl(self, name: str) -> Declaration | None:
        d = self._decls.get(name)
        if d is None and name not in self._decls:
            t = pq.read_table(self.run.declarations, filters=[("full_name", "=", name)])
            found = self._from_table(t)
            d = next((x for x in found if x.is_candidate), found[0] if found else None)
            self._decls[name] = d  # type: ignore[assignment]
        return d

    def kept(self, candidate: str) -> list[tuple[str, str, str, str]]:
        """(rule id, kind, location, path) of the run's invocations of `candidate`."""
        got = self._kept.get(candidate)
        if got is None:
            path = invocations_path(self.run)
            got = []
            if path.exists():
                t = pq.read_table(path, columns=["rule_id", "kind", "location", "path"],
                                  filters=[("candidate", "=", candidate)])
                got = list(zip(*(t.column(c).to_pylist()
                                 for c in ("rule_id", "kind", "location", "path"))))
            self._kept[candidate] = got
        return got

    def set_kept(self, candidate: str, rows: list[tuple[str, str, str, str]]) -> None:
        """Use `rows` as `candidate`'s kept invocations (`kept`'s format) instead of the
        run's: the recall benchmark's re-matching with the installed code."""
        self._kept[candidate] = rows

    def preload_kept(self, candidates: Iterable[str]) -> None:
        """Read the invocations of many candidates in one pass (the recall benchmark)."""
        want = sorted(set(candidates))
        path = invocations_path(self.run)
        for c in want:
            self._kept[c] = []
        if not want or not path.exists():
            return
        import pyarrow as pa

        pf = pq.ParquetFile(path)
        values = pa.array(want)
        cols = ["candidate", "rule_id", "kind", "location", "path"]
        for batch in pf.iter_batches(batch_size=1 << 18, columns=cols):
            sub = batch.filter(pc.is_in(batch.column(0), value_set=values))
            for c, r, k, loc, p in zip(*(sub.column(i).to_pylist() for i in range(5))):
                self._kept[c].append((r, k, loc, p))


def _read_json(path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _external(path: str | None) -> list[str]:
    try:
        return read_external_names(path)
    except AlchemyError:
        return []


# --------------------------------------------------------------------------- derivation

def derive(lib: Library, decl: Declaration) -> tuple[list[Rule], list[tuple]]:
    """The rules of `decl` as the index stage derives them, and the derivation trace
    ((kind, direction, reason or None) for each rule considered)."""
    p = parsed(decl)
    st = RuleStats.new(trace=True)
    if p is None:
        return [], [("*", "*", "rule_unparsed", None)]
    groups, concl = p
    if misread(lib, decl, groups, concl):
        return [], [("*", "*", "render_mismatch", None)]
    view = lib.ctx.view(decl)
    section = lib.ctx.section(decl)
    res = lib.resolver
    rules = derive_rules(decl, groups, concl, section=section, stats=st,
                         resolve=lambda t, loc: res.resolve_term(t, view, loc, count=False,
                                                                 own=decl.full_name))
    undotted = undotted_rules(rules, lib.receivers)  # as the index adds them after pass 1
    rules += undotted
    trace = list(st.trace or ()) + [(r.kind, r.direction, None, r.id) for r in undotted]
    if not any(k in REWRITE_KINDS or k == "*" for k, _, _, _ in trace):
        trace.append(("eq", "*", "no_rewrite", None))
    return rules, trace


def misread(lib: Library, decl: Declaration, groups: tuple[BinderGroup, ...],
            concl: Term) -> bool:
    """Whether the index reads `decl`'s statement as something else than its source says
    (`index.passes.misread_statement`): it then gives no rule and gets no invocation."""
    ctx = lib.ctx
    return ctx.tokens is not None and misread_statement(
        ctx.tokens, ctx.scopes, decl, groups, concl) is not None


def rematch(lib: Library, index, decl: Declaration) -> list | None:  # noqa: ANN001
    """`decl`'s invocations from `index` (a `RuleIndex`), matched as the index's second
    pass does (`passes.match_chunk`: section binders, name resolution in the candidate's
    scope, never to its own declaration), or None when its statement is not parsed or is
    misread.  The benchmarks that re-match a run with the installed code use it."""
    p = parsed(decl)
    if p is None or misread(lib, decl, *p):
        return None
    groups, concl = p
    ctx, res = lib.ctx, lib.resolver
    view, section = ctx.view(decl), ctx.section(decl)
    local = binder_locals(section) | binder_locals(groups)
    return index.invocations(
        decl, groups, concl, extra_binders=section,
        resolve=lambda t: res.resolve_term(t, view, local, count=False, own=decl.full_name),
        const_eq=const_eq_for(res, view))


# --------------------------------------------------------------------------- matching

@dataclass
class _Target:
    """One place of the candidate the index tries: the goal or a named hypothesis."""

    where: str  # "goal" / "hyp"
    location: str
    flat: Flat
    locals_: frozenset[str]  # the statement's binder names (`patterns.prefix_flat`)


def _targets(lib: Library, decl: Declaration, groups: tuple[BinderGroup, ...], concl: Term,
             section: tuple[BinderGroup, ...]) -> tuple[list[_Target], dict[str, Term]]:
    view = lib.ctx.view(decl)
    locals_ = binder_locals(section) | binder_locals(groups)
    res = lib.resolver
    out = [_Target("goal", "goal", flatten(
        concl, res.resolve_term(concl, view, locals_, count=False, own=decl.full_name),
        locals_), locals_)]
    dependent = dependent_hypotheses(groups, concl)
    for name, ty in hypotheses(groups):
        if name not in dependent:
            out.append(_Target("hyp", name, flatten(
                ty, res.resolve_term(ty, view, locals_, count=False, own=decl.full_name),
                locals_), locals_))
    for target in out:  # as pass 2 keys them
        constant_receivers(target.flat, res.table.names)
    return out, binder_types(tuple(section) + tuple(groups))


def _field_views(lib: Library, decl: Declaration, targets: list[_Target],
                 types: dict[str, Term]) -> FieldViews | None:
    """The candidate's field-notation views (`match.fields`), as pass 2 builds them."""
    if not lib.receivers or not targets:
        return None
    view, locals_ = lib.ctx.view(decl), targets[0].locals_
    return FieldViews(lib.receivers, types, lambda t: lib.resolver.resolve_term(
        t, view, locals_, count=False, own=decl.full_name), lib.sole)


def _type_details(c: Compiled, subst: dict[str, Term], hints: dict, node: Term) -> dict:
    """What the type filter compared: the equation type against the sub-term's hint, and
    each pattern variable's declared type / rigid head against its value's hint."""
    heads = dict(c.heads)
    node_hint = hints.get(id(node))
    out: dict = {"equation_type": c.eq_type,
                 "instance_type": list(node_hint) if node_hint else None, "variables": {}}
    for v in sorted(c.pvars):
        val = subst.get(v)
        h = hints.get(id(val)) if val is not None else None
        out["variables"][v] = {
            "value": show_term(val) if val is not None else None,
            "rule_type": c.types.get(v), "rigid_head": heads.get(v),
            "value_type": list(h) if h else None, "needs_evidence": v in c.generic}
    return out


def _attempts(lib: Library, decl: Declaration, c: Compiled, targets: list[_Target],
              types: dict[str, Term], typing: Context | None = None,
              fill_cand: Candidate | None = None) -> list[dict]:
    """Every sub-term of every location whose skeleton fits `c`, with the verdict of
    each later stage, in the order the index would meet them."""
    trie = Trie()
    trie.insert(c.symbols, c)
    imp = c.rule.kind == "imp"
    const_eq = const_eq_for(lib.resolver, lib.ctx.view(decl))
    fields = _field_views(lib, decl, targets, types)
    seen: set = set()
    out: list[dict] = []
    for tg in targets:
        fl = tg.flat
        if imp and tg.where != "hyp":
            continue
        kind = "apply_hyp" if imp else ("rw_goal" if tg.where == "goal" else "rw_hyp")
        for i in (range(1) if imp else range(len(fl.syms))):
            spots = [(fl, i)] if trie.leaves(fl, i) else []
            if not imp and not fl.under[i] and not fl.opaque[i]:
                spots.extend((sub, 0) for sub, _ in trie.view_leaves(
                    fl, i, tg.locals_, fields, lib.notations))
            for sfl, si in spots:
                rec: dict = {"kind": kind, "location": tg.location,
                             "path": json.dumps([list(p) for p in sfl.paths[si]],
                                                ensure_ascii=False),
                             "instance": show_term(sfl.written[si])}
                out.append(rec)
                rec["verdict"] = _verdict(c, decl, sfl, si, types, const_eq, rec, seen,
                                          lib.rigid[1], fill_cand, lib.ctx.rule_index)
                if rec["verdict"] == "accepted" and typing is not None \
                        and lib.typed is not None:
                    rec["verdict"] = _typed_verdict(lib.typed, typing, c, kind, rec)
    return out


def _verdict(c: Compiled, decl: Declaration, fl: Flat, i: int, types: dict[str, Term],
             const_eq, rec: dict, seen: set, rigid_last: frozenset[str],
             fill_cand: Candidate | None = None, index: RuleIndex | None = None) -> str:
    """The first stage refusing the match at sub-term `i` (`RuleIndex._try`'s order), or
    "accepted"; fills `rec` with the substitution, the types compared and the fillings
    of the variables the pattern leaves open (`match.fill`)."""
    if fl.under[i]:
        return "under_binder"
    if fl.opaque[i]:
        return "opaque_instance"
    if c.rule.lemma == decl.full_name:
        return "filter:self_rewrite"
    got = match_flat(c, fl, i, const_eq)
    if got is None:
        return "matcher_failed"
    subst, respell, renamed = got
    rec["subst"] = {k: show_term(v) for k, v in sorted(subst.items())}
    rec["_subst"] = subst  # for the typed filter; removed before the record is shown
    if respell:
        rec["respell"] = dict(sorted(respell.items()))
    if renamed:
        rec["alpha_renamed"] = True  # kept, as by the index (`RuleIndex.alpha_renaming`)
    results = index.results if index is not None else None  # a RuleIndex has a length
    clash = value_clash(c, subst, types, fl, rigid_last, results,
                        fill_cand.function_like if fill_cand is not None else None)
    if clash is not None:
        return "filter:" + clash
    hints = flat_hints(fl, types)
    rec["types"] = _type_details(c, subst, hints, fl.written[i])
    if c.types or c.eq_type is not None or c.bare_num or c.heads or c.generic:
        why = type_ok(c, subst, hints, fl.written[i], rigid_last,
                      index.results.asker(c, subst, fl, types)
                      if index is not None and index.results is not None and c.generic
                      else None)
        why = why or result_clash(c, subst, types, fl, rigid_last, results)
        if why is not None:
            return f"filter:{why}"
    if respell and set(respell) & c.pvars:
        return "filter:spelling_clash"
    if fill_cand is not None and len(subst) < len(c.pvars):
        spec = fill_spec(c.rule)
        if spec is not None:
            got = fillings(spec, subst, fill_cand)
            rec["fill"] = {"needed": list(spec.needed),
                           "fillings": [{k: NEW_BINDER if v == FRESH else show_term(v)
                                         for k, v in f.items()} for f in got]}
            rec["_fills"] = got
            if not got:
                return "filter:unfilled_variable"
    key = (rec["location"], fl.key(i))
    if key in seen:
        return "filter:repeated_instance"
    seen.add(key)
    return "accepted"


def _typed_verdict(filt: TypedFilter, ctx: Context, c: Compiled, kind: str, rec: dict
                   ) -> str:
    """The typed filter's verdict on an accepted match (`RuleIndex._typed_why`), with
    what it compared in `rec["typing"]`: each rule variable's declared type, value and
    inferred type (None: unknown), the instance queries and their answers, the clash."""
    from lean_alchemy.grammar.ast import loads

    r = c.rule
    subst = rec["_subst"]
    types = [loads(t) if t else None for t in r.binder_types]
    consts = rule_constants(loads(r.pattern) if r.pattern else None,
                            loads(r.replacement) if r.replacement else None)
    why = filt.check(ctx, r.binder_names, r.binder_kinds, types, subst, kind, consts,
                     new_text(r), r.lemma.rpartition(".")[0])
    last = filt.last
    rec["typing"] = {
        "values": [{"variable": n, "rule_type": show_term(t), "value": show_term(w),
                    "inferred": show_term(vt) if vt is not None else None}
                   for n, t, w, vt in last["values"]],
        "queries": [{"query": show_term(q), "answer": a} for q, a in last["queries"]],
        "clash": [last["clash"][0], show_term(last["clash"][1]), show_term(last["clash"][2])]
        if last["clash"] else None}
    return f"filter:{why}" if why else "accepted"


# --------------------------------------------------------------------------- one pair

STAGE_ORDER = ("rule_dropped", "no_skeleton_hit", "under_binder", "matcher_failed",
               "filter", "sampling")


def explain(lib: Library, candidate: str, lemma: str, direction: str | None = None,
            kinds: tuple[str, ...] | None = None, invocations: bool = False) -> dict:
    """Every stage's verdict for `lemma`'s rules on `candidate` (module doc).  `direction`
    keeps the rules of one direction (`fwd`/`bwd`); `kinds` the invocation kinds
    (`rw_goal`, `rw_hyp`, `apply_hyp`) whose locations count.  `invocations`: accepted
    locations hold their `Invocation`s, `rules` the `Rule`s by id (to replay mutation)."""
    cand, rd = lib.decl(candidate), lib.decl(lemma)
    for name, d in ((candidate, cand), (lemma, rd)):
        if d is None:
            raise AlchemyError(f"no declaration named {name} in {lib.run.declarations}")
    assert cand is not None and rd is not None
    out: dict = {"candidate": candidate, "rule": lemma, "direction": direction,
                 "candidate_statement": cand.statement, "rule_statement": rd.statement,
                 "derivation": [], "locations": [], "accepted": False, "kept": False,
                 "rejected_by": None}
    rules, trace = derive(lib, rd)
    by_id = {r.id: r for r in rules}
    chosen: list[Rule] = []
    for kind, d, reason, rid in trace:
        if not _wanted(kind, d, direction, kinds):
            continue
        entry: dict = {"kind": kind, "direction": d, "verdict": reason or "derived"}
        if rid is not None:
            r = by_id[rid]
            chosen.append(r)
            entry["rule_id"] = rid
            entry.update(pattern=_show_ast(r.pattern), replacement=_show_ast(r.replacement),
                         pattern_vars=list(r.pattern_vars),
                         side_conditions=[_show_ast(s) for s in r.side_conditions],
                         antecedents=[_show_ast(s) for s in r.antecedents])
        out["derivation"].append(entry)
    p = parsed(cand)
    if p is None:
        out["rejected_by"] = "candidate_unparsed"
        return out
    groups, concl = p
    if misread(lib, cand, groups, concl):
        out["rejected_by"] = "candidate_misread"
        return out
    section = lib.ctx.section(cand)
    targets, types = _targets(lib, cand, groups, concl, section)
    typing = Context(lib.typed.table, tuple(section) + tuple(groups),
                     resolution_namespaces(lib.ctx.scopes.get(cand.scope_id or ""),
                                           cand.full_name)) \
        if lib.typed is not None else None
    fill_cand = Candidate.of(groups, section, concl, types)
    kept_rows = lib.kept(candidate)
    kept = {(r, k, loc, path) for r, k, loc, path in kept_rows}
    for r in chosen:
        c = compile_rule(r, lib.rigid[0], lib.generic_evidence)
        if c is None:
            continue
        for rec in _attempts(lib, cand, c, targets, types, typing, fill_cand):
            subst, fills = rec.pop("_subst", None), rec.pop("_fills", None)
            if invocations and rec["verdict"] == "accepted" and subst is not None:
                rec["invocations"] = location_invocations(
                    cand.full_name, r.id, rec["kind"], rec["location"], rec["path"],
                    rec["instance"], subst, rec.get("respell") or {}, fills)
            if kinds is not None and rec["kind"] not in kinds:
                continue
            rec["rule_id"] = r.id
            rec["direction"] = r.direction
            rec["kept"] = (r.id, rec["kind"], rec["location"], rec["path"]) in kept
            out["locations"].append(rec)
    if invocations:  # not JSON: for replaying the mutation stage
        out["rules"] = {r.id: r for r in chosen}
    out["candidate_invocations"] = len(kept_rows)
    out["cap"] = lib.cap
    out["accepted"] = any(x["verdict"] == "accepted" for x in out["locations"])
    out["kept"] = any(x["kept"] for x in out["locations"])
    out["rejected_by"] = None if out["kept"] else _first_refusal(out, chosen)
    return out


def _wanted(kind: str, d: str, direction: str | None, kinds: tuple[str, ...] | None
            ) -> bool:
    """Whether a derivation entry concerns the asked direction and invocation kinds (an
    implication gives `apply_hyp` only, a rewrite `rw_goal`/`rw_hyp`)."""
    if kind == "*":
        return True
    if kinds is not None:
        makes = ("apply_hyp",) if kind == "imp" else ("rw_goal", "rw_hyp")
        if not set(makes) & set(kinds):
            return False
    if kind == "imp":
        return direction in (None, "fwd")
    return direction is None or d in (direction, "*")


def _first_refusal(out: dict, chosen: list[Rule]) -> str:
    """The stage that refused the pair: the furthest any location got (a pair refused by
    the filter at one place and by the matcher at another was refused by the filter)."""
    if not chosen:
        reasons = [d["verdict"] for d in out["derivation"] if d["verdict"] != "derived"]
        return "rule_dropped:" + (reasons[0] if reasons else "no_rule")
    verdicts = [x["verdict"] for x in out["locations"]]
    if not verdicts:
        return "no_skeleton_hit"
    if "accepted" in verdicts:
        cap = out.get("cap")
        full = cap is not None and out.get("candidate_invocations", 0) >= cap
        return "sampling:cap" if full else "sampling:attempts"
    filters = Counter(v for v in verdicts if v.startswith("filter:"))
    if filters:
        return filters.most_common(1)[0][0]
    if "matcher_failed" in verdicts:
        return "matcher_failed"
    return verdicts[0]


def _show_ast(s: str) -> str:
    from lean_alchemy.grammar.ast import loads

    if not s:
        return ""
    t = loads(s)
    return show_term(t) if t is not None else s


def render(data: dict) -> str:
    """The explanation as text for people: one block per stage."""
    lines = [f"candidate: {data['candidate']}", f"  {data['candidate_statement']}",
             f"rule: {data['rule']}", f"  {data['rule_statement']}", "derivation:"]
    for d in data["derivation"]:
        head = f"  {d['kind']} {d['direction']}: {d['verdict']}"
        if d["verdict"] == "derived":
            head += f"  {d['pattern']}  ~>  {d['replacement'] or '(implication)'}"
        lines.append(head)
    lines.append(f"skeleton hits: {len(data['locations'])}")
    for x in data["locations"]:
        lines.append(f"  [{x['direction']} {x['kind']} at {x['location']}] {x['instance']}"
                     f"  -> {x['verdict']}{'  (kept)' if x['kept'] else ''}")
        if "subst" in x:
            lines.append("      subst: " + ", ".join(f"{k} := {v}"
                                                     for k, v in x["subst"].items()))
        if "fill" in x:
            fills = x["fill"]["fillings"]
            lines.append(f"      fill {', '.join(x['fill']['needed'])}: " + ("; ".join(
                ", ".join(f"{k} := {v}" for k, v in f.items()) for f in fills)
                or "no candidate variable fits"))
        tp = x.get("typing")
        if tp:
            for v in tp["values"]:
                lines.append(f"      typed {v['variable']}: rule {v['rule_type']} vs value "
                             f"{v['value']} : {v['inferred'] or '?'}")
            for q in tp["queries"]:
                lines.append(f"      instance {q['query']}: {q['answer']}")
            if tp["clash"]:
                lines.append(f"      clash at {tp['clash'][0]}: {tp['clash'][1]} vs "
                             f"{tp['clash'][2]}")
        ty = x.get("types")
        if ty and x["verdict"].startswith("filter:") and not tp:
            lines.append(f"      equation type {ty['equation_type']} vs instance "
                         f"{ty['instance_type']}")
            for v, info in ty["variables"].items():
                lines.append(f"      {v}: rule {info['rule_type'] or info['rigid_head']} vs "
                             f"value {info['value_type']}"
                             + ("  (needs a type hint)" if info["needs_evidence"] else ""))
    if "cap" in data:
        lines.append(f"invocations kept for the candidate: {data['candidate_invocations']}"
                     f" (cap {data['cap']})")
    lines.append(f"accepted: {data['accepted']}  kept: {data['kept']}  "
                 f"rejected_by: {data['rejected_by']}")
    return "\n".join(lines)
