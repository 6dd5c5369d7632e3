"""`alchemy index` and `alchemy graph`: command-line wiring for the index stage.

`graph` reads the Parquet edge table with pyarrow filters instead of building the networkx
graph: on Mathlib the table has millions of rows and a question about one declaration
should not pay for loading all of them (`index.graph.load_graph` is there for analysis).
The stage and pyarrow are imported inside the commands, not here: `alchemy` imports this
module to build its parser at start-up.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundir import RunDir

from .options import IndexOptions


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "index", help="rules, invocable (rule, theorem) pairs and the dependency graph",
        description="Derive rewrite/implication rules from the extracted theorems, find "
                    "where each rule can rewrite or apply in every theorem (rw_goal, rw_hyp, "
                    "apply_hyp) and build the dependency graph. Writes RUN/rules.parquet, "
                    "RUN/invocations.parquet, RUN/graph/ and RUN/index.stats.json.")
    p.add_argument("--run-dir", default=None, metavar="DIR",
                   help="run directory (default ./alchemy-run)")
    p.add_argument("--external-names", default=None, metavar="FILE",
                   help="file of full names from outside the project (one a line), e.g. "
                        "Lean core and Batteries names for Mathlib")
    p.add_argument("--max-matches-per-theorem", type=int,
                   default=IndexOptions.max_matches_per_theorem, metavar="N",
                   help="invocations kept per theorem, a seeded sample (0 = no cap; "
                        "default %(default)s)")
    p.add_argument("--no-rewrite", dest="rewrite", action="store_false",
                   help="no rw_goal/rw_hyp invocations")
    p.add_argument("--no-apply", dest="apply", action="store_false",
                   help="no apply_hyp invocations")
    p.add_argument("--no-proof-uses", dest="proof_uses", action="store_false",
                   help="no proof-uses edges in the graph")
    p.add_argument("--no-generic-evidence", dest="generic_evidence", action="store_false",
                   help="keep matches of constant-free patterns with concretely typed "
                        "variables even where no matched value has a type hint")
    p.add_argument("-j", "--jobs", type=int, default=IndexOptions.jobs, metavar="N",
                   help="worker processes (0 = one per CPU; default %(default)s)")
    p.add_argument("--progress", action="store_true", help="progress bar on stderr")
    p.add_argument("--rules-from", action="append", default=None, metavar="RUN_DIR",
                   help="a finished run directory of a library the project imports (e.g. "
                        "Mathlib): its rules, names and notations are added to the "
                        "project's own; repeatable")
    p.add_argument("--max-dependency-matches-per-theorem", type=int,
                   default=IndexOptions.max_dependency_matches_per_theorem, metavar="N",
                   help="of a theorem's invocations, at most N use a dependency's rule "
                        "(--rules-from; 0 = only --max-matches-per-theorem bounds them; "
                        "default %(default)s)")
    p.set_defaults(func=run_index_cli)

    g = subparsers.add_parser(
        "graph", help="facts from the dependency graph (sizes, a declaration's neighbours)",
        description="`alchemy graph stats` prints node/edge counts by kind, degree "
                    "distributions and the most-used rewrite lemmas; `alchemy graph show "
                    "NAME` (or `alchemy graph NAME`) prints a declaration's uses, users and "
                    "invocable rules.")
    g.add_argument("words", nargs="*", metavar="stats | show NAME | NAME")
    g.add_argument("--run-dir", default=None, metavar="DIR",
                   help="run directory (default ./alchemy-run)")
    g.add_argument("--limit", type=int, default=20, metavar="N",
                   help="rows per list (default %(default)s)")
    g.add_argument("--json", action="store_true", help="print JSON")
    g.set_defaults(func=run_graph_cli)

    e = subparsers.add_parser(
        "explain", help="why a lemma is (not) invoked on a theorem: every stage's verdict",
        description="For one candidate theorem and one rule lemma, print the derived rules "
                    "(or why each was dropped), the sub-terms whose skeleton fits, each match "
                    "attempt with its substitution, the type filter's decision with the "
                    "types it compared (with RUN/signatures.parquet: the types inferred for "
                    "the rule's variables and the instance queries asked), and whether the run's per-theorem cap kept the pair. "
                    "Reads an indexed run directory; nothing is re-indexed.")
    e.add_argument("candidate", metavar="CANDIDATE", help="full name of the theorem")
    e.add_argument("rule", metavar="RULE", help="full name of the rule lemma")
    e.add_argument("--direction", choices=("fwd", "bwd"), default=None,
                   help="only the rules of this direction (default: all)")
    e.add_argument("--run-dir", default=None, metavar="DIR",
                   help="run directory (default ./alchemy-run)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(func=run_explain_cli)


def run_index_cli(args: argparse.Namespace) -> int:
    cap = args.max_matches_per_theorem
    if cap is not None and cap < 0:
        raise AlchemyError(f"--max-matches-per-theorem must be >= 0, got {cap}")
    dep_cap = args.max_dependency_matches_per_theorem
    if dep_cap is not None and dep_cap < 0:
        raise AlchemyError(f"--max-dependency-matches-per-theorem must be >= 0, got {dep_cap}")
    opts = IndexOptions(external_names=args.external_names,
                        max_matches_per_theorem=cap or None, rewrite=args.rewrite,
                        apply=args.apply, proof_uses=args.proof_uses,
                        generic_evidence=args.generic_evidence, jobs=args.jobs,
                        progress=args.progress, rules_from=tuple(args.rules_from or ()),
                        max_dependency_matches_per_theorem=dep_cap or None)
    from .driver import run_index

    run_index(RunDir.at(args.run_dir), opts, echo=print)
    return 0


def run_explain_cli(args: argparse.Namespace) -> int:
    from .explain import Library, explain, render
    from .typing.classes import ClassTable
    from .typing.signatures import FILE as SIGNATURES_FILE
    from .typing.signatures import read_signatures

    run = RunDir.at(args.run_dir)
    lib = Library(run)
    sigs = run.root / SIGNATURES_FILE
    if sigs.exists():  # the run has a signature table: replay the typed filter too
        lib.use_typing(ClassTable.build(read_signatures(sigs)))
    data = explain(lib, args.candidate, args.rule, args.direction)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(render(data))
    return 0


# --------------------------------------------------------------------------- graph

def _tables(run: RunDir):
    import pyarrow.parquet as pq

    from .graph import edges_path, nodes_path

    for p in (nodes_path(run), edges_path(run)):
        if not p.exists():
            raise AlchemyError(f"{p} does not exist: run `alchemy index --run-dir {run.root}` "
                               "first")
    return pq, nodes_path(run), edges_path(run)


def graph_stats(run: RunDir, limit: int = 20) -> dict:
    """Sizes, degree distributions and the most-used rewrite lemmas."""
    import pyarrow.compute as pc

    from .graph import INVOCABLE_KINDS

    pq, npath, epath = _tables(run)
    nodes = pq.read_table(npath, columns=["kind"])
    edges = pq.read_table(epath, columns=["src", "dst", "kind", "count"])
    out: dict = {"nodes": nodes.num_rows,
                 "nodes_by_kind": _value_counts(nodes.column("kind")),
                 "edges": edges.num_rows,
                 "edges_by_kind": _value_counts(edges.column("kind"))}
    degrees: dict = {}
    for kind in sorted(out["edges_by_kind"]):
        sub = edges.filter(pc.equal(edges.column("kind"), kind))
        degrees[kind] = {"out": _quantiles(Counter(sub.column("src").to_pylist())),
                         "in": _quantiles(Counter(sub.column("dst").to_pylist()))}
    out["degrees"] = degrees
    inv = edges.filter(pc.is_in(edges.column("kind"), value_set=__import__("pyarrow").array(
        list(INVOCABLE_KINDS))))
    used: Counter = Counter()
    theorems: dict[str, set] = defaultdict(set)
    for dst, src, n in zip(inv.column("dst").to_pylist(), inv.column("src").to_pylist(),
                           inv.column("count").to_pylist()):
        used[dst] += n or 1
        theorems[dst].add(src)
    out["most_used_rules"] = [{"lemma": k, "instances": v, "theorems": len(theorems[k])}
                              for k, v in used.most_common(limit)]
    return out


def _value_counts(col) -> dict[str, int]:
    c = Counter(x for x in col.to_pylist())
    return {str(k): v for k, v in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def _quantiles(c: Counter) -> dict:
    vals = sorted(c.values())
    if not vals:
        return {"nodes": 0}
    def q(x: float) -> int:
        return vals[min(len(vals) - 1, int(x * len(vals)))]
    return {"nodes": len(vals), "mean": round(sum(vals) / len(vals), 2), "p50": q(0.5),
            "p90": q(0.9), "p99": q(0.99), "max": vals[-1]}


def graph_show(run: RunDir, name: str, limit: int = 20) -> dict:
    """A declaration's node, its uses, its users and its invocable rules / candidates."""
    from .graph import INVOCABLE_KINDS

    pq, npath, epath = _tables(run)
    node = pq.read_table(npath, filters=[("name", "=", name)]).to_pylist()
    if not node:
        near = _near(pq, npath, name)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise AlchemyError(f"no declaration named {name} in {npath}{hint}")
    out_e = pq.read_table(epath, filters=[("src", "=", name)]).to_pylist()
    in_e = pq.read_table(epath, filters=[("dst", "=", name)]).to_pylist()
    report: dict = {"node": node[0]}
    for label, rows, other in (("uses", out_e, "dst"), ("users", in_e, "src")):
        by_kind: dict[str, list] = defaultdict(list)
        for e in rows:
            if e["kind"] in INVOCABLE_KINDS:
                continue
            by_kind[e["kind"]].append(e[other])
        report[label] = {k: {"count": len(v), "names": sorted(v)[:limit]}
                      for k, v in sorted(by_kind.items())}
    for label, rows, other in (("invocable_rules", out_e, "dst"),
                               ("invoked_on", in_e, "src")):
        inv = [e for e in rows if e["kind"] in INVOCABLE_KINDS]
        inv.sort(key=lambda e: (-(e["count"] or 1), e[other]))
        report[label] = {"count": len(inv), "edges": [
            {"name": e[other], "kind": e["kind"], "direction": e["direction"],
             "location": e["location"], "instance": e["instance"], "count": e["count"]}
            for e in inv[:limit]]}
    return report


