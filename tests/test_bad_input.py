"""Bad input ends with a clear one-paragraph message and exit code 2, never a traceback.

Every case runs end to end through the real CLI on a tiny recipe written into tmp_path. The
message must name what is wrong (the file, the recipe function or the option) and say what to do.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from nndoctor.cli import app

TRACEBACK = "Traceback (most recent call last)"

# A valid recipe: the bad-input cases below each break one part of it.
HEADER = """
import torch
from torch.utils.data import DataLoader, TensorDataset
"""
GOOD_MODEL = """
def build_model():
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
"""
GOOD_DATA = """
def build_data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g)
    y = torch.randint(0, 3, (32,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=8)
"""


def write(tmp_path: Path, name: str, *parts: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(textwrap.dedent(p) for p in parts), encoding="utf-8")
    return path


def plain(text: str) -> str:
    """The panel's text on one line: box drawing removed, whitespace collapsed."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def run_cli(*args: str | Path) -> tuple[int, str]:
    # A wide terminal keeps long tmp paths on one line inside the panel.
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "500", "NO_COLOR": "1"})
    return result.exit_code, result.output


def assert_usage_error(args: list[str | Path], *needles: str) -> str:
    """Exit code 2, no traceback, and every needle (case-insensitive) in the message."""
    code, output = run_cli(*args)
    text = plain(output)
    assert code == 2, f"exit {code}, output:\n{output}"
    assert TRACEBACK not in output
    for needle in needles:
        assert needle.lower() in text.lower(), f"{needle!r} not in:\n{text}"
    return text


# -- the recipe -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    assert_usage_error(["check", missing], str(missing), "does not exist", "nndoctor init")


def test_missing_module() -> None:
    assert_usage_error(["check", "no_such_recipe_module_xyz"], "no_such_recipe_module_xyz", "pass a path")


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    recipe = write(tmp_path, "broken_syntax.py", GOOD_MODEL, "\ndef build_data(:\n    pass\n")
    lines = recipe.read_text().splitlines()
    lineno = next(i for i, line in enumerate(lines, 1) if line.startswith("def build_data(:"))
    assert_usage_error(["check", recipe], f"{recipe}:{lineno}", "syntax error", "fix the file")


def test_recipe_without_build_model(tmp_path: Path) -> None:
    recipe = write(tmp_path, "no_model.py", GOOD_DATA)
    assert_usage_error(["check", recipe], str(recipe.name), "build_model()", "nndoctor init")


def test_build_data_returning_a_number(tmp_path: Path) -> None:
    recipe = write(tmp_path, "data_int.py", GOOD_MODEL, "\ndef build_data():\n    return 42\n")
    text = assert_usage_error(["check", recipe], "build_data()", recipe.name, "returned an int", "return a DataLoader")
    assert "a int" not in text


def test_build_data_returning_a_tensor(tmp_path: Path) -> None:
    recipe = write(tmp_path, "data_tensor.py", GOOD_MODEL, "\ndef build_data():\n    return torch.randn(8, 4)\n")
    assert_usage_error(["check", recipe], "build_data()", "a Tensor", "not a loader", "return a DataLoader")


def test_build_data_dict_with_a_bad_validation_part(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "data_dict.py",
        GOOD_MODEL,
        "\ndef build_data():\n    return {'train': [(torch.randn(8, 4), torch.zeros(8).long())], 'val': 3}\n",
    )
    assert_usage_error(["check", recipe], "build_data()", "validation data is an int", "not a loader")


def test_empty_loader(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "empty.py",
        GOOD_MODEL,
        """
        def build_data():
            x, y = torch.randn(0, 4), torch.zeros(0, dtype=torch.long)
            return DataLoader(TensorDataset(x, y), batch_size=8)
        """,
    )
    assert_usage_error(["check", recipe, "--profile", "quick"], recipe.name, "yielded no batches", "dataset")


