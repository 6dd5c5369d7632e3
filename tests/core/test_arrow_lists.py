"""List columns read through their flat values (`core.arrow_lists`) give what `to_pylist`
gives, row for row, whatever the chunking, slicing and nulls of the column."""

from __future__ import annotations

from typing import NamedTuple

import pyarrow as pa

from lean_alchemy.core.arrow_lists import list_tuples, struct_list_tuples

STRS = pa.array([["a"], None, [], ["b", None, "c"], ["d"], ["e", "f"]], pa.list_(pa.string()))
PAIR = pa.struct([("kind", pa.string()), ("text", pa.string())])
PAIRS = pa.array([[{"kind": "open", "text": "open A"}], None,
                  [{"kind": "variable", "text": "variable (x)"}, {"kind": "k", "text": None}],
                  [], [{"kind": "end", "text": "end"}]], pa.list_(PAIR))


class Pair(NamedTuple):
    text: str | None
    kind: str | None


def _expected(column: pa.ChunkedArray | pa.Array) -> list[tuple]:
    return [tuple(x) if x else () for x in column.to_pylist()]


def test_list_rows_agree_with_to_pylist_for_slices_and_chunks() -> None:
    shapes = [STRS, STRS.slice(2), STRS.slice(1, 3), pa.chunked_array([STRS[:2], STRS[2:]]),
              pa.chunked_array([STRS.slice(3)]), pa.chunked_array([], STRS.type)]
    for column in shapes:
        assert list_tuples(column) == _expected(column), column
    assert list_tuples(STRS.slice(3)) == [("b", None, "c"), ("d",), ("e", "f")]


def test_struct_rows_are_built_from_the_named_fields_in_that_order() -> None:
    shapes = [PAIRS, PAIRS.slice(2), pa.chunked_array([PAIRS[:3], PAIRS[3:]])]
    for column in shapes:
        want = [tuple(Pair(d["text"], d["kind"]) for d in x) if x else ()
                for x in column.to_pylist()]
        got = struct_list_tuples(column, ("text", "kind"), Pair)
        assert got == want
    assert struct_list_tuples(PAIRS, ("text", "kind"), Pair)[2][1] == Pair(None, "k")


def test_a_built_list_column_reads_back_as_its_rows() -> None:
    from lean_alchemy.core.arrow_lists import list_column

    rows = [("a", "b"), (), ("c",), ("d", "e", "f")]
    column = list_column(rows)
    assert column.type == pa.list_(pa.string()) and column.to_pylist() == [list(r) for r in rows]
    assert list_tuples(column) == rows
