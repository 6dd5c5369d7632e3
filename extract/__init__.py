"""The extract stage: Lean sources (or a LeanDojo trace) -> declaration records and scopes
(`RUN/declarations.parquet`, `RUN/scopes.parquet`)."""
