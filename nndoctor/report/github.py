"""GitHub Actions workflow annotations: `nndoctor check --format github`, like ruff's.

One `::error` (fail, error) or `::warning` (warn, not judged) line per finding to act on,
anchored at the recipe's line that defines the builder the finding concerns (`build_model` for
an init or gradient problem, `build_optimizer` for a learning rate, `build_data` for the inputs),
so GitHub shows it on the pull request's diff. Targets without a source file (the Python API, a
YAML config, a --data file) get annotations without a file, which GitHub shows on the run. A last
plain line carries the counts for the log.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import nndoctor.report.layout as layout
from nndoctor.report.format import Format
from nndoctor.report.model import Finding, Outcome, Report
from nndoctor.report.text import visible

if TYPE_CHECKING:
    from nndoctor.report.format import RenderOptions

FORMAT = Format("github", "GitHub Actions annotations", file=False, order=5)

# the builder each check's finding is about, most specific first; the first one the recipe
# defines is where the annotation goes (a recipe always defines build_model)
CONCERNS: dict[str, tuple[str, ...]] = {
    "ND101": ("build_data",),
    "ND102": ("build_data",),
    "ND103": ("build_loss", "forward", "build_model"),
    "ND104": ("build_model",),
    "ND105": ("build_model", "build_data"),
    "ND106": ("build_model", "forward"),
    "ND107": ("build_model",),
    "ND108": ("build_model", "build_loss"),
    "ND109": ("build_data",),
    "ND201": ("build_model", "build_loss"),
    "ND202": ("build_model",),
    "ND203": ("build_model",),
    "ND204": ("forward", "build_model"),
    "ND301": ("build_model",),
    "ND302": ("build_optimizer", "build_model"),
    "ND303": ("build_optimizer",),
    "ND304": ("forward", "build_model"),
    "ND305": ("build_optimizer",),
    "ND401": ("build_optimizer", "build_model"),
    "ND402": ("build_model",),
    "ND403": ("build_optimizer",),
    "ND404": ("build_optimizer",),
    "ND405": ("build_model", "build_data"),
    "ND406": ("build_model", "build_optimizer"),
}
# checks nobody mapped (plugins, new families) go by family
FAMILY_CONCERNS = {
    "ND1": ("build_data",),
    "ND2": ("build_model",),
    "ND3": ("build_model",),
    "ND4": ("build_optimizer",),
}
LEVEL = {Outcome.FAIL: "error", Outcome.ERROR: "error", Outcome.WARN: "warning", Outcome.NOT_JUDGED: "warning"}


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF are encoded (GitHub's rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: also `:` and `,`, which would end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def location(report: Report, finding: Finding) -> tuple[str, int] | None:
    """(file, line) of the builder the finding concerns, relative to the workspace; None without one."""
    builders: tuple[str, ...] = CONCERNS.get(finding.check_id) or FAMILY_CONCERNS.get(finding.check_id[:3]) or ()
    for builder in (*builders, "build_model"):
        site = report.locations.get(builder)
        if not site:
            continue
        file, _, line = site.rpartition(":")
        if file and line.isdigit():
            return _workspace_relative(file), int(line)
    return None


def _workspace_relative(file: str) -> str:
    """GitHub matches annotation paths against the repository: make absolute paths relative to
    $GITHUB_WORKSPACE (or the working directory) when they are inside it."""
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix()
    root = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def annotation(report: Report, finding: Finding, causes: list[str]) -> str:
    title = f"{finding.check_id} {finding.name}" + (f" (consequence of {', '.join(causes)})" if causes else "")
    message = finding.message
    if finding.recommendation:
        message += f"\nHow to fix: {finding.recommendation}"
    message += f"\nMore: {finding.docs}" if finding.docs else ""
    props = []
    site = location(report, finding)
    if site is not None:
        props += [f"file={escape_property(site[0])}", f"line={site[1]}"]
    props.append(f"title={escape_property(visible(title))}")
    return f"::{LEVEL[finding.outcome]} {','.join(props)}::{escape_data(visible(message))}"


def render_github(report: Report) -> str:
    lines = [
        annotation(report, finding, causes) for finding, causes in layout.detailed(report) if finding.outcome in LEVEL
    ]
    summary = layout.counts_text(report) or "no checks ran"
    lines.append(visible(f"nndoctor: {layout.verdict(report)}: {summary} ({report.target})"))
    return "\n".join(lines) + "\n"


def render(report: Report, options: RenderOptions) -> str:
    return render_github(report)
