"""Data for tuning the confirmation step: for every task x seed, the range test's curve reading and
held-out scores of short runs at 9 candidates, -1 .. +1 decade around it in quarter decades.

The rule's choice (3 candidates, a tie tolerance) is then simulated offline on these scores by
`tune.py`, on the TUNING tasks only; the chosen rule is what `nndoctor.lr_suggest` ships.

    OMP_NUM_THREADS=1 python -m benchmarks.lr_oracle2.confirm_sim            # all tasks, resumes
    python -m benchmarks.lr_oracle2.confirm_sim --tasks lstm --seeds 0
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lr_oracle2.tasks import TASKS, Task

HERE = Path(__file__).resolve().parent
OUT = HERE / "confirm_sim.json"


def sweep(task: Task, seed: int, probe: dict[str, Any]) -> dict[str, Any]:
    """The range test on a task/seed through the library (what `nndoctor.lr_find` runs)."""
    from nndoctor.api import run_target
    from nndoctor.settings import SettingsRequest, resolve_settings
    from nndoctor.targets import Target

    torch.manual_seed(seed)
    model = task.build_model()
    train, val = task.build_data(seed)
    target = Target(
        name=task.name,
        model=model,
        train_data=train,
        val_data=val,
        loss_fn=task.build_loss(),
        optimizer_factory=lambda params: task.build_optimizer(params, task.lr),
        forward_fn=None,
        hints=dict(task.hints),
    )
    request = SettingsRequest(select=("ND403",), seed=seed, probes={"lr_range": probe}, source="argument")
    report = run_target(target, resolve_settings(request))
    rng = report.artifacts.get("lr_range") or {}
    curve = report.artifacts.get("lr_curve") or []
    return {
        "suggestion": (rng.get("suggestion") or {}).get("lr"),
        "curve_suggestion": rng.get("curve_suggestion"),
        "confirmations": rng.get("confirmations"),
        "held_source": rng.get("held_source"),
        "lrs": [p["lr"] for p in curve],
        "losses": [p["loss"] for p in curve],
        "seconds": rng.get("seconds"),
        "peers": rng.get("peers"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-val", action="store_true", help="score on held-out training batches, not val")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = json.loads(args.out.read_text()) if args.out.exists() else {}
    wanted = [w for w in args.tasks.split(",") if w]
    for task in TASKS:
        if wanted and not any(w in task.name for w in wanted):
            continue
        for seed in (int(s) for s in args.seeds.split(",")):
            key = f"{task.name}|{seed}"
            if key in data:
                continue
            t0 = time.perf_counter()
            probe = {"confirm": 9, "confirm_spread": 0.25}
            if args.no_val:
                task_nv = task
                result = sweep_no_val(task_nv, seed, probe)
            else:
                result = sweep(task, seed, probe)
            result["wall"] = round(time.perf_counter() - t0, 2)
            data[key] = result
            args.out.write_text(json.dumps(data, indent=1))
            print(
                f"{key}: curve {result['curve_suggestion'] and result['curve_suggestion']['lr']} "
                f"-> {result['suggestion']} ({result['wall']}s)",
                flush=True,
            )
    return 0


def sweep_no_val(task: Task, seed: int, probe: dict[str, Any]) -> dict[str, Any]:
    import dataclasses

    original = task.build_data

    class NoVal:
        pass

    del NoVal
    patched = dataclasses.replace(task)
    object.__setattr__(patched, "build_data", lambda s=0: (original(s)[0], None))
    return sweep(patched, seed, probe)


if __name__ == "__main__":
    raise SystemExit(main())
