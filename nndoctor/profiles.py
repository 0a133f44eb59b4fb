"""Check profiles: which checks run, with which thresholds and experiment settings.

Shipped profiles are the YAML files in the top-level `checks/` folder, packaged inside the wheel
as `nndoctor/_profiles`. A user profile is any YAML path and may `extends:` a shipped one (or
another file). Every file is validated as it is read, against the declarations of the checks
(thresholds) and probes (settings): an unknown key, a wrong type or an out-of-range value is a
`SettingsError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nndoctor.declare import CORE_KEYS, CoreSettings, Declared, SettingInfo, convert, declared, split_codes
from nndoctor.errors import SettingsError
from nndoctor.yaml_files import load_yaml

PROFILE_KEYS = ("description", "extends", "select", "ignore", "thresholds", "settings", "probes")
THRESHOLD = Declared("threshold", (float,), None, SettingInfo())


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


def _unknown(key: str, known: list[str] | tuple[str, ...], where: str, what: str) -> SettingsError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return SettingsError(f"{where} sets `{key}`, which is not {what}{hint}. Known keys: {', '.join(known) or 'none'}.")


def _mapping(value: Any, where: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(f"{where} must be a mapping, not {type(value).__name__}.")
    return value


# (path, mtime, size, registry) -> (registry, validated contents): every run resolves its profile's
# chain, and parsing and validating the shipped YAML was most of a small lr_find call's fixed cost
_READ_CACHE: dict[tuple[str, int, int, int], tuple[Any, dict[str, Any]]] = {}


def _read(path: Path, registry: Any) -> dict[str, Any]:
    """One profile file, validated and with typed values (read again only when the file changed)."""
    try:
        stat = path.stat()
    except OSError:
        return _validate(path, registry)  # load_yaml names the problem
    key = (str(path), stat.st_mtime_ns, stat.st_size, id(registry))
    hit = _READ_CACHE.get(key)
    if hit is None or hit[0] is not registry:
        hit = (registry, _validate(path, registry))
        _READ_CACHE[key] = hit
    return copy.deepcopy(hit[1])


def _validate(path: Path, registry: Any) -> dict[str, Any]:
    where = f"The profile {path}"
    data = load_yaml(path, "profile", SettingsError)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{where} must be a YAML mapping (keys: {', '.join(PROFILE_KEYS)}).")
    for key in data:
        if key not in PROFILE_KEYS:
            raise _unknown(str(key), PROFILE_KEYS, where, "a profile key")
    out: dict[str, Any] = {}
    for key in ("description", "extends"):
        if key in data and data[key] is not None:
            if not isinstance(data[key], str):
                raise SettingsError(f"`{key}` in the profile {path} must be a string, not {data[key]!r}.")
            out[key] = data[key]
    for key in ("select", "ignore"):
        if key in data:
            codes = split_codes(data[key], f"`{key}` in the profile {path}")
            registry.resolve(codes, f"`{key}` in the profile {path}")  # unknown codes are errors here
            out[key] = list(codes)
    settings = _mapping(data.get("settings"), f"`settings` in the profile {path}")
    core = declared(CoreSettings)
    out["settings"] = {}
    for key, value in settings.items():
        if key not in core:
            raise _unknown(str(key), CORE_KEYS, f"`settings` in the profile {path}", "a run setting")
        out["settings"][key] = convert(core[key], value, f"`settings.{key}` in the profile {path}")
    out["thresholds"] = {}
    for check_id, values in _mapping(data.get("thresholds"), f"`thresholds` in the profile {path}").items():
        cid = str(check_id).upper()
        spec = registry.checks.get(cid)
        if spec is None:
            raise _unknown(str(check_id), sorted(registry.checks), f"`thresholds` in the profile {path}", "a check id")
        parsed = {}
        for name, value in _mapping(values, f"`thresholds.{cid}` in the profile {path}").items():
            if name not in spec.thresholds:
                raise _unknown(
                    str(name),
                    list(spec.thresholds),
                    f"`thresholds.{cid}` in the profile {path}",
                    f"a threshold of {cid} (`nndoctor explain {cid}` lists them)",
                )
            parsed[name] = convert(THRESHOLD, value, f"`thresholds.{cid}.{name}` in the profile {path}")
        out["thresholds"][cid] = parsed
    out["probes"] = {}
    takes = {name: spec.settings for name, spec in registry.probes.items() if spec.settings is not None}
    for probe_name, values in _mapping(data.get("probes"), f"`probes` in the profile {path}").items():
        if probe_name not in takes:
            raise _unknown(str(probe_name), sorted(takes), f"`probes` in the profile {path}", "a probe with settings")
        decls = declared(takes[probe_name])
        parsed = {}
        for key, value in _mapping(values, f"`probes.{probe_name}` in the profile {path}").items():
            if key not in decls:
                raise _unknown(
                    str(key), list(decls), f"`probes.{probe_name}` in the profile {path}", f"a setting of {probe_name}"
                )
            parsed[key] = convert(decls[key], value, f"`probes.{probe_name}.{key}` in the profile {path}")
        out["probes"][probe_name] = parsed
    return out


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
    raise SettingsError(
        f"Unknown profile {spec!r}: not a shipped profile ({', '.join(shipped)}) nor an existing .yaml file."
    )


def load_profile(spec: str, registry: Any, _chain: tuple[Path, ...] = ()) -> Profile:
    """Load a shipped profile by name or a user profile by path, resolving `extends:`."""
    path = _locate(spec, _chain[-1].parent if _chain else None).resolve()
    if path in _chain:
        raise SettingsError(
            f"The profile {path} extends itself (cycle: {' -> '.join(str(p) for p in (*_chain, path))})."
        )
    data = _read(path, registry)
    base = load_profile(data["extends"], registry, (*_chain, path)) if data.get("extends") else Profile("builtin")
    thresholds = {k: dict(v) for k, v in base.thresholds.items()}
    for check_id, values in data["thresholds"].items():
        thresholds.setdefault(check_id, {}).update(values)
    probes = {k: dict(v) for k, v in base.probes.items()}
    for probe_name, values in data["probes"].items():
        probes.setdefault(probe_name, {}).update(values)
    return Profile(
        name=path.stem if path.parent == profiles_dir().resolve() else str(spec),
        description=data.get("description", base.description),
        select=data.get("select", base.select),
        ignore=data.get("ignore", base.ignore),
        thresholds=thresholds,
        settings={**base.settings, **data["settings"]},
        probes=probes,
        source=str(path),
    )
