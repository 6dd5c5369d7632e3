"""A mutant's Lean text split into the parts it shares with other mutants, and back.

Why: a check unit is the scope preamble of the original theorem, the declaration, and the
closing `end`s; the declaration's proof is a short bridge around the original proof.  The
thousands of mutants of one library theorem share all of that but the statement and the
bridge, so the run database stores each shared part once (`lean_parts`, keyed by a digest
of its text) and a mutant row holds only what is its own, compressed.  `render_unit` and
`decode` are the one way back to the text: the checker (through `RunDB`) and the corpus
export (`corpus.db_batches`) both read mutants through `decode`.

The parts of a mutant:
  frame    the unit's header (section, scope preamble, `open scoped`, options) and its
           closing text; shared by every mutant of a scope (and the same extra opens)
  origin   the source theorem, its module and scope id, and its proof as a tactic body
           (the "base body", `mutate.proofs`); shared by every mutant of a theorem
  payload  the mutant's own fields: names, rule, statement, the declaration line(s), the
           proof with the base body cut out (replaced by its indentation), imports and
           features; deflate-compressed with a preset dictionary (`VOCABULARY` plus the
           mutant's id and its origin's names), so a name or a module repeated from the
           origin costs a back-reference, not its letters

Layout (what `render_unit` and `decode` put together):

    lean  = header "\\n\\n" declaration_head proof "\\n\\n" close
    proof = proof_before indent(base body, k) proof_after      (k < 0: proof_before is all)

`encode` checks that the parts give back exactly the mutant's texts and, when they do not
(a hand-made Mutant with another layout), stores the texts whole (`FLAG_VERBATIM`), so a
stored mutant always reads back byte-identical.  The flag byte and the dictionary are part
of the stored format: change either and bump `core.rundb.SCHEMA_VERSION`.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from lean_alchemy.core.records import Mutant, features_json, imports_json

SEP = "\x1f"  # between payload fields (a field holding it is stored as JSON instead)
FLAG_JSON = 1  # payload fields are a JSON list, not SEP-joined
FLAG_VERBATIM = 2  # the lean text is stored whole (declaration_head field); no proof split
MIN_BODY_CHARS = 48  # a shorter base body stays in the payload: a part would not pay
ZLIB_LEVEL = 6  # level 9 measured no smaller on rows of this size (docs/mutate.md)
PART_CACHE = 1 << 16  # decoded parts kept per reader / encoded parts per writer process

# Strings that recur in payloads (deflate's preset dictionary: later = cheaper to refer to).
VOCABULARY = (
    " ∀ ∃ ∑ ∏ ∫ ≤ ≥ ≠ ↔ → ← ∈ ∉ ⊆ ∩ ∪ ⁻¹ ∘ • ⬝ ℕ ℤ ℚ ℝ ℂ Finset Set Filter Real Nat Int "
    "Function.Injective Function.Surjective Polynomial Matrix MeasureTheory Topology "
    "CategoryTheory Module Submodule LinearMap Ideal Subgroup Monoid Group Ring Field "
    "(hf : ) (hg : ) (h : ) {α : Type*} {β : Type*} [inst : ] [CommRing R] [Field K] "
    "(n : ℕ) (x : ) (a b : ) (s : Set ) (f : ) := by\n  simp\n  rfl\n  exact\n  "
    "apply \n  intro \n  rw [\n  simp only [\n  obtain ⟨\n  refine ⟨\n  · \n    "
    "all_goals assumption <;> assumption\nreplace  := by\n    rewrite [\n    exact \n"
    "have  : \n  rewrite [← \n  exact this\n] at this\n  exact this\nby\n  have : "
    "rw_goal rw_hyp apply_hyp merged invoke goal fwd bwd "
    '[["statement_size", , ["binders", , ["hypotheses", , ["proof_lines", '
    ', ["proof_chars", .0], ["depth", 1.0], ["occurrences", 1.0]]'
    '["Mathlib.Mathlib.'
    ":\n    set_option maxHeartbeats 400000 in\ntheorem "
)


@dataclass(frozen=True, slots=True)
class Origin:
    """What every mutant of one source theorem shares."""

    source_theorem: str
    source_module: str
    scope_id: str
    base_body: str  # the original proof as a tactic body ("" when not factored out)


@dataclass(frozen=True, slots=True)
class Frame:
    """What every unit of one scope (and the same extra opens) shares."""

    header: str
    close: str


# --------------------------------------------------------------------------- parts

def part_id(kind: str, text: str) -> int:
    """A part's key: 63 bits of a BLAKE2b digest of its kind and text (an SQLite INTEGER
    PRIMARY KEY).  Two different parts of one run colliding is about as likely as one in
    10^8 for a million parts; `RunDB` checks the stored text on insert all the same."""
    h = hashlib.blake2b(kind.encode() + b"\0" + text.encode("utf-8"), digest_size=8)
    return int.from_bytes(h.digest(), "big") >> 1


def _pack(fields: Iterable[str]) -> str:
    return SEP.join(fields)


def frame_text(frame: Frame) -> str:
    return _pack((frame.header, frame.close))


def origin_text(origin: Origin) -> str:
    return _pack((origin.source_theorem, origin.source_module, origin.scope_id,
                  origin.base_body))


def parse_frame(text: str) -> Frame:
    header, close = text.split(SEP)
    return Frame(header, close)


def parse_origin(text: str) -> Origin:
    theorem, module, scope, body = text.split(SEP, 3)
    return Origin(theorem, module, scope, body)


def compress_part(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), ZLIB_LEVEL)


def decompress_part(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")


# --------------------------------------------------------------------------- rendering

def render_unit(header: str, declaration: str, close: str) -> str:
    """The complete check unit (without `import` lines): the one layout `mutate.render`
    writes and `decode` reads back."""
    return f"{header}\n\n{declaration}\n\n{close}"


def indent_block(body: str, k: int) -> str:
    """`body`'s lines indented by `k` spaces (blank lines stay empty), as
    `mutate.proofs.indent` writes them."""
    pad = " " * k
    return "\n".join(pad + ln if ln.strip() else "" for ln in body.split("\n"))


def split_proof(proof: str, body: str) -> tuple[str, int, str] | None:
    """(before, k, after) with `proof == before + indent_block(body, k) + after`, the block
    on whole lines; None when `body` (or all of it but an `exact` first line, which a
    `have` absorbs) does not occur indented in `proof`."""
    if len(body) < MIN_BODY_CHARS:
        return None
    lines = body.split("\n")
    for block in (body, "\n".join(lines[1:]) if lines[0] == "exact" and len(lines) > 1 else ""):
        first = next((ln for ln in block.split("\n") if ln.strip()), "")
        if not first or not block.split("\n")[0].strip():
            continue
        at = proof.find(first)
        while at >= 0:
            start = proof.rfind("\n", 0, at) + 1
            k = at - start
            if proof[start:at] == " " * k:
                text = indent_block(block, k)
                end = start + len(text)
                if proof.startswith(text, start) and (end == len(proof) or proof[end] == "\n"):
                    if block is body:
                        return proof[:start], k, proof[end:]
                    return proof[:start], -2 - k, proof[end:]  # k encoded: skip line 1
            at = proof.find(first, at + 1)
    return None


def join_proof(before: str, k: int, after: str, body: str) -> str:
    if k == -1:
        return before
    if k <= -2:  # the body without its first line (`exact`), indented by -2 - k
        return before + indent_block(body.split("\n", 1)[1], -2 - k) + after
    return before + indent_block(body, k) + after


# --------------------------------------------------------------------------- payload

def _zdict(mutant_id: str, origin: Origin) -> bytes:
    return (VOCABULARY + origin.source_module + " " + origin.source_theorem + " "
            + mutant_id).encode("utf-8")


def _compress(fields: list[str], zdict: bytes) -> tuple[bytes, int]:
    flags = 0
    if any(SEP in f for f in fields):
        raw, flags = json.dumps(fields, ensure_ascii=False), flags | FLAG_JSON
    else:
        raw = _pack(fields)
    c = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    return c.compress(raw.encode("utf-8")) + c.flush(), flags


def _decompress(blob: bytes, zdict: bytes) -> list[str]:
    d = zlib.decompressobj(-15, zdict)
    raw = (d.decompress(blob[1:]) + d.flush()).decode("utf-8")
    return json.loads(raw) if blob[0] & FLAG_JSON else raw.split(SEP)


@dataclass(frozen=True, slots=True)
class Encoded:
    """A mutant as stored: its row values and the parts it refers to."""

    id: str
    kind: str
    depth: int
    frame: int  # part id
    origin: int  # part id
    payload: bytes
    source_module: str
    parts: tuple[tuple[int, str], ...]  # (part id, text) of frame and origin


def _fields(m: Mutant, origin: Origin) -> tuple[list[str], int, Frame]:
    """Payload fields, flags and frame of `m` (the split is checked by `encode`)."""
    head = m.header + "\n\n"
    split = None
    if m.lean.startswith(head) and m.proof:
        at = m.lean.find(m.proof, len(head))
        while at >= 0:
            rest = m.lean[at + len(m.proof):]
            if rest.startswith("\n\n"):
                split = (m.lean[len(head):at], rest[2:])
                break
            at = m.lean.find(m.proof, at + 1)
    parts = split_proof(m.proof, origin.base_body) if origin.base_body else None
    before, k, after = parts if parts is not None else (m.proof, -1, "")
    flags = 0
    if split is None:
        flags |= FLAG_VERBATIM
        decl_head, frame = m.lean, Frame(m.header, "")
    else:
        decl_head, frame = split[0], Frame(m.header, split[1])
    fields = [m.name, m.parent, m.rule, m.direction, m.location, m.proof_style, m.statement,
              decl_head, before, str(k), after, imports_json(m.imports),
              _short_features(m.features, m.proof, m.depth)]
    return fields, flags, frame


# The engine's features (`mutate.mutator.features`) in order; three follow from the proof
# and the depth, so a row stores the other four values only (`_short_features`).
FEATURE_KEYS = ("statement_size", "binders", "hypotheses", "proof_lines", "proof_chars",
                "depth", "occurrences")
_STORED_FEATURES = (0, 1, 2, 6)


def _derived_features(proof: str, depth: int) -> tuple[float, float, float]:
    return float(proof.count("\n") + 1), float(len(proof)), float(depth)


def _number(v: float) -> str:
    """`v` as text that `float` reads back exactly (`-0.0` keeps its sign)."""
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 and (v or str(v)[0] != "-") \
        else repr(v)


def _short_features(features: tuple[tuple[str, float], ...], proof: str, depth: int) -> str:
    """`#v0,v1,v2,v6` when `features` are the engine's (keys in order, all floats, the
    derived three equal to what the proof and depth give), else their JSON
    (`core.records.features_json`).  Why no JSON is built for the short form: `_number`
    writes a float so that `float` reads it back exactly, so these conditions are exactly
    when `_long_features` gives the JSON back (and `encode` checks the whole record)."""
    if len(features) != len(FEATURE_KEYS) or any(
            k != want or type(v) is not float for (k, v), want in zip(features, FEATURE_KEYS)):
        return features_json(features)
    values = [v for _, v in features]
    if (values[3], values[4], values[5]) != _derived_features(proof, depth):
        return features_json(features)
    return "#" + ",".join(_number(values[i]) for i in _STORED_FEATURES)


def _long_features(text: str, proof: str, depth: int) -> str:
    """The JSON of `_short_features`' result."""
    if not text.startswith("#"):
        return text
    a, b, c, d = (float(x) for x in text[1:].split(","))
    lines, chars, dep = _derived_features(proof, depth)
    return features_json(tuple(zip(FEATURE_KEYS, (a, b, c, lines, chars, dep, d))))


