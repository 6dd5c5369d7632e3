"""Pattern skeletons: the symbols a rule pattern or a candidate sub-term is keyed by.

Each pattern is flattened in pre-order into a sequence of *symbols* (node type, operator,
arity, last component of a constant's name; `*` for a pattern variable, which skips a whole
sub-term of the candidate); `trie.Trie` stores rules by these keys, and a candidate's
`Flat` pre-order lets `Trie` and `matcher.match_flat` walk it without recursion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Container, Iterator, Sequence

from lean_alchemy.grammar.ast import (
    FIELD,
    INSERT,
    MEM,
    PIPE,
    PREFIX,
    App,
    BinOp,
    BinderGroup,
    NamedArg,
    Cdot,
    CdotFun,
    Enclosed,
    Hole,
    Ident,
    IfThenElse,
    Let,
    Opaque,
    Quant,
    SetBuilder,
    SetLit,
    Subtype,
    Term,
    bound_in_child,
    view_at,
)
from lean_alchemy.grammar.operators import bracket_parts
from lean_alchemy.grammar.walk import (
    field_names,
    last_component,
)

WILD = "*"
BVAR = "bvar"
LOCAL = "local"

NUMBER_TYPES = {"ℕ": "ℕ", "Nat": "ℕ", "ℤ": "ℤ", "Int": "ℤ", "ℚ": "ℚ", "Rat": "ℚ",
                "ℝ": "ℝ", "Real": "ℝ", "ℂ": "ℂ", "Complex": "ℂ", "ℕ+": "ℕ+", "PNat": "ℕ+",
                "ℝ≥0": "ℝ≥0", "NNReal": "ℝ≥0", "ℝ≥0∞": "ℝ≥0∞", "ENNReal": "ℝ≥0∞",
                "EReal": "EReal", "ℚ≥0": "ℚ≥0", "NNRat": "ℚ≥0"}
BINDING_NODES = (Quant, SetBuilder, Subtype, Let, IfThenElse)




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
                # `∀ {x}`, `∀ ⦃x⦄`, `∀ (x)`, `∀ [x]` differ only in binder annotations,
                # which Lean's `rw` ignores (it compares by definitional equality)
                out.append((f, "ignore"))
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
    Binder names are left out (alpha-equivalence), and so are binder annotations:
    `(x : T)`, `x : T`, `{x : T}` and `⦃x : T⦄` binders agree."""
    parts: list[object] = [type(t).__name__]
    for f, how in _shape_fields(type(t)):
        v = getattr(t, f)
        if how == "ignore":
            continue
        if how == "len":
            parts.append(len(v))
        elif how == "presence":
            parts.append(v is not None)
        elif isinstance(v, Term):
            parts.append(1)
        elif v is None:
            parts.append(None)
        elif isinstance(v, tuple):
            parts.append(len(v))
        else:
            parts.append(v)
    return tuple(parts)


def untyped_symbol(sym: tuple) -> tuple:
    """The symbol of a typed binder group (`(n : ℕ)`) with its type left out: what a
    pattern's untyped binder (`∀ᶠ x in l, …`) is keyed by.  Why: Lean elaborates both
    binders alike (the type is inferred), so `Filter.eventually_all` rewrites
    `∀ᶠ (n : ℕ) in atTop, …`; the trie walk then skips the candidate's type."""
    return sym[:2] + (None,) + sym[3:]


def untyped_against_typed(pattern: Term, written: Term) -> bool:
    """A pattern's untyped binder group against the candidate's typed one
    (`untyped_symbol`): they match when all else agrees, the type being inferred."""
    return (isinstance(pattern, BinderGroup) and pattern.type is None
            and isinstance(written, BinderGroup) and written.type is not None
            and written.default is None)


def children(t: Term) -> Iterator[tuple[str, int, Term]]:
    for f in field_names(type(t)):
        v = getattr(t, f)
        if isinstance(v, Term):
            yield f, -1, v
        elif isinstance(v, tuple) and v and isinstance(v[0], Term):
            for i, x in enumerate(v):
                yield f, i, x


def dot_field(rest: str) -> str:
    """The symbol of a variable's field access `x.rest`: its last field.  Why not all of
    `rest`: a pattern's `e.trans` must find the candidate's `f.symm.trans` (`e` binds
    `f.symm`, `matcher.TermMatcher.bind`)."""
    return rest.rsplit(".", 1)[-1]


def bracket_var(t: Term, pvars: Container[str]) -> str | None:
    """The pattern variable that is the whole bracket of a bracketed operator `t`
    (`l` of `f =O[l] g`, `μ` of `f =ᵐ[μ] g`), else None.  Why: `f =O[l] g` is
    `IsBigO l f g`, so `l` is an argument; the grammar keeps it in the operator's text,
    and the pattern's key has the operator's family instead (`family_symbol`), which
    every operator of the family in the candidate also offers."""
    if not isinstance(t, BinOp):
        return None
    parts = bracket_parts(t.op)
    if parts is None:
        return None
    name = parts[1].strip()
    return name if name in pvars else None


