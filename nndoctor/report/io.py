"""Read a JSON report back, checked against the published schema with plain Python.

`gate` and `diff` run on CI machines that may lack torch and jsonschema, and their exit code 2
("this file is not a report I can read") must come with a message that names the file and the
problem. The checks are driven by `schema.json` itself (the small subset of JSON Schema it uses),
so the loader and the published schema cannot drift apart.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from nndoctor.errors import ReportFileError
from nndoctor.report.model import SCHEMA_VERSION, Report

# the JSON Schema keywords `validate` understands; the tests check schema.json uses no others
SUPPORTED_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$ref",
        "title",
        "description",
        "type",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "const",
        "enum",
        "anyOf",
        "minimum",
        "pattern",
    }
)

_TYPE_WORDS = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


@functools.lru_cache(maxsize=1)
def report_schema() -> dict[str, Any]:
    """The published JSON Schema of the report (`nndoctor/report/schema.json`)."""
    return json.loads(resources.files("nndoctor.report").joinpath("schema.json").read_text(encoding="utf-8"))


def load_report(path: str | Path) -> Report:
    """Read and validate a JSON report; any problem is a ReportFileError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReportFileError(f"The report {path} does not exist.") from None
    except IsADirectoryError:
        raise ReportFileError(f"The report {path} is a directory, not a JSON file.") from None
    except OSError as exc:
        raise ReportFileError(f"Cannot read the report {path}: {exc.strerror or exc}.") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportFileError(f"The report {path} is not UTF-8 text; is it a JSON report?") from None
    if not text.strip():
        raise ReportFileError(f"The report {path} is empty; write one with `nndoctor check --json {path}`.")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ReportFileError(
            f"The report {path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            f"Write one with `nndoctor check --json {path}`."
        ) from None
    except ValueError as exc:  # a bare NaN/Infinity, refused by _reject_constant
        raise ReportFileError(f"The report {path} is not strict JSON: {exc}.") from None
    except RecursionError:
        raise ReportFileError(
            f"The report {path} is nested too deeply to be an nndoctor report (lists or objects inside each other "
            "thousands of levels deep)."
        ) from None
    try:
        return report_from_data(data, str(path))
    except RecursionError:
        raise ReportFileError(f"The report {path} is nested too deeply to be an nndoctor report.") from None


def report_from_data(data: Any, source: str = "<report>") -> Report:
    """Validate already-parsed JSON (schema version first, then structure) and build the Report."""
    if not isinstance(data, dict):
        raise ReportFileError(f"The report {source} must be a JSON object, not {_describe(data)}.")
    if "schema_version" not in data:
        raise ReportFileError(
            f"The report {source} has no schema_version: it is not an nndoctor report "
            "(write one with `nndoctor check --json FILE`)."
        )
    version = data["schema_version"]
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise ReportFileError(
            f"The report {source} has schema_version {json.dumps(version)}; this nndoctor reads "
            f"schema_version {SCHEMA_VERSION}. Regenerate the report with this version of nndoctor."
        )
    problem = validate(data, report_schema())
    if problem:
        where, what = problem
        raise ReportFileError(f"The report {source} is malformed: {_name_path(where, data)} {what}.")
    seen: set[str] = set()
    for finding in data["findings"]:
        if finding["id"] in seen:
            raise ReportFileError(f"The report {source} is malformed: check {finding['id']} has more than one finding.")
        seen.add(finding["id"])
    return Report.from_dict(data)


def validate(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None) -> tuple[list[Any], str] | None:
    """The first place where `value` breaks `schema`: (path, problem), or None when it conforms."""
    root = schema if root is None else root
    return _check(value, schema, root, [])


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], path: list[Any]) -> tuple[list[Any], str] | None:
    if "$ref" in schema:
        return _check(value, _resolve(schema["$ref"], root), root, path)
    if "anyOf" in schema and all(_check(value, option, root, path) for option in schema["anyOf"]):
        return path, f"is {_describe(value)}, not {_expected(schema)}"
    if "const" in schema and not _same(value, schema["const"]):
        return path, f"must be {json.dumps(schema['const'])}, not {_short(value)}"
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        return path, f"must be one of {', '.join(map(str, schema['enum']))}, not {_short(value)}"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, t) for t in types):
            return path, f"must be {' or '.join(_TYPE_WORDS[t] for t in types)}, not {_describe(value)}"
    if "minimum" in schema and _is_type(value, "number") and value < schema["minimum"]:
        return path, f"must be at least {schema['minimum']}, not {_short(value)}"
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        return path, f"{_short(value)} does not match the pattern {schema['pattern']}"
    if isinstance(value, dict):
        missing = [key for key in schema.get("required", []) if key not in value]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            return path, f"lacks the required field{plural} {', '.join(repr(k) for k in missing)}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra)
            if isinstance(sub, dict):
                problem = _check(item, sub, root, [*path, key])
                if problem:
                    return problem
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problem = _check(item, schema["items"], root, [*path, index])
            if problem:
                return problem
    return None


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, not {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    return isinstance(value, kinds[name])


def _same(value: Any, expected: Any) -> bool:
    # JSON equality: true is not 1
    if _is_type(value, "number") and _is_type(expected, "number"):
        return value == expected
    return type(value) is type(expected) and value == expected


def _expected(schema: dict[str, Any]) -> str:
    words = []
    for option in schema["anyOf"]:
        if "type" in option:
            words.append(_TYPE_WORDS[option["type"]])
        elif "enum" in option:
            words.append(" / ".join(json.dumps(v) for v in option["enum"]))
    return " or ".join(words) or "an allowed value"


def _describe(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name) and not (name == "integer" and isinstance(value, float)):
            return (
                f"{_TYPE_WORDS[name]} ({_short(value)})"
                if name in ("integer", "number", "string")
                else _TYPE_WORDS[name]
            )
    return type(value).__name__


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _name_path(path: list[Any], data: dict[str, Any]) -> str:
    """`findings[3] (ND201).outcome`: the check id makes the place easy to find in the file."""
    if not path:
        return "the top level"
    text = ""
    for index, part in enumerate(path):
        if isinstance(part, int):
            text += f"[{part}]"
            if index == 1 and path[0] == "findings":
                finding = data["findings"][part]
                if isinstance(finding, dict) and isinstance(finding.get("id"), str):
                    text += f" ({finding['id']})"
        else:
            text += f".{part}" if text else str(part)
    return f"`{text}`"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"it contains a bare {name}; nndoctor reports encode non-finite numbers as strings")
