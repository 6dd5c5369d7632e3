"""Recall of the rule index on the rewrites the library's own proofs make.

When a library theorem T is proved `by rw [r, ...]` (or `rw [← r, ...]`, `rewrite`, `rwa`,
with no `at` after the closing bracket), Lean accepted rewriting T's goal with r in that
direction, so `(T, r, direction)` must be an `rw_goal` invocation of the index.  These
*positives* are a ground truth that exists without Lean.  The first lemma of the list must
resolve, the way Lean resolves it inside T (T's own namespace and the scope's namespaces,
innermost first, then the root, then the `open`s: `index.names`), to a theorem of the
library; a name that is a local binder of T, or a projection (`foo.symm`), is skipped.

Prints one JSON object:
- `positives`, `hits`, `recall_any` (hits / positives);
- `below_cap`, `recall_below_cap`: the same over the positives whose theorem kept fewer
  invocations than the per-theorem cap (where sampling cannot be the reason for a miss);
- `misses_by_stage` / `misses_below_cap_by_stage`: each miss classified by the first stage
  that refused it (`index.explain`: rule dropped and why, no skeleton hit, matcher failed,
  filter and which one, sampling), nested by stage;
- `by_arguments`: the same figures for the rewrites that pass the lemma no argument
  (`rw [foo]`) and for those that pass some (`rw [foo x]`: the arguments may fix what no
  match can, a variable only the replacement mentions or a bare-variable pattern);
- `misses`: 20 random misses (seeded), with both statements and the rewrite written.

`--rematch` matches the positives' candidates again with the installed code against the
run's `rules.parquet` instead of reading its `invocations.parquet` (the same procedure as
`alchemy index` pass 2, restricted to those candidates): a change to matching or sampling
is measured on all of Mathlib's rules in seconds, without indexing again.  Rule derivation
is the run's (the rules file), so a change to it needs a new index.

`--typed-sample N` replays N seeded hits through `alchemy explain` with the typed match
filter on (`index.typing`, signature table `--signatures`, default RUN/signatures.parquet,
built when missing): `typed_filter` gives each hit's verdict (`kept`; `filter:…`; `other`
when no location is accepted for another reason, as when the installed code differs from
the run's), how many the typed filter refuses (`instance_missing`, `type_clash`) and
the recall it would cost at that rate (`recall_any` times the refused share, with the
share's 95 % interval).  A refused hit's location may still be kept by another match;
slots the filter frees may take other hits: the figure is the loss in matches, not a
re-run of sampling.

usage: python benchmarks/recall.py RUN_DIR [--seed S] [--sample K] [--limit N] [--rematch]
                                   [--typed-sample N [--signatures FILE]]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict

from lean_alchemy.core.records import Declaration
from lean_alchemy.core.rundir import RunDir

_FIRST = re.compile(r"\s*by\s+(rw|rewrite|rwa)\s*\[")
_IDENT = re.compile(r"@?([^\s()\[\]{},⟨⟩]+)")


def first_rewrite(proof: str | None) -> tuple[str, str, bool] | None:
    """(lemma as written, direction, arguments passed) of a proof whose first tactic is
    `rw [l, ...]` (`rewrite`, `rwa`) rewriting the goal, else None.  The lemma is the head
    identifier of the first list element (`foo x y` gives `foo`, with arguments); an
    element that is not an identifier application (`(foo x).symm`, `show …`) gives None.
    Why the arguments: `rw [foo x]` fixes variables no match can (one only the
    replacement mentions, or the whole of a bare-variable pattern, which Lean refuses to
    rewrite with unfixed), so those positives are reported apart (`by_arguments`)."""
    if not proof:
        return None
    m = _FIRST.match(proof)
    if m is None:
        return None
    start = m.end()
    depth, k, first_end = 1, start, None
    while k < len(proof) and depth:
        ch = proof[k]
        if ch in "([{⟨":
            depth += 1
        elif ch in ")]}⟩":
            depth -= 1
        elif ch == "," and depth == 1 and first_end is None:
            first_end = k
        k += 1
    if depth:
        return None
    after = proof[k:].lstrip(" \t")
    if re.match(r"at\b", after):
        return None
    elem = proof[start:first_end if first_end is not None else k - 1].strip()
    direction = "fwd"
    for arrow in ("←", "<-"):
        if elem.startswith(arrow):
            direction, elem = "bwd", elem[len(arrow):].strip()
    mi = _IDENT.match(elem)
    if mi is None:
        return None
    rest = elem[mi.end():]
    if rest and not rest[0].isspace():
        return None  # `foo.symm`-like suffixes are caught by resolution; this is `foo(`
    return mi.group(1), direction, bool(rest.strip())


def positives(lib, decls: list[Declaration]) -> list[dict]:
    """The (theorem, lemma, direction) triples of the library's first-tactic rewrites."""
    from lean_alchemy.grammar.ast import BinderGroup  # noqa: F401  (parsed binders)
    from lean_alchemy.index.passes import parsed
    from lean_alchemy.index.names import binder_locals

    theorems = {d.full_name for d in decls if d.is_candidate}
    out, seen = [], set()
    for d in decls:
        if not d.is_candidate:
            continue
        got = first_rewrite(d.proof)
        if got is None:
            continue
        written, direction, arguments = got
        p = parsed(d)
        local = binder_locals(p[0]) if p is not None else frozenset(
            b.name for b in d.binders)
        if written.split(".", 1)[0] in local | binder_locals(lib.ctx.section(d)):
            continue
        view = lib.ctx.view(d).inside(d.full_name)
        full, status = lib.resolver.resolve_name(view, written, own=d.full_name)
        if status == "unresolved" or full not in theorems or full == d.full_name:
            continue
        key = (d.full_name, full, direction)
        if key in seen:
            continue
        seen.add(key)
        out.append({"candidate": d.full_name, "rule": full, "direction": direction,
                    "written": written, "arguments": arguments})
    return out


