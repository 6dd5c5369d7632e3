"""The labelled mutants in tests/data/labels are well formed: every row has the fields the
type-filter measurements read, a known label, and a reason wherever it is ill-typed or unsure.

Why a test: the labels are read by people and by measurements of the filters; a row with a
misspelt label or a missing reason would silently drop out of a share."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "labels"
LABELLED_MUTANTS = ("mutants_before_typing.jsonl", "mutants_after_recall.jsonl",
                    "mutants_after_fill.jsonl", "mutants_after_views.jsonl",
                    "mutants_after_solve.jsonl", "mutants_after_holes.jsonl",
                    "mutants_after_undot.jsonl")
FIELDS = {"n", "id", "kind", "rule", "direction", "location", "source_theorem",
          "source_module", "statement", "label", "reason_class", "reason"}
REASON_CLASSES = {"instance_missing", "type_clash", "notation_scope", "unbound_variable",
                  "glued_notation_split", "other"}


def rows(name: str = LABELLED_MUTANTS[0]) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", LABELLED_MUTANTS)
def test_every_row_is_complete_and_labelled(name: str) -> None:
    data = rows(name)
    assert len(data) >= 100 and len({r["id"] for r in data}) == len(data)
    for r in data:
        assert set(r) == FIELDS, r["n"]  # no proof or rendered Lean is stored
        assert r["label"] in {"elaborates", "ill_typed", "unsure"}, r["n"]
        assert r["kind"] in {"rw_goal", "rw_hyp", "apply_hyp"} and r["direction"] in {"fwd", "bwd"}
        if r["label"] == "ill_typed":
            assert r["reason_class"] in REASON_CLASSES and r["reason"].strip(), r["n"]
        elif r["label"] == "unsure":
            assert r["reason"].strip(), r["n"]


def test_the_sample_covers_the_three_kinds() -> None:
    kinds = Counter(r["kind"] for r in rows())
    assert set(kinds) == {"rw_goal", "rw_hyp", "apply_hyp"} and min(kinds.values()) >= 40
    assert len(rows()) >= 150



def test_every_glued_notation_reading_is_complete() -> None:
    data = rows("glued_notation_mutants.jsonl")
    assert len(data) == 50 and len({r["id"] for r in data}) == 50
    for r in data:
        assert r["label"] in {"intact", "split"} and r["glued_found"] and r["mutant_statement"]


def test_every_hole_reading_is_complete() -> None:
    data = rows("hole_mutants.jsonl")
    assert len(data) == 30 and sorted(r["n"] for r in data) == list(range(30))
    for r in data:
        assert r["label"] in {"elaborates", "ill_typed", "unsure"}, r["n"]
        assert "_" in r["conclusion"] and r["instance"] and r["source_module"], r["n"]
        if r["label"] != "elaborates":
            assert r["reason"].strip(), r["n"]
        if r["label"] == "ill_typed":
            assert r["reason_class"] in REASON_CLASSES | {"hole_unsolvable"}, r["n"]


def test_every_ascription_hole_reading_is_complete() -> None:
    data = rows("ascription_hole_mutants.jsonl")
    assert [r["n"] for r in data] == list(range(13))
    for r in data:
        assert "_" in r["statement"] and r["instance"] and "proof" not in r, r["n"]
        assert r["label"] in {"elaborates", "ill_typed", "unsure"} and r["reason"].strip()
        if r["label"] == "ill_typed":
            assert r["reason_class"] in REASON_CLASSES | {"hole_unsolvable"}, r["n"]
    # what the README reports: the final code makes 9, all elaborating
    assert Counter((r["made"], r["label"]) for r in data) == {
        (True, "elaborates"): 9, (False, "ill_typed"): 3, (False, "elaborates"): 1}


def test_every_overload_reading_is_complete() -> None:
    """Invocations an overloaded candidate name (`card` under `open Finset Fintype`) let
    through: each says which readings the name has and whether the rule's is Lean's."""
    data = rows("overload_invocations.jsonl")
    assert [r["n"] for r in data] == list(range(20))
    for r in data:
        assert len(r["readings"]) > 1 and r["name"] and r["new_statement"].strip(), r["n"]
        assert r["label"] in {"elaborates", "ill_typed", "unsure"} and r["reason"].strip()
        if r["label"] == "ill_typed":
            assert r["reason_class"] in REASON_CLASSES, r["n"]
    # what the README reports: 8 elaborate; in all 20 the rule's reading is Lean's
    assert Counter(r["label"] for r in data) == {"elaborates": 8, "ill_typed": 12}
    assert all(r["reading_right"] is True for r in data)


def test_every_reprinted_reading_is_complete() -> None:
    """Each row names a labelled row of another set and the statement the pipeline now
    prints for its match instead, read under the rubric."""
    data = rows("reprinted_mutants.jsonl")
    assert len(data) == 24
    for r in data:
        assert r["set"] in LABELLED_MUTANTS and r["statement"] != r["labelled_statement"]
        labelled = {x["n"]: x for x in rows(r["set"])}[r["n"]]
        assert labelled["label"] == "ill_typed" and labelled["statement"] == r["labelled_statement"]
        assert r["label"] in {"elaborates", "ill_typed", "unsure"} and r["reason"].strip()
        if r["label"] == "ill_typed":
            assert r["reason_class"] in REASON_CLASSES, r["n"]


def test_every_side_and_hole_reading_is_complete() -> None:
    data = rows("side_and_hole_mutants.jsonl")
    assert [r["n"] for r in data] == list(range(30))
    assert Counter(r["change"] for r in data) == {"relation_sides": 20, "hypothesis_hole": 10}
    for r in data:
        assert r["label"] in {"elaborates", "ill_typed", "unsure"} and r["statement"], r["n"]
        assert "proof" not in r and (r["label"] == "elaborates" or r["reason"].strip()), r["n"]


def test_every_changed_output_reading_is_complete() -> None:
    """The reading of mutants one version makes and the one before did not."""
    data = rows("changed_output_mutants.jsonl")
    assert [r["n"] for r in data] == list(range(30)) and len({r["id"] for r in data}) == 30
    for r in data:
        assert set(r) == FIELDS, r["n"]  # no proof or rendered Lean is stored
        assert r["label"] in {"elaborates", "ill_typed", "unsure"} and r["reason"].strip()
        if r["label"] == "ill_typed":
            assert r["reason_class"] in REASON_CLASSES, r["n"]


def test_every_visibility_reading_is_complete() -> None:
    """Rules whose constants changed when names resolved among the declarations the rule's
    file can see: each row gives both readings and which one is Lean's, with the reason."""
    data = rows("visibility_rules.jsonl")
    assert [r["n"] for r in data] == list(range(20))
    for r in data:
        before, after = r["before"], r["after"]
        assert (before["pattern"], before["replacement"]) != \
            (after["pattern"], after["replacement"]), r["n"]
        assert before["names"] and r["module"].startswith("Mathlib.") and r["line"] > 0
        assert r["label"] in {"after_right", "before_right", "unsure"} and r["reason"].strip()
    # what the README reports: the new reading is Lean's in all 20
    assert Counter(r["label"] for r in data) == {"after_right": 20}


