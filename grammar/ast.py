"""AST node types for Lean 4 terms, plus binder-aware traversal and a compact serialization.

Why a hand-written AST instead of Lark trees: mutation and matching need small, hashable,
immutable values that compare structurally (`==` is syntactic equality up to parentheses and
whitespace), can be stored in Parquet as text, and know which names each node binds.

Conventions
- Parentheses are not nodes; the printer re-inserts them from precedence.  `(x : T)` is a
  `Typed` node, `(a, b)` a `Tuple`.
- A dotted identifier stays one `Ident` (`Nat.succ`, and also `h.le`, `a.gcd`: Lean's lexer
  reads `a.gcd` as one identifier; only resolution with the local context can tell a
  namespace from a projection).  Numeric projections `h.1` and projections of a
  non-identifier `(f x).foo` are `Proj` nodes.
- Anything the grammar does not understand is an `Opaque` node holding its exact text, so
  parsing never fails on valid Lean and mutation skips what it cannot see into.

Long because: the node types, paths and the views of a node (`view_at`: application
prefixes, coercions, notations, field notation) are one vocabulary every stage reads;
split, each half would import the other.
"""

from __future__ import annotations

import json
import json.scanner
from dataclasses import dataclass, fields
from typing import Iterator, Union

from lean_alchemy.core.slots import slot_init


