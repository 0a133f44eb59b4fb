"""The authoring API for checks: verdicts, the `@check` declaration and typed thresholds.

A check is one decorated function. The decorator records its id, problem name, one-line title,
cost tier, thresholds and the findings it explains; the function's parameters name the probes it
needs (plus `limits` for its thresholds), and a parameter that defaults to `None` names a probe it
*uses* when the run measures that probe's inputs anyway (see `CheckSpec.uses`); its docstring carries the sections that `nndoctor
explain`, the catalogue and the docs print. Declarations are validated when the module is
imported, so a malformed check never reaches a run.

Check modules import no torch at module level: the catalogue (`nndoctor checks`, `explain`) reads
these declarations without loading the probes.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from nndoctor.errors import Skip
from nndoctor.report.model import FAMILIES, Outcome, Table

__all__ = [
    "COSTS",
    "DOC_SECTIONS",
    "CheckSpec",
    "Skip",
    "Table",
    "Thresholds",
    "Verdict",
    "check",
    "failed",
    "passed",
    "warned",
]

DOC_SECTIONS = ("What it checks", "Why it matters", "Evidence", "How to fix")
COSTS = ("static", "forward", "backward", "train")  # cumulative cost tiers, cheapest first
ID_PATTERN = re.compile(r"^[A-Z]{2,}\d{3}$")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class Verdict:
    """What a check function returns; the engine turns it into a `Finding`."""

    outcome: Outcome
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    recommendation: str | None = None
    explains: tuple[str, ...] | None = None  # this run's links (None: the check's declared `explains`)
    extreme: bool = False  # a heuristic's deviation so large that it stands without confirmation


def _verdict(
    outcome: Outcome,
    message: str,
    evidence: Mapping[str, Any] | None,
    fix: str | None,
    tables: Sequence[Table],
    explains: Sequence[str] | None = None,
    extreme: bool = False,
) -> Verdict:
    if evidence is not None and not isinstance(evidence, Mapping):
        raise TypeError(f"evidence must be a mapping, not {type(evidence).__name__}")
    links = tuple(explains) if explains is not None else None
    return Verdict(outcome, message, dict(evidence or {}), list(tables), fix, links, extreme)


def passed(message: str, evidence: Mapping[str, Any] | None = None, *, tables: Sequence[Table] = ()) -> Verdict:
    return _verdict(Outcome.PASS, message, evidence, None, tables)


def warned(
    message: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    fix: str | None = None,
    tables: Sequence[Table] = (),
    explains: Sequence[str] | None = None,
    extreme: bool = False,
) -> Verdict:
    """Training will likely be slow or poor; `fix` overrides the check's default recommendation,
    `explains` the findings it declares it explains (for this run). A heuristic check (one that
    declares `confirmed_by`) warns only when a confirming experiment shows the consequence, unless
    `extreme` says the deviation stands on its own."""
    return _verdict(Outcome.WARN, message, evidence, fix, tables, explains, extreme)


def failed(
    message: str,
    evidence: Mapping[str, Any] | None = None,
    *,
    fix: str | None = None,
    tables: Sequence[Table] = (),
    explains: Sequence[str] | None = None,
) -> Verdict:
    """Training will not work as configured."""
    return _verdict(Outcome.FAIL, message, evidence, fix, tables, explains)


class Thresholds(Mapping[str, float]):
    """A check's thresholds (declared defaults overridden by the profile), readable as attributes."""

    def __init__(self, values: Mapping[str, float]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> float:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    name: str
    title: str
    cost: str
    needs: tuple[str, ...]
    thresholds: Mapping[str, float]
    sections: Mapping[str, str]
    func: Callable[..., Verdict]
    explains: tuple[str, ...] = ()  # check ids whose non-pass findings this one's can cause
    confirmed_by: tuple[str, ...] = ()  # a heuristic: its warning needs one of these to warn/fail too
    stands_alone: bool = False  # ... unless none of them ran (see `check`)
    source: str = "nndoctor"
    # probes read only when every probe they need is needed by the run anyway (None otherwise): a
    # quick check's ND204 looks at the short run's NaN without making quick run the short run
    uses: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return FAMILIES.get(self.id[:3], "plugin")

    @property
    def fix(self) -> str:
        return self.sections["How to fix"]

    @property
    def default_recommendation(self) -> str:
        return self.fix.split("\n\n")[0].replace("\n", " ").strip()

    @property
    def wants_limits(self) -> bool:
        return "limits" in inspect.signature(self.func).parameters


def parse_sections(doc: str | None, where: str) -> dict[str, str]:
    """Split a check docstring into its titled sections ("What it checks:" ...)."""
    text = inspect.cleandoc(doc or "")
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        heading = line.rstrip(":").strip()
        if line.endswith(":") and heading in DOC_SECTIONS:
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = heading, []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    missing = [s for s in DOC_SECTIONS if not sections.get(s)]
    if missing:
        raise TypeError(f"{where}: docstring lacks the section(s) {', '.join(missing)}")
    return sections


def _validated_thresholds(check_id: str, thresholds: Mapping[str, float] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in (thresholds or {}).items():
        if not NAME_PATTERN.match(key.replace("_", "-")):
            raise TypeError(f"check {check_id}: threshold name {key!r} must be snake_case")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeError(f"check {check_id}: threshold {key} must be a finite number, not {value!r}")
        out[key] = float(value)
    return out


def check(
    id: str,  # noqa: A002 - the natural name in a declaration
    name: str,
    title: str,
    *,
    cost: str,
    thresholds: Mapping[str, float] | None = None,
    explains: Sequence[str] = (),
    confirmed_by: Sequence[str] = (),
    stands_alone: bool = False,
) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Declare a check: parameters of the function name the probes it needs (plus `limits`).

    `explains`: the checks whose warn/fail findings this check's warn/fail finding can cause (the
    diagnosis shows those as its consequences). `confirmed_by`: makes the check a heuristic, a rule
    of thumb whose warning stands only when one of these checks also warns or fails in the same
    run (or the verdict is `extreme`); otherwise it is shown as a note on a pass. `stands_alone`: a
    heuristic backed by an experiment of its own (the LR range test), whose warning stands when
    none of its confirming checks ran; only one that ran and found nothing demotes it.
    """
    if not ID_PATTERN.match(id):
        raise TypeError(f"check id {id!r} must look like ND123")
    if not NAME_PATTERN.match(name):
        raise TypeError(f"check name {name!r} must be kebab-case")
    if cost not in COSTS:
        raise TypeError(f"check {id}: cost must be one of {COSTS}")
    for other in (*explains, *confirmed_by):
        if not ID_PATTERN.match(other) or other == id:
            raise TypeError(f"check {id}: explains/confirmed_by {other!r} must name another check id")
    values = _validated_thresholds(id, thresholds)

    def decorate(func: Callable[..., Verdict]) -> Callable[..., Verdict]:
        signature = inspect.signature(func).parameters
        optional = tuple(p for p, info in signature.items() if p != "limits" and info.default is None)
        spec = CheckSpec(
            id=id,
            name=name,
            title=title,
            cost=cost,
            needs=tuple(p for p in signature if p != "limits" and p not in optional),
            uses=optional,
            thresholds=MappingProxyType(values),
            sections=MappingProxyType(parse_sections(func.__doc__, f"check {id}")),
            func=func,
            explains=tuple(explains),
            confirmed_by=tuple(confirmed_by),
            stands_alone=stands_alone,
            source=func.__module__.split(".")[0],
        )
        func.__nndoctor_check__ = spec  # type: ignore[attr-defined]
        return func

    return decorate
