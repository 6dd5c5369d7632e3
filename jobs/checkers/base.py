"""What every Lean checker shares: the unit of work, the verdict rules, message classification.

Why one module: the two backends (batch files through `lake env lean --json`, a pool of REPL
processes) must judge a mutant identically, so that a corpus row means the same thing whichever
backend checked it.  Everything here is pure: no processes, no files.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.leantext import contains_sorry
from lean_alchemy.core.records import Verdict

VERIFIED, REJECTED, TIMEOUT, CRASHED = "verified", "rejected", "timeout", "crashed"
# an open statement (proof `sorry`) that elaborates: only the statement is checked
STATEMENT_OK = "statement_ok"

# error classes (Verdict.error_class); short, stable strings that `alchemy status` counts
DETERMINISTIC_TIMEOUT = "deterministic timeout"
UNKNOWN_IDENTIFIER = "unknown identifier"
FAILED_TO_SYNTHESIZE = "failed to synthesize"
TYPE_MISMATCH = "type mismatch"
UNSOLVED_GOALS = "unsolved goals"
REWRITE_FAILED = "rewrite failed"
PARSE_ERROR = "parse error"
USES_SORRY = "uses sorry"
IMPORT_FAILED = "import failed"
OTHER = "other"
WALL_CLOCK_TIMEOUT = "wall-clock timeout"
OUT_OF_MEMORY = "out of memory"
CRASH = "crash"
REPL_ERROR = "repl error"

MAX_ERROR_CHARS = 1000

# The axioms Lean's own library rests on.  A proof may use them; any other axiom (`sorryAx`,
# which every `sorry` elaborates to, directly or through a sorry'd lemma, or an `axiom` a
# library declares) means the statement is not proved.
STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})


log = logging.getLogger(__name__)


class CheckerError(AlchemyError):
    """Lean could not run at all (not a verdict on any mutant): `lake env` failed before the
    import header was read, the import itself failed to finish, the REPL would not start.
    The orchestrator leaves the mutants pending; they are not the culprits."""


class StartRetry:
    """Failed starts of Lean in one checker: an infrastructure failure, not a verdict.

    A Lean process that panics before reading its header, or whose import hangs, says
    nothing about the mutants, and such failures are often transient (a loaded machine, a
    flaky network disk).  So each one is retried after a growing wait; only `attempts`
    failures in a row (no start succeeded in between, whatever the batch) mean Lean cannot
    start here, and raise `CheckerError` with the last failure's whole message."""

    MAX_WAIT_S = 60.0

    def __init__(self, attempts: int, backoff_s: float) -> None:
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.in_a_row = 0
        self.total = 0  # failed starts over the checker's life (logs, tests)

    def succeeded(self) -> None:
        self.in_a_row = 0

    def failed(self, message: str) -> None:
        """Wait before the next attempt, or raise when the failures in a row reach the
        bound."""
        self.in_a_row += 1
        self.total += 1
        if self.in_a_row >= self.attempts:
            raise CheckerError(f"Lean failed to start {self.in_a_row} times in a row; the "
                               f"last time: {message}")
        wait = min(self.backoff_s * 2 ** (self.in_a_row - 1), self.MAX_WAIT_S)
        log.warning("Lean failed to start (%d in a row), retrying in %.1f s: %s",
                    self.in_a_row, wait, message)
        time.sleep(wait)


@dataclass(frozen=True)
class CheckUnit:
    """One mutant to check.  `lean` is the mutant's complete check unit (scope header,
    declaration, `end`s) without import lines; `imports` are the modules it needs."""

    mutant_id: str
    name: str
    imports: tuple[str, ...]
    lean: str
    # an open statement (`Mutant.proof_status` "open"): its proof is `sorry` by design, so
    # only errors reject it, and without one it is `statement_ok`, never `verified`
    open_statement: bool = False

    def sorry_precheck(self) -> bool:
        """Whether the text's `sorry` decides the verdict before Lean (proved units)."""
        return not self.open_statement and contains_sorry(self.lean)


class Checker(Protocol):
    """A Lean checker: one verdict per unit, in the order given."""

    backend: str  # "lean-json" | "repl"

    def check(self, units: Sequence[CheckUnit]) -> list[Verdict]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LeanMessage:
    """A Lean message in the coordinates of the text Lean saw (1-based lines, 0-based
    columns, as Lean reports them)."""

    line: int
    column: int
    end_line: int
    end_column: int
    severity: str  # "error" | "warning" | "info"
    text: str

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "LeanMessage | None":
        """Both dialects: `lean --json` (`severity: information`, `caption` + `data`) and the
        REPL (`severity: info`, `data`).  None when `obj` is not a message."""
        pos = obj.get("pos")
        sev = obj.get("severity")
        data = obj.get("data")
        if not isinstance(pos, dict) or not isinstance(sev, str) or not isinstance(data, str):
            return None
        try:
            line, col = int(pos["line"]), int(pos["column"])
        except (KeyError, TypeError, ValueError):
            return None
        end = obj.get("endPos") if isinstance(obj.get("endPos"), dict) else pos
        try:
            eline, ecol = int(end["line"]), int(end["column"])
        except (KeyError, TypeError, ValueError):
            eline, ecol = line, col
        caption = obj.get("caption")
        text = f"{caption}:\n{data}" if isinstance(caption, str) and caption else data
        severity = "info" if sev in ("information", "info") else sev
        return LeanMessage(line, col, eline, ecol, severity, text)


