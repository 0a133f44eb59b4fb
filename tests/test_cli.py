"""The `nndoctor` command end to end: start-up cost, catalogue, explain, init, check options."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from nndoctor.cli import app
from nndoctor.registry import load_registry

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "sample_models" / "broken"
SCHEMA = ROOT / "nndoctor" / "report" / "schema.json"


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200", "NO_COLOR": "1"})


def strict_json(text: str) -> Any:
    """json.loads that rejects NaN/Infinity, which strict JSON consumers cannot read."""

    def reject(constant: str) -> None:
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=reject)


def nndoctor_command() -> list[str]:
    script = Path(sys.executable).with_name("nndoctor")
    if script.exists():
        return [str(script)]
    found = shutil.which("nndoctor")
    return [found] if found else [sys.executable, "-m", "nndoctor"]


# -- start-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["explain", "--help"]])
def test_help_does_not_import_torch(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from nndoctor.cli import app\n"
        "try:\n"
        f"    app({argv!r})\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "heavy = sorted(m for m in ('torch', 'pandas', 'sklearn') if m in sys.modules)\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "HEAVY:\n" in result.stdout, result.stdout[-500:]


def test_help_runs_as_a_command() -> None:
    result = subprocess.run([*nndoctor_command(), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for command in ("check", "checks", "explain", "init"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["check", "gate", "lr-find"])
def test_help_keeps_bracketed_text_rich_would_read_as_markup(command: str) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [*nndoctor_command(), command, "--help"], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "[tool.nndoctor]" in result.stdout
    assert "in  of" not in result.stdout and "Ignore  in" not in result.stdout and "in  (" not in result.stdout


# -- catalogue and explain ---------------------------------------------------------------------


def test_checks_lists_every_registered_id() -> None:
    result = invoke("checks")
    assert result.exit_code == 0, result.output
    ids = set(load_registry().checks)
    assert {"ND101", "ND106", "ND201", "ND204", "ND301", "ND304"} <= ids
    listed = set(re.findall(r"\bND\d{3}\b", result.stdout))
    assert listed == ids


def test_checks_json() -> None:
    result = invoke("checks", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = strict_json(result.stdout)
    assert [row["id"] for row in rows] == sorted(load_registry().checks)
    nd201 = next(row for row in rows if row["id"] == "ND201")
    assert nd201["name"] == "implausible-initial-loss"
    assert nd201["thresholds"] and all(isinstance(v, (int, float)) for v in nd201["thresholds"].values())


def test_explain_by_id() -> None:
    result = invoke("explain", "ND201")
    assert result.exit_code == 0, result.output
    for section in ("What it checks", "Why it matters", "Evidence", "How to fix", "Thresholds"):
        assert section in result.stdout
    for name, value in load_registry().checks["ND201"].thresholds.items():
        assert name in result.stdout
        assert f"{value:g}" in result.stdout


def test_explain_by_name_matches_by_id() -> None:
    by_name = invoke("explain", "implausible-initial-loss")
    assert by_name.exit_code == 0, by_name.output
    assert by_name.stdout == invoke("explain", "nd201").stdout


# -- init --------------------------------------------------------------------------------------


def test_init_template_runs(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.py"
    result = invoke("init", recipe)
    assert result.exit_code == 0, result.output
    assert "build_model" in recipe.read_text(encoding="utf-8")
    assert str(recipe) in result.stdout
    checked = invoke("check", recipe, "--profile", "quick", "--format", "json")
    assert checked.exit_code == 0, checked.output
    report = strict_json(checked.stdout)
    assert report["summary"]["counts"]["error"] == 0
    assert report["summary"]["counts"]["fail"] == 0


def test_init_force_overwrites(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.py"
    recipe.write_text("old\n", encoding="utf-8")
    assert invoke("init", recipe, "--force").exit_code == 0
    assert "def build_data" in recipe.read_text(encoding="utf-8")


# -- check on the bundled sample ---------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """One quick run of the bundled sample, printed as JSON and written with --json."""
    path = tmp_path_factory.mktemp("report") / "report.json"
    result = invoke("check", "--profile", "quick", "--format", "json", "--json", path)
    assert result.exit_code == 0, result.output
    return result, path


def test_check_bundled_sample_rich() -> None:
    result = invoke("check", "--profile", "quick")
    assert result.exit_code == 0, result.output
    assert "digits" in result.stdout
    footer = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", footer), footer
    assert "failed" not in footer


def test_check_json_is_strict_and_versioned(quick_json: tuple[Any, Path]) -> None:
    result, _ = quick_json
    report = strict_json(result.stdout)
    assert report["schema_version"] == 1
    assert report["profile"] == "quick"
    assert {f["id"] for f in report["findings"]} == {
        c for c in load_registry().checks if c[:3] in {"ND1", "ND2", "ND3"}
    }
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_json_file_is_what_stdout_shows(quick_json: tuple[Any, Path]) -> None:
    result, path = quick_json
    assert path.read_text(encoding="utf-8") == result.stdout


def test_select_prefix_and_ignore() -> None:
    result = invoke("check", "--profile", "quick", "--select", "ND2", "--ignore", "ND204", "--format", "json")
    assert result.exit_code == 0, result.output
    ids = [f["id"] for f in strict_json(result.stdout)["findings"]]
    assert ids == ["ND201", "ND202", "ND203"]


def test_fail_on_warn_gates_a_warning() -> None:
    sample = BROKEN / "unscaled_inputs.py"
    default = invoke("check", sample, "--select", "ND101", "--format", "json")
    assert default.exit_code == 0, default.output
    assert strict_json(default.stdout)["findings"][0]["outcome"] == "warn"
    gated = invoke("check", sample, "--select", "ND101", "--fail-on", "warn", "--quiet")
    assert gated.exit_code == 1, gated.output


def test_exit_zero_on_a_failing_sample() -> None:
    sample = BROKEN / "zero_init.py"
    failing = invoke("check", sample, "--select", "ND202", "--quiet")
    assert failing.exit_code == 1, failing.output
    assert "failed" in failing.stdout
    forgiven = invoke("check", sample, "--select", "ND202", "--exit-zero", "--quiet")
    assert forgiven.exit_code == 0, forgiven.output
    assert "failed" in forgiven.stdout
