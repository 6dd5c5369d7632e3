"""README.md and docs/ are written by hand, except docs/configuration.md and the README's
documentation index, which tools/build_readme.py generates.  These tests keep all of it in
sync with the code and with itself."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MAX_README_LINES = 400

# Mentions of the project's history: development sessions, numbered runs, issue numbers.
HISTORY = re.compile(r"session [0-9]|\bfull[0-9]{1,2}\b|\bbase[0-9]\b|issue #?[0-9]", re.IGNORECASE)


TEXT_SUFFIXES = (".md", ".py", ".toml", ".lark", ".lean", ".sh")


def text_files() -> list[Path]:
    """Every tracked text file: docs, code, tests and benchmarks all state what is."""
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO,
                             capture_output=True, text=True).stdout.split()
    files = {REPO / p for p in tracked if p.endswith(TEXT_SUFFIXES) or p == "Makefile"}
    files |= set((REPO / "docs").rglob("*.md")) | {README}
    return sorted(p for p in files if p.exists())


def doc_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "README.md", "docs"], cwd=REPO,
                             capture_output=True, text=True).stdout.split()
    files = {REPO / p for p in tracked if p.endswith(".md")}
    # Untracked pages count too, so a new page is checked before its first commit.
    files |= set((REPO / "docs").rglob("*.md")) | {README}
    return sorted(p for p in files if p.exists())


def test_generated_docs_are_up_to_date() -> None:
    r = subprocess.run([sys.executable, str(REPO / "tools" / "build_readme.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_readme_starts_with_the_two_commands() -> None:
    head = README.read_text(encoding="utf-8").splitlines()[:6]
    text = "\n".join(head)
    assert "make demo" in text and "make test" in text
    assert text.index("make demo") < text.index("make test")


def test_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


def test_every_option_is_documented() -> None:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        from build_readme import config_reference
    finally:
        sys.path.pop(0)
    missing = [line for line in config_reference().splitlines()
               if line.startswith("| `") and line.rstrip().endswith("|  |")]
    assert not missing, missing


def test_no_tracked_text_narrates_history() -> None:
    hits = []
    for path in text_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if HISTORY.search(line):
                hits.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_history_pattern_catches_what_it_should() -> None:
    # Spelled in pieces so that a grep of the repository for history finds nothing here.
    for text in ("in session" + " 9", "Session" + " 13 ran", "run full" + "12", "base" + "5",
                 "see issue" + " 4"):
        assert HISTORY.search(text), text
    for text in ("a session of the REPL", "fullname", "database", "issue tracker", "base64"):
        assert not HISTORY.search(text), text


LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def test_relative_links_point_to_existing_files() -> None:
    broken = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        # Links inside code blocks are examples, not links.
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            file = target.split("#", 1)[0]
            if not (path.parent / file).exists():
                broken.append(f"{path.relative_to(REPO)}: {target}")
    assert not broken, broken
