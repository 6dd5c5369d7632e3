"""Section `variable` binders parsed once per run: `RUN/section_binders.parquet`.

Why stored: the binders of a scope's `variable` commands are a lark parse (~1 ms a scope,
37k scopes on Mathlib) that every stage needing them used to repeat in every worker: index
pass 1, index pass 2 and the mutation stage.  Index pass 1 now parses them once and
returns them to the parent (serialized, `grammar.statements.dumps_binders`); pass 2
workers decode them instead of parsing, and the index writes them here for the mutation
stage.

A row is trusted only when it is exactly what parsing would give now: the file records a
hash of the grammar package's source (parser, lark grammar, AST encoding) and each row a
hash of its scope's `variable` command texts.  A missing, unreadable or stale file (a run
indexed by an older version, a re-extraction, a changed grammar), or a stale row, means
parsing again (`read_section_binders` leaves those scopes out).  Scopes whose parse failed
are not stored, so their readers fail or fall back exactly as before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.core.records import Scope, content_hash
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract.store import write_parquet
from lean_alchemy.grammar import statements

SCHEMA = pa.schema([("scope_id", pa.string()), ("variables", pa.string()),
                    ("binders", pa.string())])
GRAMMAR_KEY = b"grammar"  # schema metadata: `grammar_key()` of the writer


def variables_key(scope: Scope) -> str:
    """Hash of the scope's `variable` command texts (all `scope_binders` reads)."""
    return content_hash(*(text for kind, text in scope.commands if kind == "variable"),
                        length=32)


_GRAMMAR_KEY: str | None = None


def grammar_key() -> str:
    """Hash of the grammar package's source files (`*.py`, `*.lark`): stored binders are
    the parse of this code, so a changed grammar invalidates them."""
    global _GRAMMAR_KEY
    if _GRAMMAR_KEY is None:
        here = Path(statements.__file__).resolve().parent
        h = hashlib.sha256()
        for src in sorted([*here.glob("*.py"), *here.glob("*.lark")]):
            h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
        _GRAMMAR_KEY = h.hexdigest()
    return _GRAMMAR_KEY


def write_section_binders(run: RunDir, serialized: Mapping[str, str],
                          scopes: Mapping[str, Scope]) -> int:
    """Write `serialized` (scope id -> `dumps_binders` of its section binders), sorted by
    scope id (the file does not depend on worker scheduling); returns the rows written."""
    ids = sorted(k for k in serialized if k in scopes)
    table = pa.Table.from_pydict({
        "scope_id": ids, "variables": [variables_key(scopes[k]) for k in ids],
        "binders": [serialized[k] for k in ids],
    }, schema=SCHEMA.with_metadata({GRAMMAR_KEY: grammar_key().encode()}))
    write_parquet(run.section_binders, table)
    return len(ids)


def read_section_binders(run: RunDir, scopes: Mapping[str, Scope]) -> dict[str, str]:
    """Scope id -> serialized section binders for the stored rows that are still exact
    (see the module doc); {} when the file is missing, unreadable or from another
    grammar.  Decode a value with `grammar.statements.loads_binders`."""
    path = run.section_binders
    if not path.exists():
        return {}
    try:
        table = pq.read_table(path)
        meta = table.schema.metadata or {}
        if meta.get(GRAMMAR_KEY) != grammar_key().encode() or \
                table.schema.remove_metadata() != SCHEMA:
            return {}
        cols: Iterable = zip(*(table.column(n).to_pylist() for n in SCHEMA.names))
    except (OSError, pa.ArrowException):
        return {}
    out: dict[str, str] = {}
    for scope_id, key, binders in cols:
        scope = scopes.get(scope_id)
        if scope is not None and binders is not None and variables_key(scope) == key:
            out[scope_id] = binders
    return out


__all__ = ["write_section_binders", "read_section_binders", "variables_key", "grammar_key"]
