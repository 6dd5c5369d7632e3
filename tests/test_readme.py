"""The README is generated from docs/readme/ and the options dataclasses; keep it in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_is_up_to_date() -> None:
    r = subprocess.run([sys.executable, str(REPO / "tools" / "build_readme.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_readme_starts_with_the_two_commands() -> None:
    head = (REPO / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    text = "\n".join(head)
    assert text.index("make demo") < text.index("make test")


def test_every_option_is_documented() -> None:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        from build_readme import config_reference
    finally:
        sys.path.pop(0)
    missing = [line for line in config_reference().splitlines()
               if line.startswith("| `") and line.rstrip().endswith("|  |")]
    assert not missing, missing
