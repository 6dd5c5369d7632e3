"""Source batches: records and database rows become the same Arrow batches.

The export reads the run database's JSON columns (`imports`, `features`) with Arrow kernels;
these tests hold them to `json.loads` and to the batches made from records.
"""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pytest

from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.corpus.source import (SOURCE_SCHEMA, engine_array, engine_lists,
                                        import_lines_column, imports_lists, pairs_to_batch,
                                        source_batches)
from lean_alchemy.corpus.rows import import_lines
from lean_alchemy.core import lean_parts
from lean_alchemy.core.rundb import mutant_row

from helpers.builders import make_mutant


def _encoded(features) -> str:
    """What the run database stores (`jobs.db.mutant_row`)."""
    return json.dumps([list(x) for x in features], ensure_ascii=False)


def _values(rnd: random.Random) -> float | None:
    return rnd.choice([None, 0.0, -0.0, 1.0, 12.0, 1e-05, -3.25, 1e22, 123456789.125,
                       rnd.random() * 10 ** rnd.randint(-8, 8), float(rnd.randint(0, 99))])


def test_engine_json_decodes_as_json_loads():
    rnd = random.Random(3)
    keys = ["statement_size", "binders", "hypotheses", "proof_chars", "depth", "occurrences",
            "x.y", "k2"]
    feats = [tuple((rnd.choice(keys), _values(rnd)) for _ in range(rnd.randint(0, 8)))
             for _ in range(500)]
    feats[0] = ()
    arr = pa.array([_encoded(f) for f in feats], pa.string())
    got = engine_lists(arr).to_pylist()
    want = [[{"key": k, "value": v} for k, v in f] for f in feats]
    assert got == want
    assert engine_lists(arr) == engine_array(feats)
    # a slice (the export slices batches) decodes the same rows
    assert engine_lists(arr.slice(7, 100)).to_pylist() == want[7:107]


@pytest.mark.parametrize("odd", ['[["a\\"b", 1.0]]', '[["x", NaN]]', '[["x", Infinity]]',
                                 '[["x",1.0]]', '[["é", 2.5]]', '[]'])
def test_engine_json_outside_the_plain_form_falls_back_to_json(odd):
    """Escapes, non-finite values, other spacing: the batch decodes with `json`, the same."""
    rows = [_encoded((("depth", 1.0), ("n", None))), odd, "[]"]
    got = engine_lists(pa.array(rows, pa.string())).to_pylist()
    want = [[{"key": str(k), "value": None if v is None else float(v)}
             for k, v in json.loads(r)] for r in rows]
    assert json.dumps(got) == json.dumps(want)  # (NaN != NaN: compare the text)


def test_imports_decode_once_per_text_and_default_to_the_module():
    texts = pa.array(['["A", "B.C"]', "[]", '["A", "B.C"]', '["Ü"]', "[]"], pa.string())
    modules = pa.array(["M0", "M1", "M2", "M3", "M4"], pa.string())
    lists = imports_lists(texts, modules)
    assert lists.to_pylist() == [["A", "B.C"], ["M1"], ["A", "B.C"], ["Ü"], ["M4"]]
    assert import_lines_column(lists).to_pylist() == [import_lines(x) for x in
                                                      lists.to_pylist()]
    # the list form (batches from records) gives the same
    as_lists = pa.array([json.loads(t) for t in texts.to_pylist()], pa.list_(pa.string()))
    assert imports_lists(as_lists, modules) == lists


def record_mutant(i: int, **kw) -> Mutant:
    """Mutant `i` (a hex id, `N.t<i>` of `N.p<i>`) with features; `kw` replaces fields."""
    base = dict(id=f"{i:04x}", name=f"N.t{i}", parent=f"N.p{i}", source_theorem=f"N.p{i}",
                source_module="Mathlib.A", rule="mul_comm", statement="(x : ℕ) : x = x",
                proof="by\n  rfl", imports=("Mathlib.A",), header="namespace N",
                lean=f"namespace N\ntheorem t{i} (x : ℕ) : x = x := by\n  rfl\nend N",
                features=(("binders", 1.0), ("occurrences", 2.0)))
    base.update(kw)
    return make_mutant(i, **base)


def test_records_become_the_database_form():
    """A batch made from records holds what the database stores for them (the JSON of
    `jobs.db.mutant_row`), so records and database pages mix in one export."""
    ms = [record_mutant(i) for i in range(5)] + [record_mutant(9, imports=(), features=())]
    vs = [Verdict(m.id, "verified", elapsed=1.5, backend="repl", lean_version="v4",
                  mathlib_rev="r") for m in ms[:3]] + [None] * 3
    batch = pairs_to_batch(list(zip(ms, vs)))
    assert batch.schema == SOURCE_SCHEMA
    stored = []
    for m in ms:  # what the database stores, decoded as the export decodes it
        row = mutant_row(m)
        frame, origin = (text for _, text in row[-1])  # the shared parts come last
        stored.append(dict(zip(lean_parts.TEXT_FIELDS, lean_parts.decode_texts(
            row[0], row[5], lean_parts.parse_frame(frame), lean_parts.parse_origin(origin),
            row[2]))))
    for name in ("name", "statement", "lean", "imports", "features"):
        assert batch.column(name).to_pylist() == [r[name] for r in stored], name
    assert batch.column("status").to_pylist() == ["verified"] * 3 + [None] * 3
    assert imports_lists(batch.column("imports"), batch.column("source_module")).to_pylist(
        )[-1] == ["Mathlib.A"]
    assert engine_lists(batch.column("features")) == engine_array([m.features for m in ms])


