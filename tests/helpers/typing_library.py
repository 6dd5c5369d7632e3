"""Signature tables and candidate contexts from Lean text written in a test.

The typing tests state their facts as small libraries, rows of (name, kind, source) that
mirror declarations read in Mathlib; they are read as the index reads Mathlib's headers
(`sigs_of_source`), beside Lean core's table (`core_sigs`).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from lean_alchemy.extract.commands import parse_binders
from lean_alchemy.grammar.statements import binders_of
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context
from lean_alchemy.index.typing.signatures import Sig, core_sigs, sigs_of_source


def library_sigs(rows: Iterable[tuple[str, str, str]], extra: Sequence[Sig] = ()) -> list[Sig]:
    """Lean core's signatures, `extra` (notation rows…) and those of each source row."""
    sigs = list(core_sigs()) + list(extra)
    for name, kind, text in rows:
        sigs.extend(sigs_of_source(name, kind, text))
    return sigs


def class_table(rows: Iterable[tuple[str, str, str]], extra: Sequence[Sig] = ()) -> ClassTable:
    return ClassTable.build(library_sigs(rows, extra))


def candidate_context(table: ClassTable, binders: str) -> Context:
    """The typing context of a candidate whose binders are `binders` (Lean text)."""
    return Context(table, binders_of(parse_binders(binders, binders, 0, len(binders))))
