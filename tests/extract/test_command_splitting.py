"""Command splitting: comments, docstrings, literals, attributes, `in` chains."""

from __future__ import annotations

from lean_alchemy.extract.commands import group_commands
from lean_alchemy.extract.lexer import LineIndex, mask, pieces


def commands(text: str) -> list[str]:
    mk = mask(text)
    return [text[c.start:c.end] for c in group_commands(mk, pieces(mk))]


def test_mask_keeps_offsets_and_lines():
    text = 'def a := "x -- not a comment" -- comment\n/- block\n-/ theorem t : True := ⟨⟩\n'
    mk = mask(text)
    assert len(mk.masked) == len(text)
    assert mk.masked.count("\n") == text.count("\n")
    assert "comment" not in mk.masked
    assert "theorem t : True" in mk.masked
    assert mk.unterminated_at is None


def test_nested_block_comment_is_one_comment():
    text = "/- outer /- inner -/ still outer\ntheorem hidden : True := trivial\n-/\ntheorem shown : True := trivial\n"
    cmds = commands(text)
    assert len(cmds) == 1 and cmds[0].startswith("theorem shown")


def test_unterminated_comment_reported():
    mk = mask("theorem a : True := trivial\n/- never closed\ntheorem b : True := trivial\n")
    assert mk.unterminated_at is not None
    assert mk.masked.count("theorem") == 1


def test_string_and_char_literals_hide_brackets_and_comment_markers():
    text = "def s : String := \"(-- /-\"\ndef c : Char := '('\ntheorem t (h : f' = g') : True := trivial\n"
    mk = mask(text)
    assert "/-" not in mk.masked and "--" not in mk.masked
    assert "f' = g'" in mk.masked  # primes in identifiers are not char literals
    assert len(commands(text)) == 3


def test_docstring_attributes_and_in_prefixes_join_their_command():
    text = (
        "/-! # Module doc\ntheorem not_real : True := trivial -/\n\n"
        "open Nat in\n"
        "set_option maxHeartbeats 400000 in\n"
        "/-- doc -/\n"
        "@[simp]\n"
        "theorem t : 1 + 1 = 2 := rfl\n\n"
        "-- trailing comment\n"
        "lemma u : True := trivial\n"
    )
    mk = mask(text)
    cmds = group_commands(mk, pieces(mk))
    assert len(cmds) == 2
    first = cmds[0]
    assert text[first.start:].startswith("open Nat in")
    assert [text[a:b] for a, b in first.prefixes] == ["open Nat", "set_option maxHeartbeats 400000"]
    assert text[first.start:first.end].endswith(":= rfl")  # trailing comment excluded
    assert text[cmds[1].start:cmds[1].end] == "lemma u : True := trivial"


def test_column0_continuations_do_not_split():
    text = (
        "theorem eqns : ∀ n : Nat, n = n\n| 0 => rfl\n| _ + 1 => rfl\n"
        "theorem old_style : True :=\ntrivial\n"
        "structure S where\n  x : Nat\nderiving Repr\n"
    )
    cmds = commands(text)
    assert len(cmds) == 3
    assert cmds[1].endswith("trivial")


def test_field_docstrings_and_dangling_keywords_do_not_split():
    text = (
        "class Foo (α : Type) : Prop where\n"
        "/-- documented field at column 0 -/\n"
        "  prop : ∀ a : α, a = a\n"
        "@[deprecated (since := \"2026-01-01\")] alias\n"
        "old_name := new_name\n"
        "scoped[Foo] notation \"⋆\" => Foo\n"
    )
    cmds = commands(text)
    assert len(cmds) == 3
    assert cmds[0].endswith("a = a") and cmds[1].endswith(":= new_name")


def test_line_index_bytes_and_lines():
    text = "αβ\nγ x\n"
    li = LineIndex(text)
    assert li.line(0) == 1 and li.line(3) == 2
    assert li.byte(3) == len("αβ\n".encode())
    assert li.byte(len(text)) == len(text.encode())


from hypothesis import given, settings, strategies as st  # noqa: E402

_LEAN_CHARS = st.sampled_from(list("ab '\"\\/-!()[]{}⟨⟩:=|\n\tα") + ["theorem ", "/-", "-/", "--"])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(_LEAN_CHARS, max_size=60).map("".join))
def test_mask_preserves_length_and_line_breaks(text):
    mk = mask(text)
    assert len(mk.masked) == len(text)
    assert [i for i, c in enumerate(mk.masked) if c == "\n"] == \
        [i for i, c in enumerate(text) if c == "\n"]
    # splitting never raises and yields ordered, non-overlapping commands
    cmds = group_commands(mk, pieces(mk))
    ends = [(c.start, c.end) for c in cmds]
    assert all(a <= b for a, b in ends)
    assert all(ends[k][1] <= ends[k + 1][0] for k in range(len(ends) - 1))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(_LEAN_CHARS | st.sampled_from(["namespace A\n", "end A\n", "section\n", "end\n",
                                               "open B in\n", ": P := rfl\n", "@[simp]\n"]),
                max_size=40).map("".join))
def test_extract_text_never_raises(text):
    from lean_alchemy.extract.fileparse import extract_text

    res = extract_text(text, module="M", file="M.lean")
    n_kw = sum(1 for line in text.split("\n") if line.startswith("theorem "))
    # a theorem line at column 0 outside comments is a record or a failure (never lost);
    # lines inside comments may be neither, so this is an upper bound
    assert len([d for d in res.declarations if d.kind == "theorem"]) <= n_kw
    assert all(not f.reason.startswith("internal error") for f in res.failures)


def test_docstring_inside_an_attribute_stays_in_its_command():
    # `to_additive` given its own docstring on a column-0 line: the attribute list is
    # still open there, so the declaration keeps its attributes
    text = ("@[to_additive AddCls\n/-- the additive one, with a ] inside -/]\n"
            "def MulCls := Nat\n\n/-- a docstring of its own -/\ntheorem t : True := trivial\n")
    cmds = commands(text)
    assert len(cmds) == 2
    assert cmds[0].startswith("@[to_additive AddCls") and cmds[0].endswith("def MulCls := Nat")
    assert cmds[1].startswith("/-- a docstring of its own -/")


def test_docstring_inside_an_attribute_keeps_the_attribute_and_its_twin():
    from lean_alchemy.extract.fileparse import extract_text

    text = ("namespace S\n\n@[to_additive AddCls\n/-- the additive one -/]\n"
            "def MulCls := Nat\n\nend S\n")
    d = next(x for x in extract_text(text, module="S", file="S.lean").declarations
             if x.name == "MulCls")
    assert d.start_line == 3
    assert d.attributes == ("to_additive AddCls /-- the additive one -/",)