def family_symbol(sym: tuple) -> tuple:
    """The symbol of a bracketed operator node with the bracket's content left out
    (`bracket_var`): `("BinOp", "=O[]", 1, 1)` for `=O[atTop]`."""
    parts = bracket_parts(sym[1])
    assert parts is not None
    return (sym[0], parts[0]) + sym[2:]


def function_typed(names: Sequence[str], btypes: Sequence[Term | None]) -> frozenset[str]:
    """The binders declared with a function type (`p : ι → α → Prop`, `f : ∀ i, β i`,
    `g : (i : ι) → β i`): the variables that may be applied higher order in a pattern.
    A bundled map (`f : M →* N`, `f : F` with `[FunLike F α β]`) or an undeclared type is
    not one: its `f x` is the coercion `⇑f x`, a first-order term."""
    return frozenset(n for n, t in zip(names, btypes) if n and (
        isinstance(t, BinOp) and t.op == "→"
        or isinstance(t, Quant) and t.op in ("∀", "Π")))


# what `higher_order_args` gives for a `‹_›` argument: the anonymous hypothesis of a binder
ANONYMOUS_HYPOTHESIS = "_"


def is_assumption_hole(t: Term) -> bool:
    """`‹_›`: the assumption of the expected type, inside a bounded binder's body
    (`⋃ x ∈ s, t x ‹_›`) the binder's hypothesis `x ∈ s`."""
    return isinstance(t, Enclosed) and t.open == "‹" and isinstance(t.term, Hole)


def higher_order_args(t: Term, pvars: frozenset[str],
                      bound: Container[str]) -> tuple[str, ...] | None:
    """The arguments of a pattern variable applied to distinct names the pattern binds
    above it (`p i x` in `∀ᶠ x in l, ∀ i, p i x`), None for any other node.  Why: when
    the variable is a function (`function_typed`), Lean unifies such a *Miller pattern*
    with any term, `p := fun i x => …` (`Filter.eventually_all` rewrites
    `∀ᶠ n in atTop, ∀ i, 0 < r i n`), so its skeleton is a wildcard; the matcher checks
    the application's shape when the variable is a bundled map (`⇑f x`).  Bound names
    may be followed by `‹_›`s (`ANONYMOUS_HYPOTHESIS`): `⋃ x ∈ s, t x ‹_›` (of
    `Set.biUnion_eq_iUnion`, `t : ∀ x ∈ s, Set β`) passes `t` the binder's hypothesis,
    which the candidate's `⋃ i ∈ S, f i` cannot name, so `t := fun i _ => f i`."""
    if not isinstance(t, App) or not isinstance(t.fn, Ident) or t.fn.name not in pvars:
        return None
    names: list[str] = []
    for a in t.args:
        if names and is_assumption_hole(a):
            names.append(ANONYMOUS_HYPOTHESIS)
            continue
        if not isinstance(a, Ident) or a.name not in bound or a.name in names or \
                ANONYMOUS_HYPOTHESIS in names:
            return None
        names.append(a.name)
    return tuple(names)


def pattern_symbols(p: Term, pvars: frozenset[str]) -> list[object]:
    """The pre-order symbol sequence of a rule pattern (the trie key); a variable applied
    to names the pattern binds (`higher_order_args`) is a wildcard, whatever its type, so
    that the key needs no binder types (a dependency's stored keys are of patterns)."""
    out: list[object] = []
    _pattern_symbols(p, pvars, frozenset(), out)
    return out


def _pattern_symbols(t: Term, pvars: frozenset[str], bound: frozenset[str],
                     out: list[object]) -> None:
    """`pattern_symbols` of `t` under the bound names `bound`, appended to `out`.  Module
    level, not a nested function that calls itself: that makes a reference cycle per call,
    left to the cycle collector (`tests/index/test_match_compile_no_cycles.py`)."""
    if bound and higher_order_args(t, pvars, bound) is not None:
        out.append(WILD)
        return
    if isinstance(t, Ident):
        head, dot, rest = t.name.partition(".")
        if head in bound:
            out.append(("dot", dot_field(rest)) if dot else BVAR)
        elif head in pvars:
            out.append(("dot", dot_field(rest)) if dot else WILD)
        else:
            out.append(("id", last_component(t.name)))
        return
    out.append(family_symbol(shape(t)) if bracket_var(t, pvars) else shape(t))
    binding = isinstance(t, BINDING_NODES)
    for f, i, c in children(t):
        extra = bound_in_child(t, f, i) if binding else ()
        _pattern_symbols(c, pvars, bound | frozenset(extra) if extra else bound, out)


