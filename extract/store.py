"""Parquet I/O for the extract stage's records, with explicit schemas.

Why explicit schemas: a schema inferred from the first batch breaks on a later batch (a
column that is all-null at first, an empty list), and other stages read these files
without importing the extractor's internals.  Tuples round-trip exactly: list columns come
back as tuples and binders as `Binder` records.  Writes go to a temporary sibling and are
renamed into place, so a killed run never leaves a truncated file behind.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.core.arrow_lists import list_tuples, struct_list_tuples
from lean_alchemy.core.collector import few_collections
from lean_alchemy.core.records import Binder, Declaration, ExtractFailure, NotationDecl, Scope
from lean_alchemy.core.rundir import RunDir

_STR = pa.string()
_LIST_STR = pa.list_(pa.string())
BINDER_TYPE = pa.struct([("name", _STR), ("kind", _STR), ("type", _STR)])

DECLARATION_SCHEMA = pa.schema([
    ("full_name", _STR), ("name", _STR), ("kind", _STR), ("module", _STR), ("file", _STR),
    ("start_line", pa.int32()), ("end_line", pa.int32()),
    ("start_byte", pa.int64()), ("end_byte", pa.int64()),
    ("modifiers", _LIST_STR), ("attributes", _LIST_STR), ("docstring", _STR),
    ("binders", pa.list_(BINDER_TYPE)), ("conclusion", _STR), ("proof", _STR),
    ("proof_style", _STR), ("scope_id", _STR), ("source", _STR), ("parse_status", _STR),
    ("parse_error", _STR), ("binders_ast", _STR), ("conclusion_ast", _STR),
])
SCOPE_SCHEMA = pa.schema([
    ("id", _STR), ("module", _STR), ("imports", _LIST_STR), ("namespaces", _LIST_STR),
    ("commands", pa.list_(pa.struct([("kind", _STR), ("text", _STR)]))),
    ("is_module_file", pa.bool_()),
])
FAILURE_SCHEMA = pa.schema([
    ("file", _STR), ("line", pa.int32()), ("reason", _STR), ("detail", _STR),
])
NOTATION_SCHEMA = pa.schema([
    ("module", _STR), ("file", _STR), ("line", pa.int32()), ("keyword", _STR),
    ("visibility", _STR), ("namespace", _STR), ("tokens", _LIST_STR), ("text", _STR),
])

_DECL_FIELDS = tuple(f.name for f in fields(Declaration))
_TUPLE_FIELDS = ("modifiers", "attributes")


def _path(target: RunDir | Path | str, attr: str) -> Path:
    return getattr(target, attr) if isinstance(target, RunDir) else Path(target)


# ---------------------------------------------------------------- to / from Arrow

def declarations_table(decls: Iterable[Declaration]) -> pa.Table:
    decls = list(decls)
    cols: dict[str, list] = {}
    for name in DECLARATION_SCHEMA.names:
        if name == "binders":
            cols[name] = [[{"name": b.name, "kind": b.kind, "type": b.type} for b in d.binders]
                          for d in decls]
        elif name in _TUPLE_FIELDS:
            cols[name] = [list(getattr(d, name)) for d in decls]
        else:
            cols[name] = [getattr(d, name) for d in decls]
    return pa.Table.from_pydict(cols, schema=DECLARATION_SCHEMA)


def declarations_from_table(table: pa.Table) -> list[Declaration]:
    """Records of a declarations table (a column this version does not know is ignored,
    one it lacks takes the field's default).  Built column-wise, one constructor call per
    row, with the cycle collector mostly off: the stages read all of Mathlib (~300k
    declarations, a million binders, none of them garbage) through here."""
    with few_collections(freeze=False):
        return _declarations_from_table(table)


def _declarations_from_table(table: pa.Table) -> list[Declaration]:
    known = [n for n in _DECL_FIELDS if n in table.column_names]
    columns = {}
    for n in known:
        column = table.column(n)
        if n == "binders":  # `arrow_lists`: several times quicker than `to_pylist`
            columns[n] = struct_list_tuples(column, ("name", "kind", "type"), Binder)
        elif n in _TUPLE_FIELDS:
            columns[n] = list_tuples(column)
        else:
            columns[n] = column.to_pylist()
    values = [columns[n] for n in known]
    if known == list(_DECL_FIELDS[:len(known)]):  # a prefix of the fields: positional
        return list(map(Declaration, *values))
    return [Declaration(**dict(zip(known, row))) for row in zip(*values)]


def scopes_table(scopes: Iterable[Scope]) -> pa.Table:
    scopes = list(scopes)
    return pa.Table.from_pydict({
        "id": [s.id for s in scopes],
        "module": [s.module for s in scopes],
        "imports": [list(s.imports) for s in scopes],
        "namespaces": [list(s.namespaces) for s in scopes],
        "commands": [[{"kind": k, "text": t} for k, t in s.commands] for s in scopes],
        "is_module_file": [s.is_module_file for s in scopes],
    }, schema=SCOPE_SCHEMA)


def scopes_from_table(table: pa.Table) -> dict[str, Scope]:
    imports = list_tuples(table.column("imports"))
    namespaces = list_tuples(table.column("namespaces"))
    commands = struct_list_tuples(table.column("commands"), ("kind", "text"), _pair)
    flags = table.column("is_module_file").to_pylist()
    return {sid: Scope(module, imports[i], namespaces[i], commands[i], bool(flags[i]))
            for i, (sid, module) in enumerate(zip(table.column("id").to_pylist(),
                                                  table.column("module").to_pylist()))}


def _pair(kind: str, text: str) -> tuple[str, str]:
    return kind, text


def failures_table(failures: Iterable[ExtractFailure]) -> pa.Table:
    fs = list(failures)
    return pa.Table.from_pydict({
        "file": [f.file for f in fs], "line": [f.line for f in fs],
        "reason": [f.reason for f in fs], "detail": [f.detail for f in fs],
    }, schema=FAILURE_SCHEMA)


def notations_table(decls: Iterable[NotationDecl]) -> pa.Table:
    ds = list(decls)
    cols: dict[str, list] = {n: [getattr(d, n) for d in ds] for n in NOTATION_SCHEMA.names}
    cols["tokens"] = [list(t) for t in cols["tokens"]]
    return pa.Table.from_pydict(cols, schema=NOTATION_SCHEMA)


def notations_from_table(table: pa.Table) -> list[NotationDecl]:
    cols = {n: table.column(n).to_pylist() for n in NOTATION_SCHEMA.names}
    cols["tokens"] = [tuple(t or ()) for t in cols["tokens"]]
    return [NotationDecl(*row) for row in zip(*(cols[n] for n in NOTATION_SCHEMA.names))]


# ---------------------------------------------------------------- atomic writers

class AtomicParquetWriter:
    """Stream tables into `path` through a temporary sibling; `close()` renames it into
    place, `abort()` removes it (the previous file, if any, stays untouched)."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.schema = schema
        self._writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table)
            self.rows += table.num_rows

    def close(self) -> Path:
        self._writer.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            if self.tmp.exists():
                self.tmp.unlink()

    def __enter__(self) -> "AtomicParquetWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Rename into place on success; on any exception remove the temporary file."""
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_parquet(path: Path, table: pa.Table) -> Path:
    """Write one table atomically (the previous file stays until the new one is complete)."""
    with AtomicParquetWriter(path, table.schema) as w:
        w.write(table)
    return Path(path)


