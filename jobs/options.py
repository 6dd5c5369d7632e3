"""Knobs of the checking stage (`alchemy check`, the `[check]` table of a run config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Backend = Literal["lean-json", "repl"]
Executor = Literal["local", "ray"]


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """How mutants are checked by Lean, and how hard we try.

    backend: "lean-json" compiles batch files with `lake env lean --json` (needs only the
      toolchain and Mathlib's oleans); "repl" keeps a pool of leanprover-community REPL
      processes that import the header once (much cheaper per mutant, needs the REPL built).
    jobs: worker processes (0 = one per core). Each holds a Lean process with Mathlib
      mapped: budget several GB of memory per job.
    limit: check at most this many pending mutants in this invocation (None = all).
    batch_size: mutants per batch file / per lease (lean-json); a batch shares one
      `import` header, so larger batches amortise the import.
    timeout_s: wall-clock limit per batch file (lean-json) or per REPL command; the Lean
      process is killed and replaced when it is exceeded.
    max_heartbeats: `maxHeartbeats` per declaration (0 = keep what the mutant carries).
    memory_limit_mb: address-space cap (RLIMIT_AS) of every Lean process; `import Mathlib`
      maps several GB, so keep this well above 8 GB.
    repl_max_commands / repl_max_rss_mb: recycle a REPL process after this many commands or
      above this resident size (environments are kept forever, memory only grows).
    import_timeout_s: wall-clock limit of a REPL's import of a header (also a re-import in a
      live process); a cold `import Mathlib` takes minutes on network disks.
    start_attempts: a Lean process that fails before reading its header (a panic at start,
      a hung import) is retried; after this many such failures in a row in one worker the
      run stops, Lean cannot start.
    start_backoff_s: the wait before the first retry of a failed start, doubled for each
      further one (at most a minute).
    executor: "local" (a process pool on this machine) or "ray" (a Ray cluster).
    ray_address: Ray cluster address ("auto" = the cluster this machine belongs to).
    lease_seconds: how long a worker owns leased mutants; leases of a killed worker expire
      and the mutants are checked again.
    max_attempts: a mutant whose checks crash or time out this many times is given up
      (status kept as `timeout`/`crashed`).
    workspace: the Lake project that the checker runs in ("" = the source's own Lake root
      when its lakefile or manifest requires Mathlib, else the bundled lean_workspace/ next
      to the installed sources; never the current directory).
    db_url: SQLAlchemy URL of the run database ("" = RUN/run.sqlite).
    progress: show a progress bar on stderr.
    """

    backend: Backend = "lean-json"
    jobs: int = 0
    limit: int | None = None
    batch_size: int = 64
    timeout_s: float = 600.0
    max_heartbeats: int = 0
    memory_limit_mb: int = 12288
    repl_max_commands: int = 500
    repl_max_rss_mb: int = 16384
    import_timeout_s: float = 600.0
    start_attempts: int = 5
    start_backoff_s: float = 2.0
    executor: Executor = "local"
    ray_address: str = "auto"
    lease_seconds: float = 3600.0
    max_attempts: int = 3
    workspace: str = ""
    db_url: str = ""
    progress: bool = False

    def __post_init__(self) -> None:
        from lean_alchemy.core.errors import AlchemyError

        if self.backend not in ("lean-json", "repl"):
            raise AlchemyError(
                f"[check] backend must be 'lean-json' or 'repl', got {self.backend!r}")
        if self.executor not in ("local", "ray"):
            raise AlchemyError(
                f"[check] executor must be 'local' or 'ray', got {self.executor!r}")
        for name in ("batch_size", "max_attempts", "repl_max_commands", "start_attempts"):
            if getattr(self, name) < 1:
                raise AlchemyError(f"[check] {name} must be >= 1, got {getattr(self, name)}")
        for name in ("timeout_s", "lease_seconds", "import_timeout_s"):
            if getattr(self, name) <= 0:
                raise AlchemyError(f"[check] {name} must be > 0, got {getattr(self, name)}")
        if self.jobs < 0:
            raise AlchemyError(f"[check] jobs must be >= 0 (0 = one per core), got {self.jobs}")
        if self.limit is not None and self.limit < 0:
            raise AlchemyError(f"[check] limit must be >= 0, got {self.limit}")
        if self.start_backoff_s < 0:
            raise AlchemyError(f"[check] start_backoff_s must be >= 0, got {self.start_backoff_s}")
        if self.memory_limit_mb < 0 or self.max_heartbeats < 0:
            raise AlchemyError("[check] memory_limit_mb and max_heartbeats must be >= 0")