def _near(pq, npath, name: str) -> list[str]:
    last = name.rsplit(".", 1)[-1]
    names = pq.read_table(npath, columns=["name"]).column("name").to_pylist()
    return sorted(n for n in names if n.rsplit(".", 1)[-1] == last)[:5]


def run_graph_cli(args: argparse.Namespace) -> int:
    run = RunDir.at(args.run_dir)
    words = list(args.words)
    if not words or words == ["stats"]:
        data = graph_stats(run, args.limit)
    elif words[0] == "show" and len(words) == 2:
        data = graph_show(run, words[1], args.limit)
    elif len(words) == 1:
        data = graph_show(run, words[0], args.limit)
    else:
        raise AlchemyError("usage: alchemy graph [stats | show NAME | NAME]")
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))
    else:
        _print(data)
    return 0


def _print(data: dict, indent: int = 0) -> None:
    pad = "  " * indent
    for k, v in data.items():
        if isinstance(v, dict) and v:
            print(f"{pad}{k}:")
            _print(v, indent + 1)
        elif isinstance(v, list):
            print(f"{pad}{k}:")
            for item in v:
                if isinstance(item, dict):
                    print(f"{pad}  - " + ", ".join(f"{a}={b}" for a, b in item.items()
                                                   if b is not None))
                else:
                    print(f"{pad}  - {item}")
        else:
            print(f"{pad}{k}: {v}")
