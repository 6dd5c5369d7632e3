"""The corpus export's batch (Arrow/numpy) code equals its per-row Python definitions.

The export computes strip/split/regex results with Arrow kernels (RE2, utf8proc) and numpy
for speed; these tests pin them to the Python semantics the columns are defined by
(`str.strip`, `str.split`, `re` with Unicode `\\s`), on the tricky cases: every Unicode space,
empty strings, nested brackets, possessive vs greedy regexes, sliced arrays.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.corpus import build as build_mod
from lean_alchemy.corpus import finisher as finisher_mod
from lean_alchemy.corpus import rows
from lean_alchemy.corpus import source as source_mod
from lean_alchemy.corpus.build import Hygiene, _batched, build_dataset
from lean_alchemy.corpus.decontam import Decontaminator, items_from_lean
from lean_alchemy.corpus.options import CorpusOptions
from lean_alchemy.corpus.source import pairs_to_batch
from lean_alchemy.corpus.rows import (PY_WHITESPACE, Provenance, binder_counts, declared_name,
                                      declared_names, import_lines, library_area,
                                      mutant_columns, statement_binder_counts, utf8_array,
                                      word_counts)

from helpers.builders import make_mutant

WS = PY_WHITESPACE


def corpus_mutant(i: int, **kw) -> Mutant:
    """Mutant `i` of `Foo.add_le`, an inequality proved by `omega`; `kw` replaces fields."""
    st = kw.pop("statement", f"(a b : ℕ) (h : a ≤ b) : a + {i} ≤ b + {i}")
    name = kw.pop("name", f"Foo.add_le_mut{i}")
    base = dict(id=f"fp{i:06d}", name=name, parent="Foo.add_le", source_theorem="Foo.add_le",
                source_module="Mathlib.Algebra.Order.Foo", statement=st,
                proof="by\n  omega", imports=("Mathlib.Algebra.Order.Foo",),
                header="namespace Foo\nopen Nat",
                lean=f"namespace Foo\nopen Nat\ntheorem add_le_mut{i} {st} := by\n  omega\nend Foo")
    base.update(kw)
    return make_mutant(i, **base)


def ok(m: Mutant, **kw) -> Verdict:
    return Verdict(m.id, kw.pop("status", "verified"), elapsed=kw.pop("elapsed", 0.5),
                   backend=kw.pop("backend", "repl"), lean_version=kw.pop("lean", "v4.9.0"),
                   mathlib_rev=kw.pop("rev", "abc123"))


def tricky_strings() -> list[str]:
    out = ["", " ", "a", " a ", "a  b", "ℕ", " ℕ → ℕ ", "x\u00a0y", "(x : ℕ)\u3000: x = x"]
    for w in WS:
        out += [w, f"{w}a", f"a{w}", f"a{w}b", f"{w}{w}(x{w}:{w}ℕ){w}", f"α{w}β{w}{w}γ"]
    return out


# ----------------------------------------------------------------------------- whitespace


def test_py_whitespace_is_complete_and_arrow_agrees():
    assert set(WS) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    sample = list(WS) + [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000] + [
        "\u200b", "\ufeff", "\u180e", "\U0001d4dd"]
    arrow = pc.utf8_is_space(pa.array(sample)).to_pylist()
    assert arrow == [c.isspace() for c in sample]


def test_utf8_trim_whitespace_is_str_strip():
    xs = tricky_strings()
    assert pc.utf8_trim_whitespace(utf8_array(xs)).to_pylist() == [x.strip() for x in xs]


def test_utf8_array_matches_pa_array():
    xs = tricky_strings() + ["\U0001d4dd x", "plain ascii"]
    arr = utf8_array(xs)
    assert arr.type == pa.string() and arr.equals(pa.array(xs, pa.string()))
    assert utf8_array(["a", None]).to_pylist() == ["a", None]  # falls back to pyarrow


def test_word_counts_is_len_split():
    xs = tricky_strings() + ["theorem foo (a b : ℕ)\t(h : a ≤ b) :\n a ≤ b", "\x1c\x1da\x1fb"]
    arr = utf8_array(xs)
    assert word_counts(arr).tolist() == [len(x.split()) for x in xs]
    # a sliced array (non-zero offset) and an all-empty one
    assert word_counts(arr.slice(7, 20)).tolist() == [len(x.split()) for x in xs[7:27]]
    assert word_counts(utf8_array(["", ""])).tolist() == [0, 0]
    assert word_counts(utf8_array([])).tolist() == []


# --------------------------------------------------------------------------- regex twins


LEANS = [
    "namespace Foo\nopen Nat\ntheorem bar (x : ℕ) : x = x := rfl\nend Foo",
    "@[simp] protected theorem Foo.bar (x : ℕ) : x = x := rfl",
    "@[simp]\n  theorem attr_nl : True := trivial",
    "private lemma baz : True := trivial",
    "  \n\ntheorem  spaced\t(x : ℕ) : x = x := rfl\n\n  ",
    "namespace A\ntheorem first : True := trivial\ntheorem second : True := trivial\nend A",
    "example : True := trivial", "", "   ", "theorem", "theorem\u00a0nbsp : True := x",
    "lemma x\u00a0y : True := trivial", "protected  private theorem pp : True := x",
    "-- theorem commented\ntheorem real_one : True := x", "  theorem indented : True := x",
    "@[simp] @[ext] theorem two_attrs : True := x", "theorem\u3000ideo\u2003sp : True := x",
]


def test_declared_names_equal_declared_name():
    ms = [corpus_mutant(i, lean=lean, name=f"Full.name{i}") for i, lean in enumerate(LEANS)]
    got = declared_names(utf8_array([m.lean for m in ms]), utf8_array([m.name for m in ms]))
    assert got.to_pylist() == [declared_name(m) for m in ms]


def _random_unit(rnd: random.Random) -> str:
    parts = ["theorem", "theorem ", "lemma ", " ", "\n", "@[simp] ", "protected ", "private ",
             "\u00a0", "\u3000", "\t", "foo", "Bar.baz₁", "x" * 150, "-- ", "namespace A\n",
             ":= rfl", "(x : ℕ)"]
    head = rnd.choice(["", "section\nopen Nat\n\ntheorem ", "theorem "])  # as rendered
    return head + "".join(rnd.choice(parts) for _ in range(rnd.randint(0, 12)))


def test_declared_names_fast_path_agrees_with_re2_on_random_units():
    rnd = random.Random(7)
    leans = LEANS + [_random_unit(rnd) for _ in range(3000)] + [
        "section\nset_option autoImplicit false\n\ntheorem " + "n" * 191 + " : True := x",
        "theorem " + "n" * 192 + " : True := x", "theorem " + "m" * 300]
    names = [f"Full.name{i}" for i in range(len(leans))]
    want = [declared_name(corpus_mutant(i, lean=x, name=y)) for i, (x, y) in enumerate(zip(leans, names))]
    arr, names_arr = utf8_array(leans), utf8_array(names)
    assert declared_names(arr, names_arr).to_pylist() == want
    # the fast path decides most rows of this mix, RE2 the rest
    mask, _found = rows._fast_declared(arr)
    assert 1000 < mask.sum() < len(leans) - 1000
    # a sliced array (non-zero offset into the buffers), and an empty one
    assert declared_names(arr.slice(5, 400), names_arr.slice(5, 400)).to_pylist() == want[5:405]
    assert declared_names(utf8_array([]), utf8_array([])).to_pylist() == []
    assert declared_names(utf8_array(["", ""]), utf8_array(["a", "b"])).to_pylist() == ["a", "b"]


STATEMENTS = [
    "{G : Type*} [Group G] ⦃a b : G⦄ (f : G → G) (hf : Function.Injective f) : f a = f b",
    "(x : ((ℕ))) (h : ((x = (1 : ℕ)))) : x = 1", "(s : Set (Set (Set (Set ℕ)))) (h : s = ∅) : True",
    "[inst : Fact (1 < 2)] {n} (hn : n ∣ 4) : n ≤ 4", "(x:ℕ) (hx:x=1) : x = 1", "", "   ",
    ": True", "(a : ℕ) (b : ℕ] : a = b", "(a : [ℕ)]) : True", "( a b c : ℕ) ( h : a < b) : True",
    "(x\u00a0y : ℕ)\u3000(h : x ≤ y) : x = y", "\u2003(a : ℕ) : a = a", "(unclosed : ℕ : True",
    "[Foo [Bar]] {x : {y // y > 0}} : True", "⦃x y : ℕ⦄ (h : x ∈ S) (h' : ¬ P) : True",
]


def _random_statement(rnd: random.Random) -> str:
    alphabet = ["(", ")", "[", "]", "{", "}", "⦃", "⦄", " ", " : ", "h", "x", "=", "ℕ", "\u00a0",
                "\n", ":"]
    return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))


def _reference_binder_counts(statement: str) -> tuple[int, int]:
    """The definition of `binder_counts`, uncached, group by group."""
    nb = nh = 0
    for br, inner in rows._GROUP.findall(statement[:rows._GROUPS.match(statement).end()]):
        names, sep, ty = inner.partition(" : ")
        if not sep:
            names, sep, ty = inner.partition(":")
            if not sep:
                nb += 1
                continue
        k = len(names.split()) or 1
        nb += k
        if br == "(" and (rows._HYP.search(ty) or names.lstrip().startswith("h")):
            nh += k
    return nb, nh


def test_statement_binder_counts_equal_binder_counts():
    rnd = random.Random(7)
    xs = STATEMENTS + [_random_statement(rnd) for _ in range(4000)]
    nb, nh = statement_binder_counts(utf8_array(xs))
    expected = [_reference_binder_counts(x) for x in xs]
    assert [binder_counts(x) for x in xs] == expected
    assert list(zip(nb.to_pylist(), nh.to_pylist())) == [(float(b), float(h)) for b, h in expected]


# --------------------------------------------------------------------------- columns


def _reference_row(m: Mutant, v: Verdict | None, prov: Provenance, checked: bool) -> dict:
    """The per-row definitions of the columns (what the batch code must reproduce)."""
    imports = list(m.imports) or [m.source_module]
    imp = import_lines(imports)
    header = imp + "\n\n" + m.header if m.header and not m.header.isspace() else imp
    return {
        "id": m.id, "name": m.name, "header": header,
        "formal_statement": f"theorem {declared_name(m)} {m.statement.strip()} :=",
        "proof": m.proof, "text": imp + "\n\n" + m.lean.strip() + "\n",
        "source_theorem": m.source_theorem, "source_module": m.source_module,
        "library_area": library_area(m.source_module), "imports": imports,
        "checked": bool(checked and v is not None and v.status == "verified"),
        "check_backend": (v.backend or None) if v is not None else None,
        "lean_version": v.lean_version if v is not None and v.lean_version else prov.lean_version,
        "mathlib_rev": v.mathlib_rev if v is not None and v.mathlib_rev else prov.mathlib_rev,
        "tool_version": prov.tool_version,
    }


def test_mutant_columns_equal_per_row_definitions():
    prov = Provenance(lean_version="v4.0", mathlib_rev="rev0", tool_version="t")
    ms = [corpus_mutant(0), corpus_mutant(1, header=""), corpus_mutant(2, header=" \n\t"), corpus_mutant(3, imports=()),
          corpus_mutant(4, imports=(), source_module="Mathlib"), corpus_mutant(5, imports=("A", "B.C")),
          corpus_mutant(6, kind="original", rule="", direction="", location="", parent="", depth=0),
          corpus_mutant(7, lean=LEANS[1]), corpus_mutant(8, lean="example : True := x"),
          corpus_mutant(9, statement=f"{WS[-1]}(x : ℕ) : x = x{WS[3]}"), corpus_mutant(10, imports=["X", "Y"]),
          corpus_mutant(11, features=(("statement_chars", 5.0), ("rewrites", 2.0))), corpus_mutant(12, proof="")]
    for with_none in (False, True):
        vs = [ok(m) for m in ms]
        vs[1] = ok(ms[1], lean="", rev="", backend="", elapsed=0.0)
        vs[2] = ok(ms[2], status="rejected")
        if with_none:
            vs[3] = None
        for checked in (True, False):
            cols = mutant_columns(list(zip(ms, vs)), prov, checked)
            for i, (m, v) in enumerate(zip(ms, vs)):
                ref = _reference_row(m, v, prov, checked)
                got = {k: cols[k][i].as_py() for k in ref}
                assert got == ref, (i, with_none, checked)
            feats = cols["features"].to_pylist()
            assert feats[11]["statement_chars"] == 5.0
            assert feats[11]["extra"] == [{"key": "rewrites", "value": 2.0}]
            assert feats[12]["proof_chars"] == 0.0 and feats[12]["proof_lines"] == 0.0


# --------------------------------------------------------------------------- hygiene


def _pairs():
    ms = [corpus_mutant(i, source_theorem=f"T.t{i // 3}", name=f"T.m{i}") for i in range(40)]
    ms[5] = replace(ms[5], id=ms[2].id)  # duplicate in the chunk
    ms[9] = replace(ms[9], id="lib1")  # a library theorem
    ms[10] = replace(ms[10], id="lib1", kind="original")
    ms[20] = replace(ms[20],
                     statement="(x y : ℝ) (h₀ : x + 3 = y) (h₁ : y * 3 < 7) : x ^ 3 ≤ y + 3")
    return ms


@pytest.mark.parametrize("variant", ["plain", "dupes", "excluded", "drop", "decontam", "nodedup"])
def test_admit_batch_equals_admit(variant):
    ms = _pairs() if variant != "plain" else [corpus_mutant(i, source_theorem=f"T.t{i // 3}")
                                              for i in range(40)]
    excl = ("T.t4", "T.m31") if variant in ("excluded", "drop") else ()
    opts = CorpusOptions(exclude_names=excl, exclude_split="drop" if variant == "drop" else "test",
                         dedup=variant != "nodedup")
    bench = ("theorem b (x y : ℝ) (h₀ : x + 3 = y) (h₁ : y * 3 < 7) : x ^ 3 ≤ y + 3 := by\n"
             "  sorry")
    dec = (Decontaminator(items_from_lean(bench, "b.lean"), 8, 0.8)
           if variant == "decontam" else None)

    def hygiene(report):
        return Hygiene(opts, build_mod.make_splitter(opts), {"lib1": "Lib.one"}, dec, report)

    one_report, many_report = [], []
    one, many = hygiene(one_report.append), hygiene(many_report.append)
    d1, d2 = Counter(), Counter()
    expect = [one.admit(m, d1) for m in ms]
    got = (many.admit_batch(pairs_to_batch([(m, None) for m in ms[:17]]), d2)
           + many.admit_batch(pairs_to_batch([(m, None) for m in ms[17:]]), d2))
    assert got == expect and d1 == d2 and one_report == many_report
    assert one.deduper.seen == many.deduper.seen


def test_batched_yields_exact_batches(monkeypatch):
    monkeypatch.setattr(build_mod, "BATCH_ROWS", 5)
    monkeypatch.setattr(source_mod, "CHUNK_ROWS", 7)
    ms = [corpus_mutant(i, source_theorem=f"T.t{i % 4}") for i in range(60)]
    pairs = [(m, ok(m, status="timeout" if i % 11 == 0 else "verified"))
             for i, m in enumerate(ms)]
    opts = CorpusOptions(train_fraction=0.5, validation_fraction=0.25, test_fraction=0.25)
    hyg = Hygiene(opts, build_mod.make_splitter(opts), {}, None, None)
    res = build_mod.CorpusStats()
    batches = list(_batched(iter(pairs), hyg, Counter(), res, True))
    kept = [p for p in pairs if p[1].status == "verified"]
    assert res.seen == len(kept)
    by_split: dict[str, list] = {}
    for batch, split in batches:
        by_split.setdefault(split, []).append(batch)
    for split, bs in by_split.items():
        assert all(b.num_rows == 5 for b in bs[:-1]) and 0 < bs[-1].num_rows <= 5
        flat = [i for b in bs for i in b.column("id").to_pylist()]
        assert flat == [p[0].id for p in kept
                        if hyg.splitter.split_of(p[0].source_theorem) == split]
        assert all(b.schema == bs[0].schema for b in bs)


def test_worker_error_reaches_caller(tmp_path, monkeypatch):
    def boom(raw):
        raise RuntimeError("finish failed")

    monkeypatch.setattr(finisher_mod, "finish_columns", boom)
    ms = [corpus_mutant(i) for i in range(3)]
    with pytest.raises(RuntimeError, match="finish failed"):
        build_dataset(lambda: iter([(m, ok(m)) for m in ms]), tmp_path / "c",
                      CorpusOptions(stats=False), {}, prov=Provenance(tool_version="t"))


def _engine_reference(ours: dict[str, float | None], feats) -> tuple[dict, list]:
    """The definition: an engine value for one of our fields (not `difficulty`; `binders`
    and `hypotheses` are `num_binders` and `num_hypotheses`) replaces ours, the last one
    winning; everything else goes to `extra` in order."""
    fixed = {n for n, _ in rows.FEATURE_FIELDS} - {"difficulty"}
    out, extra = dict(ours), []
    for k, v in feats:
        k = {"binders": "num_binders", "hypotheses": "num_hypotheses"}.get(k, k)
        if k in fixed:
            out[k] = None if v is None else float(v)
        else:
            extra.append({"key": k, "value": v})
    return out, extra


def test_engine_features_merge_equals_the_per_row_definition():
    rnd = random.Random(5)
    keys = ["depth", "proof_chars", "proof_lines", "check_time", "difficulty", "statement_size",
            "occurrences", "num_hypotheses", "binders", "hypotheses", "num_binders"]
    engine = []
    for i in range(400):
        k = rnd.randint(0, 9)
        engine.append(tuple((rnd.choice(keys), None if rnd.random() < 0.1 else rnd.random() * 9)
                            for _ in range(k)))
    engine[3] = (("depth", 4.0), ("depth", 5.0), ("occurrences", 2.0))  # a key twice
    engine[4] = ()
    ms = [corpus_mutant(i, depth=1 + i % 3, features=engine[i]) for i in range(len(engine))]
    pairs = [(m, Verdict(m.id, "verified", elapsed=(i % 4) * 0.5)) for i, m in enumerate(ms)]
    got = mutant_columns(pairs, Provenance(tool_version="t"))["features"].to_pylist()
    plain = mutant_columns([(replace(m, features=()), v) for m, v in pairs],
                           Provenance(tool_version="t"))["features"].to_pylist()
    for g, p, feats in zip(got, plain, engine):
        ours = {k: v for k, v in p.items() if k not in ("extra", "difficulty")}
        want, extra = _engine_reference(ours, feats)
        assert {k: v for k, v in g.items() if k not in ("extra", "difficulty")} == want
        assert g["extra"] == extra
    assert got[3]["depth"] == 5.0 and got[4]["extra"] == []


def test_engine_binder_counts_replace_the_text_estimate_without_reading_the_text(
        monkeypatch):
    """Rows from `alchemy mutate` carry exact `binders`/`hypotheses`: they become
    `num_binders`/`num_hypotheses`, and the statement text is not scanned for them; a batch
    where some row lacks them scans the text for those rows' values."""
    calls = []
    real = rows.statement_binder_counts
    monkeypatch.setattr(rows, "statement_binder_counts",
                        lambda arr: calls.append(len(arr)) or real(arr))
    st = "(a b : ℕ) (h : a ≤ b) (h' : b ≤ a) : a = b"
    # (the text estimate of this statement is 4 and 2; 5 and 3 tell the engine's apart)
    exact = (("binders", 5.0), ("hypotheses", 3.0), ("occurrences", 1.0))
    ms = [corpus_mutant(i, statement=st, features=exact) for i in range(5)]
    pairs = [(m, ok(m)) for m in ms]
    feats = mutant_columns(pairs, Provenance(tool_version="t"))["features"].to_pylist()
    assert calls == []
    assert {(f["num_binders"], f["num_hypotheses"]) for f in feats} == {(5.0, 3.0)}
    assert feats[0]["extra"] == [{"key": "occurrences", "value": 1.0}]
    # an original (no engine features) in the batch: its counts come from the text
    pairs[2] = (replace(ms[2], features=()), pairs[2][1])
    feats = mutant_columns(pairs, Provenance(tool_version="t"))["features"].to_pylist()
    assert calls == [5]
    assert [(f["num_binders"], f["num_hypotheses"]) for f in feats] == [(5.0, 3.0)] * 2 + [
        (4.0, 2.0)] + [(5.0, 3.0)] * 2


