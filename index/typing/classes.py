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
it (`unify`, `Resolver`) share the head model and normal form of type terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from lean_alchemy.grammar.ast import (
    App, BinOp, Enclosed, Glued, Ident, Num, Postfix, Prefix, Proj, Quant, Sort, Subtype,
    Term, Typed,
)
from lean_alchemy.grammar.walk import heads
from lean_alchemy.index.typing.additive import additive_names, translate, translate_binders
from lean_alchemy.index.typing.generated import (
    expand_notations, generated_types, notation_table,
)
from lean_alchemy.index.typing.horn import HornRules, variable_keys
from lean_alchemy.index.typing.instance_heads import HeadBuckets, build_buckets, candidates, query_head
from lean_alchemy.index.typing.saturate import UNSOLVED, subst
from lean_alchemy.index.typing.signatures import CORE_INFIX, SCOPED_MARK, Sig, head_name

YES, NO, UNKNOWN = "yes", "no", "unknown"
# Lean core types (`Prelude.lean`, `Init`): heads as concrete as the library's structures
CORE_TYPES = ("Nat", "Int", "Rat", "Bool", "String", "Char", "List", "Array", "Option", "Prod",
              "Sum", "Fin", "UInt8", "UInt64", "ULift", "PLift", "Unit", "PUnit", "Quot",
              "Float", "Except", "Thunk", "Task", "IO", "Sigma", "PSigma", "PProd", "MProd",
              "BitVec", "TransGen")
# the number tower: types spelled only by their names or the aliases `head_name`
# normalizes (`ℕ ℤ ℚ ℝ ℂ ℝ≥0 ℝ≥0∞ EReal`), so no notation or generated name of an
# instance's conclusion (`M ⟶ N`, `WithTop α`, `tsze R M`) denotes one of them
TOWER = frozenset({"Nat", "Int", "Rat", "Real", "Complex", "NNReal", "ENNReal", "EReal",
                   "NNRat", "PNat", "ENat"})
# words a header misread as binder names (`set_option … false in instance …`): never a
# variable of the instance, so its conclusion keeps the head it names
_MISREAD = frozenset({"in", "def", "instance", "variable", "false", "true", "set_option",
                      "noncomputable", "abbrev", "structure", "class", "private",
                      "protected", "open", "scoped", "local"})
_SIGMA = {"Σ": "Sigma", "Σ'": "PSigma"}
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


def norm(t: Term | None, local: frozenset[str] = frozenset()) -> Term | None:
    """A type term with constants keyed like the table (`head_name`), locals kept,
    ascriptions dropped: structural equality is then type equality up to notation."""
    if t is None:
        return None
    if isinstance(t, Ident):
        return t if t.name in local else Ident(head_name(t.name))
    if isinstance(t, Typed):
        return norm(t.term, local)
    if isinstance(t, App):
        return App(norm(t.fn, local), tuple(norm(a, local) for a in t.args))  # type: ignore
    if isinstance(t, BinOp) and t.op in ("<|", "|>"):  # `WithConv <| C →ₐ[R] A`
        f = norm(t.lhs if t.op == "<|" else t.rhs, local)
        x = norm(t.rhs if t.op == "<|" else t.lhs, local)
        if f is None or x is None:
            return None
        return App(f.fn, f.args + (x,)) if isinstance(f, App) else App(f, (x,))
    if isinstance(t, BinOp):
        return BinOp(t.op, norm(t.lhs, local), norm(t.rhs, local))  # type: ignore[arg-type]
    return t


