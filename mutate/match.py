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
- **type filter** (sound by construction: a match is dropped only when the types certainly
  differ; unknown keeps it).  Candidate side (`infer_hints`): a sub-term's type comes from
  the statement's binder types (section `variable`s included; any type, normalized by
  `type_key`: `Nat`/`ℕ`, last name component, `Set X` = `X → Prop`; a candidate type
  variable `K` is `?K` and equals no concrete type), ascriptions `(e : T)`, and the
  `binop%` units of `+ - * / % ^`(base) `-x` and relations `= ≠ < ≤ > ≥`: a unit has the
  ascribed type, else its leaves' type when they agree; numerals and `↑x` take the unit's
  type; `|x|`/`min`/`max` the type of their arguments.  Hints are *exact* only where Lean
  cannot coerce (relation operands, ascriptions); a function argument may be coerced up
  (`√n` is `√↑n`), so there a number type is refuted only by a smaller one (no downward
  coercions) or a type variable.  Rule side (`compile_rule`): each pattern variable's
  binder type when closed (mentions no rule binder), and for `=` rules the equation type
  (`rule_equation_type`, same inference on `lhs = rhs`).  A rule type variable `α` must
  not get two different exact types.  A bare numeral pattern (`0`) is kept only when both
  types are known and equal (`numeral_pattern`; rules whose equation type is unknown are
  already dropped by `extract.rules`).  Rigid heads (`rigid_head`, on when the index is
  built with the library's `rigid_names`): a pattern variable typed by a structure, class or
  inductive type (or bundled-map notation) never binds a function-typed value, nor, with an
  exact hint, a candidate type variable or another rigid type; definitions are not rigid
  (they may unfold to the value's type) but for a table of Mathlib's type definitions,
  rigid as the head they unfold to (`RIGID_DEFINITIONS`).  A pattern variable typed by a
  constant applied to terms only (`ZMod n` with `n : ℕ`: `constant_type`) never binds a
  value whose exact type is a candidate type variable.  A local function applied to
  arguments has the type its arrows leave (`result_key`).  A constant-free pattern whose
  variables have concrete types needs one matched value with a hint (`untyped_generic`, on
  with `generic_evidence`).  Counted: `type_mismatch`, `numeral_pattern`, `rigid_mismatch`,
  `untyped_generic`.

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
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from lean_alchemy.core.records import Declaration, Invocation, Rule
from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Cdot, CdotFun, Enclosed, Hole, Ident, IfThenElse, Let, NamedArg,
    Num, Opaque, Postfix, Prefix, Quant, SetBuilder, Sort, Subtype, Term, Typed,
    _bound_in_child, dumps, loads, subterms,
)
from lean_alchemy.mutate.sections import function_like_subject
from lean_alchemy.mutate.substitute import (
    ARITH_OPS, arith_leaves, binder_types, field_names, heads, last_component,
)

WILD = "*"
BVAR = "bvar"
LOCAL = "local"

NUMBER_TYPES = {"ℕ": "ℕ", "Nat": "ℕ", "ℤ": "ℤ", "Int": "ℤ", "ℚ": "ℚ", "Rat": "ℚ",
                "ℝ": "ℝ", "Real": "ℝ", "ℂ": "ℂ", "Complex": "ℂ", "ℕ+": "ℕ+", "PNat": "ℕ+",
                "ℝ≥0": "ℝ≥0", "NNReal": "ℝ≥0", "ℝ≥0∞": "ℝ≥0∞", "ENNReal": "ℝ≥0∞",
                "EReal": "EReal", "ℚ≥0": "ℚ≥0", "NNRat": "ℚ≥0"}
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
    hints: dict[int, tuple[str, bool]] | None = None  # `infer_hints`, computed on demand
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
        out: list = []
        for vals in self.leaves(fl, start):
            out.extend(vals)
        return out

    def leaves(self, fl: Flat, start: int) -> list[list]:
        """The leaf lists `retrieve` concatenates, in the same order.  Why: a common
        sub-term fits thousands of patterns; the index counts and samples them through
        these lists instead of copying every (rule, sub-term) pair.  All values of one
        leaf share one symbol sequence, hence one `Compiled.specificity`."""
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
                    out.append(vals)
                continue
            w = node.get(WILD)
            if w is not None:
                stack.append((w, ends[i]))
            c = node.get(syms[i])
            if c is not None:
                stack.append((c, i + 1))
        return out


# --------------------------------------------------------------------------- type hints

TREE_RELS = frozenset({"=", "≠", "<", "≤", ">", "≥"})
_HOMOGENEOUS_FNS = frozenset({"min", "max", "abs"})
# number types Lean coerces upward along (ℕ+ → ℕ → ℤ → ℚ → ℝ → ℂ), never downward
_RANK = {"ℕ+": 0, "ℕ": 1, "ℤ": 2, "ℚ": 3, "ℝ": 4, "ℂ": 5}

Hint = tuple[str, bool]  # (normalized type, exact: False = maybe coerced up from this type)


def _looks_variable(name: str) -> bool:
    """A one-letter name (`α`, `R`, `G₀`, `M'`) that is not a number type: an auto-bound
    or otherwise undeclared type variable, never taken for a concrete type."""
    if name in NUMBER_TYPES:
        return False
    core = name.rstrip("'₀₁₂₃₄₅₆₇₈₉")
    return len(core) == 1


def type_key(t: Term | None, locals_: frozenset[str] = frozenset()) -> str | None:
    """A normalized spelling of a type, to compare types written in different places:
    number types by one name (`Nat`/`ℕ`), constants by their last component, `Set X` as
    `X → Prop`.  A name of `locals_` (a type variable of the statement, or a set used as a
    type) gives `?name`: it never equals a concrete type.  None: not a type we can spell."""
    if isinstance(t, Ident):
        if t.name.split(".", 1)[0] in locals_:
            return "?" + t.name
        if _looks_variable(t.name):
            return "~" + t.name  # maybe a notation (`ℍ`): equals nothing, may coerce
        return NUMBER_TYPES.get(t.name) or last_component(t.name)
    if isinstance(t, (Num, Sort)):
        return t.text
    if isinstance(t, App):
        fn = type_key(t.fn, locals_)
        args = [type_key(a, locals_) for a in t.args]
        if fn is None or any(a is None for a in args):
            return None
        if fn == "Set" and len(args) == 1:
            return f"({args[0]}→Prop)"
        return f"{fn}({','.join(args)})"  # type: ignore[arg-type]
    if isinstance(t, BinOp) and t.op in ("→", "×"):
        lhs, rhs = type_key(t.lhs, locals_), type_key(t.rhs, locals_)
        if lhs is None or rhs is None:
            return None
        return f"({lhs}{t.op}{rhs})"
    return None


def _interior(t: Term, out: list[Term]) -> None:
    if isinstance(t, BinOp) and t.op in ARITH_OPS:
        out.append(t)
        _interior(t.lhs, out)
        _interior(t.rhs, out)
    elif isinstance(t, BinOp) and t.op == "^":
        out.append(t)
        _interior(t.lhs, out)
    elif isinstance(t, Prefix) and t.op == "-":
        out.append(t)
        _interior(t.arg, out)


def _top_op(key: str) -> tuple[str, int] | None:
    """The operator (`→` or `×`) of a compound type key `(A→B)` / `(A×B)` (`type_key`)
    and its position; None for other keys."""
    if not key.startswith("(") or not key.endswith(")"):
        return None
    depth = 0
    for k, ch in enumerate(key):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 1 and ch in "→×":
            return ch, k
    return None


def _split_arrow(key: str) -> tuple[str, str] | None:
    """(domain, codomain) of a function type key `(A→B)`, else None."""
    top = _top_op(key)
    if top is None or top[0] != "→":
        return None
    return key[1:top[1]], key[top[1] + 1:-1]


def result_key(fn_key: str, args: Sequence[Term]) -> str | None:
    """The type key of a local function `f : A → B → C` applied to `args` (`f a` : `B → C`,
    `f a b` : `C`); None when `f`'s type has fewer arrows or an argument is named."""
    key = fn_key
    for a in args:
        if isinstance(a, NamedArg):
            return None
        parts = _split_arrow(key)
        if parts is None:
            return None
        key = parts[1]
    return key


def _fn_name(t: Term) -> str | None:
    if isinstance(t, App) and isinstance(t.fn, Ident):
        return last_component(t.fn.name)
    return None


class _Hinter:
    """Type hints of the sub-terms of one term (`infer_hints`)."""

    def __init__(self, env: dict[str, str | None], locals_: frozenset[str]) -> None:
        self.env = env
        self.locals = locals_
        self.out: dict[int, Hint] = {}

    def own(self, t: Term, env: dict[str, str | None]) -> str | None:
        """The type a leaf has by itself: a local's binder type, an ascription, or the
        common type of the arguments of `|x|`, `min`, `max`."""
        if isinstance(t, Ident):
            return env.get(t.name)
        if isinstance(t, Typed):
            return type_key(t.type, self.locals)
        if isinstance(t, Enclosed) and t.open == "|":
            return self.tree_type(t.term, env)
        if isinstance(t, App) and isinstance(t.fn, Ident):
            fk = env.get(t.fn.name)
            if fk is not None:  # a local function: what its arrows leave after the args
                return result_key(fk, t.args)
        if _fn_name(t) in _HOMOGENEOUS_FNS:
            assert isinstance(t, App)
            got = {self.tree_type(a, env) for a in t.args}
            return got.pop() if len(got) == 1 else None
        return None

    def tree_type(self, t: Term, env: dict[str, str | None]) -> str | None:
        leaves: list[Term] = []
        arith_leaves(t, leaves)
        known = {self.own(x, env) for x in leaves} - {None}
        return known.pop() if len(known) == 1 else None

    def tree(self, roots: Sequence[Term], expected: str | None, exact_ctx: bool,
             env: dict[str, str | None]) -> None:
        """One `binop%`/`binrel%` unit.  Its type: the expected type (ascription), else the
        leaves' type when they agree (mixed: coercions, unknown).  Exact only where nothing
        around it can coerce it (a relation operand, an ascription); as a function argument
        the whole unit may be coerced up to the parameter's type."""
        leaves: list[Term] = []
        for r in roots:
            arith_leaves(r, leaves)
        owns = [self.own(x, env) for x in leaves]
        known = set(owns) - {None}
        ty: str | None
        if expected is not None:
            ty, exact, same = expected, True, known <= {expected}
        elif len(known) == 1:
            ty, exact, same = next(iter(known)), exact_ctx, True
        else:
            ty, exact, same = None, False, False
        if ty is not None:
            inner: list[Term] = []
            for r in roots:
                _interior(r, inner)
            for x in inner:
                self.out[id(x)] = (ty, exact)
        for x, o in zip(leaves, owns):
            if o is not None:
                # a leaf of another type than the unit is coerced: maybe-coerced hint
                self.out[id(x)] = (o, exact and same and o == ty)
            elif ty is not None and (isinstance(x, Num) or
                                     (isinstance(x, Prefix) and x.op == "↑")):
                self.out[id(x)] = (ty, exact)  # a numeral / cast takes the unit's type
            self.visit_inside(x, env)
        for r in roots:
            self.visit_interior_exponents(r, env)

    def visit_interior_exponents(self, t: Term, env: dict[str, str | None]) -> None:
        if isinstance(t, BinOp) and t.op in ARITH_OPS:
            self.visit_interior_exponents(t.lhs, env)
            self.visit_interior_exponents(t.rhs, env)
        elif isinstance(t, BinOp) and t.op == "^":
            self.visit_interior_exponents(t.lhs, env)
            self.visit(t.rhs, env)
        elif isinstance(t, Prefix) and t.op == "-":
            self.visit_interior_exponents(t.arg, env)

    def visit_inside(self, t: Term, env: dict[str, str | None]) -> None:
        """The children of a leaf, each in its own context."""
        if isinstance(t, Typed):
            self.tree([t.term], type_key(t.type, self.locals), True, env)
            return
        if isinstance(t, Ident) or isinstance(t, Num):
            return
        binding = isinstance(t, _BINDING)
        for f, i, c in _children(t):
            e = env
            if binding:
                bound = _bound_in_child(t, f, i)
                if bound:  # shadowed: a bound variable's type is not the local's
                    e = dict(env)
                    for n in bound:
                        e[n] = None
            if isinstance(t, Quant) and f == "binders":
                continue
            self.visit(c, e)

    def visit(self, t: Term, env: dict[str, str | None]) -> None:
        if isinstance(t, BinOp) and t.op in TREE_RELS:
            self.tree([t.lhs, t.rhs], None, True, env)
        elif isinstance(t, BinOp) and (t.op in ARITH_OPS or t.op == "^") or (
                isinstance(t, Prefix) and t.op == "-"):
            self.tree([t], None, False, env)
        else:
            o = self.own(t, env)
            if o is not None:
                self.out[id(t)] = (o, False)
            self.visit_inside(t, env)


def infer_hints(t: Term, local_types: dict[str, Term]) -> dict[int, Hint]:
    """Type hints of the sub-terms of `t` (by node identity) from the binder types of the
    statement, ascriptions, the homogeneous arithmetic of `binop%`/`binrel%` units and
    `|x|`/`min`/`max`; numerals and `↑x` take the type of their unit.  Sound by
    construction: a sub-term without a clear type gets no hint."""
    locals_ = frozenset(local_types)
    env: dict[str, str | None] = {n: type_key(ty, locals_) for n, ty in local_types.items()}
    h = _Hinter(env, locals_)
    h.visit(t, env)
    return h.out


def compatible(want: str | None, hint: Hint | None) -> bool:
    """False only when a rule's type `want` (closed) certainly differs from the hinted type
    of a candidate sub-term.  A maybe-coerced hint `S` is refuted only by a number type
    below `S` (Lean has no downward coercions) or when `S` is a type variable."""
    if not want or want[0] in "?~" or hint is None:
        return True
    got, exact = hint
    if got == want:
        return True
    if exact:
        return False
    if got.startswith("?") and want in _RANK:
        return False
    if got in _RANK and want in _RANK:
        return _RANK[got] <= _RANK[want]
    return True


# --------------------------------------------------------------------------- matching

@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule ready for matching."""

    rule: Rule
    pattern: Term
    pvars: frozenset[str]
    types: dict  # pattern variable -> closed type key (`type_key`) / `?α` (a type variable)
    tvars: frozenset[str]
    specificity: int = 0  # symbols of the pattern that are not variables
    eq_type: str | None = None  # closed type of the equation's sides, when inferable
    bare_num: bool = False  # the pattern is a numeral (`0`, `1`)
    heads: tuple = ()  # (pattern variable, rigid head of its type): see `rigid_head`
    generic: tuple = ()  # constant-free pattern: its concretely typed variables (`type_ok`)
    symbols: tuple = ()  # `pattern_symbols`: the trie key
    steps: tuple | None = None  # `match_steps`, None when the pattern binds names


_NODE, _VAR, _CONST = 0, 1, 2


def match_steps(p: Term, pvars: frozenset[str]) -> tuple | None:
    """The pattern in pre-order as (step, name) pairs for `match_flat`: a node whose shape
    the trie has already compared, a pattern variable (binds a whole sub-term), a rule
    constant.  None when the pattern binds names (`∑ i ∈ s, f i`) or has a dotted
    variable (`x.1`): those need the general matcher's bound-name bookkeeping."""
    out: list[tuple[int, str]] = []

    def go(t: Term) -> bool:
        if isinstance(t, Ident):
            head, dot, _ = t.name.partition(".")
            if head in pvars:
                if dot:
                    return False
                out.append((_VAR, head))
            else:
                out.append((_CONST, t.name))
            return True
        if isinstance(t, _BINDING):
            return False
        out.append((_NODE, ""))
        return all(go(c) for _, _, c in _children(t))

    return tuple(out) if go(p) else None


def _closed(key: str | None) -> str | None:
    return key if key and "?" not in key and "~" not in key else None


def rule_equation_type(lhs: Term, rhs: Term | None, names: Sequence[str],
                       types: Sequence[Term | None]) -> str | None:
    """The closed type of both sides of a rule's equation `lhs = rhs`, inferred like a
    candidate's (`infer_hints`) from the rule's binder types; None when unknown or when it
    mentions the rule's own variables (`α`: any type)."""
    local = {n: t for n, t in zip(names, types) if n and t is not None}
    eq = BinOp("=", lhs, rhs) if rhs is not None else lhs
    h = infer_hints(eq, local).get(id(lhs))
    return _closed(h[0]) if h is not None else None


# Types whose head is an inductive type or a structure in Lean core, and the number types that
# are (`ℕ+`, `ℝ≥0`, `ℝ≥0∞` are definitions that unfold to `Subtype`/`Option`: not listed).
CORE_RIGID = frozenset({"List", "Option", "Prod", "Sum", "Array", "String", "Bool", "Char",
                        "Fin", "Nat", "Int", "Sigma", "PSigma", "PProd", "Except", "ULift",
                        "PLift", "Rat", "Real", "Complex", "Quot"})
# Definitions of Mathlib whose value is a rigid type, by the head they unfold to (read off the
# Aug 2026 snapshot: `Multiset α := Quotient (List.isSetoid α)`, `Cardinal`/`Ordinal` are
# quotients, `Sym2 α := Quot …`, `Ideal R := Submodule R R`, `WithTop α := Option α`,
# `ENat := WithTop ℕ`, `ENNReal := WithTop ℝ≥0`, `EReal := WithBot (WithTop ℝ)`).  A value
# of one can only have a type that unfolds to the same head, so each is rigid *as that head*
# (an `ℝ≥0∞` is no `ℕ`, but it is a `WithTop`).  Keyed by full name, by notation, and by the
# spelling `type_key` gives a candidate's type (`ENNReal` as `ℝ≥0∞`).
RIGID_DEFINITIONS = {"Multiset": "Quot", "Cardinal": "Quot", "Ordinal": "Quot", "Sym2": "Quot",
                     "Ideal": "Submodule", "WithTop": "Option", "WithBot": "Option",
                     "ENat": "Option", "ℕ∞": "Option", "ENNReal": "Option", "ℝ≥0∞": "Option",
                     "EReal": "Option"}
_DEFINITION_HEADS = frozenset(RIGID_DEFINITIONS.values())
RIGID_KINDS = frozenset({"structure", "class", "inductive"})
# Type notation whose head is a structure whatever its arguments (bundled maps and
# equivalences, products, polynomials, units, opposites).  `⟶` is left out on purpose: a
# morphism type is a class projection and may unfold to a function type (`Type`'s homs).
_RIGID_INFIX = {"×": "Prod", "≃": "Equiv", "≃+*": "RingEquiv", "→+*": "RingHom",
                "→*": "MonoidHom", "→+": "AddMonoidHom", "≃*": "MulEquiv", "≃+": "AddEquiv",
                "↪": "Embedding", "→₀": "Finsupp", "≃o": "OrderIso", "→o": "OrderHom",
                "↪o": "OrderEmbedding", "≅": "Iso", "⥤": "Functor", "→ₛ": "SimpleFunc",
                "≃ₜ": "Homeomorph", "→*₀": "MonoidWithZeroHom"}
_RIGID_INFIX_PREFIX = (("→ₗ[", "LinearMap"), ("≃ₗ[", "LinearEquiv"),
                       ("→L[", "ContinuousLinearMap"), ("≃L[", "ContinuousLinearEquiv"),
                       ("→ₐ[", "AlgHom"), ("≃ₐ[", "AlgEquiv"))
_RIGID_POSTFIX = {"[X]": "Polynomial", "ˣ": "Units", "ᵒᵖ": "Opposite"}
# Decorated arrows of Mathlib that denote definitions, not structures: `→.` (`PFun`), `→ᵤ`
# (`UniformFun`, `UniformOnFun`), `→Lᵤ`/`→SLᵤ`, `→ₘ` (`AEEqFun`), `→₁`/`→₂` (`Lp`).
_DEFINED_ARROWS = frozenset({"→.", "→ᵤ", "→Lᵤ", "→SLᵤ", "→ₘ", "→₁", "→₂"})
_ARROW_STARTS = "→≃↪"  # what a decorated arrow named by itself starts with


# Notation every order/lattice/collection type has: a pattern made only of these, operators
# and variables (`?I = ⊥`, `?s = ∅`) is as generic as `?a = ?b`.  (A numeral is not: the
# rule `?a + 0` is specific enough, and numerals have their own filter.)
_OVERLOADED = frozenset({"⊥", "⊤", "∅"})


def _norm_head(name: str) -> str:
    name = name.split(".{", 1)[0]  # `CommRingCat.{u}`
    last = last_component(name)
    return NUMBER_TYPES.get(last) or NUMBER_TYPES.get(name) or last


def rigid_head(t: Term | None, bound: frozenset[str], rigid: frozenset[str]) -> str | None:
    """The head of a rule binder's type when it is *rigid* (a structure, class or inductive
    type: `rigid` holds their resolved full names), normalized like `type_key` (last name
    component, number types by symbol); else None.

    Why rigid: a value whose type is a function type, a candidate's type variable or another
    rigid type can never be given such a type, by unification or by coercion that `rw`
    could use, whereas a definition (`Set α := α → Prop`, `Matrix`) may unfold to what the
    value has: definitions are not rigid, but for those of `RIGID_DEFINITIONS`, which are
    rigid as the head they unfold to (`Multiset α` as `Quot`)."""
    if isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident):
        name = t.name.split(".{", 1)[0]
        if name.split(".", 1)[0] in bound:
            return None
        if name in RIGID_DEFINITIONS:
            return RIGID_DEFINITIONS[name]
        if name not in rigid:
            return None
        head = _norm_head(name)
        return None if head == "Subtype" else head  # `↥s` of a set is a `Subtype`
    if isinstance(t, BinOp):
        got = _RIGID_INFIX.get(t.op)
        if got is None:
            got = next((h for pre, h in _RIGID_INFIX_PREFIX if t.op.startswith(pre)), None)
        if got is None and len(t.op) > 1 and t.op[0] in _ARROW_STARTS:
            # Mathlib's other decorated arrows (`≃ᴬ[k]`, `↪r`, `→ₛₗᵢ[σ]`, `≃ₜ*`) are
            # bundled structures too, named here by the arrow without its parameters;
            # not those that are definitions (function types, quotients, subtypes)
            arrow = t.op.split("[", 1)[0]
            got = None if arrow in _DEFINED_ARROWS else arrow
        return got
    if isinstance(t, Postfix):
        return _RIGID_POSTFIX.get(t.op)
    return None


