"""Type inference over statement ASTs, without Lean: the type of a sub-term, or None.

Why: the typed match filter compares a rule variable's declared type with the type of the
value it matched; most values are not bare variables but applications (`veblen 0 a`),
dot notation (`N.ucs 0`, `c.fst.app 0`), arithmetic (`a * b⁻¹`) or ascriptions.  The model
is a small part of Lean's elaborator, conservative everywhere (None when unsure):
- variables take their binders' types; ascriptions `(x : T)` give `T`;
- constants of the signature table are applied with their implicit arguments solved by
  first-order matching of the explicit arguments' types (`unify`); named arguments bind
  their binder; a constant written with a namespace suffix (`veblen`, `Finset.card`) is
  looked up by that suffix, and used only when every declaration it may name gives one
  type;
- dot notation `x.f a` resolves `f` in the namespace of the head of `x`'s type and passes
  `x` as the first explicit argument of that type, as Lean does;
- local functions and bundled maps (`f : A →+* B`, `e : α ≃ β`) applied give their
  codomain (the function coercion `⇑f` is inserted by Lean);
- arithmetic (`+ - * / %`, `•`'s right side, `^`'s base, unary `-`, `⁻¹`, `ᶜ`, `|x|`) has
  the type of any of its operands that has one, as `binop%` unifies one tree; numerals
  alone stay unknown, since their type comes from the context they are used in;
- a composite `f ≫ g` of morphisms `f : X ⟶ Y`, `g : Y ⟶ Z` is `X ⟶ Z`;
- propositions (`=`, `≤`, `∧`, `∀`, `∃`, `¬`, …) have type `Prop`;
- an implicit argument no explicit one solves leaves a hole (`atTop : Filter ?`); a
  declaration whose header writes no result type has the type of its body, or `Type _`
  for a structure; dot notation looks in parents and unfolded definitions too;
- `⇑f` of a bundled map is a function; `↑x`, `↥s` and scoped notations stay unknown.

Long because: the model is one recursive walk (`Inference.type_of`) whose pieces call
each other, over one table of the library's names (`Constants`), which dot notation's
unfolding and the filter's field checks read alike.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator, Mapping

from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Enclosed, Explicit, Glued, Hole, Ident, IfThenElse, NamedArg, Opaque,
    Postfix, Prefix, Proj, Quant, SetBuilder, Sort, Term, Tuple, Typed,
)
from lean_alchemy.index.typing.saturate import UNSOLVED, subst
from lean_alchemy.index.typing.homs import objects_key
from lean_alchemy.index.typing.notation_commands import VARIABLE_BRACKET
from lean_alchemy.index.typing.signatures import (
    ALIASES, Sig, head_name, operator_key, without_universes,
)

PROP = Sort("Prop")
# the sort of a structure, class or inductive type whose header writes none: Lean puts
# it in `Type _` (`Prop` only when written), and of a product of types
TYPE = Sort("Type _")
_TYPE_FORMERS = frozenset({"structure", "class", "inductive"})
_ARITH = frozenset({"+", "-", "*", "/", "%", "⊔", "⊓", "∪", "∩", "\\", "∆", "⊓", "++"})
_PROPS = frozenset({"=", "≠", "<", "≤", ">", "≥", "∈", "∉", "⊆", "⊂", "⊇", "⊃", "↔", "∧",
                    "∨", "→", "∣", "≡", "≈", "⟂", "≃ᵤ"})
_SAME_TYPE_POSTFIX = frozenset({"⁻¹", "ᶜ"})
_PROP_QUANTS = frozenset({"∀", "∃", "∃!", "∀ᶠ", "∃ᶠ"})
_BIG_OPS = frozenset({"∑", "∏", "⨆", "⨅", "∑'", "∏'"})
_FUN = frozenset({"fun", "λ"})
MAX_CANDIDATES = 6  # declarations a written suffix may name before the lookup gives up
MAX_UNFOLD = 8  # parents and definitions followed by `Constants.dot_fails`
MIN_FUNCTION_NAMES = 1000  # `Constants.complete`
# names Lean generates for a structure or inductive type (`mk`, recursors, `@[ext]`,
# `injEq`), which no source declaration spells
GENERATED_NAMES = frozenset({"mk", "rec", "recOn", "casesOn", "noConfusion", "noConfusionType",
                        "below", "brecOn", "ibelow", "binductionOn", "ext", "ext_iff",
                        "injEq", "inj", "eta", "sizeOf_spec", "mk.injEq", "induct"})
# `to_additive` twins (`AddSubgroup.f` of `Subgroup.f`, `Finset.sum_f` of `Finset.prod_f`)
# are generated, not written: a type or field name of the additive vocabulary is unknown
ADDITIVE_NAME = re.compile(r"Add|add|Zero|zero|Neg|neg|Sum|sum|(?:^|[._])sub|SubNeg|[nz]smul|"
                       r"vadd|VAdd|vsub|VSub")
_TYPE_KINDS = frozenset({"structure", "class", "inductive", "def", "abbrev", "opaque"})
# `Function.…` declarations of Lean core (`Init/Core.lean`, `Init/Prelude.lean`), which dot
# notation on a function reaches and the library's table does not list
CORE_FUNCTION_NAMES = frozenset(f"Function.{n}" for n in (
    "comp", "const", "swap", "curry", "uncurry", "Injective", "Surjective", "Bijective",
    "LeftInverse", "RightInverse", "HasLeftInverse", "HasRightInverse", "id", "onFun",
    "Involutive", "Injective2", "update", "mt", "mtr", "funext_iff", "comp_apply",
    "const_apply", "iterate", "Embedding", "invFun", "graph", "Periodic"))
MAX_DEPTH = 24
# enclosing notations of a fixed result type: `‖e‖ : ℝ`, `‖e‖₊ : ℝ≥0`, `‖e‖ₑ : ℝ≥0∞`
# (`Norm.norm`, `NNNorm.nnnorm`, `ENorm.enorm`, Mathlib/Analysis/Normed/Group/Defs.lean:
# 60-82), `⌊a⌋₊ ⌈a⌉₊ : ℕ` and `⌊a⌋ ⌈a⌉ : ℤ` (Mathlib/Algebra/Order/Floor/Defs.lean:119-277)
_ENCLOSED_TYPES = {"‖": Ident("Real"), "‖₊": Ident("NNReal"), "‖ₑ": Ident("ENNReal"),
                   "⌊₊": Ident("Nat"), "⌈₊": Ident("Nat"), "⌊": Ident("Int"),
                   "⌈": Ident("Int")}


def _product_component(ty: Term | None, k: int) -> Term | None:
    """The type of `p.k` for `p : A × B` (`.1` is `A`, `.2` is `B`); None otherwise (a
    structure's numbered field is not read)."""
    if not (isinstance(ty, BinOp) and ty.op == "×") or k not in (1, 2):
        return None
    return ty.lhs if k == 1 else ty.rhs


class Constants:
    """Signatures of the library's non-instance declarations, by full name and by every
    dotted suffix (`Ordinal.veblen` is found as `veblen` and `Ordinal.veblen`), and the
    full names of all its declarations (`declared`, theorems included)."""

    def __init__(self, sigs: Iterable[Sig]) -> None:
        self.by_suffix: dict[str, list[Sig]] = {}
        declared: set[str] = set(CORE_FUNCTION_NAMES)
        with_fields: set[str] = set()
        # a notation token -> its right sides (None: one with parameters or unread) and
        # where each is in force (None: everywhere; a namespace: where it is open),
        # an infix operator -> the constants it stands for (`→+*` -> `RingHom`)
        self.tokens: dict[str, list[tuple[Term | None, str | None]]] = {}
        # a notation token -> its parameters and right side (None: none or unread)
        self.templates: dict[str, list[tuple[tuple[str, ...], Term] | None]] = {}
        self.infix: dict[str, set[str]] = {}
        # the same with whether the command's operator has a bracket (`M ≅[L] N`, keyed
        # `≅` as `X ≅ Y` is), and of the commands in force everywhere (not `scoped`)
        self.infix_forms: dict[str, set[tuple[str, bool]]] = {}
        self.infix_global: dict[str, set[str]] = {}
        # the token a notation opens with -> the constants its right side applies
        self.leading: dict[str, set[str]] = {}
        # an `infix` command's operator -> the constants it applies to its two operands
        self.infix_operands: dict[str, set[str]] = {}
        # the key of a type of objects -> the constants its arrows `X ⟶ Y` are (`homs`)
        self.homs: dict[str, set[str]] = {}
        for s in sigs:
            if s.kind == "notation":  # a token (`ClassTable.notations`), no declaration
                self.tokens.setdefault(s.name, []).append(
                    (None if s.binders else s.body,
                     s.type.name if isinstance(s.type, Ident) else None))
                self.templates.setdefault(s.name, []).append(
                    (s.binders[0].names, s.body) if s.binders and s.body is not None
                    else None)
                continue
            if s.kind == "hom":  # the arrows of a type of objects (`homs`)
                if isinstance(s.body, Ident):
                    self.homs.setdefault(s.name, set()).add(s.body.name)
                continue
            if s.kind == "infix" and isinstance(s.type, Ident) and \
                    "leading" in s.type.name.split():
                if isinstance(s.body, Ident):  # a notation opening with its token
                    self.leading.setdefault(s.name, set()).add(s.body.name)
                continue
            if s.kind == "infix":
                if isinstance(s.body, Ident):
                    self.infix.setdefault(s.name, set()).add(s.body.name)
                    form = s.type.name.split() if isinstance(s.type, Ident) else ()
                    self.infix_forms.setdefault(s.name, set()).add(
                        (s.body.name, "bracket" in form))
                    if "scoped" not in form:
                        self.infix_global.setdefault(s.name, set()).add(s.body.name)
                    if "operands" in form:
                        self.infix_operands.setdefault(s.name, set()).add(s.body.name)
                continue
            declared.add(s.name)
            if s.kind == "field":
                with_fields.add(s.name.rsplit(".", 1)[0])

            if s.kind in ("instance", "theorem") or s.name.startswith("core.inst"):
                continue
            parts = s.name.split(".")
            for k in range(len(parts)):
                self.by_suffix.setdefault(".".join(parts[k:]), []).append(s)
        self.declared = frozenset(declared)
        # name -> the type of a definition's body, for one whose header writes none
        # (`Inference._unwritten_type`)
        self.body_types: dict[str, Term | None] = {}
        # head of a bundled type -> its `FunLike` instances' ends (`classes.fun_like_ends`)
        self.fun_like: dict[str, list[tuple]] = {}
        # structures and classes with at least one field read from their source
        self.with_fields = frozenset(with_fields)
        # a table that holds a whole library down to its logic (Mathlib declares some
        # 1,700 `Function.…` names): only then does a missing `G.f` mean Lean has none,
        # where a folder cut out of a library, or a library over Mathlib, lacks the
        # namespaces' other files
        self.complete = sum(1 for n in declared if n.startswith("Function.")) \
            >= MIN_FUNCTION_NAMES

    def token_body(self, token: str, namespaces: frozenset[str] | None = None
                   ) -> Term | None:
        """The right side of a parameterless notation token (`π` is `Real.pi`), when
        every reading of it in force is that one: with the `namespaces` open where it is
        written, the global readings and those scoped to an open one (`∞` is `(⊤ :
        ENNReal)` where `ENNReal` is open, `OnePoint.infty` where `OnePoint` is); without,
        every reading the library has."""
        got = [b for b, scope in self.tokens.get(token, ())
               if namespaces is None or scope is None or scope in namespaces]
        if not got or got[0] is None or any(b != got[0] for b in got[1:]):
            return None
        return got[0]

    def token_template(self, token: str) -> tuple[tuple[str, ...], Term] | None:
        """The parameters and right side of a notation token with parameters
        (`𝓝[≥] x` is `nhdsWithin x (Set.Ici x)`), when every reading of it the library
        has is that one."""
        got = self.templates.get(token)
        if not got or got[0] is None or any(b != got[0] for b in got[1:]):
            return None
        return got[0]

    def infix_constants(self, op: str) -> frozenset[str]:
        """Every constant a type operator may stand for, by the library's commands
        (`→ₗ[R]` read as `→ₗ`: `LinearMap`); empty when none names it."""
        key = op if op in self.infix else operator_key(op)
        bracket = "[" in op  # `X ≅ Y` is none of the bracketed `M ≅[L] N`, and back
        same = {c for c, b in self.infix_forms.get(key, ()) if b == bracket}
        return frozenset(same or self.infix.get(key) or ())  # a key: `→ₗ` of `→ₗ[R]`

    def notation_constants(self, t: Term, metas: frozenset[str] = frozenset()
                           ) -> frozenset[str]:
        """The constants a type written with a notation stands for, by the library's
        commands: an operator or postfix (`→ₗ[R]`: `LinearMap`), a token before a
        glued bracket (`C^`: `ContMDiffMap`), a glued bracket (`C(α,
        β)`: `ContinuousMap`; `k[G]` glued to one of `metas`: the `macro_rules`
        readings), a binder notation (`Π₀ i, β i`: `DFinsupp`), a token a notation
        opens with (`𝟙_ C`: `MonoidalCategoryStruct.tensorUnit`), an unread text by the
        token it opens with (`Πʳ i, [R i, B i]_[𝓕]`: `RestrictedProduct`) or by its one
        operator (`𝒜 ᵍ⊗[R] ℬ`: `GradedTensorProduct`); empty for others."""
        if isinstance(t, (BinOp, Postfix)):
            return self.infix_constants(t.op)
        if isinstance(t, Ident) and t.name not in metas:  # `C^` of `C^n⟮I, M; I', M'⟯`
            got = self.infix.get(t.name) or (  # `𝟙_ C`: a token no declaration is named
                self.leading.get(t.name) if not self.candidates(t.name) else None)
            return frozenset(got or ())
        if isinstance(t, Glued) and isinstance(t.head, Ident) and t.head.name not in metas:
            return frozenset(self.infix.get(t.head.name + t.open) or ())  # exact key
        if isinstance(t, Glued) and t.open == "[":  # `R[M]`: what `macro_rules` make of it
            return frozenset(self.infix.get(VARIABLE_BRACKET) or ())
        if isinstance(t, Quant) and t.op not in ("∀", "Π", "fun", "λ"):
            return frozenset(self.infix.get(t.op) or ())  # `Π₀`, read by `notation3`
        if isinstance(t, Opaque) and t.text.split():  # unread: `⨂[R] i, A i`
            words = t.text.split()
            first = words[0]
            keys = {first} | ({first[:first.index("[") + 1]} if "[" in first else set())
            named = frozenset(c for k in keys for c in self.leading.get(k, ()))
            if not named and not self.candidates(first):  # `Σₗ' i, α i`: a binder
                named = frozenset(self.infix.get(first) or ())  # notation left unread
            if not named and len(words) == 3 and not words[1].isidentifier():
                named = self.infix_constants(words[1])  # `𝒜 ᵍ⊗[R] ℬ`: its operator's
            return named
        return frozenset()

    def infix_head(self, op: str) -> str | None:
        """The constant an infix operator of a type stands for (`A ≅ B` is `Iso A B`),
        when the library gives it one; among several, the one command in force
        everywhere, the others being `scoped` (`scoped[Congruent] infixl " ≅ "` is open
        only where `Congruent` is; there Lean would try both, and this reads `Iso`)."""
        got = self.infix_constants(op)
        if len(got) > 1:
            key = op if op in self.infix else operator_key(op)
            got = got & frozenset(self.infix_global.get(key) or ())
        return next(iter(got)) if len(got) == 1 else None

    def operator_constant(self, op: str) -> str | None:
        """The constant a term operator applies to its two operands (`a ◃ b` is
        `Shelf.act a b`), when the library's `infix` commands give it exactly one."""
        got = self.infix_operands.get(op)
        return next(iter(got)) if got is not None and len(got) == 1 else None

    def hom_of(self, obj_type: Term) -> str | None:
        """The constant the arrows between objects of type `obj_type` are, when one
        instance says (`C ⥤ D`: `NatTrans`); its operator read as its constant too."""
        key = objects_key(obj_type)
        got = set(self.homs.get(key, ())) if key is not None else set()
        if isinstance(obj_type, BinOp) and (c := self.infix_head(obj_type.op)) is not None:
            got |= self.homs.get(head_name(c), set())
        return next(iter(got)) if len(got) == 1 else None

    def dot_fails(self, head: str, field: str) -> bool:
        """Does dot notation `x.field` certainly fail on a value whose type is headed by
        the written constant `head`?  Lean looks for `C.field` in the namespace of the
        type's head `C`, then of the parents of a structure (`extends`), then unfolds a
        definition and looks again (`Function.field` for a function type).  Certain
        only when every type `head` may name is a library structure, class or inductive
        type, or a definition whose body is read, and each such chain ends without a
        declaration of that name; a core type (`ℕ`, `List`) or an unread body keeps it."""
        name = ALIASES.get(head, head).removeprefix("_root_.")
        if not self.complete or name in _core_types() or field in GENERATED_NAMES or \
                ADDITIVE_NAME.search(field):
            return False
        return self._named_fails(name, field, 0)

    def _named_fails(self, name: str, field: str, depth: int) -> bool:
        """`dot_fails` for every type the written `name` may denote.  An additive name
        (`AddSubmonoid`) fails only where its multiplicative twin is a known type that
        fails too: `to_additive` copies the twin's declarations, unseen here."""
        if name in _core_types():
            return False
        last = name.rsplit(".", 1)[-1]
        if ADDITIVE_NAME.search(last):
            twin = name[:-len(last)] + last[3:] if last.startswith("Add") else ""
            if not twin or ADDITIVE_NAME.search(twin[-len(last) + 3:]) or not self._types(twin):
                return False
            if not self._named_fails(twin, field, depth + 1):
                return False
        types = self._types(name)
        return bool(types) and all(self._fails_on(t, field, depth) for t in types)

    def function_field_fails(self, field: str) -> bool:
        """No `Function.field`, written or generated (`f.support` is the `to_additive`
        twin of `Function.mulSupport`)."""
        return self.complete and f"Function.{field}" not in self.declared and \
            not self._generated_in("Function", field)

    def _generated_in(self, ns: str, field: str) -> bool:
        """Might `ns.field` be generated rather than written: from `ns.x` when the field is
        `x_suffix` (`@[simps]`, `@[reassoc]`), or as the `to_additive` twin of a
        declaration of `ns` whose name maps to `field` (`mulSupport` → `support`)?"""
        cuts = [k for k, ch in enumerate(field) if ch == "_"]
        if any(f"{ns}.{field[:k]}" in self.declared for k in cuts):
            return True
        return any(f"{ns}.{twin}" in self.declared for twin in multiplicative_twins(field))

    def _types(self, name: str) -> list[Sig]:
        return [s for s in self.by_suffix.get(name, ()) if s.kind in _TYPE_KINDS]

    def _fails_on(self, sig: Sig, field: str, depth: int) -> bool:
        if f"{sig.name}.{field}" in self.declared:
            return False
        if self._generated_in(sig.name, field):
            return False
        if sig.kind in ("structure", "class") and any(
                field == "to" + head_name(h) for p in sig.parents
                if (h := type_head_name(p)) is not None):
            return False  # `x.toParent`: the projection `extends` generates
        if depth > MAX_UNFOLD:
            return False
        if sig.kind in ("structure", "class"):
            if sig.name not in self.with_fields:
                return False  # fields unread (`(E : Set α)` lines): any may exist
            nexts = [type_head_name(p) for p in sig.parents]
        elif sig.kind in ("def", "abbrev"):
            body = sig.body
            while isinstance(body, BinOp) and body.op == "<|":
                body = body.lhs
            if isinstance(body, (BinOp, Quant)) and (
                    getattr(body, "op", "") in ("→", "∀", "Π")):
                return self.function_field_fails(field)
            nexts = [type_head_name(body) if body is not None else None]
            params = {n for g in sig.binders for n in g.names}
            if nexts[0] in params:
                return False  # unfolds to a parameter: to anything
        else:
            return True  # an inductive type or opaque constant: no unfolding
        for h in nexts:
            if h is None or not self._named_fails(ALIASES.get(h, h).removeprefix(
                    "_root_."), field, depth + 1):
                return False
        return True

    def candidates(self, name: str) -> list[Sig]:
        """Every declaration a written name may denote (no bound on their number)."""
        return self.by_suffix.get(without_universes(name.removeprefix("_root_.")), [])

    def named(self, full: str) -> list[Sig]:
        """The declarations of exactly this full name (no other namespace's suffix)."""
        return [s for s in self.candidates(full) if s.name == full]

    def structure_named(self, full: str) -> bool:
        """Is the constant of this full name a structure, class or inductive type?"""
        got = self.named(full)
        return bool(got) and all(s.kind in _TYPE_FORMERS for s in got)

    def lookup(self, name: str, namespaces: frozenset[str] = frozenset()) -> list[Sig]:
        """The declarations a written name may denote (root prefix dropped).  With the
        `namespaces` of the scope it is written in (its namespace's prefixes and the
        opened ones), those Lean may resolve it to (`N.name` for `N` among them, or the
        name itself) when there are any; else every declaration of that suffix."""
        name = without_universes(name.removeprefix("_root_."))
        got = self.by_suffix.get(name, [])
        if namespaces and got:
            cut = len(name) + 1
            inside = [s for s in got if s.name == name or s.name[:-cut] in namespaces]
            if inside:
                got = inside
        return got if len(got) <= MAX_CANDIDATES else []


# `to_additive`'s word pairs (multiplicative, additive) a field's twin is generated by
# (Mathlib/Tactic/ToAdditive/GuessName.lean's dictionary, the common part)
TWIN_WORDS = (("mulSupport", "support"), ("mulTSupport", "tsupport"),
              ("mulIndicator", "indicator"), ("mulSingle", "single"), ("mul", "add"),
              ("Mul", "Add"), ("one", "zero"), ("One", "Zero"), ("inv", "neg"),
              ("Inv", "Neg"), ("prod", "sum"), ("Prod", "Sum"), ("div", "sub"),
              ("Div", "Sub"), ("pow", "nsmul"), ("zpow", "zsmul"), ("smul", "vadd"),
              ("SMul", "VAdd"), ("orderOf", "addOrderOf"), ("IsUnit", "IsAddUnit"),
              ("units", "addUnits"), ("Units", "AddUnits"), ("npow", "nsmul"))


def multiplicative_twins(field: str) -> list[str]:
    """The names whose `to_additive` twin may be `field`: each additive word of the
    dictionary replaced by its multiplicative one, one word at a time."""
    out = []
    for mul, add in TWIN_WORDS:
        if add in field:
            out.append(field.replace(add, mul))
    return out


def _core_types() -> tuple[str, ...]:
    from lean_alchemy.index.typing.classes import CORE_TYPES

    return CORE_TYPES


def _leading_binders(ty: Term, binders: list[tuple[str, Term | None, str]]
                     ) -> tuple[Term, list[tuple[str, Term | None, str]]]:
    """A type's leading `∀ {X Y : C}, …` read as more binders of the declaration: Lean
    solves implicit ones from the arguments (`Functor.map : ∀ {X Y : C}, (X ⟶ Y) → …`
    applied to `f : A ⟶ B` is at `X := A`) and takes explicit ones as arguments
    (`NatTrans.app : ∀ X : C, F.obj X ⟶ G.obj X`)."""
    out = list(binders)
    seen = {n for n, _, _ in out}
    while isinstance(ty, Quant) and ty.op in ("∀", "Π") and ty.binders and all(
            g.pred_op is None for g in ty.binders):
        more = [(n, g.type, g.kind) for g in ty.binders for n in (g.names or ("_inst",))]
        if any(n in seen and n != "_inst" for n, _, _ in more):
            break  # a name of the declaration's binders shadowed: left as written
        out.extend(more)
        seen.update(n for n, _, _ in more)
        ty = ty.body
    k = 0  # `ucs (k : ℕ) : LieSubmodule R L M → LieSubmodule R L M`: `N.ucs 0` is `ucs 0 N`
    while isinstance(ty, BinOp) and ty.op == "→":
        k += 1
        out.append((f"_arrow{k}", ty.lhs, "explicit"))
        ty = ty.rhs
    return ty, out


def flat_binders(sig: Sig) -> list[tuple[str, Term | None, str]]:
    out = []
    for g in sig.binders:
        names = g.names or ("_inst",)
        for n in names:
            out.append((n, g.type, g.kind))
    return out


class Inference:
    """Types of sub-terms in one candidate: `local` maps its variables to their types,
    `tvars` are its type variables (kept as themselves by `norm`)."""

    def __init__(self, consts: Constants | None, local: Mapping[str, Term],
                 tvars: frozenset[str], unify,  # noqa: ANN001 - instance_unify.unify
                 hidden: frozenset[str] = frozenset(),
                 namespaces: frozenset[str] = frozenset()) -> None:
        self.consts = consts
        self.local = local
        self.tvars = tvars
        self.hidden = hidden  # names bound without a known type: never a constant
        self.unify = unify
        self.namespaces = namespaces  # where written names resolve (`Constants.lookup`)
        self.memo: dict[int, tuple[Term, Term | None]] = {}

    def type_of(self, t: Term, depth: int = 0) -> Term | None:
        hit = self.memo.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        out = self._type_of(t, depth) if depth < MAX_DEPTH else None
        if out == UNSOLVED:
            out = None  # a type no argument fixed (`coeff p 1 : ?R`)
        self.memo[id(t)] = (t, out)
        return out

    def _type_of(self, t: Term, depth: int) -> Term | None:
        d = depth + 1
        if isinstance(t, Typed):
            return t.type
        if isinstance(t, Ident):
            return self._ident(t.name, (), d)
        if isinstance(t, App):
            return self._app(t, d)
        if isinstance(t, Proj):
            if t.field.isdigit():
                return _product_component(self.type_of(t.term, d), int(t.field))
            return self._dot(t.term, t.field.split("."), (), d)
        if isinstance(t, Tuple):  # `(a, b, c)` : `A × B × C` (`×` nests to the right)
            parts = [self.type_of(x, d) for x in t.items]
            if not parts or any(p is None for p in parts):
                return None
            out = parts[-1]
            for p in reversed(parts[:-1]):
                out = BinOp("×", p, out)  # type: ignore[arg-type]
            return out
        if isinstance(t, BinOp):
            return self._binop(t, d)
        if isinstance(t, Prefix):
            if t.op == "¬":
                return PROP
            if t.op == "⇑":  # a bundled map as a function (`DFunLike.coe`)
                ends = _map_ends(self.type_of(t.arg, d))
                return BinOp("→", ends[0], ends[1]) if ends is not None else None
            return self.type_of(t.arg, d) if t.op == "-" else None
        if isinstance(t, Postfix):
            return self.type_of(t.arg, d) if t.op in _SAME_TYPE_POSTFIX else None
        if isinstance(t, Enclosed):
            return self.type_of(t.term, d) if t.open == "|" else _ENCLOSED_TYPES.get(t.open)
        if isinstance(t, Quant):
            return self._quant(t, d)
        if isinstance(t, IfThenElse):
            return self.type_of(t.then, d) or self.type_of(t.else_, d)
        if isinstance(t, SetBuilder):
            return self._set_builder(t, d)
        return None

    def _set_builder(self, t: SetBuilder, d: int) -> Term | None:
        """`{x : T | p}` is a `Set T`, `{x ∈ s | p}` has the type of `s` (`Set.sep`,
        `Finset.filter`), `{x | p}` a `Set` of an element type left open (the
        `setOf` notation, Mathlib/Data/Set/Defs.lean)."""
        b = t.binder
        if b.pred_op == "∈" and b.pred is not None:
            return self.type_of(b.pred, d)
        if b.pred_op is not None:
            return None
        return App(Ident("Set"), (b.type if b.type is not None else UNSOLVED,))

    # -- pieces ------------------------------------------------------------------------
    def _binop(self, t: BinOp, d: int) -> Term | None:
        if t.op in _PROPS:
            return PROP
        if t.op in _ARITH:
            return self.type_of(t.lhs, d) or self.type_of(t.rhs, d)
        if t.op == "^":
            return self.type_of(t.lhs, d)
        if t.op == "•":
            return self.type_of(t.rhs, d)
        if t.op == "×":  # a product of types is a type (`Prod`, Lean core)
            if isinstance(self.type_of(t.lhs, d), Sort) or isinstance(self.type_of(t.rhs, d),
                                                                       Sort):
                return TYPE
            return None
        if t.op in ("''", "⁻¹'"):  # `Set.image`, `Set.preimage` (Data/Set/Defs.lean)
            ends = _map_ends(self.type_of(t.lhs, d))
            if ends is not None:
                return App(Ident("Set"), (ends[1] if t.op == "''" else ends[0],))
            return None
        if t.op == "∘":  # `Function.comp : (β → δ) → (α → β) → α → δ` (Lean core)
            outer, inner = _map_ends(self.type_of(t.lhs, d)), _map_ends(self.type_of(t.rhs, d))
            if outer is not None and inner is not None:
                return BinOp("→", inner[0], outer[1])
            return None
        if t.op == "≫":  # `comp : (X ⟶ Y) → (Y ⟶ Z) → (X ⟶ Z)` (Category/Basic.lean:127)
            tl, tr = self.type_of(t.lhs, d), self.type_of(t.rhs, d)
            if isinstance(tl, BinOp) and isinstance(tr, BinOp) and tl.op == tr.op == "⟶":
                return BinOp("⟶", tl.lhs, tr.rhs)
        return None

    def _quant(self, t: Quant, d: int) -> Term | None:
        if t.op in _PROP_QUANTS:
            return PROP
        if t.op in _FUN:
            return self._fun(t, d)
        if t.op in _BIG_OPS:
            bound = frozenset(n for g in t.binders for n in g.names)
            inner = Inference(self.consts, {k: v for k, v in self.local.items()
                                            if k not in bound}, self.tvars, self.unify,
                              self.hidden | bound, self.namespaces)
            return inner.type_of(t.body, d)
        return None

    def _fun(self, t: Quant, d: int) -> Term | None:
        """`fun (x : T) (y : U) ↦ b`: `T → U → type of b` (every binder typed)."""
        local = dict(self.local)
        doms: list[Term] = []
        for g in t.binders:
            if g.type is None or g.pred_op is not None or not g.names:
                return None
            for n in g.names:
                local[n] = g.type
                doms.append(g.type)
        bound = frozenset(local) - frozenset(self.local)
        inner = Inference(self.consts, local, self.tvars, self.unify, self.hidden - bound,
                          self.namespaces)
        body = inner.type_of(t.body, d)
        if body is None or _mentions(body, [n for g in t.binders for n in g.names]):
            return None
        for dom in reversed(doms):
            body = BinOp("→", dom, body)
        return body

    def _ident(self, name: str, args: tuple[Term, ...], d: int) -> Term | None:
        if name in self.local:
            return self._apply_local(self.local[name], args, d)
        first, _, rest = name.partition(".")
        if name in self.hidden or first in self.hidden:
            return None
        if rest and first in self.local:
            return self._dot(Ident(first), rest.split("."), args, d)
        got = self._constant(name, args, d)
        if got is None and self.consts is not None and not self.consts.candidates(name):
            body = self.consts.token_body(name, self.namespaces or None)  # `π`: `Real.pi`
            if body is not None and body != Ident(name) and (not args or isinstance(
                    body, Ident)):  # `𝓝 a`: `nhds a`
                return self.type_of(App(body, args) if args else body, d)
        return got

    def _app(self, t: App, d: int) -> Term | None:
        fn = t.fn.term if isinstance(t.fn, Explicit) else t.fn
        if isinstance(t.fn, Explicit):
            return None  # `@f`: every argument explicit, a different binder count
        if isinstance(fn, Ident):
            return self._ident(fn.name, t.args, d)
        if isinstance(fn, Proj) and not fn.field.isdigit():
            return self._dot(fn.term, fn.field.split("."), t.args, d)
        ft = self.type_of(fn, d)
        return self._apply_local(ft, t.args, d) if ft is not None else None

    def _apply_local(self, ty: Term, args: tuple[Term, ...], d: int) -> Term | None:
        """A variable's type applied to `args`: arrows and bundled maps peel one argument
        each (a dependent `∀` only when its bound names do not occur in the result); a
        type-level definition unfolds to its body first (`M i j`, `M : Matrix m n α`,
        `def Matrix (m n α) := m → n → α`)."""
        for a in args:
            if isinstance(a, NamedArg):
                return None
            if not isinstance(ty, (BinOp, Quant)):
                ty = self._unfold(ty) or ty
            ends = _map_ends(ty) or self._fun_like_ends(ty)
            if ends is not None:
                ty = ends[1]
            elif isinstance(ty, Quant) and ty.op in ("∀", "Π") and ty.binders:
                bound = {n for g in ty.binders for n in g.names}
                first = ty.binders[0]
                if len(ty.binders) > 1 or len(first.names) > 1:
                    return None
                if _mentions(ty.body, bound):
                    return None
                ty = ty.body
            else:
                return None
        return ty

    def _unfold(self, ty: Term) -> Term | None:
        """The body of the definition heading `ty`, its explicit parameters replaced by
        `ty`'s arguments, when the body is read and mentions no other parameter."""
        head = ty.fn if isinstance(ty, App) else ty
        args = ty.args if isinstance(ty, App) else ()
        if not isinstance(head, Ident) or self.consts is None:
            return None
        for sig in self.consts.lookup(head.name, self.namespaces):
            if sig.kind not in ("def", "abbrev") or sig.body is None:
                continue
            params = flat_binders(sig)
            explicit = [n for n, _, k in params if k == "explicit"]
            others = [n for n, _, k in params if k != "explicit"]
            if len(explicit) == len(args) and not _mentions(sig.body, others):
                return subst(sig.body, dict(zip(explicit, args)))
        return None

    def _dot(self, recv: Term, fields: list[str], args: tuple[Term, ...], d: int
             ) -> Term | None:
        """`recv.f₁.f₂ args`: each field resolved in the namespace of the head of the
        receiver's type, the receiver its first explicit argument of that type."""
        cur_t = self.type_of(recv, d)
        cur: Term = recv
        for k, f in enumerate(fields):
            if cur_t is None:
                return None
            last = k == len(fields) - 1
            got = None
            hit = self.field_declarations(cur, cur_t, f)
            if hit is not None:
                found, recv, h = hit
                got = self._constant(f"{head_name(h)}.{f}", args if last else (), d,
                                     receiver=(recv, h), found=found)
            elif f.startswith("to") and (not last or not args):
                got = self._parent_projection(cur, cur_t, f)
            if got is None:
                return None
            cur, cur_t = Proj(cur, f), got
        return cur_t

    def _parent_projection(self, recv: Term, ty: Term, field: str) -> Term | None:
        """`e.toRingEquiv` for `e` of a structure that `extends A ≃+* B`: the parent, its
        arguments substituted (Lean generates `S.toP` for each parent `P`; a parent
        written with a notation has no header of its own to read it from)."""
        for h, r in self._receiver_types(recv, ty):
            if r is not recv and isinstance(r, Typed) and f"to{head_name(h)}" == field:
                from lean_alchemy.index.typing.classes import norm

                return norm(r.type, self.tvars)
        return None

    def field_declarations(self, recv: Term, ty: Term, field: str
                           ) -> tuple[list[Sig], Term, str] | None:
        """The declarations `recv.field` may name (`recv : ty`), the receiver as their
        namespace's type and that namespace's head: the first namespace of
        `_receiver_types` that has the field (Lean looks in the next one, parent or
        unfolded body, only when one lacks it)."""
        for h, r in self._receiver_types(recv, ty):
            found = self._fields_of(h, field)
            if found:
                return found, r, h
        return None

    def _fields_of(self, head: str, field: str) -> list[Sig]:
        """The declarations `T.field` may be for a type headed by `head`: the one in the
        namespace of the type `head` resolves to in this scope, when that is one type
        (`F : C ⥤ D` is a `CategoryTheory.Functor`, whose `obj` is not the `obj` of
        the other `Functor`s of the library), else every `field` of a namespace ending in
        `head`'s last component."""
        if self.consts is None:
            return []
        if "." in head and head in self.consts.declared:  # a full name: that namespace
            full = f"{head}.{field}"  # (`Quiver.Hom`'s fields, no other `Hom`'s)
            return self.consts.named(full)
        types = [s for s in self.consts.lookup(head, self.namespaces)
                 if s.kind in _TYPE_FORMERS or s.kind in ("def", "abbrev", "core")]
        if len(types) == 1:
            full = f"{types[0].name}.{field}"
            exact = self.consts.named(full)
            if exact:
                return exact
        return self.consts.lookup(f"{head_name(head)}.{field}")

    def _receiver_types(self, recv: Term, ty: Term) -> Iterator[tuple[str, Term]]:
        """The namespaces dot notation on `recv : ty` looks in, in Lean's order, each
        with the receiver as that namespace's type: the head of `ty` (an infix operator
        read as the constant it stands for, `η : F ≅ G` in `Iso`), then the parents of a
        structure and the body of a definition, arguments substituted (`I : Ideal R`
        reaches `Submodule.spanFinrank` through `abbrev Ideal (R) := Submodule R R`)."""
        seen: set[str] = set()
        todo = [ty]
        while todo and len(seen) < MAX_UNFOLD:
            t = todo.pop(0)
            h = self._dot_head(t)
            if h is None or h in seen:
                continue
            seen.add(h)
            yield h, (recv if t is ty else Typed(recv, t))  # unfolded only when asked
            if isinstance(t, BinOp) and h == "Quiver.Hom":  # `α : F ⟶ G`: a `NatTrans F G`
                objects = self.type_of(t.lhs)
                arrows = self.consts.hom_of(objects) if objects is not None and \
                    self.consts is not None else None
                if arrows is not None:
                    todo.append(App(Ident(arrows), (t.lhs, t.rhs)))
            sigs = self.consts.lookup(h) if self.consts is not None else []
            if len(sigs) != 1:
                continue
            sig = sigs[0]
            params = [n for g in sig.binders if g.kind == "explicit" for n in g.names]
            args = t.args if isinstance(t, App) else ()
            if sig.kind in ("structure", "class") and len(args) == len(params):
                todo.extend(subst(p, dict(zip(params, args))) for p in sig.parents)
            elif sig.kind in ("def", "abbrev") and sig.body is not None and \
                    (sig.type is None or isinstance(sig.type, Sort)) and \
                    len(args) == len(params) and all(
                        g.kind in ("explicit", "inst") for g in sig.binders):
                # `abbrev Ideal (R) [Semiring R] := Submodule R R`: instances name nothing
                todo.append(subst(sig.body, dict(zip(params, args))))

    def _dot_head(self, t: Term) -> str | None:
        """The namespace dot notation looks in first for a value of type `t`: its head
        constant, the constant its type operator or postfix or glued notation stands
        for (`A →+* B`: `RingHom`; `K[X]`: `Polynomial`), `Function` for a function."""
        h = type_head_name(t)
        if h is not None or self.consts is None:
            return h
        if isinstance(t, BinOp) and t.op == "→":
            return "Function"
        if isinstance(t, BinOp):
            return self.consts.infix_head(t.op)
        if isinstance(t, Postfix):
            return self.consts.infix_head(t.op)
        if isinstance(t, Glued):  # a bracket no command keys: a `macro_rules` reading
            got = self.consts.notation_constants(t) or frozenset(
                self.consts.infix.get(VARIABLE_BRACKET) or ())
            return next(iter(got)) if len(got) == 1 else None
        return None

    def _constant(self, name: str, args: tuple[Term, ...], d: int,
                  receiver: tuple[Term, str] | None = None,
                  found: list[Sig] | None = None) -> Term | None:
        if self.consts is None:
            return None
        if found is None:
            found = self.consts.lookup(name, self.namespaces if receiver is None
                                       else frozenset())
        if not found:
            return None
        if len(found) == 1:
            return self._apply_sig(found[0], args, d, receiver)
        # several declarations the name may denote: one type when all give it; else the
        # overload Lean's elaboration keeps (`lift.{u} o`, `o : Ordinal`, in `namespace
        # Ordinal` with `open Cardinal`): every argument of the fitting ones unifies, every
        # other one has an argument that certainly clashes (an unknown argument type
        # decides nothing: the name may also be a notation the table does not list)
        applied = []  # (type, every argument unifies, some argument certainly clashes)
        for sig in found:
            fits: dict[str, bool | None] = {}
            ty = self._apply_sig(sig, args, d, receiver, fits=fits)
            applied.append((ty, bool(fits) and all(v is True for v in fits.values()),
                            False in fits.values()))
        types = {ty for ty, _, _ in applied}
        if len(types) == 1:
            return applied[0][0]
        fitting = {ty for ty, fit, _ in applied if fit}
        if len(fitting) == 1 and all(fit or clash for _, fit, clash in applied):
            return next(iter(fitting))
        return None

    def _apply_sig(self, sig: Sig, args: tuple[Term, ...], d: int,
                   receiver: tuple[Term, str] | None, solved: dict | None = None,
                   fits: dict[str, bool | None] | None = None) -> Term | None:
        """The type of `sig` applied to `args`; `solved`, when given, receives the
        binders, the arguments given to them and the solution of the others (`needs`);
        `fits`, when given, receives for each binder given an argument whether the
        argument's type unifies with it (True), certainly clashes (False) or is unknown."""
        sig_type = sig.type if sig.type is not None else self._unwritten_type(sig, d)
        if sig_type is None:
            if solved is None:
                return None
            sig_type = Hole("_")  # `abbrev Orientation := …`: the binders still solve
        binders = flat_binders(sig)
        sig_type, binders = _leading_binders(sig_type, binders)
        metas = frozenset(n for n, _, _ in binders)
        from lean_alchemy.index.typing.classes import norm

        s: dict[str, Term] = {}
        given: dict[str, Term] = {}
        explicit = [(n, ty) for n, ty, k in binders if k in ("explicit", "plain")]
        queue = list(args)
        if receiver is not None:
            recv, head = receiver
            at = next((i for i, (_, ty) in enumerate(explicit)
                       if ty is not None and (h := self._dot_head(ty)) is not None
                       and head_name(h) == head_name(head)), None)
            if at is None:
                return None
            given[explicit[at][0]] = recv  # the others filled in order around it
        pos = 0
        extra: list[Term] = []
        for a in queue:
            if isinstance(a, NamedArg):
                given[a.name] = a.value
                continue
            while pos < len(explicit) and explicit[pos][0] in given:
                pos += 1
            if pos >= len(explicit):
                extra.append(a)  # beyond the binders: through the result's arrows
                continue
            given[explicit[pos][0]] = a
            pos += 1
        for n, ty, _ in binders:
            v = given.get(n)
            if v is None or ty is None:
                continue
            vt = self.type_of(v, d)
            verdict: bool | None = None
            if vt is not None:
                pt = norm(subst(ty, given), metas)
                nv = norm(vt, self.tvars)
                if pt is not None and nv is not None:
                    verdict = self.unify(pt, nv, metas, s, self.tvars)
            if fits is not None:
                fits[n] = verdict
        self._unify_through_arrows(subst(sig_type, given), extra, metas, s, d)
        if solved is not None:
            solved.update(binders=binders, metas=metas, given=given, s=s)
        rest = [(n, ty) for n, ty in explicit[pos:] if n not in given]
        result: Term = sig_type
        for n, ty in reversed(rest):
            if ty is None or n in _free_names(result):
                return None
            result = BinOp("→", ty, result)
        out = norm(subst(subst(result, given), s), metas)
        unsolved = metas - frozenset(given) - frozenset(s)
        if out is None or type_head_name(out) in unsolved:
            return None
        if _mentions(out, unsolved):  # `atTop : Filter ?α`: the head is known
            out = subst(out, {n: UNSOLVED for n in unsolved})
        if extra:
            if rest:
                return None
            return self._apply_local(out, tuple(extra), d)
        return out


    def _unwritten_type(self, sig: Sig, d: int) -> Term | None:
        """The result type of a declaration whose header writes none: `Type _` for a
        structure, class or inductive type; for a definition, the type of its body
        (read for short definitions, `def sphere (x : α) (ε : ℝ) := {y | dist y x =
        ε}`) with its binders as locals, memoized on the table."""
        if sig.kind in _TYPE_FORMERS:
            return TYPE
        if sig.kind not in ("def", "abbrev") or sig.body is None or self.consts is None:
            return None
        memo = self.consts.body_types
        if sig.name in memo:
            return memo[sig.name]
        memo[sig.name] = None  # a body that mentions its own name
        local = {n: ty for n, ty, _ in flat_binders(sig) if ty is not None}
        tvars = frozenset(n for n, ty in local.items() if isinstance(ty, Sort))
        inner = Inference(self.consts, local, tvars, self.unify,
                          namespaces=frozenset({sig.name.rpartition(".")[0]}) - {""})
        got = inner.type_of(sig.body, d)
        from lean_alchemy.index.typing.classes import norm

        memo[sig.name] = out = norm(got, frozenset(local)) if got is not None else None
        return out

    def _unify_through_arrows(self, ty: Term, extra: list[Term], metas: frozenset[str],
                              s: dict[str, Term], d: int) -> None:
        """Arguments beyond the binders (`Dist.dist : α → α → ℝ` applied to `u v`) solve
        the binders through the result's arrows' domains."""
        from lean_alchemy.index.typing.classes import norm

        for a in extra:
            ends = _map_ends(ty) or self._fun_like_ends(ty)
            if ends is None:
                return
            vt = self.type_of(a, d)
            pt, nv = norm(ends[0], metas), norm(vt, self.tvars) if vt is not None else None
            if pt is not None and nv is not None:
                self.unify(pt, nv, metas, s, self.tvars)
            ty = ends[1]

    def _fun_like_ends(self, ty: Term) -> tuple[Term, Term] | None:
        """Domain and codomain of a value of a bundled type applied through its `FunLike`
        instance (`μ s` for `μ : Measure α` is an `ℝ≥0∞`, `s : Set α`); None unless
        exactly one instance about that head matches."""
        h = type_head_name(ty)
        if h is None or self.consts is None or not self.consts.fun_like:
            return None
        hits = []
        for metas, pat, dom, cod in self.consts.fun_like.get(head_name(h), ()):
            s: dict[str, Term] = {}
            if self.unify(pat, ty, metas, s, self.tvars) is True:
                hits.append((subst(dom, s), subst(cod, s)))
        return hits[0] if len(hits) == 1 else None


def _map_ends(ty: Term | None) -> tuple[Term, Term] | None:
    """Domain and codomain of a function type or a bundled map (`A →+* B`, `e : A ≃ B`
    applied through its coercion), else None; a dependent `∀` has none."""
    if isinstance(ty, BinOp) and (ty.op == "→" or bundled_op(ty.op)):
        return ty.lhs, ty.rhs
    return None


def bundled_op(op: str) -> bool:
    """Bundled-map notations a value of which Lean applies as a function (`→+*`,
    `→ₗ[R]`, `≃`, `↪`, `→o`), not a category's morphism arrow `⟶`."""
    return op != "→" and op[:1] in ("→", "≃", "↪")


def type_head_name(t: Term) -> str | None:
    while isinstance(t, App):
        t = t.fn
    return t.name if isinstance(t, Ident) else None


def _free_names(t: Term) -> frozenset[str]:
    from lean_alchemy.grammar.walk import heads

    return heads(t)


def _mentions(t: Term, names: Iterable[str]) -> bool:
    return bool(_free_names(t) & frozenset(names))


def binder_types(groups: Iterable[BinderGroup]) -> dict[str, Term]:
    """Variable -> type of a candidate's binders (later binders shadow earlier ones)."""
    out: dict[str, Term] = {}
    for g in groups:
        if g.type is None:
            continue
        for n in g.names:
            out[n] = g.type
    return out

