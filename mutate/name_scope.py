"""Every free identifier a rule brings into a mutant resolves where the mutant is stated.

Why: a mutant is checked in a file of its own, with the candidate theorem's scope replayed
(namespaces, `open`s, `variable`s), so a name that resolved where the rule lemma was
written may mean nothing, or something else, there:

- a `private` declaration is visible only in its own file, and the check file is never
  that file: a mutant that mentions one cannot elaborate (the candidate's own statement
  included: then every mutant of it is lost);
- `theorem Foo.lem` elaborates inside `namespace Foo` and `open Foo (bar)` reaches even a
  `protected` `Foo.bar`: the index stores such a name as written (`bar`), and the
  candidate's scope has neither;
- a full name can be shadowed where the mutant is stated (`Foo.bar` inside `namespace Baz`
  that has `Baz.Foo.bar`);
- a name bound by a `variable` of the rule's section that the rule did not take as a
  binder is a free variable in the mutant (`autoImplicit` is false);
- a name the library does not declare (Lean core, Batteries, another library) that the
  candidate's namespaces resolve to one of the library's declarations, which the rule's
  scope could not reach.

Lean core and Batteries constants are not in the extraction, so the check is
conservative: a name is *repaired* (written as its full name, or `_root_.` + full name
when the full name is shadowed) when the declaration the rule means is known and public;
the mutant is *dropped* (`unresolved_name`) only when it certainly cannot resolve as the
rule meant (a private declaration, a variable of the rule's section, a namespace that
certainly shadows it); every other name is kept as it is.  Resolution follows Lean 4's
`resolveGlobalName` over the library's names (`NameIndex`): namespace prefixes first
(innermost to outermost, all that exist), else the root name and every `open`, a
`protected` declaration never by its last component alone except through `open N (x)`.

Cost: the verdict for one rule in one mutant scope is memoized, and a rule whose names
all resolve (nearly all) costs one dictionary lookup per mutant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import pyarrow.parquet as pq

from lean_alchemy.core.records import Rule, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.grammar.ast import BinderGroup, Ident, Term
from lean_alchemy.grammar.statements import top_level_colon
from lean_alchemy.grammar.substitute import substitute
from lean_alchemy.grammar.walk import heads, nodes
from lean_alchemy.index.names import (
    BUILTIN, ROOT, ScopeView, namespaces_of, possible_names, read_external_names)
from lean_alchemy.grammar.tokens import TokenTable
from lean_alchemy.mutate.notation_scope import MATHLIB_SCOPED
from lean_alchemy.mutate.statements import DecodedRule

LOCAL = "\x00local"  # meaning of a name bound by a `variable` of the rule's section
UNKNOWN = ""  # meaning of a name the library does not declare (or not unambiguously)
_MEMO_LIMIT = 200_000
_MISSING: object = object()

# (printed name, action, argument): action "rename" (argument: new spelling), "drop"
# (argument: cause), "local" (dropped unless the mutant binds the name)
Problem = tuple[str, str, str]


@dataclass(frozen=True)
class NameIndex:
    """The library's declaration names: which exist, which are `protected`, and which are
    `private` (every declaration of that full name is), with the modules that declare
    them: a private name resolves in those files only."""

    names: frozenset[str]
    protected: frozenset[str]
    private: Mapping[str, frozenset[str]]  # name -> modules
    private_last: frozenset[str] = frozenset()  # last components of the private names
    # every proper dotted suffix of a name (`B.c`, `c` of `A.B.c`): a name that is none
    # can only ever denote itself, whatever namespaces and opens are in force
    suffixes: frozenset[str] = frozenset()
    # every namespace the names imply: how an `open` is read (`names.relative_opens`)
    namespaces: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rows: Iterable[tuple[str, Sequence[str], str]], external: Iterable[str] = ()
           ) -> "NameIndex":
        """`rows`: (full name, modifiers, module) of every declaration; `external`: full
        names declared outside the library (`IndexOptions.external_names`)."""
        names: set[str] = set()
        protected: set[str] = set()
        public: set[str] = set()
        private: dict[str, set[str]] = {}
        for name, mods, module in rows:
            names.add(name)
            if "protected" in mods:
                protected.add(name)
            if "private" in mods:
                private.setdefault(name, set()).add(module)
            else:
                public.add(name)
        names.update(n.strip() for n in external if n.strip())
        only = {n: frozenset(m) for n, m in private.items() if n not in public}
        suffixes = {n[i + 1:] for n in names for i, ch in enumerate(n) if ch == "."}
        return cls(frozenset(names), frozenset(protected), only,
                   frozenset(n.rsplit(".", 1)[-1] for n in only), frozenset(suffixes),
                   namespaces_of(names))

    @classmethod
    def read(cls, run: RunDir) -> "NameIndex":
        """The run's declarations (three columns) and the external names the index used."""
        t = pq.read_table(run.declarations, columns=["full_name", "modifiers", "module"])
        rows = zip(*(t.column(c).to_pylist() for c in ("full_name", "modifiers", "module")))
        return cls.of(((n, m or (), mod) for n, m, mod in rows), _index_external_names(run))

    def exists(self, name: str, module: str | None) -> bool:
        """Whether `name` is a declaration visible in `module` (None: a check file, where
        no private declaration is)."""
        if name not in self.names:
            return False
        where = self.private.get(name)
        return where is None or module in where

    def candidates(self, view: ScopeView, name: str, module: str | None
                   ) -> tuple[list[str], bool]:
        """(every declaration `name` denotes in `view`, whether namespaces found them), as
        Lean's `resolveGlobalName` (`index.names.Resolver.candidates`): the innermost
        namespace prefix that has it alone; else a dotted name that exists as written;
        else the root name and the `open`s'."""
        if name.startswith(ROOT):
            n = name[len(ROOT):]
            return ([n] if self.exists(n, module) else []), False
        atomic = "." not in name
        for ns in view.namespaces:
            full = f"{ns}.{name}"
            if self.exists(full, module) and not (atomic and full in self.protected):
                return [full], True
        if not atomic and self.exists(name, module):
            return [name], False
        found: list[str] = []
        if self.exists(name, module):
            found.append(name)
        for o in view.opens:
            found += [old for new, old in o.renaming
                      if new == name and self.exists(old, module)]
            full = f"{o.namespace}.{name}"
            if o.only is not None:
                if name in o.only and self.exists(full, module):
                    found.append(full)  # `open N (x)` reaches a protected `N.x` too
            elif name not in o.hiding and self.exists(full, module) and \
                    not (atomic and full in self.protected):
                found.append(full)
        return list(dict.fromkeys(found)), False

    def resolve(self, view: ScopeView, name: str, module: str | None
                ) -> tuple[list[str], str, bool]:
        """(declarations, projections after them, via namespaces) of `name`: the longest
        prefix that denotes something, the rest read as projections (`foo.mp`)."""
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            head = ".".join(parts[:k])
            if head == "_root_":
                break
            found, via_ns = self.candidates(view, head, module)
            if found:
                rest = ".".join(parts[k:])
                return found, (f".{rest}" if rest else ""), via_ns
        return [], "", False


