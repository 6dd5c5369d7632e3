"""A stand-in for Lean, for tests only: `lean --json FILE`, `lean --version` and the
leanprover-community REPL protocol, driven by directives written in the Lean text.

It does not elaborate Lean.  It splits the text into commands the way Lean sees them at the top
level (a command starts at column 0; block comments are skipped), and every declaration
*verifies* unless told otherwise:

    -- standin: error <message>        an error at the declaration's first line
    -- standin: error-here <message>   an error at the directive's own line
    -- standin: warn <message> / info <message>
    -- standin: warn-sorry             the warning Lean gives for `sorry`
    -- standin: heartbeats <N>         needs N heartbeats: a "(deterministic) timeout" error
                                       when the maxHeartbeats in force is smaller
    -- standin: sleep <seconds> / hang (sleep forever)
    -- standin: crash (SIGSEGV) / kill9 (SIGKILL) / exit <code>
    -- standin: garbage                non-JSON lines on stdout
    -- standin: alloc <MB>             allocate and touch memory (kept alive in the REPL);
                                       failing that: "INTERNAL PANIC: out of memory", exit 1
    -- standin: info-rlimit            an info message "RLIMIT_AS=<soft limit>"
    -- standin: axioms <A> <B> ...     the declaration depends on these axioms

Axioms, as `#print axioms NAME` reports them: a declaration depends on `sorryAx` when its
text uses `sorry` or it has an error, on `X` for an `axiom X` it mentions, and on everything
a declaration it mentions depends on (a name is mentioned by its full name or any dotted
suffix of it).  `import M` reads `M.lean` (dots as folders) from the working directory, or
from a folder of STANDIN_SOURCES, when it exists, so a library's sorry'd lemmas are known.

A directive belongs to the declaration whose text holds it, else to the next declaration.
Environment: STANDIN_REJECT=<regex> rejects declarations whose text matches (message
STANDIN_REJECT_MESSAGE, default "type mismatch"); STANDIN_ILL_TYPED=<regex> gives an error
at the declaration's first line when its *statement* (the text before the first `:=`)
matches, as Lean reports an ill-typed statement whatever the proof (`sorry` included);
STANDIN_BAD_IMPORT=<regex> makes matching
imports unknown; STANDIN_LOG=<file> records every REPL command; STANDIN_LAKE_FAIL=1 makes
`lake` fail before running anything; STANDIN_LEAN_VERSION overrides the reported version;
STANDIN_IMPORT_HANG=<regex> makes the import of matching modules hang;
STANDIN_START_CRASH=<fraction> makes that share of `lean FILE` and REPL starts panic at
once (exit 1, "INTERNAL PANIC" on stderr), decided by a counter in the file
STANDIN_START_STATE (shared by all processes; the same sequence of crashes every run) or at
random without it.
A declaration containing the token `sorry` gets "declaration uses 'sorry'", like Lean.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import sys
import time

DEFAULT_HEARTBEATS = 200000
_DECL = re.compile(
    r"^(?:@\[[^\]]*\]\s*)?(?:(?:private|protected|noncomputable|nonrec|unsafe|partial)\s+)*"
    r"(theorem|lemma|def|example|instance|abbrev|structure|inductive|class)\b")
_DECL_NAME = re.compile(r"\b(?:theorem|lemma|def|abbrev|instance|structure|inductive|class)"
                        r"\s+([^\s:({\[]+)")
_AXIOM = re.compile(r"^(?:(?:private|protected)\s+)*axiom\s+([^\s:({\[]+)")
_PRINT_AXIOMS = re.compile(r"^#print\s+axioms\s+(\S+)\s*$")
_IDENT = re.compile(r"[^\W\d][\w'.!?₀-₉]*")
_DIRECTIVE = re.compile(r"--\s*standin:\s*(\S+)\s*(.*?)\s*$")
_HB_IN = re.compile(r"^set_option\s+maxHeartbeats\s+(\d+)\s+in\s*$")
_HB = re.compile(r"^set_option\s+maxHeartbeats\s+(\d+)\s*$")
_PRINT_STR = re.compile(r'^#print\s+"((?:[^"\\]|\\.)*)"\s*$')
_SORRY = re.compile(r"(?<![\w.'])sorry(?![\w'])")
_KEEP: list[bytes] = []  # memory allocated by `alloc` (lives as long as the REPL process)


class Msg:
    """A message in the text's coordinates (1-based lines, 0-based columns)."""

    __slots__ = ("line", "column", "end_line", "end_column", "severity", "data")

    def __init__(self, line: int, column: int, end_line: int, end_column: int,
                 severity: str, data: str) -> None:  # severity: error|warning|information
        self.line, self.column, self.end_line, self.end_column = line, column, end_line, \
            end_column
        self.severity, self.data = severity, data


