"""Rigid heads: pattern variables whose type is a structure, class or inductive type.

A pattern variable typed by a structure, class or inductive type (or bundled-map notation)
never binds a function-typed value, nor, with an exact hint, a candidate type variable or
another rigid type; definitions are not rigid (they may unfold to the value's type) but for
a table of Mathlib's type definitions, rigid as the head they unfold to
(`RIGID_DEFINITIONS`).  A pattern variable typed by a constant applied to terms only
(`ZMod n` with `n : ℕ`: `constant_type`) never binds a value whose exact type is a
candidate type variable.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from lean_alchemy.core.records import Declaration
from lean_alchemy.grammar.ast import (
    App,
    BinOp,
    CdotFun,
    Hole,
    Ident,
    NamedArg,
    Opaque,
    Postfix,
    Quant,
    Sort,
    Term,
    subterms,
)
from lean_alchemy.grammar.walk import (
    last_component,
    without_levels,
)
from lean_alchemy.index.match.hints import Hint, looks_variable, top_operator
from lean_alchemy.index.match.patterns import NUMBER_TYPES
from lean_alchemy.index.section_variables import function_like_subject

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
                     "EReal": "Option", "MulOpposite": "PreOpposite",
                     "AddOpposite": "PreOpposite"}
# Postfix type notation for those definitions: `αᵐᵒᵖ` is `MulOpposite α`, a `PreOpposite`.
_POSTFIX_DEFINITIONS = {"ᵐᵒᵖ": "PreOpposite", "ᵃᵒᵖ": "PreOpposite"}
_DEFINITION_HEADS = frozenset(RIGID_DEFINITIONS.values())
RIGID_KINDS = frozenset({"structure", "class", "inductive"})
# Type notation whose head is a structure whatever its arguments (bundled maps and
# equivalences, products, polynomials, units, opposites).  `⟶` is left out on purpose: a
# morphism type is a class projection and may unfold to a function type (`Type`'s homs).
_RIGID_INFIX = {"×": "Prod", "≃": "Equiv", "≃+*": "RingEquiv", "→+*": "RingHom",
                "→*": "MonoidHom", "→+": "AddMonoidHom", "≃*": "MulEquiv", "≃+": "AddEquiv",
                "↪": "Embedding", "→₀": "Finsupp", "≃o": "OrderIso", "→o": "OrderHom",
                "↪o": "OrderEmbedding", "≅": "Iso", "⥤": "Functor", "→ₛ": "SimpleFunc",
                "≃ₜ": "Homeomorph", "→*₀": "MonoidWithZeroHom", "⥤q": "Prefunctor",
                "≌": "Equivalence", "→ᵇ": "BoundedContinuousFunction"}
# the semilinear, isometric, affine and star arrows name the same structures as their
# plain twins (`M →ₛₗ[σ] M₂` is `LinearMap σ M M₂`, Algebra/Module/LinearMap/Defs.lean:96;
# `E →SL[σ] F` `ContinuousLinearMap σ E F`, Topology/Algebra/Module/LinearMap.lean:70;
# `≃ₛₗ[` LinearEquiv, `→ₗᵢ[` / `≃ₗᵢ[` LinearIsometry(Equiv), `→ᵃ[` / `≃ᵃ[` Affine(Map|Equiv),
# `→ₙₐ[` NonUnitalAlgHom, `→⋆ₐ[` StarAlgHom, each read in its `notation:25` command)
_RIGID_INFIX_PREFIX = (("→ₗ[", "LinearMap"), ("≃ₗ[", "LinearEquiv"),
                       ("→L[", "ContinuousLinearMap"), ("≃L[", "ContinuousLinearEquiv"),
                       ("→ₐ[", "AlgHom"), ("≃ₐ[", "AlgEquiv"),
                       ("→ₛₗ[", "LinearMap"), ("≃ₛₗ[", "LinearEquiv"),
                       ("→SL[", "ContinuousLinearMap"), ("≃SL[", "ContinuousLinearEquiv"),
                       ("→ₗᵢ[", "LinearIsometry"), ("≃ₗᵢ[", "LinearIsometryEquiv"),
                       ("→ᵃ[", "AffineMap"), ("≃ᵃ[", "AffineEquiv"),
                       ("→ₙₐ[", "NonUnitalAlgHom"), ("→⋆ₐ[", "StarAlgHom"))
_RIGID_POSTFIX = {"[X]": "Polynomial", "ˣ": "Units", "ᵒᵖ": "Opposite"}


def postfix_structure(op: str) -> str | None:
    """The structure a postfix type notation denotes (`R[X]` -> `Polynomial`)."""
    return _RIGID_POSTFIX.get(op)


def infix_structure(op: str) -> str | None:
    """The structure a type notation denotes (`→+*` -> `RingHom`, `→ₗ[R]` -> `LinearMap`),
    by the last component of its name; None for notation outside the table."""
    got = _RIGID_INFIX.get(op)
    if got is None:
        got = next((h for pre, h in _RIGID_INFIX_PREFIX if op.startswith(pre)), None)
    return got


# Decorated arrows of Mathlib that denote definitions, not structures: `→.` (`PFun`), `→ᵤ`
# (`UniformFun`, `UniformOnFun`), `→Lᵤ`/`→SLᵤ`, `→ₘ` (`AEEqFun`), `→₁`/`→₂` (`Lp`).
_DEFINED_ARROWS = frozenset({"→.", "→ᵤ", "→Lᵤ", "→SLᵤ", "→ₘ", "→₁", "→₂"})
_ARROW_STARTS = "→≃↪"  # what a decorated arrow named by itself starts with
# what a candidate's arrow-typed hint starts with (`hints.type_key` keys `C ⥤ D` as
# `⥤(C,D)` and `M →ₗ[R] N` as `→ₗ[](M,N)`); `infix_structure` names its structure
_HINT_ARROW_STARTS = "≅→≃↪⥤≌"


# Notation every order/lattice/collection type has: a pattern made only of these, operators
# and variables (`?I = ⊥`, `?s = ∅`) is as generic as `?a = ?b`.  (A numeral is not: the
# rule `?a + 0` is specific enough, and numerals have their own filter.)
OVERLOADED_CONSTANTS = frozenset({"⊥", "⊤", "∅"})


def _norm_head(name: str) -> str:
    name = without_levels(name)  # `CommRingCat.{u}`
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
        name = without_levels(t.name)
        if name.split(".", 1)[0] in bound:
            return None
        if name in RIGID_DEFINITIONS:
            return RIGID_DEFINITIONS[name]
        if name not in rigid:
            return None
        head = _norm_head(name)
        return None if head == "Subtype" else head  # `↥s` of a set is a `Subtype`
    if isinstance(t, BinOp):
        got = infix_structure(t.op)
        if got is None and len(t.op) > 1 and t.op[0] in _ARROW_STARTS:
            # Mathlib's other decorated arrows (`≃ᴬ[k]`, `↪r`, `→ₛₗᵢ[σ]`, `≃ₜ*`) are
            # bundled structures too, named here by the arrow without its parameters;
            # not those that are definitions (function types, quotients, subtypes)
            arrow = t.op.split("[", 1)[0]
            got = None if arrow in _DEFINED_ARROWS else arrow
        return got
    if isinstance(t, Postfix):
        return _RIGID_POSTFIX.get(t.op) or _POSTFIX_DEFINITIONS.get(t.op)
    return None


def _hint_head(key: str) -> str | None:
    """The head of a candidate type key (`type_key`): `→` for a function type, `?` for a
    type variable of the candidate, `Prod` for `×`, else the constant; None if unknown."""
    if key.startswith("?"):
        return "?"
    if key.startswith("~"):
        return None
    if key.startswith("("):
        top = top_operator(key)
        return None if top is None else "→" if top[0] == "→" else "Prod"
    return key.split("(", 1)[0]


def rigid_clash(want: str, hint: Hint, rigid_last: frozenset[str]) -> bool:
    """True when a value hinted `hint` certainly cannot have a type with rigid head `want`:
    its type is a function type (no coercion turns a function into a structure), or,
    exactly (no coercion around it), a type variable of the candidate or another rigid type
    (`rigid_last` of `rigid_names`: last name components that only ever name rigid types,
    the core number types `ℕ` `ℤ` `ℚ` `ℝ` `ℂ` among them; or the structure a bundled-map
    notation denotes, `infix_structure`: a functor `C ⥤ D` is no `List`).  A morphism
    type `X ⟶ Y` is no such notation: it may unfold to a function type."""
    got, exact = hint
    head = _hint_head(got)
    if head is None:
        return False
    if want == CONSTANT:  # only a type variable of the candidate is ruled out
        return exact and head == "?"
    if want == SET:  # a function may be a set; a structure's value never is
        return exact and head in rigid_last
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
    arrow = infix_structure(head) if head[0] in _HINT_ARROW_STARTS else None
    if arrow is not None:  # `F : C ⥤ D` is a `Functor`, certainly no `List`
        return arrow != want and want[0] not in _ARROW_STARTS
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


def is_concrete(t: Term | None, bound: frozenset[str]) -> bool:
    """Does a rule binder's type say more than "any type": anything but a sort, a rule type
    variable (`α`, `K`) or an undeclared one-letter name."""
    if t is None or isinstance(t, Sort):
        return False
    if isinstance(t, Ident):
        return not (t.name.split(".", 1)[0] in bound or looks_variable(t.name))
    return True


# The head `rigid_clash` gives a rule variable typed by a constant whose arguments can never
# be a type (`ZMod n`, `EuclideanSpace ℝ (Fin n)`): see `constant_type`.
CONSTANT = "#const"
# The head `rigid_clash` gives a rule variable typed `Set α`: a definition (`α → Prop`), so
# a function may have it, but a value of a structure, class or inductive type never does.
SET = "Set"


def value_head_clash(want: str, got: str) -> bool:
    """Whether a value whose type certainly has the rigid head `got` cannot have a type
    with the head `want` a rule variable's type has (`rigid_head`, `SET`): two different
    rigid heads never unify.  Not for the heads that stand for a class of types
    (`CONSTANT`, `BUNDLED`) or for an arrow named by itself (some structure unnamed
    here)."""
    if want in (CONSTANT, BUNDLED) or want[0] in _ARROW_STARTS:
        return False
    return got != want


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
    name = without_levels(fn.name)
    if name.split(".", 1)[0] in bound or looks_variable(name) or name.startswith("@"):
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
                if head in bound and (head != without_levels(x.name)
                                      or not _of_rigid_type(btype.get(head), bound, rigid)):
                    return False
                if head not in bound and looks_variable(x.name):
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
