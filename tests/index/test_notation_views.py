"""The library's notations across spellings: a rule written with a constant finds the
candidate's notation for it (`M₀⁰` for `nonZeroDivisors M₀`), and a rule written with a
notation finds the candidate's constant (`nhds x` for `𝓝 x`), as Lean expands notations
before elaborating; tokens with several meanings and local notations give no view."""

from __future__ import annotations

import pytest

from lean_alchemy.core.records import NotationDecl
from lean_alchemy.grammar.ast import NOTE, get_at, loads
from lean_alchemy.grammar.notation_views import note_step, note_view
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.substitute import replace_all
from lean_alchemy.index.match.notations import NotationTable, command_template

from helpers.lean_text import extract, make_rule


def _cmd(text: str, keyword: str = "notation", visibility: str = "global",
         namespace: str = "") -> NotationDecl:
    return NotationDecl("Demo.Notations", "Demo/Notations.lean", 1, keyword, visibility,
                        namespace, (), text)


def _show(got) -> tuple[str, str, tuple[str, ...]] | None:
    return None if got is None else (print_term(got[0]), print_term(got[1]), got[2])


def test_a_command_whose_right_side_applies_a_constant_is_a_template():
    assert _show(command_template("notation", 'scoped[nonZeroDivisors] notation:9000 M₀ "⁰" '
                                 '=> nonZeroDivisors M₀')) == (
        "M₀⁰", "nonZeroDivisors M₀", ("M₀",))
    assert _show(command_template("infixr", '/-- preimage -/\ninfixr:80 " ⁻¹\' " => '
                                  'preimage'))[:2] == (
        "notationLhs₀ ⁻¹' notationRhs₀", "preimage notationLhs₀ notationRhs₀")
    # the parameters in another order than the notation's, behind a glued bracket
    assert _show(command_template("notation", 'scoped[Topology] notation "𝓝[" s "] " x:100 '
                                  '=> nhdsWithin x s')) == (
        "𝓝[s] x", "nhdsWithin x s", ("s", "x"))
    # a token alone for a constant alone
    assert _show(command_template("notation", '@[inherit_doc] scoped[Topology] notation '
                                  '"𝓝" => nhds')) == ("𝓝", "nhds", ())
    # negatives: a hole, an explicit `@`, a parameter kept in a bracketed operator's text,
    # a right side that is no application of the parameters, and a `macro`
    for keyword, text in (("notation", 'notation "σ" => spectrum _'),
                          ("notation", 'notation "Continuous[" t₁ ", " t₂ "]" => '
                           '@Continuous _ _ t₁ t₂'),
                          ("notation", 'notation:50 f " =ᶠ[" l:50 "] " g:50 => '
                           'Filter.EventuallyEq l f g'),
                          ("notation", 'notation:50 x " ≤ₘ " y => x ≤ f y'),
                          ("macro", 'macro "foo" x:term : term => `($x)')):
        assert command_template(keyword, text) is None, text


def test_a_token_with_several_meanings_or_a_local_command_gives_no_view():
    table = NotationTable.build([
        _cmd('scoped prefix:arg "#" => Finset.card', "prefix", "scoped", "Finset"),
        _cmd('scoped prefix:arg "#" => Cardinal.mk', "prefix", "scoped", "Cardinal"),
        _cmd('local infixl:50 " ~ᵤ " => Associated', "infixl", "local"),
        _cmd('notation:9000 M₀ "⁰" => nonZeroDivisors M₀'),
    ], lambda name, ns: name)
    assert table.steps(parse_term("#s"), parse_term("#s")) == []
    assert table.steps(parse_term("a ~ᵤ b"), parse_term("a ~ᵤ b")) == []
    (step, _), = table.steps(parse_term("M⁰"), parse_term("M⁰"))
    assert print_term(note_view(parse_term("M⁰"), step)) == "nonZeroDivisors M"
    # a constant that does not resolve to one declaration gives no view, and still
    # makes the token ambiguous for a command that resolves
    resolved = {"Finset.card": "Finset.card"}
    for records in ([_cmd('infixl:50 " ~ " => Equiv', "infixl", "scoped", "Computation")],
                    [_cmd('scoped prefix:arg "#" => Finset.card', "prefix", "scoped", "Finset"),
                     _cmd('scoped prefix:arg "#" => mk', "prefix", "scoped", "Cardinal")]):
        table = NotationTable.build(records, lambda name, ns: resolved.get(name))
        assert table.steps(parse_term("a ~ b"), parse_term("a ~ b")) == []
        assert table.steps(parse_term("#s"), parse_term("#s")) == []
    # negative: one `#` alone reads as its constant
    alone = NotationTable.build([_cmd('scoped prefix:arg "#" => Finset.card', "prefix",
                                      "scoped", "Finset")], lambda name, ns: name)
    assert len(alone.steps(parse_term("#s"), parse_term("#s"))) == 1


