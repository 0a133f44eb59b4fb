"""`nndoctor gate`: policies, their loader, evaluation, the command, and the CI recipes in docs/ci.md."""

from __future__ import annotations

import datetime
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
from conftest import REPO, CheckRun, cli_runner

from nndoctor.cli import app
from nndoctor.errors import ReportFileError
from nndoctor.gate import (
    Policy,
    evaluate,
    load_policy,
    policy_from_data,
    shipped_policies,
)
from nndoctor.report.io import load_report
from nndoctor.report.model import Finding, Outcome, Report

TODAY = datetime.date(2025, 6, 1)


def flat(text: str) -> str:
    """Output without Rich box characters and line wrapping, for substring checks."""
    return " ".join(re.sub(r"[│╭╮╰╯─┃━╇┏┓┗┛]", " ", text).split())


def gate(*args: str) -> Any:
    return cli_runner().invoke(app, ["gate", *args])


def report(*findings: tuple[str, str, dict[str, Any]], interrupted: bool = False) -> Report:
    return Report(
        target="recipe.py",
        interrupted=interrupted,
        findings=[
            Finding(cid, f"check-{cid.lower()}", "", Outcome(o), f"{cid} says {o}", ev) for cid, o, ev in findings
        ],
    )


def policy(text: str) -> Policy:
    return policy_from_data(yaml.safe_load(text), "p.yaml")


def reasons(result: Any) -> list[str]:
    return [f"{v.check_id}:{v.rule}" for v in result.violations]


# ------------------------------------------------------------------------------------ the command


def test_gate_passes_a_healthy_report_and_fails_a_broken_change(ci_healthy: CheckRun, ci_broken: CheckRun) -> None:
    ok = gate(str(ci_healthy.json))
    assert ok.exit_code == 0, ok.output
    assert "gate passed" in ok.stdout

    bad = gate(str(ci_broken.json))
    assert bad.exit_code == 1
    out = flat(bad.stdout)
    assert "ND202 bad-weight-init" in out and "ND203 unstable-activations" in out
    assert "gate failed: 2 violations" in out


def test_two_runs_of_the_same_healthy_recipe_pass_the_strict_policy(
    ci_healthy: CheckRun, ci_healthy_again: CheckRun
) -> None:
    for run in (ci_healthy, ci_healthy_again):
        result = gate(str(run.json), "--policy", "strict")
        assert result.exit_code == 0, result.output


def test_shipped_policies_by_name_and_by_path(ci_broken: CheckRun, ci_warned: CheckRun) -> None:
    assert set(shipped_policies()) >= {"default", "strict", "example"}
    by_name = gate(str(ci_warned.json), "--policy", "strict")
    by_path = gate(str(ci_warned.json), "--policy", str(REPO / "checks/policies/strict.yaml"))
    default = gate(str(ci_warned.json))
    assert by_name.exit_code == by_path.exit_code == 1  # strict gates the warnings
    assert default.exit_code == 0  # the default policy does not
    assert "ND101 unnormalized-inputs" in flat(by_name.stdout)
    md = gate(str(ci_broken.json), "--format", "markdown")
    assert md.exit_code == 1
    assert md.stdout.startswith("## nndoctor ❌ gate failed: 2 violations")
    assert "| ND202 bad-weight-init | fail | outcome |" in md.stdout


def test_the_default_policy_file_is_the_built_in_default() -> None:
    shipped, builtin = load_policy("default"), load_policy(None)
    assert shipped.fail_on == builtin.fail_on == {Outcome.FAIL, Outcome.ERROR}
    assert (shipped.checks, shipped.require, shipped.allow, shipped.require_checks) == ({}, [], [], [])
    assert shipped.allow_interrupted is builtin.allow_interrupted is False


