"""Assign the cases to `tuning/` and `holdout/`: stratified, seeded, and stable once made.

Strata: (kind, bug class), where the bug class of a broken case is the first check id of its
`CASE["expect"]` (the primary cause: ND103, ND204, ...) and every healthy case is in one stratum.
Within each stratum the case names are sorted, shuffled with `random.Random(f"{SEED}:{stratum}")`
and the first round(n / 3) go to the holdout (strata of one case stay in tuning).

The assignment is recorded in `split.json`. Cases already listed there never move; cases added
later are placed by the same rule within their stratum (holdout while the stratum's holdout share
is below one third, in seeded order), so adding cases cannot leak a held-out case into tuning.

    python benchmarks/cases/split.py            # show the assignment and what would move
    python benchmarks/cases/split.py --apply    # record it in split.json and move the files (git mv)
    python benchmarks/cases/split.py --check    # exit 1 if any file sits in the wrong split
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20250601
MANIFEST = HERE / "split.json"
SPLITS = ("tuning", "holdout")
KINDS = ("broken", "healthy")


def read_case(path: Path) -> dict:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CASE" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{path} defines no CASE literal")


def current_files() -> dict[str, Path]:
    """'kind/name' -> the file's present location."""
    files: dict[str, Path] = {}
    for split in SPLITS:
        for kind in KINDS:
            for path in sorted((HERE / split / kind).glob("*.py")):
                key = f"{kind}/{path.stem}"
                if key in files:
                    raise SystemExit(f"{key} exists in both splits: {files[key]} and {path}")
                files[key] = path
    return files


def stratum(key: str, path: Path) -> str:
    case = read_case(path)
    if case["kind"] == "healthy":
        return "healthy"
    return f"broken:{next(iter(case['expect']))}"


def assign(files: dict[str, Path], previous: dict[str, str]) -> dict[str, str]:
    groups: dict[str, list[str]] = defaultdict(list)
    for key, path in files.items():
        groups[stratum(key, path)].append(key)
    result: dict[str, str] = {}
    for name, keys in sorted(groups.items()):
        order = sorted(keys)
        random.Random(f"{SEED}:{name}").shuffle(order)
        if not any(k in previous for k in keys):  # a fresh stratum: the plain stratified draw
            k_hold = round(len(order) / 3) if len(order) > 1 else 0
            result.update({k: ("holdout" if i < k_hold else "tuning") for i, k in enumerate(order)})
            continue
        for k in order:  # keep recorded cases, place new ones to keep ~1/3 held out
            if k in previous:
                result[k] = previous[k]
        for k in order:
            if k in result:
                continue
            placed = [result[x] for x in order if x in result]
            held = placed.count("holdout")
            result[k] = "holdout" if (held + 1) <= round((len(placed) + 1) / 3) else "tuning"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stratified, seeded tuning/holdout split of the cases.")
    parser.add_argument("--apply", action="store_true", help="write split.json and move the files")
    parser.add_argument("--check", action="store_true", help="exit 1 when a file is not where split.json says")
    args = parser.parse_args(argv)

    files = current_files()
    previous = json.loads(MANIFEST.read_text())["assignment"] if MANIFEST.exists() else {}
    if args.check:
        wrong = [k for k, p in files.items() if previous.get(k) != p.parent.parent.name]
        for k in wrong:
            print(f"{k}: in {files[k].parent.parent.name}, split.json says {previous.get(k, 'nothing')}")
        print(f"{len(files) - len(wrong)}/{len(files)} cases where split.json puts them")
        return 1 if wrong else 0

    assignment = assign(files, previous)
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for key, path in files.items():
        by_stratum[stratum(key, path)].append(key)
    for name, keys in sorted(by_stratum.items()):
        held = sorted(k for k in keys if assignment[k] == "holdout")
        print(f"{name:14} {len(keys):3} cases, {len(held)} held out: {', '.join(k.split('/')[1] for k in held) or '-'}")
    n_hold = sum(v == "holdout" for v in assignment.values())
    print(f"\ntotal: {len(assignment)} cases, {n_hold} in holdout ({100 * n_hold / len(assignment):.0f}%)")

    moves = [
        (files[k], HERE / split / k.split("/")[0] / files[k].name)
        for k, split in sorted(assignment.items())
        if files[k].parent.parent.name != split
    ]
    for src, dst in moves:
        print(f"{'move' if args.apply else 'would move'} {src.relative_to(HERE)} -> {dst.relative_to(HERE)}")
    if args.apply:
        for src, dst in moves:
            dst.parent.mkdir(parents=True, exist_ok=True)
            if subprocess.run(["git", "mv", str(src), str(dst)], cwd=HERE, capture_output=True).returncode != 0:
                src.rename(dst)  # untracked file
        MANIFEST.write_text(
            json.dumps(
                {
                    "seed": SEED,
                    "rule": "stratified by (kind, first expected check id); round(n/3) of each stratum held out",
                    "assignment": assignment,
                },
                indent=1,
                sort_keys=True,
            )
            + "\n"
        )
        print(f"wrote {MANIFEST.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