def head_symbol(t: Term, locals_: frozenset[str]) -> object:
    """The symbol `flatten` gives the node `t` itself (no bound names above it)."""
    if isinstance(t, Ident):
        head, dot, rest = t.name.partition(".")
        if head in locals_:
            return ("dot", dot_field(rest)) if dot else LOCAL
        return ("id", last_component(t.name))
    return shape(t)


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
    # typed binder group at i -> its symbol without the type (`untyped_symbol`)
    untyped: dict[int, tuple] = field(default_factory=dict)
    # bracketed operator at i -> its symbol without the bracket's content (`family_symbol`);
    # None until one is met (most targets have none)
    family: dict[int, tuple] | None = None
    base: "Flat | None" = None  # `prefix_flat`: the target this application prefix is of
    _keys: dict[int, int] = field(default_factory=dict)

    def key(self, i: int) -> int:
        """A hash of the written sub-term at `i`, computed once (terms hash recursively)."""
        k = self._keys.get(i)
        if k is None:
            k = self._keys[i] = hash(self.written[i])
        return k


def constant_receivers(fl: Flat, declared: Container[str]) -> None:
    """Give each field of a constant (`volume.restrict`, `univ.val`,
    `Types.jointlySurjectivePrecoverage.comap`: a written name whose resolution is a
    declared constant followed by a field that names no declaration) the symbol of a
    variable's field, `("dot", f)`.  Why: Lean reads `volume.restrict s` as
    `Measure.restrict volume s`, what a rule's `μ.restrict s` matches with `μ := volume`
    (`matcher.TermMatcher.bind` takes the receiver off the written name); its `("id", f)`
    symbol met no rule, since no declaration has that name."""
    for i, w in enumerate(fl.written):
        sym = fl.syms[i]
        if not (isinstance(w, Ident) and "." in w.name and isinstance(sym, tuple)
                and sym[0] == "id"):
            continue
        r = fl.resolved[i]
        if not isinstance(r, Ident) or r.name in declared:
            continue
        parts = w.name.split(".")
        for k in range(1, len(parts)):
            rest = ".".join(parts[k:])
            if r.name.endswith("." + rest) and r.name[:-len(rest) - 1] in declared:
                fl.syms[i] = ("dot", dot_field(rest))
                break


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
                sym: object = ("dot", dot_field(rest)) if dot else (
                    BVAR if head in bound else LOCAL)
            else:
                sym = ("id", last_component(r.name if isinstance(r, Ident) else w.name))
        else:
            sym = shape(w)
            if isinstance(w, BinderGroup) and w.type is not None and w.default is None:
                fl.untyped[i] = untyped_symbol(sym)
            elif isinstance(w, BinOp) and "[" in w.op and bracket_parts(w.op) is not None:
                if fl.family is None:
                    fl.family = {}
                fl.family[i] = family_symbol(sym)
        fl.syms.append(sym)
        fl.ends.append(0)
        fl.paths.append(path)
        fl.written.append(w)
        fl.resolved.append(r)
        fl.bound.append(bound)
        fl.opaque.append(False)
        fl.under.append(False)
        if not isinstance(w, Ident):
            binding = isinstance(w, BINDING_NODES)
            rch = list(children(r)) if r is not w else None
            for k, (f, j, c) in enumerate(children(w)):
                extra = bound_in_child(w, f, j) if binding else (
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


def prefix_spans(fl: Flat, i: int) -> list[tuple[int, int]]:
    """(k, end) for each proper prefix `f a₁ … aₖ` (1 <= k < n) of the application
    `f a₁ … aₙ` at `i`, `end` being where its pre-order stops in `fl`; none for another node
    or an application with a named argument.  Why: Lean's applications are curried, so
    `rw` rewrites `f a` inside `f a b` (and `⇑(f a) b`), which the candidate writes as one
    application (`iteratedFDeriv 𝕜 n f x` holds `iteratedFDeriv 𝕜 n f`).  Only for a
    function that is a constant."""
    w = fl.written[i]
    if not isinstance(w, App) or len(w.args) < 2 or any(
            isinstance(a, NamedArg) for a in w.args):
        return []
    fn_sym = fl.syms[i + 1]
    if not (isinstance(fn_sym, tuple) and fn_sym[0] == "id"):
        # a field of a variable or a projection (`y.map a b`, `(F.obj j).map f x`): the
        # pattern's `x.map f` is tied to it by the field name alone, so its prefixes would
        # meet every `map` lemma
        return []
    out = []
    pos = fl.ends[i + 1]  # the first argument, after the function's sub-tree
    for k in range(1, len(w.args)):
        pos = fl.ends[pos]
        out.append((k, pos))
    return out


def coe_spans(fl: Flat, i: int) -> list[tuple[int, int]]:
    """(k, end) for each `⇑(f a₁ … aₖ)` (0 <= k < n; `⇑f` for k = 0) Lean may elaborate the
    application `f a₁ … aₙ` at `i` through, `end` being where the prefix's pre-order stops:
    `⇑(algebraMap R A) x` is written `algebraMap R A x`, and `rw [coe_algebraMap]` rewrites
    the coercion there.  Only for a function that is a constant (a bundled map's
    constructor or projection): a local function or a bound variable is no bundled map the
    pattern could name."""
    w = fl.written[i]
    if not isinstance(w, App) or any(isinstance(a, NamedArg) for a in w.args):
        return []
    fn_sym = fl.syms[i + 1]
    if not (isinstance(fn_sym, tuple) and fn_sym[0] == "id"):
        return []
    return [(0, fl.ends[i + 1])] + prefix_spans(fl, i)


def prefix_flat(fl: Flat, i: int, k: int, locals_: frozenset[str]) -> Flat:
    """The application prefix `f a₁ … aₖ` of the node at `i` as a target of its own
    (`view_flat` with the step `(PREFIX, k)`)."""
    return view_flat(fl, i, PREFIX, k, locals_)


def notation_views(fl: Flat, i: int) -> list[tuple[str, int]]:
    """The view steps (`grammar.ast.view_at`) of the node at `i` that are notations for a
    term of another shape: `a ∉ s` holds `a ∈ s` (`rw [Set.mem_setOf_eq]` rewrites it
    there), `{a, b}` is `insert a {b}` (`Set.insert_eq`, `Finset.prod_insert` apply),
    `f a <| b` is `f a b` (`Tendsto f l <| 𝓝 a` is `Tendsto f l (𝓝 a)`)."""
    w = fl.written[i]
    if isinstance(w, BinOp) and w.op == "∉":
        return [(MEM, -1)]
    if isinstance(w, BinOp) and w.op == "<|":
        return [(PIPE, -1)]
    if isinstance(w, SetLit) and len(w.items) >= 2:
        return [(INSERT, -1)]
    return []


def field_chain_views(fl: Flat, i: int) -> list[tuple[str, int]]:
    """(`FIELD`, k) for each shorter chain `x.f₁ … fₖ` of a variable's field chain
    `x.f₁ … fₙ` at `i` (`grammar.ast.FIELD`): Lean reads `f.range.FG` as
    `(f.range).FG`, so `rw` rewrites `f.range` there."""
    sym = fl.syms[i]
    if not (isinstance(sym, tuple) and sym[0] == "dot"):
        return []
    w = fl.written[i]
    n = w.name.count(".") if isinstance(w, Ident) else 0
    return [(FIELD, k) for k in range(1, n)]


def view_flat(fl: Flat, i: int, step: str, k: int, locals_: frozenset[str],
              resolve: Callable[[Term], Term] | None = None) -> Flat:
    """The view `step` of the node at `i` (`grammar.ast.view_at`: an application prefix,
    `a ∈ s` in `a ∉ s`, `insert a {b}` for `{a, b}`) as a target of its own: its path is the
    node's plus the step, its type hints are the base target's (its sub-terms are the same
    nodes; the view itself has none).  `resolve` resolves a view whose terms the resolved
    tree does not hold (a bracket's text, `grammar.ast.BRACKET`); such a view's hints are
    its own, inferred from the candidate's binder types like the target's."""
    pw = view_at(fl.written[i], step, k)
    r = fl.resolved[i]
    if resolve is not None:
        pr = resolve(pw)
    else:
        try:
            pr = view_at(r, step, k) if r is not fl.written[i] else pw
        except IndexError:
            pr = pw
    if type(pr) is not type(pw):
        pr = pw
    sub = flatten(pw, pr, locals_)
    base_path = fl.paths[i] + ((step, k),)
    sub.paths = [base_path + p for p in sub.paths]
    above = fl.bound[i]
    if above:
        sub.bound = [above | b for b in sub.bound]
    # a view whose terms the target does not hold (a bracket's text) is typed by itself
    sub.base = None if resolve is not None else fl.base if fl.base is not None else fl
    return sub


def flat_hints(fl: Flat, types: dict) -> dict:
    """The type hints of a target (`hints.infer_hints`, computed once): a prefix target
    (`prefix_flat`) shares its base target's."""
    from lean_alchemy.index.match.hints import infer_hints

    src = fl.base if fl.base is not None else fl
    if src.hints is None:
        src.hints = infer_hints(src.written[0], types)
    return src.hints
