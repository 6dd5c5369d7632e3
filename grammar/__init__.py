"""Lean 4 term grammar: parse statements into `ast` nodes and print them back.

Public API: `parse_term`, `parse_binders`, `parse_statement` (parser.py), `print_term`,
`print_binders` (printer.py); declaration-level helpers live in `statements.py`.
"""

from __future__ import annotations

from lean_alchemy.core.native import extend_path

extend_path(__name__, __path__)  # compiled modules, when built and current (core/native.py)

from lean_alchemy.grammar.parser import parse_binders, parse_statement, parse_term  # noqa: E402
from lean_alchemy.grammar.printer import print_binders, print_term  # noqa: E402

__all__ = ["parse_term", "parse_binders", "parse_statement", "print_term", "print_binders"]
