"""Classes and instances: does `C T` hold?  Answers *yes*, *no* or *unknown*.

The procedure searches like Lean's instance synthesis, backwards from the goal `C T`:
the candidate's own instance binders (closed upwards under `extends`), every `instance`
declaration whose conclusion matches (its instance binders become subgoals), and every
class that extends `C` (its parent projection is an instance).  Before searching, the
forward closure over class positions (`horn`) decides what it can: a type variable of the
candidate, or a type with a rigid head, at a position its closure lacks is *no*.  The
search answers *no* only when it is exhausted: every step's head comparison was certain
(both heads concrete: a structure, inductive, class, definition or a candidate's type
variable, which instance matching does not unfold; an `abbrev` head may unfold, so it
leaves the answer *unknown*), within a depth bound and a step budget.  Classes whose
instances come from everywhere (`Decidable…`, `Nonempty`, `Fact`, coercions…) never
answer *no*.

Long because: the table (what instances and classes the library has) and the search over
it (`Resolver`) share the head model of type terms; the matching of one instance's
conclusion against a query (`instance_unify.unify`) and the normal form of type terms
(`type_terms`) are modules of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from lean_alchemy.grammar.ast import (
    App, BinOp, Glued, Hole, Ident, Postfix, Proj, Quant, Sort, Term,
)
from lean_alchemy.grammar.walk import heads
from lean_alchemy.index.typing.coerce import POSTFIX_TYPES
from lean_alchemy.index.typing.additive import additive_names, translate, translate_binders
from lean_alchemy.index.typing.generated import (
    expand_notations, generated_types, notation_table,
)
from lean_alchemy.index.typing.horn import HornRules, variable_keys
from lean_alchemy.index.typing.instance_heads import HeadBuckets, build_buckets, candidates, query_head
from lean_alchemy.index.typing.saturate import mentions, subst
from lean_alchemy.index.typing.instance_unify import constant_family, local_fields, unify
from lean_alchemy.index.typing.signatures import SCOPED_MARK, Sig, head_name
from lean_alchemy.index.typing.type_terms import (  # noqa: F401 - re-exported
    CORE_DEFS, CORE_TYPES, TOWER, head_of, norm,
)

YES, NO, UNKNOWN = "yes", "no", "unknown"
# words a header misread as binder names (`set_option … false in instance …`): never a
# variable of the instance, so its conclusion keeps the head it names
_MISREAD = frozenset({"in", "def", "instance", "variable", "false", "true", "set_option",
                      "noncomputable", "abbrev", "structure", "class", "private",
                      "protected", "open", "scoped", "local"})
MAX_DEPTH = 8
MAX_STEPS = 300
ANY_HEAD = "*"  # a scoped instance about a variable: about every type
# a query about the candidate's variables not decided forwards is searched backwards only
# this far: its memo serves one candidate, and *unknown* costs nothing but a kept match
LOCAL_STEPS = 200
MAX_FACTS = 4000  # the binders' facts with their ancestors: far fewer in practice
# classes with instances from every corner (classical logic, coercions, tactics): a
# missing declaration says nothing
OPEN_CLASSES = frozenset({"Nonempty", "Inhabited", "Fact", "Subsingleton", "Unique",
                          "IsEmpty", "Small", "Coe", "CoeFun", "CoeSort", "CoeTC", "CoeOut",
                          "CoeHead", "CoeTail", "CoeDep", "CoeT", "CoeHTCT", "OfNat",
                          "Membership", "Setoid", "HasQuotient", "SetLike", "FunLike",
                          "DFunLike", "EquivLike", "Finite", "Countable", "Encodable",
                          "Denumerable", "NeZero", "Invertible", "IsScalarTower",
                          "SMulCommClass", "CharP", "ExpChar", "Algebra.IsSeparable"})


@dataclass
class ClassTable:
    """Classes (explicit parameters, parents), instances by class, and the classes each
    class is a parent of; `flexible`: heads that instance matching may unfold (`abbrev`,
    unknown names)."""

    params: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parents: dict[str, tuple[Term, ...]] = field(default_factory=dict)
    instances: dict[str, list[tuple]] = \
        field(default_factory=dict)  # class -> (metas, premises, conclusion args, coerced)
    children: dict[str, list[tuple[str, Term]]] = field(default_factory=dict)
    known: frozenset[str] = frozenset()  # heads of the table (constants, notations)
    flexible: frozenset[str] = frozenset()  # `abbrev`s: instance matching unfolds them
    # heads nothing unfolds: every declaration of that (last) name is a structure,
    # inductive type or class, or a core type (`coerce`)
    rigid: frozenset[str] = frozenset()
    # heads some declaration of which is a type (a structure, class, inductive type or a
    # definition of a sort; the table keys by last name): a head no declaration of which
    # is one (`cocycles₁ A`) is a term coerced to a type (`↥(cocycles₁ A)`)
    types: frozenset[str] = frozenset()
    constants: Any = None  # `infer.Constants` of the same signatures
    # `abbrev` key -> heads its bodies have (`Perm` -> `Equiv`), or None when one of them
    # is unreadable or a parameter (`abbrev Foo (α) := α` unfolds to anything)
    unfold: dict[str, frozenset[str] | None] = field(default_factory=dict)
    # `abbrev` keys a body may make a bare variable (`abbrev Foo (α) := α`), or whose
    # body is unreadable: only these may unfold to a type of the number tower
    bare: set[str] = field(default_factory=set)
    # parameterless notation token -> its right sides (`generated.notation_table`)
    notations: dict[str, tuple] = field(default_factory=dict)
    _coercions: Any = None
    _horn: "HornRules | None" = None
    # what does not depend on a candidate: answers to queries about closed types
    ground_memo: dict[Term, str] = field(default_factory=dict)
    ground_quick_memo: dict[Term, str] = field(default_factory=dict)  # `exhaustive=False`
    _buckets: dict[str, HeadBuckets] = field(default_factory=dict)
    index_instances: bool = True  # off: every instance is tried (the reference search)
    # namespace -> heads of the types its scoped instances are about (`_add_scoped`)
    scoped: dict[str, frozenset[str]] = field(default_factory=dict)
    # namespaces with a scoped coercion instance (`scoped instance coeHTCT : CoeHTCT R A`
    # in `algebraMap`): where one is open, the coercion table may miss a chain
    scoped_coercions: set[str] = field(default_factory=set)
    # namespace -> (class, argument count) of its scoped instances (`scoped_classes_of`)
    scoped_classes: dict[str, set[tuple[str, int]]] = field(default_factory=dict)

    def instances_for(self, c: str, args: tuple[Term, ...], local: frozenset[str]) -> list:
        """The instances of class `c` that a query `C args` must try: those whose
        conclusion's heads cannot clash for certain with the query's (`instance_heads`)."""
        insts = self.instances.get(c)
        if insts is None or len(insts) < 8 or not self.index_instances:
            return insts or []
        b = self._buckets.get(c)
        if b is None:
            b = self._buckets[c] = build_buckets(
                [pats for _, _, pats, _ in insts],
                [tuple(head_of(p) for p in pats) for _, _, pats, _ in insts],
                [metas for metas, _, _, _ in insts],
                [any(isinstance(p, Ident) and p.name in co for p in pats)
                 for _, _, pats, co in insts], self.known, self.flexible)
        qh = tuple(query_head(a, head_of(a), local, self.known, self.flexible) for a in args)
        return [insts[i] for i in candidates(b, qh)]

    @classmethod
    def build(cls, sigs: Iterable[Sig]) -> "ClassTable":
        tab = cls()
        known: set[str] = {"→", "×", "Sort", "Prop", "Type", "Subtype"} | set(CORE_TYPES) | \
            set(CORE_DEFS)
        valued: set[str] = set()  # keys of a declaration whose values may be terms
        sorts: set[str] = set()  # keys of a declaration of a type
        flexible: set[str] = set()
        rigid: set[str] = set(CORE_TYPES)
        loose: set[str] = set()
        root_other: set[str] = set()  # root declarations that are no `abbrev`
        insts: list[Sig] = []
        sigs = list(sigs)
        tab.notations = notation_table(sigs)
        for s in sigs:
            if s.kind in ("theorem", "notation", "infix", "hom"):  # a name only; a token
                continue
            key = head_name(s.name)
            known.add(key)
            if s.name == key and s.kind != "abbrev":
                root_other.add(key)
            if s.kind == "abbrev":
                flexible.add(key)
                tab._add_unfold(key, s)
            if s.kind in ("structure", "class", "inductive"):
                rigid.add(key)
                sorts.add(key)
            elif s.kind in ("def", "abbrev", "opaque", "core", "field", "ctor"):
                loose.add(key)
                if s.type is not None:  # no written type: `def Set (α) := α → Prop`
                    (sorts if _sort_valued(s.type) else valued).add(key)
            if s.kind == "class":
                tab.params[key] = tuple(n for g in s.binders if g.kind == "explicit"
                                        for n in g.names)
                tab.parents[key] = s.parents
            elif s.kind == "instance" and SCOPED_MARK in s.name:
                tab._add_scoped(s)
            elif s.kind == "instance":
                insts.append(s)
        tab._add_field_parents(sigs)
        rigid -= loose - set(CORE_TYPES)
        # `WithZero`, `WithTop`: a head of their own, their twin's kind (`generated`)
        named = {head_name(n) for s in insts if s.type is not None for n in heads(s.type)}
        kinds = {k: "structure" if k in rigid else "def" for k in known - flexible}
        for n, kind in generated_types(named - known, kinds).items():
            known.add(n)
            if kind == "structure":
                rigid.add(n)
        tab.known = frozenset(known)
        # the bare name of a root `def` (`Set`) means it, not another namespace's
        # `abbrev` of that last name (`CategoryTheory.….Set`), outside that namespace
        tab.flexible = frozenset(flexible - root_other)
        tab.rigid = frozenset(rigid)
        tab.types = frozenset(known - (valued - sorts)) - tab.flexible
        from lean_alchemy.index.typing.infer import Constants

        tab.constants = Constants(sigs)
        for s in insts:
            tab._add_instance(s)
        tab._add_additive_twins(insts)
        tab.constants.fun_like = fun_like_ends(tab.instances.get("FunLike", ()))
        for c, ps in tab.parents.items():
            for p in ps:
                h = head_of(p)
                if h is not None:
                    tab.children.setdefault(head_name(h), []).append((c, p))
        return tab

    def _add_scoped(self, s: Sig) -> None:
        """An instance scoped to a namespace (`scoped[Pointwise] attribute [instance]
        Set.inv`) is no instance of the table: it holds only where its namespace is
        open.  Kept are the heads of the types it is about (`ANY` for a variable or an
        unread head), which `scoped_heads` gives a candidate that opens it."""
        ns = s.name.rsplit(SCOPED_MARK, 1)[1]
        metas = {n for g in s.binders for n in g.names}
        got: set[str] = set()
        for a in (s.type.args if isinstance(s.type, App) else ()):
            h = head_of(a)
            got.add(ANY_HEAD if h is None or h in metas else head_name(h))
        if not got:
            got.add(ANY_HEAD)
        self.scoped[ns] = self.scoped.get(ns, frozenset()) | got
        c = head_of(s.type) if s.type is not None else None
        if c is not None and _coercion_class(head_name(c)):
            self.scoped_coercions.add(ns)
        if c is not None:
            self.scoped_classes.setdefault(ns, set()).add(
                (head_name(c), len(s.type.args) if isinstance(s.type, App) else 0))

    def scoped_classes_of(self, namespaces: frozenset[str]) -> frozenset[str] | None:
        """Every class an instance of the open `namespaces`' scoped instances may lead to
        (through `extends` and the instances whose premises they meet, `horn`): a *no*
        about another class stays certain there (`open scoped Classical` gives
        `Decidable` instances, no `LT ℂ`).  None: an unread class, any."""
        start: set[tuple[str, int]] = set()
        for n in namespaces:
            for c, k in self.scoped_classes.get(n, ()):
                if c not in self.params:
                    return None
                start.update((c, i) for i in range(max(k, 1)))
        if not start:
            return frozenset()
        return frozenset(c for c, _ in self.horn().closure(start))

    def opens_scoped_coercions(self, namespaces: frozenset[str]) -> bool:
        return any(n in self.scoped_coercions for n in namespaces)

    def scoped_heads(self, namespaces: frozenset[str]) -> frozenset[str]:
        """Heads of the types the scoped instances of the open `namespaces` are about: an
        answer *no* about a type that mentions one may be wrong there."""
        return frozenset().union(*(self.scoped[n] for n in namespaces if n in self.scoped))

    def _add_field_parents(self, sigs: list[Sig]) -> None:
        """A class field `toP : P α` (not `extends`) that an `attribute [instance]` makes
        a parent (`PseudoMetricSpace.toUniformSpace`, Mathlib/Topology/MetricSpace/Pseudo/
        Defs.lean:149, :173-174): counted as a parent whether or not the attribute was
        read, which only adds facts."""
        for s in sigs:
            owner, _, last = s.name.rpartition(".")
            key = head_name(owner) if owner else ""
            if s.kind != "field" or key not in self.params or not last.startswith("to") \
                    or s.type is None or not isinstance(s.type, App):
                continue
            h = head_of(s.type)
            if h is not None and head_name(h) in self.params and s.type not in self.parents[key]:
                self.parents[key] = self.parents[key] + (s.type,)

    def _add_additive_twins(self, insts: list[Sig]) -> None:
        """The additive twins `to_additive` makes of the instances about type variables
        (`additive`): `[Group G] : DivisionMonoid G` gives `[AddGroup G] :
        SubtractionMonoid G`, and `[SeminormedGroup E] : NNNorm E`, whose class has no
        twin, `[SeminormedAddGroup E] : NNNorm E`."""
        names = additive_names(self.params)
        if not names:
            return
        for s in insts:
            ty = s.type
            h = head_of(ty) if ty is not None else None
            if h is None or not isinstance(ty, App) or head_name(h) not in names and not any(
                    head_name(p) in names for p in (head_of(g.type) for g in s.binders
                                                    if g.kind == "inst" and g.type is not None)
                    if p is not None):
                continue  # neither its class nor a premise's has a twin (`[SeminormedGroup E] :
                # NNNorm E` gives `[SeminormedAddGroup E] : NNNorm E`)
            metas = {n for g in s.binders for n in g.names}
            if not any(heads(a) & metas or _auto_bound_in(a, self) for a in ty.args):
                continue  # about a closed type: no `to_additive` twin assumed
            self._add_instance(Sig(s.name + ".additive", "instance",
                                   translate_binders(s.binders, names), translate(ty, names)))

    def _add_unfold(self, key: str, s: Sig) -> None:
        if s.type is not None and not _sort_valued(s.type):
            return  # a term (`hom f : X ⟶ Y`), never a type: it unfolds to no head
        params = {n for g in s.binders for n in g.names}
        body = s.body
        while isinstance(body, BinOp) and body.op == "<|":  # `Quotient <| …` is `Quotient …`
            body = body.lhs
        h = head_of(body) if body is not None else None
        if h is None and isinstance(body, Proj) and not body.field.isdigit():
            # `abbrev M := (F ⋙ forget MonCat).ColimitType`: `x.f` is `T.f x`, a constant
            # of the last name `f`, which instance matching does not unfold unless it is
            # an `abbrev` itself (`unfolds` follows that key)
            h = body.field.rsplit(".", 1)[-1]
        if h is None or h in params or not _closed_head(head_name(h)):
            if h is not None and (h in params or "." not in h and h not in self.known
                                  and _auto_bound(h)):
                self.bare.add(key)  # may be a variable: any type, the tower's too
            self.unfold[key] = None
            return
        if key in self.unfold and self.unfold[key] is None:
            return
        self.unfold[key] = (self.unfold.get(key) or frozenset()) | {head_name(h)}

    def unfolds(self, key: str) -> frozenset[str] | None:
        """Every head the `abbrev` key `key` may unfold to through abbrevs (itself
        included: a definition of the same last name may be meant; a type operator with
        the constants its notation stands for, `→L` with `ContinuousLinearMap`), or None
        when one of them may unfold to anything or to a name the table does not know."""
        out: set[str] = set()
        todo = [key]
        while todo:
            h = todo.pop()
            if h in out:
                continue
            out.add(h)
            if h not in self.known and _word(h):
                return None  # an unknown name (a notation's type operator is its own head)
            if not _word(h) and self.constants is not None:  # `StrongDual R M := M →L[R] R`
                todo.extend(head_name(c) for c in self.constants.infix_constants(h))
            if h in self.flexible and (h in self.unfold or len(out) > 16):
                got = self.unfold.get(h)
                if got is None or len(out) > 16:
                    return None
                todo.extend(got)
        return frozenset(out)

    def type_constants_only(self, h: str, *, final: bool = False) -> bool:
        """Is every type of head `h` a type constant of the table (a structure, class,
        inductive type or definition of a sort; each unfolding of an `abbrev` `h`, which
        must unfold to another head)?  `final`: those unfoldings are no `abbrev`s
        themselves."""
        if h in self.flexible:
            to = self.unfolds(h)
            return to is not None and any(x != h for x in to) and all(
                x == h or (x in self.types and not (final and x in self.flexible))
                for x in to)
        return h in self.types

    def may_be_bare(self, key: str) -> bool:
        """May the `abbrev` key `key` unfold, through abbrevs, to a bare variable (and so
        to any type)?  Bodies headed by a notation, a projection or a constant do not."""
        seen: set[str] = set()
        todo = [key]
        while todo:
            h = todo.pop()
            if h in seen:
                continue
            seen.add(h)
            if h in self.bare:
                return True
            todo.extend(x for x in self.unfold.get(h) or () if x in self.flexible)
        return False

    def horn(self) -> HornRules:
        """The instance and `extends` rules over class positions (`horn`), built once."""
        if self._horn is None:
            self._horn = HornRules(self, is_open, TOWER)
        return self._horn

    @property
    def coercions(self) -> Any:  # coerce.Coercions (imported late: it imports this module)
        """The coercion table of the library's instances (`coerce`), built once."""
        if self._coercions is None:
            from lean_alchemy.index.typing.coerce import Coercions

            self._coercions = Coercions(self)
        return self._coercions

    def parent_facts(self, f: Term) -> list[Term]:
        """The `extends` parents of the fact `C args` (parameters substituted)."""
        sp = _split(f)
        if sp is None:
            return []
        c, args = sp
        params = self.params.get(c, ())
        if len(params) != len(args):
            return []
        s = dict(zip(params, args))
        return [subst(norm(p, frozenset(params)), s)  # type: ignore[arg-type]
                for p in self.parents.get(c, ())]

    def with_ancestors(self, classes: Iterable[str]) -> set[str]:
        """`classes` and every class they extend, transitively."""
        out: set[str] = set()
        todo = list(classes)
        while todo:
            c = todo.pop()
            if c in out:
                continue
            out.add(c)
            todo.extend(head_name(h) for p in self.parents.get(c, ())
                        if (h := head_of(p)) is not None)
        return out

    def match(self, p: Term, t: Term, metas: frozenset[str], s: dict[str, Term],
              local: frozenset[str]) -> bool | None:
        return unify(p, t, metas, s, self, local)

    def _add_instance(self, s: Sig) -> None:
        """One row per reading of its conclusion (`generated.expand_notations`)."""
        if s.type is not None:
            for ty in expand_notations(s.type, self.notations,
                                       {n for g in s.binders for n in g.names}):
                self._add_reading(s, ty)

    def _add_reading(self, s: Sig, ty: Term) -> None:
        # binders, and a name of the conclusion the table does not know that a binder's
        # type mentions (a variable whose own binder the header lost).  One no binder
        # mentions is a notation (`𝔻`, `K₀`: Mathlib builds with `autoImplicit false`,
        # so a conclusion binds no name itself), which counts as an unknown name
        bound = frozenset(n for g in s.binders for n in g.names
                          if not _MISREAD.intersection(g.names) or _auto_bound(n))
        used = frozenset(n for g in s.binders if g.type is not None for n in heads(g.type))
        metas = bound | frozenset(n for n in heads(ty) if head_name(n) not in self.known
                                  and _auto_bound(n) and n in used)
        # `instance (s : S) : Field s`: a term used as a type (`↥s`), not a type variable
        coerced = frozenset(n for g in s.binders if g.type is not None
                            and not isinstance(g.type, Sort) for n in g.names)
        while isinstance(ty, BinOp) and ty.op == "→":  # `instance : A α → B α` (rare)
            ty = ty.rhs
        if ty is None:
            return
        h = head_of(ty)
        if h is None:
            return
        args = _class_args(ty.args) if isinstance(ty, App) else ()
        prem = tuple(norm(g.type, metas) for g in s.binders
                     if g.kind == "inst" and g.type is not None)
        self.instances.setdefault(head_name(h), []).append(
            (metas, prem, tuple(norm(local_fields(a, metas), metas) for a in args),
             coerced))  # type: ignore


