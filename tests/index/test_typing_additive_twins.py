"""The additive definitions `@[to_additive]` generates: their names, as the attribute
guesses them (the examples of Mathlib/Tactic/Translate/GuessName.lean and ToAdditive.lean),
and their signatures, read through `build_signatures` from a library written here."""

from types import SimpleNamespace

from helpers.typing_library import candidate_context, library_sigs
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.additive_twins import (
    additive_name, additive_twin_sig, guess_name, split_case,
)
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.signatures import Sig, build_signatures


def test_names_are_guessed_word_by_word_with_the_abbreviations_fixed() -> None:
    """`splitCase`'s documented example; `mabs` → `abs`, `Finset.prod` → `Finset.sum`,
    namespaces translated too (`MonoidHom.ker` → `AddMonoidHom.ker`); `commAdd` →
    `AddComm` and `mulSupport` → `support` through the abbreviations; a capitalized run
    stops at an underscore (`eventuallyLE_one` is no `…Nonpos`); primes kept."""
    assert split_case("InvHMulLEConjugate₂SMul_ne_top") == [
        "Inv", "HMul", "LE", "Conjugate₂", "SMul", "_", "ne", "_", "top"]
    assert guess_name("InvHMulLEConjugate₂SMul_ne_top") == "NegHAddLEConjugate₂VAdd_ne_top"
    cases = {"mabs": "abs", "Finset.prod": "Finset.sum", "MonoidHom.ker": "AddMonoidHom.ker",
             "Subgroup.zpowers": "AddSubgroup.zmultiples", "GrpCat.of": "AddGrpCat.of",
             "CommGroup": "AddCommGroup", "Function.mulSupport": "Function.support",
             "DivisionMonoid": "SubtractionMonoid", "MulOpposite": "AddOpposite",
             "eventuallyLE_one": "eventuallyLE_zero", "prod'": "sum'",
             "Finset.card": "Finset.card"}
    assert {k: additive_name(k) for k in cases} == cases


def test_an_attribute_names_reorders_or_points_to_an_existing_twin() -> None:
    own = Sig("Monoid.npow", "def", (), None)
    assert additive_twin_sig(own, "@[to_additive existing]\ndef npow := 0") is None
    assert additive_twin_sig(own, "@[to_additive (reorder := 1 2)]\ndef npow := 0") is None
    assert additive_twin_sig(own, "@[to_additive nsmulRec]\ndef npow := 0").name == \
        "AddMonoid.nsmulRec"
    assert additive_twin_sig(Sig("Finset.card", "def", (), None),
                             "@[to_additive]\ndef card := 0") is None  # same name


def test_abs_is_read_from_mabs_and_asks_its_additive_classes(tmp_path) -> None:
    """`@[to_additive] def mabs (a : α) : α` under `variable [Lattice α] [Group α]`
    (Mathlib/Algebra/Order/Group/Unbundled/Abs.lean:32-39) declares `abs`, which no
    header spells: with it, `|b|` of a rule's new text asks `AddGroup` of `b`'s type,
    which a `[Lattice X] [Group X]` variable lacks (`odd_abs` backwards on a natural
    number is the same case); `[AddGroup X]` has it.  The attribute's own `:=` (`attr :=
    grind`, as on `mabs`) does not end the header's attributes."""
    src = ("class Lattice (α : Type u) where\n  sup : α → α → α\n\n"
           "class Group (G : Type u) where\n  mul : G → G → G\n\n"
           "class AddGroup (G : Type u) where\n  add : G → G → G\n\n"
           "variable {α : Type u} [Lattice α] [Group α]\n\n"
           "/-- `mabs a` -/\n@[to_additive (attr := grind) /-- `abs a` -/]\n"
           "def mabs (a : α) : α := a\n")
    (tmp_path / "M.lean").write_text(src)
    raw = src.encode()
    cuts = [0, raw.index(b"class Group"), raw.index(b"class AddGroup"),
            raw.index(b"variable"), raw.index(b"/-- `mabs"), len(raw)]
    names = [("Lattice", "class"), ("Group", "class"), ("AddGroup", "class")]
    decls = [SimpleNamespace(full_name=n, kind=k, module="M", file="M.lean",
                             start_byte=cuts[i], end_byte=cuts[i + 1])
             for i, (n, k) in enumerate(names)]
    decls.append(SimpleNamespace(full_name="mabs", kind="def", module="M", file="M.lean",
                                 start_byte=cuts[4], end_byte=cuts[5]))
    sigs = build_signatures(decls, tmp_path)
    twin = [s for s in sigs if s.name == "abs"]
    assert len(twin) == 1
    assert [str(g.type) for g in twin[0].binders if g.kind == "inst"] == [
        str(parse_term("Lattice α")), str(parse_term("AddGroup α"))]
    table = ClassTable.build(sigs)
    filt = TypedFilter(table)
    names_, kinds = ["β", "a"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("β")]
    val, new = {"a": parse_term("b")}, (parse_term("|a| = a"),)

    def ctx(binders: str) -> Context:
        return candidate_context(table, binders)

    assert filt.check(ctx("{X : Type u} [Lattice X] [Group X] (b : X)"), names_, kinds,
                      types, val, new_terms=new) == "instance_missing"
    assert filt.check(ctx("{X : Type u} [Lattice X] [AddGroup X] (b : X)"), names_, kinds,
                      types, val, new_terms=new) is None


