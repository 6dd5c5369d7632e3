"""Toolchain discovery and `alchemy setup-lean`, with fake executables and a fake runner.

No Lean exists here and the network must not be used: discovery is tested against a fake
`lake`/`lean` on a private PATH and a hand-made `.lake` tree; set-up against a recording
runner and a fake connectivity probe.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.jobs import setup_lean as sl
from lean_alchemy.jobs.toolchain import (
    discover_toolchain, manifest_rev, parse_lean_version, require_toolchain, version_of_pin)

REPO = Path(__file__).resolve().parents[2]
REV = "f4a75053ba65be55859c28f56b58c48ddff8db5f"
VERSION_LINE = "Lean (version 4.33.0-rc1, x86_64-unknown-linux-gnu, commit abc123, Release)"


def _exe(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _bin(tmp: Path, *, version_ok: bool = True) -> Path:
    b = tmp / "bin"
    b.mkdir()
    out = f'echo "{VERSION_LINE}"' if version_ok else "echo boom >&2; exit 1"
    _exe(b / "lake", f'if [ "$1 $2 $3" = "env lean --version" ]; then {out}; exit 0; fi; exit 3')
    _exe(b / "lean", f'echo "{VERSION_LINE}"')
    return b


def _env(tmp: Path, path: str) -> dict[str, str]:
    # ELAN_HOME points at an empty dir so that a real ~/.elan never leaks into the tests
    return {"PATH": path, "HOME": str(tmp), "ELAN_HOME": str(tmp / "no-elan")}


def _workspace(tmp: Path, *, manifest: bool = True, built: bool = True,
               repl: bool = True) -> Path:
    ws = tmp / "ws"
    ws.mkdir()
    shutil.copy(REPO / "lean_workspace" / "lean-toolchain", ws / "lean-toolchain")
    shutil.copy(REPO / "lean_workspace" / "lakefile.toml", ws / "lakefile.toml")
    if manifest:
        (ws / "lake-manifest.json").write_text(json.dumps({
            "version": "1.2.0", "packagesDir": ".lake/packages",
            "packages": [{"name": "REPL", "rev": "1d23837", "type": "git"},
                         {"name": "mathlib", "rev": REV, "type": "git"}]}))
    if built:
        lib = ws / ".lake/packages/mathlib/.lake/build/lib/lean"
        lib.mkdir(parents=True)
        (lib / "Mathlib.olean").write_bytes(b"olean")
    if repl:
        b = ws / ".lake/packages/REPL/.lake/build/bin"
        b.mkdir(parents=True)
        _exe(b / "repl", "exit 0")
    return ws


def test_parsers() -> None:
    assert parse_lean_version(VERSION_LINE) == "4.33.0-rc1"
    assert parse_lean_version("garbage") is None
    assert version_of_pin("leanprover/lean4:v4.33.0-rc1") == "4.33.0-rc1"
    assert version_of_pin("v4.9.0") == "4.9.0"
    assert manifest_rev(REPO / "lean_workspace") in (None, REV)


def test_ready_workspace_reports_version_rev_and_repl(tmp_path: Path) -> None:
    b = _bin(tmp_path)
    ws = _workspace(tmp_path)
    tc = discover_toolchain(ws, env=_env(tmp_path, str(b)))
    assert tc.ready and tc.problem is None
    assert tc.lake == b / "lake" and tc.lean == b / "lean"
    assert tc.lean_version == "4.33.0-rc1" and tc.lean_version_source == "lean --version"
    assert tc.mathlib_rev == REV
    assert tc.repl_path == ws / ".lake/packages/REPL/.lake/build/bin/repl"
    assert tc.repl_ready
    assert tc.lean_command() == [str(b / "lake"), "env", "lean"]
    assert require_toolchain(ws, need_repl=True, env=_env(tmp_path, str(b))) == tc


def test_lake_found_in_elan_home_even_if_not_on_path(tmp_path: Path) -> None:
    b = _bin(tmp_path)
    ws = _workspace(tmp_path)
    env = {"PATH": "/nonexistent", "HOME": str(tmp_path), "ELAN_HOME": str(tmp_path)}
    tc = discover_toolchain(ws, env=env)  # $ELAN_HOME/bin == tmp/bin
    assert tc.ready and tc.lake == b / "lake"


@pytest.mark.parametrize("what, needle", [
    ("no-lake", "lake and lean not found"),
    ("no-manifest", "lake-manifest.json has no mathlib"),
    ("not-built", "Mathlib is not built"),
    ("version-fails", "`lake env lean --version` failed"),
    ("no-workspace", "does not exist"),
])
def test_missing_pieces_are_named_with_the_fix(tmp_path: Path, what: str, needle: str) -> None:
    b = _bin(tmp_path, version_ok=what != "version-fails")
    ws = _workspace(tmp_path, manifest=what != "no-manifest", built=what != "not-built")
    if what == "no-workspace":
        ws = tmp_path / "nowhere"
    env = _env(tmp_path, "/nonexistent" if what == "no-lake" else str(b))
    tc = discover_toolchain(ws, env=env)
    assert not tc.ready
    assert needle in tc.problem and "alchemy setup-lean --workspace" in tc.problem
    with pytest.raises(AlchemyError, match="alchemy setup-lean"):
        require_toolchain(ws, env=env)
    if what not in ("no-workspace",):
        assert tc.lean_version == "4.33.0-rc1"  # from lean-toolchain at least


def test_require_repl_when_not_built(tmp_path: Path) -> None:
    b = _bin(tmp_path)
    ws = _workspace(tmp_path, repl=False)
    env = _env(tmp_path, str(b))
    assert discover_toolchain(ws, env=env).ready
    with pytest.raises(AlchemyError, match="REPL is not built.*alchemy setup-lean"):
        require_toolchain(ws, need_repl=True, env=env)


def test_no_probe_uses_lean_toolchain_file(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    calls = []
    tc = discover_toolchain(ws, probe=False, env=_env(tmp_path, str(_bin(tmp_path))),
                            runner=lambda *a, **k: calls.append(a))
    assert not calls and tc.lean_version_source == "lean-toolchain" and tc.ready


def test_bundled_workspace_without_lean_here() -> None:
    tc = discover_toolchain(REPO / "lean_workspace", env={"PATH": "/nonexistent",
                                                           "ELAN_HOME": "/nonexistent"})
    assert not tc.ready and "alchemy setup-lean" in tc.problem
    assert tc.lean_version == "4.33.0-rc1"


# ---------------------------------------------------------------------- setup-lean


class FakeRunner:
    """Records commands; simulates what each step leaves on disk."""

    def __init__(self, tmp: Path, ws: Path, fail_on: str | None = None) -> None:
        self.tmp, self.ws, self.fail_on, self.calls = tmp, ws, fail_on, []

    def __call__(self, cmd, cwd=None, env=None, check=False, **kw):
        cmd = [str(c) for c in cmd]
        self.calls.append((cmd, cwd))
        joined = " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd))
        if self.fail_on and self.fail_on in joined:
            return subprocess.CompletedProcess(cmd, 1, "", "")
        elan_bin = Path(env["ELAN_HOME"]) / "bin"
        if joined.startswith("sh ") and "-y" in cmd:  # elan-init.sh
            elan_bin.mkdir(parents=True, exist_ok=True)
            _exe(elan_bin / "elan", "exit 0")
        elif joined.startswith("elan toolchain install"):
            _exe(elan_bin / "lake", f'echo "{VERSION_LINE}"')
            _exe(elan_bin / "lean", f'echo "{VERSION_LINE}"')
        elif joined == "lake update":
            (self.ws / "lake-manifest.json").write_text(json.dumps(
                {"packages": [{"name": "mathlib", "rev": REV}]}))
        elif joined == "lake exe cache get":
            lib = self.ws / ".lake/packages/mathlib/.lake/build/lib/lean"
            lib.mkdir(parents=True, exist_ok=True)
            (lib / "Mathlib.olean").write_bytes(b"x")
        elif joined == "lake build repl":
            b = self.ws / ".lake/packages/REPL/.lake/build/bin"
            b.mkdir(parents=True, exist_ok=True)
            _exe(b / "repl", "exit 0")
        elif joined == "lake env lean --version":
            return subprocess.CompletedProcess(cmd, 0, VERSION_LINE + "\n", "")
        return subprocess.CompletedProcess(cmd, 0, "", "")


def _setup_env(tmp: Path) -> dict[str, str]:
    sh = shutil.which("sh")
    (tmp / "sysbin").mkdir()
    os.symlink(sh, tmp / "sysbin" / "sh")
    return {"PATH": str(tmp / "sysbin"), "HOME": str(tmp), "ELAN_HOME": str(tmp / "elan")}


def test_setup_runs_every_step_in_order(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, manifest=False, built=False, repl=False)
    runner = FakeRunner(tmp_path, ws)
    downloads, lines = [], []
    sl.setup_lean(ws, runner=runner, probe=lambda urls, t: None,
                  download=lambda url, dest: (downloads.append(url), dest.write_text("#!/bin/sh")),
                  env=_setup_env(tmp_path), echo=lines.append)
    names = [" ".join([Path(c[0]).name, *c[1:]]) for c, _ in runner.calls]
    assert downloads == [sl.ELAN_INIT_URL]
    assert names[0].startswith("sh ") and names[0].endswith("-y --default-toolchain none")
    assert names[1:] == ["elan toolchain install leanprover/lean4:v4.33.0-rc1", "lake update",
                         "lake exe cache get", "lake build repl", "lake build Sample",
                         "lake env lean --version"]
    assert all(cwd == ws for c, cwd in runner.calls[1:])
    assert "ready: Lean 4.33.0-rc1, Mathlib " + REV in lines[-1]


def test_setup_skips_elan_install_and_update_when_present(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, built=False, repl=False)
    env = _setup_env(tmp_path)
    (tmp_path / "elan" / "bin").mkdir(parents=True)
    _exe(tmp_path / "elan" / "bin" / "elan", "exit 0")
    runner = FakeRunner(tmp_path, ws)
    sl.setup_lean(ws, runner=runner, probe=lambda u, t: None, env=env, build_sample=False,
                  download=lambda *a: pytest.fail("must not download elan"), echo=lambda s: None)
    names = [" ".join([Path(c[0]).name, *c[1:]]) for c, _ in runner.calls]
    assert "lake update" not in names and "lake build Sample" not in names
    assert names[0] == "elan toolchain install leanprover/lean4:v4.33.0-rc1"


def test_offline_fails_with_one_message_and_changes_nothing(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, manifest=False, built=False, repl=False)
    before = sorted(p.name for p in ws.rglob("*"))
    runner = FakeRunner(tmp_path, ws)
    with pytest.raises(AlchemyError) as ei:
        sl.setup_lean(ws, runner=runner, probe=lambda u, t: "cannot reach https://github.com (x)",
                      env=_setup_env(tmp_path), echo=lambda s: None)
    msg = str(ei.value)
    assert "\n" not in msg and "needs internet access" in msg and "nothing was changed" in msg
    assert runner.calls == [] and sorted(p.name for p in ws.rglob("*")) == before


def test_failed_step_names_command_and_rerun(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, built=False, repl=False)
    env = _setup_env(tmp_path)
    (tmp_path / "elan" / "bin").mkdir(parents=True)
    _exe(tmp_path / "elan" / "bin" / "elan", "exit 0")
    runner = FakeRunner(tmp_path, ws, fail_on="cache get")
    with pytest.raises(AlchemyError, match=r"fetch Mathlib's prebuilt cache failed: `.*lake exe "
                                           r"cache get` exited with code 1.*re-run"):
        sl.setup_lean(ws, runner=runner, probe=lambda u, t: None, env=env, echo=lambda s: None)


def test_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(AlchemyError, match="no lean-toolchain"):
        sl.setup_lean(tmp_path, probe=lambda u, t: pytest.fail("no probe"))


def test_connectivity_check_reports_unreachable_host() -> None:
    # an unresolvable reserved name: fails fast without any traffic leaving the machine
    reason = sl.check_connectivity(["https://setup-lean-test.invalid"], timeout=2)
    assert reason and reason.startswith("cannot reach https://setup-lean-test.invalid")


def test_cli_offline_is_one_line_exit_2(tmp_path: Path) -> None:
    """Through the real CLI entry point (no traceback, exit code 2)."""
    parser = argparse.ArgumentParser(prog="alchemy")
    sub = parser.add_subparsers(dest="command")
    sl.register_setup_lean(sub)
    args = parser.parse_args(["setup-lean", "--workspace", str(tmp_path / "ws")])
    assert args.workspace == str(tmp_path / "ws") and args.func is sl._cmd
    ws = _workspace(tmp_path)
    code = (
        "import sys, argparse\n"
        "from lean_alchemy.jobs import setup_lean as sl\n"
        "sl.check_connectivity = lambda *a, **k: 'cannot reach https://github.com (offline)'\n"
        "from lean_alchemy.core.errors import AlchemyError\n"
        "p = argparse.ArgumentParser(); s = p.add_subparsers(dest='command')\n"
        "sl.register_setup_lean(s)\n"
        f"a = p.parse_args(['setup-lean', '--workspace', {str(ws)!r}])\n"
        "try:\n    a.func(a)\nexcept AlchemyError as e:\n"
        "    print(f'alchemy setup-lean: error: {e}', file=sys.stderr); sys.exit(e.exit_code)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "needs internet access" in res.stderr


# ---------------------------------------------------------------------- a user's project

USER_LAKEFILE = """import Lake
open Lake DSL