def test_every_shipped_policy_loads_and_example_extends_strict() -> None:
    for name in shipped_policies():
        load_policy(name)
    strict, example = load_policy("strict"), load_policy("example")
    assert strict.fail_on == {Outcome.WARN, Outcome.FAIL, Outcome.ERROR}
    assert example.require[: len(strict.require)] == strict.require  # lists add up
    assert example.fail_on_for("ND105") == frozenset()
    assert {a.check for a in example.allow} == {"ND104", "ND101"}


# ------------------------------------------------------------------------------------ evaluation


def test_outcome_rules_global_shorthand_and_per_check() -> None:
    r = report(("ND101", "warn", {}), ("ND202", "fail", {}), ("ND105", "skip", {}), ("ND204", "error", {}))
    assert reasons(evaluate(r, Policy())) == ["ND202:outcome", "ND204:outcome"]
    assert reasons(evaluate(r, policy("fail_on: warn"))) == ["ND101:outcome", "ND202:outcome", "ND204:outcome"]
    assert len(evaluate(r, policy("fail_on: skip")).violations) == 4
    assert reasons(evaluate(r, policy("fail_on: [error]"))) == ["ND204:outcome"]
    per_check = policy("checks: {ND202: {fail_on: []}, nd101: {fail_on: [warn]}}")
    assert reasons(evaluate(r, per_check)) == ["ND101:outcome", "ND204:outcome"]


def test_evidence_thresholds() -> None:
    r = report(
        ("ND201", "pass", {"ratio": 1.4, "nested": {"values": [1, 2, "inf"]}}),
        ("ND303", "skip", {}),
        ("ND202", "pass", {"ratio": "nan", "flag": True}),
    )
    ok = policy("require: [{check: ND201, evidence: ratio, max: 1.5}, {check: ND201, evidence: ratio, min: 0.5}]")
    assert evaluate(r, ok).passed
    over = evaluate(r, policy("require: [{check: ND201, evidence: ratio, max: 1.25}]"))
    assert over.violations[0].reason == "ND201 ratio = 1.4, above the policy maximum 1.25 (`ND201 ratio <= 1.25`)"
    under = evaluate(r, policy("require: [{check: ND201, evidence: nested.values.1, min: 3}]"))
    assert "ND201 nested.values.1 = 2, below the policy minimum 3" in under.violations[0].reason
    infinite = evaluate(r, policy("require: [{check: ND201, evidence: nested.values.2, max: 10}]"))
    assert "= inf, above" in infinite.violations[0].reason
    nan = evaluate(r, policy("require: [{check: ND202, evidence: ratio, max: 10}]"))
    assert "is 'nan', not a number" in nan.violations[0].reason
    boolean = evaluate(r, policy("require: [{check: ND202, evidence: flag, max: 10}]"))
    assert "not a number" in boolean.violations[0].reason
    # a number the gate cannot see is a violation unless the policy says `missing: ignore`
    for text, expected in (
        ("{check: ND303, evidence: median_ratio, max: 0.1}", "ND303 did not run (skip: ND303 says skip)"),
        ("{check: ND301, evidence: ratio, max: 1}", "ND301 is not in the report"),
        ("{check: ND201, evidence: ratoi, max: 1}", "ND201 has no evidence 'ratoi'"),
    ):
        result = evaluate(r, policy(f"require: [{text}]"))
        assert expected in result.violations[0].reason
        ignored = evaluate(r, policy(f"require: [{text[:-1]}, missing: ignore}}]"))
        assert ignored.passed


def test_required_checks() -> None:
    r = report(("ND201", "pass", {}), ("ND301", "skip", {}), ("ND204", "error", {}))
    result = evaluate(r, policy("require_checks: [ND201, ND301, ND302, ND204]"))
    assert reasons(result) == ["ND204:outcome", "ND301:require_checks", "ND302:require_checks"]
    assert "ND302 is required but is not in the report" in result.violations[2].reason
    lenient = evaluate(r, policy("fail_on: []\nrequire_checks: [ND204]"))
    assert reasons(lenient) == ["ND204:require_checks"]  # an errored check did not run either


