"""Which type heads a value may be coerced between, and when two types certainly clash.

Why: a rule variable's declared type and the type of the value it matched may differ and
still elaborate: Lean inserts a coercion (`↑n` for `n : ℕ` where ℝ is expected, `⇑f` for a
bundled map applied, `↑s` for a `Finset` where a `Set` is expected) or unfolds a definition
(`Set α` is `α → Prop`).  A type clash is certain only when both heads are rigid (a
structure, inductive type, class, core type, bundled-map notation, function type or the
candidate's type variable: nothing unfolds them) and no chain of coercion instances leads
from one head to the other in either direction (either: `binop%` coerces the leaves of an
arithmetic tree towards the larger type).

The coercion table is read from the library's instances of the coercion classes
(`Coe`, `CoeTail`, `CoeHead`, `CoeOut`, `CoeTC`, `CoeDep`, `CoeHTCT`, `CoeT`), of the
function and sort coercions (`CoeFun`, `CoeSort`, `FunLike`, `DFunLike`, `EquivLike`, the
`…HomClass`/`…EquivClass` classes) and of `SetLike` (a `SetLike` type coerces to `Set` and
to a sort).  An instance whose source is a pattern variable constrained by a premise
(`[SetLike A B] : CoeTC A (Set B)`) contributes the heads that have that premise's class;
an unconstrained one makes its target reachable from anything (`*`).
"""

from __future__ import annotations

from lean_alchemy.grammar.ast import App, BinOp, Glued, Ident, Postfix, Quant, Term
from lean_alchemy.index.typing.signatures import head_name

COE_CLASSES = frozenset({"Coe", "CoeTail", "CoeHead", "CoeOut", "CoeTC", "CoeDep", "CoeHTCT",
                         "CoeT", "CoeHTC", "CoeOTC"})
_FUN_CLASSES = frozenset({"CoeFun", "FunLike", "DFunLike", "EquivLike", "CoeSort"})
ANY = "*"
OPAQUE = "?"  # a target whose head has no name here (a glued notation such as `ℍ[R]`)
# classes of a premise on a coercion's target variable, and the source head they admit
# (`[NatCast R] : CoeTail ℕ R`); others (`[Algebra R A] : CoeHTCT R A`) admit the head of
# their first argument
CAST_SOURCES = {"NatCast": "Nat", "IntCast": "Int", "RatCast": "Rat", "NNRatCast": "NNRat",
                "RCLike": "Real"}
FUNCTION = "→"
SORT = "Sort"
# heads no unfolding turns into another head (besides the library's structures,
# inductives and classes, `ClassTable.rigid`): function types and bundled-map notations;
# not the category arrow `⟶` (a class field: `X ⟶ Y` is a function type in `Type`)
_RIGID_OPS = ("→", "≃", "↪", "×", "≅")


def _coerces_to_functions(cls: str) -> bool:
    return cls in _FUN_CLASSES or cls.endswith(("HomClass", "EquivClass", "EmbeddingClass"))


def _function_like(cls: str) -> bool:
    """Classes whose instances make a type a function, a sort or a set (`FunLike`,
    `…HomClass`, `CoeSort`, `SetLike`).  An instance of one about a bare variable with no
    premise on it (or only premises every type may meet) would make every type a
    function: what the table reads so is a misread header (a section variable standing
    for a structure, `FirstOrder.HomClass`'s first argument being the language), not a
    coercion, and is left out."""
    return _coerces_to_functions(cls) or cls == "SetLike"


