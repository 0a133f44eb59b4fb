"""`nndoctor gate`: does a JSON report satisfy a team's policy?

A policy (YAML) says which outcomes break the build (globally and per check), which evidence
numbers must stay within bounds, which checks must have run, and which exceptions the team has
accepted, each with a reason. `evaluate` returns every violation with its reason, so a red CI job
says exactly what to fix. Plain data and YAML only: no torch, so the gate runs anywhere.

Policy format (all keys optional; unknown keys are errors):

    description: what this policy is for
    extends: strict                  # a shipped policy name or a path (relative to this file)
    fail_on: [fail, error]           # outcomes that violate; a single word means "this or worse"
    checks:                          # per-check fail_on overrides
      ND105: {fail_on: []}           #   never gate on this check
      ND201: {fail_on: warn}         #   warn, fail and error all violate
    require:                         # evidence thresholds
      - {check: ND201, evidence: ratio, max: 1.5}
      - {check: ND303, evidence: median_ratio, min: 1.0e-5, max: 0.1, missing: ignore}
    require_checks: [ND201, ND301]   # must be in the report and not skipped/errored
    allow:                           # accepted exceptions; a reason is required
      - {check: ND104, reason: "sigmoid head is intended", outcomes: [warn], expires: 2026-06-30}
    allow_interrupted: false         # a partial (Ctrl-C, time-out) report is a violation
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nndoctor.errors import ExitCode, ReportFileError
from nndoctor.report.model import Finding, Outcome, Report
from nndoctor.yaml_files import load_yaml

POLICY_KEYS = (
    "description",
    "extends",
    "fail_on",
    "checks",
    "require",
    "require_checks",
    "allow",
    "allow_interrupted",
)
CHECK_RULE_KEYS = ("fail_on",)
REQUIRE_KEYS = ("check", "evidence", "min", "max", "missing")
ALLOW_KEYS = ("check", "reason", "outcomes", "expires")
GATEABLE = (Outcome.SKIP, Outcome.NOT_JUDGED, Outcome.WARN, Outcome.FAIL, Outcome.ERROR)  # "pass" never violates
DEFAULT_FAIL_ON = frozenset({Outcome.FAIL, Outcome.ERROR})
_CHECK_ID = re.compile(r"^[A-Z]{2,}\d{3}$")


@dataclass(frozen=True)
class Requirement:
    """An evidence number that must stay within [min, max]."""

    check: str
    evidence: str
    min: float | None = None
    max: float | None = None
    missing: str = "fail"  # "fail": a missing number violates; "ignore": it does not

    def describe(self) -> str:
        name = f"{self.check} {self.evidence}"
        if self.min is not None and self.max is not None:
            return f"{self.min:g} <= {name} <= {self.max:g}"
        return f"{name} >= {self.min:g}" if self.min is not None else f"{name} <= {self.max:g}"


@dataclass(frozen=True)
class Allowance:
    """An accepted exception: violations of `check` (whose finding is in `outcomes`) do not fail the gate."""

    check: str
    reason: str
    outcomes: frozenset[Outcome] | None = None  # None: every violation of the check
    expires: datetime.date | None = None

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and today > self.expires


@dataclass
class Policy:
    source: str = "built-in default"
    description: str = "fail and error outcomes break the build"
    fail_on: frozenset[Outcome] = DEFAULT_FAIL_ON
    checks: dict[str, frozenset[Outcome]] = field(default_factory=dict)
    require: list[Requirement] = field(default_factory=list)
    require_checks: list[str] = field(default_factory=list)
    allow: list[Allowance] = field(default_factory=list)
    allow_interrupted: bool = False

    def fail_on_for(self, check_id: str) -> frozenset[Outcome]:
        return self.checks.get(check_id, self.fail_on)


@dataclass(frozen=True)
class Violation:
    """One reason the gate fails. `check_id` is None for report-level problems (interrupted run)."""

    check_id: str | None
    rule: str  # outcome | require | require_checks | interrupted
    reason: str
    outcome: Outcome | None = None
    name: str = ""


@dataclass(frozen=True)
class AppliedException:
    violation: Violation
    allowance: Allowance


@dataclass
class GateResult:
    report: Report
    policy: Policy
    violations: list[Violation]
    exceptions: list[AppliedException]
    notes: list[str]
    report_source: str = ""  # the file the report came from, for the output's first line

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def exit_code(self) -> int:
        return int(ExitCode.OK if self.passed else ExitCode.GATED)

    def summary(self) -> str:
        allowed = f"; {len(self.exceptions)} allowed by exception" if self.exceptions else ""
        if self.passed:
            return f"gate passed: {len(self.report.findings)} findings meet the policy{allowed}"
        count = len(self.violations)
        return f"gate failed: {count} violation{'s' if count != 1 else ''}{allowed}"


# ---------------------------------------------------------------------------------------- loading


def policies_dir() -> Path:
    """Shipped policies: `checks/policies/` (packaged as `nndoctor/_profiles/policies`)."""
    from nndoctor.profiles import profiles_dir

    return profiles_dir() / "policies"


def shipped_policies() -> dict[str, Path]:
    return {p.stem: p for p in sorted(policies_dir().glob("*.yaml"))}


def locate_policy(spec: str | Path, relative_to: Path | None = None) -> Path:
    """A shipped policy by name (`strict`), or a YAML path."""
    text = str(spec)
    shipped = shipped_policies()
    if text in shipped:
        return shipped[text]
    path = Path(text)
    if relative_to is not None and not path.is_absolute() and (relative_to / path).exists():
        return relative_to / path
    if path.exists():
        return path
    raise ReportFileError(
        f"The policy {text} does not exist: give a YAML file or a shipped policy name ({', '.join(shipped) or 'none'})."
    )


def load_policy(spec: str | Path | None = None, _chain: tuple[Path, ...] = ()) -> Policy:
    """Load a policy by name or path, resolving `extends:`; None gives the built-in default."""
    if spec is None:
        return Policy()
    path = locate_policy(spec, _chain[-1].parent if _chain else None).resolve()
    if path in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain, path))
        raise ReportFileError(f"The policy {path} extends itself (cycle: {cycle}).")
    data = _read_yaml(path)
    base = load_policy(str(data["extends"]), (*_chain, path)) if data.get("extends") else Policy()
    return _build(data, path, base)


def policy_from_data(data: dict[str, Any], source: str = "<policy>") -> Policy:
    """A policy from an already-parsed mapping (tests, Python callers); no `extends`."""
    if not isinstance(data, dict):
        raise ReportFileError(f"The policy {source} must be a mapping, not {type(data).__name__}.")
    _check_keys(data, POLICY_KEYS, source, "")
    if data.get("extends"):
        raise ReportFileError(f"The policy {source}: `extends` needs a policy file; use load_policy.")
    return _build(data, Path(source), Policy())


def _read_yaml(path: Path) -> dict[str, Any]:
    data = load_yaml(path, "policy", ReportFileError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ReportFileError(
            f"The policy {path} must be a YAML mapping with keys among {', '.join(POLICY_KEYS)}, "
            f"not a {type(data).__name__}."
        )
    _check_keys(data, POLICY_KEYS, str(path), "")
    return data


def _check_keys(data: dict[str, Any], known: tuple[str, ...], source: str, where: str) -> None:
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        place = f" `{where}`" if where else ""
        raise ReportFileError(
            f"The policy {source}:{place} unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(k) for k in unknown)}; known keys: {', '.join(known)}."
        )


def _build(data: dict[str, Any], path: Path, base: Policy) -> Policy:
    source = str(path)
    fail_on = _outcomes(data["fail_on"], source, "fail_on") if "fail_on" in data else base.fail_on
    checks = dict(base.checks)
    rules = data.get("checks") or {}
    if not isinstance(rules, dict):
        raise ReportFileError(f"The policy {source}: `checks` must map check ids to {{fail_on: [...]}}.")
    for raw_id, rule in rules.items():
        check_id = _check_id(raw_id, source, f"checks.{raw_id}")
        if not isinstance(rule, dict):
            raise ReportFileError(
                f"The policy {source}: `checks.{raw_id}` must be a mapping such as {{fail_on: [warn]}}."
            )
        _check_keys(rule, CHECK_RULE_KEYS, source, f"checks.{raw_id}")
        if "fail_on" in rule:
            checks[check_id] = _outcomes(rule["fail_on"], source, f"checks.{raw_id}.fail_on")
    require = list(base.require) + [
        _requirement(item, source, f"require[{i}]") for i, item in enumerate(_list(data, "require", source))
    ]
    allow = list(base.allow) + [
        _allowance(item, source, f"allow[{i}]") for i, item in enumerate(_list(data, "allow", source))
    ]
    require_checks = list(base.require_checks)
    for i, raw in enumerate(_list(data, "require_checks", source)):
        check_id = _check_id(raw, source, f"require_checks[{i}]")
        if check_id not in require_checks:
            require_checks.append(check_id)
    allow_interrupted = data.get("allow_interrupted", base.allow_interrupted)
    if not isinstance(allow_interrupted, bool):
        raise ReportFileError(f"The policy {source}: `allow_interrupted` must be true or false.")
    description = data.get("description", base.description if base.source != "built-in default" else "")
    return Policy(
        source=source,
        description=str(description or ""),
        fail_on=fail_on,
        checks=checks,
        require=require,
        require_checks=require_checks,
        allow=allow,
        allow_interrupted=allow_interrupted,
    )


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportFileError(f"The policy {source}: `{key}` must be a list, not {type(value).__name__}.")
    return value


def _check_id(raw: Any, source: str, where: str) -> str:
    text = str(raw).strip().upper()
    if not _CHECK_ID.match(text):
        raise ReportFileError(f"The policy {source}: `{where}` is {raw!r}, not a check id such as ND201.")
    return text


def _outcomes(raw: Any, source: str, where: str) -> frozenset[Outcome]:
    """A list of outcomes, or one outcome meaning "this or worse" (like `check --fail-on warn`)."""
    names = [o.value for o in GATEABLE]
    if isinstance(raw, str):
        if raw not in names:
            raise ReportFileError(f"The policy {source}: `{where}` is {raw!r}; use one of {', '.join(names)}.")
        floor = Outcome(raw).severity
        return frozenset(o for o in GATEABLE if o.severity >= floor)
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ReportFileError(f"The policy {source}: `{where}` must be a list of outcomes ({', '.join(names)}).")
    outcomes = set()
    for item in raw:
        if item not in names:
            hint = " (pass can never violate)" if item == "pass" else ""
            raise ReportFileError(
                f"The policy {source}: `{where}` contains {item!r}; outcomes are {', '.join(names)}{hint}."
            )
        outcomes.add(Outcome(item))
    return frozenset(outcomes)


def _number(raw: Any, source: str, where: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise ReportFileError(f"The policy {source}: `{where}` must be a number, not {raw!r}.")
    return float(raw)


def _requirement(item: Any, source: str, where: str) -> Requirement:
    if not isinstance(item, dict):
        raise ReportFileError(
            f"The policy {source}: `{where}` must be a mapping such as {{check: ND201, evidence: ratio, max: 1.5}}."
        )
    _check_keys(item, REQUIRE_KEYS, source, where)
    for key in ("check", "evidence"):
        if not item.get(key):
            raise ReportFileError(f"The policy {source}: `{where}` lacks `{key}`.")
    low, high = _number(item.get("min"), source, f"{where}.min"), _number(item.get("max"), source, f"{where}.max")
    if low is None and high is None:
        raise ReportFileError(f"The policy {source}: `{where}` needs `min`, `max` or both.")
    if low is not None and high is not None and low > high:
        raise ReportFileError(f"The policy {source}: `{where}` has min {low:g} above max {high:g}.")
    missing = item.get("missing", "fail")
    if missing not in ("fail", "ignore"):
        raise ReportFileError(f"The policy {source}: `{where}.missing` must be fail or ignore, not {missing!r}.")
    return Requirement(_check_id(item["check"], source, f"{where}.check"), str(item["evidence"]), low, high, missing)


def _allowance(item: Any, source: str, where: str) -> Allowance:
    if not isinstance(item, dict):
        raise ReportFileError(
            f"The policy {source}: `{where}` must be a mapping such as {{check: ND104, reason: ...}}."
        )
    _check_keys(item, ALLOW_KEYS, source, where)
    if "check" not in item:
        raise ReportFileError(f"The policy {source}: `{where}` lacks `check`.")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ReportFileError(
            f"The policy {source}: `{where}` ({item['check']}) needs a `reason`: say why the exception is accepted."
        )
    outcomes = _outcomes(item["outcomes"], source, f"{where}.outcomes") if "outcomes" in item else None
    expires = item.get("expires")
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires)
        except ValueError:
            expires = False
    if isinstance(expires, datetime.datetime):
        expires = expires.date()
    if expires is not None and not isinstance(expires, datetime.date):
        raise ReportFileError(f"The policy {source}: `{where}.expires` must be a date such as 2026-06-30.")
    return Allowance(_check_id(item["check"], source, f"{where}.check"), reason.strip(), outcomes, expires)


# ------------------------------------------------------------------------------------- evaluation


def evaluate(report: Report, policy: Policy | None = None, today: datetime.date | None = None) -> GateResult:
    """Every way `report` breaks `policy`, after the policy's accepted exceptions."""
    policy = policy or Policy()
    today = today or datetime.date.today()
    found: list[Violation] = []
    for finding in report.findings:
        if finding.outcome in policy.fail_on_for(finding.check_id):
            found.append(Violation(finding.check_id, "outcome", finding.message, finding.outcome, finding.name))
    for requirement in policy.require:
        violation = _check_requirement(report, requirement)
        if violation:
            found.append(violation)
    for check_id in policy.require_checks:
        violation = _check_required(report, check_id, found)
        if violation:
            found.append(violation)
    if report.interrupted and not policy.allow_interrupted:
        found.append(Violation(None, "interrupted", "the run was interrupted: the report is partial"))

    violations: list[Violation] = []
    exceptions: list[AppliedException] = []
    used: set[int] = set()
    for violation in found:
        allowance = _matching_allowance(policy, violation, today)
        if allowance is None:
            violations.append(violation)
        else:
            exceptions.append(AppliedException(violation, allowance))
            used.add(id(allowance))
    notes = []
    for allowance in policy.allow:
        if allowance.expired(today):
            notes.append(
                f"the exception for {allowance.check} expired on {allowance.expires}; it no longer applies "
                f"(reason was: {allowance.reason})"
            )
        elif id(allowance) not in used:
            found_finding = report.finding(allowance.check)
            if any(v.check_id == allowance.check for v in violations):
                covered = ", ".join(o.value for o in GATEABLE if o in (allowance.outcomes or ()))
                notes.append(
                    f"the exception for {allowance.check} does not cover its outcome "
                    f"{found_finding.outcome.value if found_finding else 'absent'} (it covers {covered})"
                )
            else:
                state = found_finding.outcome.value if found_finding else "not in the report"
                notes.append(
                    f"the exception for {allowance.check} was not needed ({allowance.check}: {state}); remove it?"
                )
    return GateResult(report, policy, violations, exceptions, notes)


