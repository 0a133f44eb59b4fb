"""Check profiles: which checks run, with which thresholds and experiment budgets.

Shipped profiles are the YAML files in the top-level `checks/` folder, packaged inside the wheel
as `nndoctor/_profiles`. A user profile is any YAML path and may `extends:` a shipped one (or
another file). Unknown keys are errors that name the key and the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nndoctor.errors import UsageError
from nndoctor.yaml_files import load_yaml

PROFILE_KEYS = {"description", "extends", "select", "ignore", "thresholds", "settings", "probes"}
SETTINGS_KEYS = {"max_batches", "budget_s", "precision", "seed", "device"}


def profiles_dir() -> Path:
    """Where the shipped profiles live: inside the wheel, or `checks/` in a source checkout."""
    packaged = Path(__file__).parent / "_profiles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "checks"


def shipped_profiles() -> dict[str, Path]:
    return {p.stem: p for p in sorted(profiles_dir().glob("*.yaml"))}


@dataclass
class Profile:
    name: str
    description: str = ""
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""


def _read(path: Path) -> dict[str, Any]:
    data = load_yaml(path, "profile", UsageError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"The profile {path} must be a YAML mapping (keys: {', '.join(sorted(PROFILE_KEYS))}).")
    unknown = set(data) - PROFILE_KEYS
    if unknown:
        raise UsageError(
            f"The profile {path} has unknown key(s) {', '.join(sorted(unknown))}; known keys: {', '.join(sorted(PROFILE_KEYS))}."
        )
    unknown = set(data.get("settings") or {}) - SETTINGS_KEYS
    if unknown:
        raise UsageError(
            f"`settings` in the profile {path} has unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(SETTINGS_KEYS))}."
        )
    return data


def _locate(spec: str, relative_to: Path | None = None) -> Path:
    shipped = shipped_profiles()
    if spec in shipped:
        return shipped[spec]
    path = Path(spec)
    if relative_to is not None and not path.is_absolute():
        candidate = relative_to / path
        if candidate.exists():
            return candidate
    if path.suffix in (".yaml", ".yml") and path.exists():
        return path
    raise UsageError(
        f"Unknown profile {spec!r}: not a shipped profile ({', '.join(shipped)}) nor an existing .yaml file."
    )


def load_profile(spec: str, _chain: tuple[Path, ...] = ()) -> Profile:
    """Load a shipped profile by name or a user profile by path, resolving `extends:`."""
    path = _locate(spec, _chain[-1].parent if _chain else None).resolve()
    if path in _chain:
        raise UsageError(f"The profile {path} extends itself (cycle: {' -> '.join(str(p) for p in (*_chain, path))}).")
    data = _read(path)
    base = (
        load_profile(str(data["extends"]), (*_chain, path)) if data.get("extends") else Profile(name="builtin-defaults")
    )
    thresholds = {k: dict(v) for k, v in base.thresholds.items()}
    for check_id, values in (data.get("thresholds") or {}).items():
        if not isinstance(values, dict):
            raise UsageError(f"`thresholds.{check_id}` in {path} must map threshold names to numbers.")
        thresholds.setdefault(str(check_id).upper(), {}).update(values)
    probes = {k: dict(v) for k, v in base.probes.items()}
    for probe_name, values in (data.get("probes") or {}).items():
        probes.setdefault(probe_name, {}).update(values or {})
    return Profile(
        name=path.stem if path.parent == profiles_dir().resolve() else str(spec),
        description=str(data.get("description", base.description)),
        select=[str(s) for s in data.get("select", base.select)],
        ignore=[str(s) for s in data.get("ignore", base.ignore)],
        thresholds=thresholds,
        settings={**base.settings, **(data.get("settings") or {})},
        probes=probes,
        source=str(path),
    )


def validate_thresholds(profile: Profile, registry: Any) -> None:
    """Threshold names must exist on the check they configure (typos are errors, not no-ops)."""
    for check_id, values in profile.thresholds.items():
        if check_id not in registry.checks:
            raise UsageError(f"The profile {profile.source} sets thresholds for unknown check {check_id}.")
        known = registry.checks[check_id].thresholds
        unknown = set(values) - set(known)
        if unknown:
            raise UsageError(
                f"The profile {profile.source} sets unknown threshold(s) {', '.join(sorted(unknown))} for {check_id}; "
                f"known: {', '.join(sorted(known)) or 'none'}. Fix the name (`nndoctor explain {check_id}` lists them)."
            )
