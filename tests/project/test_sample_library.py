"""The bundled sample library keeps its promises.

Why text scanning: no Lean exists here, so the sample cannot be compiled in CI; these tests
pin the structural promises that later stages rely on (enough candidates, every construct
the extractor must handle, equations/iffs/implications for the mutation stage, a pinned
workspace) so that an edit that silently drops one of them fails.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WS = ROOT / "lean_workspace"
MATHLIB_REV = "f4a75053ba65be55859c28f56b58c48ddff8db5f"

DECL = re.compile(
    r"^(?:@\[[^\]]*\]\s*)*(?:(?:private|protected)\s+)?(theorem|lemma)\s+([^\s(:{\[]+)", re.M)


def _files() -> dict[str, str]:
    return {p.relative_to(WS).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted((WS / "Sample").glob("*.lean"))}


def _all_text() -> str:
    return "\n".join(_files().values())


def _decls() -> list[tuple[str, str]]:
    return DECL.findall(_all_text())


def test_workspace_pins_toolchain_mathlib_and_repl() -> None:
    assert (WS / "lean-toolchain").read_text().strip() == "leanprover/lean4:v4.33.0-rc1"
    cfg = tomllib.loads((WS / "lakefile.toml").read_text())
    req = {r["name"]: r for r in cfg["require"]}
    assert req["mathlib"]["git"] == "https://github.com/leanprover-community/mathlib4"
    assert req["mathlib"]["rev"] == MATHLIB_REV
    assert req["REPL"]["git"] == "https://github.com/leanprover-community/repl"
    assert req["REPL"]["rev"].startswith("v4.33.0")
    assert {"name": "Sample"} in [{"name": lib["name"]} for lib in cfg["lean_lib"]]
    # the library's root imports every file of the library
    root_imports = set(re.findall(r"^import (Sample\.\w+)$", (WS / "Sample.lean").read_text(), re.M))
    assert root_imports == {f"Sample.{Path(f).stem}" for f in _files()}


def test_sample_matches_the_mathlib_snapshot_when_present() -> None:
    snap = Path("/work/data/mathlib")
    if not (snap / "lean-toolchain").exists():
        pytest.skip("no Mathlib snapshot on this machine")
    assert (snap / "lean-toolchain").read_text().strip() == \
        (WS / "lean-toolchain").read_text().strip()


def test_sixty_plus_declarations_over_four_plus_files() -> None:
    per_file = {f: len(DECL.findall(t)) for f, t in _files().items()}
    assert len(per_file) >= 4
    assert all(n >= 5 for n in per_file.values()), per_file
    decls = _decls()
    assert len(decls) >= 60
    assert {k for k, _ in decls} == {"theorem", "lemma"}
    # names are unique inside a namespace-free check: no duplicate short names per file
    for f, t in _files().items():
        names = [n for _, n in DECL.findall(t)]
        assert len(names) == len(set(names)), f


@pytest.mark.parametrize("construct, pattern", [
    ("namespace", r"^namespace \S+"),
    ("nested section", r"^section \w+\n(?:(?!^end ).*\n)*?^section|^namespace \w+\n(?:.*\n)*?^section \w+"),
    ("explicit variable", r"^variable (?:.*\s)?\((?:\w+ )+: "),
    ("implicit variable", r"^variable \{"),
    ("instance variable", r"^variable .*\[(?:\w+ : )?[A-Z]\w* \w+\]"),
    ("open", r"^open \w+$"),
    ("open in", r"^open [\w ]+ in$"),
    ("open scoped", r"^open scoped \w+"),
    ("local notation", r"^local notation"),
    ("local simp attribute", r"^attribute \[local simp\]"),
    ("universe", r"^universe \w+"),
    ("set_option in", r"^set_option [\w.]+ \w+ in$"),
    ("docstring", r"/-- "),
    ("module docstring", r"^/-!"),
    ("nested comment", r"/-(?:(?!-/).)*?/-.*?-/.*?-/"),
    ("attribute on its own line", r"^@\[\w+\]\n(?:theorem|lemma) "),
    ("private", r"^private theorem "),
    ("protected", r"^protected theorem "),
    ("term proof", r":= [A-Za-z(⟨]"),
    ("tactic proof", r":= by\n"),
    ("where proof", r"\n?where\n  \w+"),
    ("iff by where fields", r"↔ .* where\n  mp "),
    ("pattern proof", r"^  \| 0 => "),
    ("multi-line statement", r"^(?:theorem|lemma) [^\n]*\n    [^\n]*:\s*\n?"),
    ("module header", r"^module$"),
    ("public import", r"^public import "),
    ("public section", r"^(?:@\[expose\] )?public section$"),
    ("def", r"^def "),
    ("instance", r"^instance "),
    ("structure", r"^structure "),
    ("alias", r"^alias "),
    ("named instance binder", r"\[inst : \w+ \w+\]"),
])
def test_each_construct_is_present(construct: str, pattern: str) -> None:
    assert re.search(pattern, _all_text(), re.M | re.S if construct == "nested comment"
                     else re.M), construct


def test_equations_iffs_and_implications_for_the_mutation_stage() -> None:
    text = _all_text()
    stmts = re.findall(r"^(?:@\[[^\]]*\]\s*)?(?:private |protected )?(?:theorem|lemma) .*?:=",
                       text, re.M | re.S)
    eqs = [s for s in stmts if " = " in s and "↔" not in s]
    iffs = [s for s in stmts if "↔" in s]
    imps = [s for s in stmts if re.search(r"\(h\w* : [^)]*[<≤=][^)]*\)", s)]
    assert len(eqs) >= 40 and len(iffs) >= 8 and len(imps) >= 12, (len(eqs), len(iffs), len(imps))
    # conditional rewrites (an equation with an explicit hypothesis)
    assert re.search(r"theorem my_sub_add_cancel \{a b : ℕ\} \(h : b ≤ a\) : a - b \+ b = a", text)
    # rules whose LHS occurs in other statements: `double`, `2 * _`, squares
    for lemma in ("my_add_comm", "double_eq_two_mul", "sq_sub_sq'", "mul_self_pos_of_pos"):
        assert re.search(rf"^theorem {re.escape(lemma)} ", text, re.M), lemma
    assert len(re.findall(r"double \w+", text)) >= 15
    assert len(re.findall(r"\^ 2", text)) >= 10


def test_no_placeholder_proofs() -> None:
    text = _all_text()
    assert not re.search(r"\bsorry\b|\badmit\b", text)
    assert "autoImplicit = false" in (WS / "lakefile.toml").read_text()


def test_extractor_yields_every_candidate_without_failures() -> None:
    fileparse = pytest.importorskip("lean_alchemy.extract.fileparse")
    if not hasattr(fileparse, "extract_text"):
        pytest.skip("extractor not available")
    records, failures = [], []
    for rel, text in _files().items():
        mod = rel.removesuffix(".lean").replace("/", ".")
        res = fileparse.extract_text(text, module=mod, file=rel)
        records += [d for d in res.declarations if d.is_candidate]
        failures += list(res.failures)
    assert not failures
    assert len(records) >= 60
    assert len(records) == len(_decls())
    names = {d.full_name for d in records}
    for expected in ("Sample.double_eq_two_mul", "Sample.Pt.add_comm", "Sample.Ring.cube_expand",
                     "Sample.two_mul_tri", "Sample.pos_iff_ne_zero'"):
        assert expected in names, expected
    by_name = {d.full_name: d for d in records}
    assert by_name["Sample.Pt.add_comm"].modifiers == ("protected",)
    # a conditional rewrite keeps its hypothesis out of the conclusion
    assert by_name["Sample.my_sub_add_cancel"].conclusion.strip() == "a - b + b = a"
    json.dumps(sorted(names))  # plain data
