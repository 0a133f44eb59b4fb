"""Exceptions that end a run with a clear message instead of a traceback, and the exit codes."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # nothing gated
    GATED = 1  # a finding (or policy violation) reached the gating outcome
    USAGE = 2  # bad option, unknown check id, a target or file that cannot be loaded
    INTERNAL = 3  # a bug in nndoctor itself
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), after the partial report was written


class NndoctorError(Exception):
    """Base class: the message is shown to the user as one paragraph, without a traceback."""

    exit_code = ExitCode.USAGE
    title = "nndoctor error"


class UsageError(NndoctorError):
    """A bad option or argument."""

    title = "Usage error"


class SettingsError(UsageError):
    """A profile, config or option value that does not fit its declaration."""

    title = "Bad setting"


class TargetError(NndoctorError):
    """The user's recipe, config or data could not be loaded or used."""

    title = "Cannot use the target"


class UserCodeExit(TargetError):
    """User code called sys.exit() (or raised SystemExit) while nndoctor was running it."""

    title = "The target exited"


class ReportFileError(NndoctorError):
    """A report or policy file that cannot be read."""

    title = "Cannot read file"


class Skip(BaseException):
    """Raised from a check or a probe when it does not apply; the message says why.

    A BaseException, as pytest's skip is, so that a broad `except Exception` in user code (a
    forward or a loss that wraps its body) cannot swallow it.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotJudged(BaseException):
    """An experiment was cut by the wall-clock safety cap before it finished.

    Its partial result is discarded, so a verdict never depends on how fast the machine was; the
    checks that needed it come out `not_judged`.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
