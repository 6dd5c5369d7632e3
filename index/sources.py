"""The source text of declarations that extraction records by span only.

Why: extraction parses theorem statements and keeps every other declaration as a file and
a byte span; the index stage reads some of those spans again (definitions' result types,
`match.results`; the signature table, `typing.signatures`), each file once.
"""

from __future__ import annotations

from pathlib import Path


def source_bytes(cache: dict[str, bytes], root: Path, file: str) -> tuple[bytes, bool]:
    """The bytes of `root/file`, read into `cache` at the first call (b"" when the file
    cannot be read: its declarations then give nothing), and whether this call read it."""
    data = cache.get(file)
    if data is not None:
        return data, False
    try:
        data = (root / file).read_bytes()
    except OSError:
        data = b""
    cache[file] = data
    return data, True