def _index_external_names(run: RunDir) -> list[str]:
    """The external names the index stage resolved with: the file it was given (its stats
    record the option) and the names the library writes but does not declare
    (`RUN/written_names.txt`)."""
    written = read_external_names(run.written_names) if run.written_names.is_file() else []
    return _option_external_names(run) + written


def _option_external_names(run: RunDir) -> list[str]:
    import json

    path = run.stats_path("index")
    try:
        opts = json.loads(path.read_text(encoding="utf-8")).get("options", {})
    except (OSError, ValueError):
        return []
    try:
        return read_external_names(opts.get("external_names"))
    except Exception:  # noqa: BLE001 - a moved file only loses the external names
        return []


# --------------------------------------------------------------------------- variables

_OPEN = {"(": ")", "{": "}", "⦃": "⦄", "[": "]"}
_WORD = re.compile(r"[^\W\d][\w'!?]*")
_NAME = re.compile(r"^[^\W\d][\w'.!?₀-₉ₐ-ₜᵢ-ᵪ]*$")


def variable_names(scope: Scope | None) -> frozenset[str]:
    """Names bound by the `variable` commands of `scope`, read from their text (a binder
    group's names before its top-level `:`; an update `{x}` names `x`), so that a
    `variable` line the grammar could not parse still binds its names."""
    if scope is None:
        return frozenset()
    out: set[str] = set()
    for kind, text in scope.commands:
        if kind == "variable":
            out.update(_binder_names(text))
    return frozenset(out)