@pytest.mark.parametrize("keys", [
    ("statement_size", "binders", "hypotheses", "proof_lines", "proof_chars", "depth",
     "occurrences"),  # what `alchemy mutate` stores with every mutant
    ("depth", "x", "depth"), ("only_extra",), ("proof_chars",)])
def test_engine_features_merge_with_the_same_keys_in_every_row(keys):
    """The usual batch (one key sequence for all rows) takes a shortcut; same result."""
    rnd = random.Random(len(keys))
    ms = [corpus_mutant(i, depth=1 + i % 2, features=tuple(
        (k, None if rnd.random() < 0.05 else float(rnd.randint(0, 50))) for k in keys))
        for i in range(300)]
    pairs = [(m, Verdict(m.id, "verified", elapsed=0.5)) for m in ms]
    got = mutant_columns(pairs, Provenance(tool_version="t"))["features"].to_pylist()
    plain = mutant_columns([(replace(m, features=()), v) for m, v in pairs],
                           Provenance(tool_version="t"))["features"].to_pylist()
    for g, p, m in zip(got, plain, ms):
        ours = {k: v for k, v in p.items() if k not in ("extra", "difficulty")}
        want, extra = _engine_reference(ours, m.features)
        assert {k: v for k, v in g.items() if k not in ("extra", "difficulty")} == want
        assert g["extra"] == extra