package proj

require mathlib from git
  "https://github.com/leanprover-community/mathlib4" @ "master"

@[default_target]
lean_lib Proj
"""


def _user_project(tmp: Path) -> Path:
    root = tmp / "proj"
    (root / "Proj").mkdir(parents=True)
    shutil.copy(REPO / "lean_workspace" / "lean-toolchain", root / "lean-toolchain")
    (root / "lakefile.lean").write_text(USER_LAKEFILE)
    (root / "Proj" / "Basic.lean").write_text("theorem t : 1 = 1 := rfl\n")
    return root


def test_the_workspace_default_is_the_projects_own_lake_root(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    from lean_alchemy.jobs.toolchain import default_workspace, project_workspace, workspace_path
    root = _user_project(tmp_path)
    assert project_workspace(root) == root.resolve()
    assert project_workspace(root / "Proj") == root.resolve()  # a folder inside it
    assert workspace_path("", root / "Proj") == root.resolve()
    # a Lake root without Mathlib (Mathlib itself), or a plain folder: the bundled one,
    # never the current directory
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    (plain / "lean-toolchain").write_text("leanprover/lean4:v4.33.0-rc1\n")
    (plain / "lakefile.toml").write_text('name = "x"\n')
    assert workspace_path("", plain) == default_workspace()
    assert workspace_path("", None) == default_workspace()
    assert workspace_path("elsewhere", root) == Path("elsewhere")


def test_setup_of_a_users_project_builds_the_repl_beside_it(tmp_path: Path) -> None:
    root = _user_project(tmp_path)
    (root / "lake-manifest.json").write_text(json.dumps(
        {"packages": [{"name": "mathlib", "rev": REV}]}))
    before = (root / "lakefile.lean").read_text()
    env = _setup_env(tmp_path)
    (tmp_path / "elan" / "bin").mkdir(parents=True)
    _exe(tmp_path / "elan" / "bin" / "elan", "exit 0")

    class Runner(FakeRunner):
        def __call__(self, cmd, cwd=None, env=None, check=False, **kw):
            cmd = [str(c) for c in cmd]
            if Path(cmd[0]).name == "git":
                self.calls.append((cmd, cwd))
                side = Path(cmd[-1])
                side.mkdir(parents=True)
                (side / "lakefile.toml").write_text('name = "repl"\n')
                return subprocess.CompletedProcess(cmd, 0, "", "")
            if cmd[1:] == ["build"] and cwd is not None and cwd != self.ws:
                self.calls.append((cmd, cwd))
                b = Path(cwd) / ".lake/build/bin"
                b.mkdir(parents=True)
                _exe(b / "repl", "exit 0")
                return subprocess.CompletedProcess(cmd, 0, "", "")
            return super().__call__(cmd, cwd=cwd, env=env, check=check, **kw)

    runner = Runner(tmp_path, root)
    lines: list[str] = []
    sl.setup_lean(root, runner=runner, probe=lambda u, t: None, env=env, echo=lines.append)
    names = [" ".join([Path(c[0]).name, *c[1:]]) for c, _ in runner.calls]
    side = root / ".lake" / "alchemy" / "repl"
    assert names[:4] == ["elan toolchain install leanprover/lean4:v4.33.0-rc1",
                         "lake exe cache get",
                         f"git clone --depth 1 --branch v4.33.0-rc1 {sl.REPL_GIT} {side}",
                         "lake build"]
    assert "lake build repl" not in names and "lake build Sample" not in names
    assert (root / "lakefile.lean").read_text() == before
    assert any("lakefile and manifest are unchanged" in ln for ln in lines)
    tc = discover_toolchain(root, env={**env, "PATH": str(tmp_path / "elan" / "bin")},
                            runner=runner)
    assert tc.repl_path == side / ".lake/build/bin/repl"


def test_check_without_a_workspace_option_uses_the_extracted_projects_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`alchemy check --run-dir RUN` on a run of a Lake project that requires Mathlib
    checks in that project (here: no Lean, so the error names it), not in the bundled
    workspace nor the current directory."""
    from lean_alchemy.core.rundb import RunDB
    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.jobs.check import run_check
    from lean_alchemy.jobs.options import CheckOptions

    from helpers.builders import make_mutant

    root = _user_project(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("ELAN_HOME", str(tmp_path / "no-elan"))
    monkeypatch.chdir(tmp_path)
    run = RunDir.at(tmp_path / "run")
    run.ensure()
    run.write_stats("extract", {"root": str(root)})
    with RunDB.for_run(run) as db:
        db.add_mutants([(make_mutant(1), "pending", None)])
    with pytest.raises(AlchemyError, match=f"setup-lean --workspace {root.resolve()}`"):
        run_check(run, CheckOptions())
