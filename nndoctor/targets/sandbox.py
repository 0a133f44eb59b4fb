"""Running user code the way pytest runs test files: it cannot end nndoctor or corrupt its output.

- While a recipe loads, `sys.argv` is `[recipe path]`, so a recipe that parses arguments at import
  sees its own name and not nndoctor's options.
- `SystemExit` from user code (a `sys.exit()` at import, in a builder, in `forward`) becomes a
  `UserCodeExit` naming the function; other exceptions become a `TargetError` naming the
  function and the user's file:line. KeyboardInterrupt passes through untouched.
- `stdout_to_stderr()` sends everything user code prints to stderr, so the command's stdout (a
  JSON report, say) stays valid.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from nndoctor.errors import NndoctorError, TargetError, UserCodeExit

T = TypeVar("T")


def user_frame(exc: BaseException, path: str | None) -> str:
    """' (at file:line)' of the deepest traceback frame inside the user's file, when there is one."""
    frames = list(traceback.extract_tb(exc.__traceback__))
    inside = [f for f in frames if path and _same_file(f.filename, path)]
    chosen = inside or frames
    if not chosen:
        return ""
    return f" (at {chosen[-1].filename}:{chosen[-1].lineno})"


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:  # pragma: no cover - unreadable paths
        return False


def exit_message(exc: SystemExit, label: str, where: str | None) -> str:
    code = exc.code if exc.code is not None else 0
    return (
        f"{label} in {where} called sys.exit({code!r}){user_frame(exc, where)}. nndoctor runs your code as a "
        'library: move script code under `if __name__ == "__main__":` and return values instead of exiting.'
    )


def call_user(func: Callable[..., T], label: str, where: str | None, *args: Any, **kwargs: Any) -> T:
    """Call a user function; its failures name `label` (e.g. 'build_data()') and `where` (the file)."""
    try:
        return func(*args, **kwargs)
    except NndoctorError:
        raise
    except SystemExit as exc:
        raise UserCodeExit(exit_message(exc, label, where)) from None
    except Exception as exc:
        raise TargetError(f"{label} in {where} raised {type(exc).__name__}: {exc}{user_frame(exc, where)}.") from exc


@contextlib.contextmanager
def script_argv(path: str) -> Iterator[None]:
    """`sys.argv` is `[path]` inside, as when the user runs the file with no arguments."""
    saved = sys.argv
    sys.argv = [path]
    try:
        yield
    finally:
        sys.argv = saved


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Whatever is printed inside (Python's sys.stdout and file descriptor 1) goes to stderr."""
    saved_stream = sys.stdout
    saved_fd: int | None = None
    try:
        sys.stdout.flush()
        if sys.stdout.fileno() == 1 and sys.stderr.fileno() == 2:
            saved_fd = os.dup(1)
            os.dup2(2, 1)
    except (AttributeError, OSError, ValueError):  # no real descriptors (a test runner's buffers)
        saved_fd = None
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = saved_stream
        if saved_fd is not None:
            with contextlib.suppress(OSError):
                sys.stderr.flush()
                os.dup2(saved_fd, 1)
                os.close(saved_fd)
