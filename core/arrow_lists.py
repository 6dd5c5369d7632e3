"""Arrow list columns read back as Python tuples, through their flat values and offsets.

Why: `to_pylist` on a list column builds every row's list (and every struct's dict) item
by item, several times slower than converting the flat child array once and slicing it.
The index and mutation stages read all of Mathlib's declarations (a million binders) and
rules (six list columns on ~3x10^5 rows) this way, while the other core waits for them.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import pyarrow as pa

T = TypeVar("T")


def _one_array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        if column.num_chunks == 1:
            return column.chunk(0)
        return column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    return column


def _slices(arr: pa.Array, items: list) -> list[tuple]:
    """Each row of list array `arr` as the tuple of its `items` (the converted child
    array: `offsets` index into the whole of it, also when `arr` is a slice); a null
    list is `()`."""
    offsets = arr.offsets.to_pylist()
    return [tuple(items[a:b]) for a, b in zip(offsets, offsets[1:])]


def list_tuples(column: pa.ChunkedArray | pa.Array) -> list[tuple]:
    """The rows of a list column as tuples of its items."""
    arr = _one_array(column)
    if len(arr) == 0:
        return []
    return _slices(arr, arr.values.to_pylist())


def struct_list_tuples(column: pa.ChunkedArray | pa.Array, fields: tuple[str, ...],
                       make: Callable[..., T]) -> list[tuple[T, ...]]:
    """The rows of a list-of-structs column as tuples of `make(*field values)`, the
    fields taken in the order `fields` names them (a null struct gives `make(None, ...)`;
    not one of the stored schemas has them)."""
    arr = _one_array(column)
    if len(arr) == 0:
        return []
    values = arr.values
    flat = values.flatten()  # the struct's own offset and nulls applied to each field
    items = list(map(make, *(flat[values.type.get_field_index(f)].to_pylist()
                             for f in fields)))
    return _slices(arr, items)


def list_column(values: list[tuple[str, ...]]) -> pa.ListArray:
    """Rows of strings as a `list<string>` column, built from one flat array and offsets
    (the inverse of `list_tuples`, and quicker than Arrow's item-by-item conversion of a
    list of lists for the same reason)."""
    offsets = [0]
    flat: list[str] = []
    for v in values:
        flat.extend(v)
        offsets.append(len(flat))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat, pa.string()),
                                    type=pa.list_(pa.string()))


__all__ = ["list_column", "list_tuples", "struct_list_tuples"]