_AXIOMS_LIST = re.compile(r"depends on axioms:\s*\[([^\]]*)\]")
_NO_AXIOMS = re.compile(r"does not depend on any axioms")
_PLAIN_NAME_PART = re.compile(r"[^\W\d][\w'!?₀-₉ₐ-ₜ]*")


def lean_name(name: str) -> str:
    """`name` as Lean source: components that are not plain identifiers go in «»."""
    return ".".join(p if _PLAIN_NAME_PART.fullmatch(p) else f"«{p}»" for p in name.split("."))


def axioms_command(name: str) -> str:
    """The command after a unit that makes Lean list the axioms its declaration uses."""
    return f"#print axioms {lean_name(name)}"


def reported_axioms(messages: Sequence[LeanMessage]) -> tuple[str, ...] | None:
    """The axioms of the last `#print axioms` answer among `messages` (None when there is
    none).  Lean answers "'N' depends on axioms: [propext, sorryAx]" (the list may wrap
    over lines) or "'N' does not depend on any axioms"."""
    for m in reversed(messages):
        if m.severity != "info":
            continue
        found = _AXIOMS_LIST.search(m.text)
        if found:
            return tuple(a.strip().strip("«»") for a in found.group(1).split(",") if a.strip())
        if _NO_AXIOMS.search(m.text):
            return ()
    return None


def unsound_axioms(axioms: Sequence[str]) -> list[str]:
    """The axioms outside Lean's standard three (`sorryAx` first when present)."""
    return sorted((a for a in axioms if a not in STANDARD_AXIOMS), key=lambda a: a != "sorryAx")


_HEARTBEATS = re.compile(r"\(deterministic\) timeout|maximum number of heartbeats", re.I)
_SORRY_WARNING = re.compile(r"declaration uses ['`]sorry['`]", re.I)
_FIRST_LINE_CLASSES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), c) for p, c in (
        (r"unknown (identifier|constant)", UNKNOWN_IDENTIFIER),
        (r"failed to synthesize", FAILED_TO_SYNTHESIZE),
        (r"type mismatch", TYPE_MISMATCH),
        (r"unsolved goals", UNSOLVED_GOALS),
        (r"did not find instance of the pattern|motive is not type correct|"
         r"rewrite failed|tactic .?rewrite.? failed", REWRITE_FAILED),
        (r"declaration uses ['`]sorry['`]", USES_SORRY),
        (r"^unexpected |^expected |unterminated comment|unexpected end of input", PARSE_ERROR),
        (r"unknown module prefix|object file .* does not exist|unknown package", IMPORT_FAILED),
    ))


def classify_error(text: str) -> str:
    """A short class for a Lean error message.  Heartbeat timeouts are recognised anywhere
    (Lean nests them: "Tactic `simp` failed with a nested error: (deterministic) timeout");
    the others by the message's first line, so that goal text quoted below it (which may
    contain any word) cannot change the class.  Case-insensitive: Lean's 2025 message
    overhaul capitalised many of them ("Unknown identifier", "Type mismatch")."""
    if _HEARTBEATS.search(text):
        return DETERMINISTIC_TIMEOUT
    first = text.strip().split("\n", 1)[0]
    for pat, cls in _FIRST_LINE_CLASSES:
        if pat.search(first):
            return cls
    return OTHER


def judge_statement(messages: Sequence[LeanMessage]
                    ) -> tuple[str, str | None, LeanMessage | None]:
    """`judge` for an open statement: the first error rejects; the `sorry` warning and
    `sorryAx` are its proof's, so anything else means the statement elaborates."""
    for m in messages:
        if m.severity == "error":
            return REJECTED, classify_error(m.text), m
    return STATEMENT_OK, None, None


def judge(messages: Sequence[LeanMessage]) -> tuple[str, str | None, LeanMessage | None]:
    """(status, error class, the deciding message) for the messages of one unit: the first
    error rejects; a `declaration uses 'sorry'` warning rejects (Lean accepts such a file);
    so does a `#print axioms` answer naming an axiom outside the standard three (a proof
    through a sorry'd lemma gets no warning, only `sorryAx` among its axioms); anything else
    verifies."""
    for m in messages:
        if m.severity == "error":
            return REJECTED, classify_error(m.text), m
    for m in messages:
        if m.severity == "warning" and _SORRY_WARNING.search(m.text):
            return REJECTED, USES_SORRY, m
    axioms = reported_axioms(messages)
    bad = unsound_axioms(axioms or ())
    if bad:
        at = next(m for m in reversed(messages) if m.severity == "info"
                  and (_AXIOMS_LIST.search(m.text) or _NO_AXIOMS.search(m.text)))
        return REJECTED, USES_SORRY, LeanMessage(
            at.line, at.column, at.end_line, at.end_column, "info",
            f"depends on axioms outside Lean's standard three: {', '.join(bad)}")
    return VERIFIED, None, None


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------- unit text

