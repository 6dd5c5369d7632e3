"""Corpus stage: schema, writer, splits, dedup, decontamination, tiers, card, stats, loading."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Binder, Declaration, Mutant, Scope, Verdict
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.corpus import build as build_mod
from lean_alchemy.corpus import sources
from lean_alchemy.corpus.build import build_dataset, export, run_corpus
from lean_alchemy.corpus.decontam import (BenchItem, Decontaminator, items_from_jsonl,
                                          items_from_lean, load_benchmarks)
from lean_alchemy.corpus.options import CorpusOptions
from lean_alchemy.corpus.stats import outcomes_of
from lean_alchemy.corpus.rows import (Provenance, mutant_columns, mutant_row,
                                      original_row, rows_table, statement_features)
from lean_alchemy.corpus.schema import SCHEMA, markdown_schema_table
from lean_alchemy.corpus.splits import Splitter, assign_split
from lean_alchemy.corpus.tiers import Tierer, parse_rule
from lean_alchemy.corpus.tokens import normalized_tokens, split_formal_statement
from lean_alchemy.corpus.writer import ShardWriter

from helpers.builders import make_mutant

PROV = Provenance(tool_version="0.1.0")


def corpus_mutant(i: int, src: str = "Foo.add_le", kind: str = "rw_goal", depth: int = 1,
                  statement: str | None = None, features=(), mid: str | None = None,
                  module: str = "Mathlib.Algebra.Order.Foo") -> Mutant:
    """Mutant `i` of the library theorem `src`, an inequality proved by `omega`."""
    st = statement or f"(a b : ℕ) (h : a ≤ b) : a + {i} ≤ b + {i}"
    name = f"{src.split('.')[-1]}_mut{i}"
    return make_mutant(
        i, id=mid or f"fp{i:06d}", name=name, parent=src, source_theorem=src, source_module=module,
        kind=kind, depth=depth, statement=st, proof="by\n  omega", imports=(module,),
        header="namespace Foo\nopen Nat",
        lean=f"namespace Foo\nopen Nat\ntheorem {name} {st} := by\n  omega\nend Foo",
        features=features)


def ok(m: Mutant, elapsed: float = 0.3, lean: str = "v4.33.0") -> Verdict:
    return Verdict(m.id, "verified", elapsed=elapsed, backend="repl", lean_version=lean,
                   mathlib_rev="f4a75053")


def rows_of(pairs):
    return lambda: iter(pairs)


def read_all(out: Path):
    files = sorted(str(p) for p in (out / "data").rglob("*.parquet"))
    return pads.dataset(files, format="parquet").to_table()


# ---------------------------------------------------------------------------------- rows


def test_mutant_row_text_and_statement():
    m = corpus_mutant(1)
    r = mutant_row(m, ok(m), PROV)
    assert r["text"].startswith("import Mathlib.Algebra.Order.Foo\n\nnamespace Foo")
    assert r["text"].rstrip().endswith("end Foo")
    assert r["formal_statement"] == "theorem add_le_mut1 (a b : ℕ) (h : a ≤ b) : a + 1 ≤ b + 1 :="
    assert r["header"] == "import Mathlib.Algebra.Order.Foo\n\nnamespace Foo\nopen Nat"
    assert r["library_area"] == "Mathlib.Algebra"
    f = r["features"]
    assert f["num_binders"] == 3 and f["num_hypotheses"] == 1 and f["check_time"] == 0.3
    assert r["checked"] is True and r["lean_version"] == "v4.33.0"


def test_statement_features_instance_and_implicit():
    f = statement_features("{G : Type*} [Group G] (g : G) (h₁ : g ^ 2 = 1) : g⁻¹ = g")
    assert f["num_binders"] == 4 and f["num_hypotheses"] == 1
    f = statement_features("(f : ℕ → ℕ) (hf : StrictMono f) (a b : ℕ) (hab : a < f (b + 1)) :"
                           " f a < f (f b)")
    assert f["num_binders"] == 5 and f["num_hypotheses"] == 2


def test_engine_features_go_to_fixed_fields_or_extra():
    m = corpus_mutant(1, features=(("depth", 2.0), ("rewrites", 3.0)))
    f = mutant_row(m, ok(m), PROV)["features"]
    assert f["depth"] == 2.0
    assert f["extra"] == [{"key": "rewrites", "value": 3.0}]


def test_original_row():
    d = Declaration(full_name="Foo.add_le", name="add_le", kind="theorem",
                    module="Mathlib.Algebra.Order.Foo", file="Mathlib/Algebra/Order/Foo.lean",
                    start_line=3, end_line=4, binders=(Binder("a", "explicit", "ℕ"),),
                    conclusion="a ≤ a + 1", proof="by omega", scope_id="s1")
    sc = Scope("Mathlib.Algebra.Order.Foo", ("Mathlib.Order.Basic",), ("Foo",),
               (("namespace", "namespace Foo"),))
    r = original_row(d, sc, "fpX", PROV)
    assert r["mutation"]["kind"] == "original" and r["mutation"]["depth"] == 0
    assert r["text"] == ("import Mathlib.Order.Basic\n\nnamespace Foo\n\n"
                         "theorem add_le (a : ℕ) : a ≤ a + 1 := by omega\n\nend Foo\n")


# ---------------------------------------------------------------------------------- writer


def test_schema_stable_across_shards_with_nulls_and_new_keys(tmp_path):
    w = ShardWriter(tmp_path, shard_rows=5, row_group_rows=3)
    for b in range(4):  # four batches of three rows; later ones add keys and nulls
        batch = []
        for i in range(3 * b, 3 * b + 3):
            m = corpus_mutant(i, features=(("k0", 1.0),) if i < 6 else (("new_key", 2.0), ("k0", None)))
            if i >= 6:  # nulls everywhere a column allows them
                m = replace(m, rule="", parent="")
            batch.append((m, ok(m) if i < 6 else None))
        cols = mutant_columns(batch, PROV, checked=True)
        cols["tier"] = pa.array(["easy"] * 3)
        cols["split"] = pa.array(["train"] * 3)
        w.add_table(rows_table(cols, SCHEMA))
    shards = w.close()
    assert [p.name for p in shards] == ["part-00000.parquet", "part-00001.parquet",
                                        "part-00002.parquet"]
    for p in shards:
        assert pq.read_schema(p).remove_metadata() == SCHEMA
    t = pads.dataset([str(p) for p in shards], format="parquet").to_table()
    assert t.num_rows == 12
    feats = t.column("features").to_pylist()
    assert feats[0]["extra"] == [{"key": "k0", "value": 1.0}]
    assert feats[11]["extra"] == [{"key": "new_key", "value": 2.0}, {"key": "k0", "value": None}]
    assert feats[11]["check_time"] is None
    assert t.column("lean_version").to_pylist()[11] is None
    assert t.column("mutation").to_pylist()[11]["rule"] is None
    assert t.column("checked").to_pylist()[11] is False
    assert pq.ParquetFile(shards[0]).metadata.row_group(0).column(0).compression == "ZSTD"


def test_statistics_are_written_for_every_column_but_long_text(tmp_path):
    from lean_alchemy.corpus.schema import LONG_TEXT_COLUMNS, STATISTICS_COLUMNS
    w = ShardWriter(tmp_path, shard_rows=10, row_group_rows=10)
    batch = [(corpus_mutant(i), ok(corpus_mutant(i))) for i in range(4)]
    cols = mutant_columns(batch, PROV, checked=True)
    cols["tier"] = pa.array(["easy"] * 4)
    cols["split"] = pa.array(["train"] * 4)
    w.add_table(rows_table(cols, SCHEMA))
    [shard] = w.close()
    rg = pq.ParquetFile(shard).metadata.row_group(0)
    stats = {rg.column(i).path_in_schema: rg.column(i).is_stats_set
             for i in range(rg.num_columns)}
    assert set(STATISTICS_COLUMNS) | set(LONG_TEXT_COLUMNS) == set(stats)  # real paths
    assert all(stats[c] for c in STATISTICS_COLUMNS)
    assert not any(stats[c] for c in LONG_TEXT_COLUMNS)


def test_empty_dataset_keeps_schema(tmp_path):
    res = build_dataset(lambda: iter(()), tmp_path, CorpusOptions(), {"checked": "true"})
    assert res.rows == 0
    t = read_all(tmp_path)
    assert t.num_rows == 0 and t.schema.remove_metadata() == SCHEMA


# ---------------------------------------------------------------------------------- splits


def test_splits_group_by_source_theorem(tmp_path):
    pairs = []
    for s in range(60):
        for j in range(5):
            m = corpus_mutant(s * 10 + j, src=f"Foo.thm{s}")
            pairs.append((m, ok(m)))
    opts = CorpusOptions(train_fraction=0.6, validation_fraction=0.2, test_fraction=0.2,
                         shard_rows=50, stats=False)
    res = build_dataset(rows_of(pairs), tmp_path, opts, {})
    t = read_all(tmp_path)
    by_src = defaultdict(set)
    for src, sp in zip(t.column("source_theorem").to_pylist(), t.column("split").to_pylist()):
        by_src[src].add(sp)
    assert all(len(v) == 1 for v in by_src.values())
    assert {next(iter(v)) for v in by_src.values()} == {"train", "validation", "test"}
    assert sum(res.by_split.values()) == 300
    # deterministic and independent of the other theorems present
    assert assign_split("Foo.thm3", 0.6, 0.2) == assign_split("Foo.thm3", 0.6, 0.2)
    assert {p.parent.name for p in (tmp_path / "data").rglob("*.parquet")} == set(res.by_split)


def test_exclusion_list_keeps_theorems_out_of_train(tmp_path):
    names = [f"Foo.thm{s}" for s in range(40)]
    train_names = [n for n in names if assign_split(n, 0.98, 0.01, "lean-alchemy") == "train"]
    excluded = frozenset(train_names[:5])
    sp = Splitter(0.98, 0.01, "lean-alchemy", excluded, "test")
    for n in train_names[:5]:
        assert sp.split_of(n, "x") == "test"
    sp_drop = Splitter(0.98, 0.01, "lean-alchemy", excluded, "drop")
    assert sp_drop.split_of(train_names[0], "x") is None
    assert sp.split_of(train_names[6], "x") == "train"
    f = tmp_path / "ex.txt"
    f.write_text(f"# benchmark test split\n{train_names[0]}\n\n")
    pairs = [(m, ok(m)) for m in (corpus_mutant(1, src=train_names[0]), corpus_mutant(2, src=train_names[1]))]
    res = build_dataset(rows_of(pairs), tmp_path / "o", CorpusOptions(exclude_file=str(f)), {})
    assert res.by_split == {"test": 1, "train": 1}


# ---------------------------------------------------------------------------------- dedup


def test_dedup_corpus_and_library(tmp_path):
    a, b, c = corpus_mutant(1), corpus_mutant(2, mid="fp000001"), corpus_mutant(3, mid="LIBFP")
    pairs = [(a, ok(a)), (b, ok(b)), (c, ok(c))]
    dropped = []
    res = build_dataset(rows_of(pairs), tmp_path, CorpusOptions(), {},
                        library={"LIBFP": "Foo.known"}, report=dropped.append)
    assert res.rows == 1
    assert res.dropped == {"duplicate/corpus": 1, "duplicate/library": 1}
    assert {(d["name"], d["reason"], d["matched"]) for d in dropped} == {
        ("add_le_mut2", "duplicate/corpus", "add_le_mut1"),
        ("add_le_mut3", "duplicate/library", "Foo.known")}
    res2 = build_dataset(rows_of(pairs), tmp_path / "n", replace(
        CorpusOptions(), dedup=False, dedup_library=False), {}, library={"LIBFP": "x"})
    assert res2.rows == 3


# ---------------------------------------------------------------------------------- decontamination

BENCH_LEAN = """import Mathlib

