"""How checks and probes are declared and found.

A check is one decorated function; the decorator records its id, problem name, thresholds and
cost, its parameters name the probes it needs, and its docstring carries the sections that
`nndoctor explain`, the catalogue and the docs print. Built-in checks are found through the same
`nndoctor.checks` entry-point group that plugins use.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any

from nndoctor.errors import UsageError
from nndoctor.report.model import Outcome, Table

ENTRY_POINT_GROUP = "nndoctor.checks"
BUILTIN_MODULE = "nndoctor.builtin"
DOC_SECTIONS = ("What it checks", "Why it matters", "Evidence", "How to fix")
COSTS = ("static", "forward", "backward", "train")  # cumulative cost tiers, cheapest first
FAMILIES = {
    "ND1": "data and setup",
    "ND2": "initialization and forward pass",
    "ND3": "gradients and updates",
    "ND4": "training dynamics",
}
_ID_PATTERN = re.compile(r"^[A-Z]{2,}\d{3}$")
_NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class Verdict:
    """What a check function returns; the engine turns it into a `Finding`."""

    outcome: Outcome
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    recommendation: str | None = None


def passed(message: str, **evidence: Any) -> Verdict:
    return Verdict(Outcome.PASS, message, evidence)


def warned(message: str, recommendation: str | None = None, **evidence: Any) -> Verdict:
    return Verdict(Outcome.WARN, message, evidence, recommendation=recommendation)


def failed(message: str, recommendation: str | None = None, **evidence: Any) -> Verdict:
    return Verdict(Outcome.FAIL, message, evidence, recommendation=recommendation)


class Limits(Mapping[str, float]):
    """A check's thresholds (defaults overridden by the profile), readable as attributes."""

    def __init__(self, values: Mapping[str, float]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> float:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
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
    source: str = "nndoctor"

    @property
    def family(self) -> str:
        return FAMILIES.get(self.id[:3], "plugin")

    @property
    def fix(self) -> str:
        return self.sections["How to fix"]

    @property
    def default_recommendation(self) -> str:
        return self.fix.split("\n\n")[0].replace("\n", " ").strip()


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    title: str
    cost: str
    func: Callable[..., Any]


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


def check(
    id: str,  # noqa: A002 - the natural name in a declaration
    name: str,
    title: str,
    *,
    cost: str,
    thresholds: Mapping[str, float] | None = None,
) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Declare a check: parameters of the function name the probes it needs (plus `limits`)."""
    if not _ID_PATTERN.match(id):
        raise TypeError(f"check id {id!r} must look like ND123")
    if not _NAME_PATTERN.match(name):
        raise TypeError(f"check name {name!r} must be kebab-case")
    if cost not in COSTS:
        raise TypeError(f"check {id}: cost must be one of {COSTS}")

    def decorate(func: Callable[..., Verdict]) -> Callable[..., Verdict]:
        params = list(inspect.signature(func).parameters)
        spec = CheckSpec(
            id=id,
            name=name,
            title=title,
            cost=cost,
            needs=tuple(p for p in params if p != "limits"),
            thresholds=MappingProxyType(dict(thresholds or {})),
            sections=MappingProxyType(parse_sections(func.__doc__, f"check {id}")),
            func=func,
            source=func.__module__.split(".")[0],
        )
        func.__nndoctor_check__ = spec  # type: ignore[attr-defined]
        return func

    return decorate


def probe(name: str, title: str, *, cost: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a probe: an experiment run at most once per run, `func(ctx)` -> result."""
    if cost not in COSTS:
        raise TypeError(f"probe {name}: cost must be one of {COSTS}")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__nndoctor_probe__ = ProbeSpec(name=name, title=title, cost=cost, func=func)  # type: ignore[attr-defined]
        return func

    return decorate


@dataclass
class Registry:
    checks: dict[str, CheckSpec] = field(default_factory=dict)
    probes: dict[str, ProbeSpec] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)

    def add_module(self, module: ModuleType | Any, source: str) -> None:
        for obj in _walk(module):
            spec = getattr(obj, "__nndoctor_check__", None)
            if isinstance(spec, CheckSpec):
                if spec.id in self.checks and self.checks[spec.id].func is not spec.func:
                    raise UsageError(f"check id {spec.id} is defined twice ({source})")
                self.checks[spec.id] = spec
            pspec = getattr(obj, "__nndoctor_probe__", None)
            if isinstance(pspec, ProbeSpec):
                self.probes[pspec.name] = pspec
        if source not in self.plugins:
            self.plugins.append(source)

    def sorted_checks(self) -> list[CheckSpec]:
        return sorted(self.checks.values(), key=lambda s: s.id)

    def resolve(self, codes: Iterable[str], option: str) -> set[str]:
        """Check ids matched by id prefixes or names (like ruff's --select)."""
        chosen: set[str] = set()
        for raw in codes:
            code = raw.strip()
            if not code:
                continue
            if code.upper() == "ALL":
                chosen.update(self.checks)
                continue
            matches = {
                cid for cid, spec in self.checks.items() if cid.startswith(code.upper()) or spec.name == code.lower()
            }
            if not matches:
                known = ", ".join(sorted(self.checks))
                raise UsageError(
                    f"{option} {code!r} matches no check. Known check ids: {known} "
                    "(a prefix such as ND2 selects a whole family; see `nndoctor checks`)."
                )
            chosen |= matches
        return chosen

    def get(self, check_id: str) -> CheckSpec:
        spec = self.checks.get(check_id.upper())
        if spec is None:
            by_name = [s for s in self.checks.values() if s.name == check_id.lower()]
            if by_name:
                return by_name[0]
            raise UsageError(
                f"Unknown check {check_id!r}. `nndoctor checks` lists them all ({', '.join(sorted(self.checks))})."
            )
        return spec


