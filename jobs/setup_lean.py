"""`alchemy setup-lean`: make the Lean workspace ready for checking, on a machine with internet.

Why a command rather than instructions: the steps (elan, the pinned toolchain, Mathlib's
prebuilt cache, the REPL) are easy to get subtly wrong (a `lake build` of Mathlib from source
takes hours), and checking must run against exactly the toolchain and Mathlib revision the
workspace pins.  Offline it stops before touching anything, with one message, because a
half-fetched `.lake` directory is worse than none.

A user's own project (a Lake root that requires Mathlib, the default checking workspace of
`alchemy run` on it) is prepared the same way, from its own `lean-toolchain` and manifest;
the REPL, which its lakefile does not require, is cloned at the tag of its Lean version and
built inside the project's `.lake/alchemy/repl` (`toolchain.side_repl_dir`): the user's
lakefile and manifest are never edited.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Sequence

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.jobs.toolchain import (
    DEFAULT_WORKSPACE, REPL_PACKAGE, Runner, discover_toolchain, elan_bin_dir, find_executable,
    lakefile_rev, search_path, side_repl_dir, toolchain_pin, version_of_pin)

REPL_GIT = "https://github.com/leanprover-community/repl"

ELAN_INIT_URL = "https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh"
# Hosts the set-up needs: GitHub (elan, toolchains, Mathlib and REPL sources) and the raw
# content host that serves elan-init.sh.
CONNECTIVITY_URLS = ("https://github.com", "https://raw.githubusercontent.com")

Probe = Callable[[Sequence[str], float], "str | None"]
Downloader = Callable[[str, Path], None]


def check_connectivity(urls: Sequence[str] = CONNECTIVITY_URLS, timeout: float = 10.0) -> str | None:
    """None when every URL answers; otherwise a short reason.  Uses urllib so that the
    user's HTTP(S)_PROXY settings apply, as they do for curl, git and lake."""
    for url in urls:
        req = urllib.request.Request(url, method="HEAD")
        try:
            with urllib.request.urlopen(req, timeout=timeout):
                pass
        except urllib.error.HTTPError:
            continue  # the host answered (4xx/5xx on HEAD is still connectivity)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            return f"cannot reach {url} ({reason})"
    return None


def _download(url: str, dest: Path) -> None:
    with urllib.request.urlopen(url, timeout=60) as r:  # noqa: S310 (fixed https URL)
        dest.write_bytes(r.read())