def write_declarations(path: RunDir | Path | str, decls: Iterable[Declaration]) -> Path:
    return write_parquet(_path(path, "declarations"), declarations_table(decls))


def write_scopes(path: RunDir | Path | str, scopes: Iterable[Scope]) -> Path:
    return write_parquet(_path(path, "scopes"), scopes_table(scopes))


def write_failures(path: RunDir | Path | str, failures: Iterable[ExtractFailure]) -> Path:
    return write_parquet(_path(path, "failures"), failures_table(failures))


# ---------------------------------------------------------------- readers

def read_declarations(run: RunDir | Path | str, *,
                      kinds: tuple[str, ...] | None = None) -> list[Declaration]:
    """Declarations of a run (or of a Parquet file), optionally only some kinds."""
    path = _path(run, "declarations")
    if isinstance(run, RunDir):
        run.require(path, "extract")
    filters = [("kind", "in", list(kinds))] if kinds else None
    return declarations_from_table(pq.read_table(path, filters=filters))


def read_scopes(run: RunDir | Path | str) -> dict[str, Scope]:
    path = _path(run, "scopes")
    if isinstance(run, RunDir):
        run.require(path, "extract")
    return scopes_from_table(pq.read_table(path))


def write_notations(path: RunDir | Path | str, decls: Iterable[NotationDecl]) -> Path:
    return write_parquet(_path(path, "notations"), notations_table(decls))


def read_notations(run: RunDir | Path | str) -> list[NotationDecl]:
    """The syntax-declaring commands of a run (input of `grammar.tokens.build_token_table`)."""
    path = _path(run, "notations")
    if isinstance(run, RunDir):
        run.require(path, "extract")
    return notations_from_table(pq.read_table(path))


def read_failures(run: RunDir | Path | str) -> list[ExtractFailure]:
    path = _path(run, "failures")
    if isinstance(run, RunDir):
        run.require(path, "extract")
    t = pq.read_table(path)
    cols = {n: t.column(n).to_pylist() for n in FAILURE_SCHEMA.names}
    return [ExtractFailure(cols["file"][i], cols["line"][i], cols["reason"][i],
                           cols["detail"][i] or "") for i in range(t.num_rows)]
