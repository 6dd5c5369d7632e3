"""The name check (`mutate/name_scope.py`) on hand-built rules and scopes: a rule's section
variable, a name the library does not declare that the mutant's namespace shadows, the
rule lemma's name in the proof, and what a `variable` line binds."""

from __future__ import annotations

from lean_alchemy.core.records import Declaration, NotationDecl, Rule, Scope
from lean_alchemy.grammar.tokens import build_token_table, declared_tokens
from lean_alchemy.grammar.ast import App, BinOp, Num
from lean_alchemy.mutate.mutator import Mutator
from lean_alchemy.mutate.name_scope import NameIndex, NameScope, notation_words, variable_names
from lean_alchemy.mutate.options import MutateOptions

from helpers.hand_built_asts import ADD_ZERO, CAND_BINDERS, CAND_CONCL, I, NAT, inv, rule, show

# `a + 0 = a + k` with `k` bound by the rule file's `variable (k : ℕ)`, not by the rule
ADD_K = rule("add_k", "eq", BinOp("+", I("a"), Num("0")), BinOp("+", I("a"), I("k")),
             [("a", "explicit", NAT)])
# `a + 0 = succ' a`: `succ'` is not a declaration of the library (Lean core, say)
ADD_SUCC = rule("add_succ'", "eq", BinOp("+", I("a"), Num("0")), App(I("succ'"), (I("a"),)),
                [("a", "explicit", NAT)])
RULE_FILE = Scope("Lib.Rules", (), (), (("variable", "variable (k : ℕ) [inst : Foo k]"),))
IN_FOO = Scope("Lib.Use", (), ("Foo",), (("namespace", "namespace Foo"),))
IN_BAR = Scope("Lib.Use", (), ("Bar",), (("namespace", "namespace Bar"),))
WITH_K = Scope("Lib.Use", (), ("Foo",), (("namespace", "namespace Foo"),
                                          ("variable", "variable {k : ℕ}")))


def decl(scope: Scope) -> Declaration:
    ns = scope.namespaces[0]
    return Declaration(full_name=f"{ns}.bar", name="bar", kind="theorem", module=scope.module,
                       file="Lib/Use.lean", start_line=3, end_line=5, proof="by\n  omega",
                       proof_style="tactic", scope_id=scope.id, parse_status="full")


def mutate(scope: Scope, r: Rule, library: list[tuple[str, tuple[str, ...]]], check=True,
           module: str = "Lib.Defs", notations: frozenset[str] = frozenset(),
           rule_file: Scope = RULE_FILE):
    rows = [(n, mods, module) for n, mods in library]
    names = NameScope(NameIndex.of(rows), lambda rule: rule_file, notations) if check else None
    m = Mutator([r], {scope.id: scope}, MutateOptions(refute=False), show=show,
                show_binders=lambda gs: "", parse=lambda d: (CAND_BINDERS, CAND_CONCL),
                section_of=lambda s: (), names=names)
    out = list(m.mutate_theorem(decl(scope), [
        inv("rw_goal", r, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")},
            candidate=decl(scope).full_name)]))
    return out, m.stats


def test_a_variable_of_the_rule_file_drops_the_mutant_unless_bound_where_it_is_stated():
    rows, _ = mutate(IN_FOO, ADD_K, [], check=False)
    assert "k" in rows[0][0].lean  # the defect: `k` is free in the check unit
    rows, stats = mutate(IN_FOO, ADD_K, [])
    assert rows == [] and stats.dropped["unresolved_name"] == 1
    assert stats.names["rule_variable"] == 1
    rows, stats = mutate(WITH_K, ADD_K, [])
    assert len(rows) == 1 and not stats.dropped["unresolved_name"]


def test_an_unknown_name_that_the_mutant_namespace_certainly_shadows_is_dropped():
    library = [("Foo.succ'", ())]
    rows, _ = mutate(IN_FOO, ADD_SUCC, library, check=False)
    assert "succ' x" in rows[0][0].statement  # inside `namespace Foo` this is `Foo.succ'`
    rows, stats = mutate(IN_FOO, ADD_SUCC, library)
    assert rows == [] and stats.names["shadowed"] == 1
    # elsewhere nothing shadows it, and an unknown name is never dropped for being unknown
    rows, stats = mutate(IN_BAR, ADD_SUCC, library)
    assert len(rows) == 1 and not stats.names