def _class_args(args: tuple[Term, ...]) -> tuple[Term, ...]:
    """A class application's arguments as the class sees them: notations the grammar
    splits into several arguments joined again (`_hahn_series`, `_glued_after_token`)."""
    return _glued_after_token(_hahn_series(args))


def _glued_after_token(args: tuple[Term, ...]) -> tuple[Term, ...]:
    """`C^n⟮I, M; I', M'⟯` (`scoped[Manifold] notation "C^" n "⟮" I ", " M "; " I' ", "
    M' "⟯" => ContMDiffMap I I' M M' n`, Mathlib/Geometry/Manifold/ContMDiffMap.lean:42)
    is one type; the grammar reads its token `C^` and the glued bracket `n⟮…⟯` as two
    arguments of the class."""
    if not any(isinstance(a, Glued) for a in args):
        return args  # every query's arguments pass here (`_split`)
    out: list[Term] = []
    for a in args:
        prev = out[-1] if out else None
        if isinstance(a, Glued) and a.open == "⟮" and isinstance(prev, Ident) and \
                prev.name.endswith("^"):
            out[-1] = App(prev, (a,))
        else:
            out.append(a)
    return tuple(out)


def _hahn_series(args: tuple[Term, ...]) -> tuple[Term, ...]:
    """An instance conclusion's arguments with `R⟦Γ⟧` read as `HahnSeries Γ R`
    (`macro_rules | `($R⟦$M⟧) => `(HahnSeries $M $R)`, Mathlib/RingTheory/HahnSeries/
    Basic.lean:63-65), which the grammar reads as a glued `⟦`."""
    out: list[Term] = []
    for a in args:
        if isinstance(a, Glued) and a.open == "⟦" and len(a.items) == 1:
            out.append(App(Ident("HahnSeries"), (a.items[0], a.head)))
        else:
            out.append(a)
    return tuple(out)


