"""Report formats: the published JSON Schema, JSON loading, Markdown and JUnit, and round trips.

The runs come from `conftest.py` (real `nndoctor check --profile quick` invocations that wrote
--json, --markdown and --junit together).
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import SCHEMA_VALIDATED, CheckRun
from jsonschema import Draft202012Validator
from junitparser import Error, Failure, JUnitXml, Skipped

from nndoctor.errors import ReportFileError
from nndoctor.report.io import SUPPORTED_KEYWORDS, load_report, report_from_data, report_schema
from nndoctor.report.json_render import render_json
from nndoctor.report.junit import render_junit
from nndoctor.report.markdown import MAX_TABLE_ROWS, render_markdown
from nndoctor.report.model import Finding, Outcome, Report, Table


def schema_validator() -> Draft202012Validator:
    return Draft202012Validator(report_schema())


def synthetic_report() -> Report:
    """One finding per outcome, with awkward text and non-finite evidence."""

    def finding(check_id: str, name: str, outcome: Outcome, message: str, **kwargs: Any) -> Finding:
        return Finding(
            check_id, name, f"title of {name}", outcome, message, docs=f"nndoctor explain {check_id}", **kwargs
        )

    return Report(
        target="recipes/odd|name.py",
        profile="quick",
        nndoctor_version="0.1.0",
        environment={"torch": "2.x", "device": "cpu", "dtype": "float32", "seed": 7},
        findings=[
            finding("ND101", "unnormalized-inputs", Outcome.PASS, "fine", evidence={"rms": 1.0}, duration_s=0.25),
            finding(
                "ND201",
                "implausible-initial-loss",
                Outcome.WARN,
                "loss | ratio 2.0\nsecond line <b>",
                evidence={"ratio": 2.0, "scale": float("inf"), "missing": float("nan")},
                recommendation="Scale the last layer down.",
            ),
            finding(
                "ND202",
                "bad-weight-init",
                Outcome.FAIL,
                "symmetric init",
                recommendation="Use random init.",
                tables=[Table("per layer", ["layer", "std"], [[f"{i} (Linear)", 0.0] for i in range(100)])],
            ),
            finding("ND301", "vanishing-or-exploding-gradients", Outcome.SKIP, "no gradient reached the last layer"),
            finding("ND404", "bad-loss-dynamics", Outcome.ERROR, "RuntimeError: boom \x00\x07 control chars"),
        ],
        timings={"total": 1.5},
    )


# ----------------------------------------------------------------------------------------- schema


def test_schema_ships_inside_the_package() -> None:
    schema_file = resources.files("nndoctor.report") / "schema.json"
    assert schema_file.is_file()
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema_version"] == {"description": "Version of this format.", "const": 1}


def test_schema_uses_only_keywords_the_plain_python_loader_understands() -> None:
    used: set[str] = set()

    def walk(node: Any, parent_key: str = "") -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if parent_key not in ("properties", "$defs"):  # property names are not keywords
                    used.add(key)
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(report_schema())
    assert used <= SUPPORTED_KEYWORDS, used - SUPPORTED_KEYWORDS


@pytest.mark.parametrize("run_name", ["ci_healthy", "ci_broken", "ci_warned"])
def test_reports_written_by_check_match_the_schema(run_name: str, request: pytest.FixtureRequest) -> None:
    run: CheckRun = request.getfixturevalue(run_name)
    data = json.loads(run.json.read_text(encoding="utf-8"))
    errors = list(schema_validator().iter_errors(data))
    assert not errors, errors[0].message
    assert data["schema_version"] == 1
    assert data["target"].endswith(run.recipe)


def test_python_api_reports_match_the_schema_and_the_suite_validates_every_report() -> None:
    import nndoctor
    from nndoctor.samples.datasets import digits_loaders
    from nndoctor.samples.digits_mlp import build_model

    train, _ = digits_loaders(batch_size=64)
    report = nndoctor.diagnose(build_model(), train, select=["ND101", "ND102"], device="cpu", name="api-schema-test")
    data = report.to_dict()
    assert not list(schema_validator().iter_errors(data))
    # the conftest hook saw it: every report any test serializes is checked against schema.json
    assert "api-schema-test" in SCHEMA_VALIDATED
    assert report_from_data(json.loads(render_json(report))).to_dict() == data


def test_synthetic_report_with_every_outcome_and_non_finite_evidence_matches_the_schema() -> None:
    data = json.loads(render_json(synthetic_report()))
    assert data["findings"][1]["evidence"] == {"ratio": 2.0, "scale": "inf", "missing": "nan"}
    assert not list(schema_validator().iter_errors(data))


# ----------------------------------------------------------------------------------------- loading


def _mutations(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Ways to break (or harmlessly extend) a report; the loader must agree with jsonschema on each."""

    def mutate(change: Any) -> dict[str, Any]:
        copied = copy.deepcopy(data)
        change(copied)
        return copied

    return [
        ("no findings key", mutate(lambda d: d.pop("findings"))),
        ("no environment", mutate(lambda d: d.pop("environment"))),
        ("target is a number", mutate(lambda d: d.__setitem__("target", 3))),
        ("interrupted is a string", mutate(lambda d: d.__setitem__("interrupted", "no"))),
        ("findings is an object", mutate(lambda d: d.__setitem__("findings", {}))),
        ("finding without outcome", mutate(lambda d: d["findings"][2].pop("outcome"))),
        ("unknown outcome", mutate(lambda d: d["findings"][0].__setitem__("outcome", "ok"))),
        ("bad check id", mutate(lambda d: d["findings"][0].__setitem__("id", "nd101"))),
        ("name not kebab-case", mutate(lambda d: d["findings"][0].__setitem__("name", "Bad Name"))),
        ("negative duration", mutate(lambda d: d["findings"][0].__setitem__("duration_s", -1))),
        ("recommendation is a list", mutate(lambda d: d["findings"][0].__setitem__("recommendation", ["x"]))),
        ("evidence is a list", mutate(lambda d: d["findings"][0].__setitem__("evidence", [1]))),
        ("table without rows", mutate(lambda d: d["findings"][2]["tables"][0].pop("rows"))),
        ("table row not a list", mutate(lambda d: d["findings"][2]["tables"][0]["rows"].__setitem__(0, "x"))),
        ("count is a float", mutate(lambda d: d["summary"]["counts"].__setitem__("pass", 1.5))),
        ("count missing", mutate(lambda d: d["summary"]["counts"].pop("skip"))),
        ("worst unknown", mutate(lambda d: d["summary"].__setitem__("worst", "bad"))),
        ("timing is text", mutate(lambda d: d["timings"].__setitem__("total", "fast"))),
        ("plugins hold a number", mutate(lambda d: d.__setitem__("plugins", [1]))),
        # valid: additions and non-finite encodings are allowed
        ("extra top-level key", mutate(lambda d: d.__setitem__("ci_run", {"id": 5}))),
        ("extra finding key", mutate(lambda d: d["findings"][0].__setitem__("family", "data"))),
        ("infinite timing", mutate(lambda d: d["timings"].__setitem__("total", "inf"))),
        ("integral float count", mutate(lambda d: d["summary"]["counts"].__setitem__("pass", 1.0))),
    ]