def test_a_notation_that_reads_like_a_name_is_not_checked():
    """`σ` declared as a scoped notation (Mathlib's `unitInterval.symm`) is Lean's notation
    where its namespace is open (the unit opens it), not a name `Foo.σ` could shadow."""
    sigma = rule("add_sigma", "eq", BinOp("+", I("a"), Num("0")), App(I("σ"), (I("a"),)),
                 [("a", "explicit", NAT)])
    table = build_token_table([NotationDecl("Lib.N", "Lib/N.lean", 1, "notation", "scoped",
                                            "Lib", declared_tokens('notation "σ" => id'), "")])
    rows, stats = mutate(IN_FOO, sigma, [("Foo.σ", ())], notations=notation_words(table))
    assert len(rows) == 1 and not stats.names
    rows, stats = mutate(IN_FOO, sigma, [("Foo.σ", ())])
    assert rows == [] and stats.names["shadowed"] == 1  # read as a name, it is shadowed


def test_a_shadowed_rule_lemma_is_named_from_the_root_in_the_proof():
    library = [("add_zero", ()), ("Foo.add_zero", ())]
    rows, _ = mutate(IN_FOO, ADD_ZERO, library, check=False)
    assert "rewrite [add_zero" in rows[0][0].proof  # `Foo.add_zero` inside `namespace Foo`
    rows, stats = mutate(IN_FOO, ADD_ZERO, library)
    assert "rewrite [_root_.add_zero (a := x)] at this" in rows[0][0].proof
    assert stats.names["repaired_lemma"] == 1
    rows, stats = mutate(IN_BAR, ADD_ZERO, library)
    assert "rewrite [add_zero (a := x)] at this" in rows[0][0].proof and not stats.names


def test_a_protected_namespace_member_does_not_shadow_an_atomic_name():
    library = [("add_zero", ()), ("Foo.add_zero", ("protected",))]
    rows, stats = mutate(IN_FOO, ADD_ZERO, library)
    assert "rewrite [add_zero (a := x)] at this" in rows[0][0].proof and not stats.names


def test_a_private_name_is_what_a_rule_means_only_in_the_file_that_declares_it():
    """`succ'` of the rule may be a notation or a core name: a private `succ'` of another
    file is invisible where the rule was written."""
    library = [("succ'", ("private",))]
    rows, stats = mutate(IN_BAR, ADD_SUCC, library, module="Other.File")
    assert len(rows) == 1 and not stats.names
    rows, stats = mutate(IN_BAR, ADD_SUCC, library, module="Mathlib.Rules")
    assert rows == [] and stats.names["private"] == 1


def test_variable_lines_bind_the_names_before_their_top_level_colon():
    scope = Scope("M", (), (), (
        ("variable", "variable {α : Type*} [inst : Foo α] [Bar α] (f g : α → (α → α))"),
        ("variable", "variable {x} ⦃s : Set α⦄ (h : f (g x) = x)"),
        ("open", "open Nat")))
    assert variable_names(scope) == {"α", "inst", "f", "g", "x", "s", "h"}


# `a + 0 = g a`, where the rule's file decides which declaration `g` is
ADD_G = rule("add_g", "eq", BinOp("+", I("a"), Num("0")), App(I("g"), (I("a"),)),
             [("a", "explicit", NAT)])


def test_a_rule_name_under_an_open_relative_to_an_earlier_one_is_spelled_in_full():
    """The rule's file says `open Bar` then `open Baz`, which opens `Bar.Baz` (Lean's
    `resolveNamespace`), and writes `g a` for the library's `Bar.Baz.g`.  A mutant in
    `namespace Foo`, where `g` means nothing, must say `Bar.Baz.g`.  Read as the root
    namespace `Baz`, the rule's `g` would be unknown and printed as written."""
    rule_file = Scope("Lib.Rules", (), (), (("open", "open Bar"), ("open", "open Baz")))
    rows, _ = mutate(IN_FOO, ADD_G, [("Bar.Baz.g", ())], rule_file=rule_file)
    assert len(rows) == 1 and "Bar.Baz.g x" in rows[0][0].statement


def test_the_innermost_namespace_gives_the_one_reading_of_a_rule_name():
    """In `namespace Foo.Bar`, `g` is `Foo.Bar.g` alone although `Foo.g` exists too (Lean's
    `resolveGlobalName` stops at the innermost namespace that has it).  A mutant stated in
    `namespace Foo`, where `g` is `Foo.g`, must spell the rule's `Foo.Bar.g` in full."""
    rule_file = Scope("Lib.Rules", (), ("Foo", "Bar"), (("namespace", "namespace Foo"),
                                                        ("namespace", "namespace Bar")))
    rows, _ = mutate(IN_FOO, ADD_G, [("Foo.Bar.g", ()), ("Foo.g", ())], rule_file=rule_file)
    assert len(rows) == 1 and "Foo.Bar.g x" in rows[0][0].statement