def encode(m: Mutant, base_body: str = "",
           cache: dict[tuple[str, str], tuple[int, str]] | None = None) -> Encoded:
    """`m` as stored, given its theorem's base body (`mutate.proofs`; "" when unknown:
    the proof is then stored whole).  `cache`: part texts already keyed in this process
    (the same tuple objects are then sent for every mutant of a theorem)."""
    origin = Origin(m.source_theorem, m.source_module, m.scope_id, base_body)
    fields, flags, frame = _fields(m, origin)
    zdict = _zdict(m.id, origin)
    blob, more = _compress(fields, zdict)
    flags |= more
    enc_frame = _part("frame", frame_text(frame), cache)
    enc_origin = _part("origin", origin_text(origin), cache)
    out = Encoded(m.id, m.kind, m.depth, enc_frame[0], enc_origin[0], bytes((flags,)) + blob,
                  m.source_module, (enc_frame, enc_origin))
    extras = (m.rule_library, m.proof_status, m.relation)
    # checked on the fields, not the payload: the compression round trip is lossless
    # (zlib; fields joined by SEP only when none holds it), and decompressing every
    # mutant again cost the workers about 2 % of their time
    texts = _texts(fields, bool(flags & FLAG_VERBATIM), frame, origin, m.depth)
    if _record(out.id, out.kind, out.depth, texts, origin, extras) != m:
        if origin.base_body:  # the proof split went wrong somewhere: store it whole
            return encode(m, "", cache)
        raise ValueError(f"mutant {m.id} does not encode losslessly")
    return out


