"""Size of a run database per mutant, and a digest of the Lean text it gives back.

What it measures: `run.sqlite` bytes (with its write-ahead log) per stored mutant, the
bytes of each table and index (SQLite's `dbstat`, where compiled in), and a SHA-256 digest
over the texts of `--sample` mutants drawn with a seeded generator from the sorted ids:
for each, its id, Lean unit, header, proof, statement and imports as `RunDB.get` returns
them.  The digest uses only `RunDB.mutant_ids` and `RunDB.get`, so the same script run by
two versions of lean-alchemy on databases of the same input says whether they give back
byte-identical Lean text, whatever each stores.

Prints one JSON object.

    .venv/bin/python benchmarks/storage.py RUN_DIR [--sample 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import time
from pathlib import Path

from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir


def table_bytes(db_path: Path) -> dict[str, int]:
    """Bytes per table and index (empty when SQLite lacks the `dbstat` table)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.OperationalError:
        rows = []
    finally:
        con.close()
    return {name: int(size) for name, size in rows}


def text_digest(db: RunDB, ids: list[str]) -> tuple[str, str]:
    """(digest of every text field, digest of the Lean units alone) of these mutants."""
    every, lean = hashlib.sha256(), hashlib.sha256()
    for i in ids:
        m = db.get(i)
        assert m is not None, i
        for text in (m.id, m.lean, m.header, m.proof, m.statement, "\n".join(m.imports)):
            every.update(text.encode("utf-8") + b"\0")
        lean.update(m.lean.encode("utf-8") + b"\0")
    return every.hexdigest(), lean.hexdigest()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--sample", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    run = RunDir.at(args.run_dir)
    path = run.db
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    size += wal.stat().st_size if wal.exists() else 0
    t0 = time.process_time()
    with RunDB.for_run(run, mode="read") as db:
        ids = sorted(db.mutant_ids())
        chosen = random.Random(args.seed).sample(ids, min(args.sample, len(ids)))
        every, lean = text_digest(db, chosen)
    cpu = time.process_time() - t0
    print(json.dumps({
        "run_dir": str(args.run_dir), "mutants": len(ids), "db_bytes": size,
        "bytes_per_mutant": round(size / max(len(ids), 1), 1),
        "tables": table_bytes(path), "sample": len(chosen), "seed": args.seed,
        "digest_all_texts": every, "digest_lean": lean,
        "read_cpu_ms_per_mutant": round(1000 * cpu / max(len(chosen), 1), 3),
    }, indent=2))


if __name__ == "__main__":
    main()
