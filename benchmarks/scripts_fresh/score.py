"""Score nndoctor on the held-out scripts in this folder (`healthy/`, `broken/`).

For every script, in a fresh subprocess with OMP_NUM_THREADS=1 and a temporary working
directory: `nndoctor check SCRIPT --format json` and `nndoctor watch SCRIPT --json OUT`. Per
script it records the exit codes, tracebacks, whether the capture (as `check` prints it on
stderr) matches the script's `EXPECT_CAPTURE`, for broken scripts whether every `FIRES` id came
out at least at its level in the watch report, and for healthy scripts every warn/fail/error of
both commands (false alarms). Prints a markdown table and the totals.

    python benchmarks/scripts_fresh/score.py [--dir DIR] [--only NAME ...] [--json results.json] [--raw DIR]

`--dir` scores another folder with the same `healthy/` and `broken/` layout (default: this one).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RANK = {"pass": 0, "skip": 0, "not_judged": 0, "warn": 1, "fail": 2, "error": 2}
ALARMS = ("warn", "fail", "error")


@dataclass
class Score:
    """What one script got from `check` and `watch`."""

    name: str
    kind: str
    fires: dict[str, str]
    expect: dict[str, Any]
    check_rc: int | None = None
    check_s: float = 0.0
    check_crash: str = ""
    check_refused: str = ""
    captured: dict[str, Any] = field(default_factory=dict)
    capture_mismatch: list[str] = field(default_factory=list)
    check_alarms: list[str] = field(default_factory=list)
    watch_rc: int | None = None
    watch_s: float = 0.0
    watch_crash: str = ""
    watch_alarms: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.check_crash or self.check_refused or self.watch_crash or self.capture_mismatch:
            return False
        if self.kind == "broken":
            return not self.missed
        return not self.check_alarms and not self.watch_alarms


def constant(path: Path, name: str) -> Any:
    """A module-level constant of a script, read without importing it."""
    for node in ast.parse(path.read_text()).body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
            return ast.literal_eval(node.value)
    raise KeyError(f"{path}: no {name}")


def nndoctor_exe() -> str:
    exe = Path(sys.executable).with_name("nndoctor")
    return str(exe) if exe.exists() else "nndoctor"


def run(cmd: list[str], cwd: str, timeout: float) -> tuple[int | None, str, str, float]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
        return None, out, err + f"\n[timeout after {timeout:.0f} s]", time.monotonic() - start
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


def parse_capture(stderr: str) -> dict[str, Any]:
    """The capture block `check` prints on stderr: model / optimizer / loss / val loader lines."""
    got: dict[str, Any] = {"model": None, "optimizer": None, "loss": None, "val_loader": False}
    for line in stderr.splitlines():
        m = re.match(r"\s+(model|optimizer|loss)(?: `[^`]*`)?: (\S+)", line)
        if m and got[m.group(1)] is None:
            got[m.group(1)] = m.group(2)
        if re.match(r"\s+val loader", line):
            got["val_loader"] = True
    return got


def findings(report: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["outcome"] for f in report.get("findings", [])}


def alarm_lines(report: dict[str, Any]) -> list[str]:
    return [
        f"{f['id']} {f['outcome']}: {f.get('message', '')}"
        for f in report.get("findings", [])
        if f["outcome"] in ALARMS
    ]


def panel_text(text: str) -> str:
    """The title and text of the boxed error nndoctor prints on stderr, as one line."""
    lines = [ln.strip().strip("│╭╮╰╯─").strip() for ln in text.splitlines() if ln.strip()[:1] in "│╭"]
    return " ".join(ln for ln in lines if ln)


def traceback_of(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            return "\n".join(lines[i:][-6:])
    return ""


def score(path: Path, kind: str, raw: Path | None, timeout: float) -> Score:
    s = Score(path.stem, kind, constant(path, "FIRES"), constant(path, "EXPECT_CAPTURE"))
    exe = nndoctor_exe()
    with tempfile.TemporaryDirectory(prefix=f"sf_{path.stem}_") as cwd:
        rc, out, err, s.check_s = run([exe, "check", str(path), "--format", "json"], cwd, timeout)
        s.check_rc = rc
        tb = traceback_of(err)
        report: dict[str, Any] = {}
        with contextlib.suppress(json.JSONDecodeError):
            report = json.loads(out)
        if tb or rc is None or rc >= 3:
            s.check_crash = tb or f"exit code {rc}: {' | '.join(err.strip().splitlines()[-3:])}"
        elif rc == 2 or not report:
            # nndoctor refused the target (bad input) with a message, no traceback
            s.check_refused = panel_text(err) or f"exit code {rc}, no JSON report"
        s.captured = parse_capture(err)
        if s.captured.get("model") is not None:
            for key, want in s.expect.items():
                if s.captured.get(key) != want:
                    s.capture_mismatch.append(f"{key}: expected {want!r}, got {s.captured.get(key)!r}")
        s.check_alarms = alarm_lines(report)
        if raw is not None:
            (raw / f"{path.stem}.check.json").write_text(out)
            (raw / f"{path.stem}.check.stderr").write_text(err)

        watch_json = Path(cwd) / "watch.json"
        rc, out, err, s.watch_s = run([exe, "watch", str(path), "--quiet", "--json", str(watch_json)], cwd, timeout)
        s.watch_rc = rc
        tb = traceback_of(err)
        wreport: dict[str, Any] = {}
        if watch_json.exists():
            wreport = json.loads(watch_json.read_text())
        if rc != 0 or tb:
            s.watch_crash = tb or f"exit code {rc}: {' | '.join(err.strip().splitlines()[-3:])}"
        if not wreport:
            s.watch_crash = s.watch_crash or "no JSON report written"
        got = findings(wreport)
        s.watch_alarms = alarm_lines(wreport)
        for check_id, level in s.fires.items():
            if RANK.get(got.get(check_id, "missing"), -1) < RANK[level]:
                s.missed.append(f"{check_id} (wanted {level}, got {got.get(check_id, 'missing')})")
        if raw is not None:
            (raw / f"{path.stem}.watch.json").write_text(json.dumps(wreport, indent=1))
            (raw / f"{path.stem}.watch.out").write_text(out + "\n--- stderr ---\n" + err)
    return s


def cell(items: list[str]) -> str:
    return "<br>".join(i.replace("|", "\\|") for i in items) if items else "-"


def table(scores: list[Score]) -> str:
    rows = [
        "| Script | FIRES | check rc | capture | check warn/fail | watch rc | watch warn/fail | FIRES met | OK |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        if s.captured.get("model") is None:
            capture = "not printed"
        else:
            capture = "ok" if not s.capture_mismatch else cell(s.capture_mismatch)
        fires = ", ".join(f"{k}:{v}" for k, v in s.fires.items()) or "-"
        met = "-" if s.kind == "healthy" else ("yes" if not s.missed else "MISSED " + cell(s.missed))
        check_rc = f"{s.check_rc}" + (" CRASH" if s.check_crash else " refused" if s.check_refused else "")
        watch_rc = f"{s.watch_rc}" + (" CRASH" if s.watch_crash else "")
        rows.append(
            f"| `{s.kind}/{s.name}.py` | {fires} | {check_rc} | {capture} | {cell(s.check_alarms)} | {watch_rc} | "
            f"{cell(s.watch_alarms)} | {met} | {'yes' if s.ok else 'NO'} |"
        )
    return "\n".join(rows)


def totals(scores: list[Score]) -> str:
    broken = [s for s in scores if s.kind == "broken"]
    healthy = [s for s in scores if s.kind == "healthy"]
    named = sum(1 for s in broken if not s.missed and not s.watch_crash)
    quiet = sum(1 for s in healthy if not s.check_alarms and not s.watch_alarms)
    quiet_watch = sum(1 for s in healthy if not s.watch_alarms)
    clean = sum(1 for s in scores if s.ok)
    crashes = sum(1 for s in scores if s.check_crash)
    refused = sum(1 for s in scores if s.check_refused)
    watch_crashes = sum(1 for s in scores if s.watch_crash)
    mism = sum(1 for s in scores if s.capture_mismatch)
    return (
        f"broken named by watch: {named}/{len(broken)}; healthy quiet (check and watch): {quiet}/{len(healthy)} "
        f"(watch alone: {quiet_watch}/{len(healthy)}); all OK (no crash, refusal, mismatch, miss or alarm): "
        f"{clean}/{len(scores)}; check crashes (traceback, rc>=3): {crashes}; check refused "
        f"(rc 2, no report): {refused}; watch crashes: {watch_crashes}; capture mismatches: {mism}/{len(scores)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(HERE), help="folder holding healthy/ and broken/ (default: this one)")
    parser.add_argument("--only", nargs="*", default=[], help="script names (stems) to run")
    parser.add_argument("--json", default="", help="write the per-script scores to this file")
    parser.add_argument("--raw", default="", help="keep every report and stderr in this folder")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per command")
    parser.add_argument("--from-json", default="", help="print the table of an earlier --json run, run nothing")
    args = parser.parse_args()

    raw = Path(args.raw) if args.raw else None
    if raw is not None:
        raw.mkdir(parents=True, exist_ok=True)
    root = Path(args.dir).resolve()
    scripts = [(p, kind) for kind in ("healthy", "broken") for p in sorted((root / kind).glob("*.py"))]
    if args.only:
        scripts = [(p, k) for p, k in scripts if p.stem in args.only]
    scores = []
    if args.from_json:
        scores = [Score(**row) for row in json.loads(Path(args.from_json).read_text())]
        scripts = []
    for path, kind in scripts:
        s = score(path, kind, raw, args.timeout)
        scores.append(s)
        print(
            f"[{kind}/{s.name}] check {s.check_s:.0f}s rc={s.check_rc}, watch {s.watch_s:.0f}s rc={s.watch_rc}: "
            f"{'ok' if s.ok else 'NOT OK'}",
            file=sys.stderr,
            flush=True,
        )
    print(table(scores))
    print()
    print(totals(scores))
    for s in scores:
        if s.check_refused or s.check_crash:
            print(f"\n- `{s.kind}/{s.name}.py` check: {s.check_crash or s.check_refused}")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(s) for s in scores], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
