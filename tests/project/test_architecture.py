"""The shape of the code: imports run forward between stage packages, no module imports
another's private names, modules and functions stay small enough to read, and no test
module imports another (shared test code lives in tests/helpers/).

Why a test: a stage that imports a later one cannot be used without it (the index would
drag in the mutation engine), and a private name used across modules is an interface
nobody declared.  These checks read the sources with `ast`, so they see imports inside
functions too, which is where backward imports used to hide.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
# Each stage may import itself and the stages before it, never one after it.
STAGES = ("core", "grammar", "extract", "index", "mutate", "jobs", "corpus", "cli")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
LONG_MODULE_REASON = "Long because:"


def package_modules() -> list[tuple[str, Path]]:
    return [(stage, path) for stage in STAGES for path in sorted((REPO / stage).rglob("*.py"))]


def imported_modules(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) of every `lean_alchemy` import, wherever it stands."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, []) for a in node.names)
    return [(line, mod, names) for line, mod, names in out if mod.startswith("lean_alchemy.")]


def backward_imports(stage: str, tree: ast.AST) -> list[str]:
    rank = STAGES.index(stage)
    return [f"line {line}: {mod}" for line, mod, _ in imported_modules(tree)
            if mod.split(".")[1] in STAGES and STAGES.index(mod.split(".")[1]) > rank]


def test_stage_packages_import_only_earlier_stages() -> None:
    problems = []
    for stage, path in package_modules():
        for p in backward_imports(stage, ast.parse(path.read_text(encoding="utf-8"))):
            problems.append(f"{path.relative_to(REPO)} {p}")
    assert not problems, "imports that run backwards:\n" + "\n".join(problems)


def test_the_direction_check_sees_a_backward_import_inside_a_function() -> None:
    tree = ast.parse("def f():\n    from lean_alchemy.mutate.pipeline import run_mutate\n")
    assert backward_imports("index", tree) == ["line 2: lean_alchemy.mutate.pipeline"]
    assert backward_imports("jobs", tree) == []


def test_no_private_name_is_imported_across_modules() -> None:
    problems = []
    for _, path in package_modules():
        for line, mod, names in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            private = [n for n in names if n.startswith("_")]
            if private:
                problems.append(f"{path.relative_to(REPO)}:{line} {mod} {private}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_is_a_package_with_a_docstring(stage: str) -> None:
    init = REPO / stage / "__init__.py"
    assert init.is_file(), f"{stage}/ has no __init__.py"
    assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{init} has no docstring"


def test_long_modules_say_why() -> None:
    problems = []
    for _, path in package_modules():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_MODULE_LINES:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if LONG_MODULE_REASON not in doc:
                problems.append(f"{path.relative_to(REPO)}: {text.count(chr(10))} lines")
    assert not problems, (f"modules over {MAX_MODULE_LINES} lines without a "
                          f"'{LONG_MODULE_REASON}' line in their docstring:\n" + "\n".join(problems))


def long_functions(tree: ast.AST) -> list[tuple[str, int]]:
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_no_function_is_longer_than_the_limit() -> None:
    problems = []
    for _, path in package_modules():
        for name, lines in long_functions(ast.parse(path.read_text(encoding="utf-8"))):
            problems.append(f"{path.relative_to(REPO)}: {name} ({lines} lines)")
    assert not problems, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(problems)


def test_the_length_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(ast.parse(f"def f():\n{body}\n")) == [("f", MAX_FUNCTION_LINES + 1)]


# `from test_x import ...` or `import conftest` written in a string: code a test runs in a
# subprocess
IMPORT_IN_TEXT = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)


def is_test_module(dotted: str) -> bool:
    return any(part == "conftest" or part.startswith("test_") for part in dotted.split("."))


def imports_of_test_modules(tree: ast.AST) -> list[str]:
    """`line N: module` for every import of a test module (`test_*` or `conftest`), in code
    or in a string of code, wherever it stands."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names = [base] if is_test_module(base) else [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = IMPORT_IN_TEXT.findall(node.value)
        else:
            continue
        found.extend(f"line {node.lineno}: {n}" for n in names if is_test_module(n))
    return found


def test_no_test_module_imports_another_test_module() -> None:
    problems = []
    for path in sorted(TESTS.rglob("*.py")):
        for p in imports_of_test_modules(ast.parse(path.read_text(encoding="utf-8"))):
            problems.append(f"{path.relative_to(REPO)} {p}")
    assert not problems, "test modules imported (move shared code to tests/helpers/):\n" + \
        "\n".join(problems)


def test_the_test_import_check_sees_imports_in_functions_and_in_code_strings() -> None:
    # a template, so that this file holds no import of a test module itself
    source = textwrap.dedent('''\
        from {c} import REV
        def f():
            import {t}check
        DRIVER = """
            from {t}run_check import FakeFactory
        """
        from helpers.builders import make_mutant
        from helpers import {t}data, builders
        ''').format(c="conftest", t="test_")
    assert sorted(imports_of_test_modules(ast.parse(source))) == [
        "line 1: conftest", "line 3: test_check", "line 4: test_run_check",
        "line 8: helpers.test_data"]
