"""Ask the typed match filter about every labelled mutant: how many ill-typed ones it
drops, how many elaborating ones it keeps.

    python benchmarks/typed_filter.py RUN_DIR LABELS [--signatures FILE] [--items] [--pipeline]
    python benchmarks/typed_filter.py RUN_DIR LABELS... --defaults [--items]

Each labelled row names its candidate, rule lemma, direction, kind and location; the pair
is replayed by `alchemy explain` with the typed filter on (the current rule derivation
and matcher on RUN_DIR's declarations): the mutant is dropped when every match of that
rule, direction, kind and location the other stages accept is refused by the typed
filter, kept when one is accepted, and `not_found` when the index no longer makes it
(counted as not dropped in `share`; `share_of_found` leaves them out).  The signature table is read from
`--signatures` (default RUN_DIR/signatures.parquet) or built from RUN_DIR's declarations
and the sources under the extraction's root, and then written to `--signatures` when
given.  `--pipeline` also replays the mutation stage (RUN_DIR's inputs, the default
options) on each row's matches the filter keeps: the pipeline outputs the labelled
statement (`kept`), only other statements for them (`reprinted`: a glued notation printed
whole, a variable fresh-bound or solved), or nothing (`mutate_dropped`: an unbound rule
variable, a name that does not resolve, refuted, a duplicate); `pipeline` then counts,
per label, the rows whose labelled statement the pipeline no longer outputs, and each
row of `--items` carries its own state (`pipeline`).  `--defaults` replays the rows of
one or more label files through what a user gets by default instead: the index without
the typed filter (its cheap checks, `index.match.value_checks` and the hints) and the
mutation stage; `pipeline` then says, per label, how many labelled statements the default
output no longer has.  Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.explain import Library, explain
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import TypedFilter
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
                      columns=["full_name", "kind", "module", "file", "start_byte", "end_byte",
                               "attributes", "binders_ast", "conclusion_ast"])
    sigs = build_signatures((_Row(r) for r in t.to_pylist()), root)
    if path is not None:
        write_signatures(path, sigs)
    return sigs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("labels", type=Path, nargs="+")
    ap.add_argument("--signatures", type=Path)
    ap.add_argument("--items", action="store_true",
                    help="also list each labelled row's verdict and what the filter compared")
    ap.add_argument("--pipeline", action="store_true",
                    help="also replay the mutation stage on the matches the filter keeps")
    ap.add_argument("--defaults", action="store_true",
                    help="replay the index without the typed filter, then the mutation stage")
    a = ap.parse_args(argv)
    t0, c0 = time.time(), time.process_time()
    labels = [dict(json.loads(x), file=f.stem) for f in a.labels
              for x in f.read_text().splitlines() if x.strip()]
    if a.defaults:
        return _defaults(a.run, labels, a.items)
    table = ClassTable.build(_signatures(a.run, a.signatures))
    table.horn()
    table.coercions  # noqa: B018 - built here so that the per-row cost excludes them
    t_table, c_table = time.time() - t0, time.process_time() - c0
    lib = Library(RunDir.at(a.run))
    lib.use_typing(table)
    assert lib.typed is not None
    mutator = _mutator(a.run) if a.pipeline else None
    by: Counter = Counter()
    reasons: Counter = Counter()
    through: Counter = Counter()  # (label, state after the mutation stage)
    items = []
    c1 = time.process_time()
    for lab in labels:
        state, why, detail = _replay(lib, lab, mutator is not None)
        after = None
        if mutator is not None:
            after = _through_mutate(mutator, lib, lab, state, detail)
            through[(lab["label"], after)] += 1
            detail = detail.get("typing") if isinstance(detail, dict) else detail
        by[(lab["label"], lab["reason_class"], state)] += 1
        if why:
            reasons[why] += 1
        items.append({"n": lab.get("n"), "label": lab["label"],
                      "reason_class": lab["reason_class"], "state": state, "why": why,
                      "typing": detail} | ({"pipeline": after} if after is not None else {}))
    out = _summary(labels, by, reasons, lib.typed)
    out["seconds"] = {"table_wall": round(t_table, 1), "table_cpu": round(c_table, 1),
                      "replay_cpu": round(time.process_time() - c1, 1),
                      "total_wall": round(time.time() - t0, 1)}
    if mutator is not None:
        out["pipeline"] = _pipeline_summary(through)
    if a.items:
        out["items"] = items
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def _defaults(run: Path, labels: list[dict], items: bool) -> int:
    """`--defaults` (module doc): each row through the default index and mutation stage."""
    c0 = time.process_time()
    lib = Library(RunDir.at(run))
    mutator = _mutator(run)
    through: Counter = Counter()
    rows = []
    for lab in labels:
        state, _, detail = _replay(lib, lab, True)
        after = _through_mutate(mutator, lib, lab, state, detail)
        through[(lab["label"], after)] += 1
        rows.append({"file": lab["file"], "n": lab.get("n"), "label": lab["label"],
                     "rule": lab["rule"], "source_theorem": lab["source_theorem"],
                     "pipeline": after})
    out: dict = {"labelled": len(labels), "pipeline": _pipeline_summary(through),
                 "seconds": {"cpu": round(time.process_time() - c0, 1)}}
    if items:
        out["items"] = rows
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def _mutator(run: Path):  # noqa: ANN202 - mutate.mutator.Mutator
    """The mutation engine as the pipeline builds it on RUN_DIR (default options)."""
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import _engine

    return _engine(RunDir.at(run), MutateOptions(), None, 1)[0]


def _through_mutate(mut, lib: Library, lab: dict, state: str,  # noqa: ANN001
                    detail: object) -> str:
    """What the mutation stage makes of a row the index and the filter keep (module
    doc): `kept`, `reprinted` or `mutate_dropped`; other states as they are."""
    if state != "kept" or not isinstance(detail, dict):
        return state
    from lean_alchemy.mutate.statements import Skip

    try:
        node = mut.root(lib.decl(lab["source_theorem"]))
    except Skip:
        return "mutate_dropped"
    for rid, rule in detail["rules"].items():  # the rules as derived now, decoded anew
        mut.rules[rid] = rule
        mut.decoded.pop(rid, None)
    want = " ".join(lab["statement"].split())
    outputs = []
    for inv in detail["invocations"]:
        built = mut.build(node, inv)
        if built is not None and built[0][1] == "pending":
            outputs.append(" ".join(built[0][0].statement.split()))
    if not outputs:
        return "mutate_dropped"
    return "kept" if want in outputs else "reprinted"


def _pipeline_summary(through: Counter) -> dict:
    out: dict = {}
    for label in ("ill_typed", "elaborates"):
        rows = {k[1]: v for k, v in through.items() if k[0] == label}
        n = sum(rows.values())
        gone = n - rows.get("kept", 0)
        out[label] = {"n": n, "states": dict(sorted(rows.items())),
                      "not_output_as_labelled": gone,
                      "share": round(gone / n, 3) if n else None}
    return out


def _replay(lib: Library, lab: dict, invocations: bool = False
            ) -> tuple[str, str | None, object]:
    """`kept` when the index (re-run on the pair by `alchemy explain`) accepts a match of
    the row's rule, direction, kind and location; `dropped` when every such match the
    other stages accept is refused by the typed filter; `not_found` when the current
    index makes no such match at all (the row is then neither kept nor dropped)."""
    try:
        data = explain(lib, lab["source_theorem"], lab["rule"], lab["direction"],
                       (lab["kind"],), invocations)
    except AlchemyError:
        return "not_found", None, None
    locs = [x for x in data["locations"] if x["kind"] == lab["kind"]
            and (lab["kind"] == "apply_hyp" or x["location"] == lab["location"])]
    accepted = [x for x in locs if x["verdict"] == "accepted"]
    if accepted and invocations:
        return "kept", None, {"typing": [x.get("typing") for x in accepted][:1],
                              "rules": data["rules"],
                              "invocations": [i for x in accepted for i in x["invocations"]]}
    if accepted:
        return "kept", None, [x.get("typing") for x in accepted][:1]
    typed = [x for x in locs if x["verdict"] in ("filter:instance_missing", "filter:type_clash")]
    if typed:
        return "dropped", typed[0]["verdict"].split(":", 1)[1], typed[0].get("typing")
    return "not_found", None, None


def _summary(labels, by: Counter, reasons: Counter, filt: TypedFilter) -> dict:
    def share(label: str, what: str, rc: str | None = None) -> dict:
        rows = {k: v for k, v in by.items() if k[0] == label and (rc is None or k[1] == rc)}
        n = sum(rows.values())
        hit = sum(v for k, v in rows.items() if k[2] == what)
        found = n - sum(v for k, v in rows.items() if k[2] == "not_found")
        return {"n": n, what: hit, "share": round(hit / n, 3) if n else None,
                "found": found, "share_of_found": round(hit / found, 3) if found else None}
    classes = sorted({r["reason_class"] for r in labels if r["reason_class"]})
    st = filt.stats
    dropped_ok = share("elaborates", "dropped")
    return {
        "labelled": len(labels),
        "ill_typed_dropped": share("ill_typed", "dropped"),
        "elaborates_dropped": dropped_ok,
        "elaborates_kept_share": round(1 - dropped_ok["dropped"] / dropped_ok["n"], 3)
        if dropped_ok["n"] else None,
        "per_reason_class": {c: share("ill_typed", "dropped", c) for c in classes},
        "drop_reasons": dict(reasons),
        "coverage": {"values": st["values"], "values_typed": st["values_typed"],
                     "share": round(st["values_typed"] / st["values"], 3) if st["values"] else None,
                     # a literal (numeral, `⊤`, `∅`, `_`, `.univ`) takes the type its
                     # place in the match expects, when the other values solve it
                     # (`TypedFilter._literal_types`)
                     "literals": st["values_literals"],
                     "literals_typed": st["values_literals_typed"],
                     "share_of_non_literals": round(
                         (st["values_typed"] - st["values_literals_typed"])
                         / (st["values"] - st["values_literals"]), 3)
                     if st["values"] > st["values_literals"] else None,
                     "instance_queries": st["instance_queries"]},
    }


if __name__ == "__main__":
    raise SystemExit(main())
