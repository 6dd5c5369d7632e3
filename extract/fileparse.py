"""One Lean file -> declaration records, scopes and failures (pure functions, no I/O
except in `extract_file`, which only reads the one file it is given).

Every `theorem`/`lemma` keyword that starts a command ends up either as a `Declaration`
or as an `ExtractFailure` with file, line and reason: nothing is dropped silently.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lean_alchemy.core.records import Declaration, ExtractFailure, NotationDecl, Scope

from .commands import (
    Command, first_word, match_close, group_commands, parse_binders, read_name, read_signature,
    skip_attrs_modifiers, split_attributes, strip_comments, _WS,
)
from .lexer import COMMAND_WORDS, LineIndex, Masked, mask, pieces
from .scope import ScopeTracker

#: declaration keyword -> record kind
DECL_KINDS: dict[str, str] = {
    "theorem": "theorem", "lemma": "lemma", "def": "def", "abbrev": "abbrev",
    "instance": "instance", "structure": "structure", "class": "class",
    "inductive": "inductive", "coinductive": "inductive", "alias": "alias",
    "opaque": "opaque", "axiom": "axiom", "irreducible_def": "def",
    "notation": "notation", "notation3": "notation", "infix": "notation",
    "infixl": "notation", "infixr": "notation", "prefix": "notation", "postfix": "notation",
    "macro": "macro", "syntax": "syntax", "elab": "macro",
}
NOTATION_WORDS = frozenset({"notation", "notation3", "infix", "infixl", "infixr", "prefix",
                            "postfix", "macro_rules", "macro", "syntax", "elab", "elab_rules"})
#: commands extraction knows and deliberately records nothing for (besides scope changes)
_KEYWORD = re.compile(r"[^\W\d][\w.!?']*")


def command_keyword(word: str) -> str:
    """The command's keyword: the identifier that starts its first word (`notation3` in
    `notation3"∫⁻ "…`, where no space separates keyword and string); "" for `#eval`-style
    and symbol-led words."""
    m = _KEYWORD.match(word)
    return m.group() if m else ""


OTHER_KNOWN_WORDS = frozenset({
    "example", "unseal", "seal", "elab_rules", "macro_rules", "attribute", "export",
    "deriving", "initialize", "builtin_initialize", "add_decl_doc", "assert_not_exists",
    "assert_not_imported", "library_note", "run_cmd", "run_elab", "run_meta", "simproc",
    "simproc_decl", "declare_syntax_cat", "declare_simp_like_tactic", "compile_inductive",
    "suppress_compilation", "unsuppress_compilation", "register_option",
    "register_simp_attr", "initialize_simps_projections", "mk_iff_of_inductive_prop",
    "proof_wanted", "open", "local", "scoped", "omit", "include", "mutual", "end",
    "unif_hint", "add_aesop_rules", "declare_aesop_rule_sets", "dsimproc", "dsimproc_decl",
    "grind_pattern", "extend_docs", "register_label_attr", "binder_predicate", "recall",
    "declare_config_elab", "declare_command_config_elab", "elab", "macro", "syntax",
    # Mathlib's own commands that declare no theorem (module notes, spellings, hints,
    # translation tables, linter sets, variable-name sugar)
    "deprecated_module", "recommended_spelling", "register_hint", "to_dual_insert_cast",
    "to_dual_insert_cast_fun", "to_dual_name_hint", "register_try?_tactic", "compile_def",
    "insert_to_additive_translation", "tactic_extension", "name_poly_vars",
    "name_power_vars", "register_linter_set", "register_grind_attr",
    "derive_eval_expr_instance_using_meta_eval", "lrat_proof", "declare_core_config_elab",
})
SCOPE_WORDS: dict[str, str] = {
    "open": "open", "variable": "variable", "variable?": "variable", "universe": "universe",
    "set_option": "set_option", "omit": "omit", "include": "include",
}
#: grep baseline: a column-0 line that starts a theorem/lemma command
BASELINE = re.compile(
    r"^(?:@\[.*?\]\s*)*(?:(?:private|protected|noncomputable|nonrec|public|meta|unsafe|partial)"
    r"\s+)*(?:theorem|lemma)\b", re.M)
_NAMED = re.compile(r"\(name\s*:=\s*([^\s)]+)\s*\)")
_BY = re.compile(r"by\b")
_LOCAL_ATTR = re.compile(r"\[\s*local\b|,\s*local\b")
_SCOPED_NS = re.compile(r"(?<![\w.])scoped\[\s*([^\]\s]+)\s*\]")


@dataclass(frozen=True, slots=True)
class FileExtraction:
    """What one file yields.  Iterating it yields its declarations."""

    declarations: tuple[Declaration, ...]
    scopes: tuple[Scope, ...]
    failures: tuple[ExtractFailure, ...]
    notations: tuple[NotationDecl, ...] = ()  # syntax-declaring commands and their tokens

    def __iter__(self) -> Iterator[Declaration]:
        return iter(self.declarations)


def module_name(rel: str | Path) -> str:
    """`Mathlib/Algebra/Group/Basic.lean` -> `Mathlib.Algebra.Group.Basic`."""
    p = Path(rel)
    parts = list(p.with_suffix("").parts) if p.suffix == ".lean" else list(p.parts)
    return ".".join(parts)


def full_name_of(namespaces: tuple[str, ...], name: str) -> str:
    if name.startswith("_root_."):
        return name[len("_root_."):]
    return ".".join((*namespaces, name)) if namespaces else name


class FileParser:
    """Walks the commands of one file in order, updating the scope tracker.  Public: the
    index's typing subclasses it to walk a file again for what extraction does not keep
    (the section each declaration sits in)."""

    def __init__(self, text: str, module: str, file: str,
                 theorem_keywords: frozenset[str] = frozenset()) -> None:
        self.text = text
        # custom declaration commands a library defines for its theorems (`problem`, ...)
        self.theorem_keywords = theorem_keywords
        self.module = module
        self.file = file
        self.mk: Masked = mask(text)
        self.lines = LineIndex(text)
        self.tracker = ScopeTracker(module)
        self.decls: list[Declaration] = []
        self.failures: list[ExtractFailure] = []
        self.notations: list[NotationDecl] = []
        self.used_scopes: dict[str, Scope] = {}
        docs = [c for c in self.mk.comments if c.kind == "doc"]
        self.doc_starts = [c.start for c in docs]
        self.docs = docs

    # -- helpers
    def fail(self, offset: int, reason: str) -> None:
        line = self.lines.line(offset)
        src = self.text[self.lines.starts[line - 1]:].split("\n", 1)[0]
        self.failures.append(ExtractFailure(self.file, line, reason, src[:120]))

    def raw(self, a: int, b: int) -> str:
        return self.text[a:b]

    def docstring(self, lo: int, hi: int) -> str | None:
        k = bisect_left(self.doc_starts, lo)
        found = None
        while k < len(self.docs) and self.docs[k].start < hi:
            found = self.docs[k]
            k += 1
        if found is None:
            return None
        return self.text[found.start + 3:max(found.start + 3, found.end - 2)].strip()

    def scope_entry(self, a: int, b: int) -> tuple[str, str] | None:
        """(kind, text) of a scope command at [a, b), or None if it is not one."""
        m = self.mk.masked
        pos, attrs, mods = skip_attrs_modifiers(m, a, b)
        word = first_word(m, pos, b)
        text = self.raw(pos, b).rstrip()
        if word in SCOPE_WORDS:
            return SCOPE_WORDS[word], text
        if word == "attribute" and _LOCAL_ATTR.search(m, pos, b):
            return "attribute", text
        if word in NOTATION_WORDS and "local" in mods:
            return "notation", self.raw(a, b).strip()
        if word in ("unseal", "seal"):
            return "other", text
        return None

    # -- main loop
    def run(self) -> FileExtraction:
        if self.mk.unterminated_at is not None:
            at = self.mk.unterminated_at
            what = "string" if self.text.startswith('"', at) else "comment"
            self.fail(at, f"unterminated {what}")
            line0 = self.lines.starts[self.lines.line(at) - 1]
            for m in BASELINE.finditer(self.text, line0 + 1 if at > line0 else line0):
                self.fail(m.start(), f"declaration inside unterminated {what}")
        for cmd in group_commands(self.mk, pieces(self.mk)):
            try:
                self.command(cmd)
            except Exception as e:  # a bug on one command must not lose the file
                if self._is_candidate(cmd):
                    self.fail(cmd.body, f"internal error: {type(e).__name__}: {e}")
        if not self.used_scopes:
            # a file without declarations still imports: its scope records what, so that
            # the index knows every module's imports (`index.visibility`)
            top = self.tracker.current()
            self.used_scopes[top.id] = top
        return FileExtraction(tuple(self.decls), tuple(self.used_scopes.values()),
                              tuple(self.failures), tuple(self.notations))

    def _is_candidate(self, cmd: Command) -> bool:
        m = self.mk.masked
        pos, _, _ = skip_attrs_modifiers(m, cmd.body, cmd.end)
        word = first_word(m, pos, cmd.end)
        return word in ("theorem", "lemma") or word in self.theorem_keywords

    def command(self, cmd: Command) -> None:
        m = self.mk.masked
        pos, attr_spans, mods = skip_attrs_modifiers(m, cmd.body, cmd.end)
        word = first_word(m, pos, cmd.end)
        t = self.tracker
        after = _WS.match(m, pos + len(word), cmd.end).end()
        rest = m[after:cmd.end].split()
        if word == "module" and not rest:
            t.set_module_file()
        elif word == "import":
            for mod in rest:
                if mod not in ("all",):
                    t.add_import(mod)
        elif word == "namespace":
            t.push("namespace", rest[0] if rest else "")
        elif word == "section":
            t.push("section", rest[0] if rest else "")
        elif word == "mutual":
            t.push("mutual", "")
        elif word == "end":
            t.end(rest[0] if rest else "")
        elif word in DECL_KINDS or word in self.theorem_keywords:
            self.declaration(cmd, pos, word, attr_spans, mods)
        else:
            entry = self.scope_entry(cmd.body, cmd.end)
            if entry is not None:
                t.add(*entry)
            elif (keyword := command_keyword(word)) and keyword not in OTHER_KNOWN_WORDS \
                    and keyword not in COMMAND_WORDS:
                # a command extraction does not know, e.g. a library's own `problem`
                # declaration command: counted, never skipped silently
                self.fail(cmd.body, f"unknown command: {keyword}")

    def declaration(self, cmd: Command, kw: int, word: str,
                    attr_spans: list[tuple[int, int]], mods: list[str]) -> None:
        m = self.mk.masked
        kind = "theorem" if word in self.theorem_keywords else DECL_KINDS[word]
        pos = _WS.match(m, kw + len(word), cmd.end).end()
        ns = self.tracker.namespaces
        if kind in ("theorem", "lemma"):
            self.theorem(cmd, kw, pos, kind, attr_spans, mods)
            return
        names: list[str] = []
        if word == "class" and m.startswith("inductive", pos):
            pos = _WS.match(m, pos + len("inductive"), cmd.end).end()
            kind = "class"
        if kind == "notation" or word in ("macro", "syntax", "elab"):
            self.notation(cmd, kw, word, mods)
            nm = _NAMED.search(m, pos, cmd.end)
            if nm is None:
                if "local" in mods:
                    self.tracker.add("notation", self.raw(cmd.body, cmd.end).strip())
                return
            names.append(self.raw(nm.start(1), nm.end(1)))
            if "local" in mods:
                self.tracker.add("notation", self.raw(cmd.body, cmd.end).strip())
        elif kind == "alias":
            if m.startswith("⟨", pos):
                end = m.find("⟩", pos, cmd.end)
                names.extend(n.strip() for n in self.raw(pos + 1, end).split(",")
                             if n.strip() and n.strip() != "_")
            else:
                names.append(read_name(m, pos, cmd.end)[0])
        elif kind == "instance":
            if m.startswith("(priority", pos):
                j = match_close(m, pos, cmd.end)
                pos = _WS.match(m, j if j > 0 else pos, cmd.end).end()
            if pos < cmd.end and m[pos] not in ":([{⦃" and not m.startswith("where", pos):
                names.append(read_name(m, pos, cmd.end)[0])
            else:
                names.append("")
        else:
            names.append(read_name(m, pos, cmd.end)[0])
        attrs = tuple(a for lo, hi in attr_spans for a in split_attributes(self.text, m, lo, hi))
        start_line = self.lines.line(cmd.start)
        for name in names:
            if name:
                full = full_name_of(ns, name)
            else:  # anonymous instance: a stable, clearly synthetic key
                full = full_name_of(ns, f"«instance@{self.lines.line(kw)}»")
            self.decls.append(Declaration(
                full_name=full, name=name, kind=kind, module=self.module, file=self.file,
                start_line=start_line, end_line=self.lines.line(cmd.end - 1),
                start_byte=self.lines.byte(cmd.start), end_byte=self.lines.byte(cmd.end),
                modifiers=tuple(mods), attributes=attrs))
            if kind == "instance" and "local" in mods and name:
                self.tracker.add("instance", f"attribute [local instance] {full}")

    def notation(self, cmd: Command, kw: int, word: str, mods: list[str]) -> None:
        """Record a syntax-declaring command with the tokens it declares (scoped ones
        under `scoped[NS]`'s namespace, else the current one)."""
        from lean_alchemy.grammar.tokens import declared_tokens

        text = self.raw(cmd.body, cmd.end).strip()
        tokens = declared_tokens(text)
        if not tokens:
            return
        head = self.mk.masked[cmd.body:kw]
        ns = ".".join(self.tracker.namespaces)
        if "scoped" in mods:
            visibility = "scoped"
            sm = _SCOPED_NS.search(head)
            if sm is not None:
                ns = sm.group(1)
        else:
            visibility = "local" if "local" in mods else "global"
        self.notations.append(NotationDecl(
            module=self.module, file=self.file, line=self.lines.line(kw), keyword=word,
            visibility=visibility, namespace=ns, tokens=tokens, text=text))

    def theorem(self, cmd: Command, kw: int, pos: int, kind: str,
                attr_spans: list[tuple[int, int]], mods: list[str]) -> None:
        m = self.mk.masked
        text = self.text
        name, name_end = read_name(m, pos, cmd.end)
        if not name:
            self.fail(kw, "no declaration name")
            return
        sig = read_signature(m, name_end, cmd.end)
        if sig.colon < 0:
            self.fail(kw, "no statement (no top-level ':')")
            return
        if sig.delim < 0:
            self.fail(kw, "no proof delimiter (':=', '|' or 'where')")
            return
        binders = parse_binders(text, m, name_end, sig.colon)
        conclusion = strip_comments(text[sig.colon + 1:sig.delim]).strip()
        if sig.delim_kind == ":=":
            proof = text[sig.delim + 2:cmd.end].strip()
            style = "tactic" if _BY.match(proof) else "term"
        else:
            proof = text[sig.delim:cmd.end].strip()
            style = "equations" if sig.delim_kind == "|" else "where"
        if not conclusion:
            self.fail(kw, "empty statement")
            return
        if not proof:
            self.fail(kw, "empty proof")
            return
        extra: list[tuple[str, str]] = []
        for a, b in cmd.prefixes:
            e = self.scope_entry(a, b)
            if e is not None:
                extra.append(e)
        scope = self.tracker.current(tuple(extra))
        sid = scope.id
        self.used_scopes.setdefault(sid, scope)
        attrs = tuple(a for lo, hi in attr_spans for a in split_attributes(text, m, lo, hi))
        self.decls.append(Declaration(
            full_name=full_name_of(self.tracker.namespaces, name), name=name, kind=kind,
            module=self.module, file=self.file,
            start_line=self.lines.line(cmd.start), end_line=self.lines.line(cmd.end - 1),
            start_byte=self.lines.byte(cmd.start), end_byte=self.lines.byte(cmd.end),
            modifiers=tuple(mods), attributes=attrs, docstring=self.docstring(cmd.start, kw),
            binders=binders, conclusion=conclusion, proof=proof, proof_style=style,
            scope_id=sid))


def extract_text(text: str, *, module: str, file: str,
                 theorem_keywords: tuple[str, ...] = ()) -> FileExtraction:
    """All declarations, the scopes theorems refer to, and failures of one file's text.
    `theorem_keywords`: declaration commands read as `theorem` (`[extract]
    theorem_keywords`)."""
    return FileParser(text, module, file, frozenset(theorem_keywords)).run()


def extract_file(path: Path, root: Path, theorem_keywords: tuple[str, ...] = ()
                 ) -> FileExtraction:
    """Read one file (relative names from `root`) and extract it; I/O problems become
    failures of that file instead of exceptions."""
    rel = path.relative_to(root).as_posix()
    try:
        data = path.read_bytes()
    except OSError as e:
        return FileExtraction((), (), (ExtractFailure(rel, 0, "unreadable", str(e)),))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return FileExtraction((), (), (ExtractFailure(rel, line, "undecodable",
                                                      f"byte {e.start}: {e.reason}"),))
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return extract_text(text, module=module_name(rel), file=rel,
                        theorem_keywords=theorem_keywords)