def test_a_batch_without_samples_is_named(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "zero_rows.py",
        GOOD_MODEL,
        """
        def build_data():
            x, y = torch.randn(16, 4), torch.zeros(16, dtype=torch.long)
            return [(x[:8], y[:8]), (x[:0], y[:0])]
        """,
    )
    assert_usage_error(["check", recipe, "--profile", "quick"], "Batch 2", "holds no samples", "Tensor[0, 4]")


def test_batch_that_is_not_a_pair_without_forward(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "triple.py",
        GOOD_MODEL,
        """
        def build_data():
            return [(torch.randn(8, 4), torch.zeros(8, dtype=torch.long), torch.ones(8)) for _ in range(2)]
        """,
    )
    assert_usage_error(
        ["check", recipe, "--profile", "quick"],
        "not an (inputs, targets) pair",
        "Tensor[8, 4]",
        "forward(model, batch)",
    )


def test_dict_batch_without_forward(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "dict_batch.py",
        GOOD_MODEL,
        """
        def build_data():
            return [{"x": torch.randn(8, 4), "y": torch.zeros(8, dtype=torch.long)} for _ in range(2)]
        """,
    )
    assert_usage_error(["check", recipe, "--profile", "quick"], "'x': Tensor[8, 4]", "define `forward(model, batch)`")


def test_model_forward_raising_shows_exception_and_shapes(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "wrong_width.py",
        GOOD_MODEL,
        """
        def build_data():
            return [(torch.randn(8, 5), torch.zeros(8, dtype=torch.long)) for _ in range(2)]
        """,
    )
    assert_usage_error(
        ["check", recipe, "--profile", "quick"],
        "model's forward",
        "RuntimeError",
        "8x5 and 4x8",  # the exception's own message
        "Tensor[8, 5] float32",  # the batch shapes
        "check the model's expected input shape",
    )


def test_user_forward_raising_names_forward(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "bad_forward.py",
        GOOD_MODEL,
        GOOD_DATA,
        """
        def forward(model, batch):
            raise KeyError("image")
        """,
    )
    assert_usage_error(["check", recipe, "--profile", "quick"], "`forward(model, batch)`", "KeyError", "Tensor[8, 4]")


def test_build_model_raising_names_the_function_and_line(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "model_raises.py",
        GOOD_DATA,
        """
        def build_model():
            raise ValueError("hidden size must be positive")
        """,
    )
    lines = recipe.read_text().splitlines()
    lineno = next(i for i, line in enumerate(lines, 1) if "raise ValueError" in line)
    assert_usage_error(["check", recipe], "build_model()", "ValueError", "hidden size must be positive", f":{lineno}")


def test_build_model_returning_something_else(tmp_path: Path) -> None:
    recipe = write(tmp_path, "model_dict.py", GOOD_DATA, "\ndef build_model():\n    return {'w': 1}\n")
    assert_usage_error(["check", recipe, "--profile", "quick"], "dict", "build_model()", "nn.Module")


def test_loss_returning_non_scalar(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "loss_vector.py",
        GOOD_MODEL,
        GOOD_DATA,
        "\ndef build_loss():\n    return torch.nn.CrossEntropyLoss(reduction='none')\n",
    )
    assert_usage_error(
        ["check", recipe, "--profile", "quick"],
        "CrossEntropyLoss",
        "shape [8]",
        "not a scalar",
        "build_loss()",
        ".mean()",
    )


def test_loss_returning_non_tensor(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "loss_float.py",
        GOOD_MODEL,
        GOOD_DATA,
        """
        def build_loss():
            def my_loss(output, target):
                return float(torch.nn.functional.cross_entropy(output, target))
            return my_loss
        """,
    )
    assert_usage_error(
        ["check", recipe, "--profile", "quick"], "my_loss", "returned a float", "torch.Tensor", "build_loss()"
    )


