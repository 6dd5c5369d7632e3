"""Elaboration-lite for the match filter: a signature table of the library's declarations,
class/instance saturation, and the check that a rule's instance and type requirements hold
where it matched.

Modules: `signatures` (the table, `RUN/signatures.parquet`), `headers` (binders and result
types read from declaration headers), `infer` (types of sub-terms), `coerce` (coercions
and certain clashes), `new_text` (dot notation and application in a mutant's new text),
`classes` and `saturate` (instance facts and their forward closure), `scoped` (section
variables and the namespaces a declaration's names resolve in), `filter` (the typed match
filter).
"""