def _part(kind: str, text: str, cache: dict | None) -> tuple[int, str]:
    if cache is None:
        return part_id(kind, text), text
    hit = cache.get((kind, text))
    if hit is None:
        if len(cache) >= PART_CACHE:
            cache.clear()
        hit = cache[(kind, text)] = (part_id(kind, text), text)
    return hit


# What `decode_texts` gives, in order (`imports` and `features` as their stored JSON).
TEXT_FIELDS = ("name", "parent", "rule", "direction", "location", "proof_style", "statement",
               "proof", "imports", "header", "lean", "features")


def decode_texts(mutant_id: str, payload: bytes, frame: Frame, origin: Origin,
                 depth: int) -> tuple:
    """A stored mutant's `TEXT_FIELDS`, its Lean text rendered (`render_unit`): the one
    rendering of stored mutants, for records (`decode`) and the corpus export alike."""
    return _texts(_decompress(payload, _zdict(mutant_id, origin)),
                  bool(payload[0] & FLAG_VERBATIM), frame, origin, depth)


def _texts(fields: list[str], verbatim: bool, frame: Frame, origin: Origin, depth: int
           ) -> tuple:
    """`decode_texts` of the payload's fields."""
    (name, parent, rule, direction, location, proof_style, statement, decl_head, before, k,
     after, imports, features) = fields
    proof = join_proof(before, int(k), after, origin.base_body)
    if verbatim:
        lean = decl_head
    else:
        lean = render_unit(frame.header, decl_head + proof, frame.close)
    return (name, parent, rule, direction, location, proof_style, statement, proof, imports,
            frame.header, lean, _long_features(features, proof, depth))


