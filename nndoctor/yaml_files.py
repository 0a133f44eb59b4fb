"""Reading the YAML files users hand nndoctor (configs, profiles, policies) with one set of errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nndoctor.errors import NndoctorError


def load_yaml(path: Path, what: str, error: type[NndoctorError], missing_hint: str = "") -> Any:
    """`yaml.safe_load` a file; unreadable files and syntax errors raise `error` naming file:line."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"The {what} {path} does not exist.{' ' + missing_hint if missing_hint else ''}") from None
    except IsADirectoryError:
        raise error(f"The {what} {path} is a directory, not a YAML file.") from None
    except UnicodeDecodeError:
        raise error(f"The {what} {path} is not UTF-8 text.") from None
    except OSError as exc:
        raise error(f"Cannot read the {what} {path}: {exc.strerror or exc}.") from None
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise error(f"The {what} {path} is nested too deeply to be read.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"The {what} {where} is not valid YAML: {problem}. Fix the syntax there.") from None
