"""Checking mutants in batch files compiled by `lake env lean --json` (the default backend).

Why batch files: `import Mathlib` costs seconds and gigabytes per Lean process, so many mutants
share one file after one import header.  Lean keeps going after an error in one declaration,
so one run yields a verdict per mutant, provided each message can be traced to its mutant:

    import <union of the units' imports>
    #print "alchemy-done:<nonce>:header"
    section                                  ┐ unit 0 (its line range)
    set_option maxHeartbeats N               │
    <the unit's text>                        │
    end                                      │
    #print "alchemy-done:<nonce>:0"          ┘ end-of-unit marker
    ...

Messages are attributed by line range.  `lean` reports messages in command order, so the
end-of-unit marker of unit i arrives only once everything about units 0..i has been said: a
unit with its marker is decided even if Lean later hangs or crashes, and one without it is
not.  (A unit that swallows the rest of the file, say with an unterminated comment, is caught
the same way: the markers after it never arrive.)  Undecided units are re-run: the first
of them alone when the run made progress or hung (it is the likely culprit), else (a crash
before anything was reported) the batch halved, until a unit that hangs or crashes alone
gets `timeout` or `crashed`.
"""

from __future__ import annotations

import bisect
import json
import secrets
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from lean_alchemy.core.records import Verdict
from lean_alchemy.jobs.checkers.base import (
    CRASHED, IMPORT_FAILED, OTHER, REJECTED, TIMEOUT, WALL_CLOCK_TIMEOUT, CheckUnit,
    LeanMessage, StartRetry, VerdictMaker, crash_class, describe_exit, judge,
    looks_like_crash, unit_offset, wrap_unit)
from lean_alchemy.jobs.checkers.limits import Output, run_collect

BACKEND = "lean-json"


@dataclass(frozen=True)
class BatchFile:
    """The text of one batch file and where each unit sits in it (1-based, inclusive, from
    the unit's `section` line to its end-of-unit marker)."""

    text: str
    nonce: str
    header_end: int  # last line of the import header (incl. its marker)
    ranges: tuple[tuple[int, int], ...]
    first_lines: tuple[int, ...]  # line of each unit's own first line

    def marker(self, i: int | str) -> str:
        return f"alchemy-done:{self.nonce}:{i}"


