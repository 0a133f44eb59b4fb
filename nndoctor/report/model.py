"""The report as plain data.

Nothing here imports torch: renderers, `gate` and `diff` work on reports loaded from JSON on
machines without torch. `Report.to_dict()` is the one serialization path every machine-readable
format is built from.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1

# how a Report shows itself (text, rich, html) and turns into DataFrames: filled in by
# nndoctor.report.display, which nndoctor.report's __init__ imports, so this module stays the
# bottom layer that every renderer imports and that imports none of them
DISPLAY: dict[str, Callable[..., Any]] = {}

# check families by id prefix: the catalogue's grouping and JUnit's test classes
FAMILIES = {
    "ND1": "data and setup",
    "ND2": "initialization and forward pass",
    "ND3": "gradients and updates",
    "ND4": "training dynamics",
    "ND5": "the real training loop",
}


class Outcome(str, enum.Enum):
    """What a check concluded; ordered by how bad it is (see `severity`)."""

    PASS = "pass"  # nothing to act on
    SKIP = "skip"  # not applicable, or something it needs is missing
    NOT_JUDGED = "not_judged"  # the wall-clock safety cap (or Ctrl-C) cut the experiment it needs
    WARN = "warn"  # training will likely be slow or poor
    FAIL = "fail"  # training will not work as configured
    ERROR = "error"  # the check itself could not run

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    Outcome.PASS: 0,
    Outcome.SKIP: 1,
    Outcome.NOT_JUDGED: 2,
    Outcome.WARN: 3,
    Outcome.FAIL: 4,
    Outcome.ERROR: 5,
}


@dataclass
class Table:
    """A small table of evidence (e.g. one row per layer)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Table:
        return cls(title=data["title"], columns=list(data["columns"]), rows=[list(r) for r in data["rows"]])


@dataclass
class Finding:
    """The one result every selected check yields."""

    check_id: str
    name: str
    title: str
    outcome: Outcome
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    recommendation: str | None = None
    docs: str = ""
    duration_s: float = 0.0
    explained_by: list[str] = field(default_factory=list)  # the findings this one is a consequence of

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.check_id,
            "name": self.name,
            "title": self.title,
            "outcome": self.outcome.value,
            "message": self.message,
            "evidence": self.evidence,
            "tables": [t.to_dict() for t in self.tables],
            "recommendation": self.recommendation,
            "docs": self.docs,
            "duration_s": round(self.duration_s, 4),
            "explained_by": list(self.explained_by),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            check_id=data["id"],
            name=data["name"],
            title=data.get("title", ""),
            outcome=Outcome(data["outcome"]),
            message=data["message"],
            evidence=data.get("evidence", {}),
            tables=[Table.from_dict(t) for t in data.get("tables", [])],
            recommendation=data.get("recommendation"),
            docs=data.get("docs", ""),
            duration_s=float(data.get("duration_s", 0.0)),
            explained_by=[str(x) for x in data.get("explained_by", [])],
        )