def test_allowed_exceptions() -> None:
    r = report(("ND104", "warn", {}), ("ND202", "fail", {}), ("ND101", "pass", {}))
    strict = "fail_on: warn\n"
    result = evaluate(r, policy(strict + "allow: [{check: ND104, reason: sigmoid head is intended}]"), TODAY)
    assert reasons(result) == ["ND202:outcome"]
    assert [(e.violation.check_id, e.allowance.reason) for e in result.exceptions] == [
        ("ND104", "sigmoid head is intended")
    ]
    narrowed = evaluate(r, policy(strict + "allow: [{check: ND202, reason: known, outcomes: [warn]}]"), TODAY)
    assert "ND202:outcome" in reasons(narrowed)
    assert "does not cover its outcome fail (it covers warn)" in narrowed.notes[0]
    expired = evaluate(r, policy(strict + "allow: [{check: ND104, reason: r, expires: 2025-01-31}]"), TODAY)
    assert "ND104:outcome" in reasons(expired)
    assert "expired on 2025-01-31" in expired.notes[0]
    unused = evaluate(r, policy(strict + "allow: [{check: ND101, reason: r}, {check: ND202, reason: r2}]"), TODAY)
    assert reasons(unused) == ["ND104:outcome"]
    assert unused.notes == ["the exception for ND101 was not needed (ND101: pass); remove it?"]
    threshold = evaluate(
        r, policy("require: [{check: ND101, evidence: x, max: 1}]\nallow: [{check: ND101, reason: r}]"), TODAY
    )
    assert reasons(threshold) == ["ND202:outcome"]  # the ND101 threshold violation is excused
    assert [(e.violation.check_id, e.violation.rule) for e in threshold.exceptions] == [("ND101", "require")]


def test_interrupted_reports_violate_unless_allowed() -> None:
    r = report(("ND101", "pass", {}), interrupted=True)
    assert reasons(evaluate(r, Policy())) == ["None:interrupted"]
    assert evaluate(r, policy("allow_interrupted: true")).passed


def test_gate_cli_shows_exceptions_and_notes(tmp_path: Path, ci_broken: CheckRun) -> None:
    policy_file = tmp_path / "team.yaml"
    policy_file.write_text(
        "extends: default\n"
        "allow:\n"
        "  - {check: ND202, reason: zero init is the experiment}\n"
        "  - {check: ND203, reason: follows from ND202}\n"
        "  - {check: ND101, reason: stale}\n",
        encoding="utf-8",
    )
    result = gate(str(ci_broken.json), "--policy", str(policy_file))
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "allowed by exception" in out and "zero init is the experiment" in out
    assert "the exception for ND101 was not needed" in out
    count = len(load_report(ci_broken.json).findings)
    assert f"gate passed: {count} findings meet the policy; 2 allowed by exception" in out