def decode(mutant_id: str, kind: str, depth: int, payload: bytes, frame: Frame,
           origin: Origin, extras: Sequence[str] = ("", "proved", "")) -> Mutant:
    """The stored mutant back as a record; `extras`: its plain columns
    (`rundb.EXTRA_MUTANT_FIELDS`: rule library, proof status, relation)."""
    return _record(mutant_id, kind, depth, decode_texts(mutant_id, payload, frame, origin, depth),
                   origin, extras)


def _record(mutant_id: str, kind: str, depth: int, texts: tuple, origin: Origin,
            extras: Sequence[str]) -> Mutant:
    """The record of a mutant's `TEXT_FIELDS` (`decode_texts`)."""
    (name, parent, rule, direction, location, proof_style, statement, proof, imports, header,
     lean, features) = texts
    return Mutant(
        id=mutant_id, name=name, parent=parent, source_theorem=origin.source_theorem,
        source_module=origin.source_module, rule=rule, kind=kind, direction=direction,
        location=location, depth=depth, proof_style=proof_style, statement=statement,
        proof=proof, imports=_imports(imports), header=header, lean=lean,
        scope_id=origin.scope_id, features=_features(features), rule_library=extras[0],
        proof_status=extras[1], relation=extras[2])


_IMPORTS: dict[str, tuple[str, ...]] = {}


