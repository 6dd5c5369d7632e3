"""Knobs of the index stage (`alchemy index`, the `[index]` table of a run config)."""

from __future__ import annotations

from dataclasses import dataclass

from lean_alchemy.core.errors import AlchemyError


@dataclass(frozen=True)
class IndexOptions:
    """How `alchemy index` builds rules, invocations and the dependency graph.

    external_names: a text file with one full declaration name a line (`#` comments) known
      outside the project (Lean core, Batteries for Mathlib): names resolve against them
      too, so `succ` inside `namespace Nat` becomes `Nat.succ`.
    max_matches_per_theorem: invocations kept per candidate theorem (a seeded, reproducible
      sample when more are found; None = keep all).  Mutation caps again per theorem; this
      bounds the size of `invocations.parquet` (`mul_comm` matches everywhere).
    rewrite: produce `rw_goal`/`rw_hyp` invocations (equation and iff rules).
    apply: produce `apply_hyp` invocations (implication rules).
    proof_uses: add proof-uses edges (identifiers of proof text that resolve) to the graph.
    generic_evidence: a constant-free rule pattern (`?a = ?b`) whose variables have concrete
      types (`m n : ℕ`) is kept only where some matched value has a type hint
      (`untyped_generic` in `matches_filtered`); False keeps every such match.
    typed_filter: drop a match when the mutant it makes certainly does not elaborate: an
      instance its new text needs (the replacement's or antecedents' constants and
      operators at the matched values' types) certainly does not exist, or a value
      certainly has the wrong type (`instance_missing`, `type_clash` in
      `matches_filtered`); anything unknown keeps the match.  The stage then builds the
      signature table from the sources once and stores it as `RUN/signatures.parquet`.
      Off by default (docs/index.md, "Typed matching", for what it drops and costs).
    jobs: worker processes for matching (0 = one per CPU).
    progress: show a progress bar on stderr.
    rules_from: finished run directories of libraries the project imports (Mathlib): their
      rules, names and notations are added to the project's own, read from those runs
      (`index.dependency`); invocations and mutants record the library of their rule.
    max_dependency_matches_per_theorem: of a theorem's invocations, at most this many use a
      dependency's rule (`rules_from`; None = only `max_matches_per_theorem` bounds them),
      shared among the kinds like the quota; the dependency's rules are tried after the
      project's own.  Why: without it Mathlib's rules filled every quota of a downstream
      project (94 % of its invocations), and finding five times as many invocations made
      the index with Mathlib's rules ~3.5x as long as with its own.
    """

    external_names: str | None = None
    max_matches_per_theorem: int | None = 64
    rewrite: bool = True
    apply: bool = True
    proof_uses: bool = True
    generic_evidence: bool = True
    typed_filter: bool = False
    jobs: int = 2
    progress: bool = False
    rules_from: tuple[str, ...] = ()
    max_dependency_matches_per_theorem: int | None = 16

    def __post_init__(self) -> None:
        # Validate here, not in the CLI: the TOML config builds this class directly.
        if self.max_matches_per_theorem is not None and self.max_matches_per_theorem < 1:
            raise AlchemyError("[index] max_matches_per_theorem must be >= 1 (or unset for no "
                               f"cap), got {self.max_matches_per_theorem}")
        if (self.max_dependency_matches_per_theorem is not None
                and self.max_dependency_matches_per_theorem < 1):
            raise AlchemyError("[index] max_dependency_matches_per_theorem must be >= 1 (or "
                               f"unset for no cap), got {self.max_dependency_matches_per_theorem}")
        if self.jobs < 0:
            raise AlchemyError(f"[index] jobs must be >= 0 (0 = one per CPU), got {self.jobs}")
        if self.external_names is not None and not str(self.external_names).strip():
            raise AlchemyError("[index] external_names must be a file path (or unset)")
        if isinstance(self.rules_from, str) or any(
                not str(p).strip() for p in self.rules_from):
            raise AlchemyError("[index] rules_from must be a list of run directories, e.g. "
                               '["../mathlib-run"]')
        if not (self.rewrite or self.apply):
            raise AlchemyError("[index] rewrite and apply are both off: nothing to index")
