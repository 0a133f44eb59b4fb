"""The CI conventions in the repository: the pre-commit hooks (run by pre-commit itself) and the
composite GitHub Action (its scripts run as the runner would run them)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = ROOT / "sample_models" / "healthy" / "digits_mlp.py"
BROKEN = ROOT / "sample_models" / "broken" / "zero_init.py"  # ND202 fails without training


def user_project(folder: Path, recipe: Path) -> Path:
    """A git repository with a recipe and a pyproject.toml that names it."""
    folder.mkdir()
    shutil.copy(recipe, folder / "recipe.py")
    (folder / "pyproject.toml").write_text('[tool.nndoctor]\ntarget = "recipe.py"\n', encoding="utf-8")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    subprocess.run([*git, "add", "."], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "recipe"], cwd=folder, check=True)
    return folder


def environment(tmp_path: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)  # where this venv's nndoctor and pre-commit live
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "OMP_NUM_THREADS": "1",
        "NO_COLOR": "1",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }


# -- pre-commit ---------------------------------------------------------------------------------
def test_the_hooks_manifest_is_valid_for_pre_commit() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = {hook["id"]: hook for hook in clientlib.load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == {"nndoctor", "nndoctor-full"}
    # the project's own environment (pre-commit 4.4+ reads `system` as its new name, `unsupported`)
    assert hooks["nndoctor"]["language"] in ("system", "unsupported")
    assert hooks["nndoctor"]["pass_filenames"] is False
    assert "--profile quick" in hooks["nndoctor"]["entry"]


@pytest.mark.parametrize(("recipe", "verdict"), [(HEALTHY, "Passed"), (BROKEN, "Failed")])
def test_pre_commit_runs_the_hook_on_a_project(tmp_path: Path, recipe: Path, verdict: str) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of nndoctor")
    pytest.importorskip("pre_commit")
    project = user_project(tmp_path / "project", recipe)
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "nndoctor", "--all-files"],
        cwd=project,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert re.search(rf"nndoctor quick pre-flight check\.+{verdict}", done.stdout), done.stdout + done.stderr
    assert done.returncode == (0 if verdict == "Passed" else 1)
    if verdict == "Failed":
        assert "ND202" in done.stdout and "bad-weight-init" in done.stdout


# -- the composite action -----------------------------------------------------------------------
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}")


def test_the_action_is_composite_and_keeps_inputs_out_of_its_scripts() -> None:
    assert ACTION["runs"]["using"] == "composite"
    steps = ACTION["runs"]["steps"]
    assert [s.get("uses", "").split("@")[0] for s in steps if "uses" in s] == ["actions/upload-artifact"]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], f"{step['name']}: inputs must reach the script through env"
            for value in step.get("env", {}).values():
                assert EXPRESSION.fullmatch(value), value
    assert set(ACTION["inputs"]) >= {"target", "profile", "policy", "args", "install", "report-dir"}
    assert ACTION["outputs"]["report"]["value"] == "${{ steps.check.outputs.report }}"


def run_action(tmp_path: Path, workspace: Path, inputs: dict[str, str]) -> tuple[list[int], dict[str, Any]]:
    """Run the action's bash steps in order as the runner does (env from the inputs, the step
    summary and output files provided); the `uses:` step (the upload) is GitHub's own."""
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()} | inputs
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    base = environment(tmp_path) | {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
    codes: list[int] = []
    logs: list[str] = []
    for step in ACTION["runs"]["steps"]:
        if "run" not in step:
            continue
        env = base | {k: EXPRESSION.sub(lambda m: values[m.group(1)], v) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=workspace, env=env, capture_output=True, text=True, timeout=600
        )
        codes.append(done.returncode)
        logs.append(done.stdout + done.stderr)
        if done.returncode and step.get("id") == "check":
            break
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines()) if outputs.exists() else {}
    return codes, {"summary": summary.read_text() if summary.exists() else "", "outputs": found, "logs": logs}


def test_the_action_checks_annotates_summarizes_and_gates(tmp_path: Path) -> None:
    workspace = user_project(tmp_path / "repo", BROKEN)
    # install "" : nndoctor is installed already (this venv); the broken recipe fails ND202
    codes, result = run_action(tmp_path, workspace, {"install": "", "profile": "quick", "args": "--select ND2"})
    assert codes == [0, 0, 1], result["logs"]  # install, check (--exit-zero), gate: the gate fails the job
    check_log = result["logs"][1]
    assert re.search(r"^::error file=recipe\.py,line=\d+,title=ND202 bad-weight-init::", check_log, re.M), check_log
    folder = workspace / "nndoctor-report"
    assert {p.name for p in folder.iterdir()} >= {
        "nndoctor.json",
        "nndoctor.md",
        "nndoctor.xml",
        "nndoctor.html",
        "plots",
    }
    assert result["outputs"] == {"report": "nndoctor-report/nndoctor.json", "worst": "fail"}
    summary = result["summary"]
    assert summary.startswith("## nndoctor: ❌") and "**Diagnosis: training will not work as configured**" in summary
    assert "gate" in summary.lower() and "ND202" in summary
    assert json.loads((folder / "nndoctor.json").read_text())["target"].endswith("recipe.py")


def test_the_action_passes_a_healthy_project(tmp_path: Path) -> None:
    workspace = user_project(tmp_path / "repo", HEALTHY)
    codes, result = run_action(tmp_path, workspace, {"install": "", "profile": "quick", "args": "--select ND2"})
    assert codes == [0, 0, 0], result["logs"]
    assert result["outputs"]["worst"] == "pass"
    assert not [line for line in result["logs"][1].splitlines() if line.startswith("::")]  # nothing to annotate
