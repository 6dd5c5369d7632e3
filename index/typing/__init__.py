"""Elaboration-lite for the match filter: a signature table of the library's declarations,
class/instance saturation, and the check that a rule's instance and type requirements hold
where it matched.

Modules: `signatures` (the table, `RUN/signatures.parquet`), `headers` (binders and result
types read from declaration headers), `classes` and `saturate` (instance facts and their
forward closure), `scoped` (scoped notation), `filter` (the typed match filter).
"""
