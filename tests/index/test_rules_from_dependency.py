"""A project indexed with a dependency's finished run (`--rules-from`): the dependency's
rules fire on the project's theorems, names resolve against both, and invocations and
mutants record the library of their rule; the mutant imports the rule's module."""

from __future__ import annotations

import json
from collections import Counter
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


def test_a_dependency_rule_matches_the_prefix_of_an_over_applied_term(runs) -> None:
    """`pick id` (a dependency's lemma, compiled lazily) rewrites inside `pick id n`: the
    leaves a prefix view retrieves are compiled with the candidate's other leaves."""
    dep, proj = runs
    inv = pq.read_table(proj.root / "invocations.parquet").to_pylist()
    forward = {r["id"] for r in pq.read_table(dep.rules).to_pylist()
               if r["lemma"] == "Dep.pick_id" and r["direction"] == "fwd"}
    picks = [i for i in inv if i["candidate"] == "proj_pick" and i["rule_id"] in forward]
    assert picks and all('"prefix"' in i["path"] for i in picks)


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


def _copy_run(src: RunDir, dst: Path, skip: tuple[str, ...] = ()) -> RunDir:
    import shutil
    shutil.copytree(src.root, dst, ignore=lambda _d, names: [n for n in names if n in skip])
    return RunDir.at(dst)


def _index_copy(proj: RunDir, dst: Path, **opts) -> list[dict]:
    run = _copy_run(proj, dst, skip=("invocations.parquet", "rules.parquet", "graph"))
    run_index(run, IndexOptions(**QUIET, **opts))
    return pq.read_table(run.root / "invocations.parquet").to_pylist()


def test_the_index_stores_each_rules_constants_and_trie_key(runs) -> None:
    """`RUN/rules.arrow` holds, row for row, the rules of `rules.parquet` and what a
    project would otherwise compute from each pattern: its required constants and its
    trie key."""
    from lean_alchemy.index.dependency import RuleTable
    from lean_alchemy.grammar.ast import loads
    from lean_alchemy.index.match.patterns import pattern_symbols
    from lean_alchemy.index.rule_keys import read_rule_keys, rule_constants
    from lean_alchemy.index.store import read_rules

    dep, _proj = runs
    rules = list(read_rules(dep))
    keys = read_rule_keys(dep.root, pq.read_table(dep.rules).column("id"))
    assert keys is not None and len(rules) >= 5
    import pyarrow as pa
    got = keys.keys(pa.array(range(len(rules))))
    assert got == [tuple(pattern_symbols(loads(r.pattern), frozenset(r.pattern_vars)))
                   for r in rules]
    assert keys.constants.to_pylist() == [rule_constants(r) for r in rules]
    assert ["rare"] in keys.constants.to_pylist()
    assert RuleTable(keys.table).rules(range(len(rules))) == rules


def test_stored_keys_and_computed_keys_give_the_same_index(runs, tmp_path: Path,
                                                          caplog) -> None:
    """A dependency run without `rules.arrow` (or with a stale one) still works,
    computing the keys from its patterns, and the project's invocations are the same."""
    from lean_alchemy.index.dependency import load_dependency, relevant_rules
    from lean_alchemy.index.rule_keys import read_rule_keys

    dep, proj = runs
    bare = _copy_run(dep, tmp_path / "bare", skip=("rules.arrow",))
    stale = _copy_run(dep, tmp_path / "stale")
    t = pq.read_table(stale.rules)
    pq.write_table(t.slice(1), stale.rules)  # rules replaced since the keys were stored
    assert read_rule_keys(stale.root, pq.read_table(stale.rules).column("id")) is None
    # keys spelled by other code (a file without this code's `keys_format`) are stale too
    import pyarrow as pa
    import pyarrow.ipc as ipc
    from lean_alchemy.index.rule_keys import FILE, FORMAT_KEY

    older = _copy_run(dep, tmp_path / "older")
    keys = ipc.open_file(pa.py_buffer((older.root / FILE).read_bytes())).read_all()
    meta = {k: v for k, v in keys.schema.metadata.items() if k != FORMAT_KEY}
    (older.root / FILE).unlink()
    with ipc.new_file(str(older.root / FILE), keys.schema.with_metadata(meta)) as w:
        w.write_table(keys.replace_schema_metadata(meta))
    ids = pq.read_table(older.rules).column("id")
    assert read_rule_keys(older.root, ids) is None
    assert read_rule_keys(dep.root, ids) is not None
    words = statement_words(__import__("lean_alchemy.extract.store", fromlist=["x"])
                            .read_declarations(proj))
    stored, n_stored = relevant_rules(load_dependency(dep.root), words)
    computed, n_computed = relevant_rules(load_dependency(bare.root), words)
    assert f"alchemy index --run-dir {bare.root}" in caplog.text
    assert n_stored == n_computed >= 2
    assert [r.id for r in stored] == [r.id for r in computed]
    assert all(r.symbols is not None and c.symbols is None for r, c in zip(stored, computed))
    a = _index_copy(proj, tmp_path / "a", rules_from=(str(dep.root),))
    b = _index_copy(proj, tmp_path / "b", rules_from=(str(bare.root),))
    assert a == b and any(i["library"] == "Dep" for i in a)