def fun_like_ends(insts: Iterable[tuple]) -> dict[str, list[tuple]]:
    """Head of a bundled type -> (variables, the type's pattern, domain, codomain) of each
    `FunLike F α β` instance about it (`FunLike (Measure α) (Set α) ℝ≥0∞`, Mathlib/
    MeasureTheory/Measure/MeasureSpaceDef.lean:89): how a value of that type applies."""
    out: dict[str, list[tuple]] = {}
    for metas, _prem, pats, _co in insts:
        h = head_of(pats[0]) if len(pats) == 3 else None
        if h is not None and h not in metas:
            out.setdefault(head_name(h), []).append((metas, pats[0], pats[1], pats[2]))
    return out


def is_open(c: str) -> bool:
    """Classes whose instances come from everywhere: never *no*."""
    return c in OPEN_CLASSES or c.startswith("Decidable")


def _coercion_class(c: str) -> bool:
    """A class whose instances are coercions (`Coe…`, `FunLike`, `…HomClass`, `SetLike`)."""
    return c.startswith("Coe") or c in ("FunLike", "DFunLike", "EquivLike", "SetLike") or \
        c.endswith(("HomClass", "EquivClass", "EmbeddingClass"))


def _closed_head(h: str) -> bool:
    """A constant, not a name shaped like a variable the candidate did not bind
    (`{u}`, an auto-bound `α` of a rule): only constants have a fixed set of instances."""
    from lean_alchemy.index.typing.saturate import variable_name

    return not variable_name(h) and not h.startswith("{")


