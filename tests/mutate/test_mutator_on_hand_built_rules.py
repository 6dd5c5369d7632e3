"""The `Mutator` on hand-built records and rules (fake printer, no run directory): building,
filtering and rendering mutants, caps and duplicates, depth-two chains, parallel workers."""

from __future__ import annotations

import dataclasses

import pytest

from lean_alchemy.core.records import Declaration, Scope
from lean_alchemy.grammar.ast import App, BinOp, Num
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.mutator import Mutator, included_names

from helpers.hand_built_asts import ADD_ZERO, CAND_BINDERS, CAND_CONCL, I, LT_LE, NAT, inv, rule, show


def show_binders(groups):
    out = []
    for g in groups:
        lo, hi = {"explicit": "()", "implicit": "{}", "inst": "[]", "strict": "⦃⦄"}[g.kind]
        names = " ".join(g.names)
        out.append(f"{lo}{names} : {show(g.type)}{hi}" if names else f"{lo}{show(g.type)}{hi}")
    return " ".join(out)


SCOPE = Scope(module="Test.Mod", imports=("Mathlib",), namespaces=("Foo",),
              commands=(("namespace", "namespace Foo"), ("open", "open Nat")))
DECL = Declaration(full_name="Foo.bar", name="bar", kind="theorem", module="Test.Mod",
                   file="Test/Mod.lean", start_line=3, end_line=5, proof="by\n  omega",
                   proof_style="tactic", scope_id=SCOPE.id, parse_status="full")
SUB = BinOp("-", I("x"), I("y"))
TRUNC_DECL = Declaration(full_name="Foo.trunc", name="trunc", kind="theorem", module="Test.Mod",
                         file="Test/Mod.lean", start_line=7, end_line=8, proof="by omega",
                         proof_style="tactic", scope_id=SCOPE.id, parse_status="full")
TRUNC_CONCL = BinOp("=", BinOp("+", SUB, I("y")), App(I("max"), (I("x"), I("y"))))
# a rewrite that forgot its side condition `b ≤ a`: produces false statements on ℕ
BOGUS = rule("bogus_sub_add", "eq", BinOp("+", BinOp("-", I("a"), I("b")), I("b")), I("a"),
             [("a", "explicit", NAT), ("b", "explicit", NAT)])


def make(opts=MutateOptions(), library=frozenset()):
    parsed = {"Foo.bar": (CAND_BINDERS, CAND_CONCL), "Foo.trunc": (CAND_BINDERS, TRUNC_CONCL)}
    return Mutator([ADD_ZERO, BOGUS, LT_LE], {SCOPE.id: SCOPE}, opts, library=library,
                   show=show, show_binders=show_binders,
                   parse=lambda d: parsed.get(d.full_name), section_of=lambda s: ())


def test_mutator_builds_filters_and_renders():
    m = make()
    invs = [inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")}),
            inv("rw_goal", ADD_ZERO, "goal", [("rhs", -1), ("rhs", -1)], {"a": I("x")}),
            inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1)], {"a": I("x")})]
    rows = list(m.mutate_theorem(DECL, invs))
    assert len(rows) == 1
    mutant, status, detail = rows[0]
    assert status == "pending" and detail == ""
    assert dict(m.dropped) == {"duplicate": 1, "stale_invocation": 1}
    assert mutant.kind == "rw_goal" and mutant.depth == 1 and mutant.parent == "Foo.bar"
    assert mutant.name == f"Foo.bar_rw_goal_{mutant.id[:8]}"
    assert mutant.statement == "(x y : ℕ) : ((x + y) = (y + x))"
    assert mutant.imports == ("Test.Mod", "Mathlib.Rules")
    assert mutant.lean == (
        "section\n"
        "namespace Foo\n"
        "open Nat\n"
        "set_option autoImplicit false\n"
        "\n"
        "set_option maxHeartbeats 400000 in\n"
        f"theorem bar_rw_goal_{mutant.id[:8]} (x y : ℕ) : ((x + y) = (y + x)) := by\n"
        "  have : (((x + 0) + y) = (y + (x + 0))) := by\n"
        "    omega\n"
        "  rewrite [add_zero (a := x)] at this\n"
        "  exact this\n"
        "\n"
        "end Foo\n"
        "end\n")
    feats = dict(mutant.features)
    assert feats["depth"] == 1 and feats["occurrences"] == 2 and feats["hypotheses"] == 0


