"""The signature table: name -> binders and result type, for every declaration of the
library plus a small table of Lean core constants and instances.

Why: elaboration-lite types a statement's sub-terms and resolves instances without Lean;
both need to know what each constant takes and returns and which `class`/`instance`
declarations exist.  Every non-theorem declaration is read from its source span
(`headers.read_header`); theorems are listed by name only (dot notation `x.f` may name
one, and a field no declaration has is a clash).  The table is built once by the index
stage and stored as `RUN/signatures.parquet` (explicit schema, `SCHEMA`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.grammar.ast import (
    App, BinderGroup, Ident, Sort, Term, dumps, loads,
)
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.statements import dumps_binders, loads_binders
from lean_alchemy.grammar.walk import heads
from lean_alchemy.index.sources import source_bytes
from lean_alchemy.index.typing.headers import Header, read_header
from lean_alchemy.index.typing.scoped import (
    body_words,
    declaration_scopes,
    included_section_binders,
    section_of,
)

SCHEMA = pa.schema([
    pa.field("name", pa.string(), nullable=False),
    # declaration kind, `field`, `ctor`, `core`; a `theorem` row is a name only (what dot
    # notation may resolve to), with no binders or type; a `notation` or `infix` row is a
    # token and its right side (`body`)
    pa.field("kind", pa.string(), nullable=False),
    pa.field("binders", pa.string(), nullable=False),  # `dumps_binders`
    pa.field("type", pa.string()),  # `dumps` of the result type, null when not written
    pa.field("parents", pa.list_(pa.string()), nullable=False),  # `extends` (dumped)
    # `dumps` of an `abbrev`'s body or a short type-level `def`'s (`headers`), else null
    pa.field("body", pa.string()),
])

FILE = "signatures.parquet"


@dataclass(frozen=True, slots=True)
class Sig:
    """One constant: kind, binder groups, result type (None: not written), parents, and
    an `abbrev`'s or type-level `def`'s body (None otherwise)."""

    name: str
    kind: str
    binders: tuple[BinderGroup, ...]
    type: Term | None
    parents: tuple[Term, ...] = ()
    body: Term | None = None


# Lean core / Batteries classes and instances Mathlib relies on without declaring them
# (read from Lean 4 core's `Prelude.lean` / `Init`): the arithmetic and order notation
# classes, and the instances core gives ℕ, ℤ and the basic containers.  Written as Lean
# headers so that they go through the same parser as the library's.
CORE_CLASSES = ("Add", "Mul", "Sub", "Div", "Mod", "Neg", "Pow", "HAdd", "HMul", "HSub",
                "HDiv", "HMod", "HPow", "SMul", "HSMul", "LE", "LT", "Max", "Min", "OfNat",
                "NatCast", "IntCast", "Append", "Membership", "Inhabited", "Nonempty",
                "DecidableEq", "Decidable", "BEq", "Hashable", "Repr", "ToString",
                "Coe", "CoeFun", "CoeSort", "CoeTC", "CoeOut", "CoeHead", "CoeTail", "Subsingleton",
                "AndOp", "OrOp", "Xor", "ShiftLeft", "ShiftRight", "Complement", "Zero", "One",
                "Inv")
CORE_INSTANCES = {
    "Nat": ("Add", "Mul", "Sub", "Div", "Mod", "Pow", "LE", "LT", "Max", "Min", "OfNat",
            "NatCast", "DecidableEq", "Inhabited", "Nonempty", "BEq", "Hashable", "Repr",
            "ToString", "AndOp", "OrOp", "Xor", "ShiftLeft", "ShiftRight", "Zero", "One"),
    "Int": ("Add", "Mul", "Sub", "Div", "Mod", "Neg", "LE", "LT", "Max", "Min", "OfNat",
            "NatCast", "IntCast", "DecidableEq", "Inhabited", "Nonempty", "BEq", "Hashable",
            "Repr", "ToString", "Zero", "One"),
    "Bool": ("DecidableEq", "Inhabited", "Nonempty", "LE", "LT", "Max", "Min", "AndOp", "OrOp",
             "Xor", "BEq", "Repr", "ToString"),
    "String": ("DecidableEq", "Inhabited", "Nonempty", "Append", "LE", "LT", "BEq", "Repr"),
    "Prop": ("Inhabited", "Nonempty"),
}
# `Fin n`'s instances in Lean core (`Init/Data/Fin/Basic.lean`: arithmetic modulo `n`,
# the order, bitwise operations; `Fin.instOfNat` needs `NeZero n`)
CORE_FIN_INSTANCES = ("Add", "Mul", "Sub", "Div", "Mod", "Neg", "LE", "LT", "Max", "Min",
                      "AndOp", "OrOp", "Xor", "ShiftLeft", "ShiftRight", "DecidableEq",
                      "OfNat", "NatCast", "IntCast", "Repr", "ToString", "BEq", "Hashable")
# Core constants statements use all the time (Lean 4 `Init`), as headers.
CORE_CONSTANTS = {
    "Nat.succ": "(n : ℕ) : ℕ", "Nat.pred": "(n : ℕ) : ℕ", "Nat.gcd": "(m n : ℕ) : ℕ",
    "Nat.lcm": "(m n : ℕ) : ℕ", "Nat.min": "(m n : ℕ) : ℕ", "Nat.log2": "(n : ℕ) : ℕ",
    "Int.natAbs": "(m : ℤ) : ℕ", "Int.toNat": "(m : ℤ) : ℕ", "Int.ofNat": "(n : ℕ) : ℤ",
    "Int.negSucc": "(n : ℕ) : ℤ", "Int.gcd": "(m n : ℤ) : ℕ", "Int.sign": "(m : ℤ) : ℤ",
    "Int.emod": "(m n : ℤ) : ℤ", "Int.ediv": "(m n : ℤ) : ℤ",
    "Nat.cast": "{R : Type u} [NatCast R] (n : ℕ) : R",
    "Int.cast": "{R : Type u} [IntCast R] (n : ℤ) : R",
    "List.length": "{α : Type u} (l : List α) : ℕ",
    "List.map": "{α : Type u} {β : Type v} (f : α → β) (l : List α) : List β",
    "List.reverse": "{α : Type u} (l : List α) : List α",
    "List.sum": "{α : Type u} [Add α] [Zero α] (l : List α) : α",
    "List.prod": "{α : Type u} [Mul α] [One α] (l : List α) : α",
    "List.cons": "{α : Type u} (a : α) (l : List α) : List α",
    "Option.some": "{α : Type u} (a : α) : Option α",
    "Prod.fst": "{α : Type u} {β : Type v} (p : α × β) : α",
    "Prod.snd": "{α : Type u} {β : Type v} (p : α × β) : β",
    "Prod.mk": "{α : Type u} {β : Type v} (a : α) (b : β) : α × β",
    "id": "{α : Sort u} (a : α) : α",
    "Function.comp": "{α : Sort u} {β : Sort v} {δ : Sort w} (f : β → δ) (g : α → β) : α → δ",
    "max": "{α : Type u} [Max α] (a b : α) : α", "min": "{α : Type u} [Min α] (a b : α) : α",
    "Fin.val": "{n : ℕ} (i : Fin n) : ℕ", "Fin.succ": "{n : ℕ} (i : Fin n) : Fin (n + 1)",
    "Fin.castSucc": "{n : ℕ} (i : Fin n) : Fin (n + 1)", "Fin.last": "(n : ℕ) : Fin (n + 1)",
    "Fin.pred": "{n : ℕ} (i : Fin (n + 1)) (h : i ≠ 0) : Fin n",
    "Option.none": "{α : Type u} : Option α", "List.nil": "{α : Type u} : List α",
    "Sum.inl": "{α : Type u} {β : Type v} (a : α) : α ⊕ β",
    "Sum.inr": "{α : Type u} {β : Type v} (b : β) : α ⊕ β",
    "Sum.elim": "{α : Type u} {β : Type v} {γ : Sort w} (f : α → γ) (g : β → γ) : α ⊕ β → γ",
    "Function.uncurry": "{α : Type u} {β : Type v} {φ : Type w} (f : α → β → φ) : α × β → φ",
    "Subtype.val": "{α : Sort u} {p : α → Prop} "
    "(x : Subtype p) : α", "decide": "(p : Prop) [Decidable p] : Bool",
}
# Lean core's type operators (`infixr:35 " × " => Prod`, `infixr:30 " ⊕ " => Sum`,
# `infixr:35 " ×' " => PProd`, `infixr:30 " ⊕' " => PSum`: Init/Core.lean), which no
# library source declares
CORE_INFIX = {"×": "Prod", "⊕": "Sum", "×'": "PProd", "⊕'": "PSum"}
# (`ℚ≥0`: `notation "ℚ≥0" => NNRat`, Mathlib/Data/Rat/Init.lean:26)
ALIASES = {"ℕ": "Nat", "ℤ": "Int", "ℚ": "Rat", "ℝ": "Real", "ℂ": "Complex", "ℝ≥0": "NNReal",
            "ℝ≥0∞": "ENNReal", "ℕ∞": "ENat", "ℚ≥0": "NNRat", "ℍ": "Quaternion", "ℕ+": "PNat",
            "Type": "Type"}


def head_name(name: str) -> str:
    """A constant's key in the table: aliases normalized (`ℕ` is `Nat`), `_root_.` and
    the namespace dropped (`Mathlib.Foo.Field` is `Field`).  Why the last component:
    instance types and class names are written unresolved, and merging two classes of
    one last name only adds facts, which can turn a *no* into *yes*/*unknown*, never the
    reverse."""
    name = ALIASES.get(name, name)
    if name.endswith("}") and ".{" in name:  # universe levels: `Ordinal.{u}`
        name = without_universes(name)
        name = ALIASES.get(name, name)
    if name.startswith("_root_."):
        name = name[len("_root_."):]
    if name == "Category*":  # `[Category* C]` is `[Category.{v} C]`, a fresh level `v`
        return "Category"  # (`elab "Category*"`, Mathlib/Tactic/CategoryTheory/CategoryStar.lean:49)
    return name.rsplit(".", 1)[-1] if "." in name and not name.endswith(".") else name


_OPEN_BRACKET = re.compile(r"\[([^\w\s\]]+)[^\]]*\](.+)")


def operator_key(op: str) -> str:
    """The key of a type operator with arguments in brackets, as `infix` rows name it:
    `→ₗ[R]` is `→ₗ`, `→ₗ⁅R,L⁆` is `→ₗ⁅` (a Lie module map, not a linear map), `[⋀^ι]→ₗ[R]`
    is `[⋀^]→ₗ` (an alternating map, not a linear one)."""
    opened = _OPEN_BRACKET.match(op)
    if opened:  # `M [⋀^ι]→ₗ[R] N`: its opening bracket's symbols, and the operator after
        return f"[{opened.group(1)}]{operator_key(opened.group(2))}"
    if "⁅" in op and ("[" not in op or op.index("⁅") < op.index("[")):
        return op[:op.index("⁅") + 1]
    return op.split("[", 1)[0]


def without_universes(name: str) -> str:
    """`lift.{u}` is `lift`: universe levels written after a name select no other
    declaration."""
    return name[:name.rindex(".{")] if name.endswith("}") and ".{" in name else name


def _header_sig(text: str) -> tuple[tuple[BinderGroup, ...], Term]:
    h = read_header("def x " + text + " := 0", "def")
    assert h is not None and h.type is not None
    return h.binders, h.type


def core_sigs() -> Iterator[Sig]:
    """The documented core table above as signatures."""
    for c in CORE_CLASSES:
        yield Sig(c, "class", (), None)
    for t, classes in CORE_INSTANCES.items():
        for c in classes:
            yield Sig(f"core.inst{c}{t}", "instance", (), App(Ident(c), (Ident(t),)))
    fin_n = (BinderGroup(("n",), Ident("ℕ"), "implicit"),)
    for c in CORE_FIN_INSTANCES:
        yield Sig(f"core.inst{c}Fin", "instance", fin_n,
                  App(Ident(c), (App(Ident("Fin"), (Ident("n"),)),)))
    for name, text in CORE_CONSTANTS.items():
        bs, ty = _header_sig(text)
        yield Sig(name, "core", bs, ty)
    for op, const in CORE_INFIX.items():
        yield Sig(op, "infix", (), None, (), Ident(const))


def _projections(name: str, kind: str, h: Header) -> Iterator[Sig]:
    """Fields as projections `S.f {params} (self : S params) field-binders : T`, where
    `S params` applies `S` to its explicit parameters, as Lean writes the type
    (`structure Iso {C : Type u} [Category C] (X Y : C)`: `self : Iso X Y`)."""
    self_ty = _applied_to_explicit(name, h)
    outer = tuple(BinderGroup(g.names, g.type, "implicit" if g.kind == "explicit" else g.kind)
                  for g in h.binders)
    me = BinderGroup(("self",), self_ty, "inst" if kind == "class" else "explicit")
    for f, fb, fty in h.fields:
        yield Sig(f"{name}.{f}", "field", outer + (me,) + fb, fty)


def _applied_to_explicit(name: str, h: Header) -> Term:
    params = [n for g in h.binders if g.kind in ("explicit", "plain") for n in g.names]
    return App(Ident(name), tuple(Ident(n) for n in params)) if params else Ident(name)


def _derived(name: str, h: Header) -> Iterator[Sig]:
    target = _applied_to_explicit(name, h)
    for c in h.deriving:
        yield Sig(f"{name}.derived{c}", "instance", h.binders, App(Ident(c), (target,)))


_DERIVING_CMD = re.compile(r"^deriving\s+instance\s+([\w.,\s]+?)\s+for\s+([\w.,\s≥∞]+?)\s*$",
                           re.M)


def deriving_commands(text: str) -> Iterator[Sig]:
    """`deriving instance A, B for T` commands of a source file as instances `A T`, the
    class and type read as terms, the names after their heads as variables: `deriving
    instance SMul A, Field for CyclotomicField n K` (Mathlib/NumberTheory/Cyclotomic/
    Basic.lean:662) is `Field (CyclotomicField n K)` and `SMul A (CyclotomicField n K)`."""
    for m in _DERIVING_CMD.finditer(text):
        for t in m.group(2).split(","):
            for c in m.group(1).split(","):
                got = _derived_instance(c.strip(), t.strip())
                if got is not None:
                    yield got


def _derived_instance(cls: str, target: str) -> Sig | None:
    try:
        c, t = parse_term(cls), parse_term(target)
    except Exception:  # noqa: BLE001 - a command the grammar cannot read gives no row
        return None
    args = (c.args if isinstance(c, App) else ()) + (t,)
    fn = c.fn if isinstance(c, App) else c
    if not isinstance(fn, Ident):
        return None
    # the arguments written after a head: section variables, never asked of (a constant
    # taken for a variable only makes the instance more general, never a wrong *no*)
    variables = tuple(dict.fromkeys(
        a.name for x in (c, t) if isinstance(x, App) for a in x.args if isinstance(a, Ident)))
    binders = (BinderGroup(variables, None, "implicit"),) if variables else ()
    name = t.fn.name if isinstance(t, App) and isinstance(t.fn, Ident) else target
    return Sig(f"{name}.derived{fn.name}", "instance", binders, App(fn, args))


def sigs_of_source(name: str, kind: str, text: str,
                   section: tuple[BinderGroup, ...] = ()) -> list[Sig]:
    """The signatures one non-theorem declaration contributes (itself, projections,
    constructors, derived instances); `section`: the section binders in force, of which
    those Lean includes are prepended to its binders (for a type, those its `extends` and
    fields use as well: `class IsDedekindDomain : Prop extends IsDomain A, …` under
    `variable (A : Type*) [CommRing A]`, Mathlib/RingTheory/DedekindDomain/Basic.lean:145)."""
    h = read_header(text, kind)
    if h is None:
        return []
    if section:
        words = body_words(text.split(":=", 1)[1]) if kind in (
            "def", "abbrev", "opaque") and ":=" in text else frozenset()
        if kind in ("structure", "class"):  # its `extends` clause and fields too
            words |= {n for t in h.parents + tuple(f[2] for f in h.fields) for n in heads(t)}
        inc = included_section_binders(section, h.type, h.binders, words)
        h = Header(inc + h.binders, h.type, h.parents, h.fields, h.ctors, h.deriving, h.body)
    out = [Sig(name, kind, h.binders, h.type, h.parents, h.body)]
    if kind in ("structure", "class"):
        out.extend(_projections(name, kind, h))
    for c, cb, cty in h.ctors:
        params = tuple(BinderGroup(g.names, g.type, "implicit" if g.kind == "explicit"
                                   else g.kind) for g in h.binders)
        out.append(Sig(f"{name}.{c}", "ctor", params + cb, cty))
    out.extend(_derived(name, h))
    return out


# `attribute [instance] A.b C.d` / `attribute [instance 100] …` (not `local`/`scoped`)
# (`local` and `scoped` ones too: counting an instance that may be absent only turns a
# *no* into *unknown*)
_ATTR_INSTANCE = re.compile(r"^(?:scoped\[[^\]]*\]\s+)?attribute\s+\[(?:local\s+|scoped\s+)?"
                            r"instance(?:\s+\w+)?\]\s+([^\n]+)$", re.M)


# `scoped[Pointwise] attribute [instance] Set.inv Set.neg`: instances only where the
# namespace is open (Mathlib/Algebra/Group/Pointwise/Set/Basic.lean); Mathlib writes 89 of
# its scoped instance commands so, with the namespace spelled out
_SCOPED_ATTR_INSTANCE = re.compile(r"^scoped\[([\w.]+)\]\s+attribute\s+\[instance"
                                   r"(?:\s+\w+)?\]\s+([^\n]+)$", re.M)
# the suffix of an instance's name that marks it scoped to a namespace (`ClassTable`)
SCOPED_MARK = ".asInstance@"
# `attribute [local instance] Fintype.ofFinite` (Mathlib writes 677, a third of them as an
# `… in` prefix of one declaration): an instance only in its own file, after the command,
# until the section that holds it ends, which are exactly the declarations whose scope
# (`Scope.commands`) holds the command.  Marked scoped to a namespace of its own, named
# by the instance's last name (`local_instance_scope`), that `scoped.
# resolution_namespaces` opens where the command is in force.
_LOCAL_ATTR_INSTANCE = re.compile(r"^attribute\s+\[local\s+instance(?:\s+\w+)?\]\s+([^\n]+)$",
                                  re.M)
LOCAL_SCOPE = "@local:"


def local_instance_names(text: str) -> list[str]:
    """Names the `attribute [local instance]` commands of a text make instances (an `in`
    ends the list: `attribute [local instance] f in theorem …`)."""
    out: list[str] = []
    for m in _LOCAL_ATTR_INSTANCE.finditer(text):
        for w in m.group(1).split("--")[0].split():
            if w == "in":
                break
            out.append(w)
    return out


def local_instance_scope(name: str) -> str:
    """The namespace a local instance is scoped to: one per last name, so that a file
    naming it `Fintype.ofFinite` and one naming it `ofFinite` open the same."""
    return LOCAL_SCOPE + name.rsplit(".", 1)[-1]


def attribute_instance_names(text: str) -> list[str]:
    """Names a source file makes instances by an `attribute [instance]` command."""
    out: list[str] = []
    for m in _ATTR_INSTANCE.finditer(text):
        out.extend(n for n in m.group(1).split("--")[0].split() if n)
    return out


def scoped_instance_names(text: str) -> dict[str, str]:
    """Name -> namespace of the names a `scoped[N] attribute [instance]` command of a
    source file makes instances of namespace `N` only."""
    out: dict[str, str] = {}
    for m in _SCOPED_ATTR_INSTANCE.finditer(text):
        for n in m.group(2).split("--")[0].split():
            out.setdefault(n, m.group(1))
    return out


# `scoped instance coeHTCT … : CoeHTCT R A` in `namespace algebraMap` (Mathlib/Algebra/
# Algebra/Defs.lean:114, one of 125 such declarations of Mathlib): an instance only where
# that namespace is open or entered
_SCOPED_INSTANCE = re.compile(r"\A\s*(?:/--.*?-/\s*)?(?:@\[[^\]]*\]\s*)*"
                              r"(?:(?:private|protected|noncomputable)\s+)*scoped\s+instance\b",
                              re.S)


def _scoped_to_namespace(got: list[Sig], name: str, scope: object) -> list[Sig]:
    """The signatures of a `scoped instance` with the instance marked scoped to the
    namespace it is declared in (`SCOPED_MARK`), which `ClassTable` keeps out of the
    instances that hold everywhere."""
    ns = ".".join(getattr(scope, "namespaces", ()) or ()) or name.rpartition(".")[0]
    if not ns:
        return got
    return [Sig(f"{g.name}{SCOPED_MARK}{ns}", g.kind, g.binders, g.type, g.parents, g.body)
            if g.name == name and g.kind == "instance" else g for g in got]


def _add_local_instances(text: str, file: str, scoped: dict[str, dict[str, str]],
                         local_dotted: dict[str, str], global_dotted: set[str]) -> None:
    """Record a file's `attribute [local instance]` names as scoped to their own
    namespace (`local_instance_scope`) unless another command of the file makes them
    instances everywhere; qualified ones also for the declarations of other files."""
    rest = _LOCAL_ATTR_INSTANCE.sub("", _SCOPED_ATTR_INSTANCE.sub("", text))
    everywhere = set(attribute_instance_names(rest))
    global_dotted.update(n for n in everywhere if "." in n)
    here = scoped.setdefault(file, {})
    for n in local_instance_names(text):
        if n not in everywhere:
            here.setdefault(n, local_instance_scope(n))
            if "." in n:
                local_dotted.setdefault(n, local_instance_scope(n))


def _as_instance(name: str, binders: tuple[BinderGroup, ...], ty: Term | None,
                 scope: str | None = None) -> Sig | None:
    """The instance a declaration is made; `scope`: the namespace it is scoped to."""
    if ty is None:
        return None
    if scope is not None:
        return Sig(f"{name}{SCOPED_MARK}{scope}", "instance", binders, ty)
    return Sig(f"{name}.asInstance", "instance", binders, ty)


def _declared_instances(decls: list, sigs: list[Sig], named: dict[str, set[str]],
                        section_for, scoped: dict[str, dict[str, str]] | None = None,
                        scoped_elsewhere: dict[str, str] | None = None
                        ) -> Iterator[Sig]:  # noqa: ANN001
    """Instances declared outside `instance` commands: theorems and definitions with the
    `instance` attribute, and the declarations an `attribute [instance]` command names
    (`named`: file -> names as written; a name matches its own full name, or a dotted
    suffix of a declaration of the same file, or of any file when it is qualified).
    Theorems get the section binders Lean includes (`section_for`).  A name that only a
    `scoped[N] attribute [instance]` command of its file names (`scoped`: file -> name
    -> `N`) gives an instance marked scoped to `N`; so does a qualified name that only
    `attribute [local instance]` commands of other files name (`scoped_elsewhere`)."""
    from lean_alchemy.grammar.ast import loads as load_term

    everywhere = {n for ns in named.values() for n in ns if "." in n}
    scoped = scoped or {}

    def scope_of(full: str, file: str) -> str | None:
        here = scoped.get(file, {})
        parts = full.split(".")
        for k in range(len(parts)):
            got = here.get(".".join(parts[k:]))
            if got is not None:
                return got
        for k in range(len(parts) - 1):  # `Algebra.TensorProduct.rightAlgebra`
            got = (scoped_elsewhere or {}).get(".".join(parts[k:]))
            if got is not None:
                return got
        return None

    def wanted(full: str, file: str) -> bool:
        parts = full.split(".")
        here = named.get(file, set())
        return any(".".join(parts[k:]) in here or (k < len(parts) - 1 and ".".join(
            parts[k:]) in everywhere) or (k == 0 and full in everywhere)
            for k in range(len(parts)))

    for d in decls:
        attrs = getattr(d, "attributes", None) or ()
        if d.kind not in ("theorem", "lemma") or not (
                "instance" in attrs or wanted(d.full_name, d.file)):
            continue
        ba, ca = getattr(d, "binders_ast", None), getattr(d, "conclusion_ast", None)
        if ca:
            own, concl = loads_binders(ba), load_term(ca)
            inc = included_section_binders(section_for(d), concl, own)
            got = _as_instance(d.full_name, inc + own, concl,
                               None if "instance" in attrs else scope_of(d.full_name, d.file))
            if got is not None:
                yield got
    files = {d.full_name: d.file for d in decls}
    for s in sigs:
        file = files.get(s.name, files.get(s.name.rsplit(".", 1)[0], ""))
        if s.kind in ("def", "abbrev", "field", "opaque") and wanted(s.name, file):
            got = _as_instance(s.name, s.binders, s.type, scope_of(s.name, file))
            if got is not None:
                yield got


# `@[class] structure MeasurableSpace …`: a structure made a class by its attribute
_CLASS_ATTR = re.compile(r"\A\s*(?:/--.*?-/\s*)?@\[(?:[^\]]*,\s*)?class\s*[,\]]", re.S)


_READ_KINDS = ("def", "abbrev", "instance", "class", "structure", "inductive", "opaque")


def build_signatures(decls: Iterable, root: Path) -> list[Sig]:
    """Signatures of `decls` (objects with full_name, kind, module, file, start_byte,
    end_byte) that are not theorems, read from the sources under `root`, plus `core_sigs`,
    plus the names of the others (theorems, aliases) as `theorem` rows.
    Each source file is read and walked once (`declaration_scopes`).  A definition
    or instance with `@[to_dual]` gives its generated twin too (`generated.dual_twin_sig`),
    a definition with `@[to_additive]` its additive twin (`additive_twins.additive_twin_sig`).
    """
    from lean_alchemy.index.typing.homs import hom_rows
    from lean_alchemy.index.typing.notation_commands import infix_commands, notation_commands

    out: list[Sig] = list(core_sigs())
    texts: dict[str, bytes] = {}
    scopes: dict[str, dict[str, object]] = {}
    named: dict[str, set[str]] = {}
    scoped: dict[str, dict[str, str]] = {}
    local_dotted: dict[str, str] = {}  # qualified names only `local` commands make instances
    global_dotted: set[str] = set()  # qualified names some other command makes instances
    twins: list[Sig] = []  # what `@[to_dual]` generates from definitions
    decls = list(decls)
    declared = frozenset(d.full_name for d in decls)
    for d in decls:
        if d.kind not in _READ_KINDS:
            continue
        data, first = source_bytes(texts, root, d.file)
        if first:
            text = data.decode("utf-8", "replace")
            if "deriving instance" in text:
                out.extend(deriving_commands(text))
            if "=>" in text and ("notation" in text or "prefix" in text):
                out.extend(notation_commands(text))
            if "infix" in text or "notation" in text or "postfix" in text:
                out.extend(infix_commands(text, declared))
            if "instance" in text and "attribute" in text:
                named.setdefault(d.file, set()).update(attribute_instance_names(text))
                unscoped = set(attribute_instance_names(_SCOPED_ATTR_INSTANCE.sub("", text)))
                scoped[d.file] = {n: ns for n, ns in scoped_instance_names(text).items()
                                  if n not in unscoped}
                _add_local_instances(text, d.file, scoped, local_dotted, global_dotted)
            try:
                scopes[d.file] = declaration_scopes(text, d.module, d.file)
            except Exception:  # noqa: BLE001 - without scopes, declarations lack sections
                scopes[d.file] = {}
        snippet = data[d.start_byte:d.end_byte].decode("utf-8", "replace")
        scope = scopes.get(d.file, {}).get(d.full_name)
        kind = "class" if d.kind == "structure" and _CLASS_ATTR.search(snippet) else d.kind
        try:
            got = sigs_of_source(d.full_name, kind, snippet,
                                 section_of(scope) if scope is not None else ())
        except Exception:  # noqa: BLE001 - an unreadable header only leaves a name unknown
            continue
        if kind == "instance" and _SCOPED_INSTANCE.match(snippet):
            got = _scoped_to_namespace(got, d.full_name, scope)
        if kind == "instance" and got:
            out.extend(hom_rows(got[0], snippet, d.full_name.rpartition(".")[0], declared))
        out.extend(got)
        if got:
            twins.extend(_generated_twins(kind, got[0], snippet))
    def section_for(d) -> tuple[BinderGroup, ...]:  # noqa: ANN001
        if d.file not in scopes:
            try:
                text = (root / d.file).read_text("utf-8", "replace")
                scopes[d.file] = declaration_scopes(text, d.module, d.file)
            except Exception:  # noqa: BLE001 - without scopes, no section premises
                scopes[d.file] = {}
        scope = scopes[d.file].get(d.full_name)
        return section_of(scope) if scope is not None else ()

    names = {d.full_name for d in decls}
    out.extend(t for t in twins if t.name not in names)  # a twin written out is read
    scoped_elsewhere = {n: ns for n, ns in local_dotted.items() if n not in global_dotted}
    out.extend(_declared_instances(decls, out, named, section_for, scoped, scoped_elsewhere))
    out.extend(Sig(d.full_name, "theorem", (), None) for d in decls
               if d.kind not in _READ_KINDS)
    return out


def _generated_twins(kind: str, sig: Sig, snippet: str) -> list[Sig]:
    """The declarations a definition's `@[to_dual]` or `@[to_additive]` generates, and an
    instance's `@[to_dual]` (`SemilatticeSup.toMax` gives `SemilatticeInf.toMin`,
    Mathlib/Order/Lattice.lean:94: an instance too, which only adds facts)."""
    from lean_alchemy.index.typing.additive_twins import additive_twin_sig
    from lean_alchemy.index.typing.generated import dual_twin_sig

    out = []
    if kind in ("def", "abbrev", "instance") and "to_dual" in snippet:
        out.append(dual_twin_sig(sig, snippet))
    if kind in ("def", "abbrev") and "to_additive" in snippet:
        out.append(additive_twin_sig(sig, snippet))
    return [t for t in out if t is not None]


def run_signatures(run_root: Path, decls: list, extract_root: Path,
                   path: Path | None = None) -> list[Sig]:
    """A run's signature table: read from `path` (default `RUN/signatures.parquet`) when
    it exists, else built from the run's declarations and the sources under
    `extract_root` and written there, so the next reader finds it (the benchmarks that
    replay the typed filter on a run indexed without it)."""
    target = path if path is not None else run_root / FILE
    if target.exists():
        return read_signatures(target)
    sigs = build_signatures(decls, extract_root)
    write_signatures(target, sigs)
    return sigs


def write_signatures(path: Path, sigs: Iterable[Sig]) -> int:
    rows = {"name": [], "kind": [], "binders": [], "type": [], "parents": [], "body": []}
    n = 0
    for s in sigs:
        rows["name"].append(s.name)
        rows["kind"].append(s.kind)
        rows["binders"].append(dumps_binders(s.binders))
        rows["type"].append(dumps(s.type) if s.type is not None else None)
        rows["parents"].append([dumps(p) for p in s.parents])
        rows["body"].append(dumps(s.body) if s.body is not None else None)
        n += 1
    pq.write_table(pa.table(rows, schema=SCHEMA), path)
    return n


def read_signatures(path: Path) -> list[Sig]:
    t = pq.read_table(path, schema=SCHEMA).to_pydict()
    return [Sig(n, k, loads_binders(b), loads(ty) if ty else None,
                tuple(loads(p) for p in ps), loads(bd) if bd else None)
            for n, k, b, ty, ps, bd in zip(t["name"], t["kind"], t["binders"], t["type"],
                                           t["parents"], t["body"])]


def is_sort(t: Term | None) -> bool:
    return isinstance(t, Sort)


def parse_type(text: str) -> Term:
    return parse_term(text)