def _hint_head(key: str) -> str | None:
    """The head of a candidate type key (`type_key`): `→` for a function type, `?` for a
    type variable of the candidate, `Prod` for `×`, else the constant; None if unknown."""
    if key.startswith("?"):
        return "?"
    if key.startswith("~"):
        return None
    if key.startswith("("):
        top = _top_op(key)
        return None if top is None else "→" if top[0] == "→" else "Prod"
    return key.split("(", 1)[0]


def rigid_clash(want: str, hint: Hint, rigid_last: frozenset[str]) -> bool:
    """True when a value hinted `hint` certainly cannot have a type with rigid head `want`:
    its type is a function type (no coercion turns a function into a structure), or,
    exactly (no coercion around it), a type variable of the candidate or another rigid type
    (`rigid_last` of `rigid_names`: last name components that only ever name rigid types,
    the core number types `ℕ` `ℤ` `ℚ` `ℝ` `ℂ` among them)."""
    got, exact = hint
    head = _hint_head(got)
    if head is None:
        return False
    if want == CONSTANT:  # only a type variable of the candidate is ruled out
        return exact and head == "?"
    head = RIGID_DEFINITIONS.get(head, head)  # `Multiset(?α)` is a `Quot`
    if head == want:
        return False
    if head == "→":
        return True
    if want == BUNDLED:  # any type with a `FunLike` instance, a type variable included
        return False
    if not exact:
        return False
    if head == "?":
        return True
    # `want` is rigid by construction; two different rigid heads never unify.  But an
    # arrow named by itself (`≃ᴬ`: `rigid_head`'s fallback for notation not in the table)
    # is some structure whose name is unknown here, so a value typed by a structure's name
    # (`ContinuousAffineEquiv k P Q`) may be exactly that one: no clash.
    return (head in rigid_last or head in _DEFINITION_HEADS) and want[0] not in _ARROW_STARTS


