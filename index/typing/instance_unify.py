"""Instance matching: does an instance's conclusion pattern match a query type?  First-
order matching that answers True, False (a certain clash) or None (unknown), as Lean's
instance matching does it: it unfolds reducible constants (`abbrev`s) only, so two
different heads clash unless one of them may unfold to the other.

Why apart from the table (`classes`): the rules for notations, projections and applied
variables are most of the code, and the search (`classes.Resolver`) only calls `unify`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Glued, Ident, Num, Opaque, Postfix, Prefix, Proj, Quant, Term,
)
from lean_alchemy.index.typing.saturate import UNSOLVED, subst
from lean_alchemy.index.typing.signatures import CORE_INFIX, head_name
from lean_alchemy.index.typing.type_terms import TOWER, head_of

if TYPE_CHECKING:
    from lean_alchemy.index.typing.classes import ClassTable


def unify(p: Term, t: Term, metas: frozenset[str], s: dict[str, Term],
          table: ClassTable, local: frozenset[str]) -> bool | None:
    """First-order matching of an instance pattern `p` (variables `metas`) against a
    query type `t`: True / False (a certain clash) / None (unknown).  Instance matching
    unfolds only reducible constants, so two different heads clash unless one is an
    `abbrev`, a query head the table does not know, or an applied pattern variable."""
    if t == UNSOLVED:
        return None  # an argument inference left open: anything
    if isinstance(p, Ident) and p.name in metas:
        prev = s.get(p.name)
        if prev is None:
            s[p.name] = t
            return True
        return True if prev == t else None
    if isinstance(p, Quant) and p.op in ("∀", "Π") and isinstance(t, BinOp) and t.op == "→":
        return _pi_pattern(p, t, metas, s)
    if isinstance(p, BinOp) and isinstance(t, BinOp) and p.op == t.op and "[" not in p.op:
        # one notation on both sides (`β →+* γ`, `B →+* C`): its operands match
        both: bool | None = True
        for a, b in ((p.lhs, t.lhs), (p.rhs, t.rhs)):
            r = unify(a, b, metas, s, table, local)
            if r is False:
                return False
            both = None if r is None else both
        return both
    written, projection = p, _projection(p)
    if isinstance(p, BinOp) is not isinstance(t, BinOp) or \
            isinstance(t, Postfix) and _operator(p) != t.op:
        # a pattern's postfix keeps its notation (`_names_another` reads it exactly)
        p, t = (_spelled_out(p, table) if isinstance(p, BinOp) else p), _spelled_out(t, table)
    hp, ht = head_of(p), head_of(t)
    if hp is None and ht in TOWER and ht not in local:
        return False  # a projection, a numeral, an unparsed notation: none names ℕ
    if projection and ht != _field_of(p) and _no_projection(t, ht, table, local):
        return False  # `(F ⋙ forget C).obj j` stays a projection: it is no `TwoSidedIdeal R`
    if isinstance(p, (Glued, Quant, Opaque)) and ht is not None and ht not in local and \
            ht in table.known and ht not in table.flexible and \
            _names_another(p, ht, metas, table):
        return False  # `C(α, β)` is a `ContinuousMap`, `Π₀ i, β i` a `DFinsupp`, the unread
        # `Πʳ i, [R i, B i]_[𝓕]` a `RestrictedProduct`
    if isinstance(p, (Glued, Quant, Opaque)) and ht is not None and ht not in local and \
            ht in table.flexible and _unfolded_query_clash("", ht, table, p, metas) is False:
        return False  # the same against an `abbrev` that unfolds to other heads only
    if hp in metas and isinstance(p, App) and ht is not None:
        return _applied_variable(p, t, ht, metas, s, table, local)
    if hp is None or ht is None or hp in metas:
        return None
    if ht not in local and (ht not in table.known or ht in table.flexible):
        if hp == ht:
            return _same_unfoldable_head(p, t, metas, s, table, local)
        return _unfolded_query_clash(hp, ht, table, p, metas)
    if hp != ht:  # an unknown name in an instance (a notation) may be the query's type
        if written is not p and _names_another(written, ht, metas, table):
            return False  # `α ⊕ β` is a `Sum`, though another namespace has an `abbrev Sum`
        if hp in table.flexible:
            to = table.unfolds(hp)  # instance matching unfolds `abbrev`s, not `def`s
            return None if to is None or ht in to else False
        if hp not in table.known:
            if ht in TOWER:
                return False
            return False if _names_another(p, ht, frozenset(), table) else None
        return False
    if isinstance(p, BinOp) and "[" in p.op:
        return None  # `→ₗ[R]`: the bracket's ring is not compared
    return _unify_args(p, t, metas, s, table, local)


def _pi_pattern(p: Quant, t: BinOp, metas: frozenset[str], s: dict[str, Term]
                ) -> bool | None:
    """A pi instance's conclusion `∀ i, f i` (`Pi.instInv … [∀ i, Inv (f i)] : Inv (∀ i,
    f i)`, Mathlib/Algebra/Notation/Pi/Defs.lean) against a function type `α → γ`: Lean
    solves `?f i =?= γ` by `?f := fun _ => γ`, so the premise asks `Inv γ`
    (`constant_family`).  Other bodies are left open."""
    if len(p.binders) != 1 or len(p.binders[0].names) != 1 or p.binders[0].type is not None:
        return None
    i = p.binders[0].names[0]
    body = p.body
    if not (isinstance(body, App) and isinstance(body.fn, Ident) and body.fn.name in metas
            and body.args == (Ident(i),)):
        return None
    family = Quant("fun", (BinderGroup((i,)),), t.rhs, "=>")
    prev = s.get(body.fn.name)
    if prev is None:
        s[body.fn.name] = family
        return True
    return True if prev == family else None


def constant_family(q: Term, s: dict[str, Term]) -> Term:
    """A premise `∀ i, C (f i)` whose family was solved constant (`_pi_pattern`: `f :=
    fun _ => γ`) as the instance it asks, `C γ`; other premises as they are."""
    if not (isinstance(q, Quant) and q.op in ("∀", "Π") and len(q.binders) == 1
            and len(q.binders[0].names) == 1 and q.binders[0].type is None):
        return q
    i = q.binders[0].names[0]
    out = _beta(subst(q.body, {k: v for k, v in s.items() if k != i}), i)
    return q if out is None else out


def _beta(t: Term, i: str) -> Term | None:
    """`t` with each `(fun _ => γ) i` read as `γ`; None when `i` is still used."""
    if isinstance(t, Ident):
        return None if t.name == i else t
    if isinstance(t, App):
        fn = t.fn
        if isinstance(fn, Quant) and fn.op == "fun" and t.args == (Ident(i),):
            return fn.body
        head = _beta(fn, i)
        args: list[Term] = []
        for a in t.args:
            b = _beta(a, i)
            if b is None:
                return None
            args.append(b)
        return None if head is None else App(head, tuple(args))
    if isinstance(t, BinOp):
        lhs, rhs = _beta(t.lhs, i), _beta(t.rhs, i)
        return None if lhs is None or rhs is None else BinOp(t.op, lhs, rhs)
    return t if isinstance(t, Num) else None


def _projection(p: Term) -> bool:
    """An instance pattern headed by a field of a term (`(F ⋙ forget C).obj j`, `c.pt`).
    Instance matching unfolds reducible constants only, and a projection reduces only
    when its structure is a constructor: of a `def`'s value (`Functor.comp`, `forget`) or
    of a variable it stays a projection, which no constant's application or candidate's
    type variable equals.  `M ⟶ N` is one too: `Quiver.Hom` of the category instance the
    matching has not solved (`instance [Preadditive C] {M N : C} : Neg (M ⟶ N)`).
    Coerced to a type (`↥((𝒜 0).baseChange S)`) it is a `Subtype`, which the caller
    leaves open."""
    while isinstance(p, App):
        p = p.fn
    return isinstance(p, Proj) or isinstance(p, BinOp) and p.op == "⟶"


def _field_of(p: Term) -> str | None:
    """The last field a projection pattern names (`S` of `X.S`): a query type keyed by
    that name (`norm` reads a candidate's own `Y.S` as `S`) may be the same projection."""
    while isinstance(p, App):
        p = p.fn
    return p.field.rsplit(".", 1)[-1] if isinstance(p, Proj) else None


def local_fields(t: Term, metas: frozenset[str]) -> Term:
    """`t` with each name that is dot notation on one of the instance's variables
    (`X.S` of `instance : Preorder X.S` with `(X : SSet)`) read as the projection it is:
    keyed by its last name (`S`) it would be a constant, and an unknown or `abbrev` one
    at that, which leaves every query of the class open (`Preorder ℂ` *unknown*)."""
    if isinstance(t, Ident):
        first, dot, rest = t.name.partition(".")
        return Proj(Ident(first), rest) if dot and rest and first in metas else t
    if isinstance(t, App):
        return App(local_fields(t.fn, metas), tuple(local_fields(a, metas) for a in t.args))
    if isinstance(t, BinOp):
        return BinOp(t.op, local_fields(t.lhs, metas), local_fields(t.rhs, metas))
    return t


def _no_projection(t: Term, ht: str | None, table: ClassTable, local: frozenset[str]) -> bool:
    """Is the query type `t` (head `ht`) certainly no projection left unreduced: a type
    variable of the candidate, or a constant that is no `abbrev` (`Subtype` aside, which
    a set-like projection coerced to a type is), or an `abbrev` whose every unfolding is
    one (`Ideal R` is a `Submodule`)?"""
    if ht is None or ht == "Subtype" or isinstance(t, BinOp) and t.op == "⟶":
        return False
    if ht in local:
        return True
    if ht not in table.known:
        return False
    if ht not in table.flexible:
        return True
    to = table.unfolds(ht)
    return to is not None and all(
        x == ht or x in table.known and x not in table.flexible and x != "Subtype" for x in to)


def _spelled_out(t: Term, table: ClassTable) -> Term:
    """A type operator as the constant the library's command says it stands for,
    applied to its operands (`C ⥤ D` is `Functor C D`, `R[X]` is `Polynomial R`), so
    that it meets the constant written out or another operator; other terms as they
    are."""
    if not isinstance(t, (BinOp, Postfix)) or "[" in t.op and isinstance(t, BinOp) or \
            table.constants is None:
        return t
    c = table.constants.infix_head(t.op)
    if c is None:
        return t
    operands = (t.lhs, t.rhs) if isinstance(t, BinOp) else (t.arg,)
    return App(Ident(head_name(c)), operands)  # keyed as `norm` keys a constant


def _operator(t: Term) -> str | None:
    """The type operator a term is written with (`⥤`, `ᵒᵈ`, `[X]`), None for others."""
    return t.op if isinstance(t, (BinOp, Postfix)) else None


def _unfolded_query_clash(hp: str, ht: str, table: ClassTable, p: Term,
                          metas: frozenset[str]) -> bool | None:
    """A query type headed by an `abbrev` (`Ideal R := Submodule R R`) against a pattern
    of a constant that is none (`RestrictScalars R S A`, `ℤ`), or written with a notation
    whose commands name only such constants (`M →ₗ⁅R,L⁆ N`: `LieModuleHom`…): instance
    matching unfolds the query's `abbrev`s, never the pattern's `def`, so a clash when no
    head the query unfolds to is the pattern's (None: the abbrev may unfold to anything)."""
    if ht not in table.flexible:
        return None
    if hp in table.known:
        if hp in table.flexible:
            return None
        named = {hp}
    else:
        got = table.constants.notation_constants(p, metas) if table.constants else ()
        if any(head_name(c) in table.flexible and _may_be_abbrev(c, table) for c in got):
            return None
        named = {head_name(c) for c in got}
    if not named:
        return None
    to = table.unfolds(ht)
    return None if to is None or named & to else False


def _same_unfoldable_head(p: Term, t: Term, metas: frozenset[str], s: dict[str, Term],
                          table: ClassTable, local: frozenset[str]) -> bool | None:
    """`Ideal α` against `Ideal X` where the head may unfold (an `abbrev`, `Ideal R :=
    Submodule R R`) or is unknown to the table.  Lean's definitional
    check compares the arguments of one head before unfolding it, so they solve the
    pattern's variables; a clash among them is no clash (unfolding may still equate
    them), and its partial solution is dropped."""
    trial = dict(s)
    got = _unify_args(p, t, metas, trial, table, local)
    if got is False:
        return None
    s.update(trial)
    return got


def _unify_args(p: Term, t: Term, metas: frozenset[str], s: dict[str, Term],
                table: ClassTable, local: frozenset[str]) -> bool | None:
    """The arguments of two terms of one head, pairwise (`unify`)."""
    pa_ = p.args if isinstance(p, App) else ()
    ta = t.args if isinstance(t, App) else ()
    if isinstance(p, BinOp) and isinstance(t, BinOp):
        pa_, ta = (p.lhs, p.rhs), (t.lhs, t.rhs)
    elif isinstance(p, (Postfix, Prefix)) and isinstance(t, (Postfix, Prefix)):
        pa_, ta = (p.arg,), (t.arg,)
    elif type(p) is not type(t) or not isinstance(p, (App, Ident)):
        return None
    if len(pa_) != len(ta):
        return None
    out: bool | None = True
    for a, b in zip(pa_, ta):
        r = unify(a, b, metas, s, table, local)
        if r is False:
            return False
        if r is None:
            out = None
    return out


def _applied_variable(p: App, t: Term, ht: str, metas: frozenset[str], s: dict[str, Term],
                      table: ClassTable, local: frozenset[str]) -> bool | None:
    """An instance pattern whose head is one of its variables applied (`Mul (A 0)`, the
    graded pieces of `GradedMonoid`) against a query type of head `ht`.  Lean's
    unifier reads `?A 0 =?= T x₁ … xₙ` by first-order approximation (`?A := T x₁ …`,
    `0 =?= xₙ`), and when that fails unfolds the query only if its head is reducible.
    So a rigid query head (a candidate's type variable, or a constant the table knows
    that is no `abbrev`) clashes when it has fewer arguments than the pattern, or when
    a pattern argument clashes with the query's argument in its place: a numeral is
    never a type variable nor another numeral (`0` against `R` of `TwoSidedIdeal R`)."""
    rigid = ht in local or (ht in table.known and ht not in table.flexible)
    if not rigid:
        return None
    ta = t.args if isinstance(t, App) else ()
    if len(ta) < len(p.args):
        return False
    for a, b in zip(p.args, ta[len(ta) - len(p.args):]):
        if isinstance(a, Num) and ((isinstance(b, Ident) and b.name in local) or (
                isinstance(b, Num) and b.text != a.text)):
            return False
        if unify(a, b, metas, s, table, local) is False:
            return False
    return None


def _names_another(p: Term, ht: str, metas: frozenset[str], table: ClassTable) -> bool:
    """Does an instance pattern written with a type notation certainly name a constant
    other than the query's head `ht`?  The library's `infix`/`postfix`/`notation`
    commands say which constants the notation may stand for (`G →+c[a, b] H` is
    `AddConstMap`, `αᵒᵈ` is `OrderDual`, `C(α, β)` is `ContinuousMap`); instance
    matching sees the constant it elaborates to, unfolding `abbrev`s only (reducible
    transparency).  A notation no command names, or glued to one of the pattern's
    variables (`k[G]`), may still be anything."""
    if table.constants is None:
        return False
    while isinstance(p, App):  # `(G ∗) H`: what the applied notation names
        p = p.fn
    got = table.constants.notation_constants(p, metas)
    named = {head_name(c) for c in got}
    if not named or ht in named:
        return False
    for c in got:
        n = head_name(c)
        if n in table.flexible and _may_be_abbrev(c, table):
            to = table.unfolds(n)
            if to is None or ht in to:
                return False
    return True


def _may_be_abbrev(name: str, table: ClassTable) -> bool:
    """May the constant of this full name be an `abbrev`?  The table keys `abbrev`s by
    their last component (`Foo.Sum` makes every `Sum` flexible); a declaration of exactly
    this name that is no `abbrev`, or a Lean core type (`Sum`), settles it."""
    if name in CORE_INFIX.values():
        return False
    exact = table.constants.named(name)
    return not exact or any(s.kind == "abbrev" for s in exact)

