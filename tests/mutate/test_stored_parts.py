"""Mutants as the run database stores them (`core.lean_parts`): shared parts and a compressed
payload that render back to exactly the text the mutator wrote."""

from __future__ import annotations

import dataclasses

import pytest

from lean_alchemy.core import lean_parts as lp
from lean_alchemy.core.records import Declaration, Scope
from lean_alchemy.mutate.mutator import Mutator
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.proofs import merged_body

from helpers.hand_built_asts import ADD_ZERO, CAND_BINDERS, CAND_CONCL, I, inv, show
from helpers.builders import make_mutant

SCOPE = Scope(module="Test.Mod", imports=("Mathlib",), namespaces=("Foo",),
              commands=(("namespace", "namespace Foo"), ("open", "open Nat")))
TACTIC = "by\n  have h := Nat.le_refl x\n\n  simp only [Nat.add_comm] at h ⊢\n  omega"
TERM = "\n  Nat.le_antisymm\n    (Nat.le_of_eq (Nat.add_zero x ▸ rfl))\n    (Nat.le_of_eq rfl)"


def _mutant(proof: str):
    decl = Declaration(full_name="Foo.bar", name="bar", kind="theorem", module="Test.Mod",
                       file="Test/Mod.lean", start_line=3, end_line=5, proof=proof,
                       proof_style="tactic", scope_id=SCOPE.id, parse_status="full")
    mut = Mutator([ADD_ZERO], {SCOPE.id: SCOPE}, MutateOptions(), show=show,
                  show_binders=lambda gs: "(x y : ℕ)",
                  parse=lambda d: (CAND_BINDERS, CAND_CONCL), section_of=lambda s: ())
    rows = list(mut.mutate_theorem(decl, [inv("rw_goal", ADD_ZERO, "goal",
                                              [("lhs", -1), ("lhs", -1)], {"a": I("x")})]))
    assert len(rows) == 1 and mut.base_body == "\n".join(merged_body(decl))
    return rows[0][0], mut.base_body


def _fields(e: lp.Encoded, m) -> list[str]:
    origin = lp.Origin(m.source_theorem, m.source_module, m.scope_id, "")
    return lp._decompress(e.payload, lp._zdict(m.id, origin))


@pytest.mark.parametrize("proof", [TACTIC, TERM], ids=["tactic", "term"])
def test_parts_render_back_the_mutators_text_with_the_proof_stored_once(proof: str) -> None:
    m, body = _mutant(proof)
    e = lp.encode(m, body)
    assert not e.payload[0] & lp.FLAG_VERBATIM
    (frame_id, frame), (origin_id, origin) = e.parts
    assert (frame_id, origin_id) == (e.frame, e.origin)
    got = lp.decode(e.id, e.kind, e.depth, e.payload, lp.parse_frame(frame),
                    lp.parse_origin(origin), (m.rule_library, m.proof_status, m.relation))
    assert got == m  # every field, the Lean unit byte for byte
    fields = _fields(lp.encode(m, ""), m)
    assert fields[9] == "-1" and "Nat.le_antisymm\n" not in "".join(_fields(e, m)[8:11])
    assert int(_fields(e, m)[9]) != -1  # the base body was cut out of the stored proof
    assert lp.parse_origin(origin).base_body == body
    assert fields[12].startswith("#")  # the engine's features, four values stored


def test_the_unit_layout_is_the_mutators() -> None:
    m, body = _mutant(TACTIC)
    assert m.lean == (
        "section\nnamespace Foo\nopen Nat\nset_option autoImplicit false\n\n"
        "set_option maxHeartbeats 400000 in\n"
        f"theorem bar_rw_goal_{m.id[:8]} (x y : ℕ) : ((x + y) = (y + x)) := by\n"
        "  have : (((x + 0) + y) = (y + (x + 0))) := by\n"
        "    have h := Nat.le_refl x\n\n"
        "    simp only [Nat.add_comm] at h ⊢\n"
        "    omega\n"
        "  rewrite [add_zero (a := x)] at this\n"
        "  exact this\n\nend Foo\nend\n")
    assert lp.render_unit(m.header, m.lean[len(m.header) + 2:-len("\n\nend Foo\nend\n")],
                          "end Foo\nend\n") == m.lean


def test_split_proof_takes_whole_lines_only() -> None:
    body = "simp only [Nat.add_comm, Nat.mul_comm]\nomega  -- long enough to be a part"
    proof = "by\n  have : p := by\n    " + body.replace("\n", "\n    ") + "\n  exact this"
    before, k, after = lp.split_proof(proof, body)
    assert k == 4 and lp.join_proof(before, k, after, body) == proof
    assert lp.split_proof(proof.replace("    simp", "    xsimp"), body) is None
    assert lp.split_proof(proof, body[:20]) is None  # too short to be worth a part