def _matching_allowance(policy: Policy, violation: Violation, today: datetime.date) -> Allowance | None:
    for allowance in policy.allow:
        if allowance.check != violation.check_id or allowance.expired(today):
            continue
        if allowance.outcomes is None or violation.outcome in allowance.outcomes:
            return allowance
    return None


def evidence_value(finding: Finding, key: str) -> Any:
    """Evidence by dotted path (`class_counts.3`, `feature_std_range.1`); KeyError when absent."""
    node: Any = finding.evidence
    for part in key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(key)
    return node


def as_number(value: Any) -> float | None:
    """A JSON evidence value as a float ("nan"/"inf"/"-inf" strings included), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if value in ("nan", "inf", "-inf"):
        return float(value)
    return None


def _check_requirement(report: Report, req: Requirement) -> Violation | None:
    finding = report.finding(req.check)
    rule = req.describe()
    if finding is None:
        reason = f"{req.check} is not in the report, so `{rule}` cannot be checked"
        return None if req.missing == "ignore" else Violation(req.check, "require", reason)
    name = finding.name
    if finding.outcome in (Outcome.SKIP, Outcome.NOT_JUDGED, Outcome.ERROR):
        reason = f"{req.check} did not run ({finding.outcome.value}: {finding.message}), so `{rule}` cannot be checked"
        return None if req.missing == "ignore" else Violation(req.check, "require", reason, finding.outcome, name)
    try:
        raw = evidence_value(finding, req.evidence)
    except KeyError:
        reason = f"{req.check} has no evidence {req.evidence!r}, so `{rule}` cannot be checked"
        return None if req.missing == "ignore" else Violation(req.check, "require", reason, finding.outcome, name)
    value = as_number(raw)
    if value is None or math.isnan(value):
        reason = f"{req.check} {req.evidence} is {raw!r}, not a number: `{rule}` does not hold"
        return Violation(req.check, "require", reason, finding.outcome, name)
    if req.min is not None and value < req.min:
        reason = f"{req.check} {req.evidence} = {value:.4g}, below the policy minimum {req.min:g} (`{rule}`)"
        return Violation(req.check, "require", reason, finding.outcome, name)
    if req.max is not None and value > req.max:
        reason = f"{req.check} {req.evidence} = {value:.4g}, above the policy maximum {req.max:g} (`{rule}`)"
        return Violation(req.check, "require", reason, finding.outcome, name)
    return None


def _check_required(report: Report, check_id: str, found: list[Violation]) -> Violation | None:
    finding = report.finding(check_id)
    if finding is None:
        return Violation(check_id, "require_checks", f"{check_id} is required but is not in the report (deselected?)")
    if finding.outcome in (Outcome.SKIP, Outcome.NOT_JUDGED) or (
        finding.outcome == Outcome.ERROR and not any(v.check_id == check_id and v.rule == "outcome" for v in found)
    ):
        return Violation(
            check_id,
            "require_checks",
            f"{check_id} is required but did not run ({finding.outcome.value}: {finding.message})",
            finding.outcome,
            finding.name,
        )
    return None


# -------------------------------------------------------------------------------------- rendering


def _policy_label(policy: Policy) -> str:
    return policy.source if policy.source == "built-in default" else f"{Path(policy.source).stem} ({policy.source})"


def _report_label(result: GateResult) -> str:
    if result.report_source:
        return f"{result.report_source} (target {result.report.target})"
    return f"target {result.report.target}"


def _where(violation: Violation) -> str:
    if violation.check_id is None:
        return "report"
    return f"{violation.check_id} {violation.name}".strip()


def render_gate_markdown(result: GateResult) -> str:
    """The gate's verdict as Markdown (for `$GITHUB_STEP_SUMMARY` or a PR comment)."""
    from nndoctor.report.markdown import code, escape, markdown_table

    mark = "✅" if result.passed else "❌"
    lines = [
        f"## nndoctor {mark} {escape(result.summary())}",
        "",
        f"report {code(_report_label(result))} · policy {code(_policy_label(result.policy))}",
    ]
    if result.violations:
        rows = [[_where(v), v.outcome.value if v.outcome else "-", v.rule, v.reason] for v in result.violations]
        lines += ["", "**Violations**", "", *markdown_table(["check", "outcome", "rule", "why"], rows, len(rows))]
    if result.exceptions:
        rows = [
            [_where(e.violation), e.violation.outcome.value if e.violation.outcome else "-", e.allowance.reason]
            for e in result.exceptions
        ]
        lines += ["", "**Allowed by exception**", "", *markdown_table(["check", "outcome", "reason"], rows, len(rows))]
    if result.notes:
        lines += ["", "**Notes**", "", *(f"- {escape(n)}" for n in result.notes)]
    return "\n".join(lines) + "\n"


