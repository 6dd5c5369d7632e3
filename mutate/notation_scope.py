"""The `open scoped` a mutant needs for the notations its rule brings in.

Why: a rule's replacement is printed with the notation its lemma was written in (`n !`,
`π`, `∞`).  Much of Mathlib's notation is `scoped` (`n !` only where `Nat` is open or
entered, `∞` where `ENNReal` is), and a candidate theorem from another file may have
none of those namespaces open: its mutant would then not even parse.  The mutant's unit
gets `open scoped NS` for each namespace that scopes a token the new statement uses
(coming from the rule) and that is not active in the mutant's own scope; the source
statement's own tokens are active there already, so they never add an `open`.

The run's token table (`grammar.tokens.TokenTable`, from `RUN/notations.parquet`) says
which tokens are scoped and by which namespace, for the notations the library declares;
`MATHLIB_SCOPED` adds Mathlib's common ones for a library that only imports Mathlib.  A token that Lean also has globally
counts only as a postfix operator (`n !` is `scoped` in `Nat`; core's `!` is the prefix
`!b`), the one role in which the global token cannot be what the rule means.  When several namespaces scope the same
token, the one active where the rule lemma was written is taken (its notation is the one
the rule's text means).  Work is memoized per rule and per scope: most rules bring no
scoped token, and then nothing is lexed.
"""

from __future__ import annotations

from typing import Callable, Mapping

from lean_alchemy.core.records import Rule, Scope
from lean_alchemy.grammar.ast import Postfix, Term
from lean_alchemy.grammar.tokens import Lexicon, TokenTable, lex, open_namespaces
from lean_alchemy.grammar.walk import heads, nodes

# Mathlib's common scoped notations, for a library that uses Mathlib without declaring
# them (the run's token table knows only the notations of the library it extracted):
# token -> the namespace that scopes it, each read in Mathlib's sources (path:line).
MATHLIB_SCOPED: dict[str, str] = {
    "!": "Nat",  # Data/Nat/Factorial/Basic.lean:46  `n !`
    "‼": "Nat",  # Data/Nat/Factorial/DoubleFactorial.lean:39  `n ‼`
    "φ": "Nat",  # Data/Nat/Totient.lean:41 (also `goldenRatio`)
    "π": "Real",  # Analysis/SpecialFunctions/Trigonometric/Basic.lean:131 (also `Nat.Prime`)
    "∞": "ENNReal",  # Data/ENNReal/Basic.lean:109 (also `OnePoint`, `ContDiff`)
    "ℝ≥0∞": "ENNReal",  # Data/ENNReal/Basic.lean:104
    "ℝ≥0": "NNReal",  # Data/NNReal/Defs.lean:62
    "𝓝": "Topology",  # Topology/Defs/Filter.lean:134
    "Ι": "Interval",  # Order/Interval/Set/UnorderedInterval.lean:247
    "conj": "ComplexConjugate",  # Algebra/Star/Basic.lean:346
    "Λ": "ArithmeticFunction",  # NumberTheory/ArithmeticFunction/VonMangoldt.lean:68
}

# (token, namespace to open, every namespace that scopes it) for one rule
Needs = tuple[tuple[str, str, frozenset[str]], ...]


class ScopedNotations:
    """Which `open scoped` namespaces a mutant needs (see module doc)."""

    def __init__(self, table: TokenTable, show: Callable[[Term], str],
                 rule_scope: Callable[[Rule], Scope | None],
                 builtin: Mapping[str, str] = MATHLIB_SCOPED) -> None:
        self.table = table
        self.show = show
        self.rule_scope = rule_scope
        scoping: dict[str, set[str]] = {t: {ns} for t, ns in builtin.items()}
        for ns, tokens in table.scoped:
            for t in tokens:
                scoping.setdefault(t, set()).add(ns)
        self.scoping = {t: frozenset(ns) for t, ns in scoping.items()}
        self.full: Lexicon = table.active([ns for ns, _ in table.scoped], builtin)
        self._rules: dict[str, Needs] = {}
        self._active: dict[int, tuple[Scope | None, frozenset[str]]] = {}

    def rule_needs(self, rule: Rule, terms: tuple[Term | None, ...]) -> Needs:
        """The scoped tokens in the rule's printed `terms` (replacement, hypotheses)."""
        hit = self._rules.get(rule.id)
        if hit is not None:
            return hit
        present = [t for t in terms if t is not None]
        text = " ".join(self.show(t) for t in present)
        postfix = {n.op for t in present for n in nodes(t) if isinstance(n, Postfix)}
        constants = set().union(*(heads(t) for t in present)) - set(rule.binder_names)
        used = sorted(t for t in set(lex(text, self.full)) & self.scoping.keys()
                      if _notation_use(t, postfix, constants, self.table.tokens))
        out: list[tuple[str, str, frozenset[str]]] = []
        if used:
            at_rule = set(self.active(self.rule_scope(rule)))
            for t in used:
                spaces = self.scoping[t]
                ns = min(spaces & at_rule) if spaces & at_rule else min(spaces)
                out.append((t, ns, spaces))
        needs = self._rules[rule.id] = tuple(out)
        return needs

    def active(self, scope: Scope | None) -> frozenset[str]:
        """Namespaces whose scoped syntax is active at `scope` (memoized by identity)."""
        hit = self._active.get(id(scope))
        if hit is not None and hit[0] is scope:
            return hit[1]
        value = frozenset(open_namespaces(scope)) if scope is not None else frozenset()
        if len(self._active) >= 4096:
            self._active.clear()
        self._active[id(scope)] = (scope, value)
        return value

    def opens(self, scope: Scope | None, rule: Rule, terms: tuple[Term | None, ...],
              statement: str) -> tuple[str, ...]:
        """Namespaces to `open scoped` for a mutant in `scope` whose rule is `rule` (its
        printed `terms`) and whose statement text is `statement`."""
        needs = self.rule_needs(rule, terms)
        if not needs:
            return ()
        active = self.active(scope)
        missing = [(t, ns) for t, ns, spaces in needs if not spaces & active]
        if not missing:
            return ()
        lexed = set(lex(statement, self.full))
        return tuple(sorted({ns for t, ns in missing if t in lexed}))


def _notation_use(token: str, postfix: set[str], constants: set[str],
                  global_tokens: frozenset[str]) -> bool:
    """Whether `token`, lexed in a rule's text, is a use of the scoped notation.  A word
    (`π`, `conj`) is one only as a constant, never as a variable the rule binds (`φ` is a
    common name); a token that is also global (core's prefix `!`) only in a role the
    global one does not have: a postfix operator (`n !`)."""
    if token[0].isalpha() or token in constants:
        return token in constants
    return token in postfix or token not in global_tokens


def rule_scopes(scope_ids: Mapping[str, str], scopes: Mapping[str, Scope]
                ) -> Callable[[Rule], Scope | None]:
    """A rule's scope: the one its lemma was declared in (by full name)."""
    def of(rule: Rule) -> Scope | None:
        return scopes.get(scope_ids.get(rule.lemma, ""))
    return of


__all__ = ["MATHLIB_SCOPED", "ScopedNotations", "rule_scopes"]