# Mathlib's postfix type notations and the constants they denote (`scoped[Polynomial]
# notation:9000 R "[X]" => Polynomial R`, Mathlib/Algebra/Polynomial/Basic.lean; `postfix:max
# "ˣ" => Units`, Mathlib/Algebra/Group/Units/Defs.lean; `ᵒᵖ`, `ᵐᵒᵖ`, `ᵃᵒᵖ`,
# Mathlib/Data/Opposite.lean and Mathlib/Algebra/Opposites.lean; `R⟦X⟧`,
# Mathlib/RingTheory/PowerSeries/Basic.lean; `R[T;T⁻¹]`,
# Mathlib/Algebra/Polynomial/Laurent.lean; `R⸨X⸩`, Mathlib/RingTheory/LaurentSeries.lean)
POSTFIX_TYPES = {"[X]": "Polynomial", "ˣ": "Units", "ᵒᵖ": "Opposite", "ᵐᵒᵖ": "MulOpposite",
                 "ᵃᵒᵖ": "AddOpposite", "⟦X⟧": "PowerSeries", "[T;T⁻¹]": "LaurentPolynomial",
                 "⸨X⸩": "LaurentSeries"}


def type_head(t: Term | None) -> str | None:
    """The head of a type for coercion purposes (`Finset` of `Finset α`, `→` of a
    function type, `→+*` of `R →+* S`, `Polynomial` of `R[X]`, `HahnSeries` of `R⟦Γ⟧`,
    a glued `⟦`), keyed like the table."""
    if isinstance(t, Glued) and t.open == "⟦":
        return "HahnSeries"
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident):
        return head_name(t.name)
    if isinstance(t, BinOp):
        h = t.op.split("[", 1)[0]
        return h if h != "→" or t.op == "→" else "→["  # `M →[L] N`: not a function type
    if isinstance(t, Quant) and t.op in ("∀", "Π"):
        return FUNCTION
    if isinstance(t, Glued) and isinstance(t.head, Ident):
        return t.head.name + t.open
    if isinstance(t, Postfix):
        return POSTFIX_TYPES.get(t.op)
    return None


def bundled_map(h: str) -> bool:
    """A bundled-map notation (`→+*`, `→ₛ`, `≃ₗ[R]`, `↪o`): a `FunLike` type whether or
    not the table holds its instance (a library cut out of a larger one may not)."""
    return h[:1] in ("→", "≃", "↪") and h not in ("→", "→[")


def rigid_op(h: str) -> bool:
    return h.startswith(_RIGID_OPS) and not h.startswith("⟶")


# One step of a coercion chain, by the class of its instance.  Lean elaborates `↑x` through
# `CoeT`, whose chains have the grammar `CoeHead? CoeOut* Coe* CoeTail? | CoeDep`
# (Init/Coe.lean: `CoeTC` chains `Coe`, `CoeOTC` prefixes `CoeOut`s, `CoeHTC` one
# `CoeHead`, `CoeHTCT` appends one `CoeTail`; `CoeFun` and `CoeSort` instances are
# `CoeOut`s).  Stages: 0 at the start, 1 after a `CoeHead`/`CoeOut`, 2 inside `Coe*`, 3 done.
# A library instance of an auxiliary class stands for the segment that class implements:
# a `CoeTC` one starts the `Coe*` segment, a `CoeHTCT`/`CoeT`/`CoeDep` one is a whole chain.
STEP_STAGES: dict[str, tuple[tuple[int, ...], int]] = {
    "head": ((0,), 1), "out": ((0, 1), 1), "otc": ((0, 1), 2), "htc": ((0,), 2),
    "tc": ((0, 1), 2), "coe": ((0, 1, 2), 2), "tail": ((0, 1, 2), 3), "whole": ((0,), 3)}
STEP_OF_CLASS = {"CoeHead": "head", "CoeOut": "out", "CoeOTC": "otc", "CoeHTC": "htc",
                 "CoeTC": "tc", "Coe": "coe", "CoeTail": "tail", "CoeHTCT": "whole",
                 "CoeT": "whole", "CoeDep": "whole"}
DONE = 3

