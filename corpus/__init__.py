"""The corpus stage: verified mutants -> Parquet shards with provenance, splits, tiers,
dedup and decontamination, a dataset card and statistics."""
