"""The diagnosis step: heuristics need a standing confirmation, findings explain findings, and the
advice of a consequence points at its cause. Unit tests on hand-made findings, then one real run."""

from __future__ import annotations

from pathlib import Path

from helpers import run

from nndoctor.diagnosis import confirm, link, with_confirmations
from nndoctor.report.model import Finding, Outcome, Report

ROOT = Path(__file__).resolve().parent.parent


def finding(check_id: str, outcome: Outcome, advice: str | None = None) -> Finding:
    return Finding(check_id, "some-check", "t", outcome, f"message of {check_id}", recommendation=advice)


def test_an_unconfirmed_heuristic_becomes_a_note_on_a_pass() -> None:
    findings = [finding("ND303", Outcome.WARN, "lower the lr"), finding("ND404", Outcome.PASS)]
    assert confirm(findings, {"ND303": ("ND404",)}, {}) == {}
    note = findings[0]
    assert note.outcome == Outcome.PASS and note.message.startswith("note, not a warning: message of ND303")
    assert "ND404 found no consequence" in note.message
    assert note.evidence["unconfirmed"] is True and note.recommendation is None


def test_a_heuristic_without_any_experiment_to_confirm_it_is_a_note() -> None:
    findings = [finding("ND303", Outcome.WARN)]  # quick profile: ND404 never ran
    confirm(findings, {"ND303": ("ND404",)}, {})
    assert findings[0].outcome == Outcome.PASS and "no training experiment ran" in findings[0].message


def test_an_extreme_heuristic_stands_on_its_own() -> None:
    findings = [finding("ND303", Outcome.WARN), finding("ND404", Outcome.PASS)]
    confirm(findings, {"ND303": ("ND404",)}, {"ND303": True})
    assert findings[0].outcome == Outcome.WARN


def test_confirmation_must_be_grounded_in_a_fact() -> None:
    chain = [finding("ND202", Outcome.WARN), finding("ND301", Outcome.WARN), finding("ND402", Outcome.PASS)]
    assert confirm(chain, {"ND202": ("ND301",), "ND301": ("ND402",)}, {}) == {}
    assert [f.outcome for f in chain] == [Outcome.PASS, Outcome.PASS, Outcome.PASS]
    mutual = [finding("ND101", Outcome.WARN), finding("ND102", Outcome.WARN)]
    confirm(mutual, {"ND101": ("ND102",), "ND102": ("ND101",)}, {})
    assert [f.outcome for f in mutual] == [Outcome.PASS, Outcome.PASS]
    grounded = [finding("ND202", Outcome.WARN), finding("ND301", Outcome.WARN), finding("ND402", Outcome.FAIL)]
    assert confirm(grounded, {"ND202": ("ND301",), "ND301": ("ND402",)}, {}) == {
        "ND202": ("ND301",),
        "ND301": ("ND402",),
    }


def test_a_symptom_that_a_fact_explains_does_not_confirm_a_heuristic() -> None:
    # the short run's NaN (ND404) traced to the loss function (ND204): the update-ratio rule is not confirmed
    traced = [finding("ND204", Outcome.FAIL), finding("ND303", Outcome.WARN), finding("ND404", Outcome.FAIL)]
    assert confirm(traced, {"ND303": ("ND402", "ND404")}, {}, explains={"ND204": ("ND404",)}) == {}
    assert traced[1].outcome == Outcome.PASS and "ND404's finding is explained by ND204" in traced[1].message
    # without the fact, the same symptom confirms it
    alone = [finding("ND303", Outcome.WARN), finding("ND404", Outcome.FAIL)]
    assert confirm(alone, {"ND303": ("ND402", "ND404")}, {}, explains={}) == {"ND303": ("ND404",)}
    # a fact that is itself one of the heuristic's confirmers confirms it directly
    both = [finding("ND303", Outcome.WARN), finding("ND402", Outcome.FAIL), finding("ND404", Outcome.FAIL)]
    confirmed = confirm(both, {"ND303": ("ND402", "ND404")}, {}, explains={"ND402": ("ND404",)})
    assert confirmed == {"ND303": ("ND402", "ND404")} and both[0].outcome == Outcome.WARN


def test_consequences_point_at_their_cause_and_keep_their_own_advice_in_evidence() -> None:
    findings = [
        finding("ND301", Outcome.WARN, "use ReLU"),
        finding("ND403", Outcome.WARN, "raise the learning rate to 0.53"),
        finding("ND404", Outcome.PASS),
    ]
    link(findings, {"ND301": ("ND403", "ND404")})
    cause, effect, quiet = findings
    assert cause.explained_by == [] and quiet.explained_by == []
    assert effect.explained_by == ["ND301"]
    assert "consequence of ND301" in (effect.recommendation or "")
    assert "raise the learning rate" not in (effect.recommendation or "")
    assert effect.evidence["withheld_advice"] == "raise the learning rate to 0.53"
    report = Report(target="t", findings=findings)
    assert [f.check_id for f in report.root_causes] == ["ND301"]
    assert report.to_dict()["diagnosis"] == {"root_causes": [{"id": "ND301", "explains": ["ND403"]}]}


