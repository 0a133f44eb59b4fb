"""Run settings, resolved once with one precedence.

`resolve_settings` applies the one precedence, per setting: explicit argument (CLI option or API
parameter) > the config's `check:` block > `[tool.nndoctor]` in pyproject.toml > the profile > the
declared default (`nndoctor.declare`). It runs before the target is loaded, and its result
(`RunSettings`) is what the loader and every probe receive, and what the report records.

This module never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nndoctor.declare import (
    CORE_KEYS,
    CoreSettings,
    Declared,
    SettingInfo,
    _suggest,
    build_settings,
    convert,
    declared,
    settings_dict,
    split_codes,
)
from nndoctor.errors import SettingsError
from nndoctor.profiles import load_profile


@dataclass(frozen=True)
class SettingsRequest:
    """What was asked for explicitly (CLI options, API arguments); None means 'not given'."""

    profile: str | None = None
    select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    plugins: bool | None = None
    seed: int | None = None
    device: str | None = None
    precision: str | None = None
    max_batches: int | None = None
    max_data_mib: float | None = None
    budget_s: float | None = None
    probes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # e.g. lr-find's sweep options
    labels: Mapping[str, str] = field(default_factory=dict)  # "lr_range.steps" -> "--steps", for messages
    source: str = "option"  # how messages name these values: "option" (CLI) or "argument" (API)

    def core(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in CORE_KEYS if getattr(self, k) is not None}


@dataclass(frozen=True)
class Layer:
    """One level of the precedence: where its values come from and the values."""

    name: str  # cli | api | config | project | profile | default
    where: str  # how to name it in a message, e.g. "`check:` in nndoctor.yaml"
    values: Mapping[str, Any]


@dataclass(frozen=True)
class RunSettings:
    """The settings a run applies, resolved once; frozen so no probe can change them."""

    profile: str = "default"
    profile_path: str = ""
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    plugins: bool = True
    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"
    max_batches: int = 32
    max_data_mib: float = 64.0
    budget_s: float | None = None
    probes: Mapping[str, Any] = field(default_factory=dict)  # probe name -> its settings dataclass
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # check id -> overrides
    sources: Mapping[str, str] = field(default_factory=dict)  # setting -> the level that set it

    def probe(self, name: str) -> Any:
        return self.probes[name]

    def to_dict(self) -> dict[str, Any]:
        """What the report records: every applied value and where it came from."""
        return {
            "profile": self.profile,
            "profile_path": self.profile_path,
            "select": list(self.select),
            "ignore": list(self.ignore),
            "plugins": self.plugins,
            **{k: getattr(self, k) for k in CORE_KEYS},
            "probes": {name: settings_dict(s) for name, s in sorted(self.probes.items())},
            "sources": dict(self.sources),
        }


def resolve_settings(
    request: SettingsRequest,
    *,
    config: Layer | None = None,
    project: Layer | None = None,
    registry: Any = None,
) -> RunSettings:
    """The one resolution of a run's settings (precedence in the module docstring).

    `config` is a YAML config's `check:` block, `project` the `[tool.nndoctor]` table; both are
    read (not built) before the target is loaded. The registry supplies the probe and check
    declarations that profiles are validated against.
    """
    from nndoctor.registry import load_registry

    explicit = Layer("cli" if request.source == "option" else "api", "", request.core())
    upper = [layer for layer in (config, project) if layer is not None]
    for layer in upper:
        _check_layer_keys(layer)

    plugins = request.plugins
    for layer in upper:
        if plugins is None and "plugins" in layer.values:
            plugins = convert(
                Declared("plugins", (bool,), True, SettingInfo()), layer.values["plugins"], _at(layer, "plugins")
            )
    plugins = True if plugins is None else plugins
    registry = registry if registry is not None else load_registry(plugins=plugins)

    profile_spec, profile_source = request.profile, explicit.name
    for layer in upper:
        if profile_spec is None and layer.values.get("profile") is not None:
            value = layer.values["profile"]
            if not isinstance(value, str):
                raise SettingsError(f"{_at(layer, 'profile')} is {value!r}, but it must be a profile name or path.")
            profile_spec, profile_source = value, layer.name
    profile = load_profile(profile_spec or "default", registry)
    sources: dict[str, str] = {"profile": profile_source if profile_spec else "default"}

    decls = declared(CoreSettings)
    layers = [explicit, *upper, Layer("profile", f"`settings:` in the profile {profile.source}", profile.settings)]
    core: dict[str, Any] = {}
    for key, decl in decls.items():
        for layer in layers:
            if key in layer.values and layer.values[key] is not None:
                core[key] = convert(decl, layer.values[key], _at(layer, key))
                sources[key] = layer.name
                break
        else:
            core[key] = decl.default
            sources[key] = "default"

    select: tuple[str, ...] | None = None
    if request.select:
        select, sources["select"] = tuple(request.select), explicit.name
    for layer in upper:
        if select is None and layer.values.get("select"):
            select, sources["select"] = split_codes(layer.values["select"], _at(layer, "select")), layer.name
    if select is None:
        select, sources["select"] = tuple(profile.select), "profile"
    ignore = list(profile.ignore)
    for layer in reversed(upper):
        ignore += split_codes(layer.values.get("ignore"), _at(layer, "ignore"))
    ignore += list(request.ignore or ())

    probes: dict[str, Any] = {}
    word = "option" if request.source == "option" else "argument"
    for name, spec in registry.probes.items():
        if spec.settings is None:
            continue
        from_profile = dict(profile.probes.get(name, {}))
        given = dict(request.probes.get(name, {}))
        # explicit values are checked first, so a message names them as the user gave them
        build_settings(spec.settings, given, _explicit_label(request, name, word), f"the probe {name}")
        probes[name] = build_settings(
            spec.settings, {**from_profile, **given}, _profile_label(name), f"the probe {name}"
        )
    unknown = set(request.probes) - set(probes)
    if unknown:
        raise SettingsError(
            f"No probe named {sorted(unknown)[0]!r} takes settings; known: {', '.join(sorted(probes))}."
        )

    return RunSettings(
        profile=profile.name,
        profile_path=profile.source,
        select=select,
        ignore=tuple(ignore),
        plugins=plugins,
        probes=probes,
        thresholds=profile.thresholds,
        sources=sources,
        **core,
    )


# keys a config's `check:` block and `[tool.nndoctor]` may set besides the core settings
LAYER_KEYS = ("profile", "select", "ignore", "plugins", *CORE_KEYS)
LAYER_ALIASES = {"budget": "budget_s"}


def normalize_layer(values: Mapping[str, Any], where: str, extra: Sequence[str] = ()) -> dict[str, Any]:
    """A `check:` block or `[tool.nndoctor]` table with aliases applied and unknown keys rejected."""
    if not isinstance(values, Mapping):
        raise SettingsError(f"{where} must be a mapping of settings, e.g. {{profile: quick, seed: 0}}.")
    out: dict[str, Any] = {}
    known = (*LAYER_KEYS, *LAYER_ALIASES, *extra)
    for key, value in values.items():
        if key not in known:
            raise SettingsError(
                f"{where} sets `{key}`, which nndoctor does not know{_suggest(str(key), known)}. "
                f"Known keys: {', '.join(known)}."
            )
        out[LAYER_ALIASES.get(key, key)] = value
    return out


def _explicit_label(request: SettingsRequest, probe: str, word: str) -> Callable[[str], str]:
    return lambda key: request.labels.get(f"{probe}.{key}", f"the {word} {probe}.{key}")


def _profile_label(probe: str) -> Callable[[str], str]:
    return lambda key: f"`probes.{probe}.{key}`"


def _check_layer_keys(layer: Layer) -> None:
    for key in layer.values:
        if key not in LAYER_KEYS and key not in ("target", "policy"):
            raise SettingsError(f"{layer.where} sets `{key}`, which is not a run setting.")


def _at(layer: Layer, key: str) -> str:
    if layer.name in ("cli", "api"):
        flag = {"budget_s": "budget", "max_batches": "max-batches", "max_data_mib": "max-data-mib"}.get(key, key)
        return f"--{flag}" if layer.name == "cli" else f"the argument {key}"
    return f"{layer.where} `{key}`"
