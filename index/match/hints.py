"""Type hints: what the statement says about the type of each candidate sub-term.
  written name matches a rule constant it is a dotted suffix of (`succ` ~ `Nat.succ`);
The **type filter** (sound by construction: a match is dropped only when the types certainly
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
"""

from __future__ import annotations

from typing import Sequence

from lean_alchemy.grammar.ast import (
    App,
    BinOp,
    Enclosed,
    Ident,
    NamedArg,
    Num,
    Postfix,
    Prefix,
    Quant,
    Sort,
    Term,
    Typed,
    bound_in_child,
)
from lean_alchemy.grammar.walk import (
    ARITH_OPS,
    arith_leaves,
    last_component,
)
from lean_alchemy.index.match.patterns import BINDING_NODES, NUMBER_TYPES, children

TREE_RELS = frozenset({"=", "≠", "<", "≤", ">", "≥"})
_HOMOGENEOUS_FNS = frozenset({"min", "max", "abs"})
# number types Lean coerces upward along (ℕ+ → ℕ → ℤ → ℚ → ℝ → ℂ), never downward
_RANK = {"ℕ+": 0, "ℕ": 1, "ℤ": 2, "ℚ": 3, "ℝ": 4, "ℂ": 5}

# Infix type formers other than `→`/`×` (morphisms `⟶`, isomorphisms `≅`, bundled maps
# `→+*`, `↪`, functors `⥤`): spelled as an application `op(A,B)`, so a morphism variable
# has a hint that a generic pattern's evidence check can see, and no filter takes it for a
# function type.
TYPE_ARROW_STARTS = "⟶≅→≃↪⥤"

Hint = tuple[str, bool]  # (normalized type, exact: False = maybe coerced up from this type)
# The hint of a local whose declared type `type_key` cannot spell (`p : R[X]`, `f : Π i, α
# i`): a value of a type the statement declares, which no type comparison refutes
# (`compatible`, `rigid_clash`: `~` is a type that equals nothing and may coerce).  Why
# at all: a generic pattern's match needs some typed value (`untyped_generic`), and a
# declared variable ties the match to the statement's types as well as a spelled one.
UNSPELLED: Hint = ("~", False)


def looks_variable(name: str) -> bool:
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
        if looks_variable(t.name):
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
    if isinstance(t, BinOp) and t.op not in ("→", "×") and t.op[0] in TYPE_ARROW_STARTS:
        op = t.op
        if "(" in op:
            return None
        if "[" in op:  # `→ₗ[R]` keyed `→ₗ[]`: the decoration may name a binder, and two
            op = op[:op.index("[")] + "[]"  # types keyed alike are only never told apart
        lhs, rhs = type_key(t.lhs, locals_), type_key(t.rhs, locals_)
        if lhs is None or rhs is None:
            return None
        return f"{op}({lhs},{rhs})"  # like an application: never a function type
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


def top_operator(key: str) -> tuple[str, int] | None:
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
    top = top_operator(key)
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

    def __init__(self, env: dict[str, str | None], locals_: frozenset[str],
                 unspelled: frozenset[str] = frozenset()) -> None:
        self.env = env
        self.locals = locals_
        # locals whose declared type `type_key` cannot spell (`R[X]`, `Π i, α i`): absent
        # from `env`, so that a name `env` holds is bound in between (shadowed)
        self.unspelled = unspelled
        self.out: dict[int, Hint] = {}

    def declared(self, t: Term, env: dict[str, str | None]) -> bool:
        """Whether `t` is a local of an unspelled type, not shadowed: it gets `UNSPELLED`."""
        return isinstance(t, Ident) and t.name in self.unspelled and t.name not in env

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
        if isinstance(t, BinOp) and t.op in ("×", "→"):
            return self.type_former(t, env)
        return None

    def type_former(self, t: BinOp, env: dict[str, str | None]) -> str | None:
        """The sort of `A × B` or `A → B` built from locals that are types or propositions:
        a product of types is a type, an arrow has the sort of its codomain (`p → q` of
        propositions is one)."""
        lhs, rhs = self.own(t.lhs, env), self.own(t.rhs, env)
        if lhs is None or rhs is None or not lhs.startswith(_SORTS) or \
                not rhs.startswith(_SORTS):
            return None
        if t.op == "×":
            return "Type*" if lhs.startswith("Type") and rhs.startswith("Type") else None
        return rhs if rhs == "Prop" else "Type*" if rhs.startswith("Type") else None

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
            elif self.declared(x, env):
                self.out[id(x)] = UNSPELLED
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
            self.visit_type(t.type, env)
            return
        if isinstance(t, Ident) or isinstance(t, Num):
            return
        binding = isinstance(t, BINDING_NODES)
        for f, i, c in children(t):
            e = env
            if binding:
                bound = bound_in_child(t, f, i)
                if bound:  # shadowed: a bound variable's type is not the local's
                    e = dict(env)
                    for n in bound:
                        e[n] = None
            if isinstance(t, Quant) and f == "binders":
                continue
            self.visit(c, e)

    def visit_type(self, t: Term, env: dict[str, str | None]) -> None:
        """The locals of an ascribed type that are types themselves (`α` of `(f : α → β)`,
        `α : Type*`) have their sort as a maybe-coerced hint: a logic rule's `a → b`
        never binds them (`compatible`: a type is no proposition)."""
        if isinstance(t, Ident):
            key = env.get(t.name)
            if key is not None and key.startswith(_SORTS):
                self.out[id(t)] = (key, False)
        elif isinstance(t, BinOp) and t.op in ("→", "×"):
            self.visit_type(t.lhs, env)
            self.visit_type(t.rhs, env)

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
            elif self.declared(t, env):
                self.out[id(t)] = UNSPELLED
            self.visit_inside(t, env)


