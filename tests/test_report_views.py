"""Verdict-first Markdown and HTML, GitHub annotations, notebook display and DataFrames, on
synthetic reports (the real runs are in test_report_pictures.py and conftest.py)."""

from __future__ import annotations

import html.parser
import inspect
import json

import pytest
from report_samples import health_report

import nndoctor
from nndoctor.report.github import escape_data, escape_property, location, render_github
from nndoctor.report.html import html_fragment, render_html
from nndoctor.report.io import report_from_data
from nndoctor.report.json_render import render_json
from nndoctor.report.layout import detailed, diagnosis, verdict
from nndoctor.report.markdown import render_markdown
from nndoctor.report.model import Finding, Outcome, Report


def chained_report() -> Report:
    """A root cause with a consequence, a second root, an error and a loop of two findings that
    explain each other through a third (no root among them)."""

    def f(check_id: str, outcome: Outcome, explained_by: tuple[str, ...] = ()) -> Finding:
        return Finding(
            check_id, f"name-{check_id.lower()}", "t", outcome, f"message {check_id}", explained_by=list(explained_by)
        )

    return Report(
        target="t.py",
        findings=[
            f("ND101", Outcome.PASS),
            f("ND104", Outcome.WARN),
            f("ND202", Outcome.FAIL),
            f("ND301", Outcome.WARN, ("ND104",)),
            f("ND404", Outcome.WARN, ("ND301",)),
            f("ND105", Outcome.SKIP),
            f("ND204", Outcome.ERROR),
            f("ND501", Outcome.WARN, ("ND502",)),
            f("ND502", Outcome.WARN, ("ND501",)),
        ],
        locations={"build_model": "recipe.py:12", "build_optimizer": "recipe.py:40"},
    )


def test_diagnosis_orders_roots_worst_first_with_their_consequences() -> None:
    report = chained_report()
    entries = diagnosis(report)
    flat = [(depth, e.finding.check_id) for root in entries for depth, e in root.walk()]
    assert flat == [
        (0, "ND202"),
        (0, "ND104"),
        (1, "ND301"),
        (2, "ND404"),
        (0, "ND501"),  # the loop: shown from its earliest id, not lost
        (1, "ND502"),
        (0, "ND204"),  # could not run: after the problems
    ]
    shown = [f.check_id for f, _ in detailed(report)]
    assert shown == ["ND202", "ND104", "ND301", "ND404", "ND501", "ND502", "ND204"]
    assert [f.check_id for f, _ in detailed(report, verbose=True)][-2:] == ["ND101", "ND105"]
    assert verdict(report) == "training will not work as configured"


def test_markdown_opens_with_the_diagnosis_and_folds_the_passes() -> None:
    text = render_markdown(chained_report())
    lines = text.splitlines()
    start = lines.index("**Diagnosis: training will not work as configured**")
    assert lines[start + 2].startswith("- ❌ fail **ND202**")
    assert lines[start + 4] == "  - ↳ ⚠️ warn **ND301** name-nd301: message ND301 *(a consequence)*"
    assert lines[start + 5].startswith("    - ↳ ⚠️ warn **ND404**")
    assert text.index("### ❌ fail: ND202") < text.index("### ⚠️ warn: ND104") < text.index("### ⚠️ warn: ND301")
    assert "### ⚠️ warn: ND301 name-nd301 (consequence of ND104)" in text
    assert "<details><summary>1 passed, 1 skipped</summary>" in text
    assert "| ND101 | ✅ pass | name-nd101 | message ND101 |" in text
    verbose = render_markdown(chained_report(), verbose=True)
    assert "<details><summary>1 passed" not in verbose and "**1 passed, 1 skipped**" in verbose


def test_markdown_puts_the_pictures_in_text_blocks() -> None:
    text = render_markdown(health_report())
    section = text[text.index("### ⚠️ warn: ND301") :]
    section = section[: section.index("\n### ")]
    assert "```text\nGradient flow at init: gradient RMS per layer" in section
    assert "<details><summary>Evidence</summary>" in section and "| grad rms |" not in section.split("<details>")[0]
    assert all(len(line) <= 80 for line in section.split("```text")[1].split("```")[0].splitlines())


