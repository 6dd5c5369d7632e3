"""User-facing errors.

Why a dedicated type: the CLI turns an `AlchemyError` into one clear line on stderr and exit
code 2, while any other exception is a bug and keeps its traceback.  Raise it for bad input
(a path that is not a Lean project, a missing stage output, a corrupt database, a missing
toolchain), always naming the file/line or the fix.
"""


class AlchemyError(Exception):
    exit_code = 2