def _walk(obj: Any, seen: set[str] | None = None) -> Iterable[Any]:
    """Objects a plugin exposes: a module's attributes, recursing into its own package's modules."""
    seen = set() if seen is None else seen
    if isinstance(obj, ModuleType):
        if obj.__name__ in seen:
            return
        seen.add(obj.__name__)
        package = obj.__name__.split(".")[0]
        for attr in getattr(obj, "__all__", None) or dir(obj):
            value = getattr(obj, attr, None)
            if isinstance(value, ModuleType):
                if value.__name__.split(".")[0] == package:
                    yield from _walk(value, seen)
            elif isinstance(value, (list, tuple)) and any(isinstance(v, ModuleType) for v in value):
                yield from _walk(value, seen)
            else:
                yield value
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _walk(item, seen)
    else:
        yield obj


_CACHE: dict[bool, Registry] = {}


def load_registry(plugins: bool = True) -> Registry:
    """All checks and probes from the `nndoctor.checks` entry points (built-ins included).

    With `plugins=False` only nndoctor's own are loaded. When nndoctor runs from a source tree
    that was never installed (no entry-point metadata), the built-in modules are imported directly.
    """
    if plugins in _CACHE:
        return _CACHE[plugins]
    from importlib import import_module
    from importlib.metadata import entry_points

    registry = Registry()
    found_builtin = False
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        is_builtin = ep.value.split(":")[0].split(".")[0] == "nndoctor"
        if not plugins and not is_builtin:
            continue
        try:
            loaded = ep.load()
        except Exception as exc:
            raise UsageError(
                f"The nndoctor plugin entry point {ep.name!r} ({ep.value}) failed to import: "
                f"{type(exc).__name__}: {exc}. Fix or uninstall the plugin, or run with "
                "--no-plugins."
            ) from exc
        registry.add_module(loaded, "nndoctor" if is_builtin else ep.name)
        found_builtin |= is_builtin
    if not found_builtin:
        registry.add_module(import_module(BUILTIN_MODULE), "nndoctor")
    _CACHE[plugins] = registry
    return registry
