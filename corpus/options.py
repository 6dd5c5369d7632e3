"""Knobs of the corpus stage (`alchemy corpus`), one frozen dataclass the TOML config maps onto.

Why one record: the CLI flags, the `[corpus]` table of a run's config.toml and the tests all
build the same `CorpusOptions`, so a knob added here is configurable everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from lean_alchemy.core.errors import AlchemyError

DEFAULT_TIER_RULES: tuple[str, ...] = (
    "hard: depth >= 3 or check_time >= 20 or proof_chars >= 1500",
    "medium: depth >= 2 or num_hypotheses >= 4 or statement_words >= 40 or proof_chars >= 400",
    "easy: *",
)
"""First matching rule wins; see `tiers.py` for the grammar (`feature op number`, `and`, `or`)."""


@dataclass(frozen=True)
class CorpusOptions:
    # --- layout -------------------------------------------------------------------------
    shard_rows: int = 100_000  # rows per part-NNNNN.parquet file
    row_group_rows: int = 20_000  # rows per Parquet row group inside a shard
    compression: str = "zstd"  # Parquet codec: zstd, snappy, gzip, brotli, lz4 or none
    compression_level: int = 3  # codec level (zstd: 1-22)
    include_originals: bool = False  # also export the library theorems as rows of kind `original`
    # --- splits (by source theorem: all mutants of one original land in one split) --------
    train_fraction: float = 0.98  # share of source theorems whose mutants go to train
    validation_fraction: float = 0.01  # ... to validation
    test_fraction: float = 0.01  # ... to test (the three sum to 1)
    split_seed: str = "lean-alchemy"  # key of the split hash: change it for a different partition
    exclude_names: tuple[str, ...] = ()  # source theorems kept out of training
    exclude_file: str = ""  # a file of such names, one per line (`#` comments allowed)
    exclude_split: str = "test"  # where excluded theorems go: "test", "validation" or "drop"
    # --- hygiene ------------------------------------------------------------------------
    dedup: bool = True  # drop repeated fingerprints across the corpus
    dedup_library: bool = True  # drop mutants whose fingerprint is an existing library theorem
    decontam_files: tuple[str, ...] = ()  # benchmark statement sets: .lean or .jsonl files
    ngram_n: int = 8  # n-gram length over normalized statement tokens
    ngram_threshold: float = 0.8  # overlap coefficient at or above which a row is dropped
    # --- tiers --------------------------------------------------------------------------
    tier_method: str = "rules"  # "rules" or "quantiles"
    tier_rules: tuple[str, ...] = DEFAULT_TIER_RULES  # `tier: condition`, first match wins (see Tiers)
    tier_feature: str = "difficulty"  # feature ranked by the quantile method
    tier_quantiles: tuple[float, ...] = (0.5, 0.85)  # cut points: easy | medium | hard
    tier_names: tuple[str, ...] = ("easy", "medium", "hard")  # tier labels, easiest first (quantile method)
    tiers: tuple[str, ...] = ()  # export only these tiers (empty: all)
    # --- outputs ------------------------------------------------------------------------
    stats: bool = True  # write stats.json, plots and report.html next to the shards
    dataset_name: str = "lean-alchemy"  # title of the dataset card and metadata
    progress: bool = False  # a progress bar over the rows read, on stderr

    def __post_init__(self) -> None:
        # Validate on construction: the run config is loaded (and rejected) before any stage
        # runs, not when the export finally reads these options.
        self.validate()

    def validate(self) -> "CorpusOptions":
        """Reject inconsistent knobs with the name of the option to fix."""
        if self.shard_rows < 1:
            raise AlchemyError(f"[corpus] shard_rows must be >= 1, got {self.shard_rows}")
        if self.row_group_rows < 1:
            raise AlchemyError(f"[corpus] row_group_rows must be >= 1, got {self.row_group_rows}")
        fr = (self.train_fraction, self.validation_fraction, self.test_fraction)
        if any(f < 0 for f in fr) or abs(sum(fr) - 1.0) > 1e-6:
            raise AlchemyError(
                f"[corpus] train/validation/test fractions must be >= 0 and sum to 1, got {fr}")
        if self.exclude_split not in ("test", "validation", "drop"):
            raise AlchemyError(
                f"[corpus] exclude_split must be test, validation or drop, got {self.exclude_split!r}")
        if self.ngram_n < 1:
            raise AlchemyError(f"[corpus] ngram_n must be >= 1, got {self.ngram_n}")
        if not 0.0 < self.ngram_threshold <= 1.0:
            raise AlchemyError(
                f"[corpus] ngram_threshold must be in (0, 1], got {self.ngram_threshold}")
        if self.tier_method not in ("rules", "quantiles"):
            raise AlchemyError(
                f"[corpus] tier_method must be rules or quantiles, got {self.tier_method!r}")
        if self.tier_method == "quantiles":
            q = self.tier_quantiles
            if len(q) != len(self.tier_names) - 1 or list(q) != sorted(q) or any(
                    not 0 < x < 1 for x in q):
                raise AlchemyError(
                    "[corpus] tier_quantiles must be increasing cut points in (0, 1), one fewer "
                    f"than tier_names {self.tier_names}; got {q}")
        if self.compression not in ("zstd", "snappy", "gzip", "brotli", "lz4", "none"):
            raise AlchemyError(f"[corpus] unknown compression {self.compression!r}")
        return self
