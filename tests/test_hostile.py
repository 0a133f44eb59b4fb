"""Hostile input through the real CLI, in a subprocess (CliRunner cannot see SystemExit, fd-level
stdout or signals): recipes that exit, print, parse argv or raise with markup in their messages,
bad configs, profiles, options, CSVs, reports and policies.

Every case asserts the documented exit code, no traceback, a message that names the culprit, and
that the report files asked for are valid. The cases run two at a time in one session fixture.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIGITS = str(ROOT / "sample_models" / "healthy" / "digits_mlp.py")

TINY = """
import torch
from torch import nn

def build_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))

def build_data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = torch.randint(0, 3, (64,), generator=g)
    return [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
"""


def tiny(**replace: str) -> str:
    """The tiny recipe with some of its pieces replaced or extra code appended."""
    text = TINY
    for old, new in replace.items():
        if old == "append":
            text += textwrap.dedent(new)
        elif old == "prepend":
            text = textwrap.dedent(new) + text
        else:
            assert old in text, old
            text = text.replace(old, new)
    return text


@dataclass
class Case:
    name: str
    args: list[str]  # {dir} is the case's folder
    exit: int
    needles: tuple[str, ...] = ()  # must appear in stderr (whitespace-normalized), or stdout for outputs
    files: dict[str, str] = field(default_factory=dict)  # name -> content (bytes via latin-1 escapes)
    outputs: tuple[str, ...] = ()  # report files that must be written and valid
    stdout_json: bool = False  # stdout must parse as JSON
    forbid: tuple[str, ...] = ()  # must appear in neither stream


REPORT_OPTS = ["--json", "{dir}/r.json", "--markdown", "{dir}/r.md", "--junit", "{dir}/r.xml"]
QUICK = ["--profile", "quick"]


def _report(message: str, name: str = "some-check") -> str:
    data = {
        "schema_version": 1,
        "nndoctor_version": "0.2.0",
        "target": "x",
        "profile": "quick",
        "interrupted": False,
        "environment": {},
        "model": {},
        "plugins": [],
        "summary": {
            "counts": {"pass": 0, "skip": 0, "not_judged": 0, "warn": 1, "fail": 0, "error": 0},
            "worst": "warn",
        },
        "findings": [
            {
                "id": "ND201",
                "name": name,
                "title": "t",
                "outcome": "warn",
                "message": message,
                "evidence": {},
                "tables": [],
                "recommendation": "fix [it]",
                "docs": "",
                "duration_s": 0.0,
            }
        ],
        "artifacts": {},
        "timings": {},
    }
    return json.dumps(data)


CASES = [
    # -- recipes that end the process, print, or read argv ----------------------------------
    Case(
        "exit-at-import",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("importing the recipe", "sys.exit(0)"),
        {"r.py": tiny(prepend="import sys\nsys.exit(0)\n")},
    ),
    Case(
        "exit-in-build-data",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("build_data()", "sys.exit(3)"),
        {"r.py": tiny(**{"def build_data():": "def build_data():\n    import sys; sys.exit(3)"})},
    ),
    Case(
        "exit-in-forward",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("sys.exit(0)", "forward"),
        {"r.py": tiny(append="def forward(model, batch):\n    import sys; sys.exit(0)\n")},
    ),
    Case(
        "exit-in-forward-later",
        ["check", "{dir}/r.py", *QUICK, *REPORT_OPTS],
        2,
        ("sys.exit(0)", "while nndoctor ran the experiment"),
        {
            "r.py": tiny(
                append="""
             calls = [0]
             def forward(model, batch):
                 calls[0] += 1
                 if calls[0] > 3:
                     import sys; sys.exit(0)
                 x, y = batch
                 return model(x), y
             """
            )
        },
    ),
    Case(
        "argparse-at-import",
        ["check", "{dir}/r.py", *QUICK, "--format", "json"],
        0,
        (),
        {
            "r.py": tiny(
                prepend="import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\nARGS = p.parse_args()\n"
            )
        },
        stdout_json=True,
    ),
    Case(
        "argparse-required-arg",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("sys.exit(2)", "importing the recipe"),
        {
            "r.py": tiny(
                prepend="import argparse\np = argparse.ArgumentParser()\np.add_argument('--data', required=True)\np.parse_args()\n"
            )
        },
    ),
    Case(
        "prints-with-json-stdout",
        ["check", "{dir}/r.py", *QUICK, "--format", "json"],
        0,
        (),
        {
            "r.py": tiny(
                prepend="print('hello from the recipe')\n",
                **{"def build_data():": "def build_data():\n    print('loading [data]')"},
            )
        },
        stdout_json=True,
    ),
    Case(
        "keyboard-interrupt-in-build-data",
        ["check", "{dir}/r.py", *QUICK],
        130,
        ("Interrupted",),
        {"r.py": tiny(**{"def build_data():": "def build_data():\n    raise KeyboardInterrupt"})},
    ),
    # -- markup, control characters and bad Unicode in user text --------------------------------
    Case(
        "brackets-in-exception",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("bad path [/tmp/data]",),
        {"r.py": tiny(**{"def build_data():": "def build_data():\n    raise ValueError('bad path [/tmp/data]')"})},
    ),
    Case(
        "link-markup-in-exception",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("[link=https://evil.example]click[/link]",),
        {
            "r.py": tiny(
                **{
                    "def build_data():": "def build_data():\n    raise ValueError('[link=https://evil.example]click[/link]')"
                }
            )
        },
    ),
    Case(
        "escape-bytes-in-exception",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("\\x1b[31mred", "\\x07"),
        {"r.py": tiny(**{"def build_data():": "def build_data():\n    raise ValueError('\\x1b[31mred\\x07')"})},
        forbid=("\x1b[31mred", "\x07"),
    ),
    Case(
        "layer-named-like-markup",
        ["check", "{dir}/r.py", *QUICK, *REPORT_OPTS, "--exit-zero"],
        0,
        (),
        {
            "r.py": tiny(
                **{
                    "return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))": "m = nn.Sequential()\n    m.add_module('[/x]', nn.Linear(4, 8))\n    m.add_module('[bold]r', nn.ReLU())\n    m.add_module('out', nn.Linear(8, 3))\n    return m"
                }
            )
        },
        outputs=("r.json", "r.md", "r.xml"),
    ),
    Case(
        "layer-named-with-escape",
        ["check", "{dir}/r.py", *QUICK, *REPORT_OPTS, "--exit-zero"],
        0,
        (),
        {
            "r.py": tiny(
                **{
                    "return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))": "m = nn.Sequential()\n    m.add_module('a\\x1b]0;pwned\\x07', nn.Linear(4, 8))\n    m.add_module('r', nn.ReLU())\n    m.add_module('out', nn.Linear(8, 3))\n    return m"
                }
            )
        },
        outputs=("r.json", "r.md", "r.xml"),
        forbid=("\x1b]0;pwned",),
    ),
    Case(
        "surrogate-in-exception-with-markdown",
        ["check", "{dir}/r.py", *QUICK, "--markdown", "{dir}/r.md"],
        2,
        ("build_data()",),
        {"r.py": tiny(**{"def build_data():": "def build_data():\n    raise ValueError('bad \\udc80 byte')"})},
    ),
    Case(
        "surrogate-in-layer-name",
        ["check", "{dir}/r.py", *QUICK, *REPORT_OPTS, "--exit-zero"],
        0,
        (),
        {
            "r.py": tiny(
                **{
                    "return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))": "m = nn.Sequential()\n    m.add_module('l\\udc80', nn.Linear(4, 8))\n    m.add_module('r', nn.ReLU())\n    m.add_module('out', nn.Linear(8, 3))\n    return m"
                }
            )
        },
        outputs=("r.json", "r.md", "r.xml"),
    ),
    # -- recipes that are not what nndoctor needs ---------------------------------------------
    Case(
        "syntax-error", ["check", "{dir}/r.py"], 2, ("r.py:1", "syntax error"), {"r.py": "def build_model(:\n  pass\n"}
    ),
    Case("no-build-model", ["check", "{dir}/r.py"], 2, ("build_model()",), {"r.py": "x = 1\n"}),
    Case(
        "model-is-none",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("not a torch.nn.Module",),
        {"r.py": tiny(**{"def build_model():": "def build_model():\n    return None"})},
    ),
    Case(
        "data-is-a-tensor",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("build_data()", "not a loader"),
        {"r.py": tiny(**{"def build_data():": "def build_data():\n    return torch.zeros(3)"})},
    ),
    Case(
        "num-classes-is-a-word",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("NNDOCTOR['num_classes']", "'ten'"),
        {"r.py": tiny(append="NNDOCTOR = {'num_classes': 'ten'}\n")},
    ),
    Case(
        "unknown-task-hint",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("NNDOCTOR['task']", "segmentation"),
        {"r.py": tiny(append="NNDOCTOR = {'task': 'segmentation'}\n")},
    ),
    Case(
        "hint-typo",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("num_clases", "did you mean 'num_classes'"),
        {"r.py": tiny(append="NNDOCTOR = {'num_clases': 3}\n")},
    ),
    Case(
        "hints-not-a-dict",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("NNDOCTOR", "must be a dict"),
        {"r.py": tiny(append="NNDOCTOR = ['task']\n")},
    ),
    Case(
        "meta-device-model",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("'meta' device",),
        {
            "r.py": tiny(
                **{
                    "torch.manual_seed(0)\n    return": "torch.manual_seed(0)\n    with torch.device('meta'):\n        return"
                }
            )
        },
    ),
    Case(
        "loss-returns-a-float",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("returned a float", "not a torch.Tensor"),
        {"r.py": tiny(append="def build_loss():\n    return lambda o, t: 1.0\n")},
    ),
    Case(
        "loss-not-scalar",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("not a scalar",),
        {"r.py": tiny(append="def build_loss():\n    return torch.nn.CrossEntropyLoss(reduction='none')\n")},
    ),
    Case(
        "empty-loader",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("yielded no batches",),
        {
            "r.py": tiny(
                **{
                    "return [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]": "return [(x[:0], y[:0])][:0] or iter([])"
                }
            )
        },
    ),
    Case(
        "loader-raises",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("Iterating the training data raised", "dataset is broken"),
        {
            "r.py": tiny(
                append="""
             class Broken:
                 def __iter__(self):
                     raise OSError('dataset is broken')
             def build_data():
                 return Broken()
             """
            )
        },
    ),
    Case(
        "forward-shape-error",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("first training batch", "Tensor[16, 4]"),
        {"r.py": tiny(**{"nn.Linear(4, 8)": "nn.Linear(5, 8)"})},
    ),
    Case(
        "not-deep-copyable",
        ["check", "{dir}/r.py", *QUICK],
        2,
        ("deepcopy",),
        {
            "r.py": tiny(
                **{
                    "return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))": "m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))\n    import threading\n    m.lock = threading.Lock()\n    return m"
                }
            )
        },
    ),
    Case("recipe-missing", ["check", "{dir}/nope.py"], 2, ("nope.py does not exist",)),
    Case("recipe-is-a-directory", ["check", "{dir}/sub.py"], 2, ("is a directory",), {"sub.py/x.txt": ""}),
    Case("recipe-not-python", ["check", "{dir}/r.txt"], 2, ("not a Python file",), {"r.txt": "hi"}),
    # -- configs --------------------------------------------------------------------------------
    Case(
        "config-bad-yaml",
        ["check", "--config", "{dir}/c.yaml"],
        2,
        ("c.yaml:3", "not valid YAML"),
        {"c.yaml": "model: x\ndata: [unclosed\n"},
    ),
    Case(
        "config-unknown-key",
        ["check", "--config", "{dir}/c.yaml"],
        2,
        ("c.yaml", "modle"),
        {"c.yaml": "modle: a:b\nmodel: a:b\ndata: a:b\n"},
    ),
    Case(
        "config-check-seed-not-int",
        ["check", "--config", "{dir}/c.yaml"],
        2,
        ("`check:` in the config", "seed", "'x'"),
        {"c.yaml": "model: r.py:build_model\ndata: r.py:build_data\ncheck: {seed: x}\n", "r.py": TINY},
    ),
    Case(
        "config-check-typo",
        ["check", "--config", "{dir}/c.yaml"],
        2,
        ("stpes", "`check:` in the config"),
        {"c.yaml": "model: r.py:build_model\ndata: r.py:build_data\ncheck: {stpes: 5}\n", "r.py": TINY},
    ),
    Case(
        "config-missing-module",
        ["check", "--config", "{dir}/c.yaml"],
        2,
        ("no_such_pkg",),
        {"c.yaml": "model: no_such_pkg.models:make\ndata: no_such_pkg.data:make\n"},
    ),
    Case(
        "config-module-exits",
        ["check", "--config", "{dir}/c.yaml"],
        2,
        ("sys.exit",),
        {"c.yaml": "model: m.py:build_model\ndata: m.py:build_data\n", "m.py": "import sys\nsys.exit(1)\n"},
    ),
    # -- profiles -------------------------------------------------------------------------------
    Case(
        "profile-probe-settings-a-list",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("p.yaml", "probes.short_run", "mapping"),
        {"p.yaml": "extends: quick\nprobes:\n  short_run: [1, 2]\n"},
    ),
    Case(
        "profile-select-a-number",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("p.yaml", "`select`", "5"),
        {"p.yaml": "extends: quick\nselect: 5\n"},
    ),
    Case(
        "profile-max-batches-a-word",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("settings.max_batches", "'lots'", "integer >= 1"),
        {"p.yaml": "extends: quick\nsettings: {max_batches: lots}\n"},
    ),
    Case(
        "profile-steps-a-word",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("probes.short_run.steps", "'many'", "p.yaml"),
        {"p.yaml": "extends: default\nprobes:\n  short_run: {steps: many}\n"},
    ),
    Case(
        "profile-threshold-a-word",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("thresholds.ND201.max_ratio", "'high'"),
        {"p.yaml": "extends: quick\nthresholds:\n  ND201: {max_ratio: high}\n"},
    ),
    Case(
        "profile-setting-typo",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("stpes", "did you mean steps"),
        {"p.yaml": "extends: default\nprobes:\n  short_run: {stpes: 5}\n"},
    ),
    Case(
        "profile-steps-out-of-range",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("probes.overfit_tiny.samples", "integer >= 1"),
        {"p.yaml": "extends: default\nprobes:\n  overfit_tiny: {samples: 0}\n"},
    ),
    Case(
        "profile-extends-itself",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("extends itself",),
        {"p.yaml": "extends: p.yaml\n"},
    ),
    Case(
        "profile-is-a-list",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("p.yaml", "YAML mapping"),
        {"p.yaml": "- a\n- b\n"},
    ),
    Case(
        "profile-unknown-check",
        ["check", DIGITS, "--profile", "{dir}/p.yaml"],
        2,
        ("ND999",),
        {"p.yaml": "extends: quick\nthresholds:\n  ND999: {x: 1}\n"},
    ),
    # -- options --------------------------------------------------------------------------------
    Case("budget-negative", ["check", DIGITS, "--budget", "-1"], 2, ("--budget is -1.0", "> 0")),
    Case("budget-zero", ["check", DIGITS, "--budget", "0"], 2, ("--budget is 0.0",)),
    Case("budget-nan", ["check", DIGITS, "--budget", "nan"], 2, ("--budget is nan", "finite")),
    Case("precision-unknown", ["check", DIGITS, "--precision", "fp8"], 2, ("--precision is 'fp8'", "fp32, bf16, fp16")),
    Case("select-unknown", ["check", DIGITS, "--select", "ND999"], 2, ("ND999", "matches no check")),
    Case("seed-negative", ["check", DIGITS, "--seed", "-1"], 2, ("--seed is -1", ">= 0")),
    Case("lr-find-steps-too-few", ["lr-find", DIGITS, "--steps", "3"], 2, ("--steps is 3", ">= 20")),
    # -- tables ---------------------------------------------------------------------------------
    Case(
        "csv-only-target",
        ["check", "--data", "{dir}/t.csv", "--target", "y"],
        2,
        ("no feature columns",),
        {"t.csv": "y\n1\n0\n1\n0\n1\n"},
    ),
    Case(
        "csv-missing-target",
        ["check", "--data", "{dir}/t.csv", "--target", "label"],
        2,
        ("'label' is not a column",),
        {"t.csv": "a,y\n1,0\n2,1\n3,0\n4,1\n"},
    ),
    Case(
        "csv-empty", ["check", "--data", "{dir}/t.csv", "--target", "y"], 2, ("pandas could not read",), {"t.csv": ""}
    ),
    Case(
        "csv-binary-garbage",
        ["check", "--data", "{dir}/t.csv", "--target", "y"],
        2,
        ("t.csv",),
        {"t.csv": "\x00\xff\xfe\x00garbage"},
    ),
    # -- reports and policies (gate, diff) --------------------------------------------------------
    Case(
        "report-nested-deep",
        ["gate", "{dir}/r.json"],
        2,
        ("r.json", "nested too deeply"),
        {"r.json": "[" * 100_000 + "]" * 100_000},
    ),
    Case("report-not-json", ["gate", "{dir}/r.json"], 2, ("r.json", "is not JSON"), {"r.json": "{nope"}),
    Case("report-empty", ["diff", "{dir}/r.json", "{dir}/r.json"], 2, ("r.json is empty",), {"r.json": ""}),
    Case(
        "report-markup-message-gate",
        ["gate", "{dir}/r.json", "--policy", "strict"],
        1,
        ("loss [/] odd [bold]x",),
        {"r.json": _report("loss [/] odd [bold]x")},
    ),
    Case(
        "report-markup-message-diff",
        ["diff", "{dir}/r.json", "{dir}/r.json"],
        0,
        (),
        {"r.json": _report("loss [/] odd")},
    ),
    Case(
        "report-escape-in-markdown",
        ["gate", "{dir}/r.json", "--policy", "strict", "--format", "markdown"],
        1,
        ("\\x1b",),
        {"r.json": _report("odd \x1b[2J clear \x07 bell")},
        forbid=("\x1b[2J", "\x07"),
    ),
    Case(
        "report-bad-check-name",
        ["gate", "{dir}/r.json"],
        2,
        ("r.json is malformed", "does not match the pattern"),
        {"r.json": _report("m", name="bad\x07name")},
        forbid=("\x07",),
    ),
    Case(
        "policy-reason-with-markup",
        ["gate", "{dir}/r.json", "--policy", "{dir}/p.yaml"],
        0,
        ("ticket [/infra/ml#42]",),
        {
            "r.json": _report("warned"),
            "p.yaml": "fail_on: warn\nallow:\n  - check: ND201\n    reason: ticket [/infra/ml#42]\n",
        },
    ),
    Case(
        "policy-unknown-key",
        ["gate", "{dir}/r.json", "--policy", "{dir}/p.yaml"],
        2,
        ("p.yaml", "fail_onn"),
        {"r.json": _report("w"), "p.yaml": "fail_onn: warn\n"},
    ),
    Case("explain-markup-id", ["explain", "[/x]"], 2, ("Unknown check '[/x]'",)),
]


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if any(0xDC80 <= ord(c) <= 0xDCFF or ord(c) in (0xFF, 0xFE) for c in content):
            path.write_bytes(
                content.encode("utf-8", "surrogateescape") if "\udc80" in content else content.encode("latin-1")
            )
        else:
            path.write_text(content, encoding="utf-8")


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("FORCE_COLOR", None)
    return env


def _run(case: Case, folder: Path) -> subprocess.CompletedProcess[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder, case.files)
    args = [a.replace("{dir}", str(folder)) for a in case.args]
    return subprocess.run(
        [sys.executable, "-m", "nndoctor", *args], capture_output=True, env=_env(), cwd=folder, timeout=300
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, subprocess.CompletedProcess[bytes]]]:
    base = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case.name: pool.submit(_run, case, base / case.name) for case in CASES}
        return {name: (base / name, future.result()) for name, future in futures.items()}


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_the_battery_is_broad() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_is_handled_cleanly(case: Case, results: dict) -> None:
    folder, result = results[case.name]
    stdout = result.stdout.decode("utf-8", "replace")
    stderr = result.stderr.decode("utf-8", "replace")
    shown = f"exit {result.returncode}\n--- stdout\n{stdout[-3000:]}\n--- stderr\n{stderr[-3000:]}"
    assert result.returncode == case.exit, shown
    assert "Traceback" not in stderr and "Traceback" not in stdout, shown
    assert "bug in nndoctor" not in stderr, shown
    both = _flat(stderr + " " + stdout)
    for needle in case.needles:
        assert _flat(needle) in both, f"{needle!r} missing\n{shown}"
    for bad in case.forbid:
        assert bad not in stdout + stderr, f"{bad!r} reached the terminal\n{shown}"
    if case.stdout_json:
        json.loads(stdout)
    for name in case.outputs:
        path = folder / name
        raw = path.read_bytes()
        assert raw, f"{name} is empty"
        text = raw.decode("utf-8")  # valid UTF-8, whatever the input held
        for bad in case.forbid:
            assert bad not in text, f"{bad!r} reached {name}"
        if name.endswith(".json"):
            json.loads(text)
        elif name.endswith(".xml"):
            ET.fromstring(raw)
    for stray in folder.glob(".*.tmp"):
        raise AssertionError(f"a temporary file was left behind: {stray}")


SLOW_RECIPE = tiny(
    append="""
    import time, pathlib
    MARK = pathlib.Path(__file__).with_name("started")
    def forward(model, batch):
        MARK.touch()
        time.sleep(0.05)
        x, y = batch
        return model(x), y
    """
)


def test_ctrl_c_during_check_writes_the_partial_report_and_exits_130(tmp_path: Path) -> None:
    (tmp_path / "r.py").write_text(SLOW_RECIPE, encoding="utf-8")
    args = ["check", str(tmp_path / "r.py"), "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nndoctor", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    deadline = time.time() + 120
    while not (tmp_path / "started").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # well inside the experiments
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["interrupted"] is True
    assert report["summary"]["counts"]["not_judged"] >= 1
    assert (tmp_path / "r.md").read_text(encoding="utf-8")
    assert b"not judged" in stdout


def test_ctrl_c_while_the_target_loads_exits_130_with_a_message(tmp_path: Path) -> None:
    recipe = tiny(
        **{
            "def build_data():": "def build_data():\n    import pathlib, time\n    pathlib.Path(__file__).with_name('started').touch()\n    time.sleep(60)"
        }
    )
    (tmp_path / "r.py").write_text(recipe, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nndoctor", "check", str(tmp_path / "r.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    deadline = time.time() + 120
    while not (tmp_path / "started").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"Interrupted" in stderr and b"Traceback" not in stderr