def test_a_mutant_of_another_layout_is_stored_whole_and_reads_back() -> None:
    m = make_mutant(3, lean="namespace Foo\ntheorem t : True := trivial\nend Foo",
                    features=(("size", 7.0),))
    e = lp.encode(m, "")
    assert e.payload[0] & lp.FLAG_VERBATIM
    (_, frame), (_, origin) = e.parts
    assert lp.decode(e.id, e.kind, e.depth, e.payload, lp.parse_frame(frame),
                     lp.parse_origin(origin)) == m
    odd = dataclasses.replace(m, statement="a\x1fb")  # the field separator inside a field
    e = lp.encode(odd, "")
    assert e.payload[0] & lp.FLAG_JSON
    assert lp.decode(e.id, e.kind, e.depth, e.payload, lp.parse_frame(frame),
                     lp.parse_origin(origin)) == odd


def test_part_ids_are_stable_digests() -> None:
    assert lp.part_id("frame", "x") == lp.part_id("frame", "x") != lp.part_id("origin", "x")
    assert 0 <= lp.part_id("frame", "x") < 2 ** 63


def test_a_full_part_cache_still_holds_every_part_of_the_page(monkeypatch) -> None:
    """When the cache is full it starts again, and the page being decoded keeps all of its
    parts (those it had cached before included)."""
    monkeypatch.setattr(lp, "PART_CACHE", 3)
    texts = {i: lp.compress_part(lp.frame_text(lp.Frame(f"h{i}", "end\n"))) for i in range(6)}
    loads: list[list[int]] = []
    reader = lp.PartReader(lambda ids: loads.append(ids) or [(i, texts[i]) for i in ids])
    reader.need([0, 1], [])
    reader.need([1, 2, 3], [])  # 2 cached + 2 new > 3: cleared, the page's three fetched
    assert loads[-1] == [1, 2, 3]
    assert [reader.frames[i].header for i in (1, 2, 3)] == ["h1", "h2", "h3"]


def test_a_proof_that_does_not_join_back_is_stored_whole(monkeypatch) -> None:
    """`encode` checks every mutant against what decoding gives: a proof split that does not
    join back to the mutator's proof is caught, and the proof stored whole instead."""
    m, body = _mutant(TACTIC)
    join = lp.join_proof
    monkeypatch.setattr(lp, "join_proof",
                        lambda before, k, after, b: join(before, k, after, b) + ("  " if b else ""))
    e = lp.encode(m, body)
    assert _fields(e, m)[9] == "-1"  # the base body was not cut out
    monkeypatch.setattr(lp, "join_proof", join)
    (_, frame), (_, origin) = e.parts
    assert lp.decode(e.id, e.kind, e.depth, e.payload, lp.parse_frame(frame),
                     lp.parse_origin(origin), (m.rule_library, m.proof_status, m.relation)) == m


def _features_back(m) -> tuple:
    e = lp.encode(m, "")
    (_, frame), (_, origin) = e.parts
    return _fields(e, m)[12], lp.decode(e.id, e.kind, e.depth, e.payload,
                                        lp.parse_frame(frame), lp.parse_origin(origin)).features


def test_features_are_stored_short_only_when_they_read_back_exactly() -> None:
    m, _ = _mutant(TACTIC)
    values = dict(m.features)
    lines, chars = float(m.proof.count("\n") + 1), float(len(m.proof))
    assert (values["proof_lines"], values["proof_chars"]) == (lines, chars)

    def with_values(**changed: float):
        return dataclasses.replace(m, features=tuple((k, changed.get(k, v))
                                                     for k, v in m.features))

    stored, back = _features_back(with_values(statement_size=12.5))
    assert stored == "#12.5,%d,%d,%d" % (values["binders"], values["hypotheses"],
                                         values["occurrences"]) and back == with_values(
        statement_size=12.5).features
    # a derived value that the proof does not give: the JSON, read back as it was
    for odd in (with_values(proof_lines=lines + 1), with_values(depth=7.0)):
        stored, back = _features_back(odd)
        assert stored.startswith("[[") and back == odd.features
    stored, back = _features_back(with_values(hypotheses=-0.0))
    assert str(dict(back)["hypotheses"]) == "-0.0"  # the sign survives
    reordered = dataclasses.replace(m, features=m.features[::-1])
    stored, back = _features_back(reordered)
    assert stored.startswith("[[") and back == reordered.features
