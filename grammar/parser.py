"""Parse Lean 4 terms and binders into `grammar.ast` nodes (Lark LALR, contextual lexer).

Why this shape:
- LALR + contextual lexer is the only Lark mode fast enough for all of Mathlib (~190k
  statements); the grammar is built once per process (and Lark's own cache keeps the
  compiled tables on disk between processes).
- Operators are read as flat sequences and assembled by precedence climbing in
  `transform.ToAst.seq`; the operator terminals are generated from `operators.py`, so the
  printer and the parser share one table (a rule per precedence level was 3x slower).
- Lark's scanner is replaced by a first-character dispatching one (`fastlex.py`): same
  tokens, ~8x faster on this grammar's hundreds of operator terminals; and Lark's generic
  parse loop by a tight driver over the same tables and callbacks (`fastlalr.py`, ~30%).
- A few Lean constructs are not context-free for a lexer that ignores whitespace (`by`
  blocks run to the end of their group, `match` arms, comments); a small scanner replaces
  them by placeholder tokens before Lark sees the text.
- `parse_term` never raises: on a parse error it re-parses with every top-level bracket
  group that does not parse on its own replaced by a placeholder (recursively), so an
  unknown construct becomes an `Opaque` node covering the smallest group that contains it.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lark import Lark

from lean_alchemy.core.scan import CLOSERS as _CLOSERS, OPENERS as _OPENERS, single_group
from lean_alchemy.grammar.sides import relation_sides, top_groups as _top_groups
from lean_alchemy.grammar.ast import BinderGroup, By, Opaque, Term, has_opaque
from lean_alchemy.grammar.operators import (
    BRACKET_INFIX, DEFAULT_TABLE, MAX, Op, OperatorTable, bracket_parts,
)

# ------------------------------------------------------------------ lexical classes (Lean's)
# isLetterLike: Greek (minus λ Π Σ), Coptic, polytonic Greek, letterlike symbols (ℕ ℝ ...),
# mathematical script/fraktur/double-struck letters (𝓝 𝕜 ...).
LETTER = "A-Za-z_α-κμ-ωΑ-ΟΡΤ-Ωϊ-ϻἀ-῾℀-⅏𝒜-𝖟"
# isIdRest adds digits, ' ! ? and subscripts.
REST = LETTER + "0-9'!?₀-₉ₐ-ₜᵢ-ᵪⱼ"
_PART = f"(?:«[^»]*»|[{LETTER}][{REST}]*)"
NAME_RE = f"{_PART}(?:\\.{_PART})*(?:\\.\\{{[^{{}}]*\\}})?"
NAME_FULL = re.compile(NAME_RE + r"\Z")

PH_OPEN, PH_CLOSE = "\ue000", "\ue001"
_PH = re.compile(PH_OPEN + r"([0-9]+)" + PH_CLOSE)


def _lark_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nested(depth: int) -> str:
    """A `[...]` group with up to `depth` levels of nesting (`=O[𝓝[[[a, b]] \\ {c}] c]`)."""
    inner = "[^\\[\\]]"
    for _ in range(depth):
        inner = f"(?:[^\\[\\]]|\\[{inner}*\\])"
    return f"\\[{inner}*\\]"


_NESTED_SQUARE = _nested(3)


def _bracket_regex(table_keys: list[str]) -> str:
    """`→ₗ[R]`, `→ₗ⁅R⁆`, `[⋀^ι]→ₗ[R]`: a key, modifier characters, one bracket group."""
    alts = "|".join(re.escape(k) for k in sorted(table_keys, key=len, reverse=True))
    return (f"(?:{alts})(?:[^\\s\\[\\]()⁅⁆]*\\]→[^\\s\\[\\]()]*)?[^\\s\\[\\]()⁅⁆]*"
            f"(?:{_NESTED_SQUARE}|⁅[^⁅⁆]*⁆|⟮[^⟮⟯]*⟯)")


@dataclass(frozen=True)
class OpTerminals:
    """Which grammar terminal stands for which operator: the transformer's precedence
    climbing looks operators up by terminal name (`OP3` -> `+`)."""

    infix: dict[str, Op]  # terminal name -> infix Op (BOP<n>: family spec, symbol unused)
    prefix: dict[str, Op]  # terminal name -> prefix Op below max precedence (`-`, `⋃₀`)


def build_grammar(table: OperatorTable = DEFAULT_TABLE) -> str:
    """The full grammar text: the static part plus the generated operator terminals."""
    return _build(table)[0]


def _build(table: OperatorTable) -> tuple[str, OpTerminals]:
    base = (Path(__file__).with_name("lean_term.lark")).read_text(encoding="utf-8")
    lines: list[str] = []
    terms: dict[str, str] = {}  # symbol -> terminal name

    def term_for(sym: str) -> str:
        if sym not in terms:
            terms[sym] = f"OP{len(terms)}"
        return terms[sym]

    infix: dict[str, Op] = {}
    prefix: dict[str, Op] = {}
    for o in table.infix:
        t = term_for(o.symbol)
        infix.setdefault(t, table.infix_op(o.symbol) or o)
    for o in table.prefix:
        if o.prec < MAX and o.symbol != "¬":
            t = term_for(o.symbol)
            prefix.setdefault(t, table.prefix_op(o.symbol) or o)
    # bracketed infix families (one regex terminal per fixity/precedence/right operand)
    by_fix: dict[tuple, list[str]] = {}
    for key, spec in BRACKET_INFIX.items():
        by_fix.setdefault(spec, []).append(key)
    bterms: list[str] = []
    for i, (spec, keys) in enumerate(sorted(by_fix.items(), key=str)):
        fix, prec, right = spec
        name = f"BOP{i}"
        bterms.append(f"{name}.6: /{_bracket_regex(keys)}/")  # over UNKNOWN_TOKEN
        infix[name] = Op(name, fix, prec, 0, right)
    # `a ≡ b [MOD n]` (notation:50 a " ≡ " b " [MOD " n "]")
    lines.append("MOD_OPEN.3: /\\[(?:MOD|ZMOD|PMOD|SMOD)(?![\\w])/")
    lines.append("_infix: " + " | ".join(sorted(infix, key=_term_key)))
    lines.append("_prefix_low: " + (" | ".join(sorted(prefix, key=_term_key)) or "NOPREFIX"))
    # binder predicates reuse the infix terminals
    preds = ["∈", "∉", "⊆", "⊂", "⊇", "⊃", "≥", ">", "≤", "<", "≠", "∣"]
    lines.append("pred_op: " + " | ".join(term_for(p) for p in preds))
    # `¬` and Boolean `!` (notation:max "!" b:40) take a body at 40: they are NOT tokens
    prefix_max = [o.symbol for o in table.prefix if o.prec >= MAX and o.symbol not in ("¬", "!")]
    lines.append("PREFIX_MAX: " + " | ".join(_lark_str(s) for s in prefix_max))
    post = sorted({o.symbol for o in table.postfix}, key=lambda x: (-len(x), x))  # stable text
    lines.append("POSTFIX_OP.1: " + " | ".join(_lark_str(s) for s in post))
    for sym, name in terms.items():
        lines.append(f"{name}.2: {_lark_str(sym)}")
    from lean_alchemy.grammar.builtin_tokens import token_classes
    from lean_alchemy.grammar.operators_mathlib import CONSTANTS
    more, unknown = token_classes(table, base)
    consts = sorted(set(CONSTANTS) | {"∅", "ℝ*"} | set(more), key=lambda x: (-len(x), x))
    lines.append("SYMCONST.2: " + " | ".join(_lark_str(c) for c in consts))
    unknown.sort(key=lambda x: (-len(x), x))
    lines.append("UNKNOWN_TOKEN.5: " + " | ".join(_lark_str(c) for c in unknown))
    lines.append(f"PAREN_GLUE.3: /(?<=[{REST}])\\(/")
    lines.append("PIPEPROJ.3: /\\|>\\./")
    lines.extend(bterms)
    lines.append(f"NAME: /{NAME_RE}/")
    lines.append(f"PROJ: /(?<=[^\\s(\\[{{⟨,∂])\\.(?:[0-9]+|{_PART})/")
    lines.append(f"DOTIDENT: /(?<![^\\s(\\[{{⟨,∂])\\.[{LETTER}][{REST}]*/")
    lines.append("NUM: /0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/")
    if not prefix:
        lines.append("NOPREFIX: /\\uffff\\uffff/")
    text = base + "\n// ---- generated from operators.py\n" + "\n".join(lines) + "\n"
    return text, OpTerminals(infix, prefix)


def _term_key(name: str) -> tuple[str, int]:
    """`OP2` < `OP10`: a stable order for generated alternatives."""
    head = name.rstrip("0123456789")
    return head, int(name[len(head):] or 0)


_PARSERS: dict[int, tuple[OperatorTable, Lark]] = {}


def get_parser(table: OperatorTable = DEFAULT_TABLE) -> Lark:
    """The compiled LALR parser for `table`, built once per process (disk-cached by Lark).

    Keyed by the table's identity: hashing a table (hundreds of operators) on every parse
    cost more than a short parse itself."""
    hit = _PARSERS.get(id(table))
    if hit is not None and hit[0] is table:
        return hit[1]
    parser = _build_parser(table)
    _PARSERS[id(table)] = (table, parser)
    return parser


def _build_parser(table: OperatorTable) -> Lark:
    from lean_alchemy.grammar.fastlex import PLUGINS
    from lean_alchemy.grammar.transform import ToAst

    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lean_alchemy"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache: bool | str = str(cache_dir / "lean_term_grammar.lark.cache")
    except OSError:
        cache = False
    text, ops = _build(table)
    if cache:  # keyed by the grammar text, so each operator table gets its own file
        import hashlib
        cache = str(cache_dir / ("grammar-" + hashlib.sha1(text.encode()).hexdigest()[:12]
                                 + ".cache"))
    return Lark(text, parser="lalr", lexer="contextual", start=["start", "binders"],
                transformer=ToAst(ops), maybe_placeholders=True, cache=cache,
                propagate_positions=False, _plugins=PLUGINS)


# ------------------------------------------------------------------ pre-scanner

def comment_end(s: str, i: int) -> int:
    """End of a `--` comment (at its newline) or of a nested `/- -/` comment starting at
    `i`: the one reading of comments shared by the parser and the token lexer."""
    if s.startswith("--", i):
        j = s.find("\n", i)
        return len(s) if j < 0 else j
    depth, j, n = 1, i + 2, len(s)
    while j < n and depth:
        if s.startswith("/-", j):
            depth, j = depth + 1, j + 2
        elif s.startswith("-/", j):
            depth, j = depth - 1, j + 2
        else:
            j += 1
    return j


def _strip_comments(s: str) -> str:
    if "--" not in s and "/-" not in s:
        return s
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            j = i + 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            out.append(s[i:j + 1])
            i = j + 1
        elif s.startswith("--", i) or s.startswith("/-", i):
            i = comment_end(s, i)
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


_KW_BLOCK = re.compile(rf"(?<![{REST}.])(by|match)(?![{REST}])")


def _group_end(s: str, i: int, stop_comma: bool = True) -> int:
    """End (exclusive) of the text from `i` to the close of the enclosing group."""
    depth = 0
    n = len(s)
    j = i
    while j < n:
        c = s[j]
        if c in _OPENERS:
            depth += 1
        elif c in _CLOSERS:
            if depth == 0:
                return j
            depth -= 1
        elif c == "," and depth == 0 and stop_comma:
            return j
        elif c == '"':
            j += 1
            while j < n and s[j] != '"':
                j += 2 if s[j] == "\\" else 1
        j += 1
    return n


class Ctx:
    """Placeholder table of one parse: index -> (term, original text)."""

    __slots__ = ("terms", "texts")

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self.texts: list[str] = []

    def add(self, term: Term, text: str) -> str:
        self.terms.append(term)
        self.texts.append(text)
        return f"{PH_OPEN}{len(self.terms) - 1}{PH_CLOSE}"

    def restore(self, s: str) -> str:
        """The source text of `s` with placeholders expanded (for Opaque nodes)."""
        while PH_OPEN in s:
            s = _PH.sub(lambda m: self.texts[int(m.group(1))], s)
        return s


_LET = re.compile(rf"(?<![{REST}.])(let|have|haveI|letI)\s")


def _let_newlines(s: str) -> str:
    """`let x := v` NEWLINE `body` -> `let x := v; body` (Lean ends the value at the line
    break; this grammar ignores whitespace, so the break becomes the `;` it stands for)."""
    out = s
    for m in reversed(list(_LET.finditer(s))):
        depth = 0
        seen_assign = False
        for j in range(m.end(), len(s)):
            c = s[j]
            if c in _OPENERS:
                depth += 1
            elif c in _CLOSERS:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and s.startswith(":=", j):
                seen_assign = True
            elif depth == 0 and c == ";":
                break
            elif depth == 0 and c == "\n" and seen_assign:
                out = out[:j] + ";" + out[j + 1:]
                break
    return out


def prescan(text: str, ctx: Ctx) -> str:
    """Comments removed; `by` blocks and `match` expressions replaced by placeholders."""
    s = _strip_comments(text)
    if ("let" in s or "have" in s or "letI" in s) and "\n" in s:
        s = _let_newlines(s)
    if "by" not in s and "match" not in s:
        return s
    while True:
        m = _KW_BLOCK.search(s)
        if not m:
            return s
        a = m.start()
        b = _group_end(s, m.end(), stop_comma=m.group(1) == "by")
        chunk = s[a:b].rstrip()
        b = a + len(chunk)
        src = ctx.restore(chunk)
        if m.group(1) == "by":
            node: Term = By(" ".join(src[2:].split()))
        else:
            node = Opaque(" ".join(src.split()))
        s = s[:a] + ctx.add(node, src) + s[b:]


# ------------------------------------------------------------------ parsing with fallback

class _State:
    ctx: Ctx = Ctx()
    cdots: int = 0


STATE = _State()


_FAST: dict[int, tuple[OperatorTable, object]] = {}


def get_fast(table: OperatorTable = DEFAULT_TABLE):
    """A `parse(text, start)` callable for `table`: the tight driver of `fastlalr.py` over
    the compiled Lark tables (~2x faster per token), or `Lark.parse` if Lark's internals are
    not what the driver expects."""
    hit = _FAST.get(id(table))
    if hit is not None and hit[0] is table:
        return hit[1]
    lark = get_parser(table)
    try:
        from lean_alchemy.grammar.fastlalr import FastLalr
        fn = FastLalr(lark).parse
    except Exception:  # noqa: BLE001 - an unexpected Lark version: stay correct, be slower
        def fn(s: str, start: str = "start"):
            return lark.parse(s, start=start)
    _FAST[id(table)] = (table, fn)
    return fn


def _lark(s: str, ctx: Ctx, start: str = "start", table: OperatorTable = DEFAULT_TABLE):
    STATE.ctx = ctx
    STATE.cdots = 0
    return get_fast(table)(s, start)


def _parses(s: str, ctx: Ctx, table: OperatorTable) -> bool:
    try:
        _lark(s, ctx, "start", table)
        return True
    except Exception:  # noqa: BLE001 - any failure means "does not parse alone"
        return False


_GLUE_HEAD = re.compile(f"[{REST}.]")


def _glued_head(s: str, a: int) -> int:
    """Start of what the bracket group at `a` is glued to: `a` when nothing is (a space,
    an opener or a comma before it), the start of the identifier (`R[n : A]`, `K⟮X⟯`) or
    of the bracket group (`(g x)[n : A]`) it touches, or -1 when it touches anything else
    (`μ⁻[f|m]`, the `=O` of `=O[𝕜; l]`): an opaque span must not split a glued notation."""
    if a == 0 or s[a - 1].isspace() or s[a - 1] in _OPENERS or s[a - 1] in ",;":
        return a
    j = a
    if s[a - 1] in _CLOSERS:  # back to the matching opener
        depth, j = 0, a - 1
        while j >= 0:
            depth += s[j] in _CLOSERS
            depth -= s[j] in _OPENERS
            if depth == 0:
                break
            j -= 1
    else:
        while j > 0 and _GLUE_HEAD.match(s[j - 1]):
            j -= 1
        if j == a or not re.match(f"[{LETTER}«]", s[j]):
            return -1
    if j > 0 and not (s[j - 1].isspace() or s[j - 1] in _OPENERS or s[j - 1] in ",;"):
        return -1
    return max(j, 0)


# what may follow a bracket group without belonging to it: a projection, an index, a
# postfix operator (the grammar reads those after an opaque group too)
_AFTER_GROUP = frozenset(".,;[!⁻ᶜᵀᴴ†⋆ˣᵒᵐᵃᵘᗮ⁺∗⁰ᵈˢ") | frozenset(_CLOSERS)


def _glued_after(s: str, b: int) -> bool:
    """Whether the bracket group ending at `b` is glued to a token after it (`]→ₗ[`)."""
    return b < len(s) and not s[b].isspace() and s[b] not in _AFTER_GROUP


def _partial(s: str, ctx: Ctx, table: OperatorTable, depth: int = 0) -> Term:
    """Parse `s` (already pre-scanned), falling back group by group to Opaque."""
    try:
        return _lark(s, ctx, "start", table)
    except Exception:  # noqa: BLE001
        pass
    st = s.strip()
    if depth < 12:
        spans = _top_groups(s)
        new = s
        replaced = False
        for a, b in reversed(spans):
            g = s[a:b]
            if _parses(g, ctx, table) or _NAMED_ARG.match(g):
                continue  # a named argument `(R := R)` reads only after its function
            head = _glued_head(s, a)
            if head >= 0 and _glued_after(s, b):
                head = -1  # `[⋀^ι]→ₗ[R]`, `⟪f, g⟫_[𝕜, w]`: the closer is part of a token
            if head < 0:  # the group cannot be cut out: this whole group is opaque
                if st.startswith("(") and st.endswith(")") and single_group(st):
                    st = st[1:-1]  # parentheses are not a node (the printer adds them)
                return Opaque(" ".join(ctx.restore(st).split()))
            if head < a:  # `R[n : A]`, `K⟮X⟯`: the span keeps the head it is glued to
                g = s[head:b]
                sub: Term = (Opaque(" ".join(ctx.restore(g).split())) if g.strip() == st
                             else _partial(g, ctx, table, depth + 1))
                a = head
            else:
                sub = _partial(g, ctx, table, depth + 1)
            new = new[:a] + ctx.add(sub, ctx.restore(g)) + new[b:]
            replaced = True
        if replaced:
            try:
                return _lark(new, ctx, "start", table)
            except Exception:  # noqa: BLE001
                pass
        # `( inner )` that still fails: parentheses are not a node, the inside is opaque
        if st.startswith("(") and st.endswith(")") and single_group(st):
            return _partial(st[1:-1], ctx, table, depth + 1)
        sides = relation_sides(s, lambda side: _partial(side, ctx, table, depth + 1))
        if sides is not None:
            return sides
    return Opaque(" ".join(ctx.restore(st).split()))


# a bracket group that reads only after a function: a named argument `(R := R)`
_NAMED_ARG = re.compile(r"\(\s*[^\s():]+\s*:=")


@functools.lru_cache(maxsize=65536)
def _parse_cached(text: str) -> Term:
    ctx = Ctx()
    s = prescan(text, ctx)
    if not s.strip():
        return Opaque(text.strip())
    return _partial(s, ctx, DEFAULT_TABLE)


def parse_term(text: str, table: OperatorTable | None = None) -> Term:
    """The AST of a Lean term; unknown constructs become `Opaque` nodes. Never raises."""
    try:
        if table is None or table is DEFAULT_TABLE:
            return _parse_cached(text)
        ctx = Ctx()
        return _partial(prescan(text, ctx), ctx, table)
    except Exception:  # noqa: BLE001 - a grammar bug must not lose the statement
        return Opaque(" ".join(text.split()))


@functools.lru_cache(maxsize=65536)
def bracket_term(op: str) -> Term | None:
    """The term in a bracketed operator's bracket (`=ᶠ[𝓝 x]` -> `𝓝 x`,
    `operators.bracket_parts`): the grammar keeps it in the operator's text, yet Lean
    elaborates it as an argument, which `rw` rewrites.  None when there is none or the
    grammar cannot read it whole (an `Opaque` part, `;`-separated parts as in
    `=o[𝕜; l]`).  Cached: the index and `replace_all` ask it for every bracketed operator
    they pass, and terms are immutable."""
    parts = bracket_parts(op)
    if parts is None or ";" in parts[1] or not parts[1].strip():
        return None
    t = parse_term(parts[1])
    return None if has_opaque(t) else t


def parse_term_strict(text: str) -> Term:
    """Like `parse_term` but raises `LarkError` instead of producing Opaque nodes."""
    ctx = Ctx()
    return _lark(prescan(text, ctx), ctx)


# ------------------------------------------------------------------ binders

def _split_binder_groups(s: str) -> list[str]:
    return [s[a:b] for a, b in _top_groups(s, interior=False)]


_KIND_OF = {"(": ("explicit", ")"), "{": ("implicit", "}"), "⦃": ("strict", "⦄"),
            "[": ("inst", "]")}


def _binder_fallback(g: str) -> BinderGroup:
    """One bracketed binder group whose type does not parse: names kept, type opaque."""
    kind, close = _KIND_OF.get(g[:1], ("explicit", ")"))
    inner = g[1:-1] if g.endswith(close) else g[1:]
    depth = 0
    for i, c in enumerate(inner):
        if c in _OPENERS:
            depth += 1
        elif c in _CLOSERS:
            depth -= 1
        elif c == ":" and depth == 0 and inner[i + 1:i + 2] != "=":
            names = tuple(inner[:i].split())
            if names and all(NAME_FULL.match(n) or n == "_" for n in names):
                return BinderGroup(names, parse_term(inner[i + 1:]), kind)
            break
    if kind == "inst":
        return BinderGroup((), parse_term(inner), kind)
    return BinderGroup((), Opaque(" ".join(g.split())), kind)


@functools.lru_cache(maxsize=65536)
def _parse_binders_cached(text: str) -> tuple[BinderGroup, ...]:
    ctx = Ctx()
    s = prescan(text, ctx)
    try:
        return tuple(_lark(s, ctx, "binders"))
    except Exception:  # noqa: BLE001
        pass
    out: list[BinderGroup] = []
    for g in _split_binder_groups(s):
        try:
            out.extend(_lark(g, ctx, "binders"))
        except Exception:  # noqa: BLE001
            out.append(_binder_fallback(ctx.restore(g)))
    return tuple(out)


def parse_binders(text: str) -> tuple[BinderGroup, ...]:
    """Binder groups of a declaration's binder text `{α : Type*} [Ring α] (a b : α)`."""
    try:
        return _parse_binders_cached(text)
    except Exception:  # noqa: BLE001
        return (BinderGroup((), Opaque(" ".join(text.split())), "explicit"),)


def parse_statement(binders_text: str, conclusion_text: str
                    ) -> tuple[tuple[BinderGroup, ...], Term]:
    return parse_binders(binders_text), parse_term(conclusion_text)
