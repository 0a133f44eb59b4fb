"""Run a user's training script as `python script.py ARGS...` would, inside this process.

`run_script` executes the file as `__main__` (`runpy.run_path`) with `sys.argv = [path, *argv]` and
the script's folder first on `sys.path`, restores both afterwards, and returns a `ScriptOutcome`
saying how the script ended: it finished, an observer stopped it (`StopScript`), it called
`sys.exit`, it raised, or Ctrl-C interrupted it. Nothing is swallowed: the outcome keeps the
script's exception with its traceback and `ScriptOutcome.reraise()` raises it again, so a caller
writes its report first and then lets the exception out.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, NoReturn

if TYPE_CHECKING:
    from nndoctor.observe.hooks import Listener

__all__ = ["ScriptOutcome", "StopScript", "run_script", "script_site"]

Status = Literal["finished", "stopped", "exit", "error", "interrupted"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


class StopScript(BaseException):
    """Raised by an observer (from a hook) to stop the script it observes.

    A BaseException so that the script's own `except Exception:` lets it through; its `finally`
    blocks still run.
    """

    def __init__(self, reason: str = "stopped by an observer") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ScriptOutcome:
    """How a script run ended.

    status: "finished" (ran to its end, or `sys.exit(0)`/`sys.exit(None)`), "stopped" (an
    observer raised StopScript), "exit" (a non-zero `sys.exit`), "error" (the script raised),
    "interrupted" (KeyboardInterrupt).
    """

    path: Path
    argv: list[str]
    status: Status
    exit_code: int = 0
    exit_message: str | None = None  # the text of `sys.exit("message")`
    exception: BaseException | None = None  # the script's exception, or the KeyboardInterrupt
    traceback: str | None = None  # formatted, starting at the script's own frames
    stop_reason: str | None = None
    exit_site: str | None = None  # 'file:line' of the script's sys.exit (or parse_args) call
    listener_errors: list[BaseException] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The script finished or was stopped on purpose."""
        return self.status in ("finished", "stopped")

    @property
    def error_site(self) -> str | None:
        """'file:line' of the innermost frame of the user's code in the exception's traceback."""
        if self.exception is None:
            return None
        return script_site(self.exception.__traceback__, self.path)

    def describe(self) -> str:
        """One sentence: how the script ended."""
        name = self.path.name
        if self.status == "finished":
            return f"{name} ran to its end"
        if self.status == "stopped":
            return f"{name} was stopped: {self.stop_reason}"
        if self.status == "exit":
            message = f" ({self.exit_message})" if self.exit_message else ""
            where = f" at {self.exit_site}" if self.exit_site else ""
            return f"{name} called sys.exit({self.exit_code}){where}{message}"
        if self.status == "interrupted":
            return f"{name} was interrupted (Ctrl-C)"
        exc = self.exception
        site = self.error_site
        where = f" at {site}" if site else ""
        return f"{name} raised {type(exc).__name__}{where}: {exc}"

    def reraise(self) -> None:
        """Raise the script's exception (or KeyboardInterrupt) again; nothing when there is none."""
        if self.exception is not None:
            raise self.exception


def _is_user_file(filename: str) -> bool:
    return not (
        filename.startswith("<")
        or filename.startswith(_PACKAGE_DIR)
        or "/site-packages/" in filename
        or "/lib/python3" in filename
        or filename == runpy.__file__
    )


def script_site(tb: TracebackType | None, script: Path) -> str | None:
    """'file:line' of the innermost traceback frame in the script's folder (the script or its
    sibling modules), else the innermost frame outside the libraries, else None."""
    folder = str(script.resolve().parent)
    in_folder: str | None = None
    outside: str | None = None
    for frame, line in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if not _is_user_file(filename):
            continue
        site = f"{filename}:{line}"
        outside = site
        with contextlib.suppress(OSError, ValueError):
            if str(Path(filename).resolve()).startswith(folder):
                in_folder = site
    return in_folder or outside


def _format_from_script(exc: BaseException) -> str:
    """The traceback without the runner's and runpy's frames above the script."""
    tb = exc.__traceback__
    while tb is not None and not _is_user_file(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__))


@contextlib.contextmanager
def _script_environment(path: Path, argv: list[str]) -> Iterator[None]:
    saved_argv, saved_path, hard_exit = sys.argv[:], sys.path[:], os._exit
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(path.resolve().parent))
    os._exit = _exit_as_system_exit(hard_exit)  # type: ignore[assignment]  # same signature, a plain function
    try:
        yield
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        os._exit = hard_exit


def _exit_as_system_exit(hard_exit: Callable[[int], NoReturn]) -> Callable[[int], NoReturn]:
    """`os._exit(code)` in the script's own thread and process becomes `sys.exit(code)`, so the
    report is still written (then nndoctor exits with that code). Anywhere else (a thread, a
    forked DataLoader worker) it is the real one."""
    pid, main = os.getpid(), threading.main_thread()

    def _exit(code: int) -> NoReturn:
        if os.getpid() != pid or threading.current_thread() is not main:
            hard_exit(code)
        raise SystemExit(code)

    return _exit


def _exit_code(exc: SystemExit) -> tuple[int, str | None]:
    code = exc.code
    if code is None:
        return 0, None
    if isinstance(code, bool):
        return int(code), None
    if isinstance(code, int):
        return code, None
    return 1, str(code)


def run_script(
    path: str | Path,
    argv: list[str] | tuple[str, ...] = (),
    *,
    until: Listener | None = None,
    stdout_to_stderr: bool = False,
) -> ScriptOutcome:
    """Run `path` as `__main__` with `argv`, observed by `until` when given.

    until: a Listener installed (with every hook, see `nndoctor.observe.hooks.observing`) for the
        run and removed after it; it stops the script by raising `StopScript` from a hook.
        Callers that need the `Observation` wrap `run_script` in `observing(...)` themselves.
    stdout_to_stderr: send the script's `print` output to stderr (so that a JSON report on
        stdout stays clean).

    Never raises the script's exception: it is in the outcome (`reraise()`), with its traceback.
    """
    script = Path(path)
    args = [str(a) for a in argv]
    outcome = ScriptOutcome(path=script, argv=args, status="finished")
    observe: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if until is not None:
        from nndoctor.observe.hooks import observing

        observe = observing(until)
    redirect: contextlib.AbstractContextManager[object] = (
        contextlib.redirect_stdout(sys.stderr) if stdout_to_stderr else contextlib.nullcontext()
    )
    observation = None
    try:
        with redirect, _script_environment(script, args), observe as observation:
            runpy.run_path(str(script), run_name="__main__")
    except StopScript as stop:
        outcome.status, outcome.stop_reason = "stopped", stop.reason
    except SystemExit as exc:
        code, message = _exit_code(exc)
        outcome.exit_code, outcome.exit_message = code, message
        outcome.exit_site = script_site(exc.__traceback__, script)
        outcome.status = "finished" if code == 0 and message is None else "exit"
    except KeyboardInterrupt as exc:
        outcome.status, outcome.exception, outcome.exit_code = "interrupted", exc, 130
        outcome.traceback = _format_from_script(exc)
    except Exception as exc:  # noqa: BLE001 (kept in the outcome, re-raised by the caller)
        outcome.status, outcome.exception, outcome.exit_code = "error", exc, 1
        outcome.traceback = _format_from_script(exc)
    if observation is not None:
        outcome.listener_errors = list(getattr(observation, "errors", []))
    return outcome
