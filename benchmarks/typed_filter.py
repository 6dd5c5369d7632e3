"""Ask the typed match filter about every labelled mutant: how many ill-typed ones it
drops, how many elaborating ones it keeps.

    python benchmarks/typed_filter.py RUN_DIR LABELS [--signatures FILE]

Each labelled row names its candidate, rule lemma, direction, kind and location; the
invocations of RUN_DIR/invocations.parquet with those are re-checked (a mutant counts as
dropped only when every such invocation is).  The signature table is read from
`--signatures` (default RUN_DIR/signatures.parquet) or built from RUN_DIR's declarations
and the sources under the extraction's root, and then written to `--signatures` when
given.  Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.statements import loads_binders
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.signatures import (
    build_signatures,
    read_signatures,
    write_signatures,
)


class _Row:
    def __init__(self, d: dict) -> None:
        self.__dict__.update(d)


def _signatures(run: Path, path: Path | None) -> list:
    target = path or run / "signatures.parquet"
    if target.exists():
        return read_signatures(target)
    root = Path(json.loads((run / "extract.stats.json").read_text())["root"])
    t = pq.read_table(run / "declarations.parquet",
                      columns=["full_name", "kind", "module", "file", "start_byte", "end_byte"])
    sigs = build_signatures((_Row(r) for r in t.to_pylist()), root)
    if path is not None:
        write_signatures(path, sigs)
    return sigs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("labels", type=Path)
    ap.add_argument("--signatures", type=Path)
    a = ap.parse_args(argv)
    t0 = time.time()
    labels = [json.loads(x) for x in a.labels.read_text().splitlines() if x.strip()]
    table = ClassTable.build(_signatures(a.run, a.signatures))
    t_table = time.time() - t0
    cands = {r["source_theorem"] for r in labels}
    lemmas = {r["rule"] for r in labels}
    rules = {r["id"]: r for r in pq.read_table(
        a.run / "rules.parquet", filters=[("lemma", "in", sorted(lemmas))]).to_pylist()}
    invs: dict[str, list] = defaultdict(list)
    for r in pq.read_table(a.run / "invocations.parquet",
                           filters=[("candidate", "in", sorted(cands))]).to_pylist():
        if r["rule_id"] in rules:
            invs[r["candidate"]].append(r)
    decls = {r["full_name"]: r for r in pq.read_table(
        a.run / "declarations.parquet", columns=["full_name", "binders_ast", "scope_id"],
        filters=[("full_name", "in", sorted(cands))]).to_pylist()}
    sections = {r["scope_id"]: r["binders"] for r in
                pq.read_table(a.run / "section_binders.parquet").to_pylist()}
    filt = TypedFilter(table)
    out = _measure(labels, rules, invs, decls, sections, filt, table)
    out["seconds"] = {"table": round(t_table, 1), "total": round(time.time() - t0, 1)}
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def _measure(labels, rules, invs, decls, sections, filt, table) -> dict:
    by: Counter = Counter()
    reasons: Counter = Counter()
    found = 0
    for lab in labels:
        d = decls.get(lab["source_theorem"])
        mine = [i for i in invs.get(lab["source_theorem"], ())
                if rules[i["rule_id"]]["lemma"] == lab["rule"]
                and rules[i["rule_id"]]["direction"] == lab["direction"]
                and i["kind"] == lab["kind"] and i["location"] == lab["location"]]
        if d is None or not mine:
            by[(lab["label"], lab["reason_class"], "not_found")] += 1
            continue
        found += 1
        groups = loads_binders(sections.get(d["scope_id"])) + loads_binders(d["binders_ast"])
        ctx = Context(table, groups)
        verdicts = []
        for i in mine:
            r = rules[i["rule_id"]]
            values = {s["name"]: loads(s["term"]) for s in i["subst"]}
            types = [loads(t) if t else None for t in r["binder_types"]]
            verdicts.append(filt.check(ctx, r["binder_names"], r["binder_kinds"], types,
                                       values, i["kind"]))
        dropped = all(v is not None for v in verdicts)
        if dropped:
            reasons[verdicts[0]] += 1
        by[(lab["label"], lab["reason_class"], "dropped" if dropped else "kept")] += 1
    return _summary(labels, by, reasons, found, filt)


def _summary(labels, by: Counter, reasons: Counter, found: int, filt: TypedFilter) -> dict:
    def share(label: str, what: str, rc: str | None = None) -> dict:
        rows = {k: v for k, v in by.items() if k[0] == label and (rc is None or k[1] == rc)}
        n = sum(rows.values())
        hit = sum(v for k, v in rows.items() if k[2] == what)
        return {"n": n, what: hit, "share": round(hit / n, 3) if n else None,
                "not_found": sum(v for k, v in rows.items() if k[2] == "not_found")}
    classes = sorted({r["reason_class"] for r in labels if r["reason_class"]})
    st = filt.stats
    return {
        "labelled": len(labels), "invocations_found": found,
        "ill_typed_dropped": share("ill_typed", "dropped"),
        "elaborates_kept": share("elaborates", "kept"),
        "per_reason_class": {c: share("ill_typed", "dropped", c) for c in classes},
        "drop_reasons": dict(reasons),
        "coverage": {"values": st["values"], "values_typed": st["values_typed"],
                     "share": round(st["values_typed"] / st["values"], 3) if st["values"] else None,
                     "instance_queries": st["instance_queries"]},
    }


if __name__ == "__main__":
    raise SystemExit(main())
