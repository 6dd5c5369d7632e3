"""The instances a rule's new text needs where it lands: what a mutant must elaborate.

Why: a mutant never mentions its rule.  Its statement is the candidate's with the
instance of the pattern replaced by the rule's replacement (`rw_goal`, `rw_hyp`), or with a
hypothesis replaced by the rule's antecedents (`apply_hyp`), each with the rule's
variables replaced by the values they matched.  It elaborates when the constants and
operators of that new text find their instances at the values' types, whatever instance
binders the rule itself has: rewriting `a < b ∨ a = b` into `a ≤ b` with a lemma that needs
`[LinearOrder α]` gives a statement that needs only `LE α`.  So the queries are read from
the new text:
- each constant applied there (the declaration its written name denotes in the rule
  lemma's namespace, `written`) asks its instance binders, its other binders solved from
  its arguments' types (`infer`);
- `≤ < ≥ >` ask `LE`/`LT`, `⊔ ⊓` `Max`/`Min` (`Mathlib/Order/Notation.lean:78`), `⇨`
  `HImp`, `ᶜ` `HasCompl`, `⁻¹` `Inv`, unary `-` `Neg`, at the type of their operands when
  both have one type (a numeral takes the other's);
- `+ * - /` ask `Add`/`Mul`/`Sub`/`Div` the same way, unless the table has a
  heterogeneous `HAdd`/`HMul`/`HSub`/`HDiv` instance that type might meet (matrices
  multiply through `HMul`; `filter.TypedFilter._hetero`);
- `‖x‖ ⌊x⌋₊ ⌈x⌉₊ ⌊x⌋ ⌈x⌉` ask the instance binders of the constants they denote, and
  so does an operator a library `infix` command defines (`a ◃ b` is `Shelf.act a b`,
  `a <ᵥ b` `ValuativeRel.vlt a b`), its operands the constant's arguments;
- under binders (`∀ q : ℚ, (q : α) < a`, `∃ b ∈ s, ‖a⁻¹ * b‖ < ε`, `fun`, `∑`) each
  bound name has its written type, or none (it is then no constant either), and a
  query about a type that mentions a bound name is not asked;
- `x ^ e` asks `Pow T _` at the base's type `T` with the exponent left open (a numeral
  exponent is `ℕ` through `NPow.toPow`, Mathlib/Algebra/Group/Defs.lean:655, but another
  `Pow T β` would take it too): only a type that is no first argument of any `Pow`
  instance is *no*, and none when a heterogeneous `HPow` instance might apply.
The values' types come from the candidate (`Inference` over the rule's variables typed by
their values, its type variables replaced by the types they matched); a query about a
term of the rule's text (`[Decidable p]`) or with an unsolved binder is not asked.
"""

from __future__ import annotations

from typing import Callable, Iterator

from lean_alchemy.grammar.ast import (
    App, BinOp, Enclosed, Hole, Ident, Num, Opaque, Postfix, Prefix, Proj, Quant, Sort, Term,
    Typed,
)
from lean_alchemy.grammar.substitute import substitute
from lean_alchemy.grammar.walk import heads
from lean_alchemy.index.typing.infer import Inference
from lean_alchemy.index.typing.signatures import Sig
from lean_alchemy.index.typing.saturate import subst

# order and lattice notation (`Init/Prelude.lean`, `Mathlib/Order/Notation.lean`), and
# divisibility (`infix:50 " ∣ " => Dvd.dvd`, Lean core's `Init/Prelude.lean`)
RELATION_CLASSES = {"≤": "LE", "≥": "LE", "<": "LT", ">": "LT", "⊔": "Max", "⊓": "Min",
                    "⇨": "HImp", "∣": "Dvd"}
# Lean core's term operators (`Init/Prelude.lean`, `Init/Core.lean`, `Init/Notation.lean`):
# a library's `scoped infix` of one of these tokens (`scoped infixl " • " =>
# gabrielComposition`, Mathlib/RingTheory/IdealFilter/Basic.lean:165) is not what a rule
# of another namespace means by it
CORE_OPERATORS = frozenset({
    "=", "≠", "==", "!=", "↔", "∧", "∨", "→", "∘", "∈", "∉", "⊆", "⊂", "⊇", "⊃", "∪", "∩",
    "\\", "++", "::", "%", "^", "•", "×", "×'", "⊕", "⊕'", "≈", "∣", "▸", "<$>", ">>=",
    "<*>", "<|>", "$", "<|", "|>", "&&", "||", "^^^", "&&&", "|||", "<<<", ">>>", "∖"})