def rigid_names(decls: Iterable[Declaration]) -> tuple[frozenset[str], frozenset[str]]:
    """(full names of rigid types, last components naming nothing else) of a library,
    Lean core's (`CORE_RIGID`) included: what `compile_rule` and `type_ok` need."""
    full = set(CORE_RIGID)
    other: set[str] = set()
    for d in decls:
        if d.kind in RIGID_KINDS:
            full.add(d.full_name)
        elif not d.is_candidate:
            other.add(last_component(d.full_name))
    last = {_norm_head(n) for n in full} - other
    return frozenset(full), frozenset(last)


def _concrete(t: Term | None, bound: frozenset[str]) -> bool:
    """Does a rule binder's type say more than "any type": anything but a sort, a rule type
    variable (`α`, `K`) or an undeclared one-letter name."""
    if t is None or isinstance(t, Sort):
        return False
    if isinstance(t, Ident):
        return not (t.name.split(".", 1)[0] in bound or _looks_variable(t.name))
    return True


# The head `rigid_clash` gives a rule variable typed by a constant whose arguments can never
# be a type (`ZMod n`, `EuclideanSpace ℝ (Fin n)`): see `constant_type`.
CONSTANT = "#const"


def constant_type(t: Term | None, bound: frozenset[str], names: Sequence[str],
                  btypes: Sequence[Term | None], rigid: frozenset[str]) -> bool:
    """Is a rule binder's type a global constant applied to arguments that can never be, or
    hold, a type?  Then its values never have a candidate's type variable `K` as their type.

    Why sound: a constant is a closed term, so unfolding `D a₁ … aₙ` can only give back a
    caller's type variable through an argument; here each argument mentions no rule-bound
    name but ones typed by a rigid type (`n : ℕ`: a term, never a type) and no hole.  A
    definition (`ZMod`, not rigid itself) is covered too: whatever it unfolds to, `K` is not
    in it.  (A bare type variable would need `D` to be a synonym applied to it: `OrderDual α`
    is left alone, since `α` is a type.)"""
    fn: Term | None
    if isinstance(t, App):
        fn, args = t.fn, t.args
    else:
        fn, args = t, ()
    if not isinstance(fn, Ident):
        return False
    name = fn.name.split(".{", 1)[0]
    if name.split(".", 1)[0] in bound or _looks_variable(name) or name.startswith("@"):
        return False
    btype = dict(zip(names, btypes))
    for a in args:
        if isinstance(a, NamedArg):
            a = a.value
        for _path, x, _bound in subterms(a):
            if isinstance(x, (Hole, Sort, CdotFun, Quant, Opaque)) or isinstance(x, Ident) and (
                    x.name.startswith("?") or x.name == "_"):
                return False
            if isinstance(x, Ident):
                head = x.name.split(".", 1)[0]
                # a rule term typed by a rigid type is never a type; its projections may be
                # (`X.carrier` of a bundled object), so they are not taken
                if head in bound and (head != x.name.split(".{", 1)[0]
                                      or not _of_rigid_type(btype.get(head), bound, rigid)):
                    return False
                if head not in bound and _looks_variable(x.name):
                    return False
    return True