/-- a competition-style problem -/
theorem bench_sq (x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6 := by
  sorry

theorem bench_long (n : ℕ) (h₀ : 0 < n) (h₁ : n % 7 = 3) (h₂ : n % 5 = 2) (h₃ : n < 100) :
    n * n + 2 * n + 1 = (n + 1) ^ 2 := by
  ring
"""

BENCH_JSONL = "\n".join(json.dumps(o) for o in [
    {"name": "json_one", "formal_statement":
        "theorem json_one (a : ℤ) (h : 3 * a = 12) : a = 4 := by sorry", "split": "test"},
    {"problem_name": "json_two", "statement": "(p q : Prop) (hp : p) (hq : q) : p ∧ q"},
])


def test_parse_benchmark_files(tmp_path):
    items = items_from_lean(BENCH_LEAN, "b.lean")
    assert [i.name for i in items] == ["bench_sq", "bench_long"]
    assert items[0].statement == "(x y : ℝ) (h₀ : x + y = 10) (h₁ : x - y = 2) : x = 6"
    assert items[0].origin == "b.lean:4"
    js = items_from_jsonl(BENCH_JSONL, "b.jsonl")
    assert [(i.name, i.statement) for i in js] == [
        ("json_one", "(a : ℤ) (h : 3 * a = 12) : a = 4"),
        ("json_two", "(p q : Prop) (hp : p) (hq : q) : p ∧ q")]
    with pytest.raises(AlchemyError, match="b.jsonl:1: no statement"):
        items_from_jsonl('{"name": "x"}', "b.jsonl")
    with pytest.raises(AlchemyError, match="does not exist"):
        load_benchmarks([str(tmp_path / "nope.lean")])


def test_decontamination_fixture(tmp_path):
    (tmp_path / "b.lean").write_text(BENCH_LEAN)
    (tmp_path / "b.jsonl").write_text(BENCH_JSONL)
    items = load_benchmarks([str(tmp_path / "b.lean"), str(tmp_path / "b.jsonl")])
    items.append(BenchItem("fp_item", "x:1", "(z : ℕ) : z = z", "FPMATCH"))
    dec = Decontaminator(items, n=6, threshold=0.8)
    # renamed variables, different spacing: normalized-text match
    renamed = corpus_mutant(1, statement="(u v : ℝ)  (hs : u + v = 10) (hd : u - v = 2) : u = 6")
    # the long benchmark statement embedded in a longer one, one hypothesis renamed: n-gram
    embedded = corpus_mutant(2, statement="(n : ℕ) (h₀ : 0 < n) (h₁ : n % 7 = 3) (h₂ : n % 5 = 2) "
                              "(h₃ : n < 100) (extra : n ≠ 4) : n * n + 2 * n + 1 = (n + 1) ^ 2")
    by_fp = corpus_mutant(3, mid="FPMATCH")
    clean = corpus_mutant(4, statement="(a b c : ℕ) (h : a ∣ b) (h' : b ∣ c) : a ∣ c")
    near = corpus_mutant(5, statement="(x y : ℝ) (h₀ : x + y = 11) (h₁ : x - y = 3) : x = 7")
    pairs = [(m, ok(m)) for m in (renamed, embedded, by_fp, clean, near)]
    dropped = []
    res = build_dataset(rows_of(pairs), tmp_path / "o", CorpusOptions(), {},
                        decontam=dec, report=dropped.append)
    reasons = {d["name"]: (d["reason"], d["matched"].split(" ")[0]) for d in dropped}
    assert reasons == {
        "add_le_mut1": ("contaminated/normalized_text", "bench_sq"),
        "add_le_mut2": ("contaminated/ngram", "bench_long"),
        "add_le_mut3": ("contaminated/fingerprint", "fp_item"),
    }
    assert res.rows == 2  # the divisibility lemma and the near miss (numbers differ) stay
    assert all(0 < d["score"] <= 1 for d in dropped)


def test_ngram_threshold_is_configurable():
    items = items_from_lean(BENCH_LEAN, "b.lean")
    m = corpus_mutant(1, statement="(n : ℕ) (h₀ : 0 < n) (h₁ : n % 7 = 3) : n * n + 2 * n + 1 = (n + 1) ^ 2")
    assert Decontaminator(items, n=6, threshold=0.5).check(m.id, m.statement)[0] == \
        "contaminated/ngram"
    assert Decontaminator(items, n=6, threshold=0.95).check(m.id, m.statement) is None


def test_normalized_tokens_rename_bound_names():
    a = normalized_tokens("(a b : ℕ) (h : a < b) : ∀ c, a + c < b + c")
    b = normalized_tokens("(x y : ℕ) (hxy : x < y) : ∀ z, x + z < y + z")
    assert a == b and "ℕ" in a
    assert split_formal_statement("theorem t : 1 = 1 := rfl") == ("t", ": 1 = 1")
    doc = "/-- Show that this theorem holds. -/\ntheorem amc_1 (x : ℕ) -- note\n : x = x := by\n  rfl"
    assert split_formal_statement(doc) == ("amc_1", "(x : ℕ) : x = x")


# ---------------------------------------------------------------------------------- tiers


def test_tier_rules():
    t = Tierer("rules", ("hard: depth >= 3 or check_time >= 20",
                         "medium: depth >= 2 and num_hypotheses >= 1", "easy: *"))
    assert t.tier_of({"depth": 3.0, "check_time": None}) == "hard"
    assert t.tier_of({"depth": 1.0, "check_time": 25.0}) == "hard"
    assert t.tier_of({"depth": 2.0, "num_hypotheses": 1.0}) == "medium"
    assert t.tier_of({"depth": 2.0, "num_hypotheses": 0.0}) == "easy"
    assert t.tier_of({"depth": 1.0, "extra": [{"key": "x", "value": 1.0}]}) == "easy"
    t2 = Tierer("rules", ("hard: x > 0.5", "easy: *"))
    assert t2.tier_of({"extra": [{"key": "x", "value": 1.0}]}) == "hard"
    with pytest.raises(AlchemyError, match="cannot read 'depth >>= 3'"):
        parse_rule("hard: depth >>= 3")
    with pytest.raises(AlchemyError, match="TIER: CONDITION"):
        parse_rule("depth >= 3")


def test_tier_array_agrees_with_tier_of():
    import random
    rnd = random.Random(1)
    t = Tierer("rules", ("hard: depth >= 3 or x > 0.5", "medium: depth >= 2 and check_time < 1",
                         "easy: *"))
    pairs = [(m, ok(m, elapsed=rnd.choice([0, 0.5, 2.0])))
             for m in (corpus_mutant(i, depth=rnd.randint(1, 3),
                          features=(("x", rnd.random()),) if i % 2 else ()) for i in range(200))]
    rows = [mutant_row(m, v, PROV) for m, v in pairs]
    feats = mutant_columns(pairs, PROV)["features"]
    arr = t.tier_array(feats).to_pylist()
    assert arr == [t.tier_of(r["features"]) for r in rows]
    assert set(arr) == {"easy", "medium", "hard"}
    q = Tierer("quantiles", names=("easy", "medium", "hard"), feature="x", cuts=(0.3, 0.6))
    assert q.tier_array(feats).to_pylist() == [q.tier_of(r["features"]) for r in rows]


def test_tier_quantiles_and_filter(tmp_path):
    pairs = []
    for i in range(100):
        m = corpus_mutant(i, src=f"Foo.t{i}")
        pairs.append((m, ok(m, elapsed=float(i + 1))))
    opts = CorpusOptions(tier_method="quantiles", tier_feature="check_time",
                         tier_quantiles=(0.5, 0.8), stats=False)
    res = build_dataset(rows_of(pairs), tmp_path / "a", opts, {})
    assert res.by_tier == {"easy": 50, "medium": 30, "hard": 20}
    assert res.tier_cuts == (50.0, 80.0)
    res2 = build_dataset(rows_of(pairs), tmp_path / "b", replace(opts, tiers=("hard", "medium")),
                         {})
    assert res2.rows == 50 and res2.dropped == {"filtered/tier": 50}
    assert set(read_all(tmp_path / "b").column("tier").to_pylist()) == {"hard", "medium"}
    with pytest.raises(AlchemyError, match="unknown tier"):
        build_dataset(rows_of(pairs), tmp_path / "c", replace(opts, tiers=("brutal",)), {})


def test_default_rules_tier_depth():
    pairs = [(m, ok(m)) for m in (corpus_mutant(1, depth=1), corpus_mutant(2, depth=2), corpus_mutant(3, depth=3))]
    tiers = {}
    opts = CorpusOptions()
    t = build_mod.make_tierer(opts)
    for m, v in pairs:
        tiers[m.depth] = t.tier_of(mutant_row(m, v, PROV)["features"])
    assert tiers == {1: "easy", 2: "medium", 3: "hard"}


def test_custom_rule_tiers_can_be_selected(tmp_path):
    pairs = [(m, ok(m)) for m in (corpus_mutant(1, depth=1), corpus_mutant(2, depth=4))]
    opts = CorpusOptions(tier_rules=("brutal: depth >= 4", "gentle: *"), tiers=("brutal",))
    res = build_dataset(rows_of(pairs), tmp_path, opts, {})
    assert res.by_tier == {"brutal": 1} and res.dropped == {"filtered/tier": 1}


def test_options_validation():
    with pytest.raises(AlchemyError, match="sum to 1"):
        CorpusOptions(train_fraction=0.5).validate()
    with pytest.raises(AlchemyError, match="tier_quantiles"):
        CorpusOptions(tier_method="quantiles", tier_quantiles=(0.9, 0.5)).validate()


# ---------------------------------------------------------------------------------- export, card, stats


def _export(tmp_path, checked=True, **kw):
    pairs = []
    for i in range(40):
        kind = ("rw_goal", "rw_hyp", "apply_hyp")[i % 3]
        m = corpus_mutant(i, src=f"Foo.t{i // 4}", kind=kind, depth=1 + i % 3,
               module="Mathlib.Algebra.X" if i % 2 else "Mathlib.Topology.Y")
        pairs.append((m, ok(m) if checked else None))
    rejected = [(corpus_mutant(100 + i, kind="rw_hyp"), Verdict(f"r{i}", "rejected", error_class="type mismatch"))
                for i in range(5)]
    out = tmp_path / ("corpus" if checked else "unchecked")
    summary = export(lambda: iter(pairs + ([] if not checked else rejected)), out,
                     CorpusOptions(**kw), checked=checked, drop_report=tmp_path / "dropped.jsonl",
                     outcomes=lambda: outcomes_of(pairs + rejected))
    return out, summary


def test_export_writes_card_stats_report(tmp_path):
    out, summary = _export(tmp_path, shard_rows=10)
    assert summary.rows == 40 and summary.checked is True  # rejected rows never enter
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "configs:" in card and "data/train/*.parquet" in card
    assert "| `formal_statement` |" in card and "dataset_info:" in card
    st = json.loads((out / "stats.json").read_text())
    assert st["rows"] == 40 and st["by_kind"]["rw_goal"] == 14
    assert st["acceptance"]["per_kind"]["rw_hyp"]["statuses"] == {"verified": 13, "rejected": 5}
    assert st["acceptance"]["error_classes"]["rw_hyp"] == {"type mismatch": 5}
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "<img" in html and "src=\"http" not in html
    assert (out / "plots" / "kind.png").read_bytes()[:4] == b"\x89PNG"
    md = pq.read_schema(next((out / "data").rglob("*.parquet"))).metadata
    assert md[b"lean_alchemy.checked"] == b"true"
    assert (tmp_path / "dropped.jsonl").exists()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_unchecked_export_is_labelled(tmp_path):
    out, summary = _export(tmp_path, checked=False)
    assert summary.rows == 40 and summary.checked is False
    t = read_all(out)
    assert set(t.column("checked").to_pylist()) == {False}
    md = pq.read_schema(next((out / "data").rglob("*.parquet"))).metadata
    assert md[b"lean_alchemy.checked"] == b"false"
    card = (out / "README.md").read_text()
    assert "NOT checked" in card and "unverified" in card


def test_export_failure_keeps_previous_corpus(tmp_path):
    out, _ = _export(tmp_path)
    before = sorted(p.name for p in out.rglob("*.parquet"))

    def broken():
        m = corpus_mutant(1)
        yield m, ok(m)
        raise RuntimeError("database went away")
    with pytest.raises(RuntimeError):
        export(broken, out, CorpusOptions())
    assert sorted(p.name for p in out.rglob("*.parquet")) == before
    assert not (tmp_path / ".corpus.staging").exists()


def test_loads_with_pyarrow_dataset_and_hf_datasets(tmp_path, monkeypatch):
    out, summary = _export(tmp_path, shard_rows=7, train_fraction=0.5, validation_fraction=0.25,
                           test_fraction=0.25)
    d = pads.dataset(str(out / "data"), format="parquet")
    assert d.count_rows() == 40
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    files = {s: str(out / "data" / s / "*.parquet") for s in summary.shards}
    ds = datasets.load_dataset("parquet", data_files=files, cache_dir=str(tmp_path / "hfc"))
    assert sum(len(ds[s]) for s in ds) == 40
    split = next(iter(ds))
    row = ds[split][0]
    assert row["mutation"]["kind"] in ("rw_goal", "rw_hyp", "apply_hyp")
    assert row["text"].startswith("import ")
    # the card's YAML configs are read by datasets too
    ds2 = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hfc2"))
    assert {s: len(ds2[s]) for s in ds2} == summary.by_split


# ---------------------------------------------------------------------------------- stage entry + CLI


def _fake_run(tmp_path, monkeypatch, n=12, pending=3, name="run"):
    """A run directory whose real database holds `n` verified mutants and `pending` ones."""
    from lean_alchemy.core.rundb import RunDB

    run = RunDir(tmp_path / name).ensure()
    checked = [corpus_mutant(i, src=f"Foo.t{i}") for i in range(n)]
    with RunDB.for_run(run) as db:
        db.add_mutants([(m, "pending", None) for m in checked]
                       + [(corpus_mutant(500 + i), "pending", None) for i in range(pending)])
        assert db.record_verdicts([ok(m) for m in checked]) == n
    monkeypatch.setattr(sources, "declaration_fingerprinter", lambda: None)
    return run


def test_run_corpus_and_unchecked(tmp_path, monkeypatch):
    run = _fake_run(tmp_path, monkeypatch)
    s = run_corpus(run, CorpusOptions())
    assert s.rows == 12 and (run.corpus_dir / "README.md").exists()
    assert json.loads(run.stats_path("corpus").read_text())["rows"] == 12
    u = run_corpus(run, CorpusOptions(), unchecked=True)
    assert u.rows == 3 and (run.unchecked_dir / "README.md").exists()
    assert read_all(run.corpus_dir).num_rows == 12  # the corpus proper is untouched


def test_cli_corpus_and_stats_compare(tmp_path, monkeypatch, capsys):
    from lean_alchemy.cli.main import main

    a = _fake_run(tmp_path, monkeypatch, n=10, name="a")
    assert main(["corpus", "--run-dir", str(a.root), "--tiers", "easy", "--shard-rows", "4"]) == 0
    assert "10 verified rows" in capsys.readouterr().out
    b = _fake_run(tmp_path, monkeypatch, n=16, name="b")
    assert main(["corpus", "--run-dir", str(b.root), "--fractions", "0.5,0.5,0"]) == 0
    capsys.readouterr()
    cmp_dir = tmp_path / "cmp"
    assert main(["stats", str(a.root), str(b.root), "--out", str(cmp_dir)]) == 0
    out = capsys.readouterr().out
    assert "== compare" in out and "by mutation kind" in out
    doc = json.loads((cmp_dir / "stats.json").read_text())
    assert doc["comparison"]["rows"] == [10, 16, 6]
    assert "Comparison" in (cmp_dir / "report.html").read_text()
    assert main(["corpus", "--run-dir", str(a.root), "--fractions", "0.5,0.6,0"]) == 2
    assert "sum to 1" in capsys.readouterr().err


def test_schema_doc_lists_every_column():
    table = markdown_schema_table()
    for name in SCHEMA.names:
        assert f"| `{name}` |" in table


def test_cli_config_file_and_flags(tmp_path):
    import argparse

    from lean_alchemy.corpus.cli import options_from_args, register

    cfg = tmp_path / "config.toml"
    cfg.write_text('[run]\nrun_dir = "x"\n\n[corpus]\nshard_rows = 7\ntiers = ["hard"]\n'
                   'decontam_files = ["a.jsonl"]\n')
    p = argparse.ArgumentParser()
    register(p.add_subparsers())
    args = p.parse_args(["corpus", "--config", str(cfg), "--decontam", "b.lean",
                         "--tier-rule", "hard: depth >= 2", "--tier-rule", "easy: *"])
    o = options_from_args(args)
    assert o.shard_rows == 7 and o.tiers == ("hard",)
    assert o.decontam_files == ("a.jsonl", "b.lean")
    assert o.tier_rules == ("hard: depth >= 2", "easy: *")
    cfg.write_text("[corpus]\nshard_rowz = 7\n")
    with pytest.raises(AlchemyError, match="shard_rowz"):
        options_from_args(p.parse_args(["corpus", "--config", str(cfg)]))


def test_include_originals_and_library_dedup(tmp_path):
    decls = [Declaration(full_name=f"Foo.t{i}", name=f"t{i}", kind="theorem",
                         module="Mathlib.Algebra.X", file="Mathlib/Algebra/X.lean",
                         start_line=i, end_line=i, binders=(Binder("a", "explicit", "ℕ"),),
                         conclusion=f"a + {i} = {i} + a", proof="by omega", scope_id="s")
             for i in range(6)]
    decls.append(Declaration(full_name="Foo.someDef", name="someDef", kind="def",
                             module="Mathlib.Algebra.X", file="x", start_line=1, end_line=1))
    scope = Scope("Mathlib.Algebra.X", ("Mathlib.Algebra.Basic",), ("Foo",),
                  (("namespace", "namespace Foo"),))
    muts = [corpus_mutant(i, src=f"Foo.t{i}") for i in range(6)]
    muts.append(corpus_mutant(99, src="Foo.t1", mid="F-Foo.t2"))  # lands exactly on library theorem t2
    out = tmp_path / "corpus"
    s = export(lambda: iter([(m, ok(m)) for m in muts]), out,
               CorpusOptions(include_originals=True, stats=False), decls=decls,
               scopes={"s": scope}, fingerprint=lambda d: "F-" + d.full_name,
               drop_report=tmp_path / "dropped.jsonl")
    assert s.rows == 12 and s.dropped == {"duplicate/library": 1}
    t = read_all(out).to_pylist()
    originals = [r for r in t if r["mutation"]["kind"] == "original"]
    assert len(originals) == 6 and all(r["checked"] and r["check_backend"] == "library"
                                       for r in originals)
    assert originals[0]["text"].startswith("import Mathlib.Algebra.Basic\n\nnamespace Foo\n")
    assert originals[0]["mutation"]["rule"] is None and originals[0]["id"].startswith("F-")
    split_of = {r["source_theorem"]: r["split"] for r in originals}
    assert all(r["split"] == split_of[r["source_theorem"]] for r in t)
    dropped = [json.loads(x) for x in (tmp_path / "dropped.jsonl").read_text().splitlines()]
    assert dropped == [{"id": "F-Foo.t2", "name": "t1_mut99", "source_theorem": "Foo.t1",
                        "kind": "rw_goal", "reason": "duplicate/library", "matched": "Foo.t2",
                        "score": None}]


def test_unproved_library_theorems_are_never_exported_as_checked(tmp_path):
    from lean_alchemy.index.unproved import unproved_declarations

    def thm(name: str, proof: str, kind: str = "theorem") -> Declaration:
        return Declaration(full_name=f"Lib.{name}", name=name, kind=kind, module="Lib",
                           file="Lib.lean", start_line=1, end_line=1,
                           binders=(Binder("n", "explicit", "ℕ"),), conclusion="n + 0 = n",
                           proof=proof, scope_id="")

    decls = [thm("sorried", "by\n  sorry"), thm("admitted", "by simp; admit"),
             thm("from_sorried", "by rw [sorried]"), thm("from_that", "from_sorried n"),
             thm("from_oracle", "oracle n"), thm("oracle", None, kind="axiom"),
             thm("proved", "by simp -- no sorry here")]
    uses = [("Lib.from_sorried", "Lib.sorried"), ("Lib.from_that", "Lib.from_sorried"),
            ("Lib.from_oracle", "Lib.oracle"), ("Lib.proved", "Nat.add_zero")]
    unproved = unproved_declarations(decls, uses)
    assert unproved == {"Lib.sorried", "Lib.admitted", "Lib.from_sorried", "Lib.from_that",
                        "Lib.from_oracle", "Lib.oracle"}
    out = tmp_path / "corpus"
    s = export(lambda: iter(()), out, CorpusOptions(include_originals=True, stats=False),
               decls=decls, unproved=unproved)
    assert s.rows == 1 and s.unproved_originals == 5
    assert [r["source_theorem"] for r in read_all(out).to_pylist()] == ["Lib.proved"]


def test_cli_stats_single_run_and_unchecked(tmp_path, monkeypatch, capsys):
    from lean_alchemy.cli.main import main

    run = _fake_run(tmp_path, monkeypatch, n=9, pending=4)
    assert main(["stats", str(run.root)]) == 2  # no corpus yet: one clear line
    assert "run `alchemy corpus" in capsys.readouterr().err
    assert main(["corpus", "--run-dir", str(run.root), "--unchecked"]) == 0
    assert "4 unchecked candidates" in capsys.readouterr().out
    assert main(["stats", str(run.root)]) == 0  # only the unchecked export: described
    out, err = capsys.readouterr()
    assert f"describing the unchecked candidates in {run.unchecked_dir}" in err
    assert (run.unchecked_dir / "stats.json").exists()
    assert f"4 mutants await Lean: `alchemy check --run-dir {run.root}`" in out
    assert f"their unchecked export is {run.unchecked_dir}" in out
    assert main(["corpus", "--run-dir", str(run.root), "--no-stats"]) == 0
    out = capsys.readouterr().out
    assert "9 verified rows" in out and "4 mutants await Lean" in out
    assert not (run.corpus_dir / "stats.json").exists()
    capsys.readouterr()
    assert main(["stats", str(run.root), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    st = json.loads((run.corpus_dir / "stats.json").read_text())
    assert printed == st
    # acceptance counts final verdicts (the 4 pending rows await checking)
    assert st["rows"] == 9 and st["acceptance"]["per_kind"]["rw_goal"]["statuses"] == {
        "verified": 9}
    assert (run.corpus_dir / "report.html").exists()


def test_stats_of_a_run_nothing_was_checked_in(tmp_path, monkeypatch, capsys):
    from lean_alchemy.cli.main import main

    from lean_alchemy.core.rundb import RunDB

    run = _fake_run(tmp_path, monkeypatch, n=0, pending=5)
    with RunDB.for_run(run) as db:  # decided before Lean: no acceptance to plot
        db.add_mutants([(corpus_mutant(900), "refuted", "counterexample: a = 0")])
    assert main(["corpus", "--run-dir", str(run.root)]) == 0
    out = capsys.readouterr().out
    assert "0 verified rows" in out and "5 mutants await Lean" in out
    assert "`alchemy corpus --unchecked --run-dir" in out
    assert main(["corpus", "--run-dir", str(run.root), "--unchecked"]) == 0
    assert main(["stats", str(run.root), "--unchecked"]) == 0
    plots = {p.name for p in (run.unchecked_dir / "plots").iterdir()}
    assert "kind.png" in plots and "acceptance.png" not in plots  # no verdict: no empty axis


def test_card_loads_in_datasets_without_warnings_and_its_snippet_loads_every_split(
        tmp_path, monkeypatch, caplog):
    import logging
    import re
    pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    out = tmp_path / "corpus"
    muts = [corpus_mutant(i, src=f"Foo.t{i}") for i in range(300)]
    s = export(lambda: iter([(m, ok(m)) for m in muts]), out, CorpusOptions(stats=False))
    assert set(s.by_split) == {"train", "validation", "test"}
    assert sorted(p.name for p in (out / "data").iterdir()) == ["test", "train", "validation"]
    from datasets import load_dataset

    with caplog.at_level(logging.WARNING):
        ds = load_dataset(str(out))
    assert "malformed" not in caplog.text
    assert {k: v.num_rows for k, v in ds.items()} == s.by_split
    assert set(load_dataset("parquet", data_dir=str(out / "data"))) == set(s.by_split)
    card = (out / "README.md").read_text()
    snippet = re.search(r"## Loading.*?```python\n(.*?)```", card, re.S).group(1)
    scope: dict = {}
    exec(snippet.replace("DIR", str(out)), scope)  # noqa: S102 - our own card's code
    assert set(scope["ds"]) == {"train", "validation", "test"}
    assert scope["table"].num_rows == s.rows


def test_progress_bar_counts_every_row_once(capsys):
    rows = [(corpus_mutant(i), ok(corpus_mutant(i))) for i in range(10_000)]
    counted = build_mod.with_progress(lambda: iter(rows), len(rows), "corpus")
    assert list(counted()) == rows
    err = capsys.readouterr().err
    assert "corpus" in err and "10000/10000" in err


def test_an_export_whose_inputs_did_not_change_is_kept(tmp_path, monkeypatch):
    """A second export of an unchanged run writes nothing; any new row, verdict, lease or
    option redoes it (`corpus.marker`)."""
    from lean_alchemy.core.rundb import RunDB

    run = _fake_run(tmp_path, monkeypatch)
    first = run_corpus(run, CorpusOptions(), unchecked=True)
    shards = sorted(run.unchecked_dir.rglob("*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in shards]
    again = run_corpus(run, CorpusOptions(), unchecked=True)
    assert again.reused and not first.reused and again.rows == first.rows == 3
    assert [p.stat().st_mtime_ns for p in shards] == stamps
    assert run_corpus(run, CorpusOptions()).rows == 12  # the corpus is marked apart
    assert run_corpus(run, CorpusOptions()).reused
    assert not run_corpus(run, CorpusOptions(shard_rows=7), unchecked=True).reused
    with RunDB.for_run(run, mode="write") as db:
        before = db.data_version()
        db.add_mutants([(corpus_mutant(900), "pending", None)])
        assert db.data_version() != before
    redone = run_corpus(run, CorpusOptions(shard_rows=7), unchecked=True)
    assert not redone.reused and redone.rows == 4
    with RunDB.for_run(run, mode="write") as db:
        before = db.data_version()
        assert db.lease("w", 1, 60.0) and db.data_version() != before
    assert not run_corpus(run, CorpusOptions(shard_rows=7), unchecked=True).reused