def test_invoke_style_calls_the_original():
    m = make(MutateOptions(proof_style="invoke"))
    rows = list(m.mutate_theorem(DECL, [inv("rw_goal", ADD_ZERO, "goal",
                                            [("lhs", -1), ("lhs", -1)], {"a": I("x")})]))
    assert rows[0][0].proof == ("by\n"
                                "  have : (((x + 0) + y) = (y + (x + 0))) := Foo.bar x y\n"
                                "  rewrite [add_zero (a := x)] at this\n"
                                "  exact this")


def test_refuted_mutants_are_stored_with_the_counterexample_and_never_pending():
    m = make()
    rows = list(m.mutate_theorem(TRUNC_DECL, [inv("rw_goal", BOGUS, "goal", [("lhs", -1)],
                                                  {"a": I("x"), "b": I("y")})]))
    (mutant, status, detail), = rows
    assert status == "refuted" and detail.startswith("counterexample: x := ")
    assert m.stats.status == {"refuted": 1}
    m2 = make(MutateOptions(refute=False))
    rows2 = list(m2.mutate_theorem(TRUNC_DECL, [inv("rw_goal", BOGUS, "goal", [("lhs", -1)],
                                                    {"a": I("x"), "b": I("y")})]))
    assert rows2[0][1] == "pending"


def test_library_duplicates_and_caps_are_counted():
    from lean_alchemy.mutate.fingerprint import fingerprint_statement
    target = fingerprint_statement(CAND_BINDERS, BinOp("=", BinOp("+", I("x"), I("y")),
                                                       BinOp("+", I("y"), I("x"))))
    m = make(library=frozenset({target}))
    rows = list(m.mutate_theorem(DECL, [inv("rw_goal", ADD_ZERO, "goal",
                                            [("lhs", -1), ("lhs", -1)], {"a": I("x")})]))
    assert rows == [] and m.dropped["library_duplicate"] == 1


def test_unparsed_theorem_drops_its_invocations():
    m = make()
    other = Declaration(full_name="Foo.baz", name="baz", kind="theorem", module="M", file="f",
                        start_line=1, end_line=1)
    assert list(m.mutate_theorem(other, [inv("rw_goal", ADD_ZERO, "goal", [], {})] * 3)) == []
    assert m.dropped["unparsed_candidate"] == 3


def test_depth_two_chains_bridges_with_an_index():
    class OneShotIndex:
        def invocations(self, decl, binders, conclusion, extra_binders=()):
            # rewrite `x + y` (the depth-1 mutant's lhs) with a reverse `add_zero`-like rule
            return [inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)],
                        {"a": I("x")})] if conclusion.lhs.lhs == BinOp("+", I("x"), Num("0")) else []

    parsed_concl = BinOp("=", BinOp("+", BinOp("+", BinOp("+", I("x"), Num("0")), Num("0")), I("y")),
                         I("y"))
    m = Mutator([ADD_ZERO], {SCOPE.id: SCOPE}, MutateOptions(depth=2, refute=False), show=show,
                show_binders=show_binders, parse=lambda d: (CAND_BINDERS, parsed_concl),
                section_of=lambda s: (), index=OneShotIndex())
    first = inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)],
                {"a": BinOp("+", I("x"), Num("0"))})
    rows = list(m.mutate_theorem(DECL, [first]))
    assert [r[0].depth for r in rows] == [1, 2]
    d2 = rows[1][0]
    assert d2.parent == rows[0][0].id and d2.source_theorem == "Foo.bar"
    assert d2.proof == (
        "by\n"
        "  have : (((x + 0) + y) = y) := by\n"
        "    have : ((((x + 0) + 0) + y) = y) := by\n"
        "      omega\n"
        "    rewrite [add_zero (a := (x + 0))] at this\n"
        "    exact this\n"
        "  rewrite [add_zero (a := x)] at this\n"
        "  exact this")


def test_included_names():
    s = Scope(module="M", imports=(), namespaces=(), commands=(
        ("include", "include h hx"), ("omit", "omit hx"), ("include", "include hy")))
    assert included_names(s) == ("h", "hy")