def _of_rigid_type(t: Term | None, bound: frozenset[str], rigid: frozenset[str]) -> bool:
    """Is a binder typed by a rigid type (a number type included): its values are terms,
    never types?"""
    if isinstance(t, Ident) and t.name in NUMBER_TYPES:
        return True
    return rigid_head(t, bound, rigid) is not None


# The head `rigid_clash` gives a rule variable typed by a type variable `F` that the rule
# declares function-like (`[FunLike F α β]`, `[RingHomClass F R S]`…): bundled maps only.
BUNDLED = "⇑"


def fun_like_vars(names: Sequence[str], btypes: Sequence[Term | None],
                  tvars: frozenset[str]) -> frozenset[str]:
    """Type variables of a rule that an instance binder makes function-like.

    Why: Mathlib has no `FunLike` instance for plain functions, so a value of a function
    type can never have such a type (`StarAlgHom.mem_equalizer` is stated for `f g : F`
    with `[FunLike F A B]`; its pattern `f x = g x` must not bind `f₁ : E → F`)."""
    out: set[str] = set()
    for n, t in zip(names, btypes):
        subject = None if n else function_like_subject(t)
        if subject in tvars:
            out.add(subject)
    return frozenset(out)


def compile_rule(rule: Rule, rigid: frozenset[str] = frozenset(),
                 generic_evidence: bool = False) -> Compiled | None:
    """A rule ready for matching.  `rigid` (`rigid_names`) enables the rigid-head filter,
    and with it `generic_evidence` the `untyped_generic` one (see `type_ok`)."""
    p = loads(rule.pattern)
    if p is None:
        return None
    pvars = frozenset(rule.pattern_vars)
    names = rule.binder_names
    btypes = [loads(t) if t else None for t in rule.binder_types]
    tvars = frozenset(n for n, t in zip(names, btypes) if n and isinstance(t, Sort))
    bound = frozenset(n for n in names if n)
    types: dict[str, str] = {}
    for n, t in zip(names, btypes):
        if n not in pvars or t is None:
            continue
        if isinstance(t, Ident) and t.name in tvars:
            types[n] = "?" + t.name
        else:
            k = _closed(type_key(t, bound))
            if k is not None:
                types[n] = k
    eq_type = None
    if rule.kind == "eq":
        rhs = loads(rule.replacement) if rule.replacement else None
        eq_type = rule_equation_type(p, rhs, names, btypes)
    symbols = pattern_symbols(p, pvars)
    spec = sum(1 for x in symbols if x != WILD)
    rigid_vars: tuple = ()
    generic: tuple = ()
    if rigid:
        rigid_vars = tuple((n, h) for n, t in zip(names, btypes) if n in pvars
                           for h in [rigid_head(t, bound, rigid)] if h is not None)
        has = {n for n, _ in rigid_vars}
        rigid_vars += tuple((n, CONSTANT) for n, t in zip(names, btypes)
                            if n in pvars and n not in has and t is not None
                            and constant_type(t, bound, names, btypes, rigid))
        bundled = fun_like_vars(names, btypes, tvars)
        rigid_vars += tuple((n, BUNDLED) for n, t in zip(names, btypes) if n in pvars
                            and isinstance(t, Ident) and t.name in bundled)
        if generic_evidence and not any(
                isinstance(x, tuple) and (x[0] in ("dot", "Num") or x[0] == "id"
                                          and x[1] not in _OVERLOADED) for x in symbols):
            # variables of the pattern whose type says something: not a type variable of
            # the rule (`a b : α`), not a sort (`K : Type v` itself, `a b : Prop`)
            occurs = heads(p)
            generic = tuple(sorted(n for n, t in zip(names, btypes)
                                   if n in pvars and n in occurs and _concrete(t, bound)))
    return Compiled(rule, p, pvars, types, tvars, spec, eq_type, isinstance(p, Num),
                    rigid_vars, generic, tuple(symbols), match_steps(p, pvars))


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
                bound = self.subst.get(head)
                if bound is not None:
                    return bound == value
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


