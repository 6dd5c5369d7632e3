"""The mutation engine: library theorems and their invocations -> mutant rows.

`Mutator` is pure apart from its counters (`MutateStats`): it takes parsed declarations,
scopes, decoded rules and invocations and yields `(Mutant, status, detail)` rows.  A
mutant is built in this order, and an invocation stops at the first step that rejects it
(counted in `dropped`): statement (`statements.apply_invocation`), fingerprint filters
(`dedup`), proof (`proofs`), rendering (`render`), refutation (`refute`).  Refuted and
vacuous mutants are stored with that status (the counterexample or reason as detail) and
are never pending, so they never reach Lean or the corpus.

Open statements (`MutateOptions.open_statements`): a theorem whose proof cannot be reused
(`sorry`, equations, `where`) is mutated all the same; its mutants state exactly the new
statement and are "proved" by `sorry` (`Mutant.proof_status` "open"), to be checked by
Lean for elaboration only.  Every mutant records its relation to its source theorem: a
rewrite with an `=`/`↔` lemma gives an equivalent statement, an apply step one that the
source implies (`relation_after`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Protocol, Sequence

from lean_alchemy.core.records import Declaration, Invocation, Mutant, Rule, Scope
from lean_alchemy.grammar.ast import BinderGroup, Term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.tokens import TokenTable
from lean_alchemy.grammar.statements import (
    decl_binders, decl_conclusion, loads_binders, scope_binders,
)
from lean_alchemy.grammar.walk import heads, node_count
from lean_alchemy.index.names import ScopeView
from lean_alchemy.index.section_variables import used_section_variables
from lean_alchemy.mutate.dedup import Deduper, sampling_permutation
from lean_alchemy.mutate.fingerprint import fingerprint_statement
from lean_alchemy.mutate.name_scope import NameScope, renamed, statement_names
from lean_alchemy.mutate.naming import mutant_full_name, mutant_name
from lean_alchemy.mutate.notation_scope import ScopedNotations
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.proofs import (
    Body, bridge, has_forbidden, invoke_body, merged_body, proof_text,
)
from lean_alchemy.mutate.refute import RefuteOptions, refute_statement
from lean_alchemy.mutate.render import default_show_binders, render
from lean_alchemy.mutate.statements import (
    DecodedRule, Mutation, Prepared, Skip, apply_invocation,
)
from lean_alchemy.mutate.stats import MutateStats
from lean_alchemy.mutate.universes import (
    binders_without_universes, declared_universes, term_universes, without_universes,
)

log = logging.getLogger(__name__)

Row = tuple[Mutant, str, str]


class Rematcher(Protocol):
    """What `--depth` > 1 needs of the rule index (`index.match.RuleIndex`): the
    invocations of a kept mutant's statement."""

    def invocations(self, decl: Declaration, binders: Sequence[BinderGroup], conclusion: Term,
                    extra_binders: Sequence[BinderGroup] = ()) -> list[Invocation]: ...


# --------------------------------------------------------------------------- inputs

def decl_statement(decl: Declaration) -> tuple[tuple[BinderGroup, ...], Term] | None:
    """The parsed (binders, conclusion) of a declaration, or None when not parsed."""
    if decl.parse_status not in ("full", "partial") or not decl.conclusion_ast:
        return None
    concl = decl_conclusion(decl)
    if concl is None:
        return None
    return tuple(decl_binders(decl)), concl


def section_binders(scope: Scope | None) -> tuple[BinderGroup, ...]:
    if scope is None:
        return ()
    return tuple(scope_binders(scope))


def stored_section_binders(stored: Mapping[str, str]
                           ) -> Callable[[Scope | None], tuple[BinderGroup, ...]]:
    """`section_binders` that decodes the index stage's parse of a scope when `stored`
    (scope id -> `dumps_binders`, from `index.sections.read_section_binders`) has it and
    parses the others.  Why: decoding is ~8x cheaper than the lark parse, which every
    worker otherwise repeats for every scope it meets."""
    def section_of(scope: Scope | None) -> tuple[BinderGroup, ...]:
        js = stored.get(scope.id) if scope is not None else None
        if js is None:
            return section_binders(scope)
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
    open_statement: bool = False  # no reusable proof: mutants are proved by `sorry`
    relation: str = "equivalent"  # this statement's relation to the library theorem


OPEN_REASONS = frozenset({"sorry_in_original", "proof_unsupported"})