def _binder_names(text: str) -> Iterable[str]:
    depth, start, opener = 0, 0, ""
    for i, ch in enumerate(text):
        if depth == 0 and ch in _OPEN:
            depth, start, opener = 1, i + 1, ch
        elif depth and ch in _OPEN:
            depth += 1
        elif depth and ch in ")}⦄]":
            depth -= 1
            if depth == 0:
                body = text[start:i]
                cut = top_level_colon(body)
                head = body[:cut] if cut >= 0 else body
                if cut >= 0 or opener != "[":
                    yield from (w for w in head.split() if _NAME.match(w))


# --------------------------------------------------------------------------- the check

def notation_words(table: TokenTable | None) -> frozenset[str]:
    """Tokens of notations that read like identifiers (`σ`, `π`, `I`, `conj`): the grammar
    gives them as identifiers, but Lean reads them as notation where they are active
    (`notation_scope` opens their namespace), never as names to resolve."""
    tokens: set[str] = set(MATHLIB_SCOPED)
    if table is not None:
        tokens |= table.tokens
        for _, scoped in table.scoped:
            tokens |= scoped
    return frozenset(t for t in tokens if t[:1].isalpha())


def rule_constants(rule: Rule, terms: Iterable[Term | None],
                   skip: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The free identifiers of a rule's printed terms that are not its variables (nor
    in `skip`)."""
    variables = set(rule.binder_names)
    out: set[str] = set()
    for t in terms:
        if t is not None:
            out |= free_names(t)
    return tuple(sorted(n for n in out if n.split(".", 1)[0] not in variables
                        and n not in BUILTIN and n not in skip and "✝" not in n))


class NameScope:
    """The name check of `Mutator.build` (see module doc)."""

    def __init__(self, index: NameIndex, rule_scope: Callable[[Rule], Scope | None],
                 notations: frozenset[str] = frozenset()) -> None:
        """`notations`: identifier-like notation tokens (`notation_words`), never checked."""
        self.index = index
        self.rule_scope = rule_scope
        self.notations = notations
        self._meanings: dict[str, tuple[tuple[str, str], ...]] = {}
        self._rule_views: dict[str, ScopeView] = {}
        # keyed by the identity of views this object keeps alive (`view`, `_rule_views`)
        self._verdicts: dict[tuple[str, str, int, int], object] = {}
        self._rule_verdicts: dict[tuple[str, int], tuple[tuple[Problem, ...], str]] = {}
        self._views: dict[tuple[str, str], ScopeView] = {}
        # one object per distinct view: theorems of one namespace share their verdicts
        self._interned: dict[ScopeView, ScopeView] = {}
        self._variables: dict[int, tuple[Scope | None, frozenset[str]]] = {}
        self._scope_views: dict[int, tuple[Scope | None, ScopeView]] = {}

    def view(self, scope: Scope | None, scope_id: str, decl_name: str) -> ScopeView:
        """Where a declaration named `decl_name` (its full name) is elaborated: its
        scope's namespaces and opens (`scope_view`), inside the namespace of its own name;
        memoized per scope id and name."""
        key = (scope_id, decl_name)
        v = self._views.get(key)
        if v is None:
            if len(self._views) >= _MEMO_LIMIT:
                self._views.clear()
                self._interned.clear()
                self._rule_verdicts.clear()
                self._verdicts.clear()  # its keys hold the identities of dropped views
            fresh = self.scope_view(scope).inside(decl_name)
            v = self._views[key] = self._interned.setdefault(fresh, fresh)
        return v

    def scope_view(self, scope: Scope | None) -> ScopeView:
        """`ScopeView.of(scope)` (its `open` lines parsed), memoized by identity."""
        hit = self._scope_views.get(id(scope))
        if hit is not None and hit[0] is scope:
            return hit[1]
        value = ScopeView.of(scope, known=self.index.namespaces)
        if len(self._scope_views) >= _MEMO_LIMIT:
            self._scope_views.clear()
        self._scope_views[id(scope)] = (scope, value)
        return value

    def variables(self, scope: Scope | None) -> frozenset[str]:
        """`variable_names(scope)`, memoized by identity."""
        hit = self._variables.get(id(scope))
        if hit is not None and hit[0] is scope:
            return hit[1]
        value = variable_names(scope)
        if len(self._variables) >= _MEMO_LIMIT:
            self._variables.clear()
        self._variables[id(scope)] = (scope, value)
        return value

    # ------------------------------------------------------------------ the rule's side
    def meanings(self, decoded: DecodedRule) -> tuple[tuple[str, str], ...]:
        """(name, what it means where the rule was written) for each constant of the rule:
        a full name, `LOCAL` (a section variable) or `UNKNOWN`; memoized per rule."""
        rule = decoded.rule
        hit = self._meanings.get(rule.id)
        if hit is not None:
            return hit
        scope = self.rule_scope(rule)
        view = self._rule_views[rule.id] = self._interned.setdefault(
            v := self.scope_view(scope).inside(rule.lemma), v)
        local = self.variables(scope)
        out: list[tuple[str, str]] = []
        # instance binders never become binders of a mutant; the others may (fresh variables)
        types = tuple(t for t, k in zip(decoded.binder_types, rule.binder_kinds) if k != "inst")
        terms = (decoded.replacement,) + decoded.hypotheses + types
        for n in rule_constants(rule, terms, self.notations):
            if n.split(".", 1)[0] in local:
                out.append((n, LOCAL))
            elif self.index.exists(_declaration_of(n, self.index), rule.module):
                out.append((n, n))  # the index stored the full name it resolved
            else:  # written as in the rule's file (or a private name of another file)
                found, rest, _ = self.index.resolve(view, n, rule.module)
                out.append((n, found[0] + rest if len(found) == 1 else UNKNOWN))
        value = self._meanings[rule.id] = tuple(out)
        return value

    # ------------------------------------------------------------------ the mutant's side
    def verdict(self, decoded: DecodedRule, view: ScopeView
                ) -> tuple[tuple[Problem, ...], str]:
        """(what must change for the rule's names to mean in `view` what they meant where
        the rule was written, how the proof names the rule lemma there).  Memoized per rule
        and view, and per name and view underneath: rules share their constants, and
        theorems of one namespace share their view (`view` interns them)."""
        rule_key = (decoded.rule.id, id(view))
        hit = self._rule_verdicts.get(rule_key)
        if hit is not None:
            return hit
        meanings = self.meanings(decoded)
        rule_view = self._rule_views[decoded.rule.id]
        verdicts = self._verdicts
        out: list[Problem] = []
        for n, meaning in meanings:
            key = (n, meaning, id(rule_view) if meaning == UNKNOWN else 0, id(view))
            p = verdicts.get(key, _MISSING)
            if p is _MISSING:
                if len(verdicts) >= 4 * _MEMO_LIMIT:
                    verdicts.clear()
                p = verdicts[key] = self._problem(n, meaning, view, rule_view)
            if p is not None:
                out.append(p)  # type: ignore[arg-type]
        lemma = decoded.rule.lemma
        if lemma in self.index.names and lemma in self.index.suffixes:
            lemma = self.spelling(lemma, view)
        if len(self._rule_verdicts) >= _MEMO_LIMIT:
            self._rule_verdicts.clear()
        value = self._rule_verdicts[rule_key] = (tuple(out), lemma)
        return value

    def _problem(self, n: str, meaning: str, view: ScopeView, rule_view: ScopeView
                 ) -> Problem | None:
        if meaning == LOCAL:
            return (n, "local", "rule_variable")
        idx = self.index
        if meaning == UNKNOWN:
            found, rest, via_ns = idx.resolve(view, n, None)
            if not (found and via_ns and not rest):
                return None  # unknown both ways, or not certainly another declaration
            here = {f"{ns}.{n}" for ns in view.namespaces}
            if here & possible_names(rule_view, n):
                return None  # the rule's declaration may be among the namespace's
            return (n, "drop", "shadowed")
        base = _declaration_of(meaning, idx)
        if base in idx.private:
            return (n, "drop", "private")
        if n == meaning == base and base not in idx.suffixes:
            return None  # no other declaration could be meant by this name anywhere
        found, rest, _ = idx.resolve(view, n, None)
        if found == [base] and found[0] + rest == meaning:
            return None
        return (n, "rename", self.spelling(meaning, view))

    def spelling(self, full: str, view: ScopeView) -> str:
        """`full` itself when it resolves to itself in `view`, else `_root_.full`."""
        found, rest, _ = self.index.resolve(view, full, None)
        if len(found) == 1 and found[0] + rest == full:
            return full
        return ROOT + full

    def private_in(self, text: str, binders: Sequence[BinderGroup], conclusion: Term,
                   view: ScopeView, module: str, bound: frozenset[str]) -> str | None:
        """A name of a statement of `module` that denotes only `private` declarations of
        that file (it resolves nowhere else), or None; `bound`: its local names.  `text`,
        the statement's source, screens out (one regex) the statements that mention no
        last component of a private name."""
        idx = self.index
        if not idx.private_last or idx.private_last.isdisjoint(_WORD.findall(text)):
            return None
        for n in sorted(statement_names(binders, conclusion)):
            if n.split(".", 1)[0] in bound or n in BUILTIN or n in self.notations:
                continue
            found = idx.resolve(view, n, module)[0]
            if found and all(f in idx.private for f in found) and \
                    not idx.resolve(view, n, None)[0]:
                return n
        return None


def _declaration_of(meaning: str, idx: NameIndex) -> str:
    """The declaration a meaning names (without the projections after it)."""
    parts = meaning.split(".")
    for k in range(len(parts), 0, -1):
        head = ".".join(parts[:k])
        if head in idx.names:
            return head
    return meaning


def free_names(t: Term) -> set[str]:
    """The identifiers of `t` whose first component occurs free (`grammar.walk.heads`):
    `free_idents` with two cheap walks instead of the path-tracking one.  A name whose
    head is free somewhere and bound elsewhere is reported: harmless here, where bound
    names are variables and the names checked are constants."""
    hs = heads(t)
    if not hs:
        return set()
    return {s.name for s in nodes(t) if isinstance(s, Ident) and s.name.split(".", 1)[0] in hs}


def statement_names(binders: Sequence[BinderGroup], conclusion: Term) -> set[str]:
    """Free identifiers of a statement (each binder group's type and predicate, and the
    conclusion; a name bound by an earlier binder is reported as well)."""
    out: set[str] = free_names(conclusion)
    for g in binders:
        if g.type is not None:
            out |= free_names(g.type)
        if g.pred is not None:
            out |= free_names(g.pred)
    return out


def renamed(binders: Sequence[BinderGroup], conclusion: Term, renames: Mapping[str, str]
            ) -> tuple[tuple[BinderGroup, ...], Term]:
    """The statement with every free occurrence of each name in `renames` respelled."""
    mapping: dict[str, Term] = {old: Ident(new) for old, new in renames.items()}
    groups = tuple(
        BinderGroup(g.names, substitute(g.type, mapping) if g.type is not None else None,
                    g.kind, g.pred_op,
                    substitute(g.pred, mapping) if g.pred is not None else None)
        for g in binders)
    return groups, substitute(conclusion, mapping)


__all__ = ["LOCAL", "UNKNOWN", "NameIndex", "NameScope", "variable_names",
           "notation_words", "rule_constants", "statement_names", "renamed"]