def infer_hints(t: Term, local_types: dict[str, Term]) -> dict[int, Hint]:
    """Type hints of the sub-terms of `t` (by node identity) from the binder types of the
    statement, ascriptions, the homogeneous arithmetic of `binop%`/`binrel%` units and
    `|x|`/`min`/`max`; numerals and `↑x` take the type of their unit.  Sound by
    construction: a sub-term without a clear type gets no hint."""
    locals_ = frozenset(local_types)
    env: dict[str, str | None] = {}
    unspelled: list[str] = []
    for n, ty in local_types.items():
        key = type_key(ty, locals_)
        if key is not None:
            env[n] = key
        elif _data_type(n, ty):
            unspelled.append(n)
    h = _Hinter(env, locals_, frozenset(unspelled))
    h.visit(t, env)
    return h.out


def _data_type(name: str, ty: Term | None) -> bool:
    """Whether a local declared `name : ty` is a value of some type rather than a proof, as
    far as the shape says: an application or a postfix type (`FractionalIdeal R⁰ K`,
    `R[X]`) or a Π-type of one, never a relation, a connective or a hypothesis's name
    (`h`, `hx`, `h₁`)."""
    body = ty
    while True:
        if isinstance(body, Quant) and body.op in ("∀", "Π"):
            body = body.body
        elif isinstance(body, BinOp) and body.op == "→" and isinstance(body.lhs, Typed):
            body = body.rhs  # `(i : ι) → α i`
        else:
            break
    if not isinstance(body, (App, Postfix)):
        return False
    return not (name[:1] == "h" and (len(name) == 1 or not name[1].isalpha()
                                     or name[1].islower()))


def compatible(want: str | None, hint: Hint | None) -> bool:
    """False only when a rule's type `want` (closed) certainly differs from the hinted type
    of a candidate sub-term.  A maybe-coerced hint `S` is refuted only by a number type
    below `S` (Lean has no downward coercions) or when `S` is a type variable."""
    if not want or want[0] in "?~" or hint is None:
        return True
    got, exact = hint
    if got == want:
        return True
    if exact or _sort_clash(want, got):
        return False
    if got.startswith("?") and want in _RANK:
        return False
    if got in _RANK and want in _RANK:
        return _RANK[got] <= _RANK[want]
    return True


_SORTS = ("Type", "Sort", "Prop")


def _sort_clash(want: str, got: str) -> bool:
    """A type (`α : Type*`) where a proposition goes, a proposition where a type goes, or
    either where a value of a type that is no sort goes (`ℕ`, `Finset α`): no coercion
    turns one into the other (`imp_iff_not_or`'s `a → b` on the type `α → α` of an
    ascription would make `α` a hypothesis).  `Sort*` may be either; a proposition may
    become a `Bool` (`decide`)."""
    if not got.startswith(_SORTS):
        return False
    if not want.startswith(_SORTS):
        return not (got == "Prop" and want == "Bool")
    return (want == "Prop" and got.startswith("Type")) or (
        got == "Prop" and want.startswith("Type"))


def closed_key(key: str | None) -> str | None:
    return key if key and "?" not in key and "~" not in key else None


def rule_equation_type(lhs: Term, rhs: Term | None, names: Sequence[str],
                       types: Sequence[Term | None]) -> str | None:
    """The closed type of both sides of a rule's equation `lhs = rhs`, inferred like a
    candidate's (`infer_hints`) from the rule's binder types; None when unknown or when it
    mentions the rule's own variables (`α`: any type)."""
    local = {n: t for n, t in zip(names, types) if n and t is not None}
    eq = BinOp("=", lhs, rhs) if rhs is not None else lhs
    h = infer_hints(eq, local).get(id(lhs))
    return closed_key(h[0]) if h is not None else None


# Types whose head is an inductive type or a structure in Lean core, and the number types that
# are (`ℕ+`, `ℝ≥0`, `ℝ≥0∞` are definitions that unfold to `Subtype`/`Option`: not listed).
