"""Mutation engine: rule matching, mutant statements and proofs, filters (see the README)."""

from lean_alchemy.core.native import extend_path

extend_path(__name__, __path__)  # compiled modules, when built and current (core/native.py)