# arithmetic notation: homogeneous classes behind `binop%` (`instHAdd` … in `Prelude`)
ARITH_CLASSES = {"+": ("Add", "HAdd"), "*": ("Mul", "HMul"), "-": ("Sub", "HSub"),
                 "/": ("Div", "HDiv")}
# `ᶜ` is `compl`, `Compl.compl` since Mathlib renamed the class (`HasCompl` deprecated
# 2026-01-04, Mathlib/Order/Notation.lean:44-58); a library without `Compl` asks `HasCompl`
POSTFIX_CLASSES = {"⁻¹": "Inv", "ᶜ": "Compl"}
_OLD_CLASS_NAMES = {"Compl": "HasCompl"}
# `notation "⊤" => Top.top`, `notation "⊥" => Bot.bot` (Mathlib/Order/Notation.lean:193-196)
LATTICE_LITERALS = {"⊤": "Top", "⊥": "Bot"}
# operators whose operands elaborate at one type, so a numeral takes its partner's
NUMERAL_PARTNERS = frozenset({"=", "≠", "≤", "<", "≥", ">", "+", "*", "-", "/"})
# enclosing notations and the constants they denote (`notation "⌊" a "⌋₊" => Nat.floor a`,
# Mathlib/Algebra/Order/Floor/Defs.lean:135-277; `‖e‖`, `‖e‖₊`, `‖e‖ₑ` are `Norm.norm e`,
# `NNNorm.nnnorm e`, `ENorm.enorm e`, Mathlib/Analysis/Normed/Group/Defs.lean:60-82; `|a|`
# is `abs a`, `|a|ₘ` `mabs a`, Mathlib/Algebra/Order/Group/Unbundled/Abs.lean:42-45): the
# constant's instance binders are asked
ENCLOSED_CONSTANTS = {"‖": "Norm.norm", "‖₊": "NNNorm.nnnorm", "‖ₑ": "ENorm.enorm",
                      "⌊₊": "Nat.floor", "⌈₊": "Nat.ceil", "⌊": "Int.floor", "⌈": "Int.ceil",
                      "|": "abs", "|ₘ": "mabs"}


def instance_needs(inf: Inference, t: Term, hetero: Callable[[str, Term], bool],
                   rule_terms: frozenset[str], namespace: str = "") -> Iterator[Term]:
    """Instance queries the constants and operators of `t` need (module doc); `inf`
    types `t`'s rule variables; `hetero(class, type)`: whether a heterogeneous instance of
    that `H…` class might apply at that type (then the homogeneous class is not asked);
    `rule_terms`: the rule's variables that stand for terms (a query naming one is about
    the rule's text, `[Decidable p]`, and is not asked); `namespace`: the rule lemma's,
    where its written names resolve (`written`)."""
    for q in _walk(inf, t, hetero, namespace):
        if q is not None and not (heads(q) & rule_terms):
            yield q


