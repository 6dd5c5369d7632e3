"""The instance search's shortcuts give the answers of the full search: instances indexed
by their conclusion's heads, and the filter's search that stops at its first *unknown*.
The library is written here (not Mathlib's text)."""

from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import NO, UNKNOWN, YES, ClassTable, Resolver
from lean_alchemy.index.typing.instance_heads import build_buckets, candidates

# Ten concrete carriers with a `Tag` and a `Mark` instance each; for `Tag` also one
# generic instance through a premise, one of two arguments (another count: it leaves every
# one-argument search unknown) and one about an `abbrev`; for `Mark` only the premise one.
CARRIERS = [f"Car{i}" for i in range(10)]
LIB = [
    ("Tag", "class", "class Tag (α : Type u) where\n  t : α"),
    ("Pair", "class", "class Pair (α : Type u) where\n  p : α"),
    ("Wrap", "structure", "structure Wrap (α : Type u) where\n  w : α"),
    ("Syn", "abbrev", "abbrev Syn (α : Type u) := Wrap α"),
    ("Syn.instTag", "instance", "instance [Tag α] : Tag (Syn α) := sorry"),
    ("Wrap.instTag", "instance", "instance [Pair α] : Tag (Wrap α) := sorry"),
    ("Tag.two", "instance", "instance : Tag Car0 Car1 := sorry"),
    ("Mark", "class", "class Mark (α : Type u) where\n  m : α"),
    ("Wrap.instMark", "instance", "instance [Pair α] : Mark (Wrap α) := sorry"),
] + [(c, "structure", f"structure {c} where\n  x : Nat") for c in CARRIERS] + [
    (f"{c}.inst{k}", "instance", f"instance : {k} {c} := sorry")
    for c in CARRIERS for k in ("Tag", "Mark")]


def _table() -> ClassTable:
    return class_table(LIB)


def _answers(table: ClassTable, queries: list[str], *, exhaustive: bool = True) -> list[str]:
    r = Resolver(table, frozenset({"G"}), [parse_term("Pair G")])
    return [r.holds(parse_term(q), exhaustive=exhaustive) for q in queries]


QUERIES = ["Tag Car3", "Tag Nat", "Tag (Wrap G)", "Tag (Wrap Car2)", "Tag G", "Tag (Syn Car1)",
           "Tag (Syn Nat)", "Tag Car0 Car1", "Mark Car4", "Mark (Wrap G)", "Mark (Wrap Car2)"]


def test_a_query_tries_only_instances_whose_heads_can_match() -> None:
    table = _table()
    every = table.instances["Tag"]
    assert len(every) >= 8
    tried = table.instances_for("Tag", (parse_term("Car3"),), frozenset())
    # `Car3`'s own instance, the `abbrev` one (it may unfold) and the two-argument one
    assert len(tried) == 3 and len(tried) < len(every)
    assert len(table.instances_for("Tag", (parse_term("G"),), frozenset({"G"}))) < len(every)


def test_indexed_search_answers_as_the_full_search() -> None:
    """The same answers as trying every instance (the buckets switched off)."""
    indexed = _answers(_table(), QUERIES)
    full = _table()
    full.index_instances = False
    assert indexed == _answers(full, QUERIES)
    # `Tag (Wrap Car2)`: no `Pair Car2`, but the two-argument instance leaves it unknown;
    # `Mark (Wrap Car2)`: no instance is left, *no* after trying `Wrap.instMark`;
    # `Tag (Syn Car1)`: the `abbrev`'s own instance matches it argument by argument
    assert indexed == [YES, NO, YES, UNKNOWN, NO, YES, UNKNOWN, YES, YES, YES, NO]


def test_an_instance_of_another_argument_count_is_always_tried() -> None:
    """`Tag Car0 Car1` is of two arguments: a one-argument query with any head keeps it,
    and a two-argument query is decided by it."""
    b = build_buckets([(parse_term("A"),), (parse_term("B"),), (parse_term("A"), parse_term("B"))],
                      [("A",), ("B",), ("A", "B")], [frozenset()] * 3, [False] * 3,
                      frozenset({"A", "B"}), frozenset())
    assert candidates(b, ("A",)) == [0, 2]
    assert candidates(b, ("A", "B")) == [0, 1, 2]
    assert candidates(b, ("B", "B")) == [0, 1]
    assert candidates(b, (None,)) == [0, 1, 2]


def test_the_filters_search_stops_at_its_first_unknown_with_the_same_no() -> None:
    """`exhaustive=False` answers *no* exactly where the full search does; a *yes* found
    only after an *unknown* branch is reported as *unknown*."""
    table = _table()
    quick = _answers(table, QUERIES, exhaustive=False)
    full = _answers(_table(), QUERIES)
    assert [q == NO for q in quick] == [f == NO for f in full]
    assert all(q == f or (f == YES and q == UNKNOWN) for q, f in zip(quick, full))