def match_flat(c: Compiled, fl: "Flat", i: int, const_eq: ConstEq = suffix_const_eq
               ) -> tuple[dict[str, Term], dict[str, str], bool] | None:
    """`match(c, fl.written[i], fl.resolved[i], const_eq, trusted=True)` for a pattern
    with `steps`, as one loop over the flattened candidate instead of a recursion over
    both trees.  Why: matching is most of the index's time, and with node shapes already
    compared by the trie only variables and constants are left to check.  Same result:
    the same pre-order walk, bindings and respellings (a test compares both)."""
    steps = c.steps
    if steps is None:
        return match(c, fl.written[i], fl.resolved[i], const_eq, True)
    written, resolved, ends = fl.written, fl.resolved, fl.ends
    subst: dict[str, Term] = {}
    respell: dict[str, str] = {}
    j = i
    for step, name in steps:
        if step == _NODE:
            j += 1
            continue
        w = written[j]
        if step == _VAR:
            prev = subst.get(name)
            if prev is None:
                subst[name] = w
            elif prev != w:
                return None
            j = ends[j]
            continue
        r = resolved[j]
        if not isinstance(w, Ident) or not isinstance(r, Ident) or not const_eq(name, w, r):
            return None
        if w.name != name:
            prev_name = respell.get(name)
            if prev_name is not None and prev_name != w.name:
                return None
            respell[name] = w.name
        j += 1
    return subst, respell, False