def test_mutual_explanations_keep_the_earlier_family_as_the_cause() -> None:
    findings = [finding("ND104", Outcome.WARN), finding("ND301", Outcome.WARN)]
    link(findings, {"ND104": ("ND301",), "ND301": ("ND104",)})
    assert findings[0].explained_by == [] and findings[1].explained_by == ["ND104"]


def test_a_confirmed_heuristic_explains_its_confirmer_unless_the_confirmer_names_the_cause() -> None:
    findings = [finding("ND403", Outcome.WARN), finding("ND404", Outcome.WARN)]
    confirmers = {"ND403": ("ND404",)}
    confirmed = confirm(findings, confirmers, {})
    assert confirmed == {"ND403": ("ND404",)}
    link(findings, with_confirmations({"ND404": ("ND405",)}, confirmed))
    assert findings[1].explained_by == ["ND403"]  # a slow loss at a low lr: the lr is the cause
    # the slow loss read the optimizer's eps and names the range test's reading as its consequence
    findings = [finding("ND403", Outcome.WARN), finding("ND404", Outcome.WARN)]
    link(findings, with_confirmations({"ND404": ("ND403", "ND405")}, confirm(findings, confirmers, {})))
    assert findings[0].explained_by == ["ND404"] and findings[1].explained_by == []


def test_a_verdict_that_names_its_consequences_wins_a_mutual_explanation() -> None:
    findings = [finding("ND402", Outcome.FAIL), finding("ND404", Outcome.FAIL)]
    link(findings, {"ND402": ("ND404",), "ND404": ("ND402",)})
    assert findings[1].explained_by == ["ND402"]  # by family order
    findings = [finding("ND402", Outcome.FAIL), finding("ND404", Outcome.FAIL)]
    link(findings, {"ND402": ("ND404",), "ND404": ("ND402",)}, asserted={"ND404"})
    assert findings[0].explained_by == ["ND404"] and findings[1].explained_by == []


def test_a_deep_plain_net_is_diagnosed_from_its_architecture() -> None:
    report = run(ROOT / "sample_models" / "broken" / "plain_deep_net.py", profile="default", seed=0)
    assert [f.check_id for f in report.root_causes] == ["ND104"]
    flat = report.finding("ND404")
    assert flat is not None and flat.explained_by and "ND104" in flat.explained_by
    assert "Raise the learning rate" not in (flat.recommendation or "")


def test_the_range_tests_verdict_needs_training_at_the_configured_lr_to_agree() -> None:
    from nndoctor.registry import load_registry

    confirmers = {
        cid: spec.confirmed_by for cid, spec in load_registry(probes=False).checks.items() if spec.confirmed_by
    }
    assert set(confirmers["ND403"]) == {"ND402", "ND404", "ND406", "ND303"}
    trains_fine = [finding("ND403", Outcome.WARN), finding("ND404", Outcome.PASS), finding("ND402", Outcome.PASS)]
    confirm(trains_fine, confirmers, {})
    assert trains_fine[0].outcome == Outcome.PASS and trains_fine[0].message.startswith("note, not a warning")
    flat = [finding("ND403", Outcome.WARN), finding("ND404", Outcome.WARN)]
    confirm(flat, confirmers, {})
    assert flat[0].outcome == Outcome.WARN
    far_off = [finding("ND403", Outcome.WARN), finding("ND404", Outcome.PASS)]
    confirm(far_off, confirmers, {"ND403": True})
    assert far_off[0].outcome == Outcome.WARN
    # one step that rewrites the weights (an extreme ND303, standing on its own) confirms it even when
    # the short run and the tiny-subset fit survived; an ND303 that itself needs confirming does not
    rewrites = [finding("ND403", Outcome.WARN), finding("ND303", Outcome.WARN), finding("ND404", Outcome.PASS)]
    confirm(rewrites, confirmers, {"ND303": True})
    assert rewrites[0].outcome == Outcome.WARN and rewrites[1].outcome == Outcome.WARN
    only_each_other = [finding("ND403", Outcome.WARN), finding("ND303", Outcome.WARN), finding("ND404", Outcome.PASS)]
    confirm(only_each_other, confirmers, {})
    assert only_each_other[0].outcome == Outcome.PASS and only_each_other[1].outcome == Outcome.PASS
    # `nndoctor lr-find` runs the range test alone: nothing refutes it, so its warning stands
    alone = [finding("ND403", Outcome.WARN)]
    confirm(alone, confirmers, {}, {"ND403"})
    assert alone[0].outcome == Outcome.WARN
    refuted = [finding("ND403", Outcome.WARN), finding("ND404", Outcome.PASS)]
    confirm(refuted, confirmers, {}, {"ND403"})
    assert refuted[0].outcome == Outcome.PASS