def test_the_library_resolves_each_constant_and_leaves_out_type_formers():
    from types import SimpleNamespace

    from lean_alchemy.index.match.notations import library_notations, type_formers
    from lean_alchemy.index.names import NameTable, Resolver

    decls = [SimpleNamespace(full_name=n, kind=k, modifiers=()) for n, k in (
        ("Equiv", "structure"), ("Computation.Equiv", "def"), ("nonZeroDivisors", "def"),
        ("Set.preimage", "def"))]
    table = library_notations([
        _cmd('infixl:25 " ≃ " => Equiv', "infixl"),
        _cmd('scoped infixl:50 " ~ " => Equiv', "infixl", "scoped", "Computation"),
        _cmd('notation:9000 M₀ "⁰" => nonZeroDivisors M₀'),
        _cmd('infixr:80 " ⁻¹\' " => preimage', "infixr", namespace="Set"),
    ], Resolver(NameTable.from_declarations(decls)), type_formers(decls))
    (step, _), = table.steps(parse_term("f ⁻¹' s"), parse_term("f ⁻¹' s"))
    assert print_term(note_view(parse_term("f ⁻¹' s"), step)) == "Set.preimage f s"
    assert len(table.steps(parse_term("M⁰"), parse_term("M⁰"))) == 1
    # negative: `≃` stands for a structure
    assert table.steps(parse_term("α ≃ β"), parse_term("α ≃ β")) == []
    # inside `Computation`, `Equiv` is `Computation.Equiv` alone: Lean's `resolveGlobalName`
    # takes a namespace's own name before the root's (Mathlib/Data/Seq/Computation.lean)
    (step, _), = table.steps(parse_term("a ~ b"), parse_term("a ~ b"))
    assert print_term(note_view(parse_term("a ~ b"), step)) == "Computation.Equiv a b"


def test_a_view_step_carries_its_template_and_rewrites_every_spelling():
    step = note_step(parse_term("M₀⁰"), parse_term("nonZeroDivisors M₀"), ("M₀",))
    assert step.startswith(NOTE)
    target = parse_term("r ∈ R⁰ ∧ s ∈ R⁰ ∧ s ∈ S⁰")
    assert print_term(get_at(target, (("lhs", -1), ("rhs", -1), (step, -1)))) == \
        "nonZeroDivisors R"
    new, n = replace_all(target, parse_term("nonZeroDivisors R"),
                         parse_term("nonZeroDivisorsRight R"), (step, -1))
    assert (print_term(new), n) == (
        "r ∈ nonZeroDivisorsRight R ∧ s ∈ nonZeroDivisorsRight R ∧ s ∈ S⁰", 2)
    # negatives: another postfix token, and no view step (the spelling is the candidate's)
    assert note_view(parse_term("Rˣ"), step) is None
    assert replace_all(target, parse_term("nonZeroDivisors R"), parse_term("z"))[1] == 0


TABLE = NotationTable.build([
    _cmd('scoped[nonZeroDivisors] notation:9000 M₀ "⁰" => nonZeroDivisors M₀', namespace=""),
    _cmd('scoped[Topology] notation "𝓝" => nhds', visibility="scoped", namespace="Topology"),
    _cmd('scoped[Topology] notation "𝓝[" s "] " x:100 => nhdsWithin x s',
         visibility="scoped", namespace="Topology"),
], lambda name, ns: name)


def _invocations(rules, candidate: str, notations: NotationTable | None = TABLE):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(candidate, module="Demo.Cand")
    (d,) = decls.values()
    ix = RuleIndex.build(rules)
    ix.notations = notations
    return ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))


