"""From a list of findings to a diagnosis: root causes first, their consequences marked as such.

Checks declare which other findings theirs can explain (`@check(..., explains=[...])`), and a
verdict may narrow or extend that for one run (`Verdict.explains`). After every check ran, a
non-passing finding explains each non-passing finding it names; a finding nothing explains is a
root cause. The advice of a consequence is withheld (kept in its evidence as `withheld_advice`)
and replaced by a pointer to its cause, because advice written for the symptom is often wrong for
the cause: "raise the learning rate" for a network whose gradients vanish.

Links between two findings that explain each other are broken in favour of the earlier family
(data before init before gradients before dynamics), which is where fixes start.

Heuristic checks (`confirmed_by`) are confirmed first: a rule of thumb (an update ratio, an init
scale, an architecture pattern) warns only when one of its confirming checks also warns or fails
in the same run, or when the check marked the deviation as extreme. Otherwise the warning becomes
a note on a pass: its message is kept, and the evidence says it was not confirmed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from nndoctor.report.model import Finding, Outcome

ACTIONABLE = (Outcome.WARN, Outcome.FAIL)


def confirm(
    findings: Sequence[Finding],
    confirmers: Mapping[str, Sequence[str]],
    extreme: Mapping[str, bool],
    stands_alone: Collection[str] = (),
    explains: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Demote unconfirmed heuristic warnings to notes on a pass (in place). A heuristic in
    `stands_alone` is demoted only when one of its confirmers ran (passed) and found nothing.
    A confirming finding that a standing fact outside the heuristic's confirmers explains (the
    loss curve's NaN that ND204 traced to the loss function) confirms nothing: the fact is its
    cause, not the rule of thumb.

    Returns, for each confirmed heuristic, the confirming findings: they are its consequences.
    """
    by_id = {f.check_id: f for f in findings}
    heuristic = {f.check_id for f in findings if confirmers.get(f.check_id) and f.outcome == Outcome.WARN}
    facts = {f.check_id for f in findings if f.outcome in ACTIONABLE and f.check_id not in heuristic}
    explains = explains or {}

    def explained_elsewhere(confirmer: str, check_id: str) -> list[str]:
        return sorted(
            fact
            for fact in facts
            if fact not in (confirmer, check_id)
            and fact not in confirmers[check_id]
            and confirmer in explains.get(fact, ())
        )

    def confirms(confirmer: str, check_id: str) -> bool:
        return confirmer in standing and not explained_elsewhere(confirmer, check_id)

    # what stands: every warn/fail that is not an unconfirmed heuristic, grown from the facts (and
    # extreme heuristics) outwards, so heuristics that only "confirm" each other do not stand
    def unopposed(check_id: str) -> bool:
        judged = (Outcome.PASS, *ACTIONABLE)
        return check_id in stands_alone and not any(
            c in by_id and by_id[c].outcome in judged for c in confirmers[check_id]
        )

    standing = {
        f.check_id
        for f in findings
        if f.outcome in ACTIONABLE and (f.check_id not in heuristic or extreme.get(f.check_id) or unopposed(f.check_id))
    }
    changed = True
    while changed:
        changed = False
        for check_id in sorted(heuristic - standing):
            if any(confirms(c, check_id) for c in confirmers[check_id]):
                standing.add(check_id)
                changed = True
    confirmed: dict[str, tuple[str, ...]] = {}
    for check_id in sorted(heuristic):
        needed = tuple(confirmers[check_id])
        if check_id in standing:
            shown = tuple(c for c in needed if confirms(c, check_id))
            if shown:
                confirmed[check_id] = shown
        else:
            causes = {c: explained_elsewhere(c, check_id) for c in needed if c in standing}
            _demote(by_id[check_id], needed, by_id, {c: f for c, f in causes.items() if f})
    return confirmed


def _demote(
    finding: Finding, needed: Sequence[str], by_id: Mapping[str, Finding], causes: Mapping[str, Sequence[str]]
) -> None:
    """A heuristic warning nothing confirmed: a note on a pass, with the reason."""
    ran = [c for c in needed if c in by_id and by_id[c].outcome == Outcome.PASS]
    reasons = [f"{', '.join(ran)} found no consequence of it"] if ran else []
    reasons += [f"{c}'s finding is explained by {', '.join(f)} instead" for c, f in causes.items()]
    why = "; ".join(reasons) or "no training experiment ran to confirm it (the default profile runs them)"
    finding.evidence = {**finding.evidence, "unconfirmed": True, "confirmed_by": list(needed)}
    finding.message = f"note, not a warning: {finding.message}; {why}"
    finding.outcome = Outcome.PASS
    finding.recommendation = None


def with_confirmations(
    explains: Mapping[str, Sequence[str]], confirmed: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """The explanation links once each confirmed heuristic explains what confirmed it, unless that
    finding names the heuristic as its own consequence (a slow loss that the optimizer's eps
    explains: the range test's "lr too low" is then the eps's doing too)."""
    links = {check_id: tuple(effects) for check_id, effects in explains.items()}
    for check_id, consequences in confirmed.items():
        own = tuple(c for c in consequences if check_id not in links.get(c, ()))
        links[check_id] = tuple(dict.fromkeys((*links.get(check_id, ()), *own)))
    return links


def link(findings: Sequence[Finding], explains: Mapping[str, Sequence[str]], asserted: Collection[str] = ()) -> None:
    """Fill `explained_by` on every finding (in place) and rewrite the consequences' advice.
    `asserted`: checks whose verdict named its consequences for this run (a cause it measured, such
    as an optimizer set to maximize): in a mutual explanation they are the cause."""
    by_id = {f.check_id: f for f in findings}
    loud = {f.check_id for f in findings if f.outcome in ACTIONABLE}
    edges = {
        (cause, effect) for cause in loud for effect in explains.get(cause, ()) if effect in loud and effect != cause
    }

    # mutual explanations: keep the direction a verdict asserted, else the earlier check id (earlier family)
    def rank(check_id: str) -> tuple[bool, str]:
        return check_id not in asserted, check_id

    edges = {(c, e) for c, e in edges if (e, c) not in edges or rank(c) < rank(e)}
    for finding in findings:
        finding.explained_by = sorted(c for c, e in edges if e == finding.check_id)
    for finding in findings:
        if not finding.explained_by:
            continue
        causes = ", ".join(f"{c} ({by_id[c].name})" for c in finding.explained_by)
        if finding.recommendation and "withheld_advice" not in finding.evidence:
            finding.evidence = {**finding.evidence, "withheld_advice": finding.recommendation}
        finding.recommendation = (
            f"This is likely a consequence of {causes}: fix that first, then re-run nndoctor; the advice for this "
            "finding alone (kept in its evidence) may not apply."
        )