class Command:
    """A top-level command: its first line number (1-based), lines, and directives."""

    def __init__(self, start: int, lines: list[str]) -> None:
        self.start, self.lines = start, lines
        self.directives: list[tuple[int, str, str]] = []

    @property
    def head(self) -> str:
        return self.lines[0]

    @property
    def last_code(self) -> int:
        last = self.start
        for k, ln in enumerate(self.lines):
            s = ln.strip()
            if s and not s.startswith("--"):
                last = self.start + k
        return last


def split_commands(text: str) -> tuple[list[Command], list[Msg]]:
    """Top-level commands (column-0 code lines start one) and lexical errors."""
    cmds: list[Command] = []
    errors: list[Msg] = []
    lines = text.split("\n")
    depth = 0  # block comment nesting
    comment_start = 0
    directives: list[tuple[int, str, str]] = []
    for no, line in enumerate(lines, 1):
        code_starts_here = depth == 0 and line[:1] not in ("", " ", "\t") \
            and not line.startswith("--") and not line.startswith("/-")
        # track block comments on this line
        i = 0
        while i < len(line):
            if depth and line.startswith("-/", i):
                depth -= 1
                i += 2
            elif line.startswith("/-", i):
                if depth == 0:
                    comment_start = no
                depth += 1
                i += 2
            elif depth == 0 and line.startswith("--", i):
                break
            else:
                i += 1
        m = _DIRECTIVE.search(line)
        if code_starts_here:
            cmds.append(Command(no, [line]))
        elif cmds:
            cmds[-1].lines.append(line)
        if m:
            directives.append((no, m.group(1), m.group(2)))
    if depth:
        errors.append(Msg(len(lines), 0, len(lines), 0, "error",
                          f"unterminated comment (opened at line {comment_start})"))
    decls = [c for c in cmds if _DECL.match(c.head)]
    for no, verb, arg in directives:
        owner = next((c for c in decls if c.start <= no <= c.last_code), None) \
            or next((c for c in decls if c.start > no), None)
        if owner is not None:
            owner.directives.append((no, verb, arg))
    for c in cmds:
        c.directives.sort()
    return cmds, errors


def _flush_all() -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _die_by(sig: int) -> None:
    _flush_all()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sig != signal.SIGKILL:
        signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
    time.sleep(5)
    os._exit(128 + sig)


class Env:
    """What a command leaves for the next: the maxHeartbeats in force and the axioms of
    every declaration made so far (full name -> axioms)."""

    def __init__(self, heartbeats: int = DEFAULT_HEARTBEATS,
                 axioms: dict[str, frozenset] | None = None) -> None:
        self.heartbeats = heartbeats
        self.axioms: dict[str, frozenset] = dict(axioms or {})

    def copy(self) -> "Env":
        return Env(self.heartbeats, self.axioms)

    def lookup(self, name: str, namespace: str) -> str | None:
        name = name.replace("«", "").replace("»", "")
        for cand in ((f"{namespace}.{name}" if namespace else name), name):
            if cand in self.axioms:
                return cand
        return None

    def used_by(self, text: str) -> frozenset:
        """The axioms of every known declaration that `text` mentions."""
        tokens = set(_IDENT.findall(text))
        out: set = set()
        for full, axioms in self.axioms.items():
            parts = full.split(".")
            if any(".".join(parts[k:]) in tokens for k in range(len(parts))):
                out |= axioms
        return frozenset(out)


def _print_axioms(env: Env, name: str, namespace: str, c: "Command") -> Msg:
    """Lean's answer to `#print axioms NAME`."""
    found = env.lookup(name, namespace)
    if found is None:
        return Msg(c.start, 0, c.start, len(c.head), "error", f"unknown constant '{name}'")
    if env.axioms[found]:
        return Msg(c.start, 0, c.start, len(c.head), "information",
                   f"'{found}' depends on axioms: [{', '.join(sorted(env.axioms[found]))}]")
    return Msg(c.start, 0, c.start, len(c.head), "information",
               f"'{found}' does not depend on any axioms")


def _module_file(mod: str) -> str | None:
    roots = [os.getcwd(), *filter(None, os.environ.get("STANDIN_SOURCES", "").split(os.pathsep))]
    for root in roots:
        cand = os.path.join(root, *mod.split(".")) + ".lean"
        if os.path.isfile(cand):
            return cand
    return None


