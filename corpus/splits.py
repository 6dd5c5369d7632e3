"""Train/validation/test assignment by source theorem.

Why by source theorem: mutants of one original share most of their text, so splitting rows
independently would leak near-copies of every test row into training.  The split is a pure
function of (seed, source theorem name) — a keyed hash mapped to [0, 1) — so it is the same on
every machine, every run and every re-export, and adding theorems never moves existing ones.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from lean_alchemy.core.errors import AlchemyError

SPLITS = ("train", "validation", "test")


@functools.lru_cache(maxsize=16)
def _keyed(seed: str) -> "hashlib._Hash":
    return hashlib.blake2b(digest_size=8, key=seed.encode("utf-8")[:64])


def unit_hash(seed: str, key: str) -> float:
    """BLAKE2b of `key` keyed by `seed`, as a number in [0, 1).  The keyed state is made
    once per seed and copied (a copy is half the cost of keying anew; same digest)."""
    h = _keyed(seed).copy()
    h.update(key.encode("utf-8"))
    return int.from_bytes(h.digest(), "big") / 2.0 ** 64


def assign_split(source_theorem: str, train: float, valid: float, seed: str = "lean-alchemy"
                 ) -> str:
    u = unit_hash(seed, source_theorem)
    if u < train:
        return "train"
    if u < train + valid:
        return "validation"
    return "test"


def read_name_list(path: str | Path) -> frozenset[str]:
    """Theorem names, one per line; blank lines and `#` comments ignored."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise AlchemyError(f"exclusion list {p} does not exist") from None
    return frozenset(s for s in (ln.split("#", 1)[0].strip() for ln in lines) if s)


class Splitter:
    """Assigns splits; names in `excluded` (source theorems or row names) never reach train."""

    def __init__(self, train: float, valid: float, seed: str,
                 excluded: frozenset[str] = frozenset(), exclude_split: str = "test"):
        self.train, self.valid, self.seed = train, valid, seed
        self.excluded = excluded
        self.exclude_split = exclude_split
        self._cache: dict[str, str] = {}

    def is_excluded(self, source_theorem: str, name: str) -> bool:
        return bool(self.excluded) and (source_theorem in self.excluded
                                        or name in self.excluded)

    def split_of(self, source_theorem: str, name: str = "") -> str | None:
        """The row's split, or None when the row must be dropped (exclude_split = drop)."""
        if self.excluded and self.is_excluded(source_theorem, name):
            return None if self.exclude_split == "drop" else self.exclude_split
        st = source_theorem
        s = self._cache.get(st)
        if s is None:
            s = self._cache[st] = assign_split(st, self.train, self.valid, self.seed)
        return s

    def splits_of(self, source_theorems: list[str]) -> list[str]:
        """`split_of` of rows known to hold no excluded name (the caller checked)."""
        get = self._cache.get
        new = self._new
        return [get(st) or new(st) for st in source_theorems]

    def _new(self, source_theorem: str) -> str:
        s = self._cache[source_theorem] = assign_split(source_theorem, self.train, self.valid,
                                                       self.seed)
        return s
