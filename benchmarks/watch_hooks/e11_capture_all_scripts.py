"""The prototype capture (observer.py, stopped at the first optimizer step) on every script in
sample_models/scripts, compared with the EXPECT_CAPTURE each script declares."""

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
KEYS = ("model", "optimizer", "loss", "val_loader")


def declared(path: Path) -> dict:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXPECT_CAPTURE":
            return ast.literal_eval(node.value)
    raise LookupError(path)


env = dict(os.environ, OMP_NUM_THREADS="1")
matches = 0
paths = sorted((ROOT / "sample_models" / "scripts").glob("*/*.py"))
paths = [p for p in paths if p.parent.name in ("healthy", "broken")]
print("| script | captured (model, optimizer, loss, val_loader) | model created at | first-step LR | matches | s |")
print("|---|---|---|---|---|---|")
for path in paths:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(HERE / "capture_prototype.py"), str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    got = json.loads(out.strip().splitlines()[-1])
    want = declared(path)
    ok = all(got.get(k) == want[k] for k in KEYS) and got["status"] == "stopped at the first optimizer step"
    matches += ok
    site = got["model_site"]
    line = (path.parent / site.split(":")[0]).read_text().splitlines()[int(site.split(":")[1]) - 1].strip()
    captured = ", ".join(str(got.get(k)) for k in KEYS)
    print(
        f"| {path.parent.name}/{path.stem} | {captured} | `{site}` `{line}` | {got['lr']:.3g} | "
        f"{'yes' if ok else 'NO: ' + str(want)} | {time.perf_counter() - t0:.1f} |"
    )
print(f"\n{matches}/{len(paths)} captures match EXPECT_CAPTURE")