def test_the_visibility_rows_resolve_as_labelled() -> None:
    """Two rows replayed on fixtures of their shape: the rule reads the constant its file
    sees (`index.visibility`), not one declared below it or in a module not imported."""
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.grammar.printer import print_term
    from lean_alchemy.index.names import NameTable, OpenDecl, Resolver, ScopeView
    from lean_alchemy.core.records import Declaration

    def decl(name: str, module: str, line: int) -> Declaration:
        return Declaration(full_name=name, name=name, kind="theorem", module=module,
                           file="", start_line=line, end_line=line)

    data = {r["n"]: r for r in rows("visibility_rules.jsonl")}
    # row 14: `Over.forget` inside namespace CategoryTheory.MorphismProperty, whose own
    # `Over.forget` is declared at line 619 of the same file, below the rule
    row = data[14]
    decls = [decl("CategoryTheory.Over.forget", "Mathlib.CategoryTheory.Comma.Over", 10),
             decl(row["lemma"], row["module"], row["line"]),
             decl("CategoryTheory.MorphismProperty.Over.forget", row["module"], 619)]
    imports = {row["module"]: ("Mathlib.CategoryTheory.Comma.Over",),
               "Mathlib.CategoryTheory.Comma.Over": ()}
    res = Resolver(NameTable.from_declarations(decls, imports=imports))
    view = ScopeView(("CategoryTheory.MorphismProperty", "CategoryTheory"), ())
    got = res.resolve_term(parse_term("Over.forget X"), view, frozenset({"X"}),
                           own=row["lemma"])
    assert "CategoryTheory.Over.forget" in row["after"]["replacement"]
    assert print_term(got) == "CategoryTheory.Over.forget X"
    # row 15: `dist` (the field `Dist.dist`, exported) where Nat.dist's module is not
    # imported, under `open Nat`: the name stays the field's, printed as written
    row = data[15]
    decls = [decl("Dist.dist", "Mathlib.Topology.MetricSpace.Pseudo.Defs", 10),
             decl("Nat.dist", "Mathlib.Data.Nat.Dist", 22),
             decl(row["lemma"], row["module"], row["line"])]
    imports = {row["module"]: ("Mathlib.Topology.MetricSpace.Pseudo.Defs",),
               "Mathlib.Topology.MetricSpace.Pseudo.Defs": (), "Mathlib.Data.Nat.Dist": ()}
    res = Resolver(NameTable.from_declarations(decls, imports=imports))
    got = res.resolve_term(parse_term("dist (f n) a"), ScopeView((), (OpenDecl("Nat"),)),
                           frozenset({"f", "n", "a"}), own=row["lemma"])
    assert row["before"]["names"] == ["Nat.dist"] and print_term(got) == "dist (f n) a"


def test_every_refused_match_of_the_result_head_check_is_labelled() -> None:
    """The matches the agreeing-values check refuses (`value_checks.results_ok`), each
    read as ill-typed with the two types that do not unify (the README's shares)."""
    data = rows("result_clash_refused.jsonl")
    assert len(data) == 33
    assert Counter(r["sample"] for r in data) == {"gone_from_kept": 31, "at_risk_pool": 2}
    for r in data:
        assert r["label"] == "ill_typed" and r["reason_class"] == "type_clash"
        assert r["reason"].strip() and r["subst"] and r["kind"] in ("rw_goal", "rw_hyp")
        assert r["rule_statement"] and r["candidate_statement"]