def unlisted_hypotheses(rule: Rule) -> bool:
    """Whether the rule has explicit arguments that are neither pattern variables nor
    among its listed hypotheses (side conditions, antecedents): a hypothesis the index did
    not recognise as one (`(pp : Prime p)`).  A proved mutant's check catches the missing
    argument; an open statement's cannot (its proof is `sorry`), and without that
    hypothesis the statement says nothing about its source, so it is not built."""
    pvars = set(rule.pattern_vars)
    explicit = sum(1 for n, k in zip(rule.binder_names, rule.binder_kinds)
                   if k == "explicit" and n not in pvars)
    return explicit > len(rule.side_conditions) + len(rule.antecedents)
OPEN_PROOF = "sorry"


def relation_after(relation: str, kind: str, side_conditions: bool = False,
                   new_variables: bool = False) -> str:
    """The relation to the source after one more step of `kind`: a rewrite with an
    unconditional `=`/`↔` lemma keeps equivalence; an apply step (a hypothesis replaced by
    stronger antecedents) gives a statement the source implies, and so does a rewrite whose
    lemma's side conditions became new hypotheses (the rewritten statement is equivalent
    only where they hold), or whose lemma's variables became new binders (`∀ v, P[r v]`
    follows from `P[l]`, the converse needs some `v`), and any chain containing one."""
    if (kind == "apply_hyp" or side_conditions or new_variables
            or relation == "implied_by_source"):
        return "implied_by_source"
    return "equivalent"



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
            ("occurrences", float(m.step.occurrences))) + (
        # rule variables bound anew (`mutate.statements`), only when there are some
        (("fresh_binders", float(len(m.step.fresh_vars))),) if m.step.fresh_vars else ())