def _walk(inf: Inference, t: Term, hetero, ns: str) -> Iterator[Term | None]:  # noqa: ANN001
    if isinstance(t, (Typed, Enclosed)):
        if isinstance(t, Enclosed) and t.open in ENCLOSED_CONSTANTS and \
                _certain_type(inf, t.term):
            yield from _constant(inf, ENCLOSED_CONSTANTS[t.open], (t.term,), "")
        yield from _walk(inf, t.term, hetero, ns)
    elif isinstance(t, App):
        expanded = _notation_applied(inf, t.fn, t.args) if isinstance(t.fn, Ident) else None
        if expanded is not None:
            yield from _walk(inf, expanded, hetero, "")
            return
        if isinstance(t.fn, Ident):
            yield from _constant(inf, t.fn.name, t.args, ns)
        elif isinstance(t.fn, Proj) and not t.fn.field.isdigit():
            yield from _dotted(inf, t.fn.term, t.fn.field.split("."), t.args)
            yield from _walk(inf, t.fn.term, hetero, ns)
        else:
            yield from _walk(inf, t.fn, hetero, ns)
        for a in t.args:
            yield from _walk(inf, a, hetero, ns)
    elif isinstance(t, Ident):
        yield from _constant(inf, t.name, (), ns)
    elif isinstance(t, Proj) and not t.field.isdigit():
        yield from _dotted(inf, t.term, t.field.split("."), ())
        yield from _walk(inf, t.term, hetero, ns)
    elif isinstance(t, BinOp):
        yield _operator(inf, t, hetero)
        yield _numeral(inf, t, hetero)
        c = _operand_constant(inf, t.op)
        if c is not None:
            yield from _constant(inf, c, (t.lhs, t.rhs), "")
        yield from _walk(inf, t.lhs, hetero, ns)
        yield from _walk(inf, t.rhs, hetero, ns)
    elif isinstance(t, Quant):
        yield from _under_binders(inf, t, hetero, ns)
    elif isinstance(t, (Prefix, Postfix)):
        cls = "Neg" if isinstance(t, Prefix) and t.op == "-" else \
            _class_named(inf, POSTFIX_CLASSES.get(t.op)) if isinstance(t, Postfix) else None
        if cls is not None:
            ty = inf.type_of(t.arg)
            yield App(Ident(cls), (ty,)) if ty is not None else None
        yield from _walk(inf, t.arg, hetero, ns)


def _notation_applied(inf: Inference, fn: Ident, args: tuple[Term, ...]) -> Term | None:
    """A notation token with parameters applied (`𝓝[≥] a`), as its right side with the
    arguments in place (`nhdsWithin a (Set.Ici a)`): the constants it denotes ask their
    instances there.  None for a declaration's name or a variable."""
    name = fn.name
    if inf.consts is None or name in inf.local or name in inf.hidden or name in inf.tvars:
        return None
    tpl = inf.consts.token_template(name)
    if tpl is None or len(args) < len(tpl[0]) or inf.consts.candidates(name):
        return None
    params, body = tpl
    out = substitute(body, dict(zip(params, args)))
    rest = args[len(params):]
    return App(out, rest) if rest else out


def _class_named(inf: Inference, cls: str | None) -> str | None:
    """`cls`, or its older name when the library declares no class `cls` (a Mathlib from
    before `HasCompl` became `Compl`)."""
    old = _OLD_CLASS_NAMES.get(cls or "")
    if cls is None or old is None or inf.consts is None:
        return cls
    declared = any(s.kind == "class" and s.name == cls for s in inf.consts.candidates(cls))
    return cls if declared else old


def _under_binders(inf: Inference, t: Quant, hetero, ns: str  # noqa: ANN001
                   ) -> Iterator[Term | None]:
    """`∀ q : ℚ, (q : α) < a`, `∃ b ∈ s, ‖a⁻¹ * b‖ < ε`, `fun x ↦ …`, `∑ i ∈ s, …`: the
    body is read with each bound name typed by its written type, or unknown (never a
    constant of the table) when it has none; binder types and predicates (`∈ s`) are
    read outside.  A query about a type that mentions a bound name is not asked."""
    typed: dict[str, Term] = {}
    untyped: set[str] = set()
    for g in t.binders:
        if g.type is not None:
            yield from _walk(inf, g.type, hetero, ns)
        if g.pred is not None:
            yield from _walk(inf, g.pred, hetero, ns)
        for n in g.names:
            if g.type is not None and g.pred_op is None:
                typed[n] = g.type
                untyped.discard(n)
            else:
                untyped.add(n)
                typed.pop(n, None)
    bound = frozenset(typed) | frozenset(untyped)
    local = {k: v for k, v in inf.local.items() if k not in bound}
    local.update(typed)
    inner = Inference(inf.consts, local, inf.tvars, inf.unify,
                      (inf.hidden | frozenset(untyped)) - frozenset(typed), inf.namespaces)
    for q in _walk(inner, t.body, hetero, ns):
        yield None if q is None or heads(q) & bound else q


