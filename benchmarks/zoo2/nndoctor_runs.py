"""Run `nndoctor check` (default profile, one thread) once on each zoo2 recipe and tabulate it.

Each recipe runs in its own process, exactly as a user would run it:

    OMP_NUM_THREADS=1 nndoctor check benchmarks/zoo2/<recipe>.py --json <reports>/<recipe>.json

The JSON reports are kept (default folder benchmarks/zoo2/reports/); this prints, per recipe,
the outcome counts, nndoctor's own total time, the process wall and CPU time, and every warn,
fail or error with its id and message. `--summarize` only re-reads existing reports.

    OMP_NUM_THREADS=1 python benchmarks/zoo2/nndoctor_runs.py            # every recipe
    python benchmarks/zoo2/nndoctor_runs.py --summarize                  # tables from the JSON
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ZOO2 = Path(__file__).resolve().parent
LOUD = ("warn", "fail", "error")


def recipes(zoo: Path) -> list[str]:
    skip = {"learns", "nndoctor_runs"}
    return sorted(p.stem for p in zoo.glob("*.py") if not p.name.startswith("_") and p.stem not in skip)


def run(zoo: Path, name: str, reports: Path) -> dict[str, Any]:
    exe = shutil.which("nndoctor") or str(Path(sys.executable).with_name("nndoctor"))
    out = reports / f"{name}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        [exe, "check", str(zoo / f"{name}.py"), "--json", str(out)], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    (reports / f"{name}.log").write_text(proc.stdout + proc.stderr)
    return {"recipe": name, "rc": proc.returncode, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}


def summarize(name: str, reports: Path, process: dict[str, Any] | None) -> dict[str, Any]:
    path = reports / f"{name}.json"
    if not path.exists():
        return {"recipe": name, "missing": True, **(process or {})}
    report = json.loads(path.read_text())
    counts = report["summary"]["counts"]
    loud = [(f["id"], f["outcome"], f["message"]) for f in report["findings"] if f["outcome"] in LOUD]
    total = report.get("timings", {}).get("total")
    return {"recipe": name, "counts": counts, "total_s": total, "loud": loud, **(process or {})}


def main(zoo: Path = ZOO2) -> None:
    """The runs for the recipes in `zoo` (zoo3's script calls this with its own folder)."""
    parser = argparse.ArgumentParser(description=f"Run nndoctor check once on each recipe in {zoo.name}")
    parser.add_argument("names", nargs="*")
    parser.add_argument("--reports", type=Path, default=zoo / "reports")
    parser.add_argument("--summarize", action="store_true", help="only read the existing JSON reports")
    args = parser.parse_args()
    args.reports.mkdir(parents=True, exist_ok=True)
    names = args.names or recipes(zoo)
    processes: dict[str, dict[str, Any]] = {}
    timing_file = args.reports / "process_times.json"
    if timing_file.exists():
        processes = json.loads(timing_file.read_text())
    for name in names:
        if not args.summarize:
            processes[name] = run(zoo, name, args.reports)
            timing_file.write_text(json.dumps(processes, indent=1, sort_keys=True))
        s = summarize(name, args.reports, processes.get(name))
        if s.get("missing"):
            print(f"{name}: no report (rc {s.get('rc')})", flush=True)
            continue
        c = s["counts"]
        print(
            f"{name:<20} pass {c.get('pass', 0):>2} skip {c.get('skip', 0):>2} warn {c.get('warn', 0)} "
            f"fail {c.get('fail', 0)} error {c.get('error', 0)}  nndoctor {s['total_s']} s  "
            f"process wall {s.get('wall_s')} s cpu {s.get('cpu_s')} s rc {s.get('rc')}",
            flush=True,
        )
        for check_id, outcome, message in s["loud"]:
            print(f"    {check_id} {outcome}: {message}", flush=True)


if __name__ == "__main__":
    main()
