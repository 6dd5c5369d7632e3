"""The dependency graph as Parquet node/edge tables, loaded back into networkx.

Why tables and not a pickle: a pickle ties the file to a networkx version and cannot be
read by other tools; two Parquet tables (`RUN/graph/nodes.parquet`, `edges.parquet`) can be
queried with pyarrow/duckdb/pandas directly and rebuilt into a `MultiDiGraph` in seconds.

Nodes: every declaration (full name, kind, module, file, line, attributes, parse status),
every module (kind `module`), and names from outside the project that statements mention
(kind `external`).  Edges always point from the user to the used:

| kind | from → to | attributes |
|---|---|---|
| `statement_uses` | declaration → constant its statement mentions | |
| `proof_uses` | declaration → constant named in its proof text | |
| `premise` | theorem → premise (LeanDojo traces: `RUN/premises.parquet`) | |
| `imports` | module → imported module | |
| `rw_goal`, `rw_hyp`, `apply_hyp` | candidate → rule lemma (*invocable*) | direction, location, instance (first), rule_id, count |

Invocable edges are aggregated per (candidate, lemma, kind, direction, location): `count`
says how many instances matched, `instance` shows the first one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundir import RunDir

_STR = pa.string()
NODE_SCHEMA = pa.schema([
    ("name", _STR), ("kind", _STR), ("module", _STR), ("file", _STR), ("line", pa.int32()),
    ("attributes", pa.list_(_STR)), ("parse_status", _STR),
])
EDGE_SCHEMA = pa.schema([
    ("src", _STR), ("dst", _STR), ("kind", _STR), ("direction", _STR), ("location", _STR),
    ("instance", _STR), ("rule_id", _STR), ("count", pa.int32()),
])
INVOCABLE_KINDS = ("rw_goal", "rw_hyp", "apply_hyp")
EDGE_KINDS = ("statement_uses", "proof_uses", "premise", "imports") + INVOCABLE_KINDS


def nodes_path(run: RunDir) -> Path:
    return run.graph_dir / "nodes.parquet"


def edges_path(run: RunDir) -> Path:
    return run.graph_dir / "edges.parquet"


def nodes_table(rows: list[dict]) -> pa.Table:
    cols = {n: [r.get(n) for r in rows] for n in NODE_SCHEMA.names}
    cols["attributes"] = [list(a or ()) for a in cols["attributes"]]
    return pa.Table.from_pydict(cols, schema=NODE_SCHEMA)


def edges_table(rows: list[tuple]) -> pa.Table:
    """Rows are (src, dst, kind, direction, location, instance, rule_id, count)."""
    cols = list(zip(*rows)) if rows else [()] * len(EDGE_SCHEMA.names)
    return pa.Table.from_arrays([pa.array(list(c), type=f.type)
                                 for c, f in zip(cols, EDGE_SCHEMA)], schema=EDGE_SCHEMA)


# --------------------------------------------------------------------------- proof text

_COMMENT = re.compile(r"/-.*?-/|--[^\n]*", re.S)
_IDENT = re.compile(r"(?<![\w.'])[^\W\d][\w'!?]*(?:\.[^\W\d][\w'!?]*)*")


def proof_identifiers(proof: str | None) -> set[str]:
    """Identifier-looking tokens of proof text (comments removed): what a proof may use."""
    if not proof:
        return set()
    return set(_IDENT.findall(_COMMENT.sub(" ", proof)))


# --------------------------------------------------------------------------- reading back

def _require(run: RunDir) -> None:
    for p in (nodes_path(run), edges_path(run)):
        if not p.exists():
            raise AlchemyError(f"{p} does not exist: run `alchemy index --run-dir {run.root}` "
                               "first")


def iter_edges(run: RunDir, kinds: Iterable[str] | None = None) -> Iterator[dict]:
    _require(run)
    filters = [("kind", "in", list(kinds))] if kinds is not None else None
    t = pq.read_table(edges_path(run), filters=filters)
    yield from t.to_pylist()


def load_graph(run: RunDir, kinds: Iterable[str] | None = None):
    """The graph as a `networkx.MultiDiGraph` (optionally only some edge kinds)."""
    import networkx as nx

    _require(run)
    g = nx.MultiDiGraph()
    nodes = pq.read_table(nodes_path(run)).to_pylist()
    g.add_nodes_from((n.pop("name"), n) for n in nodes)
    filters = [("kind", "in", list(kinds))] if kinds is not None else None
    t = pq.read_table(edges_path(run), filters=filters)
    cols = {n: t.column(n).to_pylist() for n in EDGE_SCHEMA.names}
    for i in range(t.num_rows):
        attrs = {"kind": cols["kind"][i]}
        if cols["kind"][i] in INVOCABLE_KINDS:
            for k in ("direction", "location", "instance", "rule_id", "count"):
                attrs[k] = cols[k][i]
        g.add_edge(cols["src"][i], cols["dst"][i], key=cols["kind"][i] + (
            f"/{cols['direction'][i]}/{cols['location'][i]}"
            if cols["kind"][i] in INVOCABLE_KINDS else ""), **attrs)
    return g


def write_nodes(run: RunDir, nodes: pa.Table) -> None:
    from lean_alchemy.extract.store import write_parquet

    write_parquet(nodes_path(run), nodes)


__all__ = ["NODE_SCHEMA", "EDGE_SCHEMA", "EDGE_KINDS", "INVOCABLE_KINDS", "load_graph",
           "iter_edges", "write_nodes", "proof_identifiers", "nodes_table", "edges_table"]
