"""Knobs of the extract stage (the CLI flags and the TOML config map onto this)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractOptions:
    """How `alchemy extract` walks and reads a Lean project.

    jobs: worker processes (0 = one per CPU).
    libraries: library folders (or `lean_lib` names) to walk under a Lake root; empty = the
      `lean_lib` roots declared in the lakefile, else every `.lean` file outside `.lake/`.
    parse: run the grammar on every theorem's statement inside the workers.
    progress: show a tqdm bar over files.
    theorem_keywords: declaration commands a library defines for its theorems (e.g.
      `problem`, `determine`), read like `theorem`; other unknown column-0 commands are
      counted in extract.failures.parquet as `unknown command: KEYWORD`.
    """

    jobs: int = 2
    libraries: tuple[str, ...] = ()
    parse: bool = True
    progress: bool = True
    batch_files: int = 200  # files per Parquet row group flush (bounds memory)
    theorem_keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from lean_alchemy.core.errors import AlchemyError

        if self.jobs < 0:
            raise AlchemyError(f"[extract] jobs must be >= 0 (0 = one per CPU), got {self.jobs}")
        bad = [w for w in self.theorem_keywords if not w.isidentifier()]
        if bad:
            raise AlchemyError(f"[extract] theorem_keywords must be command keywords, got "
                               f"{', '.join(map(repr, bad))}")
        if self.batch_files < 1:
            raise AlchemyError(f"[extract] batch_files must be >= 1, got {self.batch_files}")