def test_parallel_run_keeps_the_same_mutants_and_counts():
    from lean_alchemy.mutate.workers import mutate_all

    def groups():
        for k in range(6):
            decl = DECL if k % 2 == 0 else TRUNC_DECL
            invs = [inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")}),
                    inv("rw_goal", BOGUS, "goal", [("lhs", -1)], {"a": I("x"), "b": I("y")})]
            yield decl, invs

    work = list(groups())
    one = make()
    rows1 = list(mutate_all(one, range(len(work)), work.__getitem__, jobs=1))
    two = make()
    rows2 = list(mutate_all(two, range(len(work)), work.__getitem__, jobs=2, chunk=1))
    assert sorted(r[0].id for r in rows1) == sorted(r[0].id for r in rows2)
    assert len(rows1) == 2  # one mutant per theorem, the other five copies are duplicates
    c1, c2 = one.stats, two.stats
    assert +c1.mutants == +c2.mutants and +c1.status == +c2.status
    assert c1.invocations == c2.invocations == 12
    assert sum(c1.dropped.values()) == sum(c2.dropped.values())


def _library_decl(k: int) -> Declaration:
    """A parsed library theorem `(x y : ℕ) : x + k = y + k` (a distinct statement per k)."""
    from dataclasses import replace

    from lean_alchemy.grammar.ast import dumps
    from lean_alchemy.grammar.statements import dumps_binders

    concl = BinOp("=", BinOp("+", I("x"), Num(str(k))), BinOp("+", I("y"), Num(str(k))))
    return replace(DECL, full_name=f"Foo.lib{k}", name=f"lib{k}",
                   binders_ast=dumps_binders(CAND_BINDERS), conclusion_ast=dumps(concl))


def test_library_fingerprints_in_parallel_equal_the_serial_set():
    from lean_alchemy.mutate.fingerprint import fingerprint_declaration
    from lean_alchemy.mutate.library import library_fingerprints

    decls = [_library_decl(k % 2100) for k in range(2500)]
    serial = library_fingerprints(decls, jobs=1)
    assert len(serial) == 2100
    assert fingerprint_declaration(decls[7]) in serial
    assert library_fingerprints(decls, jobs=2) == serial


def test_library_fingerprint_cache_is_keyed_by_the_declarations_file(tmp_path):
    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.mutate.library import LIBRARY_CACHE, cached_library_fingerprints

    run = RunDir.at(tmp_path)
    run.declarations.write_bytes(b"version 1")
    decls = [_library_decl(k) for k in range(3)]
    first = cached_library_fingerprints(run, decls)
    assert len(first) == 3 and (tmp_path / LIBRARY_CACHE).exists()
    # same file content: the stored set is used (the declarations are not looked at)
    assert cached_library_fingerprints(run, []) == first
    run.declarations.write_bytes(b"version 2")
    again = cached_library_fingerprints(run, decls[:1])  # new content: recomputed
    assert len(again) == 1 and again < first
    assert cached_library_fingerprints(run, []) == again


def test_parallel_counters_equal_serial_with_cross_theorem_duplicates():
    """Duplicates of an earlier theorem's mutant are dropped after the theorem is mutated,
    the same way in one process and in a pool, so every counter agrees exactly."""
    from lean_alchemy.mutate.workers import mutate_all

    def groups():
        for k in range(5):
            yield DECL, [inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)],
                             {"a": I("x")})]

    one, two = make(), make()
    work = list(groups())
    rows1 = list(mutate_all(one, range(len(work)), work.__getitem__, jobs=1))
    rows2 = list(mutate_all(two, range(len(work)), work.__getitem__, jobs=2, chunk=2))
    assert [r[0].id for r in rows1] == [r[0].id for r in rows2] and len(rows1) == 1
    assert +one.stats.dropped == +two.stats.dropped == {"duplicate": 4}