def render_gate_rich(result: GateResult) -> Any:
    """The gate's verdict as a Rich renderable."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from nndoctor.report.text import plain, visible

    parts: list[Any] = [
        Text.assemble(
            ("nndoctor gate", "nndoctor.header"),
            visible(f" · report {_report_label(result)} · policy {_policy_label(result.policy)}"),
        )
    ]
    if result.violations:
        table = Table(
            show_edge=False, pad_edge=False, header_style="nndoctor.header", title="violations", title_justify="left"
        )
        for column in ("check", "outcome", "rule", "why"):
            table.add_column(column, overflow="fold")
        for v in result.violations:
            outcome = v.outcome.value if v.outcome else "-"
            table.add_row(
                plain(_where(v)),
                plain(outcome, f"nndoctor.{outcome}" if v.outcome else ""),
                plain(v.rule),
                plain(v.reason),
            )
        parts += [Text(), table]
    if result.exceptions:
        table = Table(
            show_edge=False,
            pad_edge=False,
            header_style="nndoctor.header",
            title="allowed by exception",
            title_justify="left",
        )
        for column in ("check", "outcome", "reason"):
            table.add_column(column, overflow="fold")
        for e in result.exceptions:
            table.add_row(
                plain(_where(e.violation)),
                plain(e.violation.outcome.value if e.violation.outcome else "-"),
                plain(e.allowance.reason),
            )
        parts += [Text(), table]
    for note in result.notes:
        parts.append(Text(visible(f"note: {note}"), style="nndoctor.muted"))
    parts += [Text(), Text(visible(result.summary()), style="nndoctor.pass" if result.passed else "nndoctor.fail")]
    return Group(*parts)