# Lean core's coercions, which no library file declares: `instNatCastInt`'s `[NatCast R] :
# CoeTail ℕ R` and `[IntCast R] : CoeTail ℤ R` (Init/Data/Cast.lean), a subtype out to
# its carrier (`subtypeCoe`, a `CoeOut`), `Fin n` out to ℕ, `Bool` into `Prop`
# (`boolToProp`, a `Coe`), anything into `Option` (`optionCoe`, a `Coe`)
CORE_STEPS: dict[str, set[tuple[str, str]]] = {
    "Fin": {("Nat", "out")}, "Bool": {("Prop", "coe")}, ANY: {("Option", "coe")}}
CORE_INTO: dict[str, set[tuple[frozenset, str]]] = {
    "Nat": {(frozenset({("NatCast", 0)}), "tail")},
    "Int": {(frozenset({("IntCast", 0)}), "tail")},
    "Subtype": {(frozenset(), "out")}}
CORE_INTO_VARS: tuple[tuple[frozenset, frozenset[str]], ...] = tuple(
    (need, frozenset({src})) for src, steps in CORE_INTO.items() for need, _ in steps)


class Coercions:
    """The coercion steps between heads, built from a `ClassTable`'s instances, and the
    chains Lean's `↑` builds from them (`reach`, `may_coerce`)."""

    def __init__(self, table) -> None:  # noqa: ANN001 - classes.ClassTable
        # source head (`*`: any type) -> (target head, step kind, `STEP_STAGES`)
        self.steps: dict[str, set[tuple[str, str]]] = {
            k: set(v) for k, v in CORE_STEPS.items()}
        # source head -> (class positions the target variable needs, step kind) of the
        # instances into a type variable (`[NatCast R] : CoeTail ℕ R`)
        self.into: dict[str, set[tuple[frozenset, str]]] = {
            k: set(v) for k, v in CORE_INTO.items()}
        # classes constraining the target variable of an instance to any type
        # (`[NatCast R] : CoeTail ℕ R`); `free_target`: one such instance has none
        self.target_classes: set[str] = set()
        self.free_target = False
        # coercions into a type variable: (keys the target needs, `horn`; source heads)
        self.into_vars: list[tuple[frozenset, frozenset[str]]] = list(CORE_INTO_VARS)
        firsts = self._first_heads(table)
        for c, rows in table.instances.items():
            self._read_class(c, rows, firsts, table.params)
        self._memo: dict[str, tuple[frozenset[str], frozenset[tuple[frozenset, int]]]] = {}
        self._later: dict[int, tuple[frozenset[str], tuple[frozenset, ...]]] = {}

    def _read_class(self, c: str, rows, firsts, params) -> None:  # noqa: ANN001
        """The steps the instances of class `c` give (none when `c` is no coercion)."""
        if c == "CoeDep":
            pairs = [(0, 2)]
        elif c in COE_CLASSES:
            pairs = [(0, 1)]
        elif _coerces_to_functions(c) or c == "SetLike":
            pairs = [(0, -1)]
        else:
            return
        for metas, prem, pats, _coerced in rows:
            if not pats:
                continue
            for i, j in pairs:
                if j == -1:  # `CoeFun`/`CoeSort` are `CoeOut`s; `SetLike`'s `CoeTC` to `Set`
                    targets = {(SORT, "out"), ("Set", "tc")} if c == "SetLike" else (
                        {(SORT, "out")} if c == "CoeSort" else {(FUNCTION, "out")})
                elif j < len(pats):
                    h = type_head(pats[j])
                    var = h is not None and _is_var(h, metas)
                    targets = {(OPAQUE if h is None else ANY if var else h,
                                STEP_OF_CLASS.get(c, "whole"))}
                else:
                    continue
                for src in self._sources(pats[i], metas, prem, firsts, params):
                    for tgt, kind in targets:
                        if src == ANY and (tgt == ANY or j == -1):
                            continue  # anything to anything, or every type a function
                        if tgt != ANY:
                            self.steps.setdefault(src, set()).add((tgt, kind))
                            continue
                        by = _constraining_any(pats[j], prem)
                        self.target_classes.update(c for c, _ in by)
                        self.free_target |= not by
                        self.into.setdefault(src, set()).add((frozenset(by), kind))
                        self.into_vars.append((frozenset(by), frozenset({src})))

    @staticmethod
    def _first_heads(table) -> dict[str, set[str]]:  # noqa: ANN001
        """Class -> heads of the types its instances are about (first argument), through
        instances about a pattern variable constrained by a premise of another class
        (`[RingHomClass F α β] : NonUnitalRingHomClass F α β`), to a fixpoint; `*` when
        an instance is about an unconstrained variable."""
        direct: dict[str, set[str]] = {}
        via: dict[str, list[list[str]]] = {}
        for c, rows in table.instances.items():
            for metas, prem, pats, _co in rows:
                if not pats:
                    continue
                h = type_head(pats[0])
                if h is not None and not _is_var(h, metas):
                    direct.setdefault(c, set()).add(h)
                    continue
                if not isinstance(pats[0], Ident):  # `{f : X → Y // …}`, `(F.obj U)`
                    direct.setdefault(c, set()).add(OPAQUE)
                    continue
                by = _constraining(pats[0], prem)
                if by:
                    via.setdefault(c, []).append(by)
                elif not _function_like(c):
                    direct.setdefault(c, set()).add(ANY)
        out = {c: set(hs) for c, hs in direct.items()}
        for _ in range(32):  # heads only grow: a fixpoint within the hierarchy's depth
            changed = False
            for c, alts in via.items():
                cur = out.setdefault(c, set())
                for ds in alts:  # the variable needs every premise: the narrowest counts
                    sets = [out.get(d, {ANY} if d not in table.params else set())
                            for d in ds]
                    narrow = [x for x in sets if ANY not in x]
                    got = min(narrow, key=len) if narrow else (
                        set() if _function_like(c) else {ANY})
                    if got - cur:
                        cur |= got
                        changed = True
            if not changed:
                break
        return out

    @staticmethod
    def _sources(p: Term, metas: frozenset[str], prem, firsts,  # noqa: ANN001
                 classes=()) -> set[str]:  # noqa: ANN001
        h = type_head(p)
        if h is not None and not _is_var(h, metas):
            return {h}
        if not isinstance(p, Ident):
            # no nameable head (a subtype, a projection `(F.obj U)`, an unread notation):
            # no value's type is compared by such a head either (`type_head` is None)
            return {OPAQUE}
        best: set[str] | None = None
        for c in _constraining(p, prem):  # `[SetLike A B] : CoeTC A (Set B)`
            if c in COE_CLASSES:
                return set()  # a chaining instance: its links are counted on their own
            hs = firsts.get(c, set() if c in classes else {ANY})  # a class without instances
            if best is None or (ANY in best and ANY not in hs) or (
                    (ANY in best) == (ANY in hs) and len(hs) < len(best)):
                best = set(hs)
        return best if best is not None else {ANY}

    def _walk(self, h: str) -> tuple[frozenset[str], frozenset[tuple[frozenset, int]]]:
        """The heads chains from `h` reach (itself included), and the (class positions
        needed, stage after) of the steps into a type variable they reach."""
        hit = self._memo.get(h)
        if hit is not None:
            return hit
        seen = {(h, 0)}
        todo = [(h, 0)]
        heads = {h}
        into: set[tuple[frozenset, int]] = set()
        while todo:
            x, stage = todo.pop()
            for src in (x, ANY):  # a step from any type (`optionCoe`) applies everywhere
                for y, kind in self.steps.get(src, ()):
                    after, nxt = STEP_STAGES[kind]
                    if stage in after and (y, nxt) not in seen:
                        seen.add((y, nxt))
                        heads.add(y)
                        todo.append((y, nxt))
                for need, kind in self.into.get(src, ()):
                    after, nxt = STEP_STAGES[kind]
                    if stage in after:
                        into.add((need, nxt))
        hit = self._memo[h] = (frozenset(heads), frozenset(into))
        return hit

    def reach(self, h: str) -> frozenset[str]:
        """Every head `h` may be coerced to (itself included); `*` when a chain reaches a
        step into a type variable."""
        heads, into = self._walk(h)
        return heads | {ANY} if into else heads

    def _after(self, stage: int) -> tuple[frozenset[str], tuple[frozenset, ...]]:
        """The targets of every step usable at `stage` or later, and the needs of the steps
        into a variable so usable: where a chain may go on from a type variable that the
        head alone does not name (what an instance into a variable leads to)."""
        hit = self._later.get(stage)
        if hit is None:
            heads = {y for steps in self.steps.values() for y, k in steps
                     if max(STEP_STAGES[k][0]) >= stage}
            needs = tuple({need for steps in self.into.values() for need, k in steps
                           if max(STEP_STAGES[k][0]) >= stage})
            hit = self._later[stage] = (frozenset(heads), needs)
        return hit

    def may_coerce(self, a: str, b: str, keys_of_b=None) -> bool:  # noqa: ANN001
        """May a value whose type has head `a` be coerced to one with head `b`?  Through a
        chain of steps Lean's `↑` may build (`STEP_STAGES`) ending at `b`, or at a step
        into a type variable whose premises `b` may meet (`keys_of_b`: the class
        positions `b` may fill, `horn`; None: any).  A chain that goes on from such a
        variable may reach any target of a later step."""
        if b == FUNCTION and bundled_map(a):
            return True  # every bundled-map notation names a `FunLike` type
        heads, into = self._walk(a)
        if b in heads:
            return True
        for need, nxt in into:
            if keys_of_b is None or need <= keys_of_b:
                return True
            if nxt < DONE:
                later, needs = self._after(nxt)
                if b in later or any(n <= keys_of_b for n in needs):
                    return True
        return False