# ------------------------------------------------------------------------------- malformed files


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("fail_on: [fail\n", "is not valid YAML"),
        ("- fail\n", "must be a YAML mapping"),
        ("fail_on: [fail]\nfial_on: [warn]\n", "unknown key 'fial_on'; known keys: description, extends"),
        (
            "fail_on: [pass]\n",
            "contains 'pass'; outcomes are skip, not_judged, warn, fail, error (pass can never violate)",
        ),
        ("fail_on: warning\n", "`fail_on` is 'warning'; use one of skip, not_judged, warn, fail, error"),
        ("checks: {ND2: {fail_on: []}}\n", "`checks.ND2` is 'ND2', not a check id such as ND201"),
        ("checks: {ND201: {fail_in: []}}\n", "`checks.ND201` unknown key 'fail_in'; known keys: fail_on"),
        ("require: [{check: ND201, evidence: ratio, maximum: 1}]\n", "`require[0]` unknown key 'maximum'"),
        ("require: [{check: ND201, evidence: ratio}]\n", "`require[0]` needs `min`, `max` or both"),
        ("require: [{check: ND201, evidence: ratio, max: high}]\n", "`require[0].max` must be a number"),
        ("require: [{check: ND201, evidence: ratio, min: 2, max: 1}]\n", "has min 2 above max 1"),
        ("require: {check: ND201}\n", "`require` must be a list"),
        ("allow: [{check: ND104}]\n", "`allow[0]` (ND104) needs a `reason`"),
        ("allow: [{check: ND104, reason: '  '}]\n", "needs a `reason`"),
        ("allow: [{check: ND104, reason: r, expires: soon}]\n", "`allow[0].expires` must be a date"),
        ("allow_interrupted: maybe\n", "`allow_interrupted` must be true or false"),
        ("extends: nonexistent-policy\n", "The policy nonexistent-policy does not exist"),
    ],
)
def test_malformed_policies_exit_2_naming_the_file_and_the_problem(
    tmp_path: Path, ci_healthy: CheckRun, content: str, expected: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(content, encoding="utf-8")
    result = gate(str(ci_healthy.json), "--policy", str(path))
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert str(path) in message or "nonexistent" in content
    assert expected in message
    assert "Traceback" not in result.output


def test_policy_cycles_and_missing_policies(tmp_path: Path, ci_healthy: CheckRun) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ReportFileError, match="extends itself"):
        load_policy(tmp_path / "a.yaml")
    missing = gate(str(ci_healthy.json), "--policy", "stirct")
    assert missing.exit_code == 2
    assert "The policy stirct does not exist" in flat(missing.stderr) and "strict" in flat(missing.stderr)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("this is not json", "is not JSON (line 1, column 1"),
        (
            '{"schema_version": 3, "target": "x", "findings": []}',
            "has schema_version 3; this nndoctor reads schema_version 1",
        ),
        ('{"target": "x", "findings": []}', "has no schema_version"),
        ("", "is empty"),
    ],
)
def test_malformed_reports_exit_2_naming_the_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "nndoctor.json"
    path.write_text(content, encoding="utf-8")
    result = gate(str(path))
    assert result.exit_code == 2
    message = flat(result.stderr)
    assert str(path) in message and expected in message


def test_report_missing_a_field_exits_2(report_copy: Path) -> None:
    data = json.loads(report_copy.read_text(encoding="utf-8"))
    del data["summary"]
    report_copy.write_text(json.dumps(data), encoding="utf-8")
    result = gate(str(report_copy), "--policy", "strict")
    assert result.exit_code == 2
    assert f"The report {report_copy} is malformed: the top level lacks the required field 'summary'" in flat(
        result.stderr
    )


