"""Checking mutants through a pool of leanprover-community REPL processes.

Why: a REPL process imports the header once (`{"cmd": "import ..."}` answers `{"env": N}`)
and then checks each mutant as `{"cmd": <unit>, "env": N}` in that environment, so the import
cost (seconds, gigabytes) is paid once per process instead of once per batch file; messages
come back per command, so attribution is exact.  The price: the REPL keeps every
environment forever (memory only grows) and has no per-command timeout.  So a process is
recycled after `max_commands` commands or above `max_rss_mb` of resident memory (summed over
`lake` and the REPL it started), and a command that exceeds the wall-clock limit gets its
process killed and replaced (the next unit pays a fresh import).

Protocol (REPL/Main.lean): a query is the lines up to a blank line, so we send compact JSON
(no raw newlines) plus one blank line -- a second blank line would be read as an empty,
unparseable query that kills the REPL.  An answer is Lean's pretty-printed JSON (several
lines) followed by a blank line; `messages` only when non-empty; `{"message": ...}` for a
REPL-level error such as "Unknown environment.".  Some REPL versions print debugging text
before the JSON: anything before the answer's opening brace is skipped.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from lean_alchemy.core.records import Verdict
from lean_alchemy.jobs.checkers.base import (
    CRASHED, IMPORT_FAILED, REJECTED, REPL_ERROR, TIMEOUT, WALL_CLOCK_TIMEOUT, CheckerError,
    CheckUnit, LeanMessage, StartRetry, VerdictMaker, crash_class, describe_exit,
    unit_offset, wrap_unit)
from lean_alchemy.jobs.checkers.limits import kill_group, spawn, tree_rss_mb

BACKEND = "repl"


class ReplTimeout(Exception):
    pass


class ReplDied(Exception):
    def __init__(self, returncode: int | None, stderr: str) -> None:
        super().__init__(describe_exit(returncode, stderr))
        self.returncode, self.stderr = returncode, stderr


def parse_answer(lines: list[str]) -> dict[str, Any] | None:
    """The JSON object that ends `lines` (the lines read before a blank line), skipping any
    text printed before it; None when no complete object is there yet."""
    for j, ln in enumerate(lines):
        if not ln.lstrip().startswith("{"):
            continue
        try:
            obj = json.loads("\n".join(lines[j:]))
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


class ReplSession:
    """One REPL process: send a command, wait for its answer with a deadline."""

    def __init__(self, command: Sequence[str], cwd: Path, memory_limit_mb: int,
                 env: dict[str, str] | None = None) -> None:
        self.proc = spawn(command, cwd, memory_limit_mb, stdin=True, env=env)
        self.commands = 0  # unit commands answered (the import is not counted)
        self.envs: dict[tuple[str, ...], int | str] = {}  # imports -> env id | import error
        self._partial = b""
        self._stderr = bytearray()
        self._sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._sel.register(self.proc.stdout, selectors.EVENT_READ, "out")
        self._sel.register(self.proc.stderr, selectors.EVENT_READ, "err")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        return tree_rss_mb(self.proc.pid)

    def stderr(self) -> str:
        return self._stderr.decode("utf-8", "replace")

    def _died(self) -> ReplDied:
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        rc = self.proc.returncode
        end = time.monotonic() + 0.5  # what it said on the way out (stderr may lag stdout)
        while self.proc.stderr is not None and time.monotonic() < end:
            ready = self._sel.select(timeout=max(end - time.monotonic(), 0))
            chunks = [os.read(k.fd, 1 << 16) for k, _ in ready if k.data == "err"]
            if not chunks or not chunks[0]:
                break
            self._stderr += chunks[0]
        self.kill()
        return ReplDied(rc, self.stderr())

    def request(self, obj: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one command, return its answer.  ReplTimeout (the caller kills the process)
        or ReplDied (the process ended: crash, out of memory, unparseable query)."""
        assert self.proc.stdin is not None
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n\n"
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died() from None
        deadline = time.monotonic() + timeout_s
        block: list[str] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReplTimeout()
            for key, _ in self._sel.select(timeout=left):
                chunk = os.read(key.fd, 1 << 16)
                if key.data == "err":
                    if chunk:
                        self._stderr += chunk
                        del self._stderr[:-20000]
                    else:
                        self._sel.unregister(key.fileobj)
                    continue
                if not chunk:
                    raise self._died()
                self._partial += chunk
                *done, self._partial = self._partial.split(b"\n")
                for raw in done:
                    line = raw.decode("utf-8", "replace")
                    if line.strip():
                        block.append(line)
                        continue
                    answer = parse_answer(block)
                    if answer is not None:
                        if self._partial.strip():  # more output already: not ours, drop
                            self._partial = b""
                        return answer

    def kill(self) -> None:
        try:
            self._sel.close()
        except (OSError, ValueError):
            pass
        kill_group(self.proc)

    def close(self) -> None:
        """End the REPL the polite way (EOF on stdin), then make sure the group is gone."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class ReplChecker:
    """A pool of REPL sessions (one per slot); each unit gets exactly one verdict."""

    backend = BACKEND

    def __init__(self, command: Sequence[str], workspace: Path, maker: VerdictMaker, *,
                 timeout_s: float, import_timeout_s: float, memory_limit_mb: int,
                 max_heartbeats: int, max_commands: int, max_rss_mb: int, pool_size: int = 1,
                 header: Sequence[str] = (), env: dict[str, str] | None = None,
                 starts: StartRetry | None = None) -> None:
        self.command = list(command)
        self.workspace = Path(workspace)
        self.maker = maker
        self.timeout_s = timeout_s
        self.import_timeout_s = import_timeout_s
        self.memory_limit_mb = memory_limit_mb
        self.max_heartbeats = max_heartbeats
        self.max_commands = max_commands
        self.max_rss_mb = max_rss_mb
        self.pool_size = max(1, pool_size)
        # a fixed import header for every unit (e.g. ("Mathlib",)): one import per process
        # instead of one per distinct import set; () = each unit's own imports
        self.header = tuple(header)
        self.env = env
        self.starts = starts or StartRetry(attempts=5, backoff_s=2.0)
        self.sessions: list[ReplSession | None] = [None] * self.pool_size
        # started / imports / commands / recycled (count or memory) / killed (timeout) /
        # crashed: how the pool behaved, for logs and tests
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def _session(self, slot: int) -> ReplSession:
        s = self.sessions[slot]
        if s is not None and s.proc.poll() is not None:  # died while idle (OOM killer...)
            s.kill()
            s = self.sessions[slot] = None
            self._count("crashed")
        if s is None:
            try:
                s = ReplSession(self.command, self.workspace, self.memory_limit_mb, self.env)
            except OSError as e:
                raise CheckerError(f"cannot start the REPL `{' '.join(self.command)}` in "
                                   f"{self.workspace}: {e}") from e
            self.sessions[slot] = s
            self._count("started")
        return s

    def _drop(self, slot: int, how: str) -> None:
        s = self.sessions[slot]
        self.sessions[slot] = None
        if s is not None:
            if how == "recycled":
                s.close()
            else:
                s.kill()
            self._count(how)

    def _header_env(self, slot: int, imports: tuple[str, ...]) -> int | str:
        """The environment with `imports` in this slot's process (imported on first use):
        its id, or the import error text.  A process that dies or hangs while importing is
        a failed start: replaced and retried (`StartRetry`), never a verdict."""
        while True:
            s = self._session(slot)
            if imports in s.envs:
                return s.envs[imports]
            cmd = "\n".join(f"import {m}" for m in imports)
            try:
                ans = s.request({"cmd": cmd}, self.import_timeout_s)
                break
            except ReplTimeout:
                self._drop(slot, "killed")
                self.starts.failed(f"the REPL did not finish `{cmd or '(no imports)'}` "
                                   f"within {self.import_timeout_s:g}s ([check] "
                                   f"import_timeout_s)")
            except ReplDied as e:
                self.sessions[slot] = None
                self._count("crashed")
                self.starts.failed(f"the REPL `{' '.join(self.command)}` failed while "
                                   f"importing the header: {e}")
        self.starts.succeeded()
        self._count("imports")
        errors = [m for m in (LeanMessage.from_json(x) for x in ans.get("messages") or []
                              if isinstance(x, dict)) if m is not None and m.severity == "error"]
        if errors:
            result: int | str = f"{errors[0].line}:{errors[0].column}: {errors[0].text}"
        elif isinstance(ans.get("env"), int):
            result = ans["env"]
        else:  # a REPL-level error (an exception while importing): the imports are at fault
            result = f"the REPL answered the import with: {ans.get('message', ans)}"
        s.envs[imports] = result
        return result

    def _check_one(self, slot: int, unit: CheckUnit) -> Verdict:
        env = self._header_env(slot, self.header or tuple(sorted(set(unit.imports))))
        if isinstance(env, str):
            return self.maker.make(unit, REJECTED, IMPORT_FAILED, env)
        s = self._session(slot)
        text = "\n".join(wrap_unit(unit, self.max_heartbeats))
        start = time.monotonic()
        try:
            ans = s.request({"cmd": text, "env": env}, self.timeout_s)
        except ReplTimeout:
            self._drop(slot, "killed")
            return self.maker.make(unit, TIMEOUT, WALL_CLOCK_TIMEOUT,
                                   f"no answer within {self.timeout_s:g}s; the REPL was "
                                   "killed", time.monotonic() - start)
        except ReplDied as e:
            self.sessions[slot] = None
            self._count("crashed")
            return self.maker.make(unit, CRASHED, crash_class(e.returncode, e.stderr), str(e),
                                   time.monotonic() - start)
        elapsed = time.monotonic() - start
        self._count("commands")
        s.commands += 1
        if "env" not in ans:
            self._drop(slot, "crashed")
            return self.maker.make(unit, CRASHED, REPL_ERROR,
                                   f"the REPL answered: {ans.get('message', ans)}", elapsed)
        msgs = [m for m in (LeanMessage.from_json(x) for x in ans.get("messages") or []
                            if isinstance(x, dict)) if m is not None]
        verdict = self.maker.from_messages(unit, msgs, unit_offset(self.max_heartbeats) + 1,
                                           elapsed)
        if s.commands >= self.max_commands or \
                (self.max_rss_mb > 0 and s.rss_mb() > self.max_rss_mb):
            self._drop(slot, "recycled")
        return verdict

    def check(self, units: Sequence[CheckUnit]) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(units)
        todo = []
        for i, u in enumerate(units):
            if u.sorry_precheck():
                verdicts[i] = self.maker.sorry(u)
            else:
                todo.append(i)
        if self.pool_size == 1 or len(todo) <= 1:
            for i in todo:
                verdicts[i] = self._check_one(0, units[i])
        else:
            it = iter(todo)

            def work(slot: int) -> None:
                while True:
                    with self._lock:
                        i = next(it, None)
                    if i is None:
                        return
                    verdicts[i] = self._check_one(slot, units[i])

            with ThreadPoolExecutor(self.pool_size) as ex:
                for f in [ex.submit(work, slot) for slot in range(self.pool_size)]:
                    f.result()
        assert all(v is not None for v in verdicts)
        return verdicts  # type: ignore[return-value]

    def close(self) -> None:
        for slot in range(self.pool_size):
            s = self.sessions[slot]
            self.sessions[slot] = None
            if s is not None:
                s.close()

    def __del__(self) -> None:  # a forgotten close() must not leave Lean processes behind
        try:
            self.close()
        except Exception:
            pass
