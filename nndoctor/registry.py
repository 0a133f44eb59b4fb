"""Discovery: the checks and probes a run can use, found through entry points and validated.

Built-in checks are found through the same `nndoctor.checks` entry-point group that plugins use.
Two loads exist: the catalogue (`probes=False`: check declarations only, no torch, for `checks`
and `explain`) and a run's (`probes=True`: the probe modules too, with `needs` validated against
them). Duplicate check ids and duplicate probe names are errors that name both sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from nndoctor.check import CheckSpec
from nndoctor.errors import UsageError
from nndoctor.probe import ProbeSpec

ENTRY_POINT_GROUP = "nndoctor.checks"
BUILTIN_MODULE = "nndoctor.builtin"


@dataclass
class Registry:
    checks: dict[str, CheckSpec] = field(default_factory=dict)
    probes: dict[str, ProbeSpec] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)
    with_probes: bool = True

    def add_module(self, module: ModuleType | Any, source: str) -> None:
        for obj in _walk(module):
            spec = getattr(obj, "__nndoctor_check__", None)
            if isinstance(spec, CheckSpec):
                known = self.checks.get(spec.id)
                if known is not None and known.func is not spec.func:
                    raise UsageError(
                        f"Check id {spec.id} is defined twice: in {known.func.__module__} and in "
                        f"{spec.func.__module__} ({source}). Check ids must be unique; rename one."
                    )
                self.checks[spec.id] = spec
            pspec = getattr(obj, "__nndoctor_probe__", None)
            if isinstance(pspec, ProbeSpec) and self.with_probes:
                known_probe = self.probes.get(pspec.name)
                if known_probe is not None and known_probe.func is not pspec.func:
                    raise UsageError(
                        f"Probe {pspec.name!r} is defined twice: in {known_probe.func.__module__} and in "
                        f"{pspec.func.__module__} ({source}). Probe names must be unique; rename one."
                    )
                self.probes[pspec.name] = pspec
        if source not in self.plugins:
            self.plugins.append(source)

    def validate_needs(self) -> None:
        """Every check and probe asks only for probes that exist, without cycles."""
        for spec in self.checks.values():
            missing = [n for n in (*spec.needs, *spec.uses) if n not in self.probes]
            if missing:
                raise UsageError(
                    f"Check {spec.id} ({spec.func.__module__}) needs the probe(s) {', '.join(missing)}, which no "
                    f"loaded module defines. Known probes: {', '.join(sorted(self.probes))}."
                )
        for pspec in self.probes.values():
            missing = [n for n in pspec.needs if n not in self.probes]
            if missing:
                raise UsageError(f"Probe {pspec.name} needs the unknown probe(s) {', '.join(missing)}.")
        for name in self.probes:
            self._no_cycle(name, ())

    def _no_cycle(self, name: str, chain: tuple[str, ...]) -> None:
        if name in chain:
            raise UsageError(f"Probes need each other in a cycle: {' -> '.join((*chain, name))}.")
        for need in self.probes[name].needs:
            self._no_cycle(need, (*chain, name))

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


_CACHE: dict[tuple[bool, bool], Registry] = {}


def load_registry(plugins: bool = True, probes: bool = True) -> Registry:
    """All checks (and, with `probes`, probes) from the `nndoctor.checks` entry points.

    With `plugins=False` only nndoctor's own are loaded. When nndoctor runs from a source tree
    that was never installed (no entry-point metadata), the built-in modules are imported directly.
    """
    key = (plugins, probes)
    if key in _CACHE:
        return _CACHE[key]
    from importlib.metadata import entry_points

    from nndoctor.builtin import modules as builtin_modules

    registry = Registry(with_probes=probes)
    found_builtin = False
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        is_builtin = ep.value.split(":")[0] == BUILTIN_MODULE
        if is_builtin:
            if not found_builtin:
                registry.add_module(builtin_modules(probes=probes), "nndoctor")
            found_builtin = True
            continue
        if not plugins:
            continue
        try:
            loaded = ep.load()
        except Exception as exc:
            raise UsageError(
                f"The nndoctor plugin entry point {ep.name!r} ({ep.value}) failed to import: "
                f"{type(exc).__name__}: {exc}. Fix or uninstall the plugin, or run with "
                "--no-plugins."
            ) from exc
        registry.add_module(loaded, ep.name)
    if not found_builtin:
        registry.add_module(builtin_modules(probes=probes), "nndoctor")
    if probes:
        registry.validate_needs()
    _CACHE[key] = registry
    return registry
