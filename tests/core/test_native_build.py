"""The compiled (mypyc) build: used only when current, and it changes no output."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lean_alchemy.core import native

REPO = Path(__file__).resolve().parents[2]


def _manifest(root: Path, **over) -> Path:
    meta = {"tag": native.build_tag(), "modules": native.source_hashes()}
    meta.update(over)
    root.mkdir(parents=True, exist_ok=True)
    (root / native.MANIFEST).write_text(json.dumps(meta))
    return root


def _decide(monkeypatch: pytest.MonkeyPatch, setting: str) -> native.NativeStatus:
    monkeypatch.setenv(native.ENV, setting)
    return native._decide()


def test_a_current_build_is_used(tmp_path, monkeypatch):
    root = _manifest(tmp_path / "b")
    status = _decide(monkeypatch, str(root))
    assert status.directory == root and "compiled" in status.reason


def test_a_stale_build_is_not_used_and_names_the_module(tmp_path, monkeypatch):
    hashes = native.source_hashes()
    hashes["mutate.statements"] = "0" * 64
    root = _manifest(tmp_path / "b", modules=hashes)
    status = _decide(monkeypatch, str(root))
    assert status.directory is None
    assert "stale for mutate.statements" in status.reason and "make native" in status.reason


def test_a_build_of_other_modules_is_not_used(tmp_path, monkeypatch):
    hashes = native.source_hashes()
    root = _manifest(tmp_path / "b", modules={**hashes, "mutate.gone": "0" * 64})
    status = _decide(monkeypatch, str(root))
    assert status.directory is None and "other modules" in status.reason
    assert native.build_problem(root) is not None
    del hashes[native.MODULES[0]]
    assert "other modules" in native.build_problem(_manifest(tmp_path / "c", modules=hashes))


def test_a_build_for_another_interpreter_is_not_used(tmp_path, monkeypatch):
    root = _manifest(tmp_path / "b", tag="cpython-39-linux-x86_64")
    status = _decide(monkeypatch, str(root))
    assert status.directory is None and "cpython-39" in status.reason


def test_missing_or_corrupt_manifest_and_the_off_switch(tmp_path, monkeypatch):
    assert _decide(monkeypatch, str(tmp_path / "none")).directory is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / native.MANIFEST).write_text("{not json")
    status = _decide(monkeypatch, str(tmp_path / "bad"))
    assert status.directory is None and "unreadable" in status.reason
    root = _manifest(tmp_path / "b")
    assert _decide(monkeypatch, "0").directory is None and root.exists()


def test_extend_path_puts_the_build_first(tmp_path, monkeypatch):
    root = _manifest(tmp_path / "b")
    (root / "lean_alchemy" / "mutate").mkdir(parents=True)
    monkeypatch.setattr(native, "_STATUS", native.NativeStatus(root, "compiled"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    path = ["/src/mutate"]
    native.extend_path("lean_alchemy.mutate", path)
    assert path == [str(root / "lean_alchemy" / "mutate"), "/src/mutate"]
    assert str(root / native.RUNTIME) in sys.path and str(root) not in sys.path
    native.extend_path("lean_alchemy.mutate", path)  # idempotent
    assert len(path) == 2


def test_the_compiled_list_names_real_modules():
    for m in native.MODULES:
        assert native.source_path(m).is_file(), m


_PIPELINE = r"""
import hashlib, json, sys
from pathlib import Path
from lean_alchemy.core.native import native_status
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.driver import run_index
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.extract.options import ExtractOptions
from lean_alchemy.extract.pipeline import run_extract
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.pipeline import run_mutate
import lean_alchemy.mutate.statements as S
run = RunDir.at(Path(sys.argv[2]))
run_extract(Path(sys.argv[1]), run, ExtractOptions(jobs=1, progress=False))
istats = run_index(run, IndexOptions())
mstats = run_mutate(run, MutateOptions(max_per_theorem=None, jobs=2, progress=False))
h = hashlib.sha256()
for m in RunDB.for_run(run).iter_mutants(statuses=None):
    m = m[0] if isinstance(m, tuple) else m
    h.update(repr((m.id, m.name, m.parent, m.rule, m.kind, m.statement, m.proof, m.lean,
                   m.features)).encode())
files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
         for p in (run.root / "invocations.parquet", run.root / "rules.parquet")}
def keep(k):
    return not k.startswith("seconds") and k not in ("peak_rss_mb", "versions")
import lean_alchemy.grammar as G
from lean_alchemy.mutate.refute.api import _show
from lean_alchemy.grammar.parser import parse_term
print(json.dumps({"compiled": native_status().directory is not None, "module": S.__file__,
                  "grammar": getattr(G, "__file__", None), "show": _show(parse_term("12 < 12")),
                  "rows": h.hexdigest(), "files": files,
                  "index": {k: v for k, v in istats.as_dict().items() if keep(k)},
                  "mutate": {k: v for k, v in mstats.as_dict().items() if keep(k)}}))
"""


def _pipeline(tmp: Path, setting: str | None) -> dict:
    env = dict(os.environ)
    env.pop(native.ENV, None)
    if setting is not None:
        env[native.ENV] = setting
    out = subprocess.run([sys.executable, "-c", _PIPELINE, str(REPO / "lean_workspace"),
                          str(tmp)], capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_compiled_and_pure_python_give_the_same_outputs(tmp_path):
    """The sample library through extract, index and mutate (two workers) in both builds:
    byte-identical index files, identical mutant rows and identical counters."""
    if native.native_status().directory is None:
        pytest.skip(f"no current compiled build ({native.native_status().reason})")
    fast = _pipeline(tmp_path / "fast", None)
    pure = _pipeline(tmp_path / "pure", "0")
    assert fast["compiled"] and fast["module"].endswith(".so")
    assert not pure["compiled"] and pure["module"].endswith(".py")
    # the build must not shadow the source packages (it once made `lean_alchemy.grammar`
    # a namespace package, so `from lean_alchemy.grammar import print_term` failed)
    for out in (fast, pure):
        assert out["grammar"].endswith("__init__.py") and out["show"] == "12 < 12"
    assert fast["mutate"]["mutants_total"] > 100
    for key in ("rows", "files", "index", "mutate"):
        assert fast[key] == pure[key], key


def test_source_hashes_follow_the_sources():
    h = native.source_hashes()
    m = native.MODULES[0]
    assert h[m] == hashlib.sha256(native.source_path(m).read_bytes()).hexdigest()
