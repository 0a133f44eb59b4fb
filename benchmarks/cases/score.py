"""Score nndoctor's diagnoses on the case corpus.

For every case of a split this runs, in a subprocess with OMP_NUM_THREADS=1,

    nndoctor check CASE --profile default --format json --exit-zero

reads the JSON report and compares what fired (findings at warn or fail) with the case's
`CASE["expect"]`:

* a broken case is *named* when any expected check id reached at least its expected outcome
  (warn < fail);
* a healthy case is *quiet* when no check warns or fails.

A crash, a timeout, unreadable output or exit code 2/3 counts as "not named" (broken) and
"not quiet" (healthy), and the error is shown.

    python benchmarks/cases/score.py --split tuning
    python benchmarks/cases/score.py --split all --json results.json
    python benchmarks/cases/score.py --only healthy --jobs 2
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SPLITS = ("tuning", "holdout")
KINDS = ("broken", "healthy")
LEVEL = {"pass": 0, "skip": 0, "error": 0, "warn": 1, "fail": 2}
BUILT = {
    f"ND{n}" for n in (101, 102, 103, 104, 105, 106, 201, 202, 203, 204, 301, 302, 303, 304, 401, 402, 403, 404, 405)
}
PLANNED = {"ND107", "ND108", "ND109", "ND305", "ND406"} | {f"ND{n}" for n in range(501, 512)}


def discover(split: str, only: str | None) -> list[Path]:
    splits = SPLITS if split == "all" else (split,)
    paths = [p for s in splits for k in KINDS for p in sorted((HERE / s / k).glob("*.py"))]
    if only:
        pattern = only if any(c in only for c in "*?[") else f"*{only}*"
        paths = [
            p for p in paths if any(fnmatch.fnmatch(str(p.relative_to(HERE)), pat) for pat in (pattern, f"*/{pattern}"))
        ]
    return paths


def read_case(path: Path) -> dict[str, Any]:
    """CASE without importing the recipe (no torch import, no side effects)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CASE" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path} defines no CASE literal")


def validate(paths: list[Path]) -> list[str]:
    """Problems with the case files themselves (no nndoctor run): the CASE/VERIFY format of README.md."""
    problems = []
    for path in paths:
        name = str(path.relative_to(HERE))
        try:
            case = read_case(path)
            tree = ast.parse(path.read_text())
        except (ValueError, SyntaxError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        kind_dir = path.parent.name
        if not ast.get_docstring(tree):
            problems.append(f"{name}: no module docstring (source, bug, verification)")
        for key in ("source", "kind", "bug", "expect", "consequences"):
            if key not in case:
                problems.append(f"{name}: CASE has no {key!r}")
        if case.get("kind") != kind_dir:
            problems.append(f"{name}: CASE kind {case.get('kind')!r} but the file is in {kind_dir}/")
        expect = case.get("expect", {})
        if kind_dir == "healthy" and expect:
            problems.append(f"{name}: a healthy case must expect nothing")
        if kind_dir == "broken" and not expect:
            problems.append(f"{name}: a broken case must expect at least one check id")
        for cid, level in expect.items():
            if cid not in BUILT | PLANNED:
                problems.append(f"{name}: unknown check id {cid}")
            if level not in ("warn", "fail"):
                problems.append(f"{name}: expected outcome {level!r} is not warn or fail")
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        missing = {"build_model", "build_data", "build_loss", "build_optimizer"} - names
        if missing:
            problems.append(f"{name}: missing {', '.join(sorted(missing))}")
        if not any(
            isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "VERIFY" for t in n.targets) for n in tree.body
        ):
            problems.append(f"{name}: no VERIFY dict for verify.py")
    return problems


def nndoctor_command(explicit: str | None) -> list[str]:
    if explicit:
        return shlex.split(explicit)
    exe = shutil.which("nndoctor")
    if exe is None:  # the script's own interpreter may have it installed without the script on PATH
        candidate = Path(sys.executable).parent / "nndoctor"
        exe = str(candidate) if candidate.exists() else None
    return [exe] if exe else [sys.executable, "-m", "nndoctor"]


def run_case(path: Path, command: list[str], timeout: float, profile: str) -> dict[str, Any]:
    case = read_case(path)
    name = str(path.relative_to(HERE))[:-3]
    result: dict[str, Any] = {
        "case": name,
        "kind": case["kind"],
        "expect": case.get("expect", {}),
        "consequences": case.get("consequences", []),
        "source": case.get("source"),
        "fired": {},
        "findings": [],
        "error": None,
        "exit_code": None,
    }
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    argv = [*command, "check", str(path), "--profile", profile, "--format", "json", "--exit-zero"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE.parent.parent)
        result["exit_code"] = proc.returncode
        if proc.returncode in (2, 3) or proc.returncode < 0:
            result["error"] = f"exit {proc.returncode}: {_last_line(proc.stderr) or _last_line(proc.stdout)}"
        else:
            try:
                report = json.loads(proc.stdout)
            except json.JSONDecodeError:
                result["error"] = (
                    f"exit {proc.returncode}, no JSON report: {_last_line(proc.stderr) or proc.stdout[:200]}"
                )
            else:
                result["findings"] = [
                    {k: f.get(k) for k in ("id", "name", "outcome", "message")} for f in report.get("findings", [])
                ]
                if proc.returncode not in (0,):
                    result["error"] = f"exit {proc.returncode} despite --exit-zero"
    except subprocess.TimeoutExpired:
        result["error"] = f"timed out after {timeout:.0f}s"
    except OSError as exc:
        result["error"] = f"could not start {argv[0]}: {exc}"
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["fired"] = {f["id"]: f["outcome"] for f in result["findings"] if f["outcome"] in ("warn", "fail")}
    result["errored_checks"] = [f["id"] for f in result["findings"] if f["outcome"] == "error"]
    if result["error"]:
        result["ok"] = False
    elif case["kind"] == "broken":
        expect = result["expect"]
        result["ok"] = any(
            LEVEL.get(result["fired"].get(cid, "pass"), 0) >= LEVEL[level] for cid, level in expect.items()
        )
    else:
        result["ok"] = not result["fired"]
    return result


