"""The samples' data ships inside the package: no scikit-learn, no scipy, the same arrays as before."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nndoctor.project import tomllib  # tomllib, or tomli on Python 3.10
from nndoctor.samples.datasets import load_bundled

ROOT = Path(__file__).resolve().parent.parent

# sha256 of features + targets bytes, as scikit-learn's loaders gave them when the samples were
# calibrated: a changed file would change the samples' verdicts
CHECKSUMS = {
    "digits": "f6d9e39f37dc45d327f6db33428ee58970ccceabb2535a5c179de35886b70443",
    "breast_cancer": "25e2eb7b7a8745b1bde5ba18bc4969983d2e2f403291ecd5bde4a29ef30c3859",
    "wine": "3a28849ef2366c4b9d4e382b3fa5624a66f693c04d7fdcf43c529bbb0bb338d7",
    "iris": "aa06b8008ceba42efc654be0f83fdafc786239c9e8f13146044d078f5aab8f23",
    "diabetes": "e9c1f7559552854a24dc45b41c446ce5f79f96e5da081bcce24b57492720b3f7",
}


@pytest.mark.parametrize("name", sorted(CHECKSUMS))
def test_bundled_arrays_are_the_calibrated_ones(name: str) -> None:
    x, y = load_bundled(name)
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest()
    assert digest == CHECKSUMS[name]
    assert not x.flags.writeable and not y.flags.writeable


def test_loading_the_data_imports_neither_sklearn_nor_scipy() -> None:
    code = (
        "import sys\n"
        "from nndoctor.samples.datasets import load_bundled\n"
        "for name in ('digits', 'breast_cancer', 'wine', 'iris', 'diabetes'): load_bundled(name)\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_install_needs_no_sklearn_or_scipy_and_offers_the_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = " ".join(project["dependencies"]).lower()
    assert "scikit" not in names and "sklearn" not in names and "scipy" not in names
    assert any(dep.startswith("pyarrow") for dep in project["optional-dependencies"]["parquet"])
    assert any(dep.startswith("matplotlib") for dep in project["optional-dependencies"]["plot"])


def test_data_files_live_in_the_package_the_wheel_ships() -> None:
    folder = ROOT / "nndoctor" / "samples" / "data"
    files = {p.name for p in folder.iterdir()}
    assert {
        "digits.csv.gz",
        "breast_cancer.csv.gz",
        "wine_data.csv.gz",
        "iris.csv.gz",
        "diabetes_data_raw.csv.gz",
        "diabetes_target.csv.gz",
    } <= files
    assert sum((folder / f).stat().st_size for f in files) < 200_000


def test_parquet_without_its_engine_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nndoctor.targets.table as table
    from nndoctor.errors import TargetError

    monkeypatch.setattr(table, "_parquet_engine", lambda: False)
    data = tmp_path / "train.parquet"
    data.write_bytes(b"PAR1")
    with pytest.raises(TargetError, match=r"pip install 'nndoctor\[parquet\]'"):
        table.load_table(data, "label")
