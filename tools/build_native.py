"""Compile the hot modules with mypyc into `.native/` (see `core/native.py` for why).

Usage: python tools/build_native.py [--if-stale] [OUT_DIR]   (default OUT_DIR `.native`)

`make native` (and so `make test`/`make demo`) runs it with `--if-stale`: nothing is done
while OUT_DIR's manifest matches the sources and the interpreter.

The sources are copied into a staging tree shaped like the installed package
(`lean_alchemy/<package>/...`), so mypyc names the modules as they are imported; the build
lands in a temporary directory that replaces OUT_DIR only when complete, with a manifest of
the source hashes it was built from.  A failed build leaves the previous state (or pure
Python) in place and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "core"))
import native  # noqa: E402  (core/native.py, loaded without importing the package)

PACKAGES = ("core", "grammar", "extract", "index", "mutate", "jobs", "corpus", "cli")


def stage(dst: Path) -> None:
    pkg = dst / "lean_alchemy"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for name in PACKAGES:
        for src in (REPO / name).rglob("*.py"):
            out = pkg / name / src.relative_to(REPO / name)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)


def build(out: Path) -> None:
    try:
        from mypyc.build import mypycify
        from setuptools import setup
    except ImportError as e:
        raise SystemExit(f"build_native: {e}; install the dev extras (`make install`) or "
                         "`pip install mypy setuptools`") from None
    hashes = native.source_hashes()
    with tempfile.TemporaryDirectory(prefix="alchemy-native-") as tmp:
        work = Path(tmp)
        stage(work / "src")
        target = work / "out"
        paths = [f"lean_alchemy/{m.replace('.', '/')}.py" for m in native.MODULES]
        cwd = os.getcwd()
        os.chdir(work / "src")
        try:
            modules = mypycify(paths + ["--ignore-missing-imports",
                                        "--follow-imports=silent"], opt_level="3")
            setup(name="lean-alchemy-native", ext_modules=modules, script_args=[
                "-q", "build_ext", "--build-lib", str(target),
                "--build-temp", str(work / "tmp"), "-j", str(os.cpu_count() or 1)])
        finally:
            os.chdir(cwd)
        # mypyc's shared runtime module is imported by its top-level name: it goes in a
        # folder of its own on sys.path, never the build root (whose `lean_alchemy/` folder
        # would then shadow the real packages as a namespace package)
        runtime = target / native.RUNTIME
        runtime.mkdir()
        for lib in target.glob("*__mypyc*"):
            lib.rename(runtime / lib.name)
        (target / native.MANIFEST).write_text(json.dumps(
            {"tag": native.build_tag(), "modules": hashes}, indent=1, sort_keys=True) + "\n")
        old = out.with_name(out.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        shutil.move(str(target), str(out))
        shutil.rmtree(old, ignore_errors=True)
    print(f"build_native: {len(native.MODULES)} modules compiled into {out}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if_stale = "--if-stale" in args
    args = [a for a in args if a != "--if-stale"]
    target = Path(args[0]).resolve() if args else REPO / ".native"
    if if_stale and native.build_problem(target) is None:
        print(f"build_native: {target} is current")
    else:
        build(target)