class Term:
    """Base of all term nodes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Ident(Term):
    name: str  # verbatim, incl. dots, `«»`, `_root_.` prefix


@dataclass(frozen=True, slots=True)
class Explicit(Term):
    term: Term  # `@f`


@dataclass(frozen=True, slots=True)
class Num(Term):
    text: str  # `2`, `0.5`, `1e10`, `0x1F`


@dataclass(frozen=True, slots=True)
class Lit(Term):
    text: str  # string or char literal, verbatim with quotes


@dataclass(frozen=True, slots=True)
class Hole(Term):
    text: str  # `_`, `?_`, `?x`


@dataclass(frozen=True, slots=True)
class Sort(Term):
    text: str  # `Type*`, `Type u`, `Sort (max u v)`, `Type _` (verbatim, whitespace-normalized)


@dataclass(frozen=True, slots=True)
class NamedArg(Term):
    name: str  # `(x := e)`, only as an `App` argument
    value: Term


@dataclass(frozen=True, slots=True)
class App(Term):
    fn: Term
    args: tuple[Term, ...]  # at least one; `f a b` is one App with two args


@dataclass(frozen=True, slots=True)
class BinOp(Term):
    op: str  # the operator symbol as written, e.g. `+`, `→`, `↔`, `∘`, `<|`, `≃+*`
    lhs: Term
    rhs: Term


@dataclass(frozen=True, slots=True)
class Prefix(Term):
    op: str  # `¬`, `-`, `↑`, `⇑`, `↥`, `#`, `√`, `!`
    arg: Term


@dataclass(frozen=True, slots=True)
class Postfix(Term):
    op: str  # `⁻¹`, `!`, `ᶜ`, `ᵀ`, `†`, ...
    arg: Term


@dataclass(frozen=True, slots=True)
class Proj(Term):
    term: Term
    field: str  # `1`, `2`, `le`, ...


@dataclass(frozen=True, slots=True)
class DotIdent(Term):
    name: str  # `.inl` is DotIdent("inl")


@dataclass(frozen=True, slots=True)
class Typed(Term):
    term: Term  # `(x : T)`
    type: Term


@dataclass(frozen=True, slots=True)
class Tuple(Term):
    items: tuple[Term, ...]  # `(a, b)`, at least two


@dataclass(frozen=True, slots=True)
class Anon(Term):
    items: tuple[Term, ...]  # `⟨a, b⟩`


@dataclass(frozen=True, slots=True)
class ListLit(Term):
    items: tuple[Term, ...]
    bang: bool = False  # `![a, b]` when True


@dataclass(frozen=True, slots=True)
class SetLit(Term):
    items: tuple[Term, ...]  # `{a, b}`; `{}` is SetLit(())


@dataclass(frozen=True, slots=True)
class Glued(Term):
    """A term immediately followed (no space) by a bracketed argument list: Lean reads
    these as one notation, and printing them with a space would change the tokens.

    `f^[n]` (iterate, open "^["), `l[i]` / `l[i]?` / `l[i]!` (GetElem: close "]?" / "]!"),
    `MeasurableSet[m]`, `𝓝[s]`, `ℤ_[p]`, `Var[X; μ]`, `𝔼[X]`, `μ[f|m]` (an identifier glued
    to `[`: an explicit-instance bracket, a notation token such as `MeasurableSet[`, or
    GetElem), `C(X, Y)`, `ofNat(n)`, `setBer(u, p)` (an identifier glued to `(`: tokens such
    as `C(`), `F⟮α, β⟯` (adjoining elements to a field, open "⟮"), `R⟦Γ⟧` (HahnSeries)
    and `X⟦n⟧` (a shift; open "⟦").  `seps` are the separators between items (",", ";",
    "|")."""

    head: Term
    open: str  # "[", "(", "^[", "⟮", "⟦"
    items: tuple[Term, ...]
    seps: tuple[str, ...] = ()
    close: str = "]"  # "]", "]?", "]!", ")", "⟯", "⟧", "⟧'"


# Opening delimiter -> closing delimiter of "enclosing" notations.
ENCLOSERS: dict[str, str] = {"|": "|", "|ₘ": "|ₘ", "‖": "‖", "⌊": "⌋", "⌈": "⌉", "⌊₊": "⌋₊", "⌈₊": "⌉₊",
                              "⌊ₑ": "⌋ₑ", "⌈ₑ": "⌉ₑ",
                              "⦋": "⦌", "⟦": "⟧", "⟪": "⟫", "⁅": "⁆", "‹": "›", "[;": "]", "∂[;": "]"}
# `⟪x, y⟫` (inner product), `⁅x, y⁆` (bracket) and `[B; μ]` (open "[;": the pairing and
# measure of `∫ᵛ x, f x ∂[B; μ]`) hold a Tuple; `⟪x, y⟫_ℝ` has open "⟪_ℝ" and closes with "⟫_ℝ".


@dataclass(frozen=True, slots=True)
class Enclosed(Term):
    open: str  # key of ENCLOSERS; `|x|`, `‖x‖`, `⌊x⌋`, `⌈x⌉`, `⌊x⌋₊`, `⌈x⌉₊`, `⌊x⌋ₑ`, `⦋n⦌`, `⟦x⟧`,
    # `⟪x, y⟫` / `⟪x, y⟫_𝕜` (open "⟪_𝕜"), `‹T›` (the term `assumption` finds)
    term: Term


@dataclass(frozen=True, slots=True)
class BinderGroup(Term):
    """Names bound together: `x y : T`, `(x : T)`, `{x}`, `[Ring R]`, `x ∈ s`, `ε > 0`.

    kind: "plain" (no brackets), "explicit", "implicit", "inst", "strict".
    pred_op/pred: a binder predicate (`∈`, `∉`, `⊆`, `>`, `≥`, `<`, `≤`, `≠`, `in`).
    Anonymous instance binders `[Ring R]` have names == ().  A `_` binder is the name "_".
    `default` is the value of an optional/auto-param binder `(x : T := v)`, else None.
    """

    names: tuple[str, ...]
    type: Term | None = None
    kind: str = "plain"
    pred_op: str | None = None
    pred: Term | None = None
    default: Term | None = None  # `(x : T := v)` optional/auto-param value (`:= by tac`)


@dataclass(frozen=True, slots=True)
class Quant(Term):
    """Binding notations: ∀ ∃ ∃! fun λ Π Σ ∑ ∏ ⋃ ⋂ ⨆ ⨅ ∀ᶠ ∃ᶠ ∫ ...

    `arrow` is `,` for quantifier-like notations and `↦`/`=>` for `fun`.  `extra` is the
    measure of an integral (`∫ x in a..b, f x ∂μ`) or the summation filter of
    `∏'[L] b, f b` (op "∏'[" / "∑'["), else None.
    """

    op: str
    binders: tuple[BinderGroup, ...]
    body: Term
    arrow: str = ","
    extra: Term | None = None


@dataclass(frozen=True, slots=True)
class SetBuilder(Term):
    binder: BinderGroup  # `{x | p}`, `{x : T | p}`, `{x ∈ s | p}`
    body: Term


@dataclass(frozen=True, slots=True)
class Subtype(Term):
    binder: BinderGroup  # `{x : T // p}` / `{x // p}`
    body: Term


@dataclass(frozen=True, slots=True)
class IfThenElse(Term):
    cond: Term
    then: Term
    else_: Term
    hyp: str | None = None  # `if h : c then ...`


@dataclass(frozen=True, slots=True)
class Let(Term):
    kind: str  # "let" | "have" | "haveI" | "letI"
    name: str  # "" when not named (`haveI := inst; t`, `have : T := v; t`)
    type: Term | None
    value: Term
    body: Term


@dataclass(frozen=True, slots=True)
class Show(Term):
    type: Term
    proof: Term  # `show T from e` (proof a term) / `show T by tac` (proof a By)


@dataclass(frozen=True, slots=True)
class Cdot(Term):
    """The `·` placeholder inside a `CdotFun`."""


@dataclass(frozen=True, slots=True)
class CdotFun(Term):
    body: Term  # `(· + 1)`: printed with its parentheses


@dataclass(frozen=True, slots=True)
class By(Term):
    tactics: str  # the tactic block, verbatim (not parsed)


@dataclass(frozen=True, slots=True)
class Opaque(Term):
    text: str  # exact source text of a construct the grammar does not model


NODE_TYPES: tuple[type[Term], ...] = (
    Ident, Explicit, Num, Lit, Hole, Sort, NamedArg, App, BinOp, Prefix, Postfix, Proj,
    DotIdent, Typed, Tuple, Anon, ListLit, SetLit, Enclosed, BinderGroup, Quant, SetBuilder,
    Subtype, IfThenElse, Let, Show, Cdot, CdotFun, By, Opaque, Glued,
)
_BY_NAME = {t.__name__: t for t in NODE_TYPES}


for _node_cls in NODE_TYPES:  # see core.slots: node building is hot in mutate
    slot_init(_node_cls)
del _node_cls
# Field names per node class: `dataclasses.fields()` is slow enough to show in profiles of
# the whole-Mathlib parse (it is called for every node visited or serialized).
_FIELDS: dict[type, tuple[str, ...]] = {t: tuple(f.name for f in fields(t)) for t in NODE_TYPES}


def _field_names(t: Term) -> tuple[str, ...]:
    names = _FIELDS.get(type(t))
    if names is None:  # a subclass defined elsewhere
        names = _FIELDS[type(t)] = tuple(f.name for f in fields(t))  # type: ignore[arg-type]
    return names

Path = tuple[tuple[str, int], ...]
"""A position in a term: a sequence of (field name, index); index -1 for non-tuple fields."""


# --------------------------------------------------------------------------- traversal

def children(t: Term) -> Iterator[tuple[str, int, Term]]:
    """Direct sub-terms with their (field, index) step, in source order."""
    for name in _field_names(t):
        v = getattr(t, name)
        if isinstance(v, Term):
            yield name, -1, v
        elif isinstance(v, tuple):
            for i, x in enumerate(v):
                if isinstance(x, Term):
                    yield name, i, x


def binder_names(g: BinderGroup) -> tuple[str, ...]:
    return tuple(n for n in g.names if n != "_")


def bound_in_child(t: Term, fname: str, idx: int) -> tuple[str, ...]:
    """Names that node `t` binds inside its child at (fname, idx)."""
    if isinstance(t, Quant):
        if fname == "binders":
            # `∀ x, ∀ y : T x` -- earlier groups scope over later groups' types and preds
            out: list[str] = []
            for g in t.binders[:idx]:
                out.extend(binder_names(g))
            return tuple(out)
        if fname in ("body", "extra"):
            out = []
            for g in t.binders:
                out.extend(binder_names(g))
            return tuple(out)
    elif isinstance(t, (SetBuilder, Subtype)):
        if fname == "body":
            return binder_names(t.binder)
    elif isinstance(t, Let):
        if fname == "body" and t.name:
            return (t.name,)
    elif isinstance(t, IfThenElse):
        if t.hyp and fname in ("then", "else_"):
            return (t.hyp,)
    return ()


def subterms(t: Term, bound: frozenset[str] = frozenset(), path: Path = ()
             ) -> Iterator[tuple[Path, Term, frozenset[str]]]:
    """Every sub-term (pre-order, `t` itself first) with its path and the names bound above it.

    Binder groups themselves are yielded (so their types can be matched) but their names are
    bound only in the scopes the binding node gives them.
    """
    yield path, t, bound
    for fname, idx, c in children(t):
        extra = bound_in_child(t, fname, idx)
        yield from subterms(c, bound | frozenset(extra) if extra else bound,
                            path + ((fname, idx),))


# Path steps that are no field: each names a sub-term Lean's elaborated term has and the
# AST writes as part of one node (`view_at`).  The index matches rewrites there (`rw`
# rewrites `f a` in `f a b`, `a ∈ s` in `a ∉ s`, `insert a {b}` in `{a, b}`), and
# `grammar.substitute.replace_all` rewrites such occurrences.
PREFIX = "prefix"  # `(PREFIX, k)` on `f a₁ … aₙ`: `f a₁ … aₖ` (0 < k < n), curried application
MEM = "mem"  # `(MEM, -1)` on `a ∉ s`: `a ∈ s` (`∉` is notation for `¬(a ∈ s)`)
INSERT = "insert"  # `(INSERT, -1)` on `{a, b, …}`: `insert a {b, …}` (set-builder notation)
COE = "coe"  # `(COE, k)` on `f a₁ … aₙ`: `⇑(f a₁ … aₖ)` (0 <= k < n), the coercion to a
# function Lean inserts when `f a₁ … aₖ` is a bundled map (`⇑(algebraMap R A) x`)
DOT = "dot"  # `(DOT, p)` on `T.f a₀ … aₙ`: `aₚ.f a₀ … aₙ` without `aₚ` (generalized field
# notation, `aₚ` the receiver: `s.image g` for `Finset.image g s`)
UNDOT = "undot:"  # `(UNDOT + "T", p)` on `x.f a₁ … aₙ`: `T.f a₁ … x … aₙ` with `x` the
# p-th explicit argument (the step names the namespace `T` of `x`'s type, which the node
# itself does not show)
FIELD = "field"  # `(FIELD, k)` on `x.f₁.f₂ … fₙ`: `x.f₁ … fₖ` (0 < k < n): Lean reads
# `x.f.g` as `(x.f).g`, so a field chain of a variable holds its shorter chains
BRACKET = "bracket"  # `(BRACKET, -1)` on `a =ᶠ[l] b`: `l`, the term the operator's bracket
# holds (`grammar.parser.bracket_term`), an argument in Lean's term
PIPE = "pipe"  # `(PIPE, -1)` on `f a <| b`: `f a b` (`<|` only spells an application)
NOTE = "note:"  # `(NOTE + template, -1)`: the other spelling of a notation, `M₀⁰` for
# `nonZeroDivisors M₀` or back (`grammar.notation_views`: the step carries its template)


def view_at(t: Term, step: str, idx: int) -> Term:
    """The sub-term a view step names in `t` (see `PREFIX`, `MEM`, `INSERT`); IndexError
    when `t` has none."""
    if step == PREFIX and isinstance(t, App) and 0 < idx < len(t.args):
        return App(t.fn, t.args[:idx])
    if step == MEM and isinstance(t, BinOp) and t.op == "∉":
        return BinOp("∈", t.lhs, t.rhs)
    if step == INSERT and isinstance(t, SetLit) and len(t.items) >= 2:
        return App(Ident("insert"), (t.items[0], SetLit(t.items[1:])))
    if step == FIELD and isinstance(t, Ident) and 0 < idx < t.name.count("."):
        return Ident(".".join(t.name.split(".")[:idx + 1]))
    if step == BRACKET and isinstance(t, BinOp):
        from lean_alchemy.grammar.parser import bracket_term

        got = bracket_term(t.op)
        if got is not None:
            return got
    if step == PIPE and isinstance(t, BinOp) and t.op == "<|":
        f = t.lhs
        return App(f.fn, f.args + (t.rhs,)) if isinstance(f, App) else App(f, (t.rhs,))
    if step == COE and isinstance(t, App) and 0 <= idx < len(t.args):
        return Prefix("⇑", App(t.fn, t.args[:idx]) if idx else t.fn)
    if step == DOT:
        got = dot_view(t, idx)
        if got is not None:
            return got
    elif step.startswith(UNDOT):
        got = undot_view(t, step[len(UNDOT):], idx)
        if got is not None:
            return got
    elif step.startswith(NOTE):
        from lean_alchemy.grammar.notation_views import note_view

        got = note_view(t, step)
        if got is not None:
            return got
    raise IndexError(f"no {step} view here")


def dot_view(t: Term, p: int) -> Term | None:
    """`aₚ.f a₀ … aₙ` (without `aₚ`) for `T.f a₀ … aₙ`, the receiver `aₚ` a variable or a
    dotted name (`y.f`, `y.g.f`) or else a projection (`(e).f`); None for another node."""
    if not (isinstance(t, App) and isinstance(t.fn, Ident) and 0 <= p < len(t.args)):
        return None
    rec = t.args[p]
    if any(isinstance(a, NamedArg) for a in t.args[:p + 1]) or not isinstance(rec, Term):
        return None
    field = t.fn.name.rsplit(".", 1)[-1].lstrip("@")
    head: Term = Ident(f"{rec.name}.{field}") if isinstance(rec, Ident) else Proj(rec, field)
    rest = t.args[:p] + t.args[p + 1:]
    return App(head, rest) if rest else head


def undot_view(t: Term, namespace: str, p: int) -> Term | None:
    """`T.f a₁ … x … aₙ` (`x` the p-th argument) for `x.f a₁ … aₙ` or `(x).f a₁ … aₙ`,
    `T` = `namespace`; None when the node is no field of a plain name or of a term, or
    has fewer than p arguments."""
    fn, args = (t.fn, t.args) if isinstance(t, App) else (t, ())
    if isinstance(fn, Proj):
        rec: Term = fn.term
        field = fn.field
    elif isinstance(fn, Ident):
        var, dot, field = fn.name.partition(".")
        if not dot or "." in field:
            return None
        rec = Ident(var)
    else:
        return None
    if not namespace or not 0 <= p <= len(args) or any(
            isinstance(a, NamedArg) for a in args[:p]):
        return None
    return App(Ident(f"{namespace}.{field}"), args[:p] + (rec,) + args[p:])


VIEW_STEPS = frozenset((PREFIX, MEM, INSERT, COE, DOT, FIELD, BRACKET, PIPE))


def field_view_step(path: Path) -> tuple[str, int] | None:
    """The last step of `path` when it is a field-notation or notation view (`DOT`,
    `UNDOT`, `FIELD`, `NOTE`), else None: what `substitute.replace_all` needs to find the other
    occurrences."""
    if path and (path[-1][0] in (DOT, FIELD) or path[-1][0].startswith((UNDOT, NOTE))):
        return path[-1][0], path[-1][1]
    if len(path) > 1 and path[-1][0] == PREFIX and path[-2][0].startswith(NOTE):
        return path[-2][0], path[-2][1]  # a prefix of a notation's view (`Set.preimage h`)
    return None


def is_view_step(fname: str) -> bool:
    """Whether a path step is a view (`view_at`), not a field of the node."""
    return fname in VIEW_STEPS or fname.startswith((UNDOT, NOTE))


def get_at(t: Term, path: Path) -> Term:
    for fname, idx in path:
        if is_view_step(fname):
            t = view_at(t, fname, idx)
            continue
        v = getattr(t, fname)
        t = v[idx] if idx >= 0 else v
    return t


def replace_at(t: Term, path: Path, new: Term) -> Term:
    """A copy of `t` with the sub-term at `path` replaced by `new` (structure shared)."""
    if not path:
        return new
    (fname, idx), rest = path[0], path[1:]
    v = getattr(t, fname)
    if idx >= 0:
        items = list(v)
        items[idx] = replace_at(items[idx], rest, new)
        nv: object = tuple(items)
    else:
        nv = replace_at(v, rest, new)
    return _with_field(t, fname, nv)


def _with_field(t: Term, fname: str, value: object) -> Term:
    kw = {name: getattr(t, name) for name in _field_names(t)}
    kw[fname] = value
    return type(t)(**kw)


def map_children(t: Term, fn) -> Term:
    """Rebuild `t` with `fn(child)` applied to each direct sub-term."""
    kw = {}
    changed = False
    for name in _field_names(t):
        v = getattr(t, name)
        if isinstance(v, Term):
            nv = fn(v)
            changed |= nv is not v
            kw[name] = nv
        elif isinstance(v, tuple) and any(isinstance(x, Term) for x in v):
            nv = tuple(fn(x) if isinstance(x, Term) else x for x in v)
            changed |= any(a is not b for a, b in zip(nv, v))
            kw[name] = nv
        else:
            kw[name] = v
    return type(t)(**kw) if changed else t


def free_idents(t: Term) -> frozenset[str]:
    """Identifier names occurring free in `t` (constants included: resolution tells them apart).

    For a dotted identifier `h.le` whose first component is bound, the occurrence is bound.
    """
    out: set[str] = set()
    for _, s, bound in subterms(t):
        if isinstance(s, Ident):
            head = s.name.split(".", 1)[0]
            if s.name not in bound and head not in bound:
                out.add(s.name)
    return frozenset(out)


def opaque_nodes(t: Term) -> list[Opaque]:
    """Every `Opaque` node of `t`, in source order (a plain walk: no binding scopes)."""
    out: list[Opaque] = []
    stack = [t]
    while stack:
        s = stack.pop()
        if isinstance(s, Opaque):
            out.append(s)
            continue
        kids = [c for _, _, c in children(s)]
        stack.extend(reversed(kids))
    return out


def has_opaque(t: Term) -> bool:
    return bool(opaque_nodes(t))


def size(t: Term) -> int:
    """Number of nodes: a cheap complexity feature."""
    return sum(1 for _ in subterms(t))


# --------------------------------------------------------------------------- serialization

# class -> (type name, field names): `to_data` runs over every node of every statement
_SPEC: dict[type, tuple[str, tuple[str, ...]]] = {t: (t.__name__, _FIELDS[t]) for t in NODE_TYPES}


def to_data(t: object) -> object:
    """Plain JSON-able data: a node is a list [TypeName, field values...]."""
    spec = _SPEC.get(type(t))
    if spec is not None:
        out: list = [spec[0]]
        for name in spec[1]:
            v = getattr(t, name)
            out.append(v if v is None or type(v) is str else to_data(v))
        return out
    if isinstance(t, Term):
        return [type(t).__name__] + [to_data(getattr(t, name)) for name in _field_names(t)]
    if isinstance(t, tuple):
        return {"t": [to_data(x) for x in t]}
    return t


def _from_data_generic(d: object) -> object:
    """The reference decoder (any shape `to_data` can produce); `from_data` takes it only
    for node lists whose length does not match their class (data written before a field
    was added: the missing fields take their defaults)."""
    if isinstance(d, list):
        cls = _BY_NAME[d[0]]
        return cls(*[from_data(x) for x in d[1:]])
    if isinstance(d, dict):
        return tuple(from_data(x) for x in d["t"])
    return d


# Decoding is the hot path of loading all of Mathlib (~11M nodes): one generated builder
# per class, dispatched by the type-name tag, converts each field by its declared type (no
# recursion into strings and None, no argument lists) and fills the slots through their
# member descriptors, skipping the frozen dataclass `__init__` (which goes through
# `object.__setattr__` per field): about 2.5x faster, and the nodes are equal to the ones
# `cls(*fields)` builds (the classes have no `__post_init__`).
_BUILD: dict[str, object] = {}


def _node_lines(src: str, dst: str, indent: str) -> list[str]:
    """Lines setting `dst` to the node decoded from the list `src`.  Identifiers (half of all
    nodes) are built inline: one Python call less per leaf."""
    return [f"{indent}if {src}[0] == 'Ident' and len({src}) == 2:",
            f"{indent}    {dst} = _new(_Ident)",
            f"{indent}    _set_name({dst}, {src}[1])",
            f"{indent}else:",
            f"{indent}    {dst} = _B[{src}[0]]({src})"]


def _field_lines(annotation: str, i: int) -> list[str]:
    """Lines decoding the JSON value `x` of field `i` (declared `annotation`) into slot i."""
    if annotation == "tuple[str, ...]":
        return [f"    _s{i}(o, tuple(x['t']))"]
    if annotation.startswith("tuple["):
        return (["    items = []", "    for y in x['t']:"]
                + _node_lines("y", "v", "        ")
                + ["        items.append(v)", f"    _s{i}(o, tuple(items))"])
    if annotation in ("Term", "BinderGroup"):
        return _node_lines("x", "v", "    ") + [f"    _s{i}(o, v)"]
    if annotation in ("Term | None", "BinderGroup | None"):
        return (["    if x is None:", f"        _s{i}(o, None)", "    else:"]
                + _node_lines("x", "v", "        ") + [f"        _s{i}(o, v)"])
    return [f"    _s{i}(o, x)"]  # str, str | None, bool: stored as is


def _make_builder(cls: type) -> object:
    names = _FIELDS[cls]
    types = {f.name: f.type for f in fields(cls)}
    setters = "".join(f", _s{i}=_s{i}" for i in range(len(names)))
    lines = [f"def build(d, _new=_new, _B=_B, _cls=_cls, _generic=_generic, _Ident=_Ident,"
             f" _set_name=_set_name{setters}):",
             f"    if len(d) != {len(names) + 1}:",
             "        return _generic(d)",
             "    o = _new(_cls)"]
    for i, name in enumerate(names):
        lines.append(f"    x = d[{i + 1}]")
        lines.extend(_field_lines(str(types[name]), i))
    lines.append("    return o")
    env = {"_new": object.__new__, "_B": _BUILD, "_cls": cls, "_generic": _from_data_generic,
           "_Ident": Ident, "_set_name": Ident.name.__set__}  # type: ignore[attr-defined]
    env.update({f"_s{i}": getattr(cls, name).__set__ for i, name in enumerate(names)})
    exec("\n".join(lines), env)  # noqa: S102 - source built above from the class fields
    return env["build"]


for _cls in NODE_TYPES:
    _BUILD[_cls.__name__] = _make_builder(_cls)
del _cls


def from_data(d: object) -> object:
    """Inverse of `to_data` (nodes equal to the ones serialized)."""
    if type(d) is list:
        return _BUILD[d[0]](d)  # type: ignore[operator]
    if type(d) is dict:
        return tuple([from_data(x) for x in d["t"]])
    return _from_data_generic(d)


def dumps(t: Term | None) -> str:
    """Compact, stable text form of an AST (for Parquet/SQL columns)."""
    if t is None:
        return ""
    return json.dumps(to_data(t), ensure_ascii=False, separators=(",", ":"))


_SCAN = json.scanner.make_scanner(json.JSONDecoder())


def json_value(s: str) -> object:
    """`json.loads(s)`, calling the C scanner directly: the wrapper layers of `json.loads`
    (type checks, two whitespace regexes) cost about a quarter of decoding a statement.
    Text with surrounding whitespace or trailing data goes through `json.loads` itself."""
    if type(s) is str:
        try:
            value, end = _SCAN(s, 0)
        except StopIteration:
            return json.loads(s)
        if end == len(s):
            return value
    return json.loads(s)


def loads(s: str) -> Term | None:
    if not s:
        return None
    return from_data(json_value(s))  # type: ignore[return-value]


AnyTerm = Union[Term, None]
