"""`nndoctor diff`: regressions between a baseline report and a change, and everything else that moved."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import CheckRun, cli_runner

from nndoctor.cli import app
from nndoctor.diff import compare, flatten_numbers, render_diff_markdown
from nndoctor.report.io import load_report
from nndoctor.report.json_render import write_json
from nndoctor.report.model import Finding, Outcome, Report, Table


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─┃━╇┏┓┗┛]", " ", text).split())


def diff(*args: str) -> Any:
    return cli_runner().invoke(app, ["diff", *args])


def report(*findings: tuple[str, str, dict[str, Any]], **kwargs: Any) -> Report:
    return Report(
        target=kwargs.pop("target", "recipe.py"),
        findings=[Finding(cid, f"check-{cid.lower()}", "", Outcome(o), f"{cid} {o}", ev) for cid, o, ev in findings],
        environment=kwargs.pop("environment", {"torch": "2.13", "device": "cpu", "seed": 0}),
        **kwargs,
    )


def ids(changes: list[Any]) -> list[str]:
    return [c.check_id for c in changes]


# ------------------------------------------------------------------------------------ the command


def test_diff_names_the_regression_of_a_broken_change(ci_healthy: CheckRun, ci_broken: CheckRun) -> None:
    result = diff(str(ci_healthy.json), str(ci_broken.json))
    assert result.exit_code == 1, result.output
    out = flat(result.stdout)
    assert "Regressions (got worse)" in out
    assert "ND202 bad-weight-init pass → fail" in out
    assert "ND203" in out and "2 regressions" in out

    md = diff(str(ci_healthy.json), str(ci_broken.json), "--format", "markdown")
    assert md.exit_code == 1
    assert md.stdout.startswith("## nndoctor diff: ❌ 2 regressions")
    assert "| ND202 | bad-weight-init | pass → fail | 3 layer(s) start symmetric" in md.stdout
    assert "| ND203 | unstable-activations | pass → fail |" in md.stdout

    report_only = diff(str(ci_healthy.json), str(ci_broken.json), "--no-fail-on-regression")
    assert report_only.exit_code == 0
    assert "2 regressions" in flat(report_only.stdout)


def test_two_runs_of_the_same_healthy_recipe_differ_in_nothing(
    ci_healthy: CheckRun, ci_healthy_again: CheckRun
) -> None:
    count = len(load_report(ci_healthy.json).findings)
    result = diff(str(ci_healthy.json), str(ci_healthy_again.json))
    assert result.exit_code == 0, result.output
    assert f"no differences: {count} checks with the same outcomes" in flat(result.stdout)
    assert "Regressions" not in result.stdout and "Evidence" not in result.stdout
    assert compare(load_report(ci_healthy.json), load_report(ci_healthy_again.json)).is_empty
    md = diff(str(ci_healthy.json), str(ci_healthy_again.json), "--format", "markdown")
    assert md.stdout.splitlines()[0] == (
        f"## nndoctor diff: ✅ no differences: {count} checks with the same outcomes, evidence within 25% (abs 1e-06)"
    )
    assert "|" not in md.stdout  # no tables at all


def test_fixing_a_broken_model_is_an_improvement_not_a_regression(ci_healthy: CheckRun, ci_broken: CheckRun) -> None:
    result = diff(str(ci_broken.json), str(ci_healthy.json), "--format", "markdown")
    assert result.exit_code == 0
    assert "**Improvements**" in result.stdout and "| ND202 | bad-weight-init | fail → pass |" in result.stdout
    same = diff(str(ci_broken.json), str(ci_broken.json), "--format", "markdown")
    assert same.exit_code == 0  # main's own failures are not this change's regressions
    assert "no differences" in same.stdout.splitlines()[0]
    assert (
        "**Still not passing (unchanged)**" in same.stdout
        and "| ND202 | bad-weight-init | fail → fail |" in same.stdout
    )


def test_unreadable_reports_exit_2_naming_the_file(tmp_path: Path, ci_healthy: CheckRun) -> None:
    not_json = tmp_path / "base.json"
    not_json.write_text("<html>artifact expired</html>", encoding="utf-8")
    result = diff(str(not_json), str(ci_healthy.json))
    assert result.exit_code == 2
    assert f"The report {not_json} is not JSON" in flat(result.stderr)
    old = tmp_path / "head.json"
    old.write_text('{"schema_version": 0, "target": "x", "findings": []}', encoding="utf-8")
    result = diff(str(ci_healthy.json), str(old))
    assert result.exit_code == 2
    assert f"The report {old} has schema_version 0" in flat(result.stderr)
    missing = diff(str(ci_healthy.json), str(tmp_path / "absent.json"))
    assert missing.exit_code == 2 and "absent.json does not exist" in flat(missing.stderr)


def test_cli_defaults_are_the_compare_defaults() -> None:
    import nndoctor.commands.diff as ci
    import nndoctor.diff

    assert (ci.DEFAULT_REL_TOL, ci.DEFAULT_ABS_TOL) == (nndoctor.diff.DEFAULT_REL_TOL, nndoctor.diff.DEFAULT_ABS_TOL)


def test_rel_tol_option(tmp_path: Path) -> None:
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    write_json(report(("ND201", "pass", {"ratio": 1.0})), base)
    write_json(report(("ND201", "pass", {"ratio": 1.4})), head)
    moved = diff(str(base), str(head), "--format", "markdown")
    assert moved.exit_code == 0  # evidence moves are reported, not gated
    assert "| ND201 | ratio | 1 | 1.4 | +40% |" in moved.stdout
    assert "1 evidence move" in moved.stdout.splitlines()[0]
    tolerant = diff(str(base), str(head), "--rel-tol", "0.5", "--format", "markdown")
    assert "no differences" in tolerant.stdout
    assert diff(str(base), str(head), "--rel-tol", "-1").exit_code == 2


# ------------------------------------------------------------------------------------ compare


def test_outcome_changes_are_classified() -> None:
    base = report(
        ("ND101", "pass", {}),
        ("ND102", "warn", {}),
        ("ND103", "fail", {}),
        ("ND104", "pass", {}),
        ("ND105", "error", {}),
        ("ND106", "pass", {}),
        ("ND201", "skip", {}),
    )
    head = report(
        ("ND101", "warn", {}),  # worse
        ("ND102", "fail", {}),  # worse
        ("ND103", "warn", {}),  # better
        ("ND104", "skip", {}),  # neither
        ("ND105", "error", {}),  # still broken
        ("ND201", "error", {}),  # worse: skip -> error
        ("ND301", "fail", {}),  # new and failing
        ("ND302", "pass", {}),  # new and passing
    )  # ND106 removed
    result = compare(base, head)
    assert ids(result.regressions) == ["ND101", "ND102", "ND201", "ND301"]
    assert result.regressions[3].arrow() == "absent → fail"
    assert ids(result.improvements) == ["ND103"]
    assert ids(result.changed) == ["ND104"]
    assert ids(result.persisting) == ["ND105"]
    assert ids(result.added) == ["ND302"]
    assert ids(result.removed) == ["ND106"] and result.removed[0].arrow() == "pass → absent"
    assert result.has_regressions and not result.is_empty
    assert result.summary() == ("4 regressions, 1 improvement, 1 other outcome change, 1 added check, 1 removed check")


def test_evidence_moves_past_tolerance_with_dotted_keys() -> None:
    evidence = {
        "ratio": 1.0,
        "same": 5,
        "tiny": 0.0,
        "nested": {"values": [1.0, 2.0], "label": "x"},
        "flag": True,
        "nan": "nan",
        "inf": "inf",
    }
    changed = {
        "ratio": 1.2,  # within 25%
        "same": 5,
        "tiny": 1e-9,  # below abs_tol
        "nested": {"values": [1.0, 3.0], "label": "y"},  # values.1 moved 50%; strings ignored
        "flag": False,  # booleans are not numbers
        "nan": "nan",  # nan stays nan: same
        "inf": 7.0,
    }
    base = report(("ND201", "pass", evidence))
    result = compare(base, report(("ND201", "pass", changed)))
    assert [(m.key, m.base, m.head, m.change) for m in result.moves] == [
        ("nested.values.1", 2.0, 3.0, "+50%"),
        ("inf", float("inf"), 7.0, "changed"),
    ]
    assert not result.has_regressions
    strict = compare(base, report(("ND201", "pass", changed)), rel_tol=0.1, abs_tol=1e-12)
    assert {m.key for m in strict.moves} == {"ratio", "tiny", "nested.values.1", "inf"}
    assert compare(base, base).is_empty


def test_wall_clock_evidence_is_not_compared() -> None:
    base = report(("ND402", "pass", {"seconds": 5.2, "sweep_s": 1.0, "steps": 100, "final_loss": 0.01}))
    head = report(("ND402", "pass", {"seconds": 2.1, "sweep_s": 3.0, "steps": 100, "final_loss": 0.5}))
    assert [m.key for m in compare(base, head).moves] == ["final_loss"]


def test_table_cells_are_keyed_by_row_label() -> None:
    def finding(std: float) -> Finding:
        table = Table("per layer", ["layer", "std", "verdict"], [["0 (Linear)", 0.5, "ok"], ["2 (Linear)", std, "ok"]])
        return Finding("ND202", "bad-weight-init", "", Outcome.PASS, "m", {}, [table])

    assert flatten_numbers(finding(0.1)) == {"per layer[0 (Linear)].std": 0.5, "per layer[2 (Linear)].std": 0.1}
    base, head = Report("r", [finding(0.1)]), Report("r", [finding(1.0)])
    moves = compare(base, head).moves
    assert [(m.key, m.change) for m in moves] == [("per layer[2 (Linear)].std", "+900%")]
    assert "| ND202 | per layer[2 (Linear)].std | 0.1 | 1 | +900% |" in render_diff_markdown(compare(base, head))


def test_setup_differences_are_noted() -> None:
    base = report(("ND101", "pass", {}))
    head = report(
        ("ND101", "pass", {}),
        target="other.py",
        profile="quick",
        environment={"torch": "2.13", "device": "cuda", "seed": 1},
        interrupted=True,
    )
    notes = compare(base, head).notes
    assert "target differs: recipe.py (base) vs other.py (head)" in notes
    assert "profile differs: default (base) vs quick (head)" in notes
    assert "device differs: cpu (base) vs cuda (head)" in notes
    assert "seed differs: 0 (base) vs 1 (head)" in notes
    assert "the head run was interrupted: its report is partial" in notes
    assert not compare(base, head).is_empty


@pytest.mark.parametrize("count", [3, 40])
def test_markdown_caps_the_evidence_listing(count: int) -> None:
    base = report(("ND203", "pass", {f"layer{i}": 1.0 for i in range(count)}))
    head = report(("ND203", "pass", {f"layer{i}": 10.0 for i in range(count)}))
    text = render_diff_markdown(compare(base, head))
    assert f"{count} evidence moves" in text.splitlines()[0]
    rows = [line for line in text.splitlines() if line.startswith("| ND203 |")]
    assert len(rows) == min(count, 8)
    assert ("more (see both JSON reports)" in text) == (count > 8)
