"""Assemble README.md from docs/readme/*.md and the options dataclasses.

Why generated: each stage documents itself next to its code's owner (docs/readme/NN-*.md), and
the configuration reference is derived from the `*Options` dataclasses that the TOML loader
validates against, so the README cannot drift from what the code accepts.  A test checks that
README.md is up to date (`python tools/build_readme.py --check`).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- config-reference -->"


def field_docs(cls: type) -> dict[str, str]:
    """`name: text` paragraphs of a dataclass docstring, one entry per field."""
    docs: dict[str, str] = {}
    current = None
    for line in (cls.__doc__ or "").splitlines():
        if current and line.startswith("      ") and line.strip():
            for n in current:
                docs[n] += " " + line.strip()
            continue
        m = re.match(r"    ([a-z_][a-z0-9_ /]*):\s+(.*)", line)
        if m:
            current = [n.strip() for n in m.group(1).split("/")]
            for n in current:
                docs[n] = m.group(2).strip()
        else:
            current = None
    return docs


def inline_docs(cls: type) -> dict[str, str]:
    """`name: type = default  # text` comments in the class body (the corpus options' style)."""
    import inspect

    docs: dict[str, str] = {}
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return docs
    for m in re.finditer(r"^\s{4}([a-z_][a-z0-9_]*)\s*:[^\n#]*#\s*(.+)$", src, re.M):
        docs[m.group(1)] = m.group(2).strip()
    return docs


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        v = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        v = f.default_factory()  # type: ignore[misc]
    else:
        return "(required)"
    if v is None:
        return "unset"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(f'"{x}"' if isinstance(x, str) else str(x) for x in v) + "]"
    return str(v)


def config_reference() -> str:
    from lean_alchemy.core.config import SECTIONS, options_class

    out = []
    for section in ("run",) + tuple(SECTIONS):
        cls = options_class(section)
        docs = {**inline_docs(cls), **field_docs(cls)}
        out.append(f"#### `[{section}]` — `{cls.__module__}.{cls.__name__}`\n")
        out.append("| key | default | meaning |")
        out.append("|---|---|---|")
        for f in dataclasses.fields(cls):
            text = docs.get(f.name, "").replace("|", "\\|")
            out.append(f"| `{f.name}` | `{_default(f)}` | {text} |")
        out.append("")
    return "\n".join(out)


def build() -> str:
    parts = []
    for path in sorted((ROOT / "docs" / "readme").glob("*.md")):
        text = path.read_text(encoding="utf-8").strip() + "\n"
        parts.append(text)
    readme = "\n".join(parts)
    if MARKER in readme:
        readme = readme.replace(MARKER, config_reference().rstrip() + "\n")
    return readme


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if README.md is out of date")
    args = ap.parse_args(argv)
    text = build()
    target = ROOT / "README.md"
    if args.check:
        if target.read_text(encoding="utf-8") != text:
            print("README.md is out of date: run `python tools/build_readme.py`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
