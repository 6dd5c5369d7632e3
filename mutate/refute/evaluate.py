"""Compile a statement AST into Python closures with Lean's semantics.

Long because: one `Compiler`, whose type inference and closures recurse into each other.

Why compile: a statement is evaluated under ~100 assignments, so the AST is walked once
(types resolved, identifiers looked up, operations chosen) and the result is a tree of
closures `env -> value` where `env` is a list of slot values.

Type inference follows Lean's elaborators closely enough to be exact on the fragment, and
refuses (`NotEvaluable`) wherever it is not sure:
- Arithmetic trees (`+ - * / %`, unary `-`, the base of `^`) and relations (`= ≠ < ≤ > ≥`)
  are elaborated like Lean's `binop%`/`binrel%`: the leaves' types (and the expected type)
  give a "max type" on the chain ℕ → ℤ → ℚ → ℝ, every operation is done at that type and
  leaves of a smaller type are cast (`(n - m : ℤ)` with `n m : ℕ` is `↑n - ↑m`).
- Numerals, `↑x`, and sums/`if`s of numerals take their type from that context; a tree of
  nothing but integer numerals defaults to ℕ (Lean's default `OfNat` instance).
- Function arguments never mix types (`min (n : ℕ) (z : ℤ)` is refused).
- An identifier is a bound variable or one of the known constants below; anything else
  (`π`, `Real.sqrt`, a structure field, a hypothesis name) is not evaluable.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Enclosed, Ident, IfThenElse, Num, Postfix, Prefix, Proj, Quant,
    Sort, Term, Typed, subterms,
)
from lean_alchemy.mutate.refute import values as V
from lean_alchemy.grammar.walk import ARITH_OPS, arith_leaves
from lean_alchemy.mutate.refute.values import B, FIELDS, N, NAMESPACE, NUMERIC, P, Q, R, Z

Fn = Callable[[list], object]
Ctx = dict  # name -> (type, slot)

RELS = {"=", "≠", "<", "≤", ">", "≥"}
LOGIC = {"∧", "∨", "→", "↔"}


class NotEvaluable(Exception):
    """The term leaves the fragment; the message says which construct."""


def _ne(msg: str) -> NotEvaluable:
    return NotEvaluable(msg)


def type_of_ast(t: Term | None) -> str | None:
    """The fragment type a type AST names (`ℕ`, `Nat`, ...), else None."""
    if isinstance(t, Ident):
        return V.TYPE_NAMES.get(t.name)
    if isinstance(t, Sort) and t.text == "Prop":
        return P  # the grammar reads the keyword `Prop` as a sort (it is `Sort 0`)
    return None


def is_arith(t: Term) -> bool:
    return (isinstance(t, BinOp) and (t.op in ARITH_OPS or t.op == "^")) or (
        isinstance(t, Prefix) and t.op == "-")


def _int_literal(text: str) -> int | None:
    s = text.replace("_", "")
    try:
        if s[:2].lower() in ("0x", "0b", "0o"):
            return int(s, 0)
        if s.isdigit():
            return int(s)
    except ValueError:
        return None
    return None


def _join(types: list[str | None], what: str) -> str | None:
    out: str | None = None
    for ty in types:
        try:
            out = V.join(out, ty)
        except TypeError:
            raise _ne(f"mixed types {out} and {ty} in {what}") from None
    return out


def _cast_sensitive(t: Term) -> bool:
    """Whether `t` contains an operation that does not commute with ℕ → ℤ → ℚ casts."""
    for _, s, _ in subterms(t):
        if isinstance(s, BinOp) and s.op in ("-", "/", "%"):
            return True
        if isinstance(s, Postfix) and s.op == "⁻¹":
            return True
    return False


# Monomorphic functions: canonical name -> (argument types, result type, implementation).
MONO: dict[str, tuple[tuple[str, ...], str, Callable]] = {
    "Nat.gcd": ((N, N), N, V.nat_gcd),
    "Nat.lcm": ((N, N), N, V.nat_lcm),
    "Nat.factorial": ((N,), N, V.factorial),
    "Nat.choose": ((N, N), N, V.choose),
    "Nat.succ": ((N,), N, lambda a: a + 1),
    "Nat.pred": ((N,), N, lambda a: a - 1 if a else 0),
    "Nat.sqrt": ((N,), N, V.nat_sqrt),
    "Nat.Prime": ((N,), P, V.is_prime),
    "Nat.Coprime": ((N, N), P, lambda a, b: V.nat_gcd(a, b) == 1),
    "Nat.add": ((N, N), N, lambda a, b: a + b),
    "Nat.sub": ((N, N), N, V.nat_sub),
    "Nat.mul": ((N, N), N, lambda a, b: a * b),
    "Nat.div": ((N, N), N, V.nat_div),
    "Nat.mod": ((N, N), N, V.nat_mod),
    "Nat.ModEq": ((N, N, N), P, lambda n, a, b: V.nat_mod(a, n) == V.nat_mod(b, n)),
    "Int.ModEq": ((Z, Z, Z), P, lambda n, a, b: V.int_emod(a, n) == V.int_emod(b, n)),
    "Int.gcd": ((Z, Z), N, lambda a, b: V.nat_gcd(abs(a), abs(b))),
    "Int.lcm": ((Z, Z), N, lambda a, b: V.nat_lcm(abs(a), abs(b))),
    "Int.natAbs": ((Z,), N, abs),
    "Int.toNat": ((Z,), N, lambda a: a if a > 0 else 0),
    "Int.sign": ((Z,), Z, V.int_sign),
    "Int.ofNat": ((N,), Z, lambda a: a),
    "Int.negSucc": ((N,), Z, lambda a: -a - 1),
    "Int.ediv": ((Z, Z), Z, V.int_ediv),
    "Int.emod": ((Z, Z), Z, V.int_emod),
    "Int.fdiv": ((Z, Z), Z, V.int_fdiv),
    "Int.fmod": ((Z, Z), Z, V.int_fmod),
    "Int.tdiv": ((Z, Z), Z, V.int_tdiv),
    "Int.tmod": ((Z, Z), Z, V.int_tmod),
    "Rat.num": ((Q,), Z, lambda q: q.numerator),
    "Rat.den": ((Q,), N, lambda q: q.denominator),
    "Bool.not": ((B,), B, lambda b: not b),
    "Bool.and": ((B, B), B, lambda a, b: a and b),
    "Bool.or": ((B, B), B, lambda a, b: a or b),
    "Bool.xor": ((B, B), B, lambda a, b: a != b),
    "not": ((B,), B, lambda b: not b),
    "decide": ((P,), B, lambda p: p),
    "Not": ((P,), P, lambda p: not p),
}

# Polymorphic functions: name -> (allowed α, result type or None for α, implementation(α)).
POLY: dict[str, tuple[tuple[str, ...], str | None, int, Callable]] = {
    "min": (NUMERIC, None, 2, lambda ty: min),
    "max": (NUMERIC, None, 2, lambda ty: max),
    "abs": ((Z, Q, R), None, 1, lambda ty: abs),
    # bare `gcd`/`lcm` on ℤ may be `Int.gcd : ℤ → ℤ → ℕ` (inside `namespace Int` or with
    # `open Int`) or `_root_.gcd : ℤ`: the type is ambiguous without the scope, so ℕ only
    "gcd": ((N,), None, 2, lambda ty: V.nat_gcd),
    "lcm": ((N,), None, 2, lambda ty: V.nat_lcm),
    "Even": ((N, Z), P, 1, lambda ty: lambda a: a % 2 == 0),
    "Odd": ((N, Z), P, 1, lambda ty: lambda a: a % 2 == 1),
    "Prime": ((N, Z), P, 1, lambda ty: lambda a: V.is_prime(abs(a))),
    "Int.floor": ((Q, R), Z, 1, lambda ty: V.floor),
    "Int.ceil": ((Q, R), Z, 1, lambda ty: V.ceil),
    "Int.fract": ((Q, R), None, 1, lambda ty: lambda x: x - V.floor(x)),
    "Nat.floor": ((Q, R), N, 1, lambda ty: lambda x: max(0, V.floor(x))),
    "Nat.ceil": ((Q, R), N, 1, lambda ty: lambda x: max(0, V.ceil(x))),
    "id": (NUMERIC + (B, P), None, 1, lambda ty: lambda a: a),
}

CONSTS: dict[str, tuple[str, object]] = {
    "True": (P, True), "False": (P, False), "true": (B, True), "false": (B, False),
    "Bool.true": (B, True), "Bool.false": (B, False),
}

# Interval constructors: unqualified, `Finset.` or `Set.` (membership agrees).
INTERVALS = {"range", "Icc", "Ico", "Ioc", "Ioo", "Iic", "Iio", "Ici", "Ioi"}


def _interval_name(t: Term) -> tuple[str, tuple[Term, ...]] | None:
    if isinstance(t, App) and isinstance(t.fn, Ident):
        name = t.fn.name
        for pre in ("Finset.", "Set.", "_root_.Finset.", "_root_.Set.", ""):
            if name.startswith(pre) and name[len(pre):] in INTERVALS:
                if pre.endswith("Set.") and name[len(pre):] == "range":
                    return None  # Set.range f is the image of a function
                kind = name[len(pre):]
                want = 1 if kind in ("range", "Iic", "Iio", "Ici", "Ioi") else 2
                if len(t.args) == want:
                    return kind, t.args
    return None


def _member(kind: str) -> Callable:
    return {
        "range": lambda x, n: 0 <= x < n,
        "Icc": lambda x, a, b: a <= x <= b,
        "Ico": lambda x, a, b: a <= x < b,
        "Ioc": lambda x, a, b: a < x <= b,
        "Ioo": lambda x, a, b: a < x < b,
        "Iic": lambda x, b: x <= b,
        "Iio": lambda x, b: x < b,
        "Ici": lambda x, a: a <= x,
        "Ioi": lambda x, a: a < x,
    }[kind]


def _enumerate(kind: str, ty: str) -> Callable:
    """Elements of a finite interval, in order; ℕ/ℤ only, infinite ones refused."""
    lo_open = kind in ("Ioc", "Ioo")
    hi_open = kind in ("Ico", "Ioo", "Iio", "range")
    if kind in ("Ici", "Ioi") or (ty == Z and kind in ("Iic", "Iio")):
        raise _ne(f"infinite interval {kind} over {ty}")

    def elems(*bounds):
        if len(bounds) == 1:
            lo, hi = 0, bounds[0]
        else:
            lo, hi = bounds
        start = lo + 1 if lo_open else lo
        stop = hi if hi_open else hi + 1
        if stop - start > V.MAX_RANGE:
            raise V.TooBig("range too long")
        return range(start, stop)
    return elems


class Compiler:
    """Turns terms into closures over a slot environment; one instance per statement."""

    def __init__(self) -> None:
        self.nslots = 0
        # loop iterations of the current assignment, shared by every loop closure; the
        # caller resets it before each assignment (nested ranges multiply quickly)
        self.steps = [0]

    def slot(self) -> int:
        self.nslots += 1
        return self.nslots - 1

    # ------------------------------------------------------------ name resolution

    def resolve(self, t: Term, ctx: Ctx) -> Term:
        """Rewrite dot notation on variables (`n.succ`, `a.gcd b`, `(n+1).factorial`) into
        applications of the namespaced function (`Nat.succ n`): Lean resolves `x.f` with
        `x : T` to `T.f x`."""
        if isinstance(t, Ident):
            parts = t.name.split(".")
            if len(parts) > 1 and parts[0] in ctx:
                cur: Term = Ident(parts[0])
                for field in parts[1:]:
                    cur = self._field(cur, field, ctx)
                return cur
            return t
        if isinstance(t, App):
            fn = self.resolve(t.fn, ctx)
            if fn is not t.fn:
                if isinstance(fn, App):
                    return App(fn.fn, fn.args + t.args)
                return App(fn, t.args)
            return t
        if isinstance(t, Proj):
            return self._field(t.term, t.field, ctx)
        return t

    def _field(self, obj: Term, field: str, ctx: Ctx) -> Term:
        ty = self.infer(obj, ctx)
        if ty is None or ty not in NAMESPACE or field.isdigit():
            raise _ne(f"projection .{field} of a term of unknown type")
        return App(Ident(f"{NAMESPACE[ty]}.{field}"), (obj,))

    # ------------------------------------------------------------ type inference

    def infer(self, t: Term, ctx: Ctx) -> str | None:
        """The type Lean gives `t` on its own, or None if it comes from the context."""
        if isinstance(t, Num):
            return None
        if isinstance(t, Ident):
            if t.name in ctx:
                return ctx[t.name][0]
            if t.name in CONSTS:
                return CONSTS[t.name][0]
            r = self.resolve(t, ctx)
            if r is t:
                raise _ne(f"unknown identifier {t.name}")
            return self.infer(r, ctx)
        if isinstance(t, Typed):
            ty = type_of_ast(t.type)
            if ty is None:
                raise _ne("type ascription outside the fragment")
            return ty
        if is_arith(t):
            return _join([self.infer(x, ctx) for x in arith_leaves(t, [])], "arithmetic")
        if isinstance(t, (Prefix, BinOp, Postfix, Enclosed)):
            return self._infer_notation(t, ctx)
        if isinstance(t, IfThenElse):
            a, b = self.infer(t.then, ctx), self.infer(t.else_, ctx)
            if a is not None and b is not None and a != b:
                raise _ne("if-branches of different types")
            return a if a is not None else b
        if isinstance(t, Quant):
            if t.op in ("∀", "∃"):
                return P
            if t.op in ("∑", "∏"):
                _, inner = self._bind_range(t.binders, ctx)
                return self.infer(t.body, inner)
            raise _ne(f"binder notation {t.op}")
        if isinstance(t, (App, Proj)):
            return self._infer_application(t, ctx)
        raise _ne(f"construct {type(t).__name__}")

    def _infer_notation(self, t: Prefix | BinOp | Postfix | Enclosed, ctx: Ctx) -> str | None:
        """`infer` for prefix, infix and postfix operators and enclosing notation."""
        if isinstance(t, Prefix):
            if t.op == "↑":
                return None
            if t.op == "¬":
                return P
            if t.op == "!":
                return B
            raise _ne(f"prefix operator {t.op}")
        if isinstance(t, BinOp):
            if t.op in RELS or t.op in LOGIC or t.op in ("∣", "∈", "∉"):
                return P
            if t.op in ("&&", "||", "==", "!="):
                return B
            raise _ne(f"operator {t.op}")
        if isinstance(t, Postfix):
            if t.op == "!":
                return N
            if t.op == "⁻¹":
                ty = self.infer(t.arg, ctx)
                if ty is not None and ty not in FIELDS:
                    raise _ne(f"inverse in {ty}")
                return ty
            raise _ne(f"postfix operator {t.op}")
        if isinstance(t, Enclosed):
            if t.open == "|":
                return self.infer(t.term, ctx)
            if t.open in ("⌊", "⌈"):
                return Z
            if t.open in ("⌊₊", "⌈₊"):
                return N
            raise _ne(f"notation {t.open}…")
        raise _ne(f"construct {type(t).__name__}")

    def _infer_application(self, t: App | Proj, ctx: Ctx) -> str | None:
        """`infer` for a function of the fragment applied to arguments."""
        r = self.resolve(t, ctx)
        if not isinstance(r, App) or not isinstance(r.fn, Ident):
            raise _ne("application of a non-constant")
        name = r.fn.name
        if name in MONO:
            return MONO[name][1]
        if name in POLY:
            _, result, arity, _ = POLY[name]
            if len(r.args) != arity:
                raise _ne(f"{name} with {len(r.args)} arguments")
            if result is not None:
                return result
            return self._poly_type(name, r.args, ctx, None)
        if name in ("Nat.cast", "Int.cast", "Rat.cast"):
            return None
        if _interval_name(r) is not None:
            raise _ne("a set used as a value")
        raise _ne(f"unknown function {name}")

    def _poly_type(self, name: str, args: tuple[Term, ...], ctx: Ctx,
                   expected: str | None) -> str | None:
        known = [self.infer(a, ctx) for a in args]
        ks = {k for k in known if k is not None}
        if len(ks) > 1:
            raise _ne(f"{name} applied to arguments of different types")
        return ks.pop() if ks else expected

    # ------------------------------------------------------------ compilation

    def comp(self, t: Term, ctx: Ctx, ty: str, leaf: bool = False) -> Fn:
        """A closure computing `t` as a value of type `ty` (casting when Lean would).

        `leaf`: `t` is a leaf of a binop%/binrel% tree, which Lean elaborates without an
        expected type and then casts.  Otherwise `ty` is an expected type that Lean
        propagates into `if`-branches, `∑` bodies and polymorphic function arguments, where
        `(if c then n - m else 0 : ℤ)` means `↑n - ↑m`: computing at ℕ and casting would be
        wrong, so such terms are refused unless the cast commutes with every operation.
        """
        if is_arith(t):
            mt = _join([self.infer(x, ctx) for x in arith_leaves(t, [])] + [ty], "arithmetic")
            if mt != ty:
                raise _ne(f"cannot coerce {mt} to {ty}")
            return self._arith(t, ctx, ty)
        nt = self.infer(t, ctx)
        if nt is None or nt == ty:
            return self._comp_at(t, ctx, ty)
        if not V.can_coerce(nt, ty):
            raise _ne(f"cannot coerce {nt} to {ty}")
        if not leaf and self._propagates(t, ctx) and _cast_sensitive(t):
            raise _ne("expected type propagated into a term with truncating operations")
        f = self._comp_at(t, ctx, nt)
        if ty in FIELDS and nt in (N, Z):
            return lambda env: Fraction(f(env))
        return f

    def _propagates(self, t: Term, ctx: Ctx) -> bool:
        """Whether Lean pushes an expected type into `t` (polymorphic result types);
        functions with a fixed result type (`Nat.gcd : ℕ → ℕ → ℕ`) do not."""
        if isinstance(t, (Quant, IfThenElse, Enclosed)):
            return True
        if isinstance(t, (App, Proj, Ident)):
            r = self.resolve(t, ctx)
            return not (isinstance(r, App) and isinstance(r.fn, Ident) and r.fn.name in MONO)
        return False

    def _leaf(self, t: Term, ctx: Ctx, ty: str) -> Fn:
        return self.comp(t, ctx, ty, leaf=True)

    def _arith(self, t: Term, ctx: Ctx, ty: str) -> Fn:
        if isinstance(t, Prefix):  # unary minus
            if ty == N:
                raise _ne("negation in ℕ")
            a = self._arith_or_leaf(t.arg, ctx, ty)
            return lambda env: -a(env)
        assert isinstance(t, BinOp)
        if t.op == "^":
            return self._pow(t, ctx, ty)
        a = self._arith_or_leaf(t.lhs, ctx, ty)
        b = self._arith_or_leaf(t.rhs, ctx, ty)
        op = t.op
        chk = V.check
        if op == "+":  # sizes grow by one bit at most: only `*` and `^` need bounds
            return lambda env: a(env) + b(env)
        if op == "*":
            return lambda env: chk(a(env) * b(env))
        if op == "-":
            if ty == N:
                return lambda env: V.nat_sub(a(env), b(env))
            return lambda env: a(env) - b(env)
        if op == "/":
            fn = {N: V.nat_div, Z: V.int_ediv, Q: V.field_div, R: V.field_div}[ty]
            return lambda env: fn(a(env), b(env))
        if op == "%":
            if ty in FIELDS:
                raise _ne(f"% in {ty}")
            fn = V.nat_mod if ty == N else V.int_emod
            return lambda env: fn(a(env), b(env))
        raise _ne(f"operator {op}")

    def _arith_or_leaf(self, t: Term, ctx: Ctx, ty: str) -> Fn:
        return self._arith(t, ctx, ty) if is_arith(t) else self._leaf(t, ctx, ty)

    def _pow(self, t: BinOp, ctx: Ctx, ty: str) -> Fn:
        base = self._arith_or_leaf(t.lhs, ctx, ty)
        et = self.infer(t.rhs, ctx)
        if et is None:
            et = self._default(t.rhs)  # `x ^ 2`: Monoid.npow is the default instance
        if et == N:
            e = self.comp(t.rhs, ctx, N)
            return lambda env: V.npow(base(env), e(env))
        if et == Z and ty in FIELDS:
            e = self.comp(t.rhs, ctx, Z)
            return lambda env: V.zpow(base(env), e(env))
        raise _ne(f"power {ty} ^ {et}")

    def _comp_at(self, t: Term, ctx: Ctx, ty: str) -> Fn:
        """Compile `t` at exactly its own type `ty` (the type inference agreed or was open)."""
        if isinstance(t, Num):
            n = _int_literal(t.text)
            if ty in (N, Z):
                if n is None:
                    raise _ne(f"literal {t.text} in {ty}")
                return lambda env: n
            if ty in FIELDS:
                try:
                    q = Fraction(n) if n is not None else Fraction(t.text.replace("_", ""))
                except ValueError:
                    raise _ne(f"literal {t.text}") from None
                return lambda env: q
            raise _ne(f"numeral of type {ty}")
        if isinstance(t, Ident):
            if t.name in ctx:
                vty, s = ctx[t.name]
                if vty != ty:
                    raise _ne(f"{t.name} used at type {ty}")
                return lambda env: env[s]
            if t.name in CONSTS:
                v = CONSTS[t.name][1]
                return lambda env: v
            return self._comp_at(self.resolve(t, ctx), ctx, ty)
        if isinstance(t, Typed):
            inner = type_of_ast(t.type)
            assert inner is not None
            return self.comp(t.term, ctx, inner)
        if isinstance(t, Prefix):
            if t.op == "↑":
                return self._cast(t.arg, ctx, ty)
            if t.op == "¬":
                a = self.prop(t.arg, ctx)
                return lambda env: not a(env)
            if t.op == "!":
                a = self.comp(t.arg, ctx, B)
                return lambda env: not a(env)
        if isinstance(t, BinOp):
            return self._binop(t, ctx, ty)
        if isinstance(t, Postfix):
            if t.op == "!":
                a = self.comp(t.arg, ctx, N)
                return lambda env: V.factorial(a(env))
            if t.op == "⁻¹":
                if ty not in FIELDS:
                    raise _ne(f"inverse in {ty}")
                a = self.comp(t.arg, ctx, ty)
                return lambda env: V.field_inv(a(env))
        if isinstance(t, Enclosed):
            return self._enclosed(t, ctx, ty)
        if isinstance(t, IfThenElse):
            c = self.prop(t.cond, ctx)
            a = self.comp(t.then, ctx, ty)
            b = self.comp(t.else_, ctx, ty)
            return lambda env: a(env) if c(env) else b(env)
        if isinstance(t, Quant):
            return self._quant(t, ctx, ty)
        if isinstance(t, (App, Proj)):
            return self._app(self.resolve(t, ctx), ctx, ty)
        raise _ne(f"construct {type(t).__name__}")

    def _cast(self, arg: Term, ctx: Ctx, ty: str) -> Fn:
        src = self.infer(arg, ctx)
        if src is None:
            raise _ne("coercion ↑ of a term of undetermined type")
        if not V.can_coerce(src, ty):
            raise _ne(f"coercion from {src} to {ty}")
        # `↑(n - m)` elaborates `n - m` at its own type first, then casts the result
        f = self.comp(arg, ctx, src)
        if ty in FIELDS and src in (N, Z):
            return lambda env: Fraction(f(env))
        return f

    def prop(self, t: Term, ctx: Ctx) -> Fn:
        ty = self.infer(t, ctx)
        if ty not in (P, B):
            raise _ne(f"expected a proposition, got {ty}")
        return self.comp(t, ctx, P)

    def _binop(self, t: BinOp, ctx: Ctx, ty: str) -> Fn:
        op = t.op
        if op in LOGIC:
            a, b = self.prop(t.lhs, ctx), self.prop(t.rhs, ctx)
            if op == "∧":
                return lambda env: a(env) and b(env)
            if op == "∨":
                return lambda env: a(env) or b(env)
            if op == "→":
                return lambda env: (not a(env)) or b(env)
            return lambda env: a(env) == b(env)
        if op in ("&&", "||"):
            a, b = self.comp(t.lhs, ctx, B), self.comp(t.rhs, ctx, B)
            if op == "&&":
                return lambda env: a(env) and b(env)
            return lambda env: a(env) or b(env)
        if op in RELS or op in ("==", "!="):
            return self._rel(t, ctx)
        if op == "∣":
            lt, rt = self._side_type(t.lhs, ctx), self._side_type(t.rhs, ctx)
            if lt is not None and rt is not None and lt != rt:
                raise _ne("∣ between different types")
            dt = lt or rt or self._default(t.lhs, t.rhs)
            if dt not in (N, Z):
                raise _ne(f"∣ in {dt}")
            a, b = self.comp(t.lhs, ctx, dt), self.comp(t.rhs, ctx, dt)
            return lambda env: V.dvd(a(env), b(env))
        if op in ("∈", "∉"):
            f = self._membership(t.lhs, t.rhs, ctx)
            if op == "∉":
                return lambda env: not f(env)
            return f
        raise _ne(f"operator {op}")

    def _side_type(self, t: Term, ctx: Ctx) -> str | None:
        return self.infer(t, ctx)

    def _default(self, *sides: Term) -> str:
        """Lean's default numeral type (ℕ), only when every leaf is an integer literal."""
        for s in sides:
            for leaf in arith_leaves(s, []):
                if not (isinstance(leaf, Num) and _int_literal(leaf.text) is not None):
                    raise _ne("type of a term cannot be determined")
        return N

    def _rel(self, t: BinOp, ctx: Ctx) -> Fn:
        leaves = arith_leaves(t.lhs, []) + arith_leaves(t.rhs, [])
        types = [self.infer(x, ctx) for x in leaves]
        nonnum = {x for x in types if x is not None and x not in NUMERIC}
        op = t.op
        if nonnum:
            if op not in ("=", "≠", "==", "!=") or is_arith(t.lhs) or is_arith(t.rhs):
                raise _ne(f"{op} on {nonnum}")
            known = {x for x in types if x is not None}
            if len(known) != 1:
                raise _ne("= between different types")
            ty = known.pop()
        else:
            ty = _join(types, "relation") or self._default(t.lhs, t.rhs)
        a = self._arith_or_leaf(t.lhs, ctx, ty)
        b = self._arith_or_leaf(t.rhs, ctx, ty)
        if op in ("=", "=="):
            return lambda env: a(env) == b(env)
        if op in ("≠", "!="):
            return lambda env: a(env) != b(env)
        if ty not in NUMERIC:
            raise _ne(f"{op} on {ty}")
        if op == "<":
            return lambda env: a(env) < b(env)
        if op == "≤":
            return lambda env: a(env) <= b(env)
        if op == ">":
            return lambda env: a(env) > b(env)
        return lambda env: a(env) >= b(env)

    def _interval(self, s: Term, ctx: Ctx, elem: Term | None,
                  binder_ty: str | None) -> tuple[str, str, list[Fn]]:
        """(kind, element type, bound closures) of an interval set term."""
        iv = _interval_name(s)
        if iv is None:
            raise _ne("membership in a set outside the fragment")
        kind, bounds = iv
        if kind == "range":
            ety = N
        else:
            known = [self.infer(b, ctx) for b in bounds]
            if elem is not None:
                known.append(self.infer(elem, ctx))
            known.append(binder_ty)
            ks = {k for k in known if k is not None}
            if len(ks) > 1:
                raise _ne(f"interval with mixed types {ks}")
            ety = ks.pop() if ks else self._default(*bounds)
            if ety not in NUMERIC:
                raise _ne(f"interval over {ety}")
        if binder_ty is not None and binder_ty != ety:
            raise _ne("binder type differs from the interval's")
        return kind, ety, [self.comp(b, ctx, ety) for b in bounds]

    def _membership(self, x: Term, s: Term, ctx: Ctx) -> Fn:
        kind, ety, bs = self._interval(s, ctx, x, None)
        xf = self.comp(x, ctx, ety)
        mem = _member(kind)
        if len(bs) == 1:
            b0 = bs[0]
            return lambda env: mem(xf(env), b0(env))
        b0, b1 = bs
        return lambda env: mem(xf(env), b0(env), b1(env))

    def _enclosed(self, t: Enclosed, ctx: Ctx, ty: str) -> Fn:
        if t.open == "|":
            if ty not in (Z, Q, R):
                raise _ne(f"|·| in {ty}")
            a = self.comp(t.term, ctx, ty)
            return lambda env: abs(a(env))
        it = self.infer(t.term, ctx)
        if it not in FIELDS:
            raise _ne(f"floor/ceil of {it}")
        a = self.comp(t.term, ctx, it)
        fn = {"⌊": V.floor, "⌈": V.ceil, "⌊₊": lambda x: max(0, V.floor(x)),
              "⌈₊": lambda x: max(0, V.ceil(x))}[t.open]
        return lambda env: fn(a(env))

    def _app(self, r: Term, ctx: Ctx, ty: str) -> Fn:
        if not isinstance(r, App) or not isinstance(r.fn, Ident):
            raise _ne("application of a non-constant")
        name, args = r.fn.name, r.args
        if name in MONO:
            sig, result_type, impl = MONO[name]
            if len(args) != len(sig):
                raise _ne(f"{name} with {len(args)} arguments")
            fs = [self.comp(a, ctx, s) for a, s in zip(args, sig)]
            if len(fs) == 1:
                f0 = fs[0]
                return lambda env: impl(f0(env))
            if len(fs) == 2:
                f0, f1 = fs
                return lambda env: impl(f0(env), f1(env))
            return lambda env: impl(*[f(env) for f in fs])
        if name in POLY:
            allowed, result_type, arity, mk = POLY[name]
            if len(args) != arity:
                raise _ne(f"{name} with {len(args)} arguments")
            alpha = self._poly_type(name, args, ctx, ty if result_type is None else None)
            if alpha is None:
                alpha = self._default(*args)
            if alpha not in allowed:
                raise _ne(f"{name} on {alpha}")
            if result_type is None and alpha != ty:
                # computed at α then cast by `comp`: the functions here commute with casts
                raise _ne(f"{name} at {alpha} used as {ty}")
            impl = mk(alpha)
            fs = [self.comp(a, ctx, alpha) for a in args]
            if len(fs) == 1:
                f0 = fs[0]
                return lambda env: impl(f0(env))
            f0, f1 = fs
            return lambda env: impl(f0(env), f1(env))
        if name in ("Nat.cast", "Int.cast", "Rat.cast") and len(args) == 1:
            src = self.infer(args[0], ctx)
            want = {"Nat.cast": N, "Int.cast": Z, "Rat.cast": Q}[name]
            if src is not None and src != want:
                raise _ne(f"{name} of a {src}")
            return self._cast(args[0], ctx, ty) if src is not None else self._cast(
                Typed(args[0], Ident(want)), ctx, ty)
        raise _ne(f"unknown function {name}")

    # ------------------------------------------------------------ binders

    def _bind_range(self, groups: tuple[BinderGroup, ...], ctx: Ctx
                    ) -> tuple[list[tuple[int, Callable, list[Fn]]], Ctx]:
        """Finite domains of bounded binders: (slot, elements(*bounds), bound closures)."""
        out = []
        inner = dict(ctx)
        for g in groups:
            bty = type_of_ast(g.type) if g.type is not None else None
            if g.type is not None and bty is None:
                raise _ne("binder of a type outside the fragment")
            if g.pred_op in ("∈", "in"):
                kind, ety, bs = self._interval(g.pred, inner, None, bty)
                elems = _enumerate(kind, ety)
            elif g.pred_op in ("<", "≤") and g.pred is not None:
                pt = self.infer(g.pred, inner)
                ety = bty or pt or self._default(g.pred)
                if ety != N or (pt is not None and pt != N):
                    raise _ne(f"bounded binder {g.pred_op} over {ety}")
                bs = [self.comp(g.pred, inner, N)]
                elems = _enumerate("Iio" if g.pred_op == "<" else "Iic", N)
            elif g.pred_op is None and bty in (B, P):
                ety = bty
                bs = []
                elems = lambda: (False, True)  # noqa: E731
            else:
                raise _ne("unbounded binder")
            for name in g.names:
                s = self.slot()
                # `∑ i j ∈ s, f` style groups: every name ranges over the same domain
                out.append((s, elems, bs))
                inner[name] = (ety, s)
        return out, inner

    def _quant(self, t: Quant, ctx: Ctx, ty: str) -> Fn:
        doms, inner = self._bind_range(t.binders, ctx)
        steps = self.steps
        limit = V.MAX_STEPS

        def domain(env, k):
            _, elems, bs = doms[k]
            r = elems(*[b(env) for b in bs])
            steps[0] += len(r)
            if steps[0] > limit:
                raise V.TooBig("too many loop iterations")
            return r
        if t.op in ("∀", "∃"):
            body = self.prop(t.body, inner)
            want_all = t.op == "∀"

            def run(env, k=0):
                if k == len(doms):
                    return body(env)
                s = doms[k][0]
                for v in domain(env, k):
                    env[s] = v
                    if run(env, k + 1) != want_all:
                        return not want_all
                return want_all
            return run
        if t.op in ("∑", "∏"):
            if ty not in NUMERIC:
                raise _ne(f"{t.op} of type {ty}")
            body = self.comp(t.body, inner, ty)
            zero = Fraction(0) if ty in FIELDS else 0
            one = Fraction(1) if ty in FIELDS else 1
            is_sum = t.op == "∑"

            def run_big(env, k=0):
                if k == len(doms):
                    return body(env)
                s = doms[k][0]
                acc = zero if is_sum else one
                for v in domain(env, k):
                    env[s] = v
                    x = run_big(env, k + 1)
                    acc = V.check(acc + x if is_sum else acc * x)
                return acc
            return run_big
        raise _ne(f"binder notation {t.op}")