def _operator(inf: Inference, t: BinOp, hetero) -> Term | None:  # noqa: ANN001
    if t.op == "^":  # `Pow T β` for some β: no key `(Pow, 0)` for `T` is a certain *no*
        ty = inf.type_of(t.lhs)
        if ty is None or hetero("HPow", ty):
            return None
        return App(Ident("Pow"), (ty, Hole("_")))
    cls = RELATION_CLASSES.get(t.op)
    if cls is None and t.op in ARITH_CLASSES:
        cls, h = ARITH_CLASSES[t.op]
        ty = _operand_type(inf, t)
        if ty is None or hetero(h, ty):
            return None
        return App(Ident(cls), (ty,))
    if cls is None:
        return None
    ty = _operand_type(inf, t)
    return App(Ident(cls), (ty,)) if ty is not None else None


def _operand_constant(inf: Inference, op: str) -> str | None:
    """The constant a library `infix` command makes `op` apply to its operands (`a ◃ b`
    is `Shelf.act a b`), for an operator Lean core gives no meaning of its own."""
    if op in CORE_OPERATORS or op in RELATION_CLASSES or op in ARITH_CLASSES or \
            inf.consts is None:
        return None
    return inf.consts.operator_constant(op)


def _numeral(inf: Inference, t: BinOp, hetero) -> Term | None:  # noqa: ANN001
    """`OfNat T k` for a numeral `k` whose partner across `= ≠ ≤ < ≥ > + * - /` has the
    certain type `T` (`binop%` and the relations elaborate both sides at one type; the
    exponent of `^` and the scalar of `•` are not partners); the filter asks it as the
    class that gives `T` that literal (`TypedFilter._numeral_query`).  `⊥`/`⊤` there ask
    `Bot T`/`Top T`."""
    if t.op not in NUMERAL_PARTNERS or _literal(t.lhs) == _literal(t.rhs):
        return None
    lit, other = (t.lhs, t.rhs) if _literal(t.lhs) else (t.rhs, t.lhs)
    if not _certain_type(inf, other):
        return None
    ty = inf.type_of(other)
    if ty is None or (t.op in ARITH_CLASSES and hetero(ARITH_CLASSES[t.op][1], ty)):
        return None
    if isinstance(lit, Ident):  # `⊥`, `⊤`: `Bot.bot`, `Top.top`
        return App(Ident(LATTICE_LITERALS[lit.name]), (ty,))
    return App(Ident("OfNat"), (ty, lit))


def _literal(t: Term) -> bool:
    """A numeral, or `⊥`/`⊤`: a term whose type comes from where it is used."""
    return (isinstance(t, Num) and t.text.isdigit()) or (
        isinstance(t, Ident) and t.name in LATTICE_LITERALS)


def _certain_type(inf: Inference, t: Term) -> bool:
    """Is `t`'s inferred type its type?  Not for arithmetic whose operands do not share
    one: `n * a` with `n : ℕ`, `a : α` is `↑n * a : α` (`binop%` coerces to the larger
    type), where inference takes the first operand's."""
    if isinstance(t, BinOp) and t.op in ARITH_CLASSES:
        return _operand_type(inf, t) is not None
    return True


def _operand_type(inf: Inference, t: BinOp) -> Term | None:
    """The one type both operands have (a numeral takes the other's), else None."""
    tl = None if isinstance(t.lhs, Num) else inf.type_of(t.lhs)
    tr = None if isinstance(t.rhs, Num) else inf.type_of(t.rhs)
    if tl is None and tr is None:
        return None
    if tl is None:
        return tr if isinstance(t.lhs, Num) else None
    if tr is None:
        return tl if isinstance(t.rhs, Num) else None
    return tl if tl == tr else None