def _last_line(text: str) -> str:
    """The error text of a run: nndoctor's panel (or a traceback's last line) flattened to one line."""
    box = str.maketrans({c: " " for c in "─│╭╮╰╯┃━┏┓┗┛"})
    lines = [" ".join(ln.translate(box).split()) for ln in (text or "").splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ""
    if any(ln.startswith("Traceback") for ln in lines):
        return lines[-1][:300]
    return " ".join(lines)[-400:]


def fmt_ids(d: dict[str, str]) -> str:
    return ", ".join(f"{k}:{v}" for k, v in sorted(d.items())) or "-"


def print_table(results: list[dict[str, Any]]) -> None:
    width = max([len(r["case"]) for r in results] + [4])
    header = f"{'case':{width}}  {'kind':7}  {'expected':22}  {'fired (warn/fail)':42}  {'result':9}  {'time':>6}"
    print(header)
    print("-" * len(header))
    for r in results:
        verdict = ("named" if r["ok"] else "MISSED") if r["kind"] == "broken" else ("quiet" if r["ok"] else "ALARM")
        if r["error"]:
            verdict = "ERROR"
        print(
            f"{r['case']:{width}}  {r['kind']:7}  {fmt_ids(r['expect']):22}  {fmt_ids(r['fired']):42}  {verdict:9}  {r['seconds']:5.1f}s"
        )
        if r["error"]:
            print(f"{'':{width}}    error: {r['error']}")


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    broken = [r for r in results if r["kind"] == "broken"]
    healthy = [r for r in results if r["kind"] == "healthy"]
    alarms = [
        {"case": r["case"], "id": f["id"], "outcome": f["outcome"], "message": f["message"]}
        for r in healthy
        for f in r["findings"]
        if f["outcome"] in ("warn", "fail")
    ]
    return {
        "broken_named": sum(r["ok"] for r in broken),
        "broken_total": len(broken),
        "healthy_quiet": sum(r["ok"] for r in healthy),
        "healthy_total": len(healthy),
        "errors": [{"case": r["case"], "error": r["error"]} for r in results if r["error"]],
        "false_alarms": alarms,
        "missed": [{"case": r["case"], "expect": r["expect"], "fired": r["fired"]} for r in broken if not r["ok"]],
        "seconds_total": round(sum(r["seconds"] for r in results), 1),
        "seconds_max": max((r["seconds"] for r in results), default=0.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score nndoctor on the case corpus.")
    parser.add_argument(
        "--split",
        choices=("tuning", "holdout", "all", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8"),
        default="tuning",
    )
    parser.add_argument("--only", help="substring or glob on the case path, e.g. 'broken' or 'holdout/healthy/*'")
    parser.add_argument("--jobs", type=int, default=1, help="cases run in parallel (each on one thread)")
    parser.add_argument("--json", metavar="OUT", help="write the raw per-case results and the summary here")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case before it counts as an error")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--nndoctor", help="command that runs nndoctor (default: the nndoctor on PATH)")
    parser.add_argument("--validate", action="store_true", help="only check the case files' format, run nothing")
    args = parser.parse_args(argv)

    paths = discover(args.split, args.only)
    if not paths:
        print("no cases matched", file=sys.stderr)
        return 2
    problems = validate(paths)
    for problem in problems:
        print(f"case format: {problem}", file=sys.stderr)
    if args.validate:
        kinds = [read_case(p)["kind"] for p in paths]
        print(
            f"{len(paths)} case files ({kinds.count('broken')} broken, {kinds.count('healthy')} healthy), {len(problems)} problem(s)"
        )
        return 1 if problems else 0
    command = nndoctor_command(args.nndoctor)
    print(
        f"scoring {len(paths)} cases with `{' '.join(command)} check CASE --profile {args.profile} --format json --exit-zero`"
        f" ({args.jobs} job{'s' if args.jobs != 1 else ''})",
        flush=True,
    )

    def one(p: Path) -> dict[str, Any]:
        r = run_case(p, command, args.timeout, args.profile)
        tag = "ok " if r["ok"] else "BAD"
        print(
            f"  {tag} {r['case']}  fired: {fmt_ids(r['fired'])}  ({r['seconds']}s){'  error: ' + r['error'] if r['error'] else ''}",
            file=sys.stderr,
            flush=True,
        )
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, paths))

    print()
    print_table(results)
    summary = summarize(results)
    print()
    bt, ht = summary["broken_total"], summary["healthy_total"]
    if bt:
        print(f"broken named : {summary['broken_named']}/{bt} ({100 * summary['broken_named'] / bt:.0f}%)")
    if ht:
        print(f"healthy quiet: {summary['healthy_quiet']}/{ht} ({100 * summary['healthy_quiet'] / ht:.0f}%)")
    print(f"errors       : {len(summary['errors'])}")
    print(f"time         : {summary['seconds_total']:.0f}s total, slowest case {summary['seconds_max']:.0f}s")
    if summary["false_alarms"]:
        print("\nfalse alarms on healthy cases:")
        for a in summary["false_alarms"]:
            print(f"  {a['case']}: {a['id']} {a['outcome']}: {a['message']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "results": results}, indent=2))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