# `nonZeroDivisorsRight M₀ = nonZeroDivisors M₀` read backwards
RIGHT = make_rule("nonZeroDivisorsRight_eq", "eq", "{M₀ : Type*}",
                  "nonZeroDivisors M₀", "nonZeroDivisorsRight M₀")


def test_a_rule_written_with_the_constant_finds_the_notation():
    cand = "theorem c {M : Type*} (r : M) : r ∈ M⁰ ↔ r = r := sorry\n"
    invs = _invocations([RIGHT], cand)
    assert [(i.instance, i.path.count(NOTE)) for i in invs] == [("nonZeroDivisors M", 1)]
    # negative: without the table the spellings stay apart
    assert _invocations([RIGHT], cand, None) == []


def test_a_rule_written_with_the_notation_finds_the_constant():
    prod = make_rule("nhds_prod_eq", "eq", "{x y : ℕ}", "𝓝 (x, y)", "𝓝 x ×ˢ 𝓝 y")
    within = make_rule("nhdsWithin_univ", "eq", "{a : ℕ}", "𝓝[Set.univ] a", "𝓝 a")
    invs = _invocations([prod, within], "theorem c (u v : ℕ) (s : Set ℕ) : "
                        "nhds (u, v) = nhdsWithin u Set.univ := sorry\n")
    assert sorted(i.instance for i in invs) == ["𝓝 (u, v)", "𝓝[Set.univ] u"]
    # negative: a candidate variable spelled like the token is that variable
    assert _invocations([prod], "theorem c (𝓝 : ℕ × ℕ → ℕ) (u v : ℕ) : "
                        "𝓝 (u, v) = 0 := sorry\n") == []


def test_a_curried_prefix_of_the_view_is_matched_and_rewritten():
    from lean_alchemy.grammar.ast import field_view_step

    table = NotationTable.build([_cmd('infixr:80 " ⁻¹\' " => preimage', "infixr")],
                                lambda name, ns: "Set.preimage")
    # `Homeomorph.image_symm` backwards: `preimage h` ~> `image h.symm`
    image_symm = make_rule("Homeomorph.image_symm", "eq", "{h : Homeo}", "Set.preimage h",
                           "Set.image h.symm")
    cand = "theorem c (e : Homeo) (s : Set ℕ) : IsOpen (e ⁻¹' s) ↔ IsOpen s := sorry\n"
    (inv,) = _invocations([image_symm], cand, table)
    assert inv.instance == "Set.preimage e"
    path = tuple((f, i) for f, i in __import__("json").loads(inv.path))
    target = parse_term("IsOpen (e ⁻¹' s) ↔ IsOpen (e ⁻¹' t) ∧ IsOpen (f ⁻¹' s)")
    new, n = replace_all(target, parse_term("Set.preimage e"), parse_term("Set.image e.symm"),
                         field_view_step(path))
    assert (print_term(new), n) == (
        "IsOpen (Set.image e.symm s) ↔ IsOpen (Set.image e.symm t) ∧ IsOpen (f ⁻¹' s)", 2)
    # negative: without the table the prefix is not met
    assert _invocations([image_symm], cand, None) == []


LIB = {
    "Defs": """\
def nonZeroDivisors (M : Type) : List M := []
def nonZeroDivisorsRight (M : Type) : List M := []
scoped[nonZeroDivisors] notation:9000 M₀ "⁰" => nonZeroDivisors M₀

theorem nonZeroDivisorsRight_eq (M₀ : Type) : nonZeroDivisorsRight M₀ = nonZeroDivisors M₀ :=
  rfl
""",
    "Use": """\
import Lib.Defs
open scoped nonZeroDivisors

theorem mem_right (M : Type) (r : M) (h : r ∈ M⁰) : r ∈ M⁰ := h
""",
}


@pytest.fixture(scope="module")
def mutated(tmp_path_factory):
    from helpers.lean_text import mutated_library

    return mutated_library(tmp_path_factory.mktemp("notes"), LIB)


def test_the_mutant_rewrites_every_occurrence_of_the_notation(mutated):
    _, rows = mutated
    got = {m.statement for m in rows if m.source_theorem == "mem_right"
           and m.rule == "nonZeroDivisorsRight_eq" and m.kind == "rw_goal"}
    assert any("r ∈ nonZeroDivisorsRight M" in s and "(h : r ∈ M⁰)" in s for s in got), got
    assert not any("M⁰ :" in s.split(")")[-1] for s in got), got
