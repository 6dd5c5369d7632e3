"""Which rule fires where: a discrimination tree over rule patterns + first-order matching.

Why not "try every rule on every sub-term": Mathlib has ~300k directed rewrite rules and
millions of sub-terms; the Alchemy authors paid Lean ~131 pairs a second for that.  Here
each pattern is flattened in pre-order into a sequence of *symbols* (node type, operator,
arity, last component of a constant's name; `*` for a pattern variable, which skips a whole
sub-term of the candidate) and stored in a trie.  A candidate sub-term retrieves from the
trie only the rules whose skeleton fits, and those few are matched exactly:

- **first order**, pattern variables (the rule's non-hypothesis binders) bind sub-terms,
  repeated variables must bind equal terms; a variable applied to arguments (`f x`) binds
  the candidate's function;
- **bound variables**: names bound inside the pattern correspond to the candidate's bound
  names position by position (alpha-equivalence); a pattern variable never binds a term
  that mentions a variable bound inside the matched instance (no capture), and an instance
  mentioning a variable bound *above* it is not reported (`under_binder`: `rw` cannot
  rewrite under binders);
- **constants** compare by resolved full name (`extract.names`); a candidate name that did
  not resolve matches a rule constant it could denote in the candidate's scope (a namespace
  in force or an `open` + the written name).  Without a resolver (re-matching mutants) a
  written name matches a rule constant it is a dotted suffix of (`succ` ~ `Nat.succ`);
- **cheap type check**: a pattern variable whose rule binder type is a closed type named by
  one identifier (`ℕ`, `Real`, `Pt`; or, untyped, the number type of the lemma's namespace
  `Nat.`/`Real.`...) does not bind a candidate variable (or ascription) of another such
  type, and a rule type variable (`α`) is not bound to two different number types.  What
  it filters is counted (`type_mismatch`).

Per-theorem quota (`max_per_theorem`): common skeletons (`?a * ?b`, `?a ≤ ?b`) give
thousands of (rule, sub-term) pairs per Mathlib theorem.  The pairs of each kind are
visited most specific pattern first (more constants and operators: `?a = ?b` matches every
equation, `Finset.sum ?s ?f = 0` few), in a seeded permutation (`_spread`) among equally
specific ones, and matched until the kind's share of the quota
is filled (`apply_hyp`, then `rw_hyp`, then `rw_goal`; an unused share passes on) or
`attempts` x share pairs were tried: a reproducible sample at a bounded cost.  Counters:
`retrieved` (skeleton pairs), `tried`, `found`, `capped` (pairs never tried).

Invocation format (what `mutate.statements.apply_invocation` consumes): `path` is the JSON
list of `[field, index]` steps from the target (conclusion, or the hypothesis binder's
type) to the instance; `subst` maps each pattern variable to the candidate's *written*
sub-term.  Where a rule constant is spelled differently in the candidate (`Nat.succ` vs
`succ` inside `namespace Nat`), `subst` also maps the rule's full name to the candidate's
spelling: the instantiated pattern is then literally the candidate's sub-term, and the
replacement is printed in the candidate's own spelling, valid in its scope.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from lean_alchemy.core.records import Declaration, Invocation, Rule
from lean_alchemy.grammar.ast import (
    App, BinderGroup, Cdot, CdotFun, Ident, IfThenElse, Let, Opaque, Quant, SetBuilder, Sort, Subtype, Term,
    Typed, _bound_in_child, dumps, loads,
)
from lean_alchemy.mutate.substitute import field_names, heads

WILD = "*"
BVAR = "bvar"
LOCAL = "local"

NUMBER_TYPES = {"ℕ": "ℕ", "Nat": "ℕ", "ℤ": "ℤ", "Int": "ℤ", "ℚ": "ℚ", "Rat": "ℚ",
                "ℝ": "ℝ", "Real": "ℝ", "ℂ": "ℂ", "Complex": "ℂ", "ℕ+": "ℕ+", "PNat": "ℕ+",
                "ℝ≥0": "ℝ≥0", "NNReal": "ℝ≥0", "ℝ≥0∞": "ℝ≥0∞", "ENNReal": "ℝ≥0∞",
                "EReal": "EReal", "ℚ≥0": "ℚ≥0", "NNRat": "ℚ≥0"}
NAMESPACE_TYPES = {"Nat": "ℕ", "Int": "ℤ", "Rat": "ℚ", "Real": "ℝ", "Complex": "ℂ",
                   "PNat": "ℕ+", "NNReal": "ℝ≥0", "ENNReal": "ℝ≥0∞", "EReal": "EReal",
                   "NNRat": "ℚ≥0"}

_NUMBERS = frozenset(NUMBER_TYPES.values())
_BINDING = (Quant, SetBuilder, Subtype, Let, IfThenElse)


# --------------------------------------------------------------------------- symbols

_SHAPE_CACHE: dict[type, tuple[tuple[str, str], ...]] = {}


def _shape_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(field, how) for the non-child parts of a node class: how is "value", "len"
    (binder names: only their number counts), "presence" or "ignore"."""
    got = _SHAPE_CACHE.get(cls)
    if got is None:
        out = []
        for f in field_names(cls):
            if cls is BinderGroup and f == "names":
                out.append((f, "len"))
            elif cls is BinderGroup and f == "kind":
                out.append((f, "kind"))
            elif (cls is Let and f == "name") or (cls is IfThenElse and f == "hyp"):
                out.append((f, "presence"))
            elif cls is Quant and f == "arrow":
                out.append((f, "ignore"))
            else:
                out.append((f, "value"))
        got = tuple(out)
        _SHAPE_CACHE[cls] = got
    return got