def type_ok(c: Compiled, subst: dict[str, Term], hints: dict[int, Hint],
            node: Term, rigid_last: frozenset[str] = frozenset()) -> str | None:
    """The type filter (module doc): None when the match may type-check, else the reason
    to drop it.  `hints` are the candidate's (`infer_hints`), `node` the matched sub-term.

    - `numeral_pattern`: a bare numeral pattern (`0`) is kept only when both the rule's
      equation type and the candidate numeral's type are known and equal;
    - `type_mismatch`: the equation type differs from the sub-term's, a pattern variable's
      closed type from its value's, or one rule type variable (`α`) gets two different
      types (exact hints only);
    - `rigid_mismatch`: a pattern variable whose type has a rigid head (`rigid_head`) gets a
      value that cannot have it (`rigid_clash`);
    - `untyped_generic`: a constant-free pattern (`?a = ?b`, `?x ∈ ?s`, `?f ?x`) whose
      variables have concrete types (`m n : ℕ`, `μ : Measure ℝ`, `A : Matrix m n α`,
      `x : ∀ i, β i`) matched values none of which has a type hint: nothing ties the match
      to the rule's types (a pattern of type variables only, `a = b ↔ b = a`, needs no
      evidence)."""
    nh = hints.get(id(node))
    if c.bare_num:
        if c.eq_type is not None and nh is not None and nh[1] and nh[0] == c.eq_type:
            return None
        if c.eq_type is not None and not compatible(c.eq_type, nh):
            return "type_mismatch"
        return "numeral_pattern"
    if c.eq_type is not None and not compatible(c.eq_type, nh):
        return "type_mismatch"
    for v, want in c.heads:
        val = subst.get(v)
        h = hints.get(id(val)) if val is not None else None
        if h is not None and rigid_clash(want, h, rigid_last):
            return "rigid_mismatch"
    if c.generic and not any(id(subst[v]) in hints for v in c.generic if v in subst):
        return "untyped_generic"
    if not c.types:
        return None
    tv: dict[str, str] = {}
    for v, want in c.types.items():
        val = subst.get(v)
        if val is None:
            continue
        h = hints.get(id(val))
        if h is None:
            continue
        if want.startswith("?"):
            if not h[1]:
                continue
            prev = tv.get(want)
            if prev is not None and prev != h[0]:
                return "type_mismatch"
            tv[want] = h[0]
        elif not compatible(want, h):
            return "type_mismatch"
    return None