class _Parser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]


def test_html_is_one_self_contained_escaped_file() -> None:
    report = health_report()
    report.findings[0].message = "<script>alert(1)</script> & more"
    page = render_html(report)
    parser = _Parser()
    parser.feed(page)
    assert "script" not in parser.tags  # user text is text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert parser.tags.count("svg") == 5
    assert all(link.startswith("#") for link in parser.links)  # nothing to fetch: anchors only
    assert page.startswith("<!DOCTYPE html>") and "<title>nndoctor: 1 failed, 2 warnings, 1 passed" in page
    assert page.index("<h2>Diagnosis</h2>") < page.index("<h2>Network health</h2>") < page.index("Findings to act on")


def test_notebook_display_hooks() -> None:
    report = health_report()
    assert report._repr_html_() == html_fragment(report)
    assert report._repr_html_().startswith('<div class="nndoctor-report"><style>.nndoctor-report')
    assert repr(report) == "<nndoctor Report 'odd <name>.py': 1 pass, 2 warn, 1 fail (worst: fail)>"
    text = str(report)
    assert text.startswith("nndoctor ") and "Diagnosis: training will not work as configured" in text
    assert "\x1b[" not in text
    assert report.__rich__().report is report


def test_findings_and_tables_as_dataframes() -> None:
    report = health_report()
    findings = report.findings_frame()
    assert list(findings.index) == ["ND203", "ND301", "ND303", "ND404"]
    assert findings.loc["ND203", "outcome"] == "fail" and bool(findings.loc["ND203", "root_cause"])
    acts = report.table_frame("ND203")
    assert list(acts.index) == ["0 (Linear)", "1 (Tanh)", "2 (Linear) <b>"]
    assert acts["std"].dtype.kind == "f" and acts["kind"].tolist() == ["Linear", "Tanh", "Linear"]
    assert acts["saturated"].isna().tolist() == [True, False, True]
    ratios = report.table_frame("ND303")
    assert ratios["ratio"].isna().tolist() == [False, True]  # "nan" became missing
    assert set(report.table_frames()) == {
        "ND203 activations at init",
        "ND301 gradients at init",
        "ND303 update / weight after one step",
    }
    with pytest.raises(KeyError, match="no table for ND404"):
        report.table_frame("ND404")


def test_the_api_entry_points_have_real_signatures_and_docs() -> None:
    parameters = inspect.signature(nndoctor.diagnose).parameters
    assert list(parameters)[:3] == ["model", "train_loader", "val_loader"]
    assert "profile" in parameters and parameters["profile"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "Args:" in (nndoctor.diagnose.__doc__ or "")


def test_locations_survive_the_json_round_trip() -> None:
    report = chained_report()
    assert report_from_data(json.loads(render_json(report))).locations == report.locations


def test_github_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_github_annotations_point_at_the_builder_a_finding_concerns() -> None:
    report = chained_report()
    by_id = {f.check_id: f for f in report.findings}
    assert location(report, by_id["ND301"]) == ("recipe.py", 12)  # gradients: the model
    assert location(report, by_id["ND404"]) == ("recipe.py", 40)  # the loss curve: the optimizer
    assert location(report, by_id["ND501"]) == ("recipe.py", 12)  # unmapped: the model
    lines = render_github(report).splitlines()
    assert lines[0] == "::error file=recipe.py,line=12,title=ND202 name-nd202::message ND202"
    assert "title=ND301 name-nd301 (consequence of ND104)" in lines[2]
    assert [line.split(" ")[0] for line in lines[:-1]] == [
        "::error",
        "::warning",
        "::warning",
        "::warning",
        "::warning",
        "::warning",
        "::error",
    ]
    assert (
        lines[-1]
        == "nndoctor: training will not work as configured: 1 failed, 1 error, 5 warnings, 1 passed, 1 skipped (t.py)"
    )
    report.locations = {}
    assert render_github(report).startswith("::error title=ND202 name-nd202::")  # no source file: no anchor
