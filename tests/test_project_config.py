"""`[tool.nndoctor]` in pyproject.toml: found by walking up, checked, and used by `check` and `gate`.

CLI behaviour (which target runs, what stderr says, exit codes) is tested through the real command
in a subprocess, from inside a temporary project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nndoctor.errors import SettingsError
from nndoctor.project import find_pyproject, load_project, read_project
from nndoctor.report.json_render import render_json
from nndoctor.report.model import Finding, Outcome, Report

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = ROOT / "sample_models" / "healthy" / "digits_mlp.py"


def project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\n\n[tool.nndoctor]\n{table}\n', encoding="utf-8"
    )
    (tmp_path / "recipe.py").write_text(HEALTHY.read_text(encoding="utf-8"), encoding="utf-8")
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    return nested


def nndoctor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "nndoctor", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def flat(text: str) -> str:
    return " ".join(text.split())


# -- finding and reading ------------------------------------------------------------------------
def test_the_closest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    nested = project(tmp_path, 'profile = "quick"')
    (tmp_path / "src" / "pyproject.toml").write_text('[project]\nname = "inner"\n', encoding="utf-8")  # no table
    assert find_pyproject(nested) == tmp_path / "pyproject.toml"
    (tmp_path / "src" / "pyproject.toml").write_text('[tool.nndoctor]\nprofile = "full"\n', encoding="utf-8")
    assert find_pyproject(nested) == tmp_path / "src" / "pyproject.toml"
    found = load_project(nested)
    assert found is not None and found.settings == {"profile": "full"}


def test_keys_paths_and_the_settings_layer(tmp_path: Path) -> None:
    project(
        tmp_path, 'target = "recipe.py:x"\nprofile = "quick"\nmax-batches = 4\nselect = "ND2,ND3"\npolicy = "strict"'
    )
    (tmp_path / "team.yaml").write_text("{}\n", encoding="utf-8")
    found = read_project(tmp_path / "pyproject.toml")
    assert found is not None
    assert found.target == f"{tmp_path / 'recipe.py'}:x"
    assert found.policy == "strict"  # a shipped name stays a name
    assert found.settings == {"profile": "quick", "max_batches": 4, "select": "ND2,ND3"}
    layer = found.layer()
    assert layer.name == "project" and "[tool.nndoctor] in" in layer.where
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nndoctor]\npolicy = "team.yaml"\nprofile = "p/x.yaml"\n', encoding="utf-8"
    )
    again = read_project(tmp_path / "pyproject.toml")
    assert again is not None and again.policy == str(tmp_path / "team.yaml")
    assert again.settings["profile"] == str(tmp_path / "p" / "x.yaml")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'prfile = "quick"',
            "sets `prfile`, which nndoctor does not know (did you mean profile?). Known keys: profile,",
        ),
        ("target = 3", "`target` is 3; it must be a non-empty string"),
        ('profile = "quick"\nprofile = "full"', "is not valid TOML"),
    ],
)
def test_mistakes_are_named_with_the_file(tmp_path: Path, table: str, expected: str) -> None:
    project(tmp_path, table)
    with pytest.raises(SettingsError) as error:
        read_project(tmp_path / "pyproject.toml")
    assert expected in flat(str(error.value)) and str(tmp_path / "pyproject.toml") in str(error.value)


# -- nndoctor check -----------------------------------------------------------------------------
def test_check_without_a_target_uses_the_projects_and_says_so(tmp_path: Path) -> None:
    nested = project(tmp_path, 'target = "recipe.py"\nprofile = "quick"\nselect = ["ND2"]\nignore = ["ND204"]')
    done = nndoctor("check", "--format", "json", cwd=nested)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["target"] == str(tmp_path / "recipe.py")
    assert [f["id"] for f in report["findings"]] == ["ND201", "ND202", "ND203"]
    sources = report["settings"]["sources"]
    assert sources["profile"] == "project" and sources["select"] == "project"
    assert f"checking {tmp_path / 'recipe.py'}, the target in [tool.nndoctor] in {tmp_path / 'pyproject.toml'}" in flat(
        done.stderr
    )


def test_the_command_line_wins_over_the_project_and_isolated_ignores_it(tmp_path: Path) -> None:
    nested = project(tmp_path, 'target = "recipe.py"\nprofile = "quick"\nselect = ["ND2"]')
    done = nndoctor("check", "--select", "ND201", "--format", "json", cwd=nested)
    assert done.returncode == 0, done.stderr
    assert [f["id"] for f in json.loads(done.stdout)["findings"]] == ["ND201"]
    isolated = nndoctor(
        "check", "--isolated", "--profile", "quick", "--select", "ND201", "--format", "json", cwd=nested
    )
    assert isolated.returncode == 0, isolated.stderr
    assert json.loads(isolated.stdout)["target"].startswith("sample: digits MLP")
    assert "no target given, so checking the bundled sample" in flat(isolated.stderr)


def test_a_broken_pyproject_is_a_usage_error(tmp_path: Path) -> None:
    nested = project(tmp_path, 'target = "recipe.py"\nselect = [ND2]')
    done = nndoctor("check", "--profile", "quick", cwd=nested)
    assert done.returncode == 2
    assert "is not valid TOML" in flat(done.stderr) and "pyproject.toml" in flat(done.stderr)
    assert done.stdout == ""


# -- nndoctor gate ------------------------------------------------------------------------------
def warned_report(path: Path) -> Path:
    finding = Finding("ND301", "vanishing-or-exploding-gradients", "t", Outcome.WARN, "vanishing")
    path.write_text(render_json(Report(target="t.py", findings=[finding])), encoding="utf-8")
    return path


def test_gate_uses_the_projects_policy(tmp_path: Path) -> None:
    nested = project(tmp_path, 'policy = "strict"')
    report = warned_report(tmp_path / "r.json")
    strict: Any = nndoctor("gate", str(report), cwd=nested)
    assert strict.returncode == 1, strict.stdout + strict.stderr  # strict: warnings violate
    assert "gating with the policy strict, from [tool.nndoctor]" in flat(strict.stderr)
    assert nndoctor("gate", str(report), "--isolated", cwd=nested).returncode == 0  # default: only fail/error
    assert nndoctor("gate", str(report), "--policy", "default", cwd=nested).returncode == 0