def setup_lean(workspace: Path = DEFAULT_WORKSPACE, *, runner: Runner = subprocess.run,
               probe: Probe | None = None, download: Downloader = _download,
               env: dict[str, str] | None = None, build_sample: bool = True,
               echo: Callable[[str], None] = print) -> None:
    """Install elan if missing, the pinned toolchain, Mathlib's cache and the REPL.

    Every step is idempotent (elan, lake and the cache skip what is already there), so the
    command can simply be re-run after an interruption.  `probe` (default
    `check_connectivity`) answers None when online, else the reason.
    """
    workspace = Path(workspace)
    pin = toolchain_pin(workspace)
    if pin is None:
        raise AlchemyError(f"{workspace} is not a Lean workspace (no lean-toolchain file); "
                           f"pass --workspace pointing at the bundled lean_workspace/")
    if not (workspace / "lakefile.toml").is_file() and not (workspace / "lakefile.lean").is_file():
        raise AlchemyError(f"{workspace} has no lakefile.toml or lakefile.lean")

    reason = (probe or check_connectivity)(CONNECTIVITY_URLS, 10.0)
    if reason:
        raise AlchemyError(
            f"{reason}: `alchemy setup-lean` downloads elan, Lean {pin.split(':')[-1]}, Mathlib's "
            "cache and the REPL and needs internet access; nothing was changed. Run it on a "
            "machine with internet access (or copy a workspace prepared there)")

    base_env = dict(os.environ if env is None else env)
    run_env = {**base_env, "PATH": search_path(base_env)}

    def step(title: str, cmd: list[str], cwd: Path | None = workspace) -> None:
        echo(f"setup-lean: {title}: {' '.join(cmd)}")
        try:
            res = runner(cmd, cwd=cwd, env=run_env, check=False)
        except OSError as e:
            raise AlchemyError(f"{title} failed: cannot run {cmd[0]} ({e})") from None
        if res.returncode != 0:
            raise AlchemyError(f"{title} failed: `{' '.join(cmd)}` exited with code "
                               f"{res.returncode} (in {cwd}); fix the cause above and re-run "
                               f"`alchemy setup-lean --workspace {workspace}`")

    if find_executable("elan", run_env) is None:
        with tempfile.TemporaryDirectory(prefix="alchemy-elan-") as tmp:
            script = Path(tmp) / "elan-init.sh"
            echo(f"setup-lean: downloading {ELAN_INIT_URL}")
            try:
                download(ELAN_INIT_URL, script)
            except (OSError, urllib.error.URLError) as e:
                raise AlchemyError(f"cannot download {ELAN_INIT_URL} ({e})") from None
            step("install elan", ["sh", str(script), "-y", "--default-toolchain", "none"], cwd=None)
        if find_executable("elan", run_env) is None:
            raise AlchemyError(f"elan was installed but is not in {elan_bin_dir(run_env)}; "
                               "set ELAN_HOME or add elan's bin directory to PATH")
    elan = str(find_executable("elan", run_env))
    step("install the Lean toolchain", [elan, "toolchain", "install", pin])
    lake = find_executable("lake", run_env)
    if lake is None:
        raise AlchemyError(f"lake not found after installing {pin}; check `elan show`")
    if not (workspace / "lake-manifest.json").is_file():
        step("resolve dependencies", [str(lake), "update"])
    step("fetch Mathlib's prebuilt cache", [str(lake), "exe", "cache", "get"])
    if requires_repl(workspace):
        step("build the REPL", [str(lake), "build", "repl"])
        if build_sample:
            step("build the sample library", [str(lake), "build", "Sample"])
    else:
        side = side_repl_dir(workspace)
        if not (side / "lakefile.toml").is_file() and not (side / "lakefile.lean").is_file():
            git = find_executable("git", run_env) or "git"
            step("fetch the REPL (your lakefile is not edited)",
                 [str(git), "clone", "--depth", "1", "--branch", f"v{version_of_pin(pin)}",
                  REPL_GIT, str(side)], cwd=None)
        step("build the REPL", [str(lake), "build"], cwd=side)
        echo(f"setup-lean: the REPL is built in {side}; {workspace}'s lakefile and manifest "
             "are unchanged")

    tc = discover_toolchain(workspace, env=run_env, runner=runner)
    if not tc.ready:
        raise AlchemyError(f"set-up finished but the workspace is not ready: {tc.problem}")
    echo(f"setup-lean: ready: Lean {tc.lean_version}, Mathlib {tc.mathlib_rev}, "
         f"REPL {tc.repl_path or 'not built'}")


def requires_repl(workspace: Path) -> bool:
    """Whether the workspace's lakefile requires the REPL (the bundled workspace does)."""
    if lakefile_rev(workspace, REPL_PACKAGE) is not None:
        return True
    lean = workspace / "lakefile.lean"
    try:
        return lean.is_file() and "require repl" in lean.read_text(encoding="utf-8").lower()
    except OSError:
        return False


def _cmd(args: argparse.Namespace) -> int:
    setup_lean(Path(args.workspace), build_sample=not args.no_sample)
    return 0


def register_setup_lean(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `alchemy setup-lean [--workspace DIR] [--no-sample]` to the CLI."""
    p = subparsers.add_parser(
        "setup-lean", help="install elan, the pinned Lean, Mathlib's cache and the REPL",
        description="Prepare the Lean workspace for checking (needs internet access).")
    p.add_argument("--workspace", default=str(DEFAULT_WORKSPACE),
                   help="the Lake project to prepare: the bundled one (default: "
                        "%(default)s) or your own project's root, whose lakefile requires "
                        "Mathlib (its toolchain and Mathlib cache; the REPL is built in its "
                        ".lake/alchemy/repl without editing its lakefile)")
    p.add_argument("--no-sample", action="store_true",
                   help="do not build the bundled sample library at the end")
    p.set_defaults(func=_cmd)
    return p


register = register_setup_lean