# --------------------------------------------------------------------------- the index

def dependent_hypotheses(binders: Sequence[BinderGroup], conclusion: Term) -> set[str]:
    """Names of binders that a later binder's type, a binder predicate or the conclusion
    mentions (`(h : 0 < n) (x : Fin' n h)`): the mutation stage cannot rewrite or replace
    them (`dependent_hypothesis`), so matching them only crowds out usable invocations."""
    out: set[str] = set()
    later: set[str] = set(heads(conclusion))
    for g in reversed(binders):
        if g.pred is not None:
            later |= heads(g.pred)
        out.update(n for n in g.names if n in later)
        if g.type is not None:
            later |= heads(g.type)
    return out


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

    def __init__(self, max_per_theorem: int | None = None, alpha_renaming: bool = False,
                 rigid_last: frozenset[str] = frozenset()) -> None:
        self.alpha_renaming = alpha_renaming
        self.rigid_last = rigid_last
        self.rw = Trie()
        self.imp = Trie()
        self.max_per_theorem = max_per_theorem
        self.stats = MatchStats()
        self.rules: dict[str, Rule] = {}
        self._compile_opts: tuple[frozenset[str], bool] = (frozenset(), False)

    @classmethod
    def build(cls, rules: Iterable[Rule], *, max_per_theorem: int | None = None,
              alpha_renaming: bool = False,
              rigid: tuple[frozenset[str], frozenset[str]] | None = None,
              generic_evidence: bool = False) -> "RuleIndex":
        """`alpha_renaming`: also report instances whose bound variables are named
        differently from the rule's (`∑ j ∈ t, 0` for `∑ i ∈ s, 0`).  Off by default: the
        mutation engine checks that the instantiated pattern is *syntactically* the
        instance, so those would all be dropped there (`stale_invocation`).  `rigid`: the
        library's `rigid_names`, which turn on the rigid-head type filter and, with
        `generic_evidence`, the `untyped_generic` one."""
        ix = cls.empty(max_per_theorem=max_per_theorem, alpha_renaming=alpha_renaming,
                       rigid=rigid, generic_evidence=generic_evidence)
        for r in rules:
            ix.add(r)
        return ix

    @classmethod
    def empty(cls, *, max_per_theorem: int | None = None, alpha_renaming: bool = False,
              rigid: tuple[frozenset[str], frozenset[str]] | None = None,
              generic_evidence: bool = False) -> "RuleIndex":
        """An index without rules, filled by `add` (`build`'s options).  Why: the index
        stage compiles each rule as its chunk of theorems comes back from a worker, while
        the workers derive the next ones, instead of all of them afterwards."""
        full, last = rigid if rigid is not None else (frozenset(), frozenset())
        ix = cls(max_per_theorem, alpha_renaming, last)
        ix._compile_opts = (full, generic_evidence)
        return ix

    def add(self, r: Rule) -> bool:
        """Compile `r` and index it; False when it cannot be matched.  The order of `add`
        calls is the order of rules in the trie's leaves (part of the seeded sampling)."""
        full, generic_evidence = self._compile_opts
        c = compile_rule(r, full, generic_evidence)
        if c is None:
            return False
        self.rules[r.id] = r
        trie = self.imp if r.kind == "imp" else self.rw
        trie.insert(c.symbols, c)
        return True

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
        types = binder_types(groups)
        st = self.stats
        hits: list[tuple] = []  # (flat, i, compiled, kind, location, subst, respell)
        seen: set[tuple] = set()
        res = resolve if resolve is not None else (lambda t: t)
        targets: list[tuple[str, str, Term]] = [("goal", "goal", conclusion)]
        dependent = dependent_hypotheses(binders, conclusion)
        for name, ty in hypotheses(binders):
            if name in dependent:  # `rw … at h` would leave h's dependents ill-typed
                st.filtered["dependent_hypothesis"] += 1
                continue
            targets.append(("hyp", name, ty))
        flats: dict[int, Flat] = {}
        # skeleton hits per kind, as segments: (flat, sub-term index, location, leaf list)
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
                for vals in self.rw.leaves(fl, i):
                    pool.append((fl, i, loc, vals))
            if where == "hyp" and not fl.opaque[0]:
                for vals in self.imp.leaves(fl, 0):
                    pools["apply_hyp"].append((fl, 0, loc, vals))
        cap = self.max_per_theorem
        left = len(pools)
        budget = cap
        for kind, pool in pools.items():
            size = sum(len(seg[3]) for seg in pool)
            st.retrieved[kind] += size
            if cap is None:
                for fl, i, loc, vals in pool:
                    for c in vals:
                        self._try(decl, c, fl, i, kind, loc, types, hits, seen, const_eq)
                st.tried[kind] += size
                continue
            assert budget is not None
            quota = -(-budget // left)  # this kind's share of what is left
            left -= 1
            before = len(hits)
            tries = 0
            limit = self.attempts * quota
            # most specific patterns first (`?a = ?b` matches every equation), a seeded
            # order among equally specific ones (over the pairs, as if each segment were
            # spelled out: `starts` maps a pair's rank to its segment)
            levels: dict[int, list[tuple]] = {}
            for seg in pool:
                levels.setdefault(seg[3][0].specificity, []).append(seg)
            done = False
            for spec in sorted(levels, reverse=True):
                level = levels[spec]
                starts: list[int] = []
                n = 0
                for seg in level:
                    starts.append(n)
                    n += len(seg[3])
                for k in _spread(n, f"{decl.full_name}/{kind}/{spec}"):
                    if len(hits) - before >= quota or tries >= limit:
                        done = True
                        break
                    s = bisect_right(starts, k) - 1
                    fl, i, loc, vals = level[s]
                    tries += 1
                    self._try(decl, vals[k - starts[s]], fl, i, kind, loc, types, hits, seen,
                              const_eq)
                if done:
                    break
            st.capped += size - tries
            budget -= len(hits) - before
            st.tried[kind] += tries
        return self._materialize(decl.full_name, hits)

    def _try(self, decl: Declaration, c: Compiled, fl: Flat, i: int, kind: str, loc: str,
             types: dict[str, Term], hits: list, seen: set, const_eq: ConstEq) -> None:
        if c.rule.lemma == decl.full_name:
            return  # a theorem rewriting itself gives back a restatement
        got = match_flat(c, fl, i, const_eq)
        if got is None:
            return
        st = self.stats
        subst, respell, renamed = got
        if renamed and not self.alpha_renaming:
            st.filtered["alpha_renamed"] += 1
            return
        if c.types or c.eq_type is not None or c.bare_num or c.heads or c.generic:
            if fl.hints is None:
                fl.hints = infer_hints(fl.written[0], types)
            why = type_ok(c, subst, fl.hints, fl.written[i], self.rigid_last)
            if why is not None:
                st.filtered[why] += 1
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


__all__ = ["RuleIndex", "Trie", "Compiled", "compile_rule", "match", "match_flat",
           "match_steps", "type_ok", "pattern_symbols", "flatten", "head_key", "shape",
           "suffix_const_eq", "infer_hints", "type_key", "compatible", "rule_equation_type",
           "hypotheses", "MatchStats"]
