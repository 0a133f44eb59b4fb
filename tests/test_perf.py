"""Issue 13: commands that run no experiment stay torch-free, the CLI's thread policy, the data
cap and the per-batch statistics. Timings are measured by benchmarks/perf.py, never asserted here."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nndoctor import threads
from nndoctor.report.formats import RenderOptions, write_reports
from nndoctor.report.model import Finding, Outcome, Report

REPO = Path(__file__).resolve().parent.parent


def _env(**values: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in values.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("perf") / "report.json"
    report = Report(target="recipe.py", findings=[Finding("ND201", "init-scale", "", Outcome.PASS, "fine", {})])
    write_reports(report, {"json": path}, RenderOptions())
    return path


@pytest.mark.parametrize("command", ["--help", "checks", "explain ND201", "gate", "diff"])
def test_the_console_script_never_imports_torch_for_commands_without_experiments(
    command: str, report_file: Path
) -> None:
    args = command.split()
    if command == "gate":
        args.append(str(report_file))
    if command == "diff":
        args += [str(report_file), str(report_file)]
    # the real entry point (fast exit included), with the import log on stderr
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nndoctor", *args], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "nndoctor.cli" in imported and "torch" not in imported


def test_prepare_process_sets_a_passive_wait_policy_unless_the_user_chose_one() -> None:
    env: dict[str, str] = {}
    threads.prepare_process(env)
    assert env["OMP_WAIT_POLICY"] == "PASSIVE" and not threads._state["user_env"]
    env = {"OMP_WAIT_POLICY": "ACTIVE", "OMP_NUM_THREADS": "3"}
    threads.prepare_process(env)
    assert env["OMP_WAIT_POLICY"] == "ACTIVE" and threads._state["user_env"]
    threads._state.update(owned=False, user_env=False)  # this test process is the API's, not the CLI's


def test_thread_count_follows_the_models_work() -> None:
    assert threads.choose_threads(1000, 4) == 1
    assert threads.choose_threads(threads.SMALL_WORK_MACS, 4) == 4
    assert threads.choose_threads(None, 4) == 4
    small = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    x = torch.randn(8, 64)
    assert threads.forward_macs(small, lambda: small(x)) == 8 * (64 * 32 + 32 * 10)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    image = torch.randn(2, 3, 5, 5)
    assert threads.forward_macs(conv, lambda: conv(image)) == 2 * 4 * 5 * 5 * 3 * 3 * 3


def test_the_api_never_changes_the_users_thread_count() -> None:
    before = torch.get_num_threads()
    model = torch.nn.Linear(4, 2)
    with threads.run_threads(model, lambda: model(torch.randn(1, 4))) as chosen:
        assert chosen is None and torch.get_num_threads() == before


POLICY_SCRIPT = """
import sys
from nndoctor import threads
threads.prepare_process()
import torch
if sys.argv[1] == "recipe-set":
    torch.set_num_threads(max(1, torch.get_num_threads() - 1) if torch.get_num_threads() > 1 else 1)
start = torch.get_num_threads()
model = torch.nn.Linear(8, 2)
with threads.run_threads(model, lambda: model(torch.randn(4, 8))) as chosen:
    inside = torch.get_num_threads()
