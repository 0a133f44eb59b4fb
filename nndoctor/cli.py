"""The `nndoctor` command line: the Typer app and the registration of its commands.

Each command lives in its own module under `nndoctor.commands` (shared options, errors, progress
and output in `commands.common`); the work happens in the library. Torch is imported only inside
the commands that run experiments, so `--help`, `checks`, `explain`, `init`, `gate` and `diff`
start fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated

import typer

from nndoctor import threads
from nndoctor.commands import catalogue, check, diff, gate, init, lr_find, watch
from nndoctor.version import __version__

app = typer.Typer(
    name="nndoctor",
    help="Pre-flight checks for PyTorch training: point it at a model and data, get a report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
    add_completion=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"nndoctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Pre-flight checks for PyTorch training."""


for _command in (check, lr_find, catalogue, init, gate, diff, watch):
    _command.register(app)


def main() -> None:
    """The console script: run the app, then leave without the interpreter's slow teardown.

    Every report file is written and closed by the time a command returns; flushing stdout and
    stderr and calling `os._exit` skips tearing down torch's modules, which costs about half a
    second of every run. Before anything loads torch, the process gets nndoctor's thread policy
    (`nndoctor.threads`: a passive OpenMP wait policy, one thread for small models) unless the
    user set their own.
    """
    threads.prepare_process()
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (e.g. `| head`): nothing to add
            stream.flush()
    os._exit(code)
