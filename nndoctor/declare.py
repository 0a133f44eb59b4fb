"""Declaring settings: `setting(...)` fields, and the one validation of values against them.

Every knob of a run is a field of a frozen dataclass declared with `setting(...)`: the run's core
settings (`CoreSettings`: seed, device, precision, ...) here, and each probe's own settings next to
the probe (`@probe(..., settings=ShortRunSettings)`). Values from every source go through
`convert` / `build_settings`, which reject unknown keys, wrong types and out-of-range values with
a message that names where the value came from and what is allowed. Never imports torch.
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
    max_data_mib: float = setting(
        64.0,
        above=0,
        help="cap in MiB on the tensors of the batches kept from each loader (at least one batch is kept)",
    )
    budget_s: float | None = setting(
        None, above=0, help="wall-clock safety cap in seconds for the training experiments (null: none)"
    )


CORE_KEYS = tuple(f.name for f in dataclasses.fields(CoreSettings))


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
