"""A project indexed with a dependency's finished run (`--rules-from`): the dependency's
rules fire on the project's theorems, names resolve against both, and invocations and
mutants record the library of their rule; the mutant imports the rule's module."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract.options import ExtractOptions
from lean_alchemy.extract.pipeline import run_extract
from lean_alchemy.index.dependency import statement_words
from lean_alchemy.index.driver import run_index
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.pipeline import run_mutate

from helpers.downstream import DEPENDENCY, PROJECT, write_tree

QUIET = dict(jobs=1, progress=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[RunDir, RunDir]:
    """(the dependency's run, the project's run indexed with it)."""
    base = tmp_path_factory.mktemp("downstream")
    dep_src = write_tree(base / "dep", DEPENDENCY)
    proj_src = write_tree(base / "proj", PROJECT)
    dep = RunDir.at(base / "dep-run")
    run_extract(dep_src, dep, ExtractOptions(**QUIET))
    run_index(dep, IndexOptions(**QUIET))
    proj = RunDir.at(base / "proj-run")
    run_extract(proj_src, proj, ExtractOptions(**QUIET))
    run_index(proj, IndexOptions(rules_from=(str(dep.root),), **QUIET))
    return dep, proj


def test_dependency_rules_fire_on_the_project_and_are_labelled(runs) -> None:
    dep, proj = runs
    inv = pq.read_table(proj.root / "invocations.parquet").to_pylist()
    dep_rules = {r["id"]: r["lemma"] for r in pq.read_table(dep.rules).to_pylist()}
    from_dep = [i for i in inv if i["library"] == "Dep"]
    assert from_dep and all(i["rule_id"] in dep_rules for i in from_dep)
    assert {dep_rules[i["rule_id"]] for i in from_dep} >= {"Dep.add_self_eq_two_mul"}
    # the project's own rules fire too, labelled as its own
    own = [i for i in inv if i["library"] == ""]
    assert any(i["candidate"] == "proj_own" for i in own)
    stats = json.loads(proj.stats_path("index").read_text())
    assert stats["invocations_by_library"]["Dep"] == len(from_dep)
    assert stats["invocations_by_library"]["(own)"] == len(own)
    # the project's rules file holds its own rules only: nothing of the dependency copied
    lemmas = set(pq.read_table(proj.rules, columns=["lemma"])["lemma"].to_pylist())
    assert lemmas and not any(x.startswith("Dep.") for x in lemmas)


def test_rules_whose_constants_the_project_never_writes_are_left_out(runs) -> None:
    dep, proj = runs
    stats = json.loads(proj.stats_path("index").read_text())
    # `Dep.rare` appears in no statement of the project: its two rules' patterns cannot
    # be retrieved for any candidate, so they are not compiled
    assert stats["dependency_rules_skipped"]["Dep"] >= 2
    inv = pq.read_table(proj.root / "invocations.parquet").to_pylist()
    dep_rules = {r["id"]: r["lemma"] for r in pq.read_table(dep.rules).to_pylist()}
    assert not any(dep_rules.get(i["rule_id"], "").startswith("Dep.rare") for i in inv)


def test_names_resolve_against_the_dependency(runs) -> None:
    _dep, proj = runs
    stats = json.loads(proj.stats_path("index").read_text())
    # `twice` (through `open Dep`) is known: it is not among the unresolved names
    assert "twice" not in stats["top_unresolved"]


def test_statement_words_are_the_identifier_components_of_statements(runs) -> None:
    from lean_alchemy.extract import store
    _dep, proj = runs
    words = statement_words(store.read_declarations(proj))
    assert {"twice", "proj_helper", "Nat"} <= words and "rare" not in words
    assert "ℕ" in words  # the number types' spellings come together


def test_mutants_record_the_library_and_import_the_rule_module(runs, tmp_path: Path) -> None:
    from lean_alchemy.index.store import read_rules
    _dep, proj = runs
    run_mutate(proj, MutateOptions(jobs=1, refute=False))
    db = RunDB.for_run(proj, mode="read")
    ms = list(db.iter_mutants())
    dep_ms = [m for m in ms if m.rule_library == "Dep"]
    assert dep_ms and all(m.rule.startswith("Dep.") for m in dep_ms)
    assert all(m.imports == (m.source_module, "Dep.Arith") for m in dep_ms)
    assert all(m.rule_library == "" for m in ms if not m.rule.startswith("Dep."))
    conditional = {r.lemma for run in (_dep, proj) for r in read_rules(run)
                   if r.side_conditions}
    assert all(m.relation == ("implied_by_source" if m.kind == "apply_hyp"
                              or m.rule in conditional else "equivalent") for m in ms)
    assert {m.relation for m in ms} == {"equivalent", "implied_by_source"}


def test_a_missing_dependency_run_is_one_clear_error(tmp_path: Path, runs) -> None:
    _dep, proj = runs
    with pytest.raises(AlchemyError, match="no such run directory"):
        run_index(proj, IndexOptions(rules_from=(str(tmp_path / "nowhere"),), **QUIET))
    half = RunDir.at(tmp_path / "half")
    half.root.mkdir()
    (half.root / "declarations.parquet").write_bytes(b"")
    with pytest.raises(AlchemyError, match="rules.parquet is missing"):
        run_index(proj, IndexOptions(rules_from=(str(half.root),), **QUIET))


def test_lazily_compiled_rules_match_exactly_as_eagerly_compiled_ones(runs) -> None:
    """`RuleIndex.add_lazy` (dependency rules, compiled when first retrieved) gives the
    invocations of `add`, in the same order, own rules added after them included."""
    from lean_alchemy.extract import store
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.passes import parsed
    from lean_alchemy.index.store import read_rules

    dep, proj = runs
    dep_rules, own = list(read_rules(dep)), list(read_rules(proj))
    eager = RuleIndex.empty(max_per_theorem=64, generic_evidence=True)
    lazy = RuleIndex.empty(max_per_theorem=64, generic_evidence=True)
    for r in dep_rules:
        eager.add(r)
        lazy.add_lazy(r)
    for r in own:
        eager.add(r)
        lazy.add(r)
    decls = [d for d in store.read_declarations(proj) if d.is_candidate]
    found = 0
    for d in decls + [d for d in store.read_declarations(dep) if d.is_candidate]:
        p = parsed(d)
        if p is None:
            continue
        a, b = eager.invocations(d, *p), lazy.invocations(d, *p)
        assert a == b
        found += len(a)
    assert found > 0