def test_loader_and_jsonschema_agree_on_what_is_a_valid_report() -> None:
    data = json.loads(render_json(synthetic_report()))
    validator = schema_validator()
    outcomes = []
    for label, mutated in _mutations(data):
        schema_ok = validator.is_valid(mutated)
        try:
            report_from_data(mutated, "r.json")
            loader_ok = True
        except ReportFileError:
            loader_ok = False
        outcomes.append((label, schema_ok, loader_ok))
    disagreements = [o for o in outcomes if o[1] != o[2]]
    assert not disagreements, disagreements
    assert sum(1 for _, ok, _ in outcomes if ok) == 4  # the four harmless ones above


def _load_error(path: Path) -> str:
    with pytest.raises(ReportFileError) as info:
        load_report(path)
    assert str(path) in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        ("{not json", "is not JSON (line 1, column 2"),
        ("[1, 2]", "must be a JSON object, not an array"),
        ('{"target": "x", "findings": []}', "has no schema_version"),
        (
            '{"schema_version": 2, "target": "x", "findings": []}',
            "has schema_version 2; this nndoctor reads schema_version 1",
        ),
        ('{"schema_version": "1", "target": "x", "findings": []}', 'has schema_version "1"'),
        ('{"schema_version": 1, "target": NaN}', "bare NaN"),
    ],
)
def test_unreadable_reports_name_the_file_and_the_problem(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert expected in _load_error(path)


def test_malformed_reports_name_the_field(report_copy: Path) -> None:
    data = json.loads(report_copy.read_text(encoding="utf-8"))
    del data["findings"][3]["outcome"]
    report_copy.write_text(json.dumps(data), encoding="utf-8")
    assert "`findings[3] (ND104)` lacks the required field 'outcome'" in _load_error(report_copy)

    data["findings"][3]["outcome"] = "meh"
    report_copy.write_text(json.dumps(data), encoding="utf-8")
    assert "`findings[3] (ND104).outcome` must be one of pass, skip, not_judged, warn, fail, error" in _load_error(
        report_copy
    )

    data["findings"][3]["outcome"] = "pass"
    data["findings"].append(copy.deepcopy(data["findings"][3]))
    report_copy.write_text(json.dumps(data), encoding="utf-8")
    assert "check ND104 has more than one finding" in _load_error(report_copy)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    assert "does not exist" in _load_error(tmp_path / "nope.json")
    assert "is a directory" in _load_error(tmp_path)
    binary = tmp_path / "model.pt"
    binary.write_bytes(b"\x80\x02\xff\xfe\x00")
    assert "is not UTF-8 text" in _load_error(binary)


# ----------------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("run_name", ["ci_healthy", "ci_healthy_again", "ci_broken", "ci_warned"])
def test_round_trip_json_load_render_equals_what_the_run_wrote(run_name: str, request: pytest.FixtureRequest) -> None:
    run: CheckRun = request.getfixturevalue(run_name)
    report = load_report(run.json)
    assert render_json(report) == run.json.read_text(encoding="utf-8")
    assert render_markdown(report) == run.markdown.read_text(encoding="utf-8")
    assert render_junit(report, fail_on=run.fail_on) == run.junit.read_text(encoding="utf-8")


def test_stdout_formats_equal_the_files_of_the_same_run(ci_healthy_again: CheckRun, ci_warned: CheckRun) -> None:
    assert ci_healthy_again.stdout == ci_healthy_again.markdown.read_text(encoding="utf-8")
    assert ci_warned.stdout == ci_warned.json.read_text(encoding="utf-8")


def test_renderers_give_the_same_text_for_the_in_memory_and_the_reloaded_report() -> None:
    report = synthetic_report()  # unrounded durations, float('inf') evidence: normalized like the JSON
    report.findings[0].duration_s = 0.123456789
    reloaded = report_from_data(json.loads(render_json(report)))
    assert render_markdown(report) == render_markdown(reloaded)
    for fail_on in ("fail", "warn"):
        assert render_junit(report, fail_on=fail_on) == render_junit(reloaded, fail_on=fail_on)


# ----------------------------------------------------------------------------------------- markdown


def test_markdown_of_a_healthy_run(ci_healthy: CheckRun) -> None:
    text = ci_healthy.markdown.read_text(encoding="utf-8")
    data = json.loads(ci_healthy.json.read_text(encoding="utf-8"))
    env = data["environment"]
    lines = text.splitlines()
    assert lines[0].startswith("## nndoctor: ") and f"{data['summary']['counts']['pass']} passed" in lines[0]
    assert f"target `{data['target']}`" in text
    for fact in (f"torch {env['torch']}", f"device {env['device']}", f"seed {env['seed']}", "profile `quick`"):
        assert fact in text
    assert "| id | outcome | check | finding |" in text
    for finding in data["findings"]:
        assert f"| {finding['id']} | " in text
    assert "### " not in text  # no details section when nothing warns or fails


def test_markdown_details_for_non_passing_findings(ci_broken: CheckRun) -> None:
    text = ci_broken.markdown.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("## nndoctor: ❌ 2 failed")
    section = text[text.index("### ❌ fail: ND202 bad-weight-init") :]
    section = section[: section.index("### ", 4)]
    assert "**How to fix:** Initialize weights randomly" in section
    assert "**weight init per layer**" in section
    assert "| layer | kind | next | std | recommended | rule | ratio | verdict |" in section
    assert "Docs: `nndoctor explain ND202`" in section
    assert "### ❌ fail: ND203" in text
    assert "ND301" in text and "### ➖" not in text  # skips are listed, not detailed


def _cells(row: str) -> list[str]:
    """Split a Markdown table row on unescaped pipes."""
    cells, current, escaped = [], "", False
    for char in row.strip()[1:-1]:
        if char == "|" and not escaped:
            cells.append(current)
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    return [*cells, current]


def test_markdown_escapes_cells_and_caps_long_tables() -> None:
    text = render_markdown(synthetic_report())
    bullet = next(line for line in text.splitlines() if line.startswith("- ⚠️ warn **ND201**"))
    assert bullet.endswith("implausible-initial-loss: loss \\| ratio 2.0<br>second line &lt;b>")  # one line
    row = next(line for line in text.splitlines() if line.startswith("| ND101 |"))  # the passes' table
    assert _cells(row)[3].strip() == "fine"
    assert text.splitlines()[2].startswith("target `recipes/odd|name.py` · ")  # outside tables: verbatim
    table_rows = [line for line in text.splitlines() if line.startswith("| ") and "(Linear)" in line]
    assert len(table_rows) == MAX_TABLE_ROWS - 1
    assert f"| … {100 - (MAX_TABLE_ROWS - 1)} more rows in the JSON report |  |" in text
    assert "| scale | inf |" in text and "| missing | nan |" in text
    width = 0  # every row of every table has as many cells as its header: no pipe leaked
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index + 1 < len(lines) and lines[index + 1].startswith("|---"):
            width = len(_cells(line))
        elif line.startswith("| "):
            assert len(_cells(line)) == width, line
    assert "### 💥 error: ND404 bad-loss-dynamics" in text
    assert "### ⚠️ warn: ND201 implausible-initial-loss" in text


# ----------------------------------------------------------------------------------------- junit


def _suite(path_or_text: Path | str) -> Any:
    xml = JUnitXml.fromfile(str(path_or_text)) if isinstance(path_or_text, Path) else JUnitXml.fromstring(path_or_text)
    suites = list(xml)
    assert len(suites) == 1
    return suites[0]


def _kinds(suite: Any) -> dict[str, str]:
    kinds = {}
    for case in suite:
        results = case.result
        kind = "pass"
        for result in results:
            kind = {Failure: "failure", Error: "error", Skipped: "skipped"}[type(result)]
        kinds[case.name.split()[0]] = kind
    return kinds


def test_junit_of_real_runs_loads_in_junitparser(ci_healthy: CheckRun, ci_broken: CheckRun) -> None:
    healthy = _suite(ci_healthy.junit)
    data = json.loads(ci_healthy.json.read_text(encoding="utf-8"))
    assert healthy.name == "nndoctor"
    assert healthy.tests == len(data["findings"])
    assert (healthy.failures, healthy.errors, healthy.skipped) == (0, 0, data["summary"]["counts"]["skip"])

    broken = _suite(ci_broken.junit)
    assert (broken.failures, broken.errors, broken.skipped) == (2, 0, 4)
    kinds = _kinds(broken)
    assert kinds["ND202"] == kinds["ND203"] == "failure"
    assert kinds["ND301"] == kinds["ND303"] == kinds["ND105"] == kinds["ND108"] == "skipped"
    case = next(c for c in broken if c.name == "ND202 bad-weight-init")
    assert case.classname == "initialization and forward pass"
    failure = case.result[0]
    assert failure.type == "fail" and failure.message.startswith("3 layer(s) start symmetric")
    assert "How to fix: Initialize weights randomly" in failure.text
    out = json.loads(case.system_out)
    assert out["evidence"]["symmetric_layers"] == ["0 (Linear)", "2 (Linear)", "4 (Linear)"]
    assert out["tables"][0]["title"] == "weight init per layer"


def test_junit_warnings_pass_with_a_property_unless_fail_on_warn(ci_warned: CheckRun) -> None:
    assert ci_warned.exit_code == 1  # --fail-on warn gates the run itself too
    warned = _suite(ci_warned.junit)
    data = json.loads(ci_warned.json.read_text(encoding="utf-8"))
    warn_ids = {f["id"] for f in data["findings"] if f["outcome"] == "warn"}
    assert warn_ids >= {"ND101", "ND201"}
    assert warned.failures == len(warn_ids)
    assert {k for k, v in _kinds(warned).items() if v == "failure"} == warn_ids

    lenient = _suite(render_junit(load_report(ci_warned.json), fail_on="fail"))
    assert lenient.failures == 0
    root = ET.fromstring(render_junit(load_report(ci_warned.json)))
    case = next(c for c in root.iter("testcase") if c.get("name", "").startswith("ND101 "))
    assert case.find("properties/property[@name='outcome']").get("value") == "warn"
    assert case.find("failure") is None


def test_junit_maps_every_outcome() -> None:
    text = render_junit(synthetic_report())
    suite = _suite(text)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (5, 1, 1, 1)
    assert _kinds(suite) == {"ND101": "pass", "ND201": "pass", "ND202": "failure", "ND301": "skipped", "ND404": "error"}
    assert float(next(c for c in suite if c.name.startswith("ND101")).time) == pytest.approx(0.25)
    assert next(c for c in suite if c.name.startswith("ND404")).classname == "training dynamics"
    strict = _suite(render_junit(synthetic_report(), fail_on="warn"))
    assert (strict.failures, strict.errors) == (2, 1)
    root = ET.fromstring(text)  # control characters in a message do not break the XML
    props = {p.get("name"): p.get("value") for p in root.find("testsuite/properties")}
    assert props["target"] == "recipes/odd|name.py" and props["seed"] == "7"
    with pytest.raises(ValueError, match="fail_on"):
        render_junit(synthetic_report(), fail_on="error")