def shape(t: Term) -> tuple:
    """The symbol of a non-identifier node: its type and every scalar part that two
    matching nodes must share (operator, literal text, arities, which optional parts exist).
    Binder names are left out (alpha-equivalence); `(x : T)` and `x : T` binders agree."""
    parts: list[object] = [type(t).__name__]
    for f, how in _shape_fields(type(t)):
        v = getattr(t, f)
        if how == "ignore":
            continue
        if how == "len":
            parts.append(len(v))
        elif how == "presence":
            parts.append(v is not None)
        elif how == "kind":
            parts.append("explicit" if v == "plain" else v)
        elif isinstance(v, Term):
            parts.append(1)
        elif v is None:
            parts.append(None)
        elif isinstance(v, tuple):
            parts.append(len(v))
        else:
            parts.append(v)
    return tuple(parts)


def last_component(name: str) -> str:
    if name.startswith("_root_."):
        name = name[len("_root_."):]
    return name.rsplit(".", 1)[-1]


def _children(t: Term) -> Iterator[tuple[str, int, Term]]:
    for f in field_names(type(t)):
        v = getattr(t, f)
        if isinstance(v, Term):
            yield f, -1, v
        elif isinstance(v, tuple) and v and isinstance(v[0], Term):
            for i, x in enumerate(v):
                yield f, i, x


def pattern_symbols(p: Term, pvars: frozenset[str]) -> list[object]:
    """The pre-order symbol sequence of a rule pattern (the trie key)."""
    out: list[object] = []

    def go(t: Term, bound: frozenset[str]) -> None:
        if isinstance(t, Ident):
            head, dot, rest = t.name.partition(".")
            if head in bound:
                out.append(("dot", rest) if dot else BVAR)
            elif head in pvars:
                out.append(("dot", rest) if dot else WILD)
            else:
                out.append(("id", last_component(t.name)))
            return
        out.append(shape(t))
        binding = isinstance(t, _BINDING)
        for f, i, c in _children(t):
            extra = _bound_in_child(t, f, i) if binding else ()
            go(c, bound | frozenset(extra) if extra else bound)

    go(p, frozenset())
    return out


