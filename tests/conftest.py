"""Shared test fixtures.

Every report the suite serializes is validated against the published JSON Schema (an autouse
session fixture wraps `Report.to_dict`, the one serialization path), so a check that puts
something non-JSON or malformed into its evidence fails the test that produced it.
The `ci_*` fixtures run a few real `nndoctor check` invocations once per session for the
report-format, gate and diff tests.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """One torch thread: the samples are tiny, and with two OpenMP threads on a busy 2-core
    machine the spin-waiting makes training steps orders of magnitude slower."""
    import torch

    torch.set_num_threads(1)
    # A suite started in the background of a non-interactive shell (`cmd &`, nohup, some CI
    # runners) inherits SIGINT ignored, and so would every CLI the tests start: the Ctrl-C tests
    # would send a signal nobody hears. Restore the default so children start with Python's own
    # KeyboardInterrupt handler, as they do from a terminal.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


SCHEMA_VALIDATED: list[str] = []  # targets of the reports validated so far (tests read it)


@pytest.fixture(autouse=True, scope="session")
def _every_report_matches_the_schema() -> Iterator[None]:
    from jsonschema import Draft202012Validator

    from nndoctor.report.model import Report

    schema = json.loads(resources.files("nndoctor.report").joinpath("schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    original = Report.to_dict

    def validated_to_dict(self: Report) -> dict:
        data = original(self)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path)
            raise AssertionError(f"report for {self.target} breaks schema.json at /{where}: {errors[0].message}")
        SCHEMA_VALIDATED.append(self.target)
        return data

    Report.to_dict = validated_to_dict  # type: ignore[method-assign]
    try:
        yield
    finally:
        Report.to_dict = original  # type: ignore[method-assign]


@dataclass
class CheckRun:
    """One `nndoctor check` invocation that wrote --json, --markdown and --junit side by side."""

    recipe: str
    exit_code: int
    stdout: str
    json: Path
    markdown: Path
    junit: Path
    fail_on: str


def cli_runner() -> CliRunner:
    # wide, colourless output so messages (and the file names in them) are not wrapped
    return CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"})


def run_check(recipe: str, out: Path, *extra: str, fail_on: str = "fail") -> CheckRun:
    from nndoctor.cli import app

    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / f"report.{kind}" for kind in ("json", "md", "xml")}
    args = [
        "check",
        str(REPO / recipe),
        "--profile",
        "quick",
        "--json",
        str(paths["json"]),
        "--markdown",
        str(paths["md"]),
        "--junit",
        str(paths["xml"]),
        "--fail-on",
        fail_on,
        *extra,
    ]
    result = cli_runner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    return CheckRun(recipe, result.exit_code, result.stdout, paths["json"], paths["md"], paths["xml"], fail_on)


@pytest.fixture(scope="session")
def ci_healthy(tmp_path_factory: pytest.TempPathFactory) -> CheckRun:
    """The healthy digits MLP (the baseline of a CI diff)."""
    return run_check("sample_models/healthy/digits_mlp.py", tmp_path_factory.mktemp("healthy"))


@pytest.fixture(scope="session")
def ci_healthy_again(tmp_path_factory: pytest.TempPathFactory) -> CheckRun:
    """A second run of the same healthy recipe: gate passes and diff finds nothing."""
    return run_check(
        "sample_models/healthy/digits_mlp.py", tmp_path_factory.mktemp("healthy-again"), "--format", "markdown"
    )


@pytest.fixture(scope="session")
def ci_broken(tmp_path_factory: pytest.TempPathFactory) -> CheckRun:
    """A deliberately broken change: every weight initialized to zero (ND202/ND203 fail)."""
    return run_check("sample_models/broken/zero_init.py", tmp_path_factory.mktemp("broken"))


@pytest.fixture(scope="session")
def ci_warned(tmp_path_factory: pytest.TempPathFactory) -> CheckRun:
    """A run with warnings, written with --fail-on warn (warnings become JUnit failures)."""
    return run_check(
        "sample_models/broken/unscaled_inputs.py", tmp_path_factory.mktemp("warned"), "--format", "json", fail_on="warn"
    )


@pytest.fixture
def report_copy(tmp_path: Path, ci_healthy: CheckRun) -> Path:
    """A writable copy of the healthy JSON report, to corrupt in malformed-file tests."""
    path = tmp_path / "report.json"
    shutil.copy(ci_healthy.json, path)
    return path
