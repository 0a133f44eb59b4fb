"""The report as JUnit XML, so any CI test view (GitHub, GitLab, Jenkins) lists nndoctor's checks.

One testcase per finding: fail -> <failure>, error -> <error>, skip -> <skipped>; warn passes with
an `outcome=warn` property unless `fail_on="warn"` (mirroring `nndoctor check --fail-on warn`).
Rendered from `Report.to_dict()`, so a report loaded back from JSON gives the same XML.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from nndoctor.report.format import Format
from nndoctor.report.model import FAMILIES, Finding, Outcome, Report

if TYPE_CHECKING:
    from nndoctor.report.format import RenderOptions

FORMAT = Format("junit", "JUnit XML, one test case per check", order=3)

# characters XML 1.0 cannot carry at all (control characters other than tab/newline/CR)
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    return _INVALID_XML.sub("\ufffd", str(value))


def _seconds(value: float) -> str:
    return f"{value:.4f}"


def family(check_id: str) -> str:
    """The testcase classname: the check's family (ND2 -> initialization and forward pass)."""
    return FAMILIES.get(check_id[:3], "nndoctor")


def _testcase(finding: Finding, fail_on: str) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=family(finding.check_id),
        name=_text(f"{finding.check_id} {finding.name}"),
        time=_seconds(finding.duration_s),
    )
    properties = ET.SubElement(case, "properties")
    ET.SubElement(properties, "property", name="outcome", value=finding.outcome.value)
    body = finding.message + (f"\n\nHow to fix: {finding.recommendation}" if finding.recommendation else "")
    body += f"\n\nDocs: {finding.docs}" if finding.docs else ""
    if finding.outcome == Outcome.FAIL or (finding.outcome == Outcome.WARN and fail_on == "warn"):
        element = ET.SubElement(case, "failure", message=_text(finding.message), type=finding.outcome.value)
        element.text = _text(body)
    elif finding.outcome == Outcome.ERROR:
        element = ET.SubElement(case, "error", message=_text(finding.message), type="error")
        element.text = _text(body)
    elif finding.outcome in (Outcome.SKIP, Outcome.NOT_JUDGED):
        prefix = "not judged: " if finding.outcome == Outcome.NOT_JUDGED else ""
        ET.SubElement(case, "skipped", message=_text(prefix + finding.message))
    evidence: dict[str, Any] = {"message": finding.message, "evidence": finding.evidence}
    if finding.tables:
        evidence["tables"] = [t.to_dict() for t in finding.tables]
    ET.SubElement(case, "system-out").text = _text(json.dumps(evidence, indent=2))
    return case


def render_junit(report: Report, fail_on: str = "fail") -> str:
    """JUnit XML for the report; `fail_on="warn"` turns warnings into failures."""
    if fail_on not in ("fail", "warn"):
        raise ValueError(f"fail_on must be 'fail' or 'warn', not {fail_on!r}")
    report = Report.from_dict(report.to_dict())  # what a reader of the JSON file sees, exactly
    cases = [_testcase(f, fail_on) for f in report.findings]
    counts = report.counts
    failures = counts["fail"] + (counts["warn"] if fail_on == "warn" else 0)
    total = report.timings.get("total")
    seconds = total if isinstance(total, (int, float)) else sum(f.duration_s for f in report.findings)
    stats = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": str(counts["error"]),
        "skipped": str(counts["skip"] + counts["not_judged"]),
        "time": _seconds(seconds),
    }
    suites = ET.Element("testsuites", {"name": "nndoctor", **stats})
    suite = ET.SubElement(suites, "testsuite", {"name": "nndoctor", **stats})
    properties = ET.SubElement(suite, "properties")
    env = report.environment
    for name, value in (
        ("target", report.target),
        ("profile", report.profile),
        ("nndoctor_version", report.nndoctor_version),
        ("torch", env.get("torch")),
        ("device", env.get("device")),
        ("dtype", env.get("dtype")),
        ("seed", env.get("seed")),
        ("interrupted", str(report.interrupted).lower()),
    ):
        if value is not None:
            ET.SubElement(properties, "property", name=name, value=_text(value))
    suite.extend(cases)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def render(report: Report, options: RenderOptions) -> str:
    return render_junit(report, fail_on=options.fail_on)