def head_key(pattern: Term, pvars: frozenset[str] = frozenset()) -> str:
    """A readable index key of a pattern: head symbol and arity (`Finset.sum/2`, `(+)`)."""
    t = pattern
    if isinstance(t, App):
        fn = t.fn
        if isinstance(fn, Ident):
            name = "?" if fn.name.split(".", 1)[0] in pvars else fn.name
            return f"{name}/{len(t.args)}"
        return f"App/{len(t.args)}"
    if isinstance(t, Ident):
        return "?" if t.name.split(".", 1)[0] in pvars else f"{t.name}/0"
    op = getattr(t, "op", None)
    if isinstance(op, str):
        return f"{type(t).__name__}({op})"
    return type(t).__name__


# --------------------------------------------------------------------------- a flattened target

@dataclass
class Flat:
    """A candidate target flattened in pre-order: symbols, subtree ends, paths, nodes (the
    written and the resolved tree, which have the same shape) and bound names above."""

    syms: list[object] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    paths: list[tuple] = field(default_factory=list)
    written: list[Term] = field(default_factory=list)
    resolved: list[Term] = field(default_factory=list)
    bound: list[frozenset[str]] = field(default_factory=list)
    opaque: list[bool] = field(default_factory=list)  # the sub-term contains an Opaque
    under: list[bool] = field(default_factory=list)  # mentions a variable bound above it
    _keys: dict[int, int] = field(default_factory=dict)

    def key(self, i: int) -> int:
        """A hash of the written sub-term at `i`, computed once (terms hash recursively)."""
        k = self._keys.get(i)
        if k is None:
            k = self._keys[i] = hash(self.written[i])
        return k


def flatten(written: Term, resolved: Term, locals_: frozenset[str]) -> Flat:
    fl = Flat()

    def go(w: Term, r: Term, bound: frozenset[str], path: tuple) -> tuple[bool, frozenset]:
        """Returns (contains an Opaque, bound-above names the sub-term mentions)."""
        i = len(fl.syms)
        opaque = isinstance(w, Opaque)
        uses: frozenset = frozenset()
        if isinstance(w, Cdot):
            uses = frozenset(("·",))  # bound by the enclosing `(· …)`
        if isinstance(w, Ident):
            head, dot, rest = w.name.partition(".")
            if head in bound:
                uses = frozenset((head,))
            if head in bound or head in locals_:
                sym: object = ("dot", rest) if dot else (BVAR if head in bound else LOCAL)
            else:
                sym = ("id", last_component(r.name if isinstance(r, Ident) else w.name))
        else:
            sym = shape(w)
        fl.syms.append(sym)
        fl.ends.append(0)
        fl.paths.append(path)
        fl.written.append(w)
        fl.resolved.append(r)
        fl.bound.append(bound)
        fl.opaque.append(False)
        fl.under.append(False)
        if not isinstance(w, Ident):
            binding = isinstance(w, _BINDING)
            rch = list(_children(r)) if r is not w else None
            for k, (f, j, c) in enumerate(_children(w)):
                extra = _bound_in_child(w, f, j) if binding else (
                    ("·",) if isinstance(w, CdotFun) else ())
                rc = rch[k][2] if rch is not None and k < len(rch) else c
                o, u = go(c, rc, bound | frozenset(extra) if extra else bound,
                          path + ((f, j),))
                opaque |= o
                if u:
                    uses = uses | (u & bound)
        fl.ends[i] = len(fl.syms)
        fl.opaque[i] = opaque
        fl.under[i] = bool(uses)
        return opaque, uses

    go(written, resolved, frozenset(), ())
    return fl


# --------------------------------------------------------------------------- the trie

