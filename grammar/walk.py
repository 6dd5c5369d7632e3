"""Walking term ASTs: the constants a term mentions, its nodes, node counts, a stable
serialization, and rebuilding a node with new children.

Why here and not in a stage: the index (rule derivation, matching), the mutation engine
and the refuter all ask the same questions of a term, and they must get the same answers;
this module holds the one implementation, next to the AST it walks.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Callable, Iterable, Iterator

from lean_alchemy.grammar.ast import (
    NODE_TYPES,
    App,
    BinderGroup,
    BinOp,
    Ident,
    IfThenElse,
    Let,
    Prefix,
    Proj,
    Quant,
    SetBuilder,
    Subtype,
    Term,
    bound_in_child,
)

LAMBDAS = ("fun", "λ")


class Capture(Exception):
    """Replacing here would capture a free variable of the new term (no faithful text)."""


_FIELDS: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """`dataclasses.fields` names, cached per class (the traversals' hot path)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
        _FIELDS[cls] = names
    return names


_BINDING = (Quant, SetBuilder, Subtype, Let, IfThenElse)


def _collect_heads_generic(t: Term, bound: frozenset[str], out: set[str]) -> None:
    """The reference walk (any class): `_collect_heads` uses it for classes it does not
    know."""
    if isinstance(t, Ident):
        head = t.name.split(".", 1)[0]
        if head not in bound and t.name not in bound:
            out.add(head)
        return
    binding = isinstance(t, _BINDING)
    for fname in field_names(type(t)):
        v = getattr(t, fname)
        if isinstance(v, Term):
            extra = bound_in_child(t, fname, -1) if binding else ()
            _collect_heads(v, bound | frozenset(extra) if extra else bound, out)
        elif isinstance(v, tuple):
            for i, x in enumerate(v):
                if isinstance(x, Term):
                    extra = bound_in_child(t, fname, i) if binding else ()
                    _collect_heads(x, bound | frozenset(extra) if extra else bound, out)


def _collect_heads(t: Term, bound: frozenset[str], out: set[str]) -> None:
    """Add the free identifier heads of `t` (names in `bound` are bound) to `out`."""
    _H[type(t)](t, bound, out)


# One function per node class (a dict dispatch instead of isinstance chains and per-field
# `bound_in_child` calls): `heads` runs over every library statement and every mutant.
# Each gives the same set as `_collect_heads_generic` (tests/mutate/test_fingerprint_fast_paths.py).

def _h_ident(t: Ident, bound: frozenset[str], out: set[str]) -> None:
    name = t.name
    head = name.split(".", 1)[0]
    if not bound or (head not in bound and name not in bound):
        out.add(head)


def _h_terms(xs: tuple[Term, ...], bound: frozenset[str], out: set[str]) -> None:
    """Heads of a node's children; identifiers (half of all nodes) handled inline, the
    same steps as `_h_ident`, which saves a call per leaf."""
    H = _H
    for x in xs:
        if type(x) is Ident:
            name = x.name
            head = name.split(".", 1)[0]
            if not bound or (head not in bound and name not in bound):
                out.add(head)
        else:
            H[type(x)](x, bound, out)


def _h_app(t: App, bound: frozenset[str], out: set[str]) -> None:
    _h_terms((t.fn, *t.args), bound, out)


def _h_binop(t: BinOp, bound: frozenset[str], out: set[str]) -> None:
    _h_terms((t.lhs, t.rhs), bound, out)


def _h_group(g: BinderGroup, bound: frozenset[str], out: set[str]) -> None:
    H = _H
    for v in (g.type, g.pred, g.default):
        if v is not None:
            H[type(v)](v, bound, out)


def _h_quant(t: Quant, bound: frozenset[str], out: set[str]) -> None:
    H = _H
    cur = bound  # earlier groups scope over later groups' types and predicates
    for g in t.binders:
        H[type(g)](g, cur, out)
        names = [n for n in g.names if n != "_"]
        if names:
            cur = cur | frozenset(names)
    H[type(t.body)](t.body, cur, out)
    if t.extra is not None:
        H[type(t.extra)](t.extra, cur, out)


def _h_setlike(t: SetBuilder | Subtype, bound: frozenset[str], out: set[str]) -> None:
    H = _H
    g = t.binder
    H[type(g)](g, bound, out)
    names = [n for n in g.names if n != "_"]
    inner = bound | frozenset(names) if names else bound
    H[type(t.body)](t.body, inner, out)


def _h_let(t: Let, bound: frozenset[str], out: set[str]) -> None:
    H = _H
    if t.type is not None:
        H[type(t.type)](t.type, bound, out)
    H[type(t.value)](t.value, bound, out)
    H[type(t.body)](t.body, bound | frozenset((t.name,)), out)


def _h_ite(t: IfThenElse, bound: frozenset[str], out: set[str]) -> None:
    H = _H
    H[type(t.cond)](t.cond, bound, out)
    inner = bound | frozenset((t.hyp,)) if t.hyp else bound
    H[type(t.then)](t.then, inner, out)
    H[type(t.else_)](t.else_, inner, out)


def _h_leaf(t: Term, bound: frozenset[str], out: set[str]) -> None:
    """A class without sub-terms (`Num`, `Sort`, `Hole`, ...)."""


def _h_plain(cls: type) -> Callable[[Term, frozenset[str], set[str]], None]:
    """A class that binds nothing: every Term field and Term item, same bound names."""
    spec = _TERM_FIELDS[cls]
    if spec == ():
        return _h_leaf
    if spec is not None:  # declared field types: no isinstance tests
        def walk_declared(t: Term, bound: frozenset[str], out: set[str]) -> None:
            H = _H
            for fname, seq in spec:
                v = getattr(t, fname)
                if seq:
                    for x in v:
                        H[type(x)](x, bound, out)
                elif v is not None:
                    H[type(v)](v, bound, out)

        return walk_declared
    names = field_names(cls)

    def walk(t: Term, bound: frozenset[str], out: set[str]) -> None:
        H = _H
        for fname in names:
            v = getattr(t, fname)
            if isinstance(v, Term):
                H[type(v)](v, bound, out)
            elif isinstance(v, tuple):
                for x in v:
                    if isinstance(x, Term):
                        H[type(x)](x, bound, out)

    return walk


class _HeadsDispatch(dict):
    """class -> walk function, made on first use."""

    def __missing__(self, cls: type) -> Callable[[Term, frozenset[str], set[str]], None]:
        if cls in NODE_TYPES and not issubclass(cls, (Ident,) + _BINDING):
            fn = _h_plain(cls)
        else:  # a class defined elsewhere: the reference walk
            fn = _collect_heads_generic
        self[cls] = fn
        return fn


def _h_none(t: None, bound: frozenset[str], out: set[str]) -> None:
    """A missing child (e.g. `∀ x ∈ _` opened without its set): no names."""


_H: dict[type, Callable[[Term, frozenset[str], set[str]], None]] = _HeadsDispatch({
    Ident: _h_ident, App: _h_app, BinOp: _h_binop, BinderGroup: _h_group, Quant: _h_quant,
    SetBuilder: _h_setlike, Subtype: _h_setlike, Let: _h_let, IfThenElse: _h_ite,
    type(None): _h_none,
})


# id(term) -> (term, value): memo tables for pure functions of immutable terms.  The term is
# kept alive by its entry, so its id cannot be reused while the entry exists.  Mutants of one
# theorem share most sub-terms (binder types, untouched sides) with it and with each other,
# so per-mutant features, filters and fingerprints hit these tables most of the time.
_MEMO_LIMIT = 200_000
_HEADS: dict[int, tuple[Term, frozenset[str]]] = {}
_SIZES: dict[int, tuple[Term, int]] = {}


def heads(t: Term | None) -> frozenset[str]:
    """Free identifiers of `t`, reduced to their first dotted component (`h.le` -> `h`);
    same result as `ast.free_idents` + split, several times faster (and memoized)."""
    if t is None:
        return frozenset()
    hit = _HEADS.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    out: set[str] = set()
    _collect_heads(t, frozenset(), out)
    value = frozenset(out)
    if len(_HEADS) >= _MEMO_LIMIT:
        _HEADS.clear()
    _HEADS[id(t)] = (t, value)
    return value


def add_heads(t: Term, out: set[str]) -> None:
    """`out |= heads(t)`, reading the memo but never filling it.  Why: fingerprinting all
    library statements would otherwise keep ~200k terms alive in `_HEADS`, and the Python
    GC's full collections over them tripled the cost of `library_fingerprints`."""
    hit = _HEADS.get(id(t))
    if hit is not None and hit[0] is t:
        out |= hit[1]
    else:
        _H[type(t)](t, _NOTHING, out)


_NOTHING: frozenset[str] = frozenset()


_SINGLE = ("Term", "Term | None", "BinderGroup", "BinderGroup | None")
_SEQ = ("tuple[Term, ...]", "tuple[BinderGroup, ...]")


class _TermFields(dict):
    """class -> ((field, is a tuple of terms), ...) from the declared field types, for the
    classes of `grammar.ast`; None for a class defined elsewhere (walked generically)."""

    def __missing__(self, cls: type) -> tuple[tuple[str, bool], ...] | None:
        spec: tuple[tuple[str, bool], ...] | None = None
        if cls in NODE_TYPES:
            types = {f.name: str(f.type) for f in fields(cls)}  # type: ignore[arg-type]
            if all(ty in _SINGLE or ty in _SEQ or "Term" not in ty and "Group" not in ty
                   for ty in types.values()):
                spec = tuple((n, types[n] in _SEQ) for n in field_names(cls)
                             if types[n] in _SINGLE or types[n] in _SEQ)
        self[cls] = spec
        return spec


_TERM_FIELDS = _TermFields()


def node_count(t: Term | None) -> int:
    """`ast.size(t)` (every node, binder groups included): the length of `nodes(t)`,
    memoized."""
    if t is None:
        return 0
    hit = _SIZES.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    n = 0
    for _ in nodes(t):
        n += 1
    if len(_SIZES) >= _MEMO_LIMIT:
        _SIZES.clear()
    _SIZES[id(t)] = (t, n)
    return n


def nodes(t: Term) -> Iterator[Term]:
    """Every node of `t`, pre-order (no paths, no bound sets: the cheap traversal)."""
    stack = [t]
    spec_of = _TERM_FIELDS
    while stack:
        x = stack.pop()
        yield x
        spec = spec_of[type(x)]
        if spec is not None:
            for fname, seq in spec:
                v = getattr(x, fname)
                if seq:
                    stack.extend(reversed(v))
                elif v is not None:
                    stack.append(v)
            continue
        for fname in field_names(type(x)):
            v = getattr(x, fname)
            if isinstance(v, Term):
                stack.append(v)
            elif isinstance(v, tuple) and v and isinstance(v[0], Term):
                stack.extend(reversed(v))


def serialize(t: object, out: list[str]) -> None:
    """A compact, stable text form of an AST (what `ast.dumps` encodes, faster): used for
    fingerprints, never parsed back.  Appends to `out`; `serialized` returns the string."""
    out.append(serialized(t))


# class -> ("Name(", field names); the text of a node is `Name(` + `field,` ... + `)`
_SER_SPEC: dict[type, tuple[str, tuple[str, ...]]] = {}


def serialized(t: object) -> str:
    """The text `serialize` appends (one string per node: far fewer calls and appends than
    a token list, which dominated profiles of fingerprinting all of Mathlib)."""
    tp = type(t)
    if tp is str:
        return repr(t)
    if t is None:
        return "None"
    spec = _SER_SPEC.get(tp)
    if spec is None:
        if isinstance(t, Term):
            spec = _SER_SPEC[tp] = (tp.__name__ + "(", field_names(tp))
        elif isinstance(t, tuple):
            return "[" + "".join([serialized(x) + "," for x in t]) + "]"
        else:
            return repr(t)
    parts = [spec[0]]
    for fname in spec[1]:
        v = getattr(t, fname)
        tv = type(v)
        if tv is str:
            parts.append(repr(v))
        elif v is None:
            parts.append("None")
        else:
            parts.append(serialized(v))
        parts.append(",")
    parts.append(")")
    return "".join(parts)


def all_idents(t: Term | None, out: set[str]) -> None:
    """Every identifier head and every bound name in `t` (names a fresh binder must avoid)."""
    if t is None:
        return
    if isinstance(t, Ident):
        out.add(t.name.split(".", 1)[0])
        return
    if isinstance(t, BinderGroup):
        out.update(t.names)
    elif isinstance(t, Let):
        out.add(t.name)
    elif isinstance(t, IfThenElse) and t.hyp:
        out.add(t.hyp)
    for fname in field_names(type(t)):
        v = getattr(t, fname)
        if isinstance(v, Term):
            all_idents(v, out)
        elif isinstance(v, tuple):
            for x in v:
                if isinstance(x, Term):
                    all_idents(x, out)


def without_levels(name: str) -> str:
    """A constant's name without its universe levels (`Small.{u}` → `Small`): `rw`
    instantiates them, so names that differ only there name one constant."""
    return name.split(".{", 1)[0] if ".{" in name else name


def last_component(name: str) -> str:
    """The last component of a constant's name (`Mathlib.Foo.bar` → `bar`), `_root_.`
    and universe levels dropped (`without_levels`)."""
    if name.startswith("_root_."):
        name = name[len("_root_."):]
    return without_levels(name).rsplit(".", 1)[-1]


def fresh_name(base: str, avoid: Iterable[str] | frozenset[str]) -> str:
    """`base` if free, else `base'`, `base₁`, `base₂`, ... (Mathlib's habits)."""
    avoid = avoid if isinstance(avoid, (set, frozenset)) else set(avoid)
    if base not in avoid:
        return base
    if base + "'" not in avoid:
        return base + "'"
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    stem = base.rstrip("₀₁₂₃₄₅₆₇₈₉'")
    i = 1
    while True:
        cand = stem + str(i).translate(sub)
        if cand not in avoid:
            return cand
        i += 1


def dotted(value: Term, rest: str) -> Term:
    """`value.rest` as a term: an identifier when `value` is one, else projections."""
    if isinstance(value, Ident):
        return Ident(f"{value.name}.{rest}")
    out = value
    for part in rest.split("."):
        out = Proj(out, part)
    return out


def rebuild(t: Term, fn: Callable[[str, int, Term], Term]) -> Term:
    """`t` with each direct sub-term `c` at (field, index) replaced by `fn(field, index, c)`."""
    vals: list[object] = []
    changed = False
    for name in field_names(type(t)):
        v = getattr(t, name)
        if isinstance(v, Term):
            nv = fn(name, -1, v)
            changed |= nv is not v
            vals.append(nv)
        elif isinstance(v, tuple) and v and isinstance(v[0], Term):
            items = []
            for i, x in enumerate(v):
                nx = fn(name, i, x) if isinstance(x, Term) else x
                changed |= nx is not x
                items.append(nx)
            vals.append(tuple(items))
        else:
            vals.append(v)
    return type(t)(*vals) if changed else t


def binder_types(groups: Iterable[BinderGroup]) -> dict[str, Term]:
    """Declared type of every named, non-instance binder (a later binder shadows an earlier
    one), for the type checks of matching and mutation."""
    out: dict[str, Term] = {}
    for g in groups:
        if g.type is not None and g.kind != "inst":
            for n in g.names:
                out[n] = g.type
    return out


ARITH_OPS = frozenset({"+", "-", "*", "/", "%"})  # the homogeneous binop% operators


def arith_leaves(t: Term, out: list[Term]) -> list[Term]:
    """The leaves of one `binop%` tree: Lean elaborates `a + b * c` (and `-a`, the base of
    `a ^ n`) as one unit whose leaves are coerced to their common ("maximal") type; the
    exponent of `^` is elaborated on its own and is not a leaf.  Both the matcher's type
    hints and the refuter's type inference follow this rule."""
    if isinstance(t, BinOp) and t.op in ARITH_OPS:
        arith_leaves(t.lhs, out)
        arith_leaves(t.rhs, out)
    elif isinstance(t, BinOp) and t.op == "^":
        arith_leaves(t.lhs, out)
    elif isinstance(t, Prefix) and t.op == "-":
        arith_leaves(t.arg, out)
    else:
        out.append(t)
    return out


def match_first_order(pattern: Term, t: Term, variables: frozenset[str] | set[str],
                      out: dict[str, Term]) -> bool:
    """Whether `t` equals `pattern` except at the identifiers of `pattern` named in
    `variables`, whose values go to `out` (a variable met twice must bind equal terms):
    a rule binder's type against a candidate's, a notation template against a node."""
    if isinstance(pattern, Ident) and pattern.name in variables:
        seen = out.get(pattern.name)
        if seen is None:
            out[pattern.name] = t
            return True
        return seen == t
    if type(pattern) is not type(t):
        return False
    for f in field_names(type(pattern)):
        p, v = getattr(pattern, f), getattr(t, f)
        if isinstance(p, Term):
            if not (isinstance(v, Term) and match_first_order(p, v, variables, out)):
                return False
        elif isinstance(p, tuple) and p and isinstance(p[0], Term):
            if not (isinstance(v, tuple) and len(v) == len(p) and all(
                    match_first_order(a, b, variables, out) for a, b in zip(p, v))):
                return False
        elif p != v:
            return False
    return True