def test_an_export_mixes_records_and_database_pages(tmp_path):
    """`--include-originals`: library records first, then the run's database pages, in one
    split buffer: the same dataset as exporting the records alone."""
    import pyarrow.dataset as pads

    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.corpus.build import build_dataset
    from lean_alchemy.corpus.options import CorpusOptions
    from lean_alchemy.corpus.rows import Provenance
    from lean_alchemy.core.rundb import RunDB
    from lean_alchemy.corpus.db_batches import iter_batches

    ms = [record_mutant(i, source_theorem="N.same") for i in range(30)]
    pairs = [(m, Verdict(m.id, "verified", elapsed=0.5)) for m in ms]
    opts = CorpusOptions(stats=False, train_fraction=1.0, validation_fraction=0.0,
                         test_fraction=0.0)
    prov = Provenance(tool_version="t")
    with RunDB.for_run(RunDir.at(tmp_path / "run")) as db:
        db.add_mutants([(m, "pending", None) for m in ms[10:20]])
        db.record_verdicts([v for _, v in pairs[10:20]])
        pages = list(iter_batches(db, ("verified",)))  # ordered by (module, id), as ms
    mixed = pairs[:10] + pages + pairs[20:]
    build_dataset(lambda: iter(mixed), tmp_path / "mixed", opts, {}, prov=prov)
    build_dataset(lambda: iter(pairs), tmp_path / "plain", opts, {}, prov=prov)
    got = pads.dataset(tmp_path / "mixed" / "data").to_table()
    assert got.num_rows == 30
    assert got.equals(pads.dataset(tmp_path / "plain" / "data").to_table())


def test_source_batches_keep_order_and_chunk_records():
    ms = [record_mutant(i) for i in range(7)]
    items = [(m, None) for m in ms[:3]] + [pairs_to_batch([(ms[3], None)])] + [
        (m, None) for m in ms[4:]]
    got = list(source_batches(items, chunk=2))
    assert [b.num_rows for b in got] == [2, 1, 1, 2, 1]
    assert [i for b in got for i in b.column("id").to_pylist()] == [m.id for m in ms]


# --------------------------------------------------------------------------- decontamination


def _statement(rnd: random.Random, vocab: list[str], k: int) -> str:
    names = rnd.sample(["a", "b", "x", "y", "n", "m"], 2)
    hyp = " ".join(rnd.choice(vocab) for _ in range(k))
    return f"({names[0]} {names[1]} : ℕ) (h : {names[0]} {hyp} {names[1]}) : {hyp} = {names[1]}"


@pytest.mark.parametrize("n,threshold", [(8, 0.8), (4, 0.5), (6, 0.95), (3, 1.0)])
def test_decontamination_candidates_never_miss_a_flagged_row(n, threshold):
    """`candidates` only rules out rows `check` would keep: benchmark statements, their
    renamings, fragments inside longer statements and unrelated rows, on random text."""
    from lean_alchemy.corpus.decontam import BenchItem, Decontaminator

    rnd = random.Random(n)
    vocab = ["+", "*", "≤", "Nat.succ", "Real.sqrt", "37", "2023", "∑", "Finset.range", "(",
             ")", "1", "0", "f", "Nat.Prime", "∣", "%", "Icc", "π", "→"] + [
                 f"Lib.c{j}" for j in range(60)] + [str(100 + j) for j in range(40)]
    # benchmark statements name something rare (a real one has its constants and numbers)
    items = [BenchItem(f"b{i}", f"b.lean:{i}", _statement(rnd, vocab, rnd.randint(1, 12))
                       + f" ∧ Lib.c{i} = {100 + i}", "FP" if i == 0 else None)
             for i in range(25)]
    dec = Decontaminator(items, n, threshold)
    assert dec.needles  # the test must exercise the filter
    rows = [it.statement for it in items]
    rows += [it.statement.replace("(a ", "(q ").replace(" a ", " q ") for it in items]
    rows += [f"(z : ℕ) (hz : 0 < z) {it.statement}" for it in items]
    # near copies lacking one token (the overlap can stay above the threshold)
    rows += [it.statement.replace(t, "Zq.zz") for it in items
             for t in set(it.statement.split()) if len(t) > 1 and t not in ("ℕ)", ":")]
    rows += [_statement(rnd, vocab, rnd.randint(1, 6)) for _ in range(600)]
    ids = [f"r{i}" for i in range(len(rows))]
    ids[5] = "FP"  # a fingerprint match needs no text
    maybe = dec.candidates(ids, pa.array(rows, pa.string()))
    flagged = 0
    for i, (fid, st) in enumerate(zip(ids, rows)):
        got = dec.check(fid, st)
        flagged += got is not None
        if not maybe[i]:
            assert got is None, (st, got)
    assert flagged > 25
    if threshold >= 0.8:  # (a low threshold needs many tokens, common ones among them)
        assert not all(maybe[-600:])  # some unrelated rows are ruled out


def test_a_batch_of_another_schema_is_conformed_or_named():
    from lean_alchemy.core.errors import AlchemyError

    batch = pairs_to_batch([(record_mutant(1), None)])
    reordered = batch.select(list(reversed(batch.schema.names)))
    assert list(source_batches([reordered]))[0].equals(batch)
    with pytest.raises(AlchemyError, match="lacks the column `lean`"):
        list(source_batches([batch.drop_columns(["lean"])]))
    listy = batch.set_column(batch.schema.get_field_index("imports"), "imports",
                             pa.array([["Mathlib.A"]], pa.list_(pa.string())))
    with pytest.raises(AlchemyError, match="`imports` is list<item: string>, expected string"):
        list(source_batches([listy]))