def test_encoded_rows_are_the_encoding_of_the_plain_rows_serial_and_parallel():
    """With `encode`, workers send `encode(mutant, base body)` (the database row) instead
    of the Mutant; the rows, their order and every counter stay those of a plain run."""
    from lean_alchemy.core.rundb import mutant_row
    from lean_alchemy.mutate.proofs import merged_body
    from lean_alchemy.mutate.workers import mutate_all

    work = [(DECL if k % 2 == 0 else TRUNC_DECL,
             [inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")}),
              inv("rw_goal", BOGUS, "goal", [("lhs", -1)], {"a": I("x"), "b": I("y")})])
            for k in range(6)]
    plain = make()
    rows = list(mutate_all(plain, range(len(work)), work.__getitem__, jobs=1))
    bodies = {d.full_name: "\n".join(merged_body(d)) for d in (DECL, TRUNC_DECL)}
    want = [(mutant_row(m, bodies[m.source_theorem]), status, detail)
            for m, status, detail in rows]
    assert len(want) == 2 and all(isinstance(r[0], tuple) for r in want)
    for jobs in (1, 2):
        mut = make()
        got = list(mutate_all(mut, range(len(work)), work.__getitem__, jobs=jobs, chunk=1,
                              encode=mutant_row))
        assert got == want
        assert +mut.stats.mutants == +plain.stats.mutants
        assert +mut.stats.dropped == +plain.stats.dropped


def test_memoized_heads_and_node_count_match_the_plain_traversals():
    from lean_alchemy.grammar.ast import Quant, BinderGroup, free_idents, size
    from lean_alchemy.grammar.walk import heads, node_count

    t = Quant("∀", (BinderGroup(("z",), NAT, "explicit"),),
              BinOp("=", BinOp("+", I("z"), I("h.le")), App(I("f"), (I("x"), Num("1")))))
    for term in (t, t.body, CAND_CONCL, TRUNC_CONCL):
        assert node_count(term) == size(term)
        assert heads(term) == heads(term) == {n.split(".", 1)[0] for n in free_idents(term)}
    assert heads(t) == {"h", "f", "x"} | heads(NAT)


def test_workload_hands_out_row_ranges_that_decode_to_the_invocations():
    """Workers get (declaration position, row range) tasks; decoding a range gives back the
    exact invocations, and rows of an unknown candidate are counted, not mutated."""
    from lean_alchemy.index.store import invocations_table
    from lean_alchemy.mutate.workers import Workload

    a = inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1)], {"a": I("x")})
    b = inv("rw_goal", BOGUS, "goal", [("lhs", -1)], {"a": I("x"), "b": I("y")})
    ghost = dataclasses.replace(a, candidate="Nowhere.ghost")
    other = dataclasses.replace(b, candidate=TRUNC_DECL.full_name)
    table = invocations_table([a, b, ghost, ghost, other])
    work = Workload.build([TRUNC_DECL, DECL], table)
    assert work.tasks == ((1, 0, 2), (0, 4, 5)) and work.unknown == 2
    for task, (decl, invs) in zip(work.tasks, [(DECL, [a, b]), (TRUNC_DECL, [other])]):
        got_decl, rows = work.load(task)
        assert got_decl == decl and list(rows) == invs


def _many_invocations(n: int, candidate: str = "Foo.bar"):
    """`n` distinct invocations (substitutions of 0..2 pairs) of one candidate."""
    from lean_alchemy.core.records import Invocation

    return [Invocation(candidate, f"r{k % 7}", ("rw_goal", "rw_hyp")[k % 2], f"h{k % 3}",
                       f"[[\"lhs\",{k}]]", tuple((f"v{j}", f"t{k}.{j}") for j in range(k % 3)),
                       f"inst {k}") for k in range(n)]


def test_lazy_invocation_rows_equal_the_eager_decoding():
    """`InvocationRows` (what workers get) holds the same records as `invocation_rows`,
    in any access order, for ranges inside one chunk and across a chunk boundary (a
    theorem's rows can straddle two row groups), with null substitutions, and it decodes
    nothing before a row is read."""
    import pyarrow as pa

    from lean_alchemy.index.store import (
        INVOCATION_SCHEMA, InvocationRows, invocation_rows, invocations_table,
    )

    invs = _many_invocations(50)
    table = pa.concat_tables([invocations_table(invs[:23]), invocations_table(invs[23:])])
    assert table.column("subst").num_chunks == 2
    for a, b in [(0, 50), (0, 23), (20, 30), (23, 50), (49, 50), (7, 7)]:
        lazy = InvocationRows(table, a, b)
        assert len(lazy) == b - a and lazy._cols is None  # nothing decoded yet
        assert [lazy[k] for k in reversed(range(b - a))][::-1] == invs[a:b]
        assert list(lazy) == invocation_rows(table, a, b) == invs[a:b]
        assert lazy[1:4] == invs[a:b][1:4]
        if b > a:
            assert lazy[-1] == invs[b - 1]
    with pytest.raises(IndexError):
        InvocationRows(table, 0, 3)[3]
    # a null substitution list decodes as no pairs, like `invocation_rows` does
    subst = pa.array([[{"name": "a", "term": "x"}], None, [{"name": "b", "term": "y"}]],
                     INVOCATION_SCHEMA.field("subst").type)
    cols = {n: pa.array([f"{n}{k}" for k in range(3)]) for n in INVOCATION_SCHEMA.names}
    cols["subst"] = subst
    nulls = pa.table(cols, schema=INVOCATION_SCHEMA)
    assert list(InvocationRows(nulls, 0, 3)) == invocation_rows(nulls, 0, 3)
    assert [i.subst for i in InvocationRows(nulls, 1, 3)] == [(), (("b", "y"),)]


