"""Soundness scan of the refuter on Lean sources directly, with a small fragment parser.

Usage: python benchmarks/refute_scan.py DIR [DIR...] [--show N]

Why this exists next to `refute.py`: it needs neither the extraction nor the project's
parser, so the evaluator's semantics can be checked against thousands of true Mathlib
theorems at any time.  The parser here only knows the fragment (binders, arithmetic,
relations, connectives, ∀ ∃ ∑ ∏, `|x|`, casts, `if`); anything else makes it skip the
theorem.  Section `variable`s are not replayed, so statements that use them are simply not
evaluable (an unknown identifier is never guessed).  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Enclosed, Ident, IfThenElse, Num, Postfix, Prefix, Quant, Sort,
    Typed,
)

TOKEN = re.compile(r"""
    (?P<ws>\s+|--[^\n]*)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<id>(?:[A-Za-z_\u0370-\u03ff\u1f00-\u1fff\u2100-\u214f\U0001d400-\U0001d7ff]
            [A-Za-z_0-9'\u0370-\u03ff\u2080-\u209c\u1f00-\u1fff\u2100-\u214f!?]*)
            (?:\.(?:[A-Za-z_][A-Za-z_0-9'!?]*|\d+))*)
  | (?P<op>⁻¹|⌊₊|⌋₊|⌈₊|⌉₊|:=|&&|\|\||==|[-+*/%^=≠<≤>≥∣∧∨→↔¬↑∈∉()\[\]{}⦃⦄,:|⌊⌋⌈⌉!∑∏∀∃•∘·$])
""", re.X)

INFIX = {  # op -> (precedence, right-assoc)
    "↔": (20, False), "→": (25, True), "∨": (30, True), "∧": (35, True),
    "=": (50, False), "≠": (50, False), "<": (50, False), "≤": (50, False), ">": (50, False),
    "≥": (50, False), "∣": (50, False), "∈": (50, False), "∉": (50, False),
    "==": (50, False), "||": (30, True), "&&": (35, True),
    "+": (65, False), "-": (65, False), "*": (70, False), "/": (70, False), "%": (70, False),
    "^": (75, True),
}


class ParseError(Exception):
    pass


def strip_comments(text: str) -> str:
    """Remove (nested) block comments and docstrings, keeping line structure roughly."""
    out, depth, i = [], 0, 0
    while i < len(text):
        if text.startswith("/-", i):
            depth += 1
            i += 2
        elif depth and text.startswith("-/", i):
            depth -= 1
            i += 2
        else:
            if not depth:
                out.append(text[i])
            elif text[i] == "\n":
                out.append("\n")
            i += 1
    return "".join(out)


def tokenize(text: str) -> list[str]:
    out, i = [], 0
    text = re.sub(r"/-.*?-/", " ", text, flags=re.S)
    while i < len(text):
        m = TOKEN.match(text, i)
        if not m:
            raise ParseError(f"bad char {text[i]!r}")
        i = m.end()
        if m.lastgroup != "ws":
            out.append(m.group())
    return out


class Parser:
    def __init__(self, toks: list[str]):
        self.t = toks
        self.i = 0
        self.stop_bar = 0

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def eat(self, s: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (s is not None and tok != s):
            raise ParseError(f"expected {s}, got {tok}")
        self.i += 1
        return tok

    # binders ---------------------------------------------------------------
    def binder_groups(self) -> list[BinderGroup]:
        out = []
        closers = {"(": ")", "{": "}", "[": "]", "⦃": "⦄"}
        kinds = {"(": "explicit", "{": "implicit", "[": "inst", "⦃": "strict"}
        while self.peek() in closers:
            o = self.eat()
            c = closers[o]
            if o == "[":
                names: tuple[str, ...] = ()
                if self.peek(1) == ":":
                    names = (self.eat(),)
                    self.eat(":")
                ty = self.expr(0)
                self.eat(c)
                out.append(BinderGroup(names, ty, "inst"))
                continue
            ns = []
            while self.peek() not in (":", c):
                ns.append(self.eat())
            ty = None
            if self.peek() == ":":
                self.eat(":")
                ty = self.expr(0)
            self.eat(c)
            out.append(BinderGroup(tuple(ns), ty, kinds[o]))
        return out

    def quant_binders(self) -> tuple[BinderGroup, ...]:
        if self.peek() in ("(", "{", "⦃", "["):
            gs = self.binder_groups()
            return tuple(BinderGroup(g.names, g.type, "plain") for g in gs)
        ns = []
        while self.peek() not in (":", ",", "∈", "<", "≤", ">", "≥", "≠", "in", None):
            ns.append(self.eat())
        if self.peek() == ":":
            self.eat()
            return (BinderGroup(tuple(ns), self.expr(0), "plain"),)
        if self.peek() in ("∈", "<", "≤", ">", "≥", "≠", "in"):
            op = self.eat()
            return (BinderGroup(tuple(ns), None, "plain", op, self.expr(51)),)
        return (BinderGroup(tuple(ns), None, "plain"),)

    # terms -----------------------------------------------------------------
    def expr(self, prec: int):
        lhs = self.prefix()
        while True:
            op = self.peek()
            if op == "|" and self.stop_bar:
                return lhs
            if op in INFIX:
                p, right = INFIX[op]
                if p < prec:
                    return lhs
                self.eat()
                rhs = self.expr(p if right else p + 1)
                lhs = BinOp(op, lhs, rhs)
                continue
            return lhs

    def prefix(self):
        tok = self.peek()
        if tok == "¬":
            self.eat()
            return Prefix("¬", self.expr(40))
        if tok == "-":
            self.eat()
            return Prefix("-", self.expr(75))
        if tok == "↑":
            self.eat()
            return Prefix("↑", self.arg())
        if tok in ("∀", "∃"):
            self.eat()
            bs = self.quant_binders()
            self.eat(",")
            return Quant(tok, bs, self.expr(0))
        if tok in ("∑", "∏"):
            self.eat()
            bs = self.quant_binders()
            self.eat(",")
            return Quant(tok, bs, self.expr(67))
        if tok == "if":
            self.eat()
            c = self.expr(0)
            self.eat("then")
            a = self.expr(0)
            self.eat("else")
            return IfThenElse(c, a, self.expr(0))
        head = self.arg()
        args = []
        while self.peek() is not None and self.starts_arg():
            args.append(self.arg())
        return App(head, tuple(args)) if args else head

    def starts_arg(self) -> bool:
        tok = self.peek()
        if tok in ("(", "⌊", "⌈", "↑"):
            return True
        if tok == "|":
            return not self.stop_bar
        if tok in ("then", "else", "in", "fun", "if", "at"):
            return False
        return bool(re.match(r"\w", tok)) and tok not in INFIX

    def arg(self):
        tok = self.eat()
        if tok == "(":
            e = self.expr(0)
            if self.peek() == ":":
                self.eat()
                ty = self.expr(0)
                self.eat(")")
                e = Typed(e, ty)
            else:
                self.eat(")")
        elif tok == "↑":
            e = Prefix("↑", self.arg())
        elif tok == "|":
            self.stop_bar += 1
            inner = self.expr(0)
            self.stop_bar -= 1
            self.eat("|")
            e = Enclosed("|", inner)
        elif tok in ("⌊", "⌈"):
            inner = self.expr(0)
            close = self.eat()
            if close in ("⌋₊", "⌉₊"):
                e = Enclosed(tok + "₊", inner)
            else:
                e = Enclosed(tok, inner)
        elif re.match(r"\d", tok):
            e = Num(tok)
        elif tok in ("Type", "Sort", "Type*", "Type _"):
            e = Sort(tok)
            if self.peek() == "*":
                self.eat()
                e = Sort("Type*")
            elif self.peek() and re.match(r"\w", self.peek()) and self.peek() not in ("then",):
                e = Sort(f"{tok} {self.eat()}")
        elif re.match(r"\w", tok):
            e = Ident(tok)
        else:
            raise ParseError(f"unexpected {tok}")
        while self.peek() in ("!", "⁻¹"):
            e = Postfix(self.eat(), e)
        return e


DECL = re.compile(r"^(?:@\[[^\]]*\]\s*)?(?:private |protected |nonrec )*(theorem|lemma)\s+(\S+)",
                  re.M)


VARIABLE = re.compile(r"^variable\s+((?:.|\n(?=\s))*)", re.M)
END_OR_SECTION = re.compile(r"^(?:section|end|namespace)\b", re.M)


def section_variables(text: str, pos: int) -> list[BinderGroup]:
    """`variable` binders before `pos` in the current section (approximation: since the
    last `section`/`namespace`/`end` line that precedes them is ignored, closed sections are
    dropped only roughly).  Parse failures drop the command."""
    out: list[BinderGroup] = []
    last_block = 0
    for m in END_OR_SECTION.finditer(text, 0, pos):
        last_block = m.start()
    for m in VARIABLE.finditer(text, last_block, pos):
        try:
            p = Parser(tokenize(m.group(1)))
            out.extend(p.binder_groups())
        except (ParseError, RecursionError):
            continue
    return out


INCLUDE = re.compile(r"^(include|omit)\s+([^\n]*)", re.M)


def section_includes(text: str, pos: int) -> list[str]:
    """Names `include`d (and not `omit`ted) since the last block command before `pos`."""
    last_block = 0
    for m in END_OR_SECTION.finditer(text, 0, pos):
        last_block = m.start()
    names: list[str] = []
    for m in INCLUDE.finditer(text, last_block, pos):
        words = [w for w in m.group(2).split() if re.match(r"\w", w) and w != "in"]
        if m.group(1) == "include":
            names.extend(words)
        else:
            names = [n for n in names if n not in words]
    return names


def signatures(text: str):
    """(name, signature text, start) of each theorem: from after the name to the `:=`."""
    for m in DECL.finditer(text):
        j = m.end()
        depth = 0
        k = j
        while k < len(text):
            ch = text[k]
            if ch in "([{⦃⟨":
                depth += 1
            elif ch in ")]}⦄⟩":
                depth -= 1
            elif depth == 0 and text.startswith(":=", k):
                break
            elif depth == 0 and text.startswith("\n|", k):
                break
            k += 1
        yield m.group(2), text[j:k], m.start()


def parse_signature(sig: str):
    p = Parser(tokenize(sig))
    bs = p.binder_groups()
    p.eat(":")
    concl = p.expr(0)
    if p.peek() is not None:
        raise ParseError(f"trailing {p.peek()}")
    return bs, concl


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--show", type=int, default=10)
    ap.add_argument("--variables", action="store_true",
                    help="prepend the `variable` binders of the enclosing block (approximate)")
    a = ap.parse_args(argv)
    from lean_alchemy.mutate.refute import refute_statement
    from lean_alchemy.mutate.refute.evaluate import type_of_ast

    counts: Counter = Counter()
    reasons: Counter = Counter()
    refuted, evaluable_examples, dropped = [], [], []
    elapsed = 0.0
    for d in a.dirs:
        files = [d] if d.is_file() else sorted(d.rglob("*.lean"))
        for f in files:
            text = strip_comments(f.read_text(encoding="utf-8"))
            for name, sig, start in signatures(text):
                counts["theorems"] += 1
                try:
                    bs, concl = parse_signature(sig)
                    svars = section_variables(text, start) if a.variables else []
                except (ParseError, RecursionError):
                    counts["unparsed"] += 1
                    continue
                counts["parsed"] += 1
                t0 = time.perf_counter()
                inc = section_includes(text, start) if a.variables else []
                r = refute_statement(bs, concl, section=svars, include=inc)
                dt = time.perf_counter() - t0
                counts[r.status] += 1
                if r.status == "not_evaluable":
                    reasons[r.reason] += 1
                    continue
                elapsed += dt
                counts["evaluable"] += 1
                if r.reason:
                    counts["never_satisfied"] += 1
                if r.status in ("refuted", "vacuous") and len(refuted) < a.show:
                    refuted.append({"name": name, "file": str(f), "status": r.status,
                                    "cex": r.counterexample, "reason": r.reason,
                                    "sig": " ".join(sig.split())[:300]})
                elif len(evaluable_examples) < 5:
                    evaluable_examples.append(name)
                # pseudo-mutants: the statement without one of its hypotheses (a conditional
                # rewrite applied without its side condition looks like this)
                for i, g in enumerate(bs):
                    if g.kind not in ("explicit", "implicit", "strict") or g.type is None:
                        continue
                    if type_of_ast(g.type) is not None or isinstance(g.type, Sort):
                        continue
                    rm = refute_statement(bs[:i] + bs[i + 1:], concl, section=svars,
                                          include=inc)
                    counts["dropped_hyp_" + rm.status] += 1
                    if rm.status == "refuted" and len(dropped) < a.show:
                        dropped.append({"name": name, "dropped": i, "cex": rm.counterexample,
                                        "sig": " ".join(sig.split())[:200]})
    out = dict(counts)
    out["per_second"] = round(counts["evaluable"] / elapsed, 1) if elapsed else None
    out["refuted_examples"] = refuted
    out["evaluable_examples"] = evaluable_examples
    out["dropped_hypothesis_refuted_examples"] = dropped
    out["top_not_evaluable"] = reasons.most_common(12)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
