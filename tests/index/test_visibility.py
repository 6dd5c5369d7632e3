"""A statement's names resolve among the declarations it can see: its file's imports
(transitively) and what its own file declares above it (`index/visibility.py`)."""

from __future__ import annotations

from lean_alchemy.core.records import Declaration
from lean_alchemy.extract.fileparse import extract_text
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.index.names import NameTable, OpenDecl, Resolver, ScopeView
from lean_alchemy.index.visibility import Visibility, module_imports

from helpers.lean_text import parsed


def _decl(full_name: str, module: str, line: int) -> Declaration:
    return Declaration(full_name=full_name, name=full_name.rsplit(".", 1)[-1],
                       kind="theorem", module=module, file=module.replace(".", "/") + ".lean",
                       start_line=line, end_line=line)


# Mathlib's shape: Topology/Homeomorph/Defs.lean states `image_symm` inside
# `namespace Homeomorph` with `open Set`; Lemmas.lean, which imports Defs, declares
# `Homeomorph.image` later.  Lean reads `image` in Defs as `Set.image`.
IMPORTS = {
    "Lib.Set": ("Core.Logic",),
    "Lib.Defs": ("Lib.Set",),
    "Lib.Lemmas": ("Lib.Defs",),
    "Lib.Other": ("Core.Logic",),
}
DECLS = [
    _decl("Set.image", "Lib.Set", 10),
    _decl("Homeomorph.image_symm", "Lib.Defs", 40),
    _decl("Homeomorph.later_in_defs", "Lib.Defs", 90),
    _decl("Homeomorph.preimage_symm", "Lib.Defs", 120),
    _decl("Homeomorph.image", "Lib.Lemmas", 30),
    _decl("Homeomorph.image_lemma", "Lib.Lemmas", 60),
    _decl("Other.thing", "Lib.Other", 5),
]
VIEW = ScopeView(("Homeomorph",), (OpenDecl("Set"),))


def _resolver(imports=IMPORTS) -> Resolver:
    return Resolver(NameTable.from_declarations(DECLS, imports=imports))


def test_a_name_declared_in_a_module_not_imported_is_not_seen():
    v = Visibility.build(IMPORTS, DECLS)
    at_defs = v.place("Homeomorph.image_symm")
    assert at_defs is not None
    assert v.visible("Set.image", at_defs)  # imported (through Lib.Set)
    assert not v.visible("Homeomorph.image", at_defs)  # Lemmas imports Defs, not back
    assert not v.visible("Other.thing", at_defs)  # a module off the import chain
    at_lemmas = v.place("Homeomorph.image_lemma")
    assert v.visible("Homeomorph.image", at_lemmas)  # above it in its own file
    assert v.visible("Homeomorph.later_in_defs", at_lemmas)  # all of an imported file
    assert v.visible("Nat.succ", at_defs)  # not the library's: no place


def test_a_name_declared_below_in_the_same_file_is_not_seen():
    v = Visibility.build(IMPORTS, DECLS)
    at = v.place("Homeomorph.preimage_symm")
    assert v.visible("Homeomorph.later_in_defs", at)
    assert not v.visible("Homeomorph.later_in_defs", v.place("Homeomorph.image_symm"))


def test_a_rule_reads_the_constant_its_file_could_see():
    r = _resolver()
    stated = r.resolve_term(parsed("image h.symm = preimage h"), VIEW, frozenset({"h"}),
                            own="Homeomorph.image_symm")
    assert print_term(stated) == "Set.image h.symm = preimage h"
    # the same words in Lemmas, which imports Defs and declares `Homeomorph.image`
    later = r.resolve_term(parsed("image h.symm = preimage h"), VIEW, frozenset({"h"}),
                           own="Homeomorph.image_lemma")
    assert print_term(later) == "Homeomorph.image h.symm = preimage h"
    # the name alone, as the recall benchmark resolves what a proof writes
    assert r.resolve_name(VIEW, "image", own="Homeomorph.image_symm") == \
        ("Set.image", "resolved")
    assert r.resolve_name(VIEW, "image") == ("Homeomorph.image", "resolved")