def rematch(lib, run: RunDir, candidates) -> None:
    """Fill `lib`'s kept rows of `candidates` by matching them against the run's rules
    with the installed code, as `alchemy index` pass 2 does (`index.passes.match_chunk`):
    the rule index built from `rules.parquet` in its order, the run's cap and options."""
    from lean_alchemy.index.dot_notation import undotted_rules
    from lean_alchemy.index.explain import rematch as match_candidate
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.store import read_rules

    rules = list(read_rules(run))
    ids = {r.id for r in rules}  # a run indexed before `undotted_rules` has none of them
    rules += [r for r in undotted_rules(rules, lib.receivers) if r.id not in ids]
    ix = RuleIndex.build(rules, max_per_theorem=lib.cap, rigid=lib.rigid,
                         generic_evidence=lib.generic_evidence)
    ix.receivers = lib.receivers
    ix.declared = lib.resolver.table.names
    ix.sole = lib.sole
    ix.notations = lib.notations
    ix.results = lib.ctx.rule_index.results
    for name in sorted(set(candidates)):
        d = lib.decl(name)
        invs = match_candidate(lib, ix, d) if d is not None else None
        lib.set_kept(name, [(i.rule_id, i.kind, i.location, i.path) for i in invs or ()])


def typed_filter_loss(lib, run: RunDir, decls: list, hits: list[dict], n: int, seed: int,
                      signatures: str | None) -> dict:
    """How many of `n` seeded hits the typed filter refuses (see the module doc)."""
    from pathlib import Path

    from lean_alchemy.index.explain import explain
    from lean_alchemy.index.typing.classes import ClassTable
    from lean_alchemy.index.typing.signatures import run_signatures

    sigs = run_signatures(run.root, decls, Path((run.read_stats("extract") or {})["root"]),
                          Path(signatures) if signatures else None)
    lib.use_typing(ClassTable.build(sigs))
    picked = random.Random(seed).sample(hits, min(n, len(hits)))
    verdicts: Counter = Counter()
    listed: list[dict] = []  # the refused hits, for reading: each is a filter mistake
    for p in picked:
        locs = explain(lib, p["candidate"], p["rule"], p["direction"],
                       kinds=("rw_goal",))["locations"]
        if any(x["verdict"] == "accepted" for x in locs):
            verdicts["kept"] += 1
        else:
            refused = [x["verdict"] for x in locs if x["verdict"].startswith("filter:")]
            verdicts[refused[0] if refused else "other"] += 1
            if refused:
                listed.append({k: p[k] for k in ("candidate", "rule", "direction")}
                              | {"verdict": refused[0]})
    refused = verdicts["filter:instance_missing"] + verdicts["filter:type_clash"]
    share = refused / len(picked) if picked else 0.0
    half = 1.96 * (share * (1 - share) / len(picked)) ** 0.5 if picked else 0.0
    return {"sampled_hits": len(picked), "verdicts": dict(verdicts.most_common()),
            "refused_share": round(share, 4),
            "refused_share_95": [round(max(0.0, share - half), 4), round(share + half, 4)],
            "refused": listed}


