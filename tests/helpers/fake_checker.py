"""A stand-in checker for the orchestration tests of `run_check`, and the options and toolchain
they run with.

The stand-in is a Checker (the contract of `lean_alchemy.jobs.checkers`) that judges a unit
by its declaration name: `ok*` verified, `bad*` rejected, `slow*` verified after a delay,
`killonce*` SIGKILLs its own worker the first time it is seen, `killalways*` every time,
`raise*` raises (a checker bug).  It lives in a module of its own so that worker processes
and the driver subprocess of the interruption tests import it by name.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from lean_alchemy.core.records import Verdict
from lean_alchemy.jobs.options import CheckOptions
from lean_alchemy.jobs.toolchain import Toolchain


@dataclass(frozen=True)
class FakeFactory:
    log: str = ""  # one line per verdict produced: "<pid> <mutant id>"
    delay: float = 0.0
    marker_dir: str = ""

    def __call__(self, opts, toolchain) -> "FakeChecker":
        return FakeChecker(self)


class FakeChecker:
    backend = "fake"

    def __init__(self, cfg: FakeFactory) -> None:
        self.cfg = cfg

    def check(self, units):
        out = []
        for u in units:
            if u.name.startswith("killonce"):
                marker = Path(self.cfg.marker_dir) / u.mutant_id
                if not marker.exists():
                    marker.touch()
                    os.kill(os.getpid(), signal.SIGKILL)
            if u.name.startswith("killalways"):
                os.kill(os.getpid(), signal.SIGKILL)
            if u.name.startswith("raise"):
                raise RuntimeError("stand-in checker bug")
            if self.cfg.delay or u.name.startswith("slow"):
                time.sleep(self.cfg.delay or 0.3)
            if u.name.startswith("bad"):
                v = Verdict(u.mutant_id, "rejected", "type mismatch", "type mismatch\n  h", 0.01)
            else:
                v = Verdict(u.mutant_id, "verified", elapsed=0.01)
            if self.cfg.log:
                with open(self.cfg.log, "a") as f:
                    f.write(f"{os.getpid()} {u.mutant_id}\n")
            out.append(v)
        return out

    def close(self) -> None:
        pass


TC = Toolchain(workspace=Path("ws"), lake=None, lean=None, lean_version="4.99.0",
               mathlib_rev="0123456789abcdef", repl_path=None, ready=True, problem=None)


def check_options(tmp_path: Path, **kw) -> CheckOptions:
    base = dict(jobs=2, batch_size=4, progress=False, workspace=str(tmp_path / "no-workspace"),
                start_backoff_s=0.01)
    base.update(kw)
    return CheckOptions(**base)