def written(found: list[Sig], name: str, ns: str, guess: bool = True) -> Sig | None:
    """The declaration a name written in a lemma of namespace `ns` denotes, among those
    its suffix finds: `ns.name` for the longest prefix of `ns` that has one (Lean looks in
    the enclosing namespaces first), else the root `name`, else (`guess`) the one
    declaration of that suffix or the one class field of that name (a class's fields are
    exported: `dist` is `Dist.dist`); None otherwise."""
    if guess and len(found) == 1:
        return found[0]
    by_name = {s.name: s for s in found}
    parts = ns.split(".") if ns else []
    for k in range(len(parts), -1, -1):
        got = by_name.get(".".join(parts[:k] + [name]))
        if got is not None:
            return got
    if not guess:
        return None
    fields = [s for s in found if s.kind == "field" and s.name.endswith("." + name)
              and any(g.kind == "inst" and "self" in g.names for g in s.binders)
              and not isinstance(s.type, Opaque)]  # `dist := …`: a default, no field
    return fields[0] if len(fields) == 1 else None


def _constant(inf: Inference, name: str, args: tuple[Term, ...], ns: str
              ) -> Iterator[Term | None]:
    if inf.consts is None or name in inf.local or name in inf.hidden or name in inf.tvars:
        return  # a variable (a type variable too: `ι` of a stated `ι → ℝ`), no constant
    first, _, rest = name.partition(".")
    if first in inf.hidden:
        return
    if rest and first in inf.local:  # `o.oangle x y`: dot notation on a variable
        yield from _dotted(inf, Ident(first), rest.split("."), args)
        return
    found = inf.consts.candidates(name)
    # a notation token of the library (`μ`: `ArithmeticFunction.moebius` where its scope
    # is open) is read as the notation wherever it is in force, so a declaration of that
    # last name elsewhere (`LaxMonoidal.μ`) is no guess for it
    token = name in inf.consts.tokens
    sig = written(found, name, ns, guess=not token)
    if sig is not None:
        yield from _binder_queries(inf, sig, args, None)
    elif not found or token:  # a notation token (`∡` is `EuclideanGeometry.oangle`)
        body = inf.consts.token_body(name, inf.namespaces or None)
        if isinstance(body, Ident) and body.name != name:
            yield from _constant(inf, body.name, args, "")


def _dotted(inf: Inference, recv: Term, fields: list[str], args: tuple[Term, ...]
            ) -> Iterator[Term | None]:
    """`recv.f₁.f₂ args`: the instance binders of each field's constant, found as Lean
    finds it (the namespace of the head of the receiver's type, then its parents and
    unfolded body: `Inference.field_declarations`), the receiver its first explicit argument
    of that type.  `o.oangle x y` with `o : Orientation ℝ V (Fin 2)` asks
    `NormedAddCommGroup V`; `s.max` with `s : Finset α` asks `LinearOrder α`.  One
    declaration of that name or none: an ambiguous field asks nothing."""
    if inf.consts is None:
        return
    cur = recv
    for k, f in enumerate(fields):
        ty = inf.type_of(cur)
        if ty is None:
            return
        hit = inf.field_declarations(cur, ty, f)
        if hit is not None and len(hit[0]) == 1:
            last = k == len(fields) - 1
            yield from _binder_queries(inf, hit[0][0], args if last else (), (hit[1], hit[2]))
        cur = Proj(cur, f)


def _binder_queries(inf: Inference, sig: Sig, args: tuple[Term, ...],
                    receiver: tuple[Term, str] | None) -> Iterator[Term | None]:
    """The instance binders of `sig` applied to `args`, its other binders solved from
    the arguments' types; a query naming a binder left unsolved is not asked."""
    explicit = sum(len(g.names) or 1 for g in sig.binders if g.kind == "explicit")
    if len(args) > explicit and isinstance(sig.type, Sort):
        return  # a proposition or type applied further: the header lost a binder (`variable
        # (𝕜)` used only in a structure's fields, `UniqueDiffWithinAt 𝕜 s x`)
    solved: dict = {}
    inf._apply_sig(sig, args, 0, receiver, solved)
    if not solved:
        return
    from lean_alchemy.index.typing.classes import norm

    metas, given, s = solved["metas"], solved["given"], solved["s"]
    open_ = metas - frozenset(given) - frozenset(s)
    for n, ty, kind in solved["binders"]:
        if kind != "inst" or ty is None:
            continue
        q = norm(subst(norm(subst(ty, given), metas) or ty, s), inf.tvars)
        if q is not None and not (heads(q) & open_):
            yield q