def union_imports(units: Sequence[CheckUnit]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for u in units:
        for m in u.imports:
            seen.setdefault(m, None)
    return tuple(seen)


def build_batch(units: Sequence[CheckUnit], max_heartbeats: int,
                nonce: str | None = None) -> BatchFile:
    """Lay out a batch file; pure (the nonce keeps a unit's text from faking a marker)."""
    nonce = nonce or secrets.token_hex(6)
    lines = [f"import {m}" for m in union_imports(units)]
    lines.append(f'#print "alchemy-done:{nonce}:header"')
    header_end = len(lines)
    ranges, firsts = [], []
    for i, u in enumerate(units):
        lines.append("")
        lines.append(f"-- alchemy unit {i}: {u.mutant_id}")
        start = len(lines) + 1
        lines.extend(wrap_unit(u, max_heartbeats))
        lines.append(f'#print "alchemy-done:{nonce}:{i}"')
        ranges.append((start, len(lines)))
        firsts.append(start + unit_offset(max_heartbeats))
    return BatchFile("\n".join(lines) + "\n", nonce, header_end, tuple(ranges), tuple(firsts))


@dataclass
class BatchRun:
    """One `lean --json` run over a batch file, its output attributed to units."""

    per_unit: list[list[LeanMessage]]
    done_at: list[float | None]  # arrival time of each unit's end marker
    header_at: float | None
    header_errors: list[LeanMessage]
    trailing: list[LeanMessage]  # messages after the last unit (end of file)
    garbage: int  # stdout lines that were not Lean messages
    out: Output = field(repr=False, default_factory=Output)


def attribute(batch: BatchFile, out: Output) -> BatchRun:
    """Parse `lean --json` lines and give each message to the unit whose range holds it."""
    n = len(batch.ranges)
    run = BatchRun([[] for _ in range(n)], [None] * n, None, [], [], 0, out)
    starts = [r[0] for r in batch.ranges]
    markers = {batch.marker(i): i for i in range(n)}
    header_marker = batch.marker("header")
    for t, line in out.lines:
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            run.garbage += 1
            continue
        msg = LeanMessage.from_json(obj) if isinstance(obj, dict) else None
        if msg is None:
            run.garbage += 1
            continue
        if msg.severity == "info":
            text = msg.text.strip()
            if text == header_marker and msg.line == batch.header_end:
                run.header_at = t
                continue
            i = markers.get(text)
            if i is not None and msg.line == batch.ranges[i][1]:
                run.done_at[i] = t
                continue
        if msg.line <= batch.header_end:
            if msg.severity == "error":
                run.header_errors.append(msg)
            continue
        k = bisect.bisect_right(starts, msg.line) - 1
        if k >= 0 and msg.line <= batch.ranges[k][1]:
            run.per_unit[k].append(msg)
        elif k == n - 1:
            run.trailing.append(msg)
        else:  # before a unit's block (its comment line): it can only concern that unit
            run.per_unit[k + 1].append(msg)
    return run


class LeanJsonChecker:
    """Batch-file checker.  `check` never loses a unit: each gets exactly one verdict."""

    backend = BACKEND

    def __init__(self, command: Sequence[str], workspace: Path, maker: VerdictMaker, *,
                 timeout_s: float, memory_limit_mb: int, max_heartbeats: int,
                 env: dict[str, str] | None = None, tmp_dir: Path | None = None,
                 starts: StartRetry | None = None) -> None:
        self.command = list(command)  # e.g. [lake, "env", "lean"]
        self.workspace = Path(workspace)
        self.maker = maker
        self.timeout_s = timeout_s
        self.memory_limit_mb = memory_limit_mb
        self.max_heartbeats = max_heartbeats
        self.env = env
        self.tmp_dir = tmp_dir
        self.runs = 0  # Lean processes started (bisection makes more than one per batch)
        self.starts = starts or StartRetry(attempts=5, backoff_s=2.0)

    def close(self) -> None:  # no process outlives a `check` call
        pass

    def _run(self, units: Sequence[CheckUnit]) -> tuple[BatchFile, BatchRun]:
        batch = build_batch(units, self.max_heartbeats)
        with tempfile.TemporaryDirectory(prefix="alchemy-batch-", dir=self.tmp_dir) as d:
            path = Path(d) / f"Batch_{batch.nonce}.lean"
            path.write_text(batch.text, encoding="utf-8")
            self.runs += 1
            out = run_collect([*self.command, "--json", str(path)], self.workspace,
                              self.memory_limit_mb, self.timeout_s, env=self.env)
        return batch, attribute(batch, out)

    def check(self, units: Sequence[CheckUnit]) -> list[Verdict]:
        verdicts: dict[int, Verdict] = {}
        todo: list[int] = []
        for i, u in enumerate(units):
            if u.sorry_precheck():
                verdicts[i] = self.maker.sorry(u)
            else:
                todo.append(i)
        groups: deque[list[int]] = deque([todo] if todo else [])
        while groups:
            group = groups.popleft()
            for sub in self._check_group(units, group, verdicts):
                groups.append(sub)
        return [verdicts[i] for i in range(len(units))]

    def _check_group(self, units: Sequence[CheckUnit], group: list[int],
                     verdicts: dict[int, Verdict]) -> list[list[int]]:
        """Run one group; record what it decides; return the groups still to run."""
        batch, run = self._run([units[i] for i in group])
        out = run.out
        if run.header_at is None and not run.header_errors:  # Lean did not start: retry
            if out.timed_out:
                self.starts.failed(
                    f"Lean did not get past the import header within {self.timeout_s:g}s "
                    f"(imports: {', '.join(union_imports([units[i] for i in group])) or '-'});"
                    " raise [check] timeout_s or warm the page cache")
            else:
                self.starts.failed(f"`{' '.join(self.command)} --json` failed before reading "
                                   f"the import header in {self.workspace}: "
                                   f"{describe_exit(out.returncode, out.stderr)}")
            return [group]
        self.starts.succeeded()
        if run.header_errors:
            import_sets = {units[i].imports for i in group}
            if len(group) > 1 and len(import_sets) > 1:
                by: dict[tuple[str, ...], list[int]] = {}
                for i in group:
                    by.setdefault(units[i].imports, []).append(i)
                return list(by.values())
            err = run.header_errors[0]
            for i in group:
                verdicts[i] = self.maker.make(units[i], REJECTED, IMPORT_FAILED,
                                              f"{err.line}:{err.column}: {err.text}")
            return []
        pending: list[int] = []
        prev = run.header_at or 0.0
        for k, i in enumerate(group):
            t = run.done_at[k]
            if t is None:
                pending.append(k)
                continue
            verdicts[i] = self.maker.from_messages(units[i], run.per_unit[k],
                                                   batch.first_lines[k], t - prev)
            prev = t
        if not pending:
            return []
        if len(group) == 1:
            verdicts[group[0]] = self._alone(units[group[0]], batch, run)
            return []
        left = [group[k] for k in pending]
        if len(left) == 1:
            return [left]
        if len(left) < len(group) or out.timed_out:
            # Lean reports in command order, so the first undecided unit is the suspect: the
            # one Lean was stuck on (a hang), or was busy with when it died (a crash after
            # progress).  Alone it gets its verdict; the rest go on as one batch.
            return [left[:1], left[1:]]
        # a crash before any unit was reported: no suspect, halve
        half = len(left) // 2
        return [left[:half], left[half:]]

    def _alone(self, unit: CheckUnit, batch: BatchFile, run: BatchRun) -> Verdict:
        """The verdict of a unit that ran alone and never reached its end marker."""
        out = run.out
        if out.timed_out:
            return self.maker.make(unit, TIMEOUT, WALL_CLOCK_TIMEOUT,
                                   f"no result within {self.timeout_s:g}s; Lean was killed",
                                   out.elapsed)
        if not looks_like_crash(out.returncode, out.stderr):
            msgs = run.per_unit[0] + run.trailing
            if judge(msgs)[0] == REJECTED:  # e.g. an unterminated comment, reported at EOF
                return self.maker.from_messages(unit, msgs, batch.first_lines[0], out.elapsed)
            if out.returncode == 0:
                return self.maker.make(unit, REJECTED, OTHER,
                                       "Lean finished without reaching the end of the unit "
                                       "(does it contain `#exit`?)", out.elapsed)
        return self.maker.make(unit, CRASHED, crash_class(out.returncode, out.stderr),
                               describe_exit(out.returncode, out.stderr)
                               + (f" ({run.garbage} lines of garbage output)"
                                  if run.garbage else ""), out.elapsed)
