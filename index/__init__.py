"""The index stage: rules derived from the library's lemmas, name resolution, the rule
index that finds invocable (rule, theorem) pairs, and the dependency graph."""

from lean_alchemy.core.native import extend_path

extend_path(__name__, __path__)  # compiled modules, when built and current (core/native.py)