def _load_module(mod: str, env: Env, seen: set[str]) -> None:
    """The declarations of an imported module whose source is at hand, into `env`."""
    path = _module_file(mod)
    if path is None or path in seen:
        return
    seen.add(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    process(text, lambda m: None, allow_imports=True, env=env, loaded=seen)


def _directive(verb: str, arg: str, line: int, at, limit: int, axioms: set, garbage) -> None:
    """Carry out one `-- standin:` directive of a declaration; `at(severity, text, line)`
    emits a message, `axioms` collects what the declaration depends on."""
    if verb == "error":
        at("error", arg or "standin error")
    elif verb == "error-here":
        at("error", arg or "standin error", line)
    elif verb == "warn":
        at("warning", arg)
    elif verb == "info":
        at("information", arg)
    elif verb == "warn-sorry":
        at("warning", "declaration uses 'sorry'")
    elif verb == "heartbeats":
        if limit and int(arg) > limit:
            at("error", "(deterministic) timeout at `whnf`, maximum number of "
                        f"heartbeats ({limit}) has been reached\nUse `set_option "
                        "maxHeartbeats <num>` to set the limit.")
    elif verb == "sleep":
        _flush_all()
        time.sleep(float(arg))
    elif verb == "hang":
        _flush_all()
        while True:
            time.sleep(3600)
    elif verb == "crash":
        sys.stderr.write("Stack overflow detected. Aborting.\n")
        _die_by(signal.SIGSEGV)
    elif verb == "kill9":
        _die_by(signal.SIGKILL)
    elif verb == "exit":
        _flush_all()
        os._exit(int(arg))
    elif verb == "garbage":
        if garbage is not None:
            garbage()
    elif verb == "alloc":
        try:
            _KEEP.append(b"\x01" * (int(arg) * 1024 * 1024))
        except MemoryError:
            sys.stderr.write("INTERNAL PANIC: out of memory\n")
            _flush_all()
            os._exit(1)
    elif verb == "info-rlimit":
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        at("information", f"RLIMIT_AS={soft}")
    elif verb == "axioms":
        axioms.update(arg.split())


def _declaration(c: "Command", env: Env, emit, limit: int, namespace: str, garbage) -> None:
    """Judge one declaration: its directives, STANDIN_REJECT, `sorry`; record its axioms
    in `env` under its full name."""
    decl_text = "\n".join(c.lines[: c.last_code - c.start + 1])
    last = c.last_code

    failed = False
    axioms: set = set(env.used_by(decl_text))

    def at(severity: str, data: str, line: int = c.start) -> None:
        nonlocal failed
        failed = failed or severity == "error"
        emit(Msg(line, 0, last if line == c.start else line, 0, severity, data))

    for no, verb, arg in c.directives:
        _directive(verb, arg, no, at, limit, axioms, garbage)
    reject = os.environ.get("STANDIN_REJECT")
    if reject and re.search(reject, decl_text):
        at("error", os.environ.get("STANDIN_REJECT_MESSAGE") or "type mismatch")
    ill_typed = os.environ.get("STANDIN_ILL_TYPED")
    if ill_typed and re.search(ill_typed, decl_text.split(":=", 1)[0]):
        at("error", "type mismatch in the statement")
    if _SORRY.search(decl_text):
        at("warning", "declaration uses 'sorry'")
        axioms.add("sorryAx")
    if failed:  # Lean adds a declaration with errors, its holes filled by sorryAx
        axioms.add("sorryAx")
    named = _DECL_NAME.search(c.head.strip())
    if named:
        full = ".".join(x for x in (namespace, named.group(1)) if x)
        env.axioms[full] = frozenset(axioms)


def process(text: str, emit, *, allow_imports: bool, env: Env | None = None, garbage=None,
            loaded: set[str] | None = None) -> Env:
    """Run the commands of `text`, calling `emit` for each message as soon as it exists
    (Lean's order: command by command).  Returns the environment at the end (`env`, changed
    in place, or a new one)."""
    env = env if env is not None else Env()
    loaded = loaded if loaded is not None else set()
    heartbeats = env.heartbeats
    namespaces: list[str] = []  # the namespace each open scope added ("" for a section)
    cmds, lex_errors = split_commands(text)
    bad_import = os.environ.get("STANDIN_BAD_IMPORT")
    stack: list[int] = []
    hb_in: int | None = None

    def current_namespace() -> str:
        return ".".join(n for n in namespaces if n)

    seen_non_import = not allow_imports
    for c in cmds:
        head = c.head.strip()
        end = c.start + len(c.lines) - 1
        if head.startswith("import "):
            if seen_non_import:
                emit(Msg(c.start, 0, c.start, len(c.head), "error",
                         "invalid 'import' command, it must be used in the beginning of the "
                         "file"))
                continue
            mod = head.split()[1] if len(head.split()) > 1 else ""
            hang = os.environ.get("STANDIN_IMPORT_HANG")
            if hang and re.search(hang, mod):
                _flush_all()
                while True:
                    time.sleep(3600)
            if bad_import and re.search(bad_import, mod):
                emit(Msg(c.start, 0, c.start, len(c.head), "error",
                         f"unknown module prefix '{mod.split('.')[0]}'\n\nNo directory "
                         f"'{mod.split('.')[0]}' or file '{mod.split('.')[0]}.olean' in the "
                         "search path entries"))
            else:
                _load_module(mod, env, loaded)
            continue
        seen_non_import = True
        m = _PRINT_STR.match(head)
        if m:
            emit(Msg(c.start, 0, c.start, len(c.head), "information",
                     json.loads(f'"{m.group(1)}"')))
            continue
        m = _PRINT_AXIOMS.match(head)
        if m:
            emit(_print_axioms(env, m.group(1), current_namespace(), c))
            continue
        m = _AXIOM.match(head)
        if m:
            full = ".".join(x for x in (current_namespace(), m.group(1)) if x)
            env.axioms[full] = frozenset({full})
            continue
        if re.match(r"^(section|namespace)\b", head) or head.startswith("noncomputable section"):
            stack.append(heartbeats)
            words = head.split()
            namespaces.append(words[1] if words[0] == "namespace" and len(words) > 1 else "")
            continue
        if re.match(r"^end\b", head):
            if not stack:
                emit(Msg(c.start, 0, c.start, len(c.head), "error",
                         "invalid 'end', insufficient scopes"))
            else:
                heartbeats = stack.pop()
                namespaces.pop()
            continue
        m = _HB_IN.match(head)
        if m:
            hb_in = int(m.group(1))
            continue
        m = _HB.match(head)
        if m:
            heartbeats = int(m.group(1))
            continue
        if not _DECL.match(head):
            hb_in = None
            continue
        limit = hb_in if hb_in is not None else heartbeats
        hb_in = None
        _declaration(c, env, emit, limit, current_namespace(), garbage)
    for e in lex_errors:
        emit(e)
    env.heartbeats = heartbeats
    return env


# ---------------------------------------------------------------------- lean


def lean_version() -> str:
    v = os.environ.get("STANDIN_LEAN_VERSION")
    if not v:
        try:
            with open("lean-toolchain", encoding="utf-8") as f:
                pin = f.read().strip()
            v = pin.rsplit(":", 1)[-1].lstrip("v")
        except OSError:
            v = "4.0.0-standin"
    return v


def lean_main(argv: list[str]) -> int:
    if "--version" in argv or "-v" in argv:
        print(f"Lean (version {lean_version()}, x86_64-unknown-linux-gnu, commit standin, "
              "Release)")
        return 0
    maybe_crash_at_start()
    as_json = "--json" in argv
    files = [a for a in argv if not a.startswith("-")]
    if len(files) != 1:
        sys.stderr.write("standin lean: expected one file\n")
        return 1
    path = files[0]
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        sys.stderr.write(f"file not found: {path}\n{e}\n")
        return 1
    errors = 0

    def emit(m: Msg) -> None:
        nonlocal errors
        errors += m.severity == "error"
        if as_json:
            obj = {"fileName": path, "pos": {"line": m.line, "column": m.column},
                   "endPos": {"line": m.end_line, "column": m.end_column},
                   "keepFullRange": False, "severity": m.severity, "isSilent": False,
                   "caption": "", "data": m.data, "kind": "[anonymous]"}
            sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            sev = "" if m.severity == "information" else f" {m.severity}:"
            sys.stdout.write(f"{path}:{m.line}:{m.column}:{sev} {m.data}\n")
        sys.stdout.flush()

    def garbage() -> None:
        sys.stdout.write("\x1b[1mgarbage {not json\n<<<>>>\n")
        sys.stdout.flush()

    process(text, emit, allow_imports=True, garbage=garbage)
    return 1 if errors else 0


def maybe_crash_at_start() -> None:
    """STANDIN_START_CRASH: panic before reading anything, as a Lean that cannot start."""
    share = float(os.environ.get("STANDIN_START_CRASH") or 0)
    if share <= 0:
        return
    state = os.environ.get("STANDIN_START_STATE")
    if state:
        import fcntl
        import random

        with open(state, "a+", encoding="ascii") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            n = len(f.read())
            f.write(".")
        roll = random.Random(f"standin-start-{n}").random()
    else:
        roll = int.from_bytes(os.urandom(4), "big") / 2 ** 32
    if roll < share:
        sys.stderr.write("INTERNAL PANIC: the standin was told to crash at start "
                         "(STANDIN_START_CRASH)\n")
        _flush_all()
        os._exit(1)


# ---------------------------------------------------------------------- REPL


def _read_query(stdin) -> str:
    """The REPL's `getLines`: lines until a blank one, each right-trimmed, concatenated."""
    parts: list[str] = []
    while True:
        line = stdin.readline()
        if line.strip() == "":  # a blank line ends the query; at EOF `line` is ""
            return "".join(parts) + line
        parts.append(line.rstrip())


def repl_main(argv: list[str]) -> int:
    maybe_crash_at_start()
    envs: list[Env] = []  # env id -> the environment after that command
    log = os.environ.get("STANDIN_LOG")
    stdin, stdout = sys.stdin, sys.stdout
    while True:
        query = _read_query(stdin)
        if query == "":
            return 0
        if query.startswith("#") or query.startswith("--"):
            continue
        try:
            req = json.loads(query)  # a lone blank line ("\n") fails here, as in the REPL
            if not isinstance(req, dict) or not isinstance(req.get("cmd"), str):
                raise ValueError("expected an object with a string field `cmd`")
        except ValueError as e:
            sys.stderr.write(f'uncaught exception: {{"message": "Could not parse JSON:\\n{e}"}}\n')
            return 1
        env = req.get("env")
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"pid": os.getpid(), "env": env, "cmd": req["cmd"]}) + "\n")
        if env is not None and (not isinstance(env, int) or not 0 <= env < len(envs)):
            resp: dict = {"message": "Unknown environment."}
        else:
            msgs: list[Msg] = []

            def garbage() -> None:
                stdout.write("garbage {not json\n")
                stdout.flush()

            envs.append(process(req["cmd"], msgs.append, allow_imports=env is None,
                                env=Env() if env is None else envs[env].copy(),
                                garbage=garbage))
            resp = {"env": len(envs) - 1}
            if msgs:
                sev = {"information": "info"}
                resp["messages"] = [
                    {"severity": sev.get(m.severity, m.severity),
                     "pos": {"line": m.line, "column": m.column},
                     "endPos": {"line": m.end_line, "column": m.end_column}, "data": m.data}
                    for m in msgs]
        # Lean's Json.pretty spans lines; then println and a blank line
        stdout.write(json.dumps(resp, ensure_ascii=False, indent=1) + "\n\n")
        stdout.flush()


