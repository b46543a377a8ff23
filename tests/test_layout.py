"""The shape of the house: the import layers hold, and they are checked for real.

The layers of common/ are written down as import-linter contracts in pyproject.toml and run by
`make lint`. These tests run the same linter: on the tree as it is (the contracts are kept), and
on a copy with one import that runs up a layer (the contracts catch it), so a contract that
stopped checking anything would fail here. No module in common/ or recipes/ grows past 400 lines.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 400


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """common/, recipes/ and pyproject.toml copied, so the test can break the copy."""
    tree = tmp_path_factory.mktemp("house")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("common", "recipes"):
        shutil.copytree(ROOT / name, tree / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_layers_of_common_hold(tree_copy):
    result = lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("common/config/schema.py", "from common.training import runs"),
        ("common/data/pipeline.py", "from common.reporting import plots"),
        ("common/serving/export.py", "from common.tuning import tuner"),
        ("common/modeling/tasks.py", "import recipes.binary"),
    ],
)
def test_an_upward_import_breaks_the_contract(tree_copy, module, upward):
    """Even inside a function, where it hides from a reader skimming the top of the file."""
    path = tree_copy / module
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original + f"\n\ndef _upward():\n    {upward}\n", encoding="utf-8")
        result = lint_imports(tree_copy)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def test_no_module_is_longer_than_400_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for folder in ("common", "recipes")
        for path in (ROOT / folder).rglob("*.py")
        if not path.name.startswith("test_")
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by concern: {long}"