def test_a_leafs_pending_rules_are_decoded_in_one_read() -> None:
    from lean_alchemy.core.records import Rule
    from lean_alchemy.index.match.lazy_leaf import PendingRule, decode_pending

    class Source:
        def __init__(self) -> None:
            self.reads: list[list[int]] = []

        def rules(self, rows):
            self.reads.append(list(rows))
            return [Rule(f"r{k}", f"L{k}", "eq", "fwd", "", "", (), (), (), (), (), (), "", "M")
                    for k in rows]

    a, b = Source(), Source()
    pending = [PendingRule(f"r{k}", "eq", "", (), (), k, s)
               for k, s in ((5, a), (2, b), (1, a), (9, b))]
    got = decode_pending(pending)
    assert [r.id for r in got] == ["r5", "r2", "r1", "r9"]
    assert a.reads == [[5, 1]] and b.reads == [[2, 9]]


def test_dependency_invocations_per_theorem_are_capped(runs, tmp_path: Path) -> None:
    """`max_dependency_matches_per_theorem`: at most that many of a theorem's invocations
    use a dependency's rule; the project's own rules still fire."""
    dep, proj = runs
    free = _index_copy(proj, tmp_path / "free", rules_from=(str(dep.root),),
                       max_dependency_matches_per_theorem=None)
    capped = _index_copy(proj, tmp_path / "capped", rules_from=(str(dep.root),),
                         max_dependency_matches_per_theorem=1)

    def per_theorem(invs: list[dict], library: str) -> Counter:
        return Counter(i["candidate"] for i in invs if i["library"] == library)

    assert max(per_theorem(free, "Dep").values()) > 1
    assert max(per_theorem(capped, "Dep").values()) == 1
    assert per_theorem(capped, "Dep").keys() == per_theorem(free, "Dep").keys()
    assert per_theorem(capped, "") == per_theorem(free, "")
    with pytest.raises(AlchemyError, match="max_dependency_matches_per_theorem"):
        IndexOptions(max_dependency_matches_per_theorem=0)


def test_own_rules_are_tried_before_the_dependencys(tmp_path: Path) -> None:
    """Past the near tiers, a theorem's quota goes to the project's own rules first: with
    a quota of one, a sub-term that five dependency rules and one own rule (of another
    module, so not near) can rewrite is rewritten with the own one."""
    lemmas = "\n".join(f"theorem mul_one_{k} (n : Nat) : n * 1 = n + {k} - {k} := by omega"
                       for k in range(5))
    dep_src = write_tree(tmp_path / "d", {"Dq/Basic.lean": f"namespace Dq\n{lemmas}\nend Dq\n"})
    proj_src = write_tree(tmp_path / "p", {
        "Pq/Lemmas.lean": "theorem own_mul_one (n : Nat) : n * 1 = n := by omega\n",
        "Pq/Main.lean": "theorem cand (k : Nat) (h : k * 1 = 3) : k < 4 := by omega\n"})
    dep, proj = RunDir.at(tmp_path / "dr"), RunDir.at(tmp_path / "pr")
    run_extract(dep_src, dep, ExtractOptions(**QUIET))
    run_index(dep, IndexOptions(**QUIET))
    run_extract(proj_src, proj, ExtractOptions(**QUIET))
    run_index(proj, IndexOptions(rules_from=(str(dep.root),), max_matches_per_theorem=1,
                                 max_dependency_matches_per_theorem=None, **QUIET))
    inv = [i for i in pq.read_table(proj.root / "invocations.parquet").to_pylist()
           if i["candidate"] == "cand"]
    assert [(i["library"], i["location"]) for i in inv] == [("", "h")]


def test_a_rules_table_of_several_chunks_is_read_as_one(runs) -> None:
    """`RuleTable` combines the chunks of a table (a `take` on several chunks costs a pass
    over all of them for each leaf compiled) and decodes the same rules."""
    import pyarrow as pa
    from lean_alchemy.index.dependency import RuleTable
    from lean_alchemy.index.store import read_rules

    dep, _proj = runs
    t = pq.read_table(dep.rules)
    two = pa.concat_tables([t.slice(0, 2), t.slice(2)])
    assert two.column("id").num_chunks == 2
    source = RuleTable(two)
    assert source.table.column("id").num_chunks == 1
    assert source.rules([3, 0]) == [list(read_rules(dep))[k] for k in (3, 0)]


def test_a_dependencys_rules_come_before_the_index_own(runs) -> None:
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.store import read_rules

    dep, proj = runs
    ix = RuleIndex.empty(max_per_theorem=64)
    ix.add(next(read_rules(proj)))
    with pytest.raises(ValueError, match="add_lazy after add"):
        ix.add_lazy(next(read_rules(dep)))