# ---------------------------------------------------------------------- lake


def _find_repl(ws: str) -> str | None:
    for rel in (".lake/packages/REPL/.lake/build/bin/repl",
                ".lake/packages/repl/.lake/build/bin/repl", ".lake/build/bin/repl"):
        cand = os.path.join(ws, rel)
        if os.path.isfile(cand):
            return cand
    return None


def lake_main(argv: list[str]) -> int:
    if os.environ.get("STANDIN_LAKE_FAIL"):
        sys.stderr.write("error: standin lake told to fail (STANDIN_LAKE_FAIL)\n")
        return 1
    if argv[:1] == ["--version"]:
        print(f"Lake version 5.0.0-standin (Lean version {lean_version()})")
        return 0
    env = {**os.environ, "LEAN_PATH": os.path.join(os.getcwd(), ".lake/build/lib/lean")}
    if argv[:1] == ["env"] and len(argv) >= 2:
        prog = argv[1]
        try:
            os.execvpe(prog, [prog, *argv[2:]], env)
        except OSError as e:
            sys.stderr.write(f"error: failed to execute '{prog}': {e}\n")
            return 1
    if argv[:2] == ["exe", "repl"]:
        repl = _find_repl(os.getcwd())
        if repl is None:
            sys.stderr.write("error: unknown executable 'repl'\n")
            return 1
        os.execve(repl, [repl, *argv[2:]], env)
    sys.stderr.write(f"standin lake: unsupported command {' '.join(argv)}\n")
    return 2