def test_a_torch_loss_refusing_the_targets_is_an_nd103_finding_with_the_shapes(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "loss_refuses.py",
        GOOD_MODEL,
        """
        def build_data():
            # one-hot integer targets [8, 3] with an index loss that wants int64 [8]
            return [(torch.randn(8, 4), torch.zeros(8, 3, dtype=torch.long)) for _ in range(2)]

        def build_loss():
            return torch.nn.NLLLoss()
        """,
    )
    code, output = run_cli("check", recipe, "--profile", "quick", "--select", "ND103")
    text = plain(output)
    assert code == 1 and TRACEBACK not in output, output
    for needle in ("FAIL ND103", "NLLLoss refuses", "output Tensor[8, 3] float32", "target Tensor[8, 3] int64"):
        assert needle in text, f"{needle!r} not in:\n{text}"
    assert "one-hot rows" in text and "argmax(dim=1)" in text


def test_a_loss_raising_in_the_users_own_code_is_a_usage_error_with_the_shapes(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "loss_raises.py",
        GOOD_MODEL,
        GOOD_DATA,
        """
        def my_loss(output, target):
            if output.shape[1] != 5:
                raise ValueError("expected five scores per sample")
            return output.mean()

        def build_loss():
            return my_loss
        """,
    )
    assert_usage_error(
        ["check", recipe, "--profile", "quick"],
        "The loss (my_loss) raised ValueError",
        "expected five scores",
        "build_loss()",
    )


def test_build_loss_returning_non_callable(tmp_path: Path) -> None:
    recipe = write(tmp_path, "loss_str.py", GOOD_MODEL, GOOD_DATA, "\ndef build_loss():\n    return 'mse'\n")
    assert_usage_error(["check", recipe], "build_loss()", "callable", "nn.CrossEntropyLoss()")


# -- options and profiles --------------------------------------------------------------------


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    return write(tmp_path, "good.py", GOOD_MODEL, GOOD_DATA)


def test_unknown_check_id_in_select(recipe: Path) -> None:
    assert_usage_error(["check", recipe, "--select", "ND999"], "--select", "ND999", "ND101", "nndoctor checks")


def test_unknown_check_id_in_ignore(recipe: Path) -> None:
    assert_usage_error(["check", recipe, "--ignore", "ND2,XX1"], "--ignore", "XX1", "nndoctor checks")


def test_unknown_profile(recipe: Path) -> None:
    assert_usage_error(["check", recipe, "--profile", "nope"], "profile 'nope'", "quick", "default", ".yaml")


def test_malformed_profile_yaml(recipe: Path, tmp_path: Path) -> None:
    profile = tmp_path / "broken.yaml"
    profile.write_text("extends: quick\nselect: [ND1\n", encoding="utf-8")
    assert_usage_error(["check", recipe, "--profile", profile], f"{profile}:", "not valid YAML", "fix the syntax")


def test_profile_with_unknown_key(recipe: Path, tmp_path: Path) -> None:
    profile = tmp_path / "typo.yaml"
    profile.write_text("extends: quick\nselct: [ND1]\n", encoding="utf-8")
    assert_usage_error(["check", recipe, "--profile", profile], str(profile), "selct", "known keys", "select")


def test_unknown_threshold_in_user_profile(recipe: Path, tmp_path: Path) -> None:
    profile = tmp_path / "thresholds.yaml"
    profile.write_text("extends: quick\nthresholds: {ND201: {nope: 1}}\n", encoding="utf-8")
    assert_usage_error(
        ["check", recipe, "--profile", profile], str(profile), "nope", "ND201", "max_ratio", "nndoctor explain ND201"
    )


def test_thresholds_for_unknown_check_in_user_profile(recipe: Path, tmp_path: Path) -> None:
    profile = tmp_path / "unknown_check.yaml"
    profile.write_text("extends: quick\nthresholds: {ND999: {x: 1}}\n", encoding="utf-8")
    assert_usage_error(["check", recipe, "--profile", profile], str(profile), "ND999")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present, so --device cuda is valid here")
def test_cuda_requested_but_absent(recipe: Path) -> None:
    assert_usage_error(
        ["check", recipe, "--device", "cuda", "--profile", "quick"], "--device cuda", "no CUDA", "--device cpu"
    )


def test_unknown_device(recipe: Path) -> None:
    assert_usage_error(["check", recipe, "--device", "tpu", "--profile", "quick"], "--device is 'tpu'", "cpu", "cuda:N")