def _auto_bound(n: str) -> bool:
    """A name an instance's conclusion may bind automatically (`α`, `M₁`); any other
    unknown name (`ℤ√d`'s pieces, a notation) is a constant the table does not know."""
    from lean_alchemy.index.typing.saturate import variable_name

    return variable_name(n)


def _sort_valued(t: Term) -> bool:
    """A result type whose values are types: a sort, or a function into one."""
    while isinstance(t, BinOp) and t.op == "→" or isinstance(t, Quant) and t.op in ("∀", "Π"):
        t = t.rhs if isinstance(t, BinOp) else t.body  # type: ignore[union-attr]
    return isinstance(t, Sort)


def _auto_bound_in(t: Term, table: "ClassTable") -> bool:
    return any(head_name(n) not in table.known and _auto_bound(n) for n in heads(t))


def _word(h: str) -> bool:
    return h[:1].isalpha() or h[:1] == "_"


def _split(goal: Term) -> tuple[str, tuple[Term, ...]] | None:
    h = head_of(goal)
    if h is None:
        return None
    return head_name(h), (_class_args(goal.args) if isinstance(goal, App) else ())


class Resolver:
    """Instance queries in one candidate's context: its type variables (`local`) and its
    instance binders (`facts`, closed upwards under `extends`).  Memoized per context."""

    def __init__(self, table: ClassTable, local: frozenset[str], facts: Iterable[Term]):
        self.table = table
        self.local = local
        self.memo: dict[Term, str] = {}
        self.quick_memo: dict[Term, str] = {}
        self.quick = False  # `holds(…, exhaustive=False)` is searching
        self.steps = 0
        self.budget = MAX_STEPS
        start = [f for f in (norm(f, local) for f in facts) if f is not None]
        # the binders' facts closed upwards under `extends` (what answers *yes*)
        self.facts: set[Term] = set()
        todo = list(start)
        while todo and len(self.facts) < MAX_FACTS:
            f = todo.pop()
            if f not in self.facts:
                self.facts.add(f)
                todo.extend(table.parent_facts(f))
        self._direct = variable_keys(start, local)
        self._closures: dict[str, frozenset] = {}

    def keys(self, var: str) -> frozenset:
        """The class positions type variable `var` may fill (`horn`), computed once."""
        hit = self._closures.get(var)
        if hit is None:
            hit = self._closures[var] = self.table.horn().closure(self._direct.get(var, ()))
        return hit

    def _never_at(self, c: str, j: int, h: str) -> bool:
        """Can no type with head `h` be the j-th argument of a `C` instance?  An
        `abbrev` head counts as every head it unfolds to (unknown: never decided), a
        definition of a term (`cocycles₁ A`, standing for `↥(cocycles₁ A)`) is never
        decided: the instances about a coerced term (`instance (s : S) : Ring s`) have
        no head in the closure."""
        heads_ = self.table.unfolds(h) if h in self.table.flexible else (
            frozenset({h}) if h in self.table.types else None)
        if heads_ is None:  # unknown, or a term coerced to a type (`↥(cocycles₁ A)`)
            return False
        horn = self.table.horn()
        return all((c, j) not in horn.head_closure(x) for x in heads_)

    def _atomic(self, args: tuple[Term, ...]) -> bool:
        return any(isinstance(a, Ident) and a.name in self.local for a in args)

    def _decide(self, g: Term, c: str, args: tuple[Term, ...]) -> str | None:
        """*no* when a type variable at some position cannot have the class there."""
        for j, a in enumerate(args):
            if isinstance(a, Ident) and a.name in self.local and (c, j) not in self.keys(a.name):
                return NO
        return None

    def holds(self, goal: Term, *, exhaustive: bool = True) -> str:
        """*yes* / *no* / *unknown*: does the instance `goal` (`C T …`) exist here?
        `exhaustive=False` (the match filter, which drops only on *no*): a search stops
        at its first *unknown*, which no later branch can turn into *no*, so *yes* is
        reported only when found before any *unknown*.  Why: most queries of a large
        library meet an unknown early, and trying every instance of `Module` after it
        was most of the filter's cost.  Each *no* is still an exhausted search."""
        g = norm(goal, self.local)
        if g is None:
            return UNKNOWN
        local = bool(heads(g) & self.local)
        if exhaustive:
            memo = self.memo if local else self.table.ground_memo
        else:
            memo = self.quick_memo if local else self.table.ground_quick_memo
            known = (self.memo if local else self.table.ground_memo).get(g)
            if known is not None:
                return known
        hit = memo.get(g)
        if hit is None:
            self.steps = 0
            self.budget = LOCAL_STEPS if local else MAX_STEPS
            self.quick = not exhaustive
            try:
                hit = memo[g] = self._holds(g, 0, set())
            finally:
                self.quick = False
        return hit

    def _holds(self, g: Term, depth: int, stack: set[Term]) -> str:
        if g in self.facts:
            return YES
        sp = _split(g)
        if sp is None:
            return UNKNOWN
        c, args = sp
        if (is_open(c) or c not in self.table.params
                or depth > MAX_DEPTH or self.steps > self.budget):
            return UNKNOWN
        for j, a in enumerate(args):  # about a type with a rigid head: decided forwards
            h = a.name if isinstance(a, Ident) else (
                a.fn.name if isinstance(a, App) and isinstance(a.fn, Ident) else None)
            if h is not None and h not in self.local and _closed_head(h) and \
                    self._never_at(c, j, h):
                return NO
        if self._atomic(args):  # about the candidate's variables: decided forwards
            no = self._decide(g, c, args)
            if no is not None:
                return no
            if all(isinstance(a, Ident) and a.name in self.local for a in args):
                return UNKNOWN
        if self._fact_with_holes(c, args):
            return YES
        if g in stack:  # a derivation through itself contains a shorter one
            return NO
        stack = stack | {g}
        self.steps += 1
        arity = len(self.table.params[c])
        if len(args) < arity:
            return UNKNOWN  # an instance binder the needs read short (`[C a b c]` as `C`)
        out = NO
        for metas, prem, pats, coerced in self.table.instances_for(c, args, self.local):
            if len(pats) != len(args) and len(args) == arity > 0:
                # of another class of that last name (`LieModule.IsNilpotent L M`); a class
                # whose parameters are all section variables reads none (`class
                # TotalComplexShape where`): its instances' count says nothing
                continue
            carriers = [self._never_a_carrier(a) for p, a in zip(pats, args)
                        if isinstance(p, Ident) and p.name in coerced]
            if any(carriers):
                continue  # `↥s` (a subtype, a carrier) is never `ℕ`, `Ideal R`, `Type u`
            if carriers:
                if self.quick:
                    return UNKNOWN
                out = UNKNOWN
                continue
            r = self._via_instance(metas, prem, pats, args, depth, stack)
            if r == YES:
                return YES
            if r == UNKNOWN:
                if self.quick:
                    return UNKNOWN
                out = UNKNOWN
        for child, parent in self.table.children.get(c, ()):
            r = self._via_child(child, parent, args, depth, stack)
            if r == YES:
                return YES
            if r == UNKNOWN:
                if self.quick:
                    return UNKNOWN
                out = UNKNOWN
        return out

    def _never_a_carrier(self, a: Term) -> bool:
        """Is the query type `a` certainly no term coerced to a type (`↥s`, a `Subtype`),
        which an instance about a term (`instance (s : S) : Ring s`) is about?  A type of
        the tower, a sort, or a type constant that is no `abbrev` (or an `abbrev` whose
        every unfolding is one); not a type variable of the candidate or a definition of
        a term (`cocycles₁ A` stands for `↥(cocycles₁ A)`)."""
        h = POSTFIX_TYPES.get(a.op) if isinstance(a, Postfix) else head_of(a)  # `Rˣ`
        if h is None or h in self.local or h == "Subtype":
            return False
        return h in TOWER or h == "Sort" or self.table.type_constants_only(h)

    def _fact_with_holes(self, c: str, args: tuple[Term, ...]) -> bool:
        """A query with an argument left open (`Pow G _` of `g ^ 2`) that one of the
        candidate's instance binders answers (`[Pow G ℕ]`)."""
        if not any(isinstance(a, Hole) for a in args):
            return False
        for f in self.facts:
            sp = _split(f)
            if sp is not None and sp[0] == c and len(sp[1]) == len(args) and all(
                    isinstance(a, Hole) or a == b for a, b in zip(args, sp[1])):
                return True
        return False

    def _via_instance(self, metas: frozenset[str], prem: tuple[Term, ...],
                      pats: tuple[Term, ...], args: tuple[Term, ...], depth: int,
                      stack: set[Term]) -> str:
        if len(pats) != len(args):
            return UNKNOWN
        s: dict[str, Term] = {}
        certain = True
        for p, a in zip(pats, args):
            r = unify(p, a, metas, s, self.table, self.local)
            if r is False:
                return NO
            if r is None:
                certain = False
        if not certain:
            return UNKNOWN
        verdict = YES
        for q in prem:
            q2 = constant_family(subst(q, s), s)
            if mentions(q2, metas - frozenset(s)):
                return UNKNOWN  # a premise about a type the conclusion does not fix
            ans = self._holds(q2, depth + 1, stack)
            if ans == NO:
                return NO
            if ans == UNKNOWN:
                verdict = UNKNOWN
        return verdict

    def _via_child(self, child: str, parent: Term, args: tuple[Term, ...], depth: int,
                   stack: set[Term]) -> str:
        params = self.table.params.get(child, ())
        pargs = parent.args if isinstance(parent, App) else ()
        if len(pargs) != len(args):
            return UNKNOWN
        s: dict[str, Term] = {}
        meta = frozenset(params)
        for p, a in zip(pargs, args):
            r = unify(norm(p, meta), a, meta, s, self.table, self.local)  # type: ignore
            if r is False:
                return NO
            if r is None:
                return UNKNOWN
        if any(n not in s for n in params):
            return UNKNOWN
        goal = App(Ident(child), tuple(s[n] for n in params)) if params else Ident(child)
        return self._holds(goal, depth + 1, stack)
