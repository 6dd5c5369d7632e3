"""The forecast printed before mutating: mutants under the cap, disk, time, and a warning
when the run database would not fit."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.store import invocations_path
from lean_alchemy.mutate import forecast as fc
from lean_alchemy.mutate.options import MutateOptions


def _run(tmp_path, per_theorem: dict[str, int]) -> RunDir:
    run = RunDir(tmp_path / "run").ensure()
    names = [n for n, k in per_theorem.items() for _ in range(k)]
    pq.write_table(pa.table({"candidate": names}), invocations_path(run))
    return run


def test_forecast_counts_invocations_under_the_cap(tmp_path) -> None:
    run = _run(tmp_path, {"A": 100, "B": 3, "C": 20})
    f = fc.forecast(run, MutateOptions(max_per_theorem=16), workers=2, free_bytes=10 ** 12)
    assert (f.invocations, f.capped) == (123, 16 + 3 + 16)
    assert f.mutants == round(35 * fc.STORED_PER_INVOCATION)
    assert f.disk_bytes == int(f.mutants * fc.BYTES_PER_MUTANT * fc.DISK_MARGIN)
    assert f.wall_seconds == f.cpu_seconds / 2
    nocap = fc.forecast(run, MutateOptions(max_per_theorem=None), 1, free_bytes=10 ** 12)
    assert nocap.capped == 123 and not nocap.disk_short


def test_forecast_warns_when_the_disk_is_short(tmp_path, monkeypatch) -> None:
    run = _run(tmp_path, {f"T{i}": 64 for i in range(1000)})
    monkeypatch.setattr(fc, "free_space", lambda where: 10 ** 12)
    lines = fc.forecast_lines(run, MutateOptions())
    assert len(lines) == 1 and lines[0].startswith("forecast: ~")
    monkeypatch.setattr(fc, "free_space", lambda where: 1000)
    lines = fc.forecast_lines(run, MutateOptions())
    assert len(lines) == 2 and lines[1].startswith("warning: the forecast run database")
    assert "max_per_theorem" in lines[1]


def test_no_index_no_forecast(tmp_path) -> None:
    assert fc.forecast_lines(RunDir(tmp_path / "empty").ensure(), MutateOptions()) == []
