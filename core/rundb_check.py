"""The check every command makes before it trusts a run database file.

Why: SQLite takes a zero-length file for an empty database and happily creates tables in it,
and a file damaged past its first pages opens fine and fails only when a damaged page is
read.  A run whose database was lost would then look like a run with nothing in it: `check`
finds nothing to do, `corpus` exports 0 rows with exit 0.  So before a command uses
`RUN/run.sqlite` it checks the file (SQLite header, length against the page count the
header records), runs SQLite's own `quick_check`, and compares it with what the run
directory says happened (a run whose mutate stage finished cannot have an empty database).
Any failure is one error that names what was lost and how to get it back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import AlchemyError
from .rundir import RunDir

SQLITE_MAGIC = b"SQLite format 3\x00"
# Up to this size `PRAGMA quick_check` reads the whole file (0.4 s for 300 MB from the page
# cache); above it only the narrow `states` table and its indexes are checked.
QUICK_CHECK_MAX_BYTES = 1 << 30


def sqlite_file_problem(path: Path) -> str | None:
    """What is wrong with the file at `path` as an SQLite database, from its first 100
    bytes and its length alone; None when nothing is."""
    size = path.stat().st_size
    if size == 0:
        return "it is empty (0 bytes)"
    with path.open("rb") as f:
        head = f.read(100)
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        return "it is not an SQLite database (its header is missing or overwritten)"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    # the page count in the header is valid when the change counter matches (SQLite >= 3.7)
    if head[24:28] == head[92:96] and pages and size < pages * page_size:
        return f"it is truncated ({size} bytes of {pages * page_size})"
    return None


CHECKED_MARKER = ".run.sqlite.checked"  # in the run directory: the file as last found sound


def file_signature(path: Path, dbapi_conn) -> str:
    """What changes when anything is written: the file's size and the database's
    `data_version` (its id and write counter, `RunDB.data_version`).  Not the modification
    time: SQLite's checkpoint on closing a connection rewrites pages without a change."""
    cur = dbapi_conn.cursor()
    try:
        rows = cur.execute("SELECT key, value FROM alchemy_meta WHERE key IN "
                           "('database_id', 'data_version') ORDER BY key").fetchall()
    except Exception:  # noqa: BLE001 - no version: never skip the check
        rows = []
    finally:
        cur.close()
    if len(rows) < 2:
        return ""
    return f"{path.stat().st_size} " + " ".join(str(v) for _, v in rows)


def checked_integrity_problem(run: RunDir, path: Path, dbapi_conn) -> str | None:
    """`integrity_problem`, skipped when the file is unchanged since it last passed.

    Why: `quick_check` of a full-Mathlib database's `states` reads millions of index
    entries (7 s and more on a shared 2-core machine), and every command that opens the run
    paid it again, so a re-run with nothing to do took half a minute.  The signature
    (`file_signature`) is taken before the check, so a write during it means a new check
    next time; a run directory that cannot be written is checked every time.  Damage that
    keeps the size and the counter (a flipped bit on disk) is found by the next write's
    check, or by reading the damaged page."""
    marker = run.root / CHECKED_MARKER
    signature = file_signature(path, dbapi_conn)
    try:
        if signature and marker.read_text(encoding="utf-8") == signature:
            return None
    except OSError:
        pass
    problem = integrity_problem(dbapi_conn, path.stat().st_size)
    if problem is None and signature:
        try:
            tmp = marker.with_name(marker.name + ".tmp")
            tmp.write_text(signature, encoding="utf-8")
            os.replace(tmp, marker)
        except OSError:
            pass
    return problem


def integrity_problem(dbapi_conn, size: int) -> str | None:
    """SQLite's `quick_check` (of the whole file, or of `states` for a large one); None
    when it reports ok."""
    cur = dbapi_conn.cursor()
    try:
        if size <= QUICK_CHECK_MAX_BYTES:
            rows = cur.execute("PRAGMA quick_check(3)").fetchall()
        else:
            rows = cur.execute("PRAGMA quick_check(states)").fetchall()
    except Exception as e:  # noqa: BLE001 - a page too damaged to check is the answer
        return f"SQLite cannot read it: {' '.join(str(e).split())}"
    finally:
        cur.close()
    found = [ln.strip() for r in rows if str(r[0]).lower() != "ok"
             for ln in str(r[0]).splitlines() if ln.strip() and not ln.startswith("***")]
    return f"SQLite's integrity check failed: {'; '.join(found)[:300]}" if found else None


def mutants_made(run: RunDir) -> int | None:
    """How many mutants the run's mutate stage stored, when it finished (None when mutate
    has not finished or left no record)."""
    stats_path = run.stats_path("mutate")
    try:
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stats = None
    if isinstance(stats, dict):
        total = stats.get("mutants_total")
        if isinstance(total, int):
            return total
        by_kind = stats.get("mutants")
        if isinstance(by_kind, dict):
            return int(sum(v for v in by_kind.values() if isinstance(v, (int, float))))
    try:
        state = json.loads((run.root / "run.state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return 1 if isinstance(state, dict) and "mutate" in state else None


def verdicts_recorded(run: RunDir) -> int:
    """Lean verdicts in the database at the end of the last `alchemy check` (0 if none)."""
    try:
        stats = json.loads(run.stats_path("check").read_text(encoding="utf-8"))
        counts = stats.get("database") or {}
    except (OSError, ValueError, AttributeError):
        return 0
    return sum(int(counts.get(s, 0)) for s in ("verified", "rejected", "timeout", "crashed"))


def readonly_reason(run: RunDir, path: Path) -> str | None:
    """Why the run database cannot be written here (None when it can)."""
    if not os.access(run.root, os.W_OK):
        return f"the run directory {run.root} is read-only"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is read-only"
    return None


def damaged_error(run: RunDir, path: Path, problem: str) -> AlchemyError:
    """One line: what is wrong, what the file held, how to get it back."""
    made = mutants_made(run)
    verdicts = verdicts_recorded(run)
    held = ""
    if made:
        held = (f"; it held the {made} mutants of `alchemy mutate`"
                + (f" and {verdicts} Lean verdicts" if verdicts else ""))
    return AlchemyError(
        f"{path} is damaged: {problem}{held}. To keep what can be read: `sqlite3 {path} "
        f".recover | sqlite3 {path}.recovered && mv {path} {path}.broken && mv "
        f"{path}.recovered {path}`; otherwise `mv {path} {path}.broken` and re-run "
        f"`alchemy mutate --run-dir {run.root}` (extract and index are kept; the verdicts "
        f"are lost and `alchemy check` makes them again)")


def missing_error(run: RunDir, path: Path) -> AlchemyError:
    made = mutants_made(run)
    if made:
        return damaged_error(run, path, "the file is missing although `alchemy mutate` "
                                        "finished")
    return AlchemyError(f"{path} does not exist: run `alchemy mutate --run-dir {run.root}` "
                        f"first")