def test_ci_commands_never_import_torch() -> None:
    code = (
        "import nndoctor.commands.gate, nndoctor.commands.diff, nndoctor.gate, nndoctor.diff, nndoctor.report.io, "
        "nndoctor.report.markdown, nndoctor.report.junit; import sys; assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_gate_and_diff_run_without_importing_torch(ci_healthy: CheckRun, ci_broken: CheckRun) -> None:
    code = (
        "import sys\n"
        "from nndoctor.cli import app\n"
        "for args in (['gate', sys.argv[1], '--policy', 'strict'], ['diff', sys.argv[1], sys.argv[2]]):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as exit:\n"
        "        print('exit', exit.code)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(ci_healthy.json), str(ci_broken.json)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("exit") == 2 and "exit 0" in result.stdout and "exit 1" in result.stdout


# ------------------------------------------------------------------------- docs/ci.md, executed


def _doc_blocks(language: str) -> list[str]:
    text = (REPO / "docs/ci.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _ci_sandbox(tmp_path: Path, recipe: str, baseline: Path) -> tuple[Path, dict[str, str]]:
    """A repository checkout with `nndoctor_recipe.py`, and stand-ins for pip and gh on PATH.

    The `nndoctor` on PATH is the real one; for speed it appends `--profile quick` to `check`
    (the last --profile wins), so every other option in the docs runs exactly as written.
    """
    work, bin_dir = tmp_path / "repo", tmp_path / "bin"
    work.mkdir()
    bin_dir.mkdir()
    shutil.copy(REPO / recipe, work / "nndoctor_recipe.py")
    real = shutil.which("nndoctor", path=str(Path(sys.executable).parent)) or "nndoctor"
    scripts = {
        "nndoctor": f'if [ "$1" = check ]; then exec "{real}" "$@" --profile quick; fi\nexec "{real}" "$@"\n',
        "pip": 'echo "pip $*" >> "$CI_LOG"\n',
        # gh: the last successful run on main is 42 and its artifact is the baseline report
        "gh": (
            'echo "gh $*" >> "$CI_LOG"\n'
            'if [ "$1 $2" = "run list" ]; then echo 42; exit 0; fi\n'
            'if [ "$1 $2 $3" = "run download 42" ]; then\n'
            '  while [ $# -gt 0 ]; do if [ "$1" = --dir ]; then dir=$2; fi; shift; done\n'
            f'  mkdir -p "$dir" && cp "{baseline}" "$dir/nndoctor.json"; exit 0\n'
            "fi\nexit 1\n"
        ),
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/usr/bin/env bash\n" + body, encoding="utf-8")
        path.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CI_LOG": str(tmp_path / "ci.log"),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    return work, env


def test_docs_github_actions_job_runs_as_written(tmp_path: Path, ci_healthy: CheckRun) -> None:
    from nndoctor.profiles import load_profile
    from nndoctor.registry import load_registry

    workflow = yaml.safe_load(_doc_blocks("yaml")[0])
    steps = workflow["jobs"]["nndoctor"]["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/upload-artifact"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "nndoctor-report"
    load_profile("ci", load_registry())  # the profile the job names exists

    # a pull request whose recipe is unchanged from main: the job must stay green
    baseline = tmp_path / "main-nndoctor.json"  # what the job wrote on main: same recipe path
    data = json.loads(ci_healthy.json.read_text(encoding="utf-8"))
    baseline.write_text(json.dumps({**data, "target": "nndoctor_recipe.py"}), encoding="utf-8")
    work, env = _ci_sandbox(tmp_path, "sample_models/healthy/digits_mlp.py", baseline)
    summary = tmp_path / "summary.md"
    env.update(
        GITHUB_STEP_SUMMARY=str(summary), GITHUB_REPOSITORY="team/model", GITHUB_EVENT_NAME="pull_request", GH_TOKEN="t"
    )
    for step in steps:
        if "run" not in step:
            continue
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"step {step['name']!r}: {result.stdout}{result.stderr}"
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## nndoctor: ")  # the check's report
    assert "## nndoctor diff: ✅ no differences" in text
    assert "## nndoctor ✅ gate passed" in text
    assert json.loads((work / "nndoctor.json").read_text(encoding="utf-8"))["schema_version"] == 1
    assert load_report(work / "nndoctor.json").finding("ND201") is not None
    assert "<testsuites" in (work / "nndoctor.xml").read_text(encoding="utf-8")
    log = (tmp_path / "ci.log").read_text(encoding="utf-8")
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in log
    assert "gh run download 42" in log


def test_docs_shell_script_fails_a_broken_change(tmp_path: Path, ci_healthy: CheckRun) -> None:
    (script,) = _doc_blocks("bash")
    work, env = _ci_sandbox(tmp_path, "sample_models/broken/zero_init.py", ci_healthy.json)
    (work / "baseline").mkdir()
    shutil.copy(ci_healthy.json, work / "baseline" / "nndoctor.json")
    (work / "ci.sh").write_text(script, encoding="utf-8")
    result = subprocess.run(["bash", "ci.sh"], cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    diff_md = (work / "reports" / "diff.md").read_text(encoding="utf-8")
    assert "## nndoctor diff: ❌ 2 regressions" in diff_md
    assert "| ND202 | bad-weight-init | pass → fail |" in diff_md
    assert "gate failed: 2 violations" in flat(result.stdout)
    for name in ("nndoctor.json", "nndoctor.md", "nndoctor.xml"):
        assert (work / "reports" / name).stat().st_size > 0
