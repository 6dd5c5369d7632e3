"""Resource limits for Lean processes: address-space cap, wall-clock deadline, kill, RSS.

Why here: both backends start Lean under `lake env`, which runs Lean as a *child* of `lake`.
Every limit must therefore reach the whole process tree: RLIMIT_AS is set before exec and is
inherited by `lean`; each process gets its own session so that a timeout kills the group
(killing only `lake` would orphan a spinning `lean`); resident memory is summed over the tree.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence


def with_memory_cap(cmd: Sequence[str], memory_limit_mb: int) -> list[str]:
    """`cmd` run under RLIMIT_AS = memory_limit_mb (0 = no cap), through `sh -c 'ulimit -v'`.

    Why not `preexec_fn`: it forces a full fork() of the driver (tens of ms for a large
    driver process, per Lean process) and is unsafe with threads; without it Python starts
    children with vfork.  `ulimit -v` (KiB) is RLIMIT_AS in every POSIX shell on Linux, and
    `exec` leaves no shell behind."""
    cmd = list(cmd)
    if memory_limit_mb <= 0:
        return cmd
    return ["/bin/sh", "-c", f'ulimit -v {memory_limit_mb * 1024} && exec "$@"', "sh", *cmd]


def spawn(cmd: Sequence[str], cwd: Path, memory_limit_mb: int, *, stdin: bool = False,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session (a kill reaches lake's child too), under the address
    space cap, with binary unbuffered pipes (the caller reads with deadlines)."""
    return subprocess.Popen(
        with_memory_cap(cmd, memory_limit_mb), cwd=str(cwd),
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, bufsize=0, start_new_session=True, env=env)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process's whole group (lake and the Lean it started) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process immune to SIGKILL
        pass
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            try:
                f.close()
            except OSError:
                pass


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                kids.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            continue
    return kids


def _vmrss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants (MB), from /proc; 0 where /proc is
    unavailable (then recycling falls back to the command count alone)."""
    total, seen, todo = 0, set(), [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _vmrss_kb(p)
        todo.extend(_children(p))
    return total / 1024.0


@dataclass
class Output:
    """What a process wrote before it ended or was killed: stdout lines with their arrival
    times (seconds since the start), stderr text, exit status, whether the deadline hit."""

    lines: list[tuple[float, str]] = field(default_factory=list)
    stderr: str = ""
    returncode: int | None = None
    timed_out: bool = False
    elapsed: float = 0.0


def run_collect(cmd: Sequence[str], cwd: Path, memory_limit_mb: int, timeout_s: float,
                env: dict[str, str] | None = None) -> Output:
    """Run to completion or until `timeout_s`, then kill the group.  Lines are timestamped as
    they arrive (Lean reports messages in command order, so arrival times give per-command
    durations), and everything printed before a kill is kept: it still decides the units
    that finished."""
    start = time.monotonic()
    proc = spawn(cmd, cwd, memory_limit_mb, env=env)
    out = Output()
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    partial, err = b"", bytearray()
    deadline = start + timeout_s
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                out.timed_out = True
                break
            for key, _ in sel.select(timeout=left):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                if key.data == "err":
                    err += chunk
                    continue
                now = time.monotonic() - start
                partial += chunk
                *done, partial = partial.split(b"\n")
                out.lines.extend((now, ln.decode("utf-8", "replace")) for ln in done)
        if partial:
            out.lines.append((time.monotonic() - start, partial.decode("utf-8", "replace")))
        if out.timed_out:
            kill_group(proc)
        else:
            left = max(deadline - time.monotonic(), 0.1)
            try:
                proc.wait(timeout=left)
            except subprocess.TimeoutExpired:  # closed its pipes but keeps running
                out.timed_out = True
                kill_group(proc)
    finally:
        sel.close()
        if proc.poll() is None:
            kill_group(proc)
        for f in (proc.stdout, proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        # the group may hold a grandchild (lake's lean) even after lake exited
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    out.stderr = err.decode("utf-8", "replace")
    out.returncode = None if out.timed_out else proc.returncode
    out.elapsed = time.monotonic() - start
    return out
