"""Declarations and scopes from Lean text written here in Mathlib's style."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lean_alchemy.core.records import Binder
from lean_alchemy.extract.fileparse import extract_file, extract_text, module_name
from lean_alchemy.extract.scope import variable_binders

SAMPLE = """\
/-
Copyright (c) 2026 Example. All rights reserved.
-/
module

public import Mathlib.Algebra.Group.Defs
import Mathlib.Order.Basic

/-!
# Sample

Mentions `theorem in_doc : True` only in prose:
theorem in_moddoc : 1 = 1 := rfl
-/

@[expose] public section

open Function

universe u v

namespace Sample

variable {α : Type u} [Monoid α] (a b : α)

/-- Multiplying by one on the left. -/
@[simp]
theorem one_mul' : 1 * a = a := by
  simp

/- a plain comment /- nested -/ still a comment -/
lemma two_lines {β : Type v}
    (f : α → β) (h : a = b) :
    f a = f b := by
  rw [h]

open Nat in
set_option maxHeartbeats 400000 in
@[simp, to_additive (attr := simp) "The additive version."]
protected theorem succ_eq (n : ℕ) : succ n = n + 1 := rfl

private lemma _root_.top_level (s : String := "a(b") : s = s := rfl

theorem eqns : ∀ n : ℕ, n + 0 = n
  | 0 => rfl
  | _ + 1 => rfl

theorem by_where : True ∧ True where
  left := trivial
  right := trivial

section Inner

variable (c : α)

local notation "𝟙" => (1 : ℕ)

attribute [local simp] mul_comm

theorem inner_thm (h : c = c) : 𝟙 = 1 := rfl

end Inner

noncomputable section

def d : ℕ := 3

instance : Inhabited ℕ := ⟨0⟩

instance (priority := 100) namedInst : Inhabited Bool := ⟨true⟩

end

structure Pt where
  x : ℕ
deriving Repr

abbrev N := ℕ

alias ⟨succ_eq_mp, _⟩ := Iff.rfl

end Sample