def test_two_targets_at_once(recipe: Path, tmp_path: Path) -> None:
    config = tmp_path / "x.yaml"
    config.write_text("model: a:b\ndata: a:c\n", encoding="utf-8")
    assert_usage_error(["check", recipe, "--config", config], "TARGET and --config", "one target")


def test_explain_unknown_check() -> None:
    assert_usage_error(["explain", "ND999"], "ND999", "nndoctor checks", "ND201")


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "mine.py"
    existing.write_text("# my own work\n", encoding="utf-8")
    assert_usage_error(["init", existing], str(existing), "already exists", "--force")
    assert existing.read_text(encoding="utf-8") == "# my own work\n"


def test_unwritable_report_file(recipe: Path, tmp_path: Path) -> None:
    target = tmp_path / "no_such_dir" / "report.json"
    assert_usage_error(["check", recipe, "--select", "ND101", "--json", target], str(target), "cannot write")


# -- YAML configs ----------------------------------------------------------------------------


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    write(tmp_path, "parts.py", GOOD_MODEL, GOOD_DATA)
    return tmp_path


def test_malformed_config_yaml(config_dir: Path) -> None:
    config = config_dir / "bad.yaml"
    config.write_text("model: [unclosed\ndata: parts.py:build_data\n", encoding="utf-8")
    assert_usage_error(["check", "--config", config], f"{config}:2", "not valid YAML", "fix the syntax")


def test_missing_config_file(tmp_path: Path) -> None:
    config = tmp_path / "absent.yaml"
    assert_usage_error(["check", "--config", config], str(config), "does not exist", "--config")


def test_config_with_unknown_key(config_dir: Path) -> None:
    config = config_dir / "unknown.yaml"
    config.write_text(
        "model: parts.py:build_model\ndata: parts.py:build_data\nlos: torch.nn:MSELoss\n", encoding="utf-8"
    )
    assert_usage_error(["check", "--config", config], str(config), "'los'", "remove or rename", "loss")


def test_config_referencing_a_missing_attribute(config_dir: Path) -> None:
    config = config_dir / "missing_attr.yaml"
    config.write_text("model: parts.py:build_modle\ndata: parts.py:build_data\n", encoding="utf-8")
    assert_usage_error(
        ["check", "--config", config], "model: parts.py:build_modle", "'build_modle'", "fix the name", "build_model"
    )


def test_config_referencing_a_missing_module(config_dir: Path) -> None:
    config = config_dir / "missing_module.yaml"
    config.write_text("model: no_such_pkg_xyz.models:mlp\ndata: parts.py:build_data\n", encoding="utf-8")
    assert_usage_error(["check", "--config", config], "no_such_pkg_xyz", "model")


def test_config_with_bad_kwargs(config_dir: Path) -> None:
    config = config_dir / "kwargs.yaml"
    config.write_text(
        "model: {factory: parts.py:build_model, kwargs: {hidden: 3}}\ndata: parts.py:build_data\n", encoding="utf-8"
    )
    assert_usage_error(["check", "--config", config], "model factory", "TypeError", "hidden")


# -- tabular files ---------------------------------------------------------------------------


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "table.csv"
    pd.DataFrame({"a": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "b": [1, 2, 3, 4, 5, 6], "label": [0, 1, 0, 1, 0, 1]}).to_csv(
        path, index=False
    )
    return path


def test_data_without_target(csv_file: Path) -> None:
    assert_usage_error(["check", "--data", csv_file], str(csv_file), "--target COLUMN")


def test_target_without_data() -> None:
    assert_usage_error(["check", "--target", "label"], "--target", "needs --data")


def test_target_naming_a_missing_column(csv_file: Path) -> None:
    assert_usage_error(
        ["check", "--data", csv_file, "--target", "labels"], "--target 'labels'", str(csv_file), "a, b, label"
    )


def test_missing_data_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.csv"
    assert_usage_error(["check", "--data", missing, "--target", "y"], str(missing), "does not exist")