@dataclass(repr=False)
class Report:
    """Everything one run produced; what every renderer and the CI commands consume.

    In a notebook it displays itself (HTML with the pictures; `rich.print(report)` in a
    terminal), `print(report)` prints the terminal report without colour, and
    `findings_frame()` / `table_frames()` give its findings and per-layer tables as DataFrames.
    """

    target: str
    findings: list[Finding]
    nndoctor_version: str = ""
    # where the target's builders are defined ("build_model" -> "recipe.py:12"), for annotations
    locations: dict[str, str] = field(default_factory=dict)
    profile: str = "default"
    environment: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # what the run applied (RunSettings.to_dict)
    artifacts: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)
    interrupted: bool = False
    schema_version: int = SCHEMA_VERSION
    # tracebacks of experiments and checks that errored, for --debug; never serialized
    tracebacks: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    # -- display (notebooks, REPLs); the renderers register these (nndoctor.report.display) --
    def __repr__(self) -> str:
        worst = max((f.outcome for f in self.findings), key=lambda o: o.severity, default=None)
        counts = ", ".join(f"{n} {o}" for o, n in self.counts.items() if n)
        return (
            f"<nndoctor Report {self.target!r}: {counts or 'no checks'}{f' (worst: {worst.value})' if worst else ''}>"
        )

    def __str__(self) -> str:
        return str(DISPLAY["text"](self))

    def __rich__(self) -> Any:
        return DISPLAY["rich"](self)

    def _repr_html_(self) -> str:
        return str(DISPLAY["html"](self))

    def findings_frame(self) -> pd.DataFrame:
        """One row per finding (id, name, outcome, message, fix, causes), indexed by check id."""
        return DISPLAY["findings_frame"](self)

    def table_frames(self) -> dict[str, pd.DataFrame]:
        """Every evidence table (the per-layer ones indexed by layer), keyed "ND301 gradients at init"."""
        frames: dict[str, pd.DataFrame] = DISPLAY["table_frames"](self)
        return frames

    def table_frame(self, check_id: str, title: str | None = None) -> pd.DataFrame:
        """The evidence table of one check (the first, or the one titled `title`) as a DataFrame."""
        finding = self.finding(check_id)
        tables = [t for t in (finding.tables if finding else []) if title is None or t.title == title]
        if not tables:
            known = ", ".join(f"{f.check_id}: {t.title!r}" for f in self.findings for t in f.tables)
            raise KeyError(f"no table for {check_id}{f' titled {title!r}' if title else ''}; tables: {known or 'none'}")
        return DISPLAY["table_frame"](tables[0])

    @property
    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for finding in self.findings:
            counts[finding.outcome.value] += 1
        return counts

    @property
    def worst(self) -> Outcome:
        return max((f.outcome for f in self.findings), key=lambda o: o.severity, default=Outcome.PASS)

    def gated(self, fail_on: str = "fail") -> list[Finding]:
        """Findings that make `check` exit 1: fail and error, plus warn with fail_on="warn"."""
        gating = {Outcome.FAIL, Outcome.ERROR} | ({Outcome.WARN} if fail_on == "warn" else set())
        return [f for f in self.findings if f.outcome in gating]

    def finding(self, check_id: str) -> Finding | None:
        return next((f for f in self.findings if f.check_id == check_id), None)

    @property
    def root_causes(self) -> list[Finding]:
        """The warn/fail findings nothing else explains, worst first (the diagnosis)."""
        actionable = (Outcome.WARN, Outcome.FAIL)
        roots = [f for f in self.findings if f.outcome in actionable and not f.explained_by]
        return sorted(roots, key=lambda f: (-f.outcome.severity, f.check_id))

    def consequences_of(self, check_id: str) -> list[Finding]:
        return [f for f in self.findings if check_id in f.explained_by]

    def diagnosis(self) -> dict[str, Any]:
        return {
            "root_causes": [
                {"id": f.check_id, "explains": [c.check_id for c in self.consequences_of(f.check_id)]}
                for f in self.root_causes
            ]
        }

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema_version": self.schema_version,
            "nndoctor_version": self.nndoctor_version,
            "target": self.target,
            "locations": dict(self.locations),
            "profile": self.profile,
            "interrupted": self.interrupted,
            "environment": self.environment,
            "model": self.model,
            "settings": self.settings,
            "plugins": list(self.plugins),
            "summary": {"counts": self.counts, "worst": self.worst.value},
            "diagnosis": self.diagnosis(),
            "findings": [f.to_dict() for f in self.findings],
            "artifacts": self.artifacts,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }
        return to_strict_json_value(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(
            schema_version=int(data["schema_version"]),
            nndoctor_version=data.get("nndoctor_version", ""),
            target=data["target"],
            locations={str(k): str(v) for k, v in (data.get("locations") or {}).items()},
            profile=data.get("profile", ""),
            interrupted=bool(data.get("interrupted", False)),
            environment=data.get("environment", {}),
            model=data.get("model", {}),
            settings=data.get("settings", {}),
            plugins=list(data.get("plugins", [])),
            findings=[Finding.from_dict(f) for f in data["findings"]],
            artifacts=data.get("artifacts", {}),
            timings=data.get("timings", {}),
        )


def to_strict_json_value(value: Any) -> Any:
    """Make a value strict-JSON safe: non-finite floats become the strings "nan", "inf", "-inf"."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): to_strict_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_strict_json_value(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _has_surrogate(value) else value
    if value is None or isinstance(value, (bool, int)):
        return value
    # numpy scalars and other number-likes
    if hasattr(value, "item"):
        return to_strict_json_value(value.item())
    return str(value)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)