_HEARTBEAT_OPTION = re.compile(r"set_option\s+maxHeartbeats\s+\d+")


def wrap_unit(unit: CheckUnit, max_heartbeats: int) -> list[str]:
    """The lines a checker compiles for one unit: an anonymous `section` that scopes whatever
    the unit opens, the heartbeat limit when one is imposed (replacing any the mutant carries,
    which would otherwise override it), the unit, `#print axioms` of its declaration (by its
    full name: the unit has closed its namespaces), `end`.  The unit's own text starts on
    the line after the first one (or two, with a heartbeat line)."""
    text = unit.lean.rstrip("\n")
    lines = ["section"]
    if max_heartbeats > 0:
        text = _HEARTBEAT_OPTION.sub(f"set_option maxHeartbeats {max_heartbeats}", text)
        lines.append(f"set_option maxHeartbeats {max_heartbeats}")
    lines.extend(text.split("\n"))
    lines.append(axioms_command(unit.name))
    lines.append("end")
    return lines


def unit_offset(max_heartbeats: int) -> int:
    """Lines of `wrap_unit` before the unit's own first line."""
    return 2 if max_heartbeats > 0 else 1


@dataclass(frozen=True)
class VerdictMaker:
    """Stamps backend and versions on every verdict."""

    backend: str
    lean_version: str
    mathlib_rev: str

    def make(self, unit: CheckUnit, status: str, error_class: str | None = None,
             first_error: str | None = None, elapsed: float = 0.0,
             axioms: tuple[str, ...] | None = None) -> Verdict:
        return Verdict(mutant_id=unit.mutant_id, status=status, error_class=error_class,
                       first_error=clip(first_error) if first_error is not None else None,
                       elapsed=round(max(elapsed, 0.0), 6), backend=self.backend,
                       lean_version=self.lean_version, mathlib_rev=self.mathlib_rev,
                       axioms=axioms)

    def sorry(self, unit: CheckUnit) -> Verdict:
        return self.make(unit, REJECTED, USES_SORRY,
                         "the proof contains `sorry` or `admit` (not sent to Lean)")

    def from_messages(self, unit: CheckUnit, messages: Sequence[LeanMessage], first_line: int,
                      elapsed: float) -> Verdict:
        """`first_line`: the line (in Lean's coordinates) of the unit's own first line, so
        that first_error's position is reported in the unit's text."""
        status, cls, msg = (judge_statement if unit.open_statement else judge)(messages)
        axioms = reported_axioms(messages)
        err = None
        if msg is not None:
            err = f"{msg.line - first_line + 1}:{msg.column}: {msg.text}"
        elif axioms is None:  # no proof that the declaration rests on sound axioms only
            status, cls = REJECTED, OTHER
            err = f"Lean did not report the axioms of {unit.name} (is the name declared?)"
        return self.make(unit, status, cls, err, elapsed, axioms)


_CRASH_SIGNS = re.compile(r"INTERNAL PANIC|out of memory|std::bad_alloc|cannot allocate|"
                          r"Stack overflow|Segmentation fault|uncaught exception", re.I)


def looks_like_crash(returncode: int | None, stderr: str) -> bool:
    """Lean ended abnormally: killed by a signal, an exit code other than 0 (fine) and 1
    (errors reported), or a panic on stderr.  (Other stderr text, such as `lake` warning
    about its manifest, is no crash.)"""
    return returncode is None or returncode not in (0, 1) or bool(_CRASH_SIGNS.search(stderr))


def crash_class(returncode: int | None, stderr: str) -> str:
    """Out of memory (the RLIMIT_AS cap hit: Lean reports it; the OOM killer: SIGKILL, which a
    shell or `lake` reports as 137) or another crash."""
    if returncode in (137, -9) or re.search(r"out of memory|std::bad_alloc|cannot allocate",
                                            stderr, re.I):
        return OUT_OF_MEMORY
    return CRASH


def describe_exit(returncode: int | None, stderr: str) -> str:
    if returncode is None:
        what = "Lean process stopped"
    elif returncode < 0:
        what = f"Lean process killed by signal {-returncode}"
    else:
        what = f"Lean process exited with code {returncode}"
    return f"{what}: {stderr_tail(stderr)}" if stderr.strip() else what


def stderr_tail(stderr: str, limit: int = 600) -> str:
    """The last whole lines of `stderr` within about `limit` characters, on one line; a
    panic line is always kept.  (Cutting at a character count started the message
    mid-sentence.)"""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    kept: list[str] = []
    size = 0
    for ln in reversed(lines):
        if kept and size + len(ln) > limit:
            break
        kept.append(ln)
        size += len(ln) + 3
    kept.reverse()
    panic = next((ln for ln in lines if _CRASH_SIGNS.search(ln)), None)
    if panic is not None and panic not in kept:
        kept.insert(0, panic + " ...")
    return " | ".join(kept)