def _constraining(p: Term, prem) -> list[str]:  # noqa: ANN001
    """Classes of the premises about the pattern variable `p` (as first argument)."""
    if not isinstance(p, Ident):
        return []
    return [c for q in prem if isinstance(q, App) and q.args and q.args[0] == p
            and (c := type_head(q)) is not None]


def _constraining_any(p: Term, prem) -> list[tuple[str, int]]:  # noqa: ANN001
    """(class, position) of the premises that mention the pattern variable `p` bare."""
    if not isinstance(p, Ident):
        return []
    return [(c, k) for q in prem if isinstance(q, App) and (c := type_head(q)) is not None
            for k, a in enumerate(q.args) if a == p]


def target_sources(table, facts, var: str, keys) -> set[str]:  # noqa: ANN001
    """The heads a coercion may lead from into the type variable `var`: the sources of
    every coercion instance into a variable whose premises on it `var` may meet
    (`keys(var)`: its class positions, `horn`), with `[Algebra S R] : CoeHTCT S R`
    admitting only the `S` of its `Algebra` facts.  Empty: the target of no coercion."""
    co = table.coercions
    algebra: set[str] = set()
    for f in facts:
        args = f.args if isinstance(f, App) else ()
        if type_head(f) == "Algebra" and len(args) == 2 and isinstance(args[1], Ident) \
                and args[1].name == var:
            algebra.add(type_head(args[0]) or ANY)
    have = keys(var)
    got: set[str] = set()
    for need, srcs in co.into_vars:
        if need <= have:
            got |= algebra if any(c == "Algebra" for c, _ in need) else srcs
    return got


def _is_var(h: str, metas: frozenset[str]) -> bool:
    """A pattern variable of an instance: a binder, or an auto-bound name shaped like a
    variable (`α`, `M₁`); an unknown constant (`Expr`, `ℝ*`) is a head of its own."""
    from lean_alchemy.index.typing.saturate import variable_name

    return h in metas and variable_name(h)