class Trie:
    """A discrimination tree: nested dicts keyed by symbol; rule slots at the leaves."""

    __slots__ = ("root", "size")
    LEAF = "\x00leaf"

    def __init__(self) -> None:
        self.root: dict = {}
        self.size = 0

    def insert(self, syms: Sequence[object], value: object) -> None:
        node = self.root
        for s in syms:
            nxt = node.get(s)
            if nxt is None:
                nxt = node[s] = {}
            node = nxt
        node.setdefault(self.LEAF, []).append(value)
        self.size += 1

    def retrieve(self, fl: Flat, start: int) -> list:
        """Values of every pattern whose skeleton fits the sub-term at `start`."""
        stop = fl.ends[start]
        syms, ends = fl.syms, fl.ends
        out: list = []
        stack = [(self.root, start)]
        leaf = self.LEAF
        while stack:
            node, i = stack.pop()
            if i == stop:
                vals = node.get(leaf)
                if vals:
                    out.extend(vals)
                continue
            w = node.get(WILD)
            if w is not None:
                stack.append((w, ends[i]))
            c = node.get(syms[i])
            if c is not None:
                stack.append((c, i + 1))
        return out


# --------------------------------------------------------------------------- matching

@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule ready for matching."""

    rule: Rule
    pattern: Term
    pvars: frozenset[str]
    types: dict  # pattern variable -> normalized number type / type-variable name
    tvars: frozenset[str]
    specificity: int = 0  # symbols of the pattern that are not variables


def _number(t: Term | None) -> str | None:
    if isinstance(t, Ident):
        return NUMBER_TYPES.get(t.name)
    return None


def _base_type(t: Term | None) -> str | None:
    """A closed type named by one identifier, normalized (`Nat` and `ℕ` agree; a full
    name and its last component agree): what two types must share to be equal."""
    if isinstance(t, Ident):
        return NUMBER_TYPES.get(t.name) or last_component(t.name)
    return None


def compile_rule(rule: Rule) -> Compiled | None:
    p = loads(rule.pattern)
    if p is None:
        return None
    pvars = frozenset(rule.pattern_vars)
    names = rule.binder_names
    btypes = [loads(t) if t else None for t in rule.binder_types]
    tvars = frozenset(n for n, t in zip(names, btypes) if n and isinstance(t, Sort))
    ns_type = NAMESPACE_TYPES.get(rule.lemma.split(".", 1)[0]) if "." in rule.lemma else None
    types: dict[str, str] = {}
    bound = frozenset(names)
    for n, t in zip(names, btypes):
        if n not in pvars:
            continue
        if isinstance(t, Ident) and t.name in tvars:
            types[n] = "?" + t.name
        elif isinstance(t, Ident) and t.name.split(".", 1)[0] not in bound:
            types[n] = _base_type(t) or ""
        elif t is None and ns_type is not None:
            types[n] = ns_type
    spec = sum(1 for x in pattern_symbols(p, pvars) if x != WILD)
    return Compiled(rule, p, pvars, types, tvars, spec)


ConstEq = Callable[[str, Ident, Ident], bool]


def suffix_const_eq(pname: str, w: Ident, r: Ident) -> bool:
    """Without resolution: a written name matches a rule constant it is a suffix of."""
    name = r.name
    if pname == name:
        return True
    if name.startswith("_root_."):
        return pname == name[len("_root_."):]
    return pname.endswith("." + name)


class _Matcher:
    __slots__ = ("pvars", "subst", "respell", "const_eq", "inner", "renamed", "trusted")

    def __init__(self, pvars: frozenset[str], const_eq: ConstEq, trusted: bool = False
                 ) -> None:
        self.trusted = trusted  # the trie already compared the shapes
        self.pvars = pvars
        self.subst: dict[str, Term] = {}
        self.respell: dict[str, str] = {}
        self.const_eq = const_eq
        self.inner: set[str] = set()  # candidate names bound inside the instance
        self.renamed = False  # some bound variable has another name in the candidate

    def m(self, p: Term, w: Term, r: Term, env: dict[str, str], cbound: frozenset[str]) -> bool:
        if isinstance(p, Ident):
            name = p.name
            head, dot, rest = name.partition(".")
            if head in env:  # a variable bound inside the pattern
                if not isinstance(w, Ident):
                    return False
                wh, wd, wr = w.name.partition(".")
                return wh == env[head] and wr == rest and bool(wd) == bool(dot)
            if head in self.pvars:
                if dot:
                    if not isinstance(w, Ident):
                        return False
                    wh, wd, wr = w.name.partition(".")
                    if not wd or wr != rest:
                        return False
                    value: Term = Ident(wh)
                else:
                    value = w
                if self.inner and heads(value) & self.inner:
                    return False  # would capture a variable bound inside the instance
                prev = self.subst.get(head)
                if prev is not None:
                    return prev == value
                self.subst[head] = value
                return True
            # a constant of the rule
            if not isinstance(w, Ident) or not isinstance(r, Ident):
                return False
            if w.name.split(".", 1)[0] in cbound:
                return False  # a locally bound name, not the constant
            if not self.const_eq(name, w, r):
                return False
            if w.name != name:
                prev = self.respell.get(name)
                if prev is not None and prev != w.name:
                    return False
                self.respell[name] = w.name
            return True
        if not self.trusted and (type(p) is not type(w) or shape(p) != shape(w)):
            return False
        binding = isinstance(p, _BINDING)
        pch = list(_children(p))
        wch = list(_children(w))
        if len(pch) != len(wch):
            return False
        rch = list(_children(r)) if r is not w else wch
        if len(rch) != len(wch):
            rch = wch
        for (f, i, pc), (_, _, wc), (_, _, rc) in zip(pch, wch, rch):
            env2, cb2 = env, cbound
            if binding:
                pb = _bound_in_child(p, f, i)
                wb = _bound_in_child(w, f, i)
                if len(pb) != len(wb):
                    return False
                if pb:
                    env2 = dict(env)
                    env2.update(zip(pb, wb))
                    if pb != wb:
                        self.renamed = True
                    cb2 = cbound | frozenset(wb)
                    self.inner.update(wb)
            if not self.m(pc, wc, rc, env2, cb2):
                return False
        return True


def match(c: Compiled, w: Term, r: Term | None = None, const_eq: ConstEq = suffix_const_eq,
          trusted: bool = False) -> tuple[dict[str, Term], dict[str, str], bool] | None:
    """(substitution, respellings, renamed) when `c.pattern` matches the written term `w`
    (with resolved twin `r`) up to the names of bound variables, else None; `renamed`
    says whether a bound variable is named differently in the candidate.  `trusted`: the
    discrimination tree already checked that every node shape agrees."""
    mt = _Matcher(c.pvars, const_eq, trusted)
    if not mt.m(c.pattern, w, r if r is not None else w, {}, frozenset()):
        return None
    return mt.subst, mt.respell, mt.renamed


def type_ok(c: Compiled, subst: dict[str, Term], local_types: dict[str, Term]) -> bool:
    """The cheap type check (module doc): False only on a clear conflict: a variable typed
    by a closed type (`ℕ`, `Pt`) bound to a candidate variable of another closed type, or a
    rule type variable bound to two different number types."""
    if not c.types:
        return True
    tv: dict[str, str] = {}
    for v, want in c.types.items():
        val = subst.get(v)
        if val is None:
            continue
        got: str | None = None
        if isinstance(val, Typed):
            got = _base_type(val.type)
        elif isinstance(val, Ident) and val.name in local_types:
            got = _base_type(local_types[val.name])
        if not got or not want or got in local_types:
            continue  # unknown, or the candidate's own type variable
        if want.startswith("?"):
            prev = tv.get(want)
            if prev is not None and prev != got and prev in _NUMBERS and got in _NUMBERS:
                return False
            tv[want] = got
        elif want != got:
            return False
    return True


# --------------------------------------------------------------------------- the index

def hypotheses(binders: Sequence[BinderGroup]) -> list[tuple[str, Term]]:
    """(name, type) of the named, explicit propositional hypotheses of a statement."""
    from lean_alchemy.extract.rules import looks_prop

    out = []
    for g in binders:
        if g.kind == "inst" or g.type is None:
            continue
        for n in g.names:
            if n and n != "_" and "✝" not in n and looks_prop(g.type, n):
                out.append((n, g.type))
    return out


def _local_types(groups: Iterable[BinderGroup]) -> dict[str, Term]:
    out: dict[str, Term] = {}
    for g in groups:
        if g.type is not None and g.kind != "inst":
            for n in g.names:
                out[n] = g.type
    return out


_PRIMES = (7919, 104729, 1299709, 15485863)


def _spread(n: int, seed: str) -> Iterator[int]:
    """A seeded permutation of range(n) in O(1) per item (start + k * step mod n, step a
    prime that does not divide n): taking the first items of it is a reproducible,
    unbiased-enough sample without sorting thousands of hits."""
    if n <= 1:
        yield from range(n)
        return
    h = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
    step = next((p for p in _PRIMES if n % p), 1)
    start = h % n
    for k in range(n):
        yield (start + k * step) % n


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

    def __init__(self, max_per_theorem: int | None = None, alpha_renaming: bool = False
                 ) -> None:
        self.alpha_renaming = alpha_renaming
        self.rw = Trie()
        self.imp = Trie()
        self.max_per_theorem = max_per_theorem
        self.stats = MatchStats()
        self.rules: dict[str, Rule] = {}

    @classmethod
    def build(cls, rules: Iterable[Rule], *, max_per_theorem: int | None = None,
              alpha_renaming: bool = False) -> "RuleIndex":
        """`alpha_renaming`: also report instances whose bound variables are named
        differently from the rule's (`∑ j ∈ t, 0` for `∑ i ∈ s, 0`).  Off by default: the
        mutation engine checks that the instantiated pattern is *syntactically* the
        instance, so those would all be dropped there (`stale_invocation`)."""
        ix = cls(max_per_theorem, alpha_renaming)
        for r in rules:
            c = compile_rule(r)
            if c is None:
                continue
            ix.rules[r.id] = r
            trie = ix.imp if r.kind == "imp" else ix.rw
            trie.insert(pattern_symbols(c.pattern, c.pvars), c)
        return ix

    def __len__(self) -> int:
        return self.rw.size + self.imp.size

    def invocations(self, decl: Declaration, binders: Sequence[BinderGroup], conclusion: Term,
                    extra_binders: Sequence[BinderGroup] = (), *,
                    resolve: Callable[[Term], Term] | None = None,
                    const_eq: ConstEq = suffix_const_eq) -> list[Invocation]:
        """Every invocable (rule, location, instance) of a statement, capped per theorem.

        `resolve` turns a written term into its resolved twin (same shape); `const_eq`
        compares a rule constant with a candidate identifier (see the module doc)."""
        groups = tuple(extra_binders) + tuple(binders)
        locals_ = frozenset(n for g in groups for n in g.names if n)
        types = _local_types(groups)
        st = self.stats
        hits: list[tuple] = []  # (flat, i, compiled, kind, location, subst, respell)
        seen: set[tuple] = set()
        res = resolve if resolve is not None else (lambda t: t)
        targets: list[tuple[str, str, Term]] = [("goal", "goal", conclusion)]
        for name, ty in hypotheses(binders):
            targets.append(("hyp", name, ty))
        flats: dict[int, Flat] = {}
        # skeleton hits per kind: (flat, sub-term index, rule, location)
        pools: dict[str, list[tuple]] = {"apply_hyp": [], "rw_hyp": [], "rw_goal": []}
        for where, loc, target in targets:
            fl = flats.get(id(target))
            if fl is None:
                fl = flats[id(target)] = flatten(target, res(target), locals_)
            pool = pools["rw_goal" if where == "goal" else "rw_hyp"]
            for i in range(len(fl.syms)):
                if fl.under[i]:
                    st.filtered["under_binder"] += 1
                    continue
                if fl.opaque[i]:
                    continue
                for c in self.rw.retrieve(fl, i):
                    pool.append((fl, i, c, loc))
            if where == "hyp" and not fl.opaque[0]:
                for c in self.imp.retrieve(fl, 0):
                    pools["apply_hyp"].append((fl, 0, c, loc))
        cap = self.max_per_theorem
        left = len(pools)
        budget = cap
        for kind, pool in pools.items():
            st.retrieved[kind] += len(pool)
            if cap is None:
                for fl, i, c, loc in pool:
                    self._try(decl, c, fl, i, kind, loc, types, hits, seen, const_eq)
                st.tried[kind] += len(pool)
                continue
            assert budget is not None
            quota = -(-budget // left)  # this kind's share of what is left
            left -= 1
            before = len(hits)
            tries = 0
            limit = self.attempts * quota
            # most specific patterns first (`?a = ?b` matches every equation), a seeded
            # order among equally specific ones
            levels: dict[int, list[int]] = {}
            for k, (_, _, c, _) in enumerate(pool):
                levels.setdefault(c.specificity, []).append(k)
            done = False
            for spec in sorted(levels, reverse=True):
                level = levels[spec]
                for k in _spread(len(level), f"{decl.full_name}/{kind}/{spec}"):
                    if len(hits) - before >= quota or tries >= limit:
                        done = True
                        break
                    fl, i, c, loc = pool[level[k]]
                    tries += 1
                    self._try(decl, c, fl, i, kind, loc, types, hits, seen, const_eq)
                if done:
                    break
            st.capped += len(pool) - tries
            budget -= len(hits) - before
            st.tried[kind] += tries
        return self._materialize(decl.full_name, hits)

    def _try(self, decl: Declaration, c: Compiled, fl: Flat, i: int, kind: str, loc: str,
             types: dict[str, Term], hits: list, seen: set, const_eq: ConstEq) -> None:
        if c.rule.lemma == decl.full_name:
            return  # a theorem rewriting itself gives back a restatement
        got = match(c, fl.written[i], fl.resolved[i], const_eq, True)
        if got is None:
            return
        st = self.stats
        subst, respell, renamed = got
        if renamed and not self.alpha_renaming:
            st.filtered["alpha_renamed"] += 1
            return
        if not type_ok(c, subst, types):
            st.filtered["type_mismatch"] += 1
            return
        if respell and set(respell) & c.pvars:
            st.filtered["spelling_clash"] += 1
            return
        # `rw` rewrites every occurrence of the instance: one invocation per distinct instance
        key = (c.rule.id, loc, fl.key(i))
        if key in seen:
            st.filtered["repeated_instance"] += 1
            return
        seen.add(key)
        st.found[kind] += 1
        hits.append((fl, i, c, kind, loc, subst, respell))

    def _materialize(self, candidate: str, hits: list) -> list[Invocation]:
        """Invocation records of the kept hits (paths, ASTs and printed instances are
        computed once per sub-term: many rules hit the same one)."""
        out: list[Invocation] = []
        paths: dict[tuple[int, int], str] = {}
        shown: dict[tuple[int, int], str] = {}
        dumped: dict[int, str] = {}
        for fl, i, c, kind, loc, subst, respell in hits:
            k = (id(fl), i)
            path = paths.get(k)
            if path is None:
                path = paths[k] = json.dumps([list(p) for p in fl.paths[i]],
                                             ensure_ascii=False)
                shown[k] = _show(fl.written[i])
            pairs = []
            for name, v in sorted(subst.items()):
                d = dumped.get(id(v))
                if d is None:
                    d = dumped[id(v)] = dumps(v)
                pairs.append((name, d))
            pairs.extend((name, dumps(Ident(v))) for name, v in sorted(respell.items()))
            out.append(Invocation(candidate, c.rule.id, kind, loc, path, tuple(pairs),
                                  shown[k]))
        return out


def _show(t: Term) -> str:
    try:
        from lean_alchemy.grammar.printer import print_term

        return print_term(t)
    except Exception:  # noqa: BLE001 - the printed instance is for people only
        return dumps(t)


__all__ = ["RuleIndex", "Trie", "Compiled", "compile_rule", "match", "type_ok",
           "pattern_symbols", "flatten", "head_key", "shape", "suffix_const_eq",
           "hypotheses", "MatchStats"]