def test_an_abbrev_twin_keeps_a_readable_body() -> None:
    """The table keys `abbrev`s by last name, so `AddSubgroup.Transversal` shares a key
    with `Subgroup.Transversal` (`abbrev LeftTransversal (H : Subgroup G) := {S : Set G //
    IsComplement S H}`, Mathlib/GroupTheory/Complement.lean): a twin without its body
    would make the key unreadable and every instance about it match any type.  With the
    body translated the key still unfolds to known heads; an `abbrev` whose own body is
    not read gives no twin."""
    from lean_alchemy.index.typing.signatures import sigs_of_source

    sigs = library_sigs([
        ("Subgroup", "structure", "structure Subgroup (G : Type u) where\n  c : G"),
        ("AddSubgroup", "structure", "structure AddSubgroup (G : Type u) where\n  c : G")])
    text = "@[to_additive]\nabbrev Transversal {G : Type u} (H : Subgroup G) := Subgroup G"
    mult = sigs_of_source("Subgroup.Transversal", "abbrev", text)
    twin = additive_twin_sig(mult[0], text)
    assert twin is not None and twin.name == "AddSubgroup.Transversal"
    assert twin.body == parse_term("AddSubgroup G")
    from dataclasses import replace

    got = ClassTable.build(sigs + mult + [twin]).unfolds("Transversal")
    assert got is not None and {"Subgroup", "AddSubgroup"} <= got
    assert ClassTable.build(sigs + mult + [replace(twin, body=None)]).unfolds(
        "Transversal") is None  # what a twin without its body did
    assert additive_twin_sig(replace(mult[0], body=None), text) is None


def test_a_to_dual_instance_gives_its_dual_instance(tmp_path) -> None:
    """`@[to_dual] instance SemilatticeSup.toMax [SemilatticeSup α] : Max α`
    (Mathlib/Order/Lattice.lean:94) also declares `SemilatticeInf.toMin`: without it a
    `[SemilatticeInf α]` variable had no `Min` and `x ⊓ y` was refused (`sdiff_eq` on
    `compl_sdiff`, one of Mathlib's own rewrites)."""
    from lean_alchemy.index.typing.classes import NO, Resolver

    src = ("class Max (α : Type u) where\n  max : α → α → α\n\n"
           "class Min (α : Type u) where\n  min : α → α → α\n\n"
           "class SemilatticeSup (α : Type u) where\n  sup : α → α → α\n\n"
           "class SemilatticeInf (α : Type u) where\n  inf : α → α → α\n\n"
           "@[to_dual]\ninstance SemilatticeSup.toMax {α : Type u} [SemilatticeSup α] : "
           "Max α := sorry\n")
    (tmp_path / "L.lean").write_text(src)
    raw = src.encode()
    starts = [raw.index(b"class Max"), raw.index(b"class Min"), raw.index(b"class SemilatticeSup"),
              raw.index(b"class SemilatticeInf"), raw.index(b"@[to_dual]"), len(raw)]
    kinds = [("Max", "class"), ("Min", "class"), ("SemilatticeSup", "class"),
             ("SemilatticeInf", "class"), ("SemilatticeSup.toMax", "instance")]
    decls = [SimpleNamespace(full_name=n, kind=k, module="L", file="L.lean",
                             start_byte=starts[i], end_byte=starts[i + 1])
             for i, (n, k) in enumerate(kinds)]
    table = ClassTable.build(build_signatures(decls, tmp_path))
    r = Resolver(table, frozenset({"X"}), [parse_term("SemilatticeInf X")])
    assert r.holds(parse_term("Min X")) != NO
    assert Resolver(table, frozenset({"X"}), []).holds(parse_term("Min X")) == NO
