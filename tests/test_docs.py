"""The docs cannot drift from the code: the README's check table and set-up commands."""

from __future__ import annotations

import re
from pathlib import Path

from nndoctor.catalogue import catalogue_markdown, catalogue_rows

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_check_table_matches_the_catalogue():
    match = re.search(r"<!-- checks-table:[^>]*-->\n(.*?)<!-- /checks-table -->", README, re.S)
    assert match, "README.md lost its checks-table markers"
    assert match.group(1) == catalogue_markdown(catalogue_rows(plugins=False))


def test_ci_runs_the_readme_test_command():
    command = re.search(r"^(pip install .*python -m pytest.*)$", README, re.M)
    assert command, "README.md has no test command"
    assert "python -m pytest -q" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install torch==2.13.0 -e ".[test]"' in command.group(1)


def test_every_sample_is_listed_in_the_samples_readme():
    listed = (ROOT / "sample_models" / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "sample_models").glob("*/*.py")):
        assert path.stem in listed, f"{path.parent.name}/{path.name} is missing from sample_models/README.md"
