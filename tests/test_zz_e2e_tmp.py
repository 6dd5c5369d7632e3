import time
from pathlib import Path
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.jobs.checkers import make_checker
from lean_alchemy.jobs.check import to_units
from lean_alchemy.jobs.options import CheckOptions
WORKSPACE = Path(__file__).resolve().parents[1] / "lean_workspace"

def test_e2e(standin_toolchain, tmp_path):
    from lean_alchemy.extract.index import run_index
    from lean_alchemy.extract.index_options import IndexOptions
    from lean_alchemy.extract.options import ExtractOptions
    from lean_alchemy.extract.pipeline import run_extract
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import run_mutate
    from lean_alchemy.jobs.db import RunDB
    t=time.time()
    run = RunDir.at(tmp_path / "run")
    run_extract(WORKSPACE, run, ExtractOptions(jobs=1, progress=False))
    run_index(run, IndexOptions())
    run_mutate(run, MutateOptions(max_per_theorem=None))
    rows = [it[0] if isinstance(it, tuple) else it for it in RunDB.for_run(run).iter_mutants(statuses=None)]
    print("mutate", time.time()-t, len(rows))
    units = to_units(rows)
    for backend in ("lean-json", "repl"):
        t=time.time()
        c = make_checker(CheckOptions(backend=backend, timeout_s=30, batch_size=64), standin_toolchain, import_timeout_s=30)
        vs = []
        for s in range(0, len(units), 64):
            vs += c.check(units[s:s+64])
        c.close()
        from collections import Counter
        print(backend, time.time()-t, Counter((v.status, v.error_class) for v in vs), getattr(c, "runs", None), getattr(c, "stats", None))
        bad = [(u.lean, v) for u, v in zip(units, vs) if v.status != "verified"]
        for b in bad[:3]: print(b)
