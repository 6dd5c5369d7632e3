"""The shared records and AST utilities every stage relies on."""

import pytest

from lean_alchemy.core.records import Binder, Scope, render_binders
from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Ident, Num, Quant, dumps, free_idents, get_at, loads, replace_at,
    subterms,
)


def _forall_add_zero():
    return Quant("∀", (BinderGroup(("x",), Ident("ℕ")),),
                 BinOp("=", BinOp("+", Ident("x"), Num("0")), Ident("x")))


def test_serialization_roundtrip():
    t = _forall_add_zero()
    assert loads(dumps(t)) == t
    assert loads("") is None


def test_bound_variables_are_not_free():
    t = _forall_add_zero()
    assert free_idents(t) == {"ℕ"}
    bounds = {path: bound for path, _, bound in subterms(t)}
    assert bounds[(("body", -1),)] == {"x"}
    assert bounds[(("binders", 0),)] == frozenset()


def test_replace_at_shares_structure_and_replaces_one_spot():
    t = _forall_add_zero()
    path = (("body", -1), ("lhs", -1))
    new = replace_at(t, path, App(Ident("f"), (Ident("x"),)))
    assert get_at(new, path) == App(Ident("f"), (Ident("x"),))
    assert get_at(new, (("body", -1), ("rhs", -1))) is get_at(t, (("body", -1), ("rhs", -1)))


def test_scope_preamble_and_postamble_close_blocks_innermost_first():
    s = Scope(module="M", imports=(), namespaces=("A", "B"),
              commands=(("namespace", "namespace A"), ("section", "section Foo"),
                        ("open", "open Nat"), ("namespace", "namespace B")))
    assert s.preamble().splitlines()[-1] == "namespace B"
    assert s.postamble().splitlines() == ["end B", "end Foo", "end A"]


def test_render_binders_all_kinds():
    bs = (Binder("a", "explicit", "ℕ"), Binder("b", "implicit", "ℤ"), Binder("", "inst", "Ring R"),
          Binder("h", "strict", "a = a"))
    assert render_binders(bs) == "(a : ℕ) {b : ℤ} [Ring R] ⦃h : a = a⦄"


def test_top_level_find_skips_bracketed_needles() -> None:
    from lean_alchemy.core.scan import top_level_find

    text = "(h : a := b) {x : ⟨p, q⟩} : c := d"
    assert top_level_find(text, " : ") == text.index(" : c")
    assert top_level_find(text, ":=", " where") == text.index(":= d")
    assert top_level_find("f (x := 1) where", ":=", " where") == len("f (x := 1)")
    assert top_level_find("(a : b)", ":") == -1


def test_single_group_is_one_bracketed_whole() -> None:
    from lean_alchemy.core.scan import single_group
    assert single_group("((a) + ⟨b, c⟩)") and single_group("(0)")
    assert not single_group("(0).1") and not single_group("(a) + (b)")
    assert not single_group("(a") and not single_group("a") and not single_group("")


def test_few_collections_raises_thresholds_and_restores_them():
    import gc

    from lean_alchemy.core.collector import YOUNG, few_collections

    before = gc.get_threshold()
    alive = [object() for _ in range(10)]  # noqa: F841 - something to freeze
    with few_collections():
        assert gc.get_threshold()[0] >= YOUNG
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_no_collections_turns_the_collector_off_and_restores_it():
    import gc

    from lean_alchemy.core.collector import no_collections

    assert gc.isenabled()
    alive = [object() for _ in range(10)]  # noqa: F841 - something to freeze
    with no_collections():
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:  # a caller that had it off gets it back off
        with no_collections():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_records_pickle_as_their_field_tuples():
    """Records cross process boundaries by the million (`alchemy mutate`'s workers): they
    pickle through `__reduce__` with their field tuple, and come back equal."""
    import dataclasses
    import pickle

    import pytest

    from lean_alchemy.core.records import (
        Invocation, Mutant, Verdict, pickled_by_fields,
    )

    m = Mutant(id="ab12", name="Foo.bar_rw_goal_ab12", parent="Foo.bar",
               source_theorem="Foo.bar", source_module="Mathlib.Foo", rule="add_zero",
               kind="rw_goal", direction="fwd", location="goal", depth=1,
               proof_style="merged", statement="(x : ℕ) : x + 0 = x", proof="by\n  simp",
               imports=("Mathlib.Foo",), header="namespace Foo", lean="theorem …",
               scope_id="s", features=(("statement_size", 5.0),))
    v = Verdict("ab12", "verified", elapsed=1.5, backend="repl")
    i = Invocation("Foo.bar", "r1", "rw_goal", "goal", "[]", (("a", "x"),), "x + 0")
    for rec in (m, v, i, Binder("x", "explicit", "ℕ")):
        fn, args = rec.__reduce__()
        assert fn is type(rec) and args == tuple(getattr(rec, f.name)
                                                 for f in dataclasses.fields(rec))
        for protocol in (2, pickle.HIGHEST_PROTOCOL):
            back = pickle.loads(pickle.dumps(rec, protocol=protocol))
            assert back == rec and type(back) is type(rec)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    with pytest.raises(TypeError, match="__init__"):
        pickled_by_fields(Derived)


def test_slot_init_keeps_signature_defaults_and_frozenness():
    """`core.slots.slot_init` replaces a frozen slotted dataclass's `__init__` with one
    that behaves the same, and leaves classes it cannot handle alone."""
    import dataclasses
    import pickle

    from lean_alchemy.core.records import Invocation, Mutant
    from lean_alchemy.core.slots import slot_init

    @dataclasses.dataclass(frozen=True, slots=True)
    class Plain:
        a: int
        b: str = "x"

    generated = Plain.__init__
    assert slot_init(Plain) is Plain and Plain.__init__ is not generated
    assert Plain(1) == Plain(a=1, b="x") and Plain(2, "y").b == "y"
    with pytest.raises(TypeError):
        Plain()  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Plain(1).a = 2  # type: ignore[misc]

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError(self.a)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Listy:
        a: list = dataclasses.field(default_factory=list)

    for cls in (Checked, Listy):
        before = cls.__init__
        assert slot_init(cls).__init__ is before
    with pytest.raises(ValueError):
        Checked(-1)

    inv = Invocation("T", "r", "rw_goal", "goal", "[]", (("a", "x"),), "a")
    assert pickle.loads(pickle.dumps(inv)) == inv
    m = Mutant("i", "n", "p", "s", "M", "r", "rw_goal", "fwd", "goal", 1, "merged", "st",
               "pf", ("M",), "h", "l")
    assert m.scope_id == "" and m.features == () and hash(m) == hash(pickle.loads(pickle.dumps(m)))
