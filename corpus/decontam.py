"""Decontamination against benchmark statement sets (miniF2F, ProofNet and the like).

Why two tests: an exact canonical-fingerprint (or normalized-token) match catches a benchmark
theorem reproduced up to renaming; n-gram overlap catches a row that contains most of a
benchmark statement inside a longer one.  The overlap score of a row against a benchmark item
is the fraction of the item's n-grams (over normalized statement tokens, bound names renamed)
that also occur in the row: 1.0 means the whole benchmark statement appears in the row.

Accepted inputs:
- `.lean` files: every `theorem`/`lemma`/`example` header in the file is one item;
- `.jsonl`/`.json` files: one object per line; the statement is read from the first present
  key of `formal_statement`, `statement`, `lean4_statement`, `lean4_code`, `code` (Lean text
  `theorem NAME BINDERS : CONCL :=`, the proof part ignored) and the item name from `name`,
  `id`, `problem_name`, `full_name` (else `FILE:LINE`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration

from .tokens import ngrams, normalized_tokens, split_formal_statement

STATEMENT_KEYS = ("formal_statement", "statement", "lean4_statement", "lean4_code", "code")
NAME_KEYS = ("name", "id", "problem_name", "full_name")


@dataclass(frozen=True)
class BenchItem:
    name: str
    origin: str  # file:line
    statement: str  # binders ` : ` conclusion
    fingerprint: str | None  # canonical fingerprint when the Lean parser could read it


def necessary_tokens(tokens: list[str], grams: set[tuple[str, ...]], threshold: float
                     ) -> set[str] | None:
    """Tokens of a benchmark statement one of which any row `check` flags must contain
    (as text): None when there is no such set.

    Why it holds: a row matching the item's normalized text has all its tokens; a row with
    n-gram overlap >= `threshold` has at least that share of the item's n-grams, so it cannot
    lack every token of a set that the n-grams *without* any of them do not reach.  Renamed
    bound names (`v0`...) are never used: the row's text need not contain them.  Long,
    rare-looking tokens are taken first, so that few rows pass the test.
    """
    usable = sorted({t for t in tokens if not _PLACEHOLDER.fullmatch(t)},
                    key=lambda t: (-_rarity(t), t))
    if not usable:
        return None
    total = len(grams)
    chosen: set[str] = set()
    left = list(grams)
    for t in usable:
        chosen.add(t)
        left = [g for g in left if t not in g]
        if total == 0 or len(left) / total < threshold:
            # `check`: exact text needs every token; overlap needs >= threshold of grams
            return chosen
    return None


_PLACEHOLDER = re.compile(r"v\d+")


def _rarity(token: str) -> int:
    """How unlikely a token is to occur in a statement: long names and numbers rarer than
    one-character symbols (a heuristic: any choice keeps `candidates` exact)."""
    if len(token) == 1:  # symbols and the most common digits least
        return 1 if token.isalnum() and token not in "012" else 0
    if token[0].isdigit():
        return 2 * len(token)
    return len(token) + (3 if "." in token else 0)


def _re2_literal(text: str) -> str:
    """`text` as an RE2 pattern matching it literally."""
    return "".join(c if c.isalnum() or c == "_" else "\\" + c if c.isascii() else c
                   for c in text)


def token_key(tokens: list[str]) -> str:
    """Hash of a normalized token stream: equality up to renaming and whitespace."""
    return hashlib.blake2b("\x1f".join(tokens).encode(), digest_size=12).hexdigest()


_HEADER = re.compile(r"^[ \t]*(?:@\[[^\]]*\][ \t]*)?(?:private |protected )?(theorem|lemma|example)\b",
                     re.M)


def items_from_lean(text: str, origin: str,
                    fingerprint: Callable[[str, str], str | None] | None = None) -> list[BenchItem]:
    out = []
    starts = [m.start(1) for m in _HEADER.finditer(text)]
    for k, s in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(text)
        chunk = text[s:end]
        parsed = split_formal_statement(chunk)
        if parsed is None:
            continue
        name, sig = parsed
        line = text.count("\n", 0, s) + 1
        name = name or f"{origin}:{line}"
        fp = fingerprint(chunk, f"{origin}:{line}") if fingerprint else None
        out.append(BenchItem(name, f"{origin}:{line}", sig, fp))
    return out


def items_from_jsonl(text: str, origin: str,
                     fingerprint: Callable[[str, str], str | None] | None = None
                     ) -> list[BenchItem]:
    out = []
    for ln, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise AlchemyError(f"{origin}:{ln}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise AlchemyError(f"{origin}:{ln}: expected a JSON object")
        stmt = next((obj[k] for k in STATEMENT_KEYS if isinstance(obj.get(k), str)), None)
        if stmt is None:
            raise AlchemyError(f"{origin}:{ln}: no statement; expected one of the keys "
                               f"{', '.join(STATEMENT_KEYS)}")
        parsed = split_formal_statement(stmt)
        nm = next((str(obj[k]) for k in NAME_KEYS if obj.get(k) not in (None, "")), None)
        if parsed is None:  # a bare signature `(x : ℕ) : x = x`
            parsed = ("", stmt.strip())
        name = nm or parsed[0] or f"{origin}:{ln}"
        fp = fingerprint(stmt, f"{origin}:{ln}") if fingerprint else None
        out.append(BenchItem(name, f"{origin}:{ln}", parsed[1], fp))
    return out


def load_benchmarks(paths: tuple[str, ...] | list[str],
                    fingerprint: Callable[[str, str], str | None] | None = None
                    ) -> list[BenchItem]:
    items: list[BenchItem] = []
    for p in map(Path, paths):
        if not p.exists():
            raise AlchemyError(f"decontamination file {p} does not exist")
        files = sorted(p.rglob("*.lean")) + sorted(p.rglob("*.jsonl")) if p.is_dir() else [p]
        for f in files:
            text = f.read_text(encoding="utf-8")
            if f.suffix == ".lean":
                items += items_from_lean(text, str(f), fingerprint)
            elif f.suffix in (".jsonl", ".json"):
                items += items_from_jsonl(text, str(f), fingerprint)
            else:
                raise AlchemyError(f"{f}: decontamination files must be .lean or .jsonl")
    return items


class Decontaminator:
    """Checks rows against benchmark items; `check` returns (reason, detail, score) or None.

    `candidates` tells, for a whole batch at once, which rows `check` could flag at all, so
    that the per-row tokenizing (the cost of decontamination) runs only for those.
    """

    def __init__(self, items: list[BenchItem], n: int = 8, threshold: float = 0.8):
        self.items = items
        self.n, self.threshold = n, threshold
        # library theorems whose own statement is a benchmark item: every row derived
        # from one is dropped too (`contaminated_sources`), whatever its text became
        self.sources: frozenset[str] = frozenset()
        self.by_fp = {it.fingerprint: it for it in items if it.fingerprint}
        self.by_tokens: dict[str, BenchItem] = {}
        self.index: dict[tuple[str, ...], list[int]] = {}
        self.sizes: list[int] = []
        needles: set[str] | None = set()
        for i, it in enumerate(items):
            toks = normalized_tokens(it.statement)
            self.by_tokens.setdefault(token_key(toks), it)
            grams = ngrams(toks, n)
            self.sizes.append(len(grams))
            for g in grams:
                self.index.setdefault(g, []).append(i)
            some = necessary_tokens(toks, grams, threshold)
            if some is None or needles is None:
                needles = None
            else:
                needles |= some
        # a row `check` can flag holds one of these as a substring (None: any row may)
        self.needles: frozenset[str] | None = (frozenset(needles) if needles is not None
                                               else None)
        self._pattern = ("|".join(_re2_literal(t) for t in sorted(needles))
                         if needles else None)

    def __bool__(self) -> bool:
        return bool(self.items)

    def candidates(self, ids: list[str], statements) -> list[bool]:
        """Per row of a batch (ids, statements as an Arrow string array): False when `check`
        certainly returns None, so it need not run.  One RE2 pass over the statements."""
        import pyarrow.compute as pc

        if self.needles is None:
            return [True] * len(ids)
        if self._pattern is None:  # no item can match by text (no tokens at all)
            hit = [False] * len(ids)
        else:
            hit = pc.fill_null(pc.match_substring_regex(statements, self._pattern),
                               True).to_pylist()
        by_fp = self.by_fp
        if by_fp:
            hit = [h or i in by_fp for h, i in zip(hit, ids)]
        return hit

    def check(self, fid: str, statement: str) -> tuple[str, str, float] | None:
        """(reason, matched item, score) when the statement is contaminated, else None."""
        it = self.by_fp.get(fid)
        if it is not None:
            return "contaminated/fingerprint", f"{it.name} ({it.origin})", 1.0
        toks = normalized_tokens(statement)
        it = self.by_tokens.get(token_key(toks))
        if it is not None:
            return "contaminated/normalized_text", f"{it.name} ({it.origin})", 1.0
        hits: Counter[int] = Counter()
        for g in ngrams(toks, self.n):
            for i in self.index.get(g, ()):
                hits[i] += 1
        best, score = -1, 0.0
        for i, h in hits.items():
            s = h / self.sizes[i]
            if s > score:
                best, score = i, s
        if best >= 0 and score >= self.threshold:
            it = self.items[best]
            return "contaminated/ngram", f"{it.name} ({it.origin})", round(score, 4)
        return None


def contaminated_sources(decls: Iterable[Declaration], decontam: Decontaminator,
                         fingerprint: Callable[[Declaration], str | None] | None = None
                         ) -> frozenset[str]:
    """Library theorems whose own statement a benchmark holds (`Decontaminator.check` on
    the declaration's statement).  Why: a mutant of a benchmark problem rewrites a few
    symbols, so its text can fall below the n-gram threshold while it is still that
    problem; the export drops every row derived from one (`contaminated/source`)."""
    out: set[str] = set()
    for d in decls:
        if not d.is_candidate or d.conclusion is None:
            continue
        fid = ""
        if fingerprint is not None:
            try:
                fid = fingerprint(d) or ""
            except Exception:  # noqa: BLE001 - an unfingerprintable theorem keeps its text test
                fid = ""
        if decontam.check(fid, d.statement) is not None:
            out.add(d.full_name)
    return frozenset(out)
