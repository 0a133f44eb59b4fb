"""Run every experiment in this folder and write docs/watch-hooks.md from watch-hooks.md.in.

    python benchmarks/watch_hooks/build_note.py            # all experiments, then the note
    python benchmarks/watch_hooks/build_note.py --reuse    # rebuild the note from saved outputs
    python benchmarks/watch_hooks/build_note.py --only e01 e05   # rerun two, reuse the others

Each eNN_*.py runs in a fresh process with OMP_NUM_THREADS=1; its output is saved under output/.
In the template, `{{code:eNN}}` becomes the experiment's source (in a collapsed block) and
`{{output:eNN}}` what it printed.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUTPUT = HERE / "output"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reuse", action="store_true", help="do not run the experiments again")
    parser.add_argument("--only", nargs="*", default=None, help="run only these experiments (e.g. e01 e05)")
    args = parser.parse_args()
    OUTPUT.mkdir(exist_ok=True)
    experiments = sorted(HERE.glob("e[0-9][0-9]_*.py"))
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if not args.reuse:
        for path in experiments:
            if args.only and path.stem[:3] not in args.only:
                continue
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, cwd=ROOT)
            text = proc.stdout + (f"\n[stderr]\n{proc.stderr}" if proc.stderr.strip() else "")
            (OUTPUT / f"{path.stem}.txt").write_text(text)
            print(f"{path.name}: exit {proc.returncode}, {time.perf_counter() - t0:.1f}s", file=sys.stderr)
            if proc.returncode != 0:
                print(text, file=sys.stderr)
                return 1
        load = os.getloadavg()
        (OUTPUT / "environment.txt").write_text(
            f"torch {torch.__version__}, Python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, OMP_NUM_THREADS=1, load average after the runs {load[0]:.1f}\n"
        )

    def code(match: re.Match) -> str:
        path = next(p for p in experiments if p.stem.startswith(match.group(1)))
        rel = path.relative_to(ROOT)
        return f"<details><summary><code>{rel}</code></summary>\n\n```python\n{path.read_text().rstrip()}\n```\n\n</details>"

    def output(match: re.Match) -> str:
        path = next(p for p in experiments if p.stem.startswith(match.group(1)))
        return f"```text\n{(OUTPUT / f'{path.stem}.txt').read_text().rstrip()}\n```"

    template = (HERE / "watch-hooks.md.in").read_text()
    note = re.sub(r"\{\{code:(e\d\d)\}\}", code, template)
    note = re.sub(r"\{\{output:(e\d\d)\}\}", output, note)
    note = note.replace("{{environment}}", (OUTPUT / "environment.txt").read_text().strip())
    (ROOT / "docs" / "watch-hooks.md").write_text(note)
    print("wrote docs/watch-hooks.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