def test_without_imports_every_declaration_is_seen():
    r = _resolver(imports=None)
    out = r.resolve_term(parsed("image h.symm"), VIEW, frozenset({"h"}),
                         own="Homeomorph.image_symm")
    assert print_term(out) == "Homeomorph.image h.symm"


def test_a_module_whose_imports_are_unknown_sees_every_other_module():
    # Lib.Defs imports Lib.Set, whose own imports no scope recorded: the closure is not
    # known to be complete, so only the same-file order hides a name
    partial = {m: i for m, i in IMPORTS.items() if m != "Lib.Set"}
    v = Visibility.build(partial, DECLS)
    at = v.place("Homeomorph.image_symm")
    assert v.visible("Homeomorph.image", at)
    assert not v.visible("Homeomorph.later_in_defs", at)


def test_a_file_without_declarations_records_its_imports():
    text = "import Lib.Set\nimport Lib.Defs\n\n/-! Only imports. -/\n"
    res = extract_text(text, module="Lib.All", file="Lib/All.lean")
    assert res.declarations == ()
    assert module_imports(res.scopes) == {"Lib.All": ("Lib.Set", "Lib.Defs")}


KRULL = """
namespace Order
class KrullDimLE (n : ℕ) (α : Type*) [Preorder α] : Prop where
  le : True
end Order

abbrev Ring.KrullDimLE (n : ℕ) (R : Type*) [CommSemiring R] : Prop := True

open Order

lemma Ring.krullDimLE_iff {n : ℕ} : KrullDimLE n R ↔ ringKrullDim R ≤ n := sorry

theorem Poly.Monic.def' : Monic p ↔ leadingCoeff p = 1 := sorry

theorem Poly.Monic.leadingCoeff : leadingCoeff p = 1 := sorry
"""


def _patterns(text: str) -> dict[tuple[str, str], str]:
    from lean_alchemy.grammar.ast import loads
    from lean_alchemy.index import passes
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.options import IndexOptions

    from helpers.lean_text import extract

    decls, scopes = extract(text)
    ordered = list(decls.values())
    table = NameTable.from_declarations(ordered, imports=module_imports(scopes.values()))
    ctx = passes.IndexContext(ordered, scopes, Resolver(table), IndexOptions(),
                              RuleIndex())
    chunk = passes.derive_chunk(ctx, [i for i, d in enumerate(ordered) if d.is_candidate])
    return {(r.lemma, r.direction): print_term(loads(r.pattern)) for r in chunk.rules}


def test_a_declaration_reads_its_names_inside_its_own_dotted_name():
    # Lean elaborates `lemma Ring.krullDimLE_iff` within `namespace Ring`: its
    # `KrullDimLE` is `Ring.KrullDimLE`, though `open Order` gives `Order.KrullDimLE` too
    pats = _patterns(KRULL)
    assert pats[("Ring.krullDimLE_iff", "fwd")] == "Ring.KrullDimLE n R"
    # ... and only what is declared above it: `Poly.Monic.leadingCoeff` comes later
    assert pats[("Poly.Monic.def'", "bwd")] == "leadingCoeff p = 1"


def test_an_import_cycle_or_a_module_importing_itself_ends():
    # LeanDojo records give each scope its own module as its import; bad input may loop
    cyclic = {"A": ("A", "B"), "B": ("C",), "C": ("A",)}
    decls = [_decl("x", "A", 1), _decl("y", "B", 1), _decl("z", "C", 1)]
    v = Visibility.build(cyclic, decls)
    assert v.visible("y", v.place("x")) and v.visible("z", v.place("x"))
    assert not v.visible("x", v.place("x"))  # not above itself in its own file
