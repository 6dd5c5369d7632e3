"""The rule index: rules in tries, and the invocations of one theorem.
Per-theorem quota (`max_per_theorem`): common skeletons (`?a * ?b`, `?a ≤ ?b`) give
thousands of (rule, sub-term) pairs per Mathlib theorem.  The pairs of each kind are
visited near rules first (its module, the index's own rules whose name shares two words with
the candidate's, its namespaces, those sharing one word), then the index's own others,
then those of its dependencies (`add_lazy`, at most `max_dependency_per_theorem`); within each,
most specific pattern first (more constants and operators: `?a = ?b` matches every
equation, `Finset.sum ?s ?f = 0` few), in a seeded permutation (`_spread`) among equally
specific ones, and matched until the kind's share of the quota is filled (`apply_hyp` a
quarter, then `rw_hyp` a quarter, then `rw_goal` the rest; an unused share passes on) or
`attempts` x share pairs were tried in the tier: a reproducible sample at a bounded cost.
Counters: `retrieved` (skeleton pairs), `tried`, `found`, `capped` (pairs never tried).

Invocation format (what `mutate.statements.apply_invocation` consumes): `path` is the JSON
list of `[field, index]` steps from the target (conclusion, or the hypothesis binder's
type) to the instance; `subst` maps each pattern variable to the candidate's *written*
sub-term.  Where a rule constant is spelled differently in the candidate (`Nat.succ` vs
`succ` inside `namespace Nat`), `subst` also maps the rule's full name to the candidate's
spelling: the instantiated pattern is then literally the candidate's sub-term, and the
replacement is printed in the candidate's own spelling, valid in its scope.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from lean_alchemy.core.records import Declaration, Invocation, Rule
from lean_alchemy.grammar.ast import (
    BinderGroup,
    Term,
    loads,
)
from lean_alchemy.grammar.walk import binder_types
from lean_alchemy.index.match.fields import FieldViews
from lean_alchemy.index.match.notations import NotationTable
from lean_alchemy.index.match.fill import Filler
from lean_alchemy.index.match.fresh import FRESH
from lean_alchemy.index.match.invocation_records import invocation_records
from lean_alchemy.index.match.matcher import (
    Compiled,
    ConstEq,
    compile_rule,
    match_flat,
    suffix_const_eq,
    type_ok,
)
from lean_alchemy.index.match.patterns import (
    Flat,
    flat_hints,
    constant_receivers,
    flatten,
    pattern_symbols,
)
from lean_alchemy.index.match.lazy_leaf import (LazyLeaf, PendingRule, collect_leaves,
                                                decode_pending)
from lean_alchemy.index.match.results import ResultEvidence
from lean_alchemy.index.match.tiers import (
    mentioned_keys, near_positions, near_keys as _near_keys, spread as _spread,
    statement_constants,
)
from lean_alchemy.index.match.targets import dependent_hypotheses, hypotheses
from lean_alchemy.index.match.trie import Trie
from lean_alchemy.index.match.value_checks import result_clash, value_clash
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.new_text import new_text, rule_constants

_NONE: frozenset[str] = frozenset()


@dataclass
class MatchStats:
    """Counters of one index run (merged across workers)."""

    retrieved: Counter = field(default_factory=Counter)  # skeleton hits (rule, sub-term)
    tried: Counter = field(default_factory=Counter)  # skeleton hits matched exactly
    found: Counter = field(default_factory=Counter)  # by kind, matches kept
    filtered: Counter = field(default_factory=Counter)  # reason -> count
    capped: int = 0  # skeleton hits not tried because the theorem's quota was reached

    def merge(self, other: "MatchStats") -> None:
        self.retrieved.update(other.retrieved)
        self.tried.update(other.tried)
        self.found.update(other.found)
        self.filtered.update(other.filtered)
        self.capped += other.capped


class RuleIndex:
    """Rewrite rules in one trie, implication rules in another; see the module doc."""

    attempts = 4  # skeleton hits tried per kept invocation before a kind gives up
    # Weights of the kinds in the per-theorem quota (visited in this order; an unused share
    # passes on): the goal gets half.  Why: `rw_goal` is what the library's own proofs do
    # first, and with equal shares a theorem's hypotheses took two thirds of its quota.
    shares = {"apply_hyp": 1, "rw_hyp": 1, "rw_goal": 2}

    def __init__(self, max_per_theorem: int | None = None, alpha_renaming: bool = True,
                 rigid_last: frozenset[str] = frozenset()) -> None:
        self.alpha_renaming = alpha_renaming
        self.rigid_last = rigid_last
        self.rw = Trie()
        self.imp = Trie()
        self.max_per_theorem = max_per_theorem
        # invocations with a dependency's rule (`add_lazy`) kept per theorem (None: only
        # `max_per_theorem` bounds them); see `invocations`
        self.max_dependency_per_theorem: int | None = None
        self.dependency_ids: set[str] = set()  # rules added by `add_lazy`
        self._dependency_left = -1  # the current kind's, for this candidate: -1 = unbounded
        self._own_added = False  # `add` was called: `add_lazy` may no longer be
        # rule id -> trie key of the rules `add` compiled (stored with the run's rules,
        # `index.rule_keys`, for the projects that use it as a dependency)
        self.own_symbols: dict[str, tuple] = {}
        self.stats = MatchStats()
        self.rules: dict[str, Rule] = {}
        self._compile_opts: tuple[frozenset[str], bool] = (frozenset(), False)
        self.typed: TypedFilter | None = None  # `use_typing`: the class/instance filter
        self._typing_ctx: tuple[Sequence[BinderGroup], Context | None] = ((), None)
        self._typing_decl: Declaration | None = None  # the candidate of `_typing_ctx`
        self._namespaces: Callable[[Declaration], frozenset[str]] | None = None
        self._rule_types: dict[str, tuple[list[Term | None], frozenset[str],
                                          tuple[Term, ...]]] = {}
        # id(leaf list) -> (the list, its length when indexed, near key -> positions)
        self._near_index: dict[int, tuple[list, int, dict[str, list[int]]]] = {}
        self.filler = Filler()  # variables a match leaves open (`match.fill`)
        # `T.f` -> receiver position (`index.receivers`): the field-notation views of
        # candidate nodes (`match.fields`); empty: none
        self.receivers: dict[str, int] = {}
        self.sole: dict[str, str] = {}  # field -> its only constant (`receivers.sole_fields`)
        # the library's declared names: a constant's field is matched as a variable's
        # (`patterns.constant_receivers`); empty: not
        self.declared: frozenset[str] | set[str] = frozenset()
        # the library's notations as views of candidate nodes (`match.notations`)
        self.notations: NotationTable | None = None
        self.results: ResultEvidence | None = None  # `use_results` (`match.results`)
        self._results_seen: frozenset[str] = frozenset()  # `_try`: the last
        # `untyped_generic` match's values' result heads
        self._statement: tuple[list[Flat], dict[str, Term]] = ([], {})  # `_skeleton_hits`

    def use_typing(self, table: ClassTable,
                   namespaces: Callable[[Declaration], frozenset[str]] | None = None) -> None:
        """Drop matches whose instances certainly do not exist or whose values certainly
        have the wrong type (`index.typing.filter`), counted in `matches_filtered` as
        `instance_missing` / `type_clash`.  The table's derived parts (class-position
        rules, coercions) are built here, once, before workers fork.  `namespaces`: where
        a candidate's written names resolve (`typing.scoped.resolution_namespaces`)."""
        table.horn()
        table.coercions  # noqa: B018 - built once, inherited by forked workers
        self.typed = TypedFilter(table)
        self._namespaces = namespaces

    def _typed_why(self, c: Compiled, subst: dict[str, Term], kind: str) -> str | None:
        """The typed filter's reason to drop this match, or None (unknown keeps it).  The
        candidate's context (its instance facts and inference) is built once per
        candidate, at its first match that needs it."""
        if self.typed is None:
            return None
        groups, ctx = self._typing_ctx
        if ctx is None:
            decl = self._typing_decl
            ctx = Context(self.typed.table, groups, self._namespaces(decl)
                          if self._namespaces is not None and decl is not None
                          else frozenset())
            self._typing_ctx = (groups, ctx)
        r = c.rule
        got = self._rule_types.get(r.id)
        if got is None:
            got = self._rule_types[r.id] = (
                [loads(t) if t else None for t in r.binder_types],
                rule_constants(loads(r.pattern) if r.pattern else None,
                               loads(r.replacement) if r.replacement else None),
                new_text(r))
        types, consts, new = got
        return self.typed.check(ctx, r.binder_names, r.binder_kinds, types, subst, kind,
                                consts, new, r.lemma.rpartition(".")[0])

    @classmethod
    def build(cls, rules: Iterable[Rule], *, max_per_theorem: int | None = None,
              alpha_renaming: bool = True,
              rigid: tuple[frozenset[str], frozenset[str]] | None = None,
              generic_evidence: bool = False) -> "RuleIndex":
        """`alpha_renaming`: also report instances whose bound variables are named
        differently from the rule's (`∑ j ∈ t, 0` for `∑ i ∈ s, 0`), as `rw` does (Lean
        compares terms up to bound names; so does the mutation engine's check that the
        instantiated pattern is the instance, `grammar.substitute.alpha_equal`).  Off:
        they are counted as `alpha_renamed`.  `rigid`: the
        library's `rigid_names`, which turn on the rigid-head type filter and, with
        `generic_evidence`, the `untyped_generic` one."""
        ix = cls.empty(max_per_theorem=max_per_theorem, alpha_renaming=alpha_renaming,
                       rigid=rigid, generic_evidence=generic_evidence)
        for r in rules:
            ix.add(r)
        return ix

    @classmethod
    def empty(cls, *, max_per_theorem: int | None = None, alpha_renaming: bool = True,
              rigid: tuple[frozenset[str], frozenset[str]] | None = None,
              generic_evidence: bool = False) -> "RuleIndex":
        """An index without rules, filled by `add` (`build`'s options).  Why: the index
        stage compiles each rule as its chunk of theorems comes back from a worker, while
        the workers derive the next ones, instead of all of them afterwards."""
        full, last = rigid if rigid is not None else (frozenset(), frozenset())
        ix = cls(max_per_theorem, alpha_renaming, last)
        ix._compile_opts = (full, generic_evidence)
        return ix

    def emptied(self) -> "RuleIndex":
        """A new index with this one's options and no rules."""
        ix = type(self)(self.max_per_theorem, self.alpha_renaming, self.rigid_last)
        ix.max_dependency_per_theorem = self.max_dependency_per_theorem
        ix._compile_opts = self._compile_opts
        ix.typed = self.typed
        ix.receivers = self.receivers
        ix.sole = self.sole
        ix.declared = self.declared
        ix.notations = self.notations
        ix.results = self.results
        return ix

    def add(self, r: Rule) -> bool:
        """Compile `r` and index it; False when it cannot be matched.  The order of `add`
        calls is the order of rules in the trie's leaves (part of the seeded sampling)."""
        full, generic_evidence = self._compile_opts
        self._own_added = True
        c = compile_rule(r, full, generic_evidence)
        if c is None:
            return False
        self.rules[r.id] = r
        self.own_symbols[r.id] = c.symbols
        trie = self.imp if r.kind == "imp" else self.rw
        trie.insert(c.symbols, c)
        return True

    def add_lazy(self, r: Rule | PendingRule) -> bool:
        """`add`, compiling `r` only when a candidate first retrieves its trie leaf
        (`LazyLeaf`); a `PendingRule` is also decoded only then, and filed under its
        stored trie key when it has one.  False when its pattern cannot be read.  A
        dependency's rules come before the index's own (`add`): each leaf then holds them
        first (`LazyLeaf.dependency`), which `_try_sample` relies on."""
        if self._own_added:
            raise ValueError("add_lazy after add: a dependency's rules are added first")
        syms = r.symbols if isinstance(r, PendingRule) else None
        if syms is None:
            p = loads(r.pattern)
            if p is None:
                return False
            syms = tuple(pattern_symbols(p, frozenset(r.pattern_vars)))
        if isinstance(r, Rule):
            self.rules[r.id] = r
        self.dependency_ids.add(r.id)
        trie = self.imp if r.kind == "imp" else self.rw
        trie.insert(syms, r, LazyLeaf)
        return True

    def _compile_leaves(self, leaves: list) -> None:
        """Compile the pending rules of these retrieved leaves, in place and in order (see
        `LazyLeaf`), decoding all their pending rules at once (`decode_pending`)."""
        todo: list = []
        ids: set[int] = set()
        for vals in leaves:
            if vals.pending and id(vals) not in ids:
                ids.add(id(vals))
                todo.append(vals)
        decoded = iter(decode_pending([v for vals in todo for v in vals
                                       if v.__class__ is PendingRule]))
        full, generic_evidence = self._compile_opts
        for vals in todo:
            out = []
            lazy = 0
            for v in vals:
                if v.__class__ is PendingRule:
                    v = next(decoded)
                    self.rules[v.id] = v
                if isinstance(v, Rule):
                    c = compile_rule(v, full, generic_evidence)
                    if c is not None:
                        out.append(c)
                        lazy += 1
                else:
                    out.append(v)
            vals[:] = out
            vals.dependency = lazy
            vals.pending = False

    def __len__(self) -> int:
        return self.rw.size + self.imp.size

    def invocations(self, decl: Declaration, binders: Sequence[BinderGroup], conclusion: Term,
                    extra_binders: Sequence[BinderGroup] = (), *,
                    resolve: Callable[[Term], Term] | None = None,
                    const_eq: ConstEq = suffix_const_eq) -> list[Invocation]:
        """Every invocable (rule, location, instance) of a statement, capped per theorem.

        `resolve` turns a written term into its resolved twin (same shape); `const_eq`
        compares a rule constant with a candidate identifier (see the module doc).  Once
        `max_dependency_per_theorem` invocations use a dependency's rule (`add_lazy`;
        shared among the kinds as the quota is), the theorem's other hits of such rules are
        passed over without being tried."""
        groups = tuple(extra_binders) + tuple(binders)
        locals_ = frozenset(n for g in groups for n in g.names if n)
        types = binder_types(groups)
        self._typing_ctx = (groups, None)
        self._typing_decl = decl
        self.filler.start(tuple(binders), tuple(extra_binders), conclusion, types)
        st = self.stats
        dep_cap = self.max_dependency_per_theorem
        dep_budget = dep_cap if dep_cap is not None and self.dependency_ids else -1
        self._dependency_left = dep_budget
        hits: list[tuple] = []  # (flat, i, compiled, kind, location, subst, respell)
        seen: set[tuple] = set()
        pools = self._skeleton_hits(binders, conclusion, locals_,
                                    resolve if resolve is not None else (lambda t: t), types)
        cap = self.max_per_theorem
        left = sum(self.shares[k] for k in pools)
        budget = cap
        for kind, pool in pools.items():
            size = sum(len(seg[3]) for seg in pool)
            st.retrieved[kind] += size
            if cap is None:
                for fl, i, loc, vals in pool:
                    for c in vals:
                        if not self._spent(c):
                            self._try(decl, c, fl, i, kind, loc, types, hits, seen, const_eq)
                st.tried[kind] += size
                continue
            assert budget is not None
            share = self.shares[kind]
            quota = -(-budget * share // left)  # this kind's share of what is left
            if dep_budget >= 0:
                self._dependency_left = -(-dep_budget * share // left)
                dep_budget -= self._dependency_left
            left -= share
            before = len(hits)
            tries = self._try_sample(decl, kind, pool, quota, types, hits, seen, const_eq)
            if dep_budget >= 0:
                dep_budget += self._dependency_left  # what this kind left unused
            st.capped += size - tries
            budget -= len(hits) - before
            st.tried[kind] += tries
        return invocation_records(decl.full_name, hits)

    def _skeleton_hits(self, binders: Sequence[BinderGroup], conclusion: Term,
                       locals_: frozenset[str], resolve: Callable[[Term], Term],
                       types: dict[str, Term]) -> dict[str, list[tuple]]:
        """The skeleton hits of the conclusion and of each hypothesis a rule may rewrite or
        replace, by kind, as segments: (flat, sub-term index, location, leaf list)."""
        st = self.stats
        targets: list[tuple[str, str, Term]] = [("goal", "goal", conclusion)]
        dependent = dependent_hypotheses(binders, conclusion)
        for name, ty in hypotheses(binders):
            if name in dependent:  # `rw … at h` would leave h's dependents ill-typed
                st.filtered["dependent_hypothesis"] += 1
                continue
            targets.append(("hyp", name, ty))
        flats: dict[int, Flat] = {}
        pools: dict[str, list[tuple]] = {"apply_hyp": [], "rw_hyp": [], "rw_goal": []}
        pending: list = []  # retrieved leaves of rules not compiled yet
        fields = FieldViews(self.receivers, types, resolve, self.sole) \
            if self.receivers else None
        for where, loc, target in targets:
            fl = flats.get(id(target))
            if fl is None:
                fl = flats[id(target)] = flatten(target, resolve(target), locals_)
                if self.declared:
                    constant_receivers(fl, self.declared)
            pool = pools["rw_goal" if where == "goal" else "rw_hyp"]
            for i in range(len(fl.syms)):
                if fl.under[i]:
                    st.filtered["under_binder"] += 1
                    continue
                if fl.opaque[i]:
                    continue
                for vals in collect_leaves(self.rw.leaves(fl, i), pending):
                    pool.append((fl, i, loc, vals))
                for sub, found in self.rw.view_leaves(fl, i, locals_, fields,
                                                      self.notations):
                    pool.extend((sub, 0, loc, vals) for vals in collect_leaves(found, pending))
            if where == "hyp" and not fl.opaque[0]:
                for vals in collect_leaves(self.imp.leaves(fl, 0), pending):
                    pools["apply_hyp"].append((fl, 0, loc, vals))
        if pending:  # a leaf left empty (no rule of it compiles) is no segment
            self._compile_leaves(pending)
            pools = {k: [seg for seg in pool if seg[3]] for k, pool in pools.items()}
        self._statement = (list(flats.values()), types)  # `_tiers`' last near tier
        return pools

    def _try_sample(self, decl: Declaration, kind: str, pool: list[tuple], quota: int,
                    types: dict[str, Term], hits: list, seen: set, const_eq: ConstEq) -> int:
        """Try `pool`'s skeleton hits until `quota` invocations are kept; returns the number
        tried.  Tiers (`_tiers`), each with its own attempts budget (`attempts` x `quota`
        hits).  Within a tier, most specific patterns first (`?a = ?b` matches every
        equation), a seeded order among equally specific ones (over the pairs, as if each
        segment were spelled out: `starts` maps a pair's rank to its segment).  Once a
        generic pattern found no evidence at a sub-term (`untyped_generic`), the other
        generic patterns of the same leaf (same skeleton, so the same matched values) are
        passed over there without spending attempts; but for those whose variables' types
        have a head that a matched value's result has (`match.results`: evidence for
        them, not for the rule that failed), each such head tried once."""
        before = len(hits)
        dead: dict[tuple, frozenset[str]] = {}  # (leaf, flat, sub-term) without evidence ->
        # result heads of its values that a generic rule not tried there yet may want
        tries = 0
        for segs, of_dependency in self._tiers(decl, pool):
            limit = tries + self.attempts * quota
            levels: dict[tuple[int, int], list[tuple]] = {}
            for seg in segs:
                levels.setdefault((seg[3][seg[6]].specificity, seg[8]), []).append(seg)
            for spec in sorted(levels, reverse=True):
                level = levels[spec]
                starts: list[int] = []
                n = 0
                for seg in level:
                    starts.append(n)
                    n += seg[7]
                seed = f"{decl.full_name}/{kind}/{spec[0]}"
                for k in _spread(n, seed):
                    if len(hits) - before >= quota:
                        return tries
                    if tries >= limit or of_dependency and self._dependency_left == 0:
                        break
                    j = bisect_right(starts, k) - 1
                    seg = level[j]
                    fl, i, loc, vals, skipped = seg[0], seg[1], seg[2], seg[3], seg[5]
                    pos = seg[6] + k - starts[j]
                    if skipped is not None and pos in skipped:
                        continue
                    c = vals[pos]
                    spot = (seg[4], id(fl), i)
                    if c.generic and spot in dead and not (
                            dead[spot] and dead[spot] & self._heads_wanted(c)) \
                            or self._spent(c):
                        continue
                    if not self.filler.may_fill(c.rule):
                        self.stats.filtered["unfilled_variable"] += 1
                        continue
                    tries += 1
                    why = self._try(decl, c, fl, i, kind, loc, types, hits, seen, const_eq)
                    if why == "untyped_generic":
                        dead[spot] = dead.get(spot, self._results_seen) - self._heads_wanted(c)
                    elif why is None and len(hits) - before > quota:
                        # a match with several fillings: the quota still bounds the kind
                        self.stats.found[kind] -= len(hits) - before - quota
                        del hits[before + quota:]
                if tries >= limit or of_dependency and self._dependency_left == 0:
                    break
        return tries

    def _tiers(self, decl: Declaration, pool: list[tuple]
               ) -> Iterator[tuple[list[tuple], bool]]:
        """The tiers of `_try_sample`, as (segments, of a dependency's rules only), each
        built when the quota reaches it (most theorems fill it in the first ones): the
        rules *near* the candidate (`_near_keys`: its module, name words, namespaces),
        where the library's own proofs find most of their rewrites; then all the others of
        the index's own; then those of its
        dependencies (`add_lazy`), which are a leaf's first `LazyLeaf.dependency` rules.
        Why own before the dependency's: they are nearer the candidate, and Mathlib's would
        otherwise fill every quota.  A segment: (flat, sub-term index, location, leaf
        list, leaf id, positions taken by an earlier tier or None, first position, size,
        rank among equally specific ones: 1 first, `_near_tier`)."""
        taken: dict[int, set[int]] = {}  # pool segment -> positions in an earlier tier
        for keys, at_least, own_only in _near_keys(decl):
            yield self._near_tier(pool, keys, at_least, own_only, taken), False
        mentioned = mentioned_keys(decl, statement_constants(*self._statement))
        if mentioned:
            yield self._near_tier(pool, mentioned, 1, True, taken), False
        own: list[tuple] = []
        dependency: list[tuple] = []
        for s, seg in enumerate(pool):
            vals = seg[3]
            nd: int = getattr(vals, "dependency", 0)
            if nd < len(vals):
                own.append((seg[0], seg[1], seg[2], vals, id(vals), taken.get(s), nd,
                            len(vals) - nd, 0))
            if nd:
                dependency.append((seg[0], seg[1], seg[2], vals, id(vals), taken.get(s), 0, nd,
                                   0))
        yield own, False
        if dependency:
            yield dependency, True

    def _near_tier(self, pool: list[tuple], keys: frozenset[str], at_least: int,
                   own_only: bool, taken: dict[int, set[int]]) -> list[tuple]:
        """The segments of one near tier (`_tiers`), the positions it takes added to
        `taken`.  In a name-word tier (`own_only`) the root's rules rank first
        (`disjoint_iff` before `Finset.disjoint_left` for `Submonoid.disjoint_map`): the
        root's lemmas hold at every type with the instances, a namespace's mostly at its
        own, and another type's spent the budget on evidence they could not find."""
        segs: list[tuple] = []
        for s, seg in enumerate(pool):
            got = near_positions(self._near_index, seg[3], keys, at_least, own_only)
            first_own: int = getattr(seg[3], "dependency", 0)
            if got and first_own and own_only:
                got = [k for k in got if k >= first_own]
            prev = taken.get(s)
            if got and prev:
                got = [k for k in got if k not in prev]
            if not got:
                continue
            taken.setdefault(s, set()).update(got)
            vals = [seg[3][k] for k in got]
            if own_only:
                root = [c for c in vals if c.root]
                if root:
                    segs.append((seg[0], seg[1], seg[2], root, id(seg[3]), None, 0,
                                 len(root), 1))
                    vals = [c for c in vals if not c.root]
            if vals:
                segs.append((seg[0], seg[1], seg[2], vals, id(seg[3]), None, 0, len(vals), 0))
        return segs

    def use_results(self, heads: dict[str, str]) -> None:
        """Count a value applying a definition of the right result type as a generic
        pattern's evidence (`match.results`)."""
        self.results = ResultEvidence(heads) if heads else None

    def _heads_wanted(self, c: Compiled) -> frozenset[str]:
        """What of `c` the generic evidence reads besides the matched values."""
        return self.results.heads_wanted(c) if c.generic and self.results else _NONE

    def _spent(self, c: Compiled) -> bool:
        """Is `c` a dependency's rule while the candidate's share of those is used up?"""
        return self._dependency_left == 0 and c.rule.id in self.dependency_ids

    def _try(self, decl: Declaration, c: Compiled, fl: Flat, i: int, kind: str, loc: str,
             types: dict[str, Term], hits: list, seen: set, const_eq: ConstEq) -> str | None:
        """Match `c` at sub-term `i` and keep the invocation when every filter passes;
        returns why it was not kept (a `matches_filtered` reason, "self", "no_match"), or
        None when kept."""
        if c.rule.lemma == decl.full_name:
            return "self"  # a theorem rewriting itself gives back a restatement
        if not self.filler.may_fill(c.rule):
            self.stats.filtered["unfilled_variable"] += 1
            return "unfilled_variable"
        got = match_flat(c, fl, i, const_eq)
        if got is None:
            return "no_match"
        st = self.stats
        subst, respell, renamed = got
        why: str | None = None
        if renamed and not self.alpha_renaming:
            why = "alpha_renamed"
        elif c.receivers or c.higher_order:
            why = value_clash(c, subst, types, fl, self.rigid_last, self.results,
                              self.filler.function_like)
        if why is None and (c.types or c.eq_type is not None or c.bare_num or c.heads
                            or c.generic):
            why = type_ok(c, subst, flat_hints(fl, types), fl.written[i], self.rigid_last,
                          self.results.asker(c, subst, fl, types)
                          if c.generic and self.results is not None else None)
            if why == "untyped_generic":  # `_try_sample`: may another rule's heads pass?
                self._results_seen = frozenset() if self.results is None else frozenset(
                    h for v in subst.values()
                    for h in (self.results.result_of(v, fl, types),) if h is not None)
        if why is None and c.heads:
            why = result_clash(c, subst, types, fl, self.rigid_last, self.results)
        if why is None:
            why = self._typed_why(c, subst, kind)
        if why is None and respell and set(respell) & c.pvars:
            why = "spelling_clash"
        fills: list[dict[str, Term]] = [{}]
        if why is None and len(subst) < len(c.pvars):
            fills = self.filler.values(c.rule, subst)
            if not fills:
                why = "unfilled_variable"
        if why is None:
            # `rw` rewrites every occurrence of the instance: one invocation per instance
            key = (c.rule.id, loc, fl.key(i))
            if key in seen:
                why = "repeated_instance"
            else:
                seen.add(key)
        if why is not None:
            st.filtered[why] += 1
            return why
        for extra in fills:
            st.found[kind] += 1
            if self._dependency_left > 0 and c.rule.id in self.dependency_ids:
                self._dependency_left -= 1
            if extra:  # a variable bound anew has no value: the mutant binds it
                extra = {k: v for k, v in extra.items() if v != FRESH}
            hits.append((fl, i, c, kind, loc, {**subst, **extra} if extra else subst,
                         respell))
        return None