class Mutator:
    """Builds mutants for library theorems, invocation by invocation (see module doc)."""

    def __init__(self, rules: Iterable[Rule], scopes: dict[str, Scope], opts: MutateOptions,
                 *, library: frozenset[str] = frozenset(),
                 refute_opts: RefuteOptions | None = None, index: Rematcher | None = None,
                 show: Callable[[Term], str] = print_term,
                 show_binders: Callable[[Sequence[BinderGroup]], str] = default_show_binders,
                 parse: Callable[[Declaration], tuple[tuple[BinderGroup, ...], Term] | None]
                 = decl_statement,
                 section_of: Callable[[Scope | None], tuple[BinderGroup, ...]] = section_binders,
                 tokens: TokenTable | None = None,
                 rule_scope: Callable[[Rule], Scope | None] | None = None,
                 rule_library: Mapping[str, str] | None = None,
                 names: NameScope | None = None) -> None:
        """`show`/`show_binders`/`parse`/`section_of` default to the grammar stage's
        printer and statement readers (injectable so the engine is testable alone).
        `tokens` (the run's token table) gives the `open scoped` a rule's notation needs
        (`notation_scope`; `rule_scope` gives the scope a rule lemma was written in).
        `rule_library`: rule id -> library for the rules of a dependency.
        `names` (the library's names) checks that every free identifier a rule brings
        resolves where the mutant is stated (`name_scope`; None: no check)."""
        self.rules = {r.id: r for r in rules}
        self.rule_library = rule_library or {}
        self.decoded: dict[str, DecodedRule | Skip] = {}
        self.scopes = scopes
        self.opts = opts
        self.refute_opts: RefuteOptions | None = None  # set when refuting
        if opts.refute:  # resolved once: `refute` runs for every built mutant
            self.refute_opts = dataclasses.replace(refute_opts or RefuteOptions(),
                                                   samples=opts.samples)
        self.index = index
        self.dedup = Deduper(library, opts.max_per_theorem, opts.max_per_rule)
        self.stats = MutateStats()
        self.dedup.dropped = self.stats.dropped  # one counter for every filter
        # the last theorem's proof as a tactic body (`mutate_theorem`): stored once per
        # theorem, cut out of its mutants' stored proofs (`core.lean_parts`)
        self.base_body: str = ""
        self._section_cache: dict[str, tuple[BinderGroup, ...]] = {}
        self.show: Callable[[Term], str] = show
        self.show_binders: Callable[[Sequence[BinderGroup]], str] = show_binders
        self.parse = parse
        self.section_of = section_of
        self.notations = None if tokens is None else ScopedNotations(
            tokens, show, rule_scope or (lambda rule: None))
        self.names = names
        self._own: dict[int, tuple[Node, set[str]]] = {}
        self._rule_universes: dict[str, frozenset[str]] = {}  # rule id -> its new text's

    @property
    def dropped(self) -> Counter:
        return self.stats.dropped

    def take_stats(self) -> MutateStats:
        """The counters so far, replaced by fresh ones (worker processes report deltas)."""
        out = self.stats
        self.stats = MutateStats()
        self.dedup.dropped = self.stats.dropped
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
        key = decl.scope_id or ""
        section = self._section_cache.get(key)
        if section is None:
            section = self.section_of(scope)
            self._section_cache[key] = section
        include = included_names(scope)
        if self.names is not None:
            bound = (frozenset(n for g in binders + section for n in g.names)
                     | self.names.variables(scope))
            name = self.names.private_in(decl.statement, binders, conclusion,
                                         self.view(decl, scope), decl.module, bound)
            if name is not None:
                self.stats.names["private_in_original"] += 1
                raise Skip("unresolved_name", name)
        try:
            body = self._root_body(decl, section, binders, conclusion, include)
            is_open = False
        except Skip as e:
            if not (self.opts.open_statements and e.reason in OPEN_REASONS):
                raise
            body, is_open = (), True
        fp = fingerprint_statement(binders, conclusion)
        return Node(decl, scope, section, include, binders, conclusion, body, 0, (fp,),
                    decl.full_name, Prepared.of(binders, conclusion, section), is_open)

    def _root_body(self, decl: Declaration, section: tuple[BinderGroup, ...],
                   binders: tuple[BinderGroup, ...], conclusion: Term,
                   include: tuple[str, ...]) -> Body:
        """The proof body a library theorem's mutants build on; raises Skip when there is
        none the engine can use."""
        if self.opts.proof_style == "invoke":
            if "private" in decl.modifiers:
                raise Skip("private_original", decl.full_name)
            if decl.proof is not None and has_forbidden(decl.proof):
                raise Skip("sorry_in_original")  # calling it would prove nothing
            used = used_section(section, binders, conclusion, include)
            return invoke_body(decl.full_name, used + binders)
        if decl.proof_style in ("equations", "where"):
            raise Skip("proof_unsupported", decl.proof_style)
        return merged_body(decl)

    # ------------------------------------------------------------------ one mutant
    def build(self, node: Node, inv: Invocation) -> tuple[Row, Node | None] | None:
        """The stored row for `inv` applied to `node` (and the node to mutate further when
        the mutant is pending), or None when a filter drops it (counted)."""
        decl = node.decl
        try:
            rule = self.rule(inv.rule_id)
            if node.open_statement and unlisted_hypotheses(rule.rule):
                raise Skip("open_unlisted_hypothesis", rule.rule.lemma)
            m = apply_invocation(node.binders, node.conclusion, inv, rule,
                                 context=node.section, prepared=node.prepared)
            if self.names is not None:
                m = self.resolve_names(node, rule, m)
            m = self.own_universes(node, rule, m)
        except Skip as e:
            self.dropped[e.reason] += 1
            return None
        fp = fingerprint_statement(m.binders, m.conclusion)
        if self.dedup.check(fp, node.fingerprints, m.conclusion, decl.full_name,
                            rule.rule.lemma) is not None:
            return None
        depth = node.depth + 1
        body: Body = ()
        try:
            if node.open_statement:
                proof = OPEN_PROOF
            else:
                body = bridge(m.step, node.body, self.show)
                proof = proof_text(body)
            concl_text = self.show(m.conclusion)
            name = mutant_name(decl.name, inv.kind, fp, depth)
            rendered = render(name, m.binders, concl_text, proof, node.scope,
                              self.opts.max_heartbeats, self.show_binders)
            if self.notations is not None:
                opens = self.notations.opens(node.scope, rule.rule,
                                             (rule.replacement,) + rule.hypotheses,
                                             rendered.statement)
                if opens:
                    rendered = render(name, m.binders, concl_text, proof, node.scope,
                                      self.opts.max_heartbeats, self.show_binders, opens)
        except Skip as e:
            self.dropped[e.reason] += 1
            return None
        except Exception as err:  # a printer failure must not stop a whole library run
            log.debug("rendering %s failed: %s", decl.full_name, err)
            self.dropped["render_error"] += 1
            return None
        status, detail = self.refute(node, m)
        imports = tuple(dict.fromkeys(x for x in (decl.module, rule.rule.module) if x))
        relation = relation_after(node.relation, inv.kind, bool(rule.hypotheses),
                                  bool(m.step.fresh_vars))
        mutant = Mutant(
            id=fp, name=mutant_full_name(decl.full_name, inv.kind, fp, depth),
            parent=node.parent_name, source_theorem=decl.full_name,
            source_module=decl.module, rule=rule.rule.lemma, kind=inv.kind,
            direction=rule.rule.direction, location=inv.location, depth=depth,
            proof_style=OPEN_PROOF if node.open_statement else self.opts.proof_style,
            statement=rendered.statement, proof=proof,
            imports=imports, header=rendered.header, lean=rendered.lean,
            scope_id=decl.scope_id or "", features=features(m, proof, depth),
            rule_library=self.rule_library.get(rule.rule.id, ""),
            proof_status="open" if node.open_statement else "proved", relation=relation)
        pending = status == "pending"
        self.dedup.admit(fp, decl.full_name, rule.rule.lemma, counts=pending)
        c = self.stats
        c.mutants[inv.kind] += 1
        c.status[status] += 1
        c.by_depth[depth] += 1
        child = None
        if pending and depth < self.opts.depth:
            child = Node(decl, node.scope, node.section, node.include, m.binders,
                         m.conclusion, body, depth, node.fingerprints + (fp,), fp,
                         Prepared.of(m.binders, m.conclusion, node.section),
                         node.open_statement, relation)
        return (mutant, status, detail), child

    def own_universes(self, node: Node, rule: DecodedRule, m: Mutation) -> Mutation:
        """`m` with the universe names the rule's new text brings and the candidate's
        file does not declare written `_` (`mutate.universes`)."""
        got = self._rule_universes.get(rule.rule.id)
        if got is None:
            got = self._rule_universes[rule.rule.id] = term_universes(
                (rule.replacement,) + rule.hypotheses)
        if not got:
            return m
        free = got - declared_universes(node.scope) - term_universes(
            tuple(g.type for g in node.binders) + (node.conclusion,))
        if not free:
            return m
        return Mutation(binders_without_universes(m.binders, free),
                        without_universes(m.conclusion, free), m.step)

    def view(self, decl: Declaration, scope: Scope | None) -> ScopeView:
        """Where `decl` and its mutants are elaborated."""
        assert self.names is not None
        return self.names.view(scope, decl.scope_id or "", decl.full_name)

    def resolve_names(self, node: Node, rule: DecodedRule, m: Mutation) -> Mutation:
        """`m` with the rule's names respelled to resolve where the mutant is stated, or
        Skip `unresolved_name` when one certainly cannot (`name_scope`)."""
        assert self.names is not None
        problems, lemma = self.names.verdict(rule, self.view(node.decl, node.scope))
        if lemma != rule.rule.lemma:
            self.stats.names["repaired_lemma"] += 1
            m = Mutation(m.binders, m.conclusion, dataclasses.replace(m.step, lemma=lemma))
        if not problems:
            return m
        present = statement_names(m.binders, m.conclusion) - self.own_names(node)
        renames: dict[str, str] = {}
        for name, action, arg in problems:
            if name not in present:
                continue
            if action == "rename":
                renames[name] = arg
                continue
            if action == "local" and name.split(".", 1)[0] in (
                    {n for g in m.binders for n in g.names} | self.names.variables(node.scope)):
                continue  # bound where the mutant is stated too
            self.stats.names[arg] += 1
            raise Skip("unresolved_name", name)
        if not renames:
            return m
        self.stats.names["repaired"] += 1
        binders, conclusion = renamed(m.binders, m.conclusion, renames)
        return Mutation(binders, conclusion, m.step)

    def own_names(self, node: Node) -> set[str]:
        """The free identifiers of a node's own statement (memoized by identity)."""
        hit = self._own.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        value = statement_names(node.binders, node.conclusion)
        if len(self._own) >= 4096:
            self._own.clear()
        self._own[id(node)] = (node, value)
        return value

    def refute(self, node: Node, m: Mutation) -> tuple[str, str]:
        if not self.opts.refute:
            return "pending", ""
        assert self.refute_opts is not None  # set in __init__ when refuting
        try:
            r = refute_statement(m.binders, m.conclusion, self.refute_opts,
                                 section=node.section or None, include=node.include)
        except Exception as e:  # the refuter must never lose a mutant: keep it pending
            log.debug("refuter failed: %s", e)
            self.stats.refute["error"] += 1
            return "pending", ""
        self.stats.refute[r.status] += 1
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

        `invocations` may be lazy (`index.store.InvocationRows`): only its length is
        read up front, and an invocation is accessed when it is tried, so the rows past
        the per-theorem cap are counted (`theorem_cap`) but never decoded."""
        self.stats.candidates += 1
        self.stats.invocations += len(invocations)
        self.base_body = ""
        try:
            root = self.root(decl)
        except Skip as e:
            self.dropped[e.reason] += len(invocations)
            return
        self.base_body = "\n".join(root.body)
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
                    self.stats.invocations += len(invs2)
                    frontier.append((child, invs2))


__all__ = ["Row", "decl_statement", "section_binders", "stored_section_binders",
           "included_names", "used_section", "Rematcher", "Node", "features", "Mutator"]