def measure(run: RunDir, seed: int = 0, sample: int = 20, limit: int | None = None,
            rematched: bool = False, typed_sample: int = 0,
            signatures: str | None = None) -> dict:
    from lean_alchemy.extract.store import read_declarations
    from lean_alchemy.index.explain import Library, explain
    from lean_alchemy.index.rules import rule_ids

    t0 = time.perf_counter()
    decls = read_declarations(run)
    lib = Library(run, decls)
    pos = positives(lib, decls)
    if limit is not None:
        pos = random.Random(seed).sample(pos, min(limit, len(pos)))
    if rematched:
        rematch(lib, run, (p["candidate"] for p in pos))
    else:
        lib.preload_kept(p["candidate"] for p in pos)
    cap = lib.cap
    hits = below = hits_below = 0
    misses: list[dict] = []
    hit_pairs: list[dict] = []
    for p in pos:
        ids = {i for k in ("eq", "iff") for i in rule_ids(p["rule"], k, p["direction"])}
        rows = lib.kept(p["candidate"])
        hit = any(r in ids and k == "rw_goal" for r, k, _, _ in rows)
        p["below_cap"] = cap is None or len(rows) < cap
        hits += hit
        below += p["below_cap"]
        hits_below += hit and p["below_cap"]
        p["hit"] = hit
        (hit_pairs if hit else misses).append(p)
    by_stage: dict = defaultdict(Counter)
    by_stage_below: dict = defaultdict(Counter)
    for p in misses:
        try:
            why = explain(lib, p["candidate"], p["rule"], p["direction"], kinds=("rw_goal",))
            p["rejected_by"] = why["rejected_by"] or "kept_elsewhere"
        except Exception as e:  # noqa: BLE001 - one bad pair must not stop the benchmark
            p["rejected_by"] = f"error:{type(e).__name__}"
        stage, _, detail = p["rejected_by"].partition(":")
        by_stage[stage][detail or "-"] += 1
        if p["below_cap"]:
            by_stage_below[stage][detail or "-"] += 1
    rng = random.Random(seed)
    shown = rng.sample(misses, min(sample, len(misses)))
    stmts = {d.full_name: d.statement for d in decls if d.is_candidate}
    typed = typed_filter_loss(lib, run, decls, hit_pairs, typed_sample, seed, signatures) \
        if typed_sample else None
    if typed is not None:
        typed["recall_any_cost"] = round(typed["refused_share"] * hits / len(pos), 4)
    return {
        "run": str(run.root), "rematched": rematched, "cap": cap, "positives": len(pos),
        "hits": hits,
        "recall_any": round(hits / len(pos), 4) if pos else None,
        "below_cap": below, "hits_below_cap": hits_below,
        "recall_below_cap": round(hits_below / below, 4) if below else None,
        "by_arguments": by_arguments(pos),
        "misses_by_stage": _nested(by_stage),
        "misses_below_cap_by_stage": _nested(by_stage_below),
        "misses": [dict(m, candidate_statement=stmts.get(m["candidate"]),
                        rule_statement=stmts.get(m["rule"])) for m in shown],
        "typed_filter": typed,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def by_arguments(pos: list[dict]) -> dict:
    """The recall figures apart for the positives whose rewrite passes arguments
    (`rw [foo x]`) and those that pass none (`rw [foo]`): only the latter is a rewrite
    Lean makes from the lemma alone, as a mutation engine does."""
    out = {}
    for key, want in (("without_arguments", False), ("with_arguments", True)):
        got = [p for p in pos if p["arguments"] == want]
        below = [p for p in got if p["below_cap"]]
        hits, hits_below = sum(p["hit"] for p in got), sum(p["hit"] for p in below)
        out[key] = {"positives": len(got), "hits": hits,
                    "recall_any": round(hits / len(got), 4) if got else None,
                    "below_cap": len(below), "hits_below_cap": hits_below,
                    "recall_below_cap": round(hits_below / len(below), 4) if below else None}
    return out


def _nested(by_stage: dict) -> dict:
    out = {}
    for stage, c in sorted(by_stage.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(c.values())
        out[stage] = total if list(c) == ["-"] else {"total": total, **dict(c.most_common())}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", help="an indexed run directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=20, help="random misses to print")
    ap.add_argument("--limit", type=int, default=None,
                    help="measure a seeded random subset of the positives")
    ap.add_argument("--rematch", action="store_true",
                    help="match the positives' candidates again against the run's rules "
                         "with the installed code (see the module doc)")
    ap.add_argument("--typed-sample", type=int, default=0,
                    help="replay this many seeded hits with the typed filter on")
    ap.add_argument("--signatures", default=None,
                    help="signature table for --typed-sample (default RUN/signatures.parquet)")
    args = ap.parse_args(argv)
    print(json.dumps(measure(RunDir.at(args.run_dir), args.seed, args.sample, args.limit,
                             args.rematch, args.typed_sample, args.signatures),
                     indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
