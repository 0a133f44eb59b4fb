"""The catalogue views (`nndoctor checks`, `nndoctor explain`, the docs), all read from the
check declarations, so they cannot drift from the code. Loading them imports the check modules
only (no probes, no torch)."""

from __future__ import annotations

from typing import Any

from nndoctor.check import DOC_SECTIONS, CheckSpec
from nndoctor.registry import load_registry


def catalogue_rows(plugins: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "id": spec.id,
            "name": spec.name,
            "title": spec.title,
            "family": spec.family,
            "cost": spec.cost,
            "needs": list(spec.needs),
            "uses": list(spec.uses),
            "thresholds": dict(spec.thresholds),
            "source": spec.source,
            "explains": list(spec.explains),
        }
        for spec in load_registry(plugins=plugins, probes=False).sorted_checks()
    ]


def catalogue_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| ID | name | family | cost | checks that |", "|---|---|---|---|---|"]
    lines += [f"| {r['id']} | `{r['name']}` | {r['family']} | {r['cost']} | {r['title']} |" for r in rows]
    return "\n".join(lines) + "\n"


def explain_spec(spec: CheckSpec) -> str:
    parts = [
        f"# {spec.id} {spec.name}",
        "",
        f"**{spec.title}** · family: {spec.family} · cost: {spec.cost} · needs: {', '.join(spec.needs) or 'nothing'}"
        + (f" · uses, when the run measures it: {', '.join(spec.uses)}" if spec.uses else ""),
        "",
    ]
    for section in DOC_SECTIONS:
        parts += [f"## {section}", "", spec.sections[section], ""]
    if spec.thresholds:
        parts += ["## Thresholds", "", "| name | default |", "|---|---|"]
        parts += [f"| `{k}` | {v:g} |" for k, v in spec.thresholds.items()]
        parts += [
            "",
            f"Override them in a profile: `thresholds: {{{spec.id}: {{{next(iter(spec.thresholds))}: ...}}}}`.",
            "",
        ]
    return "\n".join(parts)


def explain_text(check_id: str, plugins: bool = True) -> str:
    return explain_spec(load_registry(plugins=plugins, probes=False).get(check_id))