def test_sampling_permutation_is_the_order_of_sampling_order():
    """Shuffling positions gives the order of shuffling the items themselves (the lazy
    mutate worker relies on it to keep every output)."""
    import random

    from lean_alchemy.core.records import content_hash
    from lean_alchemy.mutate.dedup import sampling_order, sampling_permutation

    for n in (0, 1, 2, 17, 64):
        items = [f"x{k}" for k in range(n)]
        shuffled = list(items)  # what `sampling_order` did before positions
        random.Random(int(content_hash("5", "T/T"), 16)).shuffle(shuffled)
        assert [items[i] for i in sampling_permutation(n, 5, "T/T")] == shuffled
        assert sampling_order(items, 5, "T/T") == shuffled


class _Counting(list):
    """A list that records which positions were read."""

    def __init__(self, items):
        super().__init__(items)
        self.read: set[int] = set()

    def __getitem__(self, i):
        self.read.add(i)
        return super().__getitem__(i)

    def __iter__(self):
        raise AssertionError("the mutator must not read every invocation")


def test_invocations_past_the_cap_are_counted_but_never_read():
    """With more invocations than the per-theorem cap, `mutate_theorem` reads only those
    it tries (a lazy sequence decodes nothing else), and the rows and counters are those
    of the same invocations in a plain list."""
    a = inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")})
    invs = [a] * 9
    opts = MutateOptions(max_per_theorem=1, refute=False)
    plain, lazy = make(opts), make(opts)
    want = list(plain.mutate_theorem(DECL, list(invs)))
    seq = _Counting(invs)
    assert list(lazy.mutate_theorem(DECL, seq)) == want and len(want) == 1
    assert len(seq.read) == 1
    assert lazy.stats == plain.stats
    assert lazy.dropped["theorem_cap"] == 8 and lazy.stats.invocations == 9


def test_two_declarations_of_one_name_are_capped_apart_in_any_schedule():
    """Two declarations may share a full name (`private theorem b_pos` in two sections of
    one file). Each has its own `max_per_theorem`, so the rows do not depend on whether
    one worker mutates both (the cap used to carry over, and a full-Mathlib rerun lost 12
    mutants of `Real.b_pos` that way) or two workers do."""
    from dataclasses import replace

    from lean_alchemy.mutate.workers import mutate_all

    twin = replace(TRUNC_DECL, full_name="Foo.bar", name="bar")
    parsed = {("Foo.bar", 3): (CAND_BINDERS, CAND_CONCL), ("Foo.bar", 7): (CAND_BINDERS, TRUNC_CONCL)}

    def make_mutator():
        return Mutator([ADD_ZERO, BOGUS, LT_LE], {SCOPE.id: SCOPE},
                       MutateOptions(max_per_theorem=1, refute=False), show=show,
                       show_binders=show_binders,
                       parse=lambda d: parsed.get((d.full_name, d.start_line)),
                       section_of=lambda s: ())

    work = [(DECL, [inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")})]),
            (twin, [inv("rw_goal", BOGUS, "goal", [("lhs", -1)], {"a": I("x"), "b": I("y")})])]
    for jobs in (1, 2):
        rows = list(mutate_all(make_mutator(), range(2), work.__getitem__, jobs=jobs, chunk=2))
        assert [(r[0].source_theorem, r[0].rule, r[1]) for r in rows] == [
            ("Foo.bar", ADD_ZERO.lemma, "pending"), ("Foo.bar", BOGUS.lemma, "pending")], jobs
