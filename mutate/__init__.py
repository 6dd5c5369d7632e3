"""The mutate stage: the index's invocations -> mutant statements and proofs, filtered and
refuted, stored in the run database (docs/mutate.md)."""

from lean_alchemy.core.native import extend_path

extend_path(__name__, __path__)  # compiled modules, when built and current (core/native.py)
