"""Exceptions that end a run with a clear message instead of a traceback, and the exit codes."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # nothing gated
    GATED = 1  # a finding (or policy violation) reached the gating outcome
    USAGE = 2  # bad option, unknown check id, a target or file that cannot be loaded
    INTERNAL = 3  # a bug in nndoctor itself


class NndoctorError(Exception):
    """Base class: the message is shown to the user as one paragraph, without a traceback."""

    exit_code = ExitCode.USAGE
    title = "nndoctor error"


class UsageError(NndoctorError):
    """A bad option or argument."""

    title = "Usage error"


class TargetError(NndoctorError):
    """The user's recipe, config or data could not be loaded or used."""

    title = "Cannot use the target"


class ReportFileError(NndoctorError):
    """A report or policy file that cannot be read."""

    title = "Cannot read file"


class Skip(Exception):
    """Raised from a check or a probe when it does not apply; the message says why."""
