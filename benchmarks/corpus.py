"""Corpus export throughput: synthetic verified mutants -> Parquet shards (one JSON line).

Measures the whole per-row pipeline of `alchemy corpus` (row building, features, exclusion,
dedup, decontamination against a small benchmark set, split, tier, Arrow conversion, zstd
Parquet writing), not the database read, the card or the plots.  With `--run RUN_DIR` it
also times the database side on a real run: reading its first `--rows` pending mutants, and
reading plus exporting them (`db_read_rows_per_second`, `db_export_rows_per_second`).

    python benchmarks/corpus.py [--rows N] [--decontam-rows N] [--mathlib DIR] [--repeat K]
                                [--run RUN_DIR]

Statements come from real Mathlib theorems (read from `--mathlib`, textually mutated) so that
sizes, binder structure and compression are realistic; a second, smaller run adds
decontamination against 200 benchmark statements (`BENCH`: one template, numbers varied) and a
third against 24 competition-style statements (`COMPETITION`, written for this benchmark in the
style of miniF2F: numbers and named functions).  `cpu_seconds` (all threads of the process)
tells a slow run on a busy machine from a slow pipeline; `first_arrow_call_seconds` is the
one-off cost, included in `seconds`, of the first pyarrow conversion in a process;
`steal_seconds_runs` is the CPU time the hypervisor took for other guests during each run
(a virtual machine's slow runs are the ones with steal).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa

from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.corpus.build import CorpusStats, build_dataset
from lean_alchemy.corpus.decontam import Decontaminator, items_from_lean
from lean_alchemy.corpus.options import CorpusOptions
from lean_alchemy.corpus.rows import Provenance
from lean_alchemy.corpus.source import json_list, pairs_to_batch
from lean_alchemy.corpus.tokens import split_formal_statement

RELS = ("≤", "<", "=", "≠", "∣")
OPS = ("+", "*", "-", "^")
KINDS = ("rw_goal", "rw_hyp", "apply_hyp")
AREAS = ("Algebra.Group.Basic", "Order.Lattice", "Topology.Basic", "Data.Nat.Prime",
         "NumberTheory.Divisors", "Analysis.Normed.Field")

BENCH = "\n".join(
    f"theorem bench_{i} (x y : ℝ) (h₀ : x + {i} = y) (h₁ : y * {i} < 7) : x ^ {i} ≤ y + {i} := by\n"
    "  sorry" for i in range(200))


# Competition-style statements (our own, in the manner of miniF2F): what a training team
# decontaminates against names numbers and functions that Mathlib's statements rarely hold.
COMPETITION = "\n".join(f"theorem comp_{i} {sig} := by\n  sorry" for i, sig in enumerate((
    "(x : ℝ) (h₀ : 3 * x + 7 = 22) : x = 5",
    "(n : ℕ) (h₀ : n % 7 = 3) : (2 * n + 1) % 7 = 0",
    ": Real.sqrt 2025 = 45",
    "(a b : ℝ) (h₀ : a + b = 13) (h₁ : a - b = 5) : a * b = 36",
    ": (∑ k ∈ Finset.range 101, k) % 6 = 2",
    "(f : ℝ → ℝ) (h₀ : ∀ x, f x = 4 * x ^ 3 + 1) : f 2 = 33",
    "(p : ℕ) (h₀ : Nat.Prime p) (h₁ : p ∣ 91) : p = 7 ∨ p = 13",
    ": Nat.gcd 1337 4011 = 1",
    "(z : ℂ) (h₀ : z ^ 2 = -16) : Complex.abs z = 4",
    "(a : ℤ) (h₀ : a % 2 = 1) : a ^ 2 % 8 = 1",
    "(x y : ℝ) (h₀ : x * y = 24) (h₁ : x + y = 11) : x ^ 2 + y ^ 2 = 73",
    ": (29 ^ 13 - 5 ^ 13) % 7 = 3",
    "(n : ℕ) (h₀ : 0 < n) (h₁ : Nat.lcm n 18 = 126) (h₂ : Nat.gcd n 18 = 6) : n = 42",
    "(x : ℝ) (h₀ : Real.logb 2 x = 5) : x = 32",
    "(a : ℕ → ℝ) (h₀ : a 1 = 2) (h₁ : ∀ n, a (n + 1) = 3 * a n) : a 6 = 486",
    ": Finset.card (Finset.filter (fun n => 17 ∣ n) (Finset.Icc 100 999)) = 53",
    "(x : ℝ) (h₀ : |x - 4| ≤ 9) : -5 ≤ x ∧ x ≤ 13",
    "(b : ℕ) (h₀ : 0 < b) (h₁ : 3 * b ^ 2 + 2 * b + 1 = 57) : b = 4",
    "(f : ℕ → ℕ) (h₀ : ∀ n, f n = n ^ 2 + 1) : (∑ k ∈ Finset.range 10, f k) = 295",
    "(r : ℝ) (h₀ : Real.cos r = 3 / 5) (h₁ : 0 < Real.sin r) : Real.sin r = 4 / 5",
    ": Nat.totient 720 = 192",
    "(m n : ℕ) (h₀ : Nat.Coprime m n) (h₁ : m * n = 1001) (h₂ : m < n) (h₃ : 7 < m) : m = 11",
    "(x : ℂ) (h₀ : x ^ 3 = 1) (h₁ : x ≠ 1) : x ^ 2 + x + 1 = 0",
    "(t : ℝ) (h₀ : 2 ^ t = 1 / 64) : t = -6",
)))


def _mathlib_theorems(root: Path, limit: int) -> list[tuple[str, str, str, str]]:
    """(module, name, signature, proof) of real theorems, read from a Mathlib checkout."""
    out: list[tuple[str, str, str, str]] = []
    for f in sorted(root.glob("Mathlib/**/*.lean")):
        text = f.read_text(encoding="utf-8", errors="replace")
        module = ".".join(f.relative_to(root).with_suffix("").parts)
        for m in _THM.finditer(text):
            chunk = text[m.start(1):m.start(1) + 1500]
            parsed = split_formal_statement(chunk)
            if parsed is None or not parsed[0]:
                continue
            name, sig = parsed
            rest = chunk[chunk.find(sig) + len(sig):]
            proof = rest.partition(":=")[2].split("\n\n")[0].strip() or "rfl"
            out.append((module, name, " ".join(sig.split()), proof))
            if len(out) >= limit:
                return out
    return out


_THM = re.compile(r"^(theorem|lemma) ", re.M)
MUTATIONS = ((" + ", " * "), (" = ", " ≠ "), (" ≤ ", " < "), (" * ", " + "), ("(", "( "))


def engine_features(statement: str, proof: str, depth: int, i: int
                    ) -> tuple[tuple[str, float], ...]:
    """The features `alchemy mutate` stores with every mutant (same keys, same order), so
    the export's merging of engine features with its own is measured as it really runs."""
    return (("statement_size", float(len(statement) // 3)), ("binders", float(i % 6)),
            ("hypotheses", float(i % 3)), ("proof_lines", float(proof.count("\n") + 1)),
            ("proof_chars", float(len(proof))), ("depth", float(depth)),
            ("occurrences", float(1 + i % 2)))


def synthetic(n: int, seed: int = 0, mathlib: Path | None = None
              ) -> list[tuple[Mutant, Verdict]]:
    """n verified mutants, 8 per source theorem; statements from Mathlib when available."""
    rnd = random.Random(seed)
    real = _mathlib_theorems(mathlib, n // 8 + 1) if mathlib is not None else []
    out = []
    for i in range(n):
        k = i // 8
        if real:
            module, src_name, base, orig_proof = real[k % len(real)]
        else:
            module, src_name = f"Mathlib.{AREAS[k % len(AREAS)]}", f"thm{k}"
            a, b = rnd.choice(OPS), rnd.choice(RELS)
            hyps = " ".join(f"(h{j} : x {rnd.choice(RELS)} y {a} {j})"
                            for j in range(rnd.randint(0, 3)))
            base = f"{{α : Type*}} [CommRing α] (x y z : α) {hyps} : x {a} y {b} z {a} x"
            orig_proof = "by ring"
        old, new = MUTATIONS[i % len(MUTATIONS)]
        st = base.replace(old, new, 1) + ("" if i % 8 == 0 else f" ∧ {i % 8} = {i % 8}")
        src = f"{module}.{src_name}"
        name = f"{src_name.split('.')[-1]}_mut{i % 8}"
        proof = f"by\n  have h := {src_name}\n  rw [lemma_{i % 500}] at h\n  exact h"
        lean = f"namespace Foo\nopen Nat\ntheorem {name} {st} := {proof}\nend Foo"
        m = Mutant(id=f"{i:016x}", name=name, parent=src, source_theorem=src,
                   source_module=module, rule=f"lemma_{i % 500}",
                   kind=KINDS[i % 3], direction="fwd", location="goal", depth=1 + (i % 5 == 0),
                   proof_style="merged", statement=st, proof=proof, imports=(module,),
                   header="namespace Foo\nopen Nat", lean=lean,
                   features=engine_features(st, proof, 1 + (i % 5 == 0), i))
        out.append((m, Verdict(m.id, "verified", elapsed=rnd.random() * 3, backend="repl",
                               lean_version="v4.33.0-rc1", mathlib_rev="f4a75053")))
    return out


def database_batches(data: list[tuple[Mutant, Verdict]], rows: int = 8192
                     ) -> list[pa.RecordBatch]:
    """The pairs as the export reads them from a run database: source batches of `rows`
    rows, `imports` and `features` as the database's JSON text (`pairs_to_batch` writes
    what `jobs.db.mutant_row` stores; a test checks it)."""
    return [pairs_to_batch(data[i:i + rows]) for i in range(0, len(data), rows)]


def run(data, opts: CorpusOptions, dec: Decontaminator | None
        ) -> tuple[CorpusStats, float, int, float]:
    """(result, wall seconds, Parquet bytes, CPU seconds of the process, all threads)."""
    prov = Provenance(tool_version="bench")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "corpus"
        c0 = time.process_time()
        t0 = time.perf_counter()
        res = build_dataset(lambda: iter(data), out, opts, {"checked": "true"}, decontam=dec,
                            prov=prov)
        secs = time.perf_counter() - t0
        cpu = time.process_time() - c0
        size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    return res, secs, size, cpu


def steal_seconds() -> float | None:
    """CPU time the hypervisor gave to other guests so far (Linux `/proc/stat`), None
    elsewhere: on a virtual machine a slow run usually coincides with steal."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def first_arrow_call_seconds() -> float:
    """What a fresh process's first pyarrow conversion costs (pyarrow then imports pandas if
    it is installed, as in the dev environment): a one-off per export, measured apart in a
    subprocess and kept out of `rows_per_second` by a warm-up export."""
    code = ("import time, pyarrow as pa; t = time.perf_counter(); pa.array([1]); "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--run", type=Path, default=None,
                    help="a run directory: also time reading and exporting its pending rows")
    ap.add_argument("--repeat", type=int, default=5,
                    help="measured exports; `rows_per_second` is the median one's")
    ap.add_argument("--decontam-rows", type=int, default=50_000,
                    help="rows for the second run, with decontamination (0: skip)")
    ap.add_argument("--mathlib", type=Path, default=Path("/work/data/mathlib"),
                    help="Mathlib checkout for realistic statements (synthetic if absent)")
    args = ap.parse_args()
    mathlib = args.mathlib if (args.mathlib / "Mathlib").is_dir() else None
    t0 = time.perf_counter()
    data = database_batches(synthetic(args.rows, mathlib=mathlib))
    prep = time.perf_counter() - t0
    gc.collect()
    opts = CorpusOptions(shard_rows=100_000, stats=False)
    # Steady-state throughput: a warm-up export of 1,000 rows first pays the one-off costs
    # of a fresh process (pyarrow's first conversion imports pandas when it is installed,
    # regexes compile), reported apart as `first_arrow_call_seconds`
    run([data[0].slice(0, 1000)], opts, None)
    runs, steal = [], []
    for _ in range(max(1, args.repeat)):
        json_list.cache_clear()  # what a fresh export decodes
        gc.collect()
        s0 = steal_seconds()
        runs.append(run(data, opts, None))
        s1 = steal_seconds()
        steal.append(round(s1 - s0, 2) if s0 is not None and s1 is not None else None)
    res, secs, size, cpu = sorted(runs, key=lambda r: r[1])[len(runs) // 2]  # the median
    result = {
        "rows": res.rows, "seconds": round(secs, 3), "cpu_seconds": round(cpu, 3),
        "rows_per_second": round(res.rows / secs), "bytes_per_row": round(size / max(1, res.rows), 1),
        "rows_per_second_runs": [round(r[0].rows / r[1]) for r in runs],
        "steal_seconds_runs": steal,
        "parquet_bytes": size, "shards": sum(len(v) for v in res.shards.values()),
        "statements": "mathlib" if mathlib else "synthetic", "input_seconds": round(prep, 2),
        "by_tier": dict(res.by_tier),
        "first_arrow_call_seconds": round(first_arrow_call_seconds(), 3),
    }
    if args.decontam_rows:
        items = items_from_lean(BENCH, "bench.lean")
        dec = Decontaminator(items, opts.ngram_n, opts.ngram_threshold)
        res2, secs2, _, _ = run(list(_rows(data, args.decontam_rows)), opts, dec)
        result.update({"decontam_rows": res2.seen, "decontam_items": len(items),
                       "decontam_rows_per_second": round(res2.seen / secs2)})
        comp = items_from_lean(COMPETITION, "competition.lean")
        dec = Decontaminator(comp, opts.ngram_n, opts.ngram_threshold)
        res3, secs3, _, _ = run(list(_rows(data, args.decontam_rows)), opts, dec)
        result.update({"decontam_competition_items": len(comp),
                       "decontam_competition_rows_per_second": round(res3.seen / secs3)})
    if args.run is not None:
        result.update(from_run_db(args.run, args.rows, opts))
    print(json.dumps(result))
    return 0


def _rows(batches: Iterable[pa.RecordBatch], n: int) -> Iterator[pa.RecordBatch]:
    """The first `n` rows of `batches`, as batches."""
    for b in batches:
        if n <= 0:
            return
        yield b.slice(0, n)
        n -= b.num_rows


def from_run_db(run_dir: Path, n: int, opts: CorpusOptions) -> dict:
    """What `alchemy corpus --unchecked` does with the first `n` pending rows of a real run
    database: reading them alone, then reading and exporting them together."""
    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.corpus import sources
    pending = sources.pending_batches(RunDir(run_dir))
    t0 = time.perf_counter()
    got = sum(b.num_rows for b in _rows(pending(), n))
    read = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = build_dataset(lambda: _rows(pending(), n), Path(tmp) / "corpus", opts,
                            {"checked": "false"}, prov=Provenance(tool_version="bench"),
                            checked=False)
        both = time.perf_counter() - t0
    return {"db_rows": got, "db_read_rows_per_second": round(got / read),
            "db_export_rows": res.rows, "db_export_rows_per_second": round(res.seen / both)}


if __name__ == "__main__":
    sys.exit(main())