def head_of(t: Term) -> str | None:
    """The head symbol of a type: `Finset` of `Finset α`, `→` of a function type, `ᵐᵒᵖ`
    of `αᵐᵒᵖ`, `→ₗ` of `M →ₗ[R] N` (the bracket is an argument), a local's name; None
    for what has no visible head (a projection, an unparsed span)."""
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident):
        return t.name
    if isinstance(t, BinOp):
        return t.op.split("[", 1)[0]
    if isinstance(t, (Postfix, Prefix)):
        return t.op
    if isinstance(t, Quant) and t.op in ("∀", "Π"):
        return "→"
    if isinstance(t, Quant) and t.op in _SIGMA:  # `Σ i, G i` is `Sigma G` (Lean core)
        return _SIGMA[t.op]
    if isinstance(t, Sort):
        return "Sort"
    if isinstance(t, Subtype):
        return "Subtype"
    return None


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
        known: set[str] = {"→", "×", "Sort", "Prop", "Type", "Subtype"} | set(CORE_TYPES)
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
            elif s.kind in ("def", "abbrev", "opaque", "core", "field", "ctor"):
                loose.add(key)
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
        SubtractionMonoid G`."""
        names = additive_names(self.params)
        if not names:
            return
        for s in insts:
            ty = s.type
            h = head_of(ty) if ty is not None else None
            if h is None or head_name(h) not in names or not isinstance(ty, App):
                continue
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
        included: a definition of the same last name may be meant), or None when one of
        them may unfold to anything or to a name the table does not know."""
        out: set[str] = set()
        todo = [key]
        while todo:
            h = todo.pop()
            if h in out:
                continue
            out.add(h)
            if h not in self.known and _word(h):
                return None  # an unknown name (a notation's type operator is its own head)
            if h in self.flexible and (h in self.unfold or len(out) > 16):
                got = self.unfold.get(h)
                if got is None or len(out) > 16:
                    return None
                todo.extend(got)
        return frozenset(out)

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
        args = _hahn_series(ty.args) if isinstance(ty, App) else ()
        prem = tuple(norm(g.type, metas) for g in s.binders
                     if g.kind == "inst" and g.type is not None)
        self.instances.setdefault(head_name(h), []).append(
            (metas, prem, tuple(norm(a, metas) for a in args), coerced))  # type: ignore


def _hahn_series(args: tuple[Term, ...]) -> tuple[Term, ...]:
    """An instance conclusion's arguments with `R⟦Γ⟧` read as `HahnSeries Γ R`
    (`macro_rules | `($R⟦$M⟧) => `(HahnSeries $M $R)`, Mathlib/RingTheory/HahnSeries/
    Basic.lean:63-65), which the grammar reads as `R` and a separate `⟦Γ⟧` (a quotient
    `⟦a⟧` is a term, never a class argument after a type)."""
    if len(args) < 2 or not isinstance(args[-1], Enclosed) or args[-1].open != "⟦":
        return args
    return args[:-2] + (App(Ident("HahnSeries"), (args[-1].term, args[-2])),)


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
    if isinstance(p, BinOp) and isinstance(t, BinOp) and p.op == t.op and "[" not in p.op:
        # one notation on both sides (`β →+* γ`, `B →+* C`): its operands match
        both: bool | None = True
        for a, b in ((p.lhs, t.lhs), (p.rhs, t.rhs)):
            r = unify(a, b, metas, s, table, local)
            if r is False:
                return False
            both = None if r is None else both
        return both
    if isinstance(p, BinOp) is not isinstance(t, BinOp):
        p, t = _spelled_out(p, table), _spelled_out(t, table)
    hp, ht = head_of(p), head_of(t)
    if hp is None and ht in TOWER and ht not in local:
        return False  # a projection, a numeral, an unparsed notation: none names ℕ
    if isinstance(p, (Glued, Quant)) and ht is not None and ht not in local and \
            ht in table.known and ht not in table.flexible and \
            _names_another(p, ht, metas, table):
        return False  # `C(α, β)` is a `ContinuousMap`, `Π₀ i, β i` a `DFinsupp`
    if hp in metas and isinstance(p, App) and ht is not None:
        return _applied_variable(p, t, ht, metas, s, table, local)
    if hp is None or ht is None or hp in metas:
        return None
    if ht not in local and (ht not in table.known or ht in table.flexible):
        return _same_unfoldable_head(p, t, metas, s, table, local) if hp == ht else None
    if hp != ht:  # an unknown name in an instance (a notation) may be the query's type
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


def _spelled_out(t: Term, table: ClassTable) -> Term:
    """A type operator as the constant the library's command says it stands for,
    applied to its operands (`C ⥤ D` is `Functor C D`), so that it meets the constant
    written out; other terms as they are."""
    if not isinstance(t, BinOp) or "[" in t.op or table.constants is None:
        return t
    c = table.constants.infix_head(t.op)
    return App(Ident(head_name(c)), (t.lhs, t.rhs)) if c is not None else t  # as `norm`


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


def _may_be_abbrev(name: str, table: ClassTable) -> bool:
    """May the constant of this full name be an `abbrev`?  The table keys `abbrev`s by
    their last component (`Foo.Sum` makes every `Sum` flexible); a declaration of exactly
    this name that is no `abbrev`, or a Lean core type (`Sum`), settles it."""
    if name in CORE_INFIX.values():
        return False
    exact = [s for s in table.constants.candidates(name) if s.name == name]
    return not exact or any(s.kind == "abbrev" for s in exact)


def _mentions(t: Term, names: frozenset[str]) -> bool:
    if isinstance(t, Ident):
        return t.name in names
    if isinstance(t, App):
        return _mentions(t.fn, names) or any(_mentions(a, names) for a in t.args)
    if isinstance(t, BinOp):
        return _mentions(t.lhs, names) or _mentions(t.rhs, names)
    return False


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
    return head_name(h), (goal.args if isinstance(goal, App) else ())


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
        `abbrev` head counts as every head it unfolds to (unknown: never decided)."""
        heads_ = self.table.unfolds(h) if h in self.table.flexible else (
            frozenset({h}) if h in self.table.known else None)
        if heads_ is None:
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
        if g in stack:  # a derivation through itself contains a shorter one
            return NO
        stack = stack | {g}
        self.steps += 1
        out = NO
        for metas, prem, pats, coerced in self.table.instances_for(c, args, self.local):
            carriers = [head_of(a) in TOWER for p, a in zip(pats, args)
                        if isinstance(p, Ident) and p.name in coerced]
            if any(carriers):
                continue  # `↥s` (a subtype, a carrier) is never a type of the tower
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
            q2 = subst(q, s)
            if _mentions(q2, metas - frozenset(s)):
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