theorem after_end : True := trivial
"""


@pytest.fixture(scope="module")
def res():
    return extract_text(SAMPLE, module="Sample.Basic", file="Sample/Basic.lean")


def by_name(res):
    return {d.full_name: d for d in res.declarations}


def test_every_theorem_is_a_record(res):
    names = {d.full_name for d in res.declarations if d.kind in ("theorem", "lemma")}
    assert names == {"Sample.one_mul'", "Sample.two_lines", "Sample.succ_eq", "top_level",
                     "Sample.eqns", "Sample.by_where", "Sample.inner_thm", "after_end"}
    assert res.failures == ()


def test_other_kinds_name_and_kind_only(res):
    d = by_name(res)
    assert d["Sample.d"].kind == "def" and d["Sample.d"].scope_id is None
    assert d["Sample.namedInst"].kind == "instance"
    assert d["Sample.Pt"].kind == "structure"
    assert d["Sample.N"].kind == "abbrev"
    assert d["Sample.succ_eq_mp"].kind == "alias"
    anon = [x for x in res.declarations if x.kind == "instance" and not x.name]
    assert len(anon) == 1 and anon[0].full_name.startswith("Sample.«instance@")


def test_theorem_fields(res):
    d = by_name(res)["Sample.one_mul'"]
    assert d.kind == "theorem" and d.name == "one_mul'" and d.module == "Sample.Basic"
    assert d.docstring == "Multiplying by one on the left."
    assert d.attributes == ("simp",)
    assert d.conclusion == "1 * a = a"
    assert d.proof == "by\n  simp" and d.proof_style == "tactic"
    lines = SAMPLE.split("\n")
    assert lines[d.start_line - 1].startswith("/-- Multiplying")
    assert lines[d.end_line - 1] == "  simp"
    assert SAMPLE.encode()[d.start_byte:d.end_byte].decode().endswith("simp")


def test_multiline_statement_and_binders(res):
    d = by_name(res)["Sample.two_lines"]
    assert d.kind == "lemma"
    assert d.binders == (Binder("β", "implicit", "Type v"), Binder("f", "explicit", "α → β"),
                         Binder("h", "explicit", "a = b"))
    assert d.conclusion == "f a = f b"
    assert d.docstring is None  # a plain comment is not a docstring


def test_modifiers_attributes_and_in_prefix_scope(res):
    d = by_name(res)["Sample.succ_eq"]
    assert d.modifiers == ("protected",)
    assert d.attributes == ("simp", 'to_additive (attr := simp) "The additive version."')
    assert d.proof == "rfl" and d.proof_style == "term"
    scopes = {s.id: s for s in res.scopes}
    cmds = scopes[d.scope_id].commands
    assert cmds[-2:] == (("open", "open Nat"), ("set_option", "set_option maxHeartbeats 400000"))
    # the `in` prefix applies to that declaration only
    later = scopes[by_name(res)["Sample.eqns"].scope_id].commands
    assert ("open", "open Nat") not in later


def test_root_private_and_string_default(res):
    d = by_name(res)["top_level"]
    assert d.name == "_root_.top_level" and d.modifiers == ("private",)
    assert d.binders == (Binder("s", "explicit", 'String := "a(b"'),)


def test_proof_styles(res):
    d = by_name(res)
    assert d["Sample.eqns"].proof_style == "equations"
    assert d["Sample.eqns"].proof.startswith("| 0 => rfl")
    assert d["Sample.eqns"].conclusion == "∀ n : ℕ, n + 0 = n"
    assert d["Sample.by_where"].proof_style == "where"
    assert d["Sample.by_where"].proof.startswith("where")


def test_scope_contents(res):
    scopes = {s.id: s for s in res.scopes}
    assert len(scopes) == len(res.scopes)
    s = scopes[by_name(res)["Sample.inner_thm"].scope_id]
    assert s.module == "Sample.Basic"
    assert s.imports == ("Mathlib.Algebra.Group.Defs", "Mathlib.Order.Basic")
    assert s.is_module_file
    assert s.namespaces == ("Sample",)
    kinds = [k for k, _ in s.commands]
    assert kinds == ["section", "open", "universe", "namespace", "variable", "section",
                     "variable", "notation", "attribute"]
    assert s.commands[5] == ("section", "section Inner")
    assert s.commands[-1] == ("attribute", "attribute [local simp] mul_comm")
    assert s.postamble() == "end Inner\nend Sample\nend"
    # closed section: its variable and notation are gone afterwards
    after = scopes[by_name(res)["after_end"].scope_id]
    assert [k for k, _ in after.commands] == ["section", "open", "universe"]
    assert after.namespaces == ()


def test_variable_binders_in_scope(res):
    scopes = {s.id: s for s in res.scopes}
    s = scopes[by_name(res)["Sample.inner_thm"].scope_id]
    assert variable_binders(s) == (
        Binder("α", "implicit", "Type u"), Binder("", "inst", "Monoid α"),
        Binder("a", "explicit", "α"), Binder("b", "explicit", "α"), Binder("c", "explicit", "α"))


def test_mutual_and_nested_namespace_end_matching():
    text = (
        "namespace A.B\nsection S\nnamespace C\n"
        "theorem t1 : True := trivial\n"
        "end C\nend S\n"
        "theorem t2 : True := trivial\n"
        "end A.B\n"
        "mutual\ntheorem m1 : True := trivial\ntheorem m2 : True := trivial\nend\n"
        "theorem t3 : True := trivial\n"
    )
    res = extract_text(text, module="M", file="M.lean")
    names = [d.full_name for d in res.declarations]
    assert names == ["A.B.C.t1", "A.B.t2", "m1", "m2", "t3"]
    scopes = {s.id: s for s in res.scopes}
    t3 = next(d for d in res.declarations if d.name == "t3")
    assert scopes[t3.scope_id].commands == ()


def test_omit_include_and_rebinder():
    text = (
        "variable {R : Type*} [CommRing R] (x y : R)\n"
        "variable {x}\n"
        "omit [CommRing R] in\n"
        "theorem a1 : x = x := rfl\n"
        "include y in\n"
        "theorem a2 : x = x := rfl\n"
        "omit y\n"
        "theorem a3 : x = x := rfl\n"
    )
    res = extract_text(text, module="M", file="M.lean")
    scopes = {s.id: s for s in res.scopes}
    d = {x.name: x for x in res.declarations}
    b1 = variable_binders(scopes[d["a1"].scope_id])
    assert b1 == (Binder("R", "implicit", "Type*"), Binder("x", "implicit", "R"),
                  Binder("y", "explicit", "R"))
    assert ("include", "include y") in scopes[d["a2"].scope_id].commands
    b3 = variable_binders(scopes[d["a3"].scope_id])
    assert [b.name for b in b3] == ["R", "", "x"]


def test_local_instance_and_local_infix_are_scope_commands():
    text = (
        "section\n"
        "local instance foo : Inhabited Nat := ⟨1⟩\n"
        "local infixl:65 \" +' \" => Nat.add\n"
        "theorem t : True := trivial\n"
        "end\n"
    )
    res = extract_text(text, module="M", file="M.lean")
    s = res.scopes[0]
    assert ("instance", "attribute [local instance] foo") in s.commands
    assert any(k == "notation" and "infixl" in t for k, t in s.commands)


def test_unterminated_comment_and_undelimited_theorem_are_failures():
    text = (
        "theorem ok : True := trivial\n"
        "theorem no_proof : True\n"
        "/- starts here\n"
        "theorem lost : True := trivial\n"
    )
    res = extract_text(text, module="M", file="M.lean")
    assert [d.name for d in res.declarations] == ["ok"]
    reasons = sorted((f.line, f.reason) for f in res.failures)
    assert reasons == [(2, "no proof delimiter (':=', '|' or 'where')"),
                       (3, "unterminated comment"),
                       (4, "declaration inside unterminated comment")]
    assert all(f.file == "M.lean" for f in res.failures)


def test_undecodable_and_unreadable_files(tmp_path: Path):
    bad = tmp_path / "Lib" / "Bad.lean"
    bad.parent.mkdir()
    bad.write_bytes(b"theorem t : True := trivial\n\xff\xfe\n")
    res = extract_file(bad, tmp_path)
    assert res.declarations == ()
    assert [(f.file, f.line, f.reason) for f in res.failures] == [("Lib/Bad.lean", 2,
                                                                   "undecodable")]
    gone = tmp_path / "Lib" / "Gone.lean"
    res = extract_file(gone, tmp_path)
    assert [f.reason for f in res.failures] == ["unreadable"]
    if os.geteuid() != 0:  # root can read anything
        locked = tmp_path / "Lib" / "Locked.lean"
        locked.write_text("theorem t : True := trivial\n")
        locked.chmod(0)
        assert [f.reason for f in extract_file(locked, tmp_path).failures] == ["unreadable"]


def test_module_name_and_iteration():
    assert module_name("Mathlib/Algebra/Group/Basic.lean") == "Mathlib.Algebra.Group.Basic"
    res = extract_text("theorem t : True := trivial\n", module="M", file="M.lean")
    assert [d.name for d in res] == ["t"]


def test_universe_params_and_guillemets():
    text = "theorem foo.{w} {β : Sort w} (b : β) : b = b := rfl\ntheorem «weird name» : True := trivial\n"
    res = extract_text(text, module="M", file="M.lean")
    assert [d.name for d in res.declarations] == ["foo", "«weird name»"]
    assert res.declarations[0].binders[0] == Binder("β", "implicit", "Sort w")


def test_same_line_equation_and_abs_bars():
    text = (
        "theorem ex1 {p : α → Prop} : (∃! x, p x) → ∃ x, p x | ⟨x, h, _⟩ => ⟨x, h⟩\n"
        "theorem abs_le (x : ℝ) :\n    |x| ≤ |x| := le_rfl\n"
    )
    res = extract_text(text, module="M", file="M.lean")
    d = {x.name: x for x in res.declarations}
    assert d["ex1"].proof_style == "equations" and d["ex1"].conclusion == "(∃! x, p x) → ∃ x, p x"
    assert d["abs_le"].conclusion == "|x| ≤ |x|" and d["abs_le"].proof == "le_rfl"


def test_unterminated_string_is_a_failure():
    text = 'theorem a : True := trivial\ndef s : String := "open\n\ntheorem b : True := trivial\n'
    res = extract_text(text, module="M", file="M.lean")
    assert [d.name for d in res.declarations if d.kind == "theorem"] == ["a"]
    assert [(f.line, f.reason) for f in res.failures] == [
        (2, "unterminated string"), (4, "declaration inside unterminated string")]


def test_a_doc_comment_is_no_line_comment():
    """`/-- doc -/` opens with `--`: read as a line comment, it swallowed the rest of the
    line and left a stray `/`; a `--` inside a block comment is that block's."""
    from lean_alchemy.extract.commands import strip_comments

    def words(s: str) -> list[str]:
        return strip_comments(s).split()

    assert words("X ⟶ Y /-- The inverse. -/ inv : Y ⟶ X") == ["X", "⟶", "Y", "inv", ":",
                                                                "Y", "⟶", "X"]
    assert words("a /- x -- y -/ + b -- tail\nc") == ["a", "+", "b", "c"]
    assert words("a -- see /- here\nb") == ["a", "b"]
