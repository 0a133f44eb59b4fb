"""Run settings: declared once, validated in one place, resolved once with one precedence.

Every knob of a run is declared as a field of a frozen dataclass with `setting(...)`: the run's core
settings (`CoreSettings`: seed, device, precision, ...) here, and each probe's own settings next to
the probe (`@probe(..., settings=ShortRunSettings)`). Values from every source (a profile's
`settings:` and `probes:` blocks, a YAML config's `check:` block, `[tool.nndoctor]` in
pyproject.toml, command-line options, API arguments) go through `build_settings`, which rejects
unknown keys, wrong types and out-of-range values with a message that names the file, the key and
what is allowed.

`resolve_settings` applies the one precedence, per setting: explicit argument (CLI option or API
parameter) > the config's `check:` block > `[tool.nndoctor]` > the profile > the declared default.
It runs before the target is loaded, and its result (`RunSettings`) is what the loader and every
probe receive, and what the report records.

This module never imports torch.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nndoctor.errors import SettingsError

SETTING = "nndoctor.setting"


@dataclass(frozen=True)
class SettingInfo:
    """What a declared setting accepts, beyond its type."""

    help: str = ""
    minimum: float | None = None  # inclusive
    above: float | None = None  # exclusive lower bound
    maximum: float | None = None  # inclusive
    choices: tuple[str, ...] | None = None
    pattern: str | None = None  # a regular expression a string must match in full
    words: str | None = None  # how to describe what is allowed, when a pattern would not read well

    def describe(self, kind: str) -> str:
        """'an integer >= 2', 'a number > 0 or null', 'one of fp32, bf16, fp16' ..."""
        if self.words:
            return self.words
        if self.choices:
            return "one of " + ", ".join(self.choices)
        bounds = []
        if self.minimum is not None:
            bounds.append(f">= {self.minimum:g}")
        if self.above is not None:
            bounds.append(f"> {self.above:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        text = kind + (" " + " and ".join(bounds) if bounds else "")
        if self.pattern:
            text += f" matching {self.pattern}"
        return text


def setting(
    default: Any,
    *,
    help: str = "",  # noqa: A002 - the natural word in a declaration
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    choices: Sequence[str] | None = None,
    pattern: str | None = None,
    words: str | None = None,
) -> Any:
    """Declare one setting of a settings dataclass (a dataclass field with validation metadata)."""
    info = SettingInfo(help, minimum, above, maximum, tuple(choices) if choices else None, pattern, words)
    return field(default=default, metadata={SETTING: info})


@dataclass(frozen=True)
class Declared:
    name: str
    kinds: tuple[type, ...]  # int, float, bool, str; NoneType when null is allowed
    default: Any
    info: SettingInfo

    @property
    def optional(self) -> bool:
        return type(None) in self.kinds

    def kind_word(self) -> str:
        words = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
        base = next((words[k] for k in self.kinds if k in words), "a value")
        text = self.info.describe(base)
        return text + (" or null" if self.optional else "")


def declared(cls: type) -> dict[str, Declared]:
    """The settings a dataclass declares, with their types, defaults and constraints."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Declared] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            kinds = tuple(typing.get_args(hint))
        else:
            kinds = (hint,)
        info = f.metadata.get(SETTING, SettingInfo())
        out[f.name] = Declared(f.name, kinds, f.default, info)
    return out


def _suggest(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def convert(decl: Declared, value: Any, where: str) -> Any:
    """Check one value against its declaration; numbers written as strings (YAML reads `1e-7` as a
    string) are accepted for float settings. Raises SettingsError naming `where`."""

    def bad(reason: str = "") -> SettingsError:
        shown = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
        return SettingsError(f"{where} is {shown}, but it must be {decl.kind_word()}{reason}.")

    if value is None:
        if decl.optional:
            return None
        raise bad()
    kinds = decl.kinds
    if bool in kinds:
        if isinstance(value, bool):
            return value
        raise bad()
    if isinstance(value, bool):  # True is an int to Python, never a number to a user
        raise bad()
    if int in kinds and float not in kinds:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise bad()
        number: float = value
    elif float in kinds:
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise bad() from None
        if not isinstance(value, (int, float)):
            raise bad()
        value = float(value)
        if not math.isfinite(value):
            raise bad(" (a finite number)")
        number = value
    elif str in kinds:
        if not isinstance(value, str):
            raise bad()
        if decl.info.choices and value not in decl.info.choices:
            raise bad(_suggest(value, decl.info.choices))
        if decl.info.pattern and not re.fullmatch(decl.info.pattern, value):
            raise bad()
        return value
    else:  # pragma: no cover - declarations use only the types above
        raise bad()
    info = decl.info
    if (
        (info.minimum is not None and number < info.minimum)
        or (info.above is not None and number <= info.above)
        or (info.maximum is not None and number > info.maximum)
    ):
        raise bad()
    return value


def build_settings(cls: type, values: Mapping[str, Any], label: Callable[[str], str], owner: str) -> Any:
    """An instance of the settings dataclass `cls` from `values` (unknown keys are errors).

    `label(key)` names a value in messages ("`probes.short_run.steps` in the profile p.yaml"),
    `owner` is what the settings configure ("the probe short_run").
    """
    decls = declared(cls)
    for key in values:
        if key not in decls:
            raise SettingsError(
                f"{label(str(key))} is not a setting of {owner}{_suggest(str(key), list(decls))}. "
                f"Known settings: {', '.join(decls) or 'none'}."
            )
    converted = {k: convert(decls[k], v, label(k)) for k, v in values.items()}
    return cls(**converted)


def settings_dict(instance: Any) -> dict[str, Any]:
    return {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)}


# -- the run's core settings -------------------------------------------------------------------
DEVICE_PATTERN = r"auto|cpu|cuda(:\d+)?|mps"


@dataclass(frozen=True)
class CoreSettings:
    """Settings every run has; a profile's `settings:` block and `check:` in a config set them."""

    seed: int = setting(0, minimum=0, help="seeds model building and every experiment")
    device: str = setting(
        "auto",
        pattern=DEVICE_PATTERN,
        words="one of auto, cpu, cuda, cuda:N (N a GPU index) or mps",
        help="auto, cpu, cuda or cuda:N",
    )
    precision: str = setting("fp32", choices=("fp32", "bf16", "fp16"), help="training-experiment precision")
    max_batches: int = setting(32, minimum=1, help="batches taken from each loader and kept on the device")
    budget_s: float | None = setting(
        None, above=0, help="wall-clock safety cap in seconds for the training experiments (null: none)"
    )


CORE_KEYS = tuple(f.name for f in dataclasses.fields(CoreSettings))


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


def split_codes(values: Any, where: str) -> tuple[str, ...]:
    """Check codes from a list of strings or one comma-separated string."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise SettingsError(
            f"{where} is {values!r}, but it must be a list of check ids or prefixes, e.g. [ND2, ND401]."
        )
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


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
    from nndoctor.profiles import load_profile
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
        flag = {"budget_s": "budget", "max_batches": "max-batches"}.get(key, key)
        return f"--{flag}" if layer.name == "cli" else f"the argument {key}"
    return f"{layer.where} `{key}`"