def _imports(text: str) -> tuple[str, ...]:
    hit = _IMPORTS.get(text)
    if hit is None:
        if len(_IMPORTS) >= PART_CACHE:
            _IMPORTS.clear()
        hit = _IMPORTS[text] = tuple(json.loads(text))
    return hit


def _features(text: str) -> tuple[tuple[str, float], ...]:
    return tuple([(str(k), float(x)) for k, x in json.loads(text)])


class PartReader:
    """Decoded parts by id, fetched in batches through `load` (ids -> (id, blob) rows) and
    kept (up to `PART_CACHE`): a reader meets the parts of a module's theorems again and
    again."""

    def __init__(self, load: Callable[[list[int]], Iterable[tuple[int, bytes]]]) -> None:
        self.load = load
        self.frames: dict[int, Frame] = {}
        self.origins: dict[int, Origin] = {}

    def need(self, frames: Iterable[int], origins: Iterable[int]) -> None:
        """Fetch the parts among these that are not cached yet."""
        frames, origins = set(frames), set(origins)
        missing_f = {i for i in frames if i not in self.frames}
        missing_o = {i for i in origins if i not in self.origins}
        if not missing_f and not missing_o:
            return
        if len(self.frames) + len(self.origins) + len(missing_f) + len(missing_o) > PART_CACHE:
            self.frames.clear()  # full: start again with this page's parts only
            self.origins.clear()
            missing_f, missing_o = frames, origins
        ids = sorted(missing_f | missing_o)
        got = dict(self._fetch(ids))
        for i in missing_f:
            self.frames[i] = parse_frame(self._text(got, i))
        for i in missing_o:
            self.origins[i] = parse_origin(self._text(got, i))

    def _fetch(self, ids: list[int]) -> Iterable[tuple[int, bytes]]:
        for a in range(0, len(ids), 500):
            yield from self.load(ids[a:a + 500])

    @staticmethod
    def _text(got: Mapping[int, bytes], i: int) -> str:
        blob = got.get(i)
        if blob is None:
            raise KeyError(f"the run database lacks the shared Lean part {i}")
        return decompress_part(blob)

    def mutant(self, mutant_id: str, kind: str, depth: int, frame: int, origin: int,
               payload: bytes, extras: Sequence[str] = ("", "proved", "")) -> Mutant:
        """One stored row as a record (its parts fetched by `need` first)."""
        return decode(mutant_id, kind, depth, payload, self.frames[frame],
                      self.origins[origin], extras)

    def texts(self, mutant_id: str, depth: int, frame: int, origin: int, payload: bytes
              ) -> tuple[Origin, tuple]:
        """One stored row's origin and `TEXT_FIELDS` (its parts fetched by `need` first)."""
        o = self.origins[origin]
        return o, decode_texts(mutant_id, payload, self.frames[frame], o, depth)


__all__ = ["Origin", "Frame", "Encoded", "PartReader", "encode", "decode", "decode_texts",
           "TEXT_FIELDS", "render_unit",
           "indent_block", "split_proof", "join_proof", "part_id", "compress_part",
           "decompress_part", "VOCABULARY"]