print(threads._state["torch_default"], start, chosen, inside, torch.get_num_threads())
"""


@pytest.mark.parametrize("case", ["cli", "env-set", "recipe-set"])
def test_the_cli_runs_a_small_model_on_one_thread_unless_the_user_chose(case: str) -> None:
    env = _env(OMP_NUM_THREADS="2" if case == "env-set" else None, MKL_NUM_THREADS=None)
    proc = subprocess.run(
        [sys.executable, "-c", POLICY_SCRIPT, case], capture_output=True, text=True, env=env, check=True
    )
    default, start, chosen, inside, after = proc.stdout.split()
    assert after == start  # put back when the run's context closes
    if case == "cli" and int(start) > 1:
        assert (chosen, inside, default) == ("1", "1", start)
    elif case != "cli" or int(start) == 1:
        assert chosen == "None" and inside == start


def _loader(batches: int, batch: int, features: int) -> DataLoader:
    data = TensorDataset(torch.randn(batches * batch, features), torch.randint(0, 3, (batches * batch,)))
    return DataLoader(data, batch_size=batch)


def test_the_data_cap_bounds_the_held_batches_and_keeps_one_at_least() -> None:
    from nndoctor.context import _materialize, batch_bytes

    loader = _loader(10, 256, 1024)  # each batch: 1 MiB of inputs plus 2 KiB of labels
    one = batch_bytes(next(iter(loader)))
    assert one == 256 * 1024 * 4 + 256 * 8
    kept = _materialize(loader, "training", torch.device("cpu"), 32, "t", 3.5 * 2**20)
    assert len(kept) == 3
    assert len(_materialize(loader, "training", torch.device("cpu"), 2, "t", math.inf)) == 2
    assert len(_materialize(loader, "training", torch.device("cpu"), 32, "t", 1000.0)) == 1


def test_the_data_cap_is_a_declared_setting_of_every_profile() -> None:
    from nndoctor.settings import SettingsRequest, resolve_settings

    caps = {p: resolve_settings(SettingsRequest(profile=p)).max_data_mib for p in ("quick", "default", "full")}
    assert caps == {"quick": 32.0, "default": 64.0, "full": 256.0}
    assert resolve_settings(SettingsRequest(profile="quick", max_data_mib=8.0)).max_data_mib == 8.0


def test_only_the_validation_batches_an_experiment_reads_are_held() -> None:
    from nndoctor.context import load_data, validation_batches_used
    from nndoctor.settings import SettingsRequest, resolve_settings
    from nndoctor.targets.model import Target

    settings = resolve_settings(SettingsRequest(profile="default"))
    used = validation_batches_used(settings)
    assert used == max(settings.probe("short_run").eval_batches, settings.probe("lr_range").held_batches)
    wider = resolve_settings(SettingsRequest(profile="default", probes={"short_run": {"eval_batches": 9}}))
    assert validation_batches_used(wider) == 9
    target = Target(name="t", model=torch.nn.Linear(4, 2), train_data=_loader(40, 2, 4), val_data=_loader(40, 2, 4))
    data = load_data(target, torch.device("cpu"), 32, math.inf, used)
    assert len(data.train) == 32 and data.val is not None and len(data.val) == used


def test_target_statistics_accumulated_per_batch_match_the_whole() -> None:
    from nndoctor.probes.data import _class_counts, _TargetSums

    g = torch.Generator().manual_seed(0)
    parts = [torch.randn(16, 3, generator=g) for _ in range(4)]
    parts[1][2, 1] = math.nan
    sums = _TargetSums()
    for part in parts:
        sums.add(part)
    got = {k: float(v) for k, v in sums.scalars().items()}
    whole = torch.cat(parts).reshape(-1).double()
    finite = whole[torch.isfinite(whole)]
    assert got["target_nonfinite"] == 1 and got["target_count"] == finite.numel()
    assert got["target_min"] == float(finite.min()) and got["target_max"] == float(finite.max())
    assert got["target_mean"] == pytest.approx(float(finite.mean()), rel=1e-12)
    assert got["target_var"] == pytest.approx(float(finite.var(unbiased=False)), rel=1e-9)
    assert got["target_fractional"] > 0

    labels = [torch.tensor([[0], [2], [2]]), torch.tensor([[1], [2], [5]])]
    values, counts = _class_counts(iter(labels))
    assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == {0: 1, 1: 1, 2: 3, 5: 1}


def test_backward_statistics_in_chunks_equal_the_direct_ones() -> None:
    from nndoctor.probes.backward import diff_norm, nonfinite_count, norm32

    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(3000, generator=g), torch.randn(3000, generator=g)
    a[7], a[2500] = math.inf, math.nan
    assert float(nonfinite_count(a, chunk=256)) == 2
    b2 = torch.randn(3000, generator=g)
    assert float(diff_norm(b, b2, chunk=256)) == pytest.approx(float(torch.linalg.vector_norm(b - b2)), rel=1e-5)
    half = torch.ones(8, dtype=torch.float16)
    assert float(norm32(half)) == pytest.approx(math.sqrt(8))


@pytest.mark.parametrize("omp", [None, "2"])
def test_a_check_run_reports_the_thread_count_the_policy_chose(omp: str | None) -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: one thread either way")
    env = _env(OMP_NUM_THREADS=omp, MKL_NUM_THREADS=None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nndoctor",
            "check",
            "sample_models/healthy/digits_mlp.py",
            "--profile",
            "quick",
            "--select",
            "ND101",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    threads_used = json.loads(proc.stdout)["environment"]["threads"]
    assert threads_used == (1 if omp is None else 2)  # a small model: one thread, unless the user chose
