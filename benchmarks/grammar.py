"""Grammar coverage/speed on a real Lean project: `python benchmarks/grammar.py MATHLIB_PATH`.

Prints ONE JSON object: statements, full, partial, failed, roundtrip_failures, crashes,
seconds, workers, top_opaque_causes (the ten most common shapes of Opaque nodes, with an
example each).  Statements come from the extractor (`lean_alchemy.extract.fileparse`) when
it is importable, else from a small self-contained slicer in this file.

Round-trip: for every parsed conclusion and binder type t, parse(print(t)) == t.

Token fidelity (`token_mismatches`, `token_examples`): the source text of every conclusion
and binder type and its printed text are lexed with the library's token table (Lean core's
tokens plus the tokens the library's notation/syntax commands declare, scoped ones only
where their namespace is open: `grammar.tokens`); a statement counts once when any of its
texts lexes differently, ignoring whitespace and parentheses.  The round trip cannot see a
misparse that the printer reproduces (`f^[n]` read and printed as `f ^ [n]`); this can.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from lean_alchemy.core.records import Binder, Declaration, render_binders

_DECL = re.compile(r"^(?:@\[[^\]]*\]\s*)?(?:(?:private|protected|nonrec|noncomputable)\s+)*"
                   r"(theorem|lemma)\s+(\S+)", re.M)


def _slice_statements(text: str) -> list[tuple[str, str]]:
    """Fallback slicer: (binders text, conclusion) of each theorem/lemma, by bracket depth."""
    out = []
    text = re.sub(r"/-.*?-/", " ", text, flags=re.S)
    text = re.sub(r"--[^\n]*", " ", text)
    for m in _DECL.finditer(text):
        i = m.end()
        depth = 0
        colon = -1
        j = i
        while j < len(text):
            c = text[j]
            if c in "([{⟨⦃":
                depth += 1
            elif c in ")]}⟩⦄":
                depth -= 1
            elif depth == 0 and text.startswith(":=", j):
                break
            elif depth == 0 and c == ":" and colon < 0:
                colon = j
            elif depth == 0 and c == "|" and text[j - 1] == "\n":
                break
            j += 1
        if colon < 0:
            continue
        out.append((text[i:colon].strip(), " ".join(text[colon + 1:j].split())))
    return out


def _statements(path: str, root: str) -> list[tuple[str, tuple[Binder, ...] | None, str, str,
                                                   object]]:
    """(name, binders or None, binders text, conclusion, scope or None) of the theorems in
    one file."""
    try:
        from lean_alchemy.extract.fileparse import extract_file
    except ImportError:
        extract_file = None
    if extract_file is not None:
        res = extract_file(Path(path), Path(root))
        scopes = {sc.id: sc for sc in res.scopes}
        return [(d.full_name, d.binders, render_binders(d.binders), d.conclusion,
                 scopes.get(d.scope_id or ""))
                for d in res.declarations
                if d.kind in ("theorem", "lemma") and d.conclusion]
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return [("?", None, b, c, None) for b, c in _slice_statements(text)]


# ------------------------------------------------------------------ token fidelity

_TABLE = None  # the library's token table, built in the parent before the pool forks
_DECLARES = re.compile(r"^[^\n]*\b(?:notation3?|infixl?|infixr|prefix|postfix|macro|syntax|elab)\b",
                       re.M)


def _notations(job: tuple[str, str]) -> list:
    """The syntax-declaring commands of one file (none without a declaring keyword)."""
    path, root = job
    try:
        if not _DECLARES.search(Path(path).read_text(encoding="utf-8", errors="replace")):
            return []
        from lean_alchemy.extract.fileparse import extract_file
        return list(extract_file(Path(path), Path(root)).notations)
    except Exception:  # noqa: BLE001 - a file the extractor cannot read declares nothing
        return []


def build_table(root: Path, subdir: str, workers: int):
    """The token table of every file under `root/subdir` (not only the sampled ones: a
    token is in force in every file that imports its declaration)."""
    from lean_alchemy.grammar.tokens import build_token_table

    files = sorted(str(p) for p in (root / subdir).rglob("*.lean"))
    decls: list = []
    with Pool(workers) as pool:
        for got in pool.imap_unordered(_notations, [(f, str(root)) for f in files],
                                       chunksize=16):
            decls.extend(got)
    return build_token_table(decls), len(decls)


def _fidelity(pairs: list[tuple[str, str]], scope, r: dict) -> None:
    """Count the statement once if any (source, printed) pair lexes differently."""
    from lean_alchemy.grammar.tokens import first_difference

    if _TABLE is None:
        return
    lexicon = _TABLE.for_scope(scope) if scope is not None else _TABLE.lexicon
    for src, printed in pairs:
        diff = first_difference(src, printed, lexicon)
        if diff is not None:
            r["token_mismatches"] += 1
            if len(r["token_examples"]) < 20:
                k, a, b = diff
                r["token_examples"].append({"source": src[:160], "printed": printed[:160],
                                            "at": k, "expected": a, "got": b})
            return


_NAME = re.compile(r"[A-Za-z_α-ωℕℝℤℚℂ𝕜][\w'.₀-₉!?]*")


def _cause(text: str) -> str:
    s = _NAME.sub("x", text)
    s = re.sub(r"\d+", "0", s)
    return s[:40]


def _work(job: tuple[str, str]) -> dict:
    from lean_alchemy.grammar.ast import Opaque, subterms
    from lean_alchemy.grammar.parser import parse_term
    from lean_alchemy.grammar.printer import print_term
    from lean_alchemy.grammar.statements import annotate_declaration, binders_of

    path, root = job
    r = {"statements": 0, "full": 0, "partial": 0, "failed": 0, "roundtrip_failures": 0,
         "crashes": 0, "causes": Counter(), "examples": {}, "rt_examples": [],
         "extract_cpu": 0.0, "parse_cpu": 0.0, "roundtrip_cpu": 0.0, "fidelity_cpu": 0.0,
         "token_mismatches": 0, "token_examples": []}
    t0 = time.process_time()
    try:
        stmts = _statements(path, root)
    except Exception as e:  # noqa: BLE001
        r["crashes"] += 1
        r["rt_examples"].append(f"extract {path}: {e}")
        return r
    r["extract_cpu"] += time.process_time() - t0
    for name, binders, btext, concl, scope in stmts:
        t1 = time.process_time()
        r["statements"] += 1
        try:
            if binders is not None:
                d = Declaration(full_name=name, name=name, kind="theorem", module="", file=path,
                                start_line=0, end_line=0, binders=binders, conclusion=concl)
                d = annotate_declaration(d)
                r["parse_cpu"] += time.process_time() - t1  # parsing + serialization only
                status = d.parse_status
                from lean_alchemy.grammar.ast import loads
                from lean_alchemy.grammar.statements import _merge, loads_binders
                groups = loads_binders(d.binders_ast)
                terms = [loads(d.conclusion_ast)] + [g.type for g in groups]
                sources = [concl] + [ty for _, _, ty in _merge(binders)]
                texts = list(zip(sources, [terms[0]] + list(groups)))
            else:
                from lean_alchemy.grammar.parser import parse_binders
                terms = [parse_term(concl)] + [g.type for g in parse_binders(btext)]
                r["parse_cpu"] += time.process_time() - t1
                status = None
                texts = [(concl, terms[0])]
            t2c = time.process_time()
            opaque = []
            for t in terms:
                if t is None:
                    continue
                for _, s, _ in subterms(t):
                    if isinstance(s, Opaque):
                        opaque.append(s.text)
                t2 = parse_term(print_term(t))
                if t2 != t:
                    r["roundtrip_failures"] += 1
                    if len(r["rt_examples"]) < 5:
                        r["rt_examples"].append(print_term(t)[:200])
            r["roundtrip_cpu"] += time.process_time() - t2c
            t3 = time.process_time()
            _fidelity([(src, _printed(t)) for src, t in texts if src is not None and t is not None],
                      scope, r)
            r["fidelity_cpu"] += time.process_time() - t3
            if status is None:
                status = "partial" if opaque else "full"
            r[status] = r.get(status, 0) + 1
            for o in opaque:
                c = _cause(o)
                r["causes"][c] += 1
                r["examples"].setdefault(c, o[:120])
        except Exception as e:  # noqa: BLE001
            r["crashes"] += 1
            if len(r["rt_examples"]) < 5:
                r["rt_examples"].append(f"crash {name}: {type(e).__name__}: {e}"[:200])
    return r


def _printed(t) -> str:
    """The printed text of a conclusion, or of a binder group's type (and default)."""
    from lean_alchemy.grammar.ast import BinderGroup
    from lean_alchemy.grammar.printer import print_term

    if isinstance(t, BinderGroup):
        out = print_term(t.type) if t.type is not None else ""
        return out + (" := " + print_term(t.default) if t.default is not None else "")
    return print_term(t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("root", help="Lean project root (e.g. a Mathlib checkout)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N files (0: all)")
    ap.add_argument("--stride", type=int, default=1, help="every k-th file (sampling)")
    ap.add_argument("--subdir", default="Mathlib")
    ap.add_argument("--no-tokens", action="store_true", help="skip the token fidelity check")
    a = ap.parse_args(argv)
    root = Path(a.root)
    files = sorted(str(p) for p in (root / a.subdir).rglob("*.lean"))
    files = files[::a.stride]
    if a.limit:
        files = files[:a.limit]
    from lean_alchemy.grammar.parser import get_parser
    get_parser()  # warm Lark's on-disk cache before forking
    global _TABLE
    n_notations = 0
    if not a.no_tokens:
        _TABLE, n_notations = build_table(root, a.subdir, a.workers)
    t0 = time.time()
    total: dict = {"statements": 0, "full": 0, "partial": 0, "failed": 0,
                   "roundtrip_failures": 0, "crashes": 0}
    cpu = {"extract_cpu": 0.0, "parse_cpu": 0.0, "roundtrip_cpu": 0.0, "fidelity_cpu": 0.0}
    mismatches = 0
    token_examples: list = []
    causes: Counter = Counter()
    examples: dict = {}
    rt: list = []
    with Pool(a.workers) as pool:
        for r in pool.imap_unordered(_work, [(f, str(root)) for f in files], chunksize=8):
            for k in total:
                total[k] += r.get(k, 0)
            for k in cpu:
                cpu[k] += r.get(k, 0.0)
            causes.update(r["causes"])
            for k, v in r["examples"].items():
                examples.setdefault(k, v)
            rt.extend(r["rt_examples"][: max(0, 10 - len(rt))])
            mismatches += r.get("token_mismatches", 0)
            token_examples.extend(r.get("token_examples", [])[: max(0, 20 - len(token_examples))])
    secs = time.time() - t0
    n = max(total["statements"], 1)
    out = dict(total, seconds=round(secs, 1), workers=a.workers, files=len(files),
               full_rate=round(total["full"] / n, 4),
               # CPU seconds summed over workers: what one core would need (the machine is
               # shared, so wall-clock `seconds` depends on other load)
               parse_cpu_seconds=round(cpu["parse_cpu"], 1),
               extract_cpu_seconds=round(cpu["extract_cpu"], 1),
               roundtrip_cpu_seconds=round(cpu["roundtrip_cpu"], 1),
               token_fidelity=None if a.no_tokens else {
                   "token_mismatches": mismatches, "notations": n_notations,
                   "cpu_seconds": round(cpu["fidelity_cpu"], 1),
                   "examples": token_examples},
               token_mismatches=None if a.no_tokens else mismatches,
               top_opaque_causes=[{"shape": c, "count": k, "example": examples[c]}
                                  for c, k in causes.most_common(10)],
               roundtrip_examples=rt)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
