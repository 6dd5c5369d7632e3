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

from lean_alchemy.grammar.ast import App, BinOp, Glued, Ident, Quant, Term
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


def type_head(t: Term | None) -> str | None:
    """The head of a type for coercion purposes (`Finset` of `Finset α`, `→` of a
    function type, `→+*` of `R →+* S`), keyed like the table."""
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
    return None


def bundled_map(h: str) -> bool:
    """A bundled-map notation (`→+*`, `→ₛ`, `≃ₗ[R]`, `↪o`): a `FunLike` type whether or
    not the table holds its instance (a library cut out of a larger one may not)."""
    return h[:1] in ("→", "≃", "↪") and h not in ("→", "→[")


def rigid_op(h: str) -> bool:
    return h.startswith(_RIGID_OPS) and not h.startswith("⟶")


# Lean core's coercions (`Init/Coe.lean`, `Init/Data/Cast.lean`), which no library file
# declares: ℕ and ℤ into any type with `NatCast`/`IntCast`, a subtype and `Fin n` out to
# their carrier, anything into `Option`, `Bool` into `Prop`
CORE_EDGES = {"Nat": {ANY}, "Int": {ANY}, "Subtype": {ANY}, "Fin": {"Nat"}, "Bool": {"Prop"},
              ANY: {"Option"}}
CORE_INTO_VARS: tuple[tuple[frozenset, frozenset[str]], ...] = ((frozenset({("NatCast", 0)}), frozenset({"Nat"})),
                  (frozenset({("IntCast", 0)}), frozenset({"Int"})),
                  (frozenset(), frozenset({"Subtype"})))


class Coercions:
    """Head -> heads it coerces to (directly), built from a `ClassTable`'s instances."""

    def __init__(self, table) -> None:  # noqa: ANN001 - classes.ClassTable
        self.edges: dict[str, set[str]] = {}
        # classes constraining the target variable of an instance to any type
        # (`[NatCast R] : CoeTail ℕ R`); `free_target`: one such instance has none
        self.target_classes: set[str] = set()
        self.free_target = False
        # (classes required of the target variable, source heads) of those instances
        # coercions into a type variable: (keys the target needs, `horn`; source heads)
        self.into_vars: list[tuple[frozenset, frozenset[str]]] = list(CORE_INTO_VARS)
        for src, tgts in CORE_EDGES.items():
            self.edges.setdefault(src, set()).update(tgts)
        firsts = self._first_heads(table)
        for c, rows in table.instances.items():
            if c == "CoeDep":
                pairs = [(0, 2)]
            elif c in COE_CLASSES:
                pairs = [(0, 1)]
            elif _coerces_to_functions(c) or c == "SetLike":
                pairs = [(0, -1)]
            else:
                continue
            for metas, prem, pats, _coerced in rows:
                if not pats:
                    continue
                for i, j in pairs:
                    if j == -1:
                        targets = {SORT, "Set"} if c == "SetLike" else (
                            {SORT} if c == "CoeSort" else {FUNCTION})
                    elif j < len(pats):
                        h = type_head(pats[j])
                        var = h is not None and _is_var(h, metas)
                        targets = {OPAQUE if h is None else ANY if var else h}
                    else:
                        continue
                    for src in self._sources(pats[i], metas, prem, firsts, table.params):
                        if src == ANY and ANY in targets:
                            continue  # from anything to anything: a chaining instance
                        if src == ANY and j == -1:
                            continue  # `_function_like`: not every type is a function
                        self.edges.setdefault(src, set()).update(targets)
                        if ANY in targets:
                            by = _constraining_any(pats[j], prem)
                            self.target_classes.update(c for c, _ in by)
                            self.free_target |= not by
                            self.into_vars.append((frozenset(by), frozenset({src})))
        self._memo: dict[str, frozenset[str]] = {}

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

    def reach(self, h: str) -> frozenset[str]:
        """Every head `h` may be coerced to (itself included); `*` when anything."""
        hit = self._memo.get(h)
        if hit is None:
            seen = {h}
            todo = [h]
            while todo:
                x = todo.pop()
                for y in self.edges.get(x, ()):
                    if y not in seen:
                        seen.add(y)
                        todo.append(y)
            # an instance from any type (`Coe α (WithOne α)`) is one step, not followed
            # further: chains through such wrappers are not what a mutant elaborates by
            seen |= self.edges.get(ANY, set())
            hit = self._memo[h] = frozenset(seen)
        return hit

    def may_coerce(self, a: str, b: str, keys_of_b=None) -> bool:  # noqa: ANN001
        """May a value whose type has head `a` be coerced to one with head `b`?  Through
        the instances with a fixed target, or one into a variable target whose premises
        `b` may meet (`keys_of_b`: the class positions `b` may fill, `horn`; None: any)."""
        if b == FUNCTION and bundled_map(a):
            return True  # every bundled-map notation names a `FunLike` type
        r = self.reach(a)
        if b in r:
            return True
        if ANY not in r:
            return False
        for need, srcs in self.into_vars:
            if (srcs & r or ANY in srcs) and (
                    keys_of_b is None or not need or need <= keys_of_b):
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
