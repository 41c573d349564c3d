"""The codebase stays clean: the `make lint` and `make typecheck` checks pass.

Runs the same tools on the same paths as the Makefile targets, as subprocesses
of this interpreter, so CI fails on a lint, format or type error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: The paths `make lint` checks.
LINT_PATHS = ["crawler", "classifier", "index", "review_ui", "tests", "benchmarks"]
#: The packages `make typecheck` checks.
TYPECHECK_PATHS = ["index", "crawler", "review_ui"]

CHECKS = {
    "ruff check": ["ruff", "check", *LINT_PATHS],
    "ruff format --check": ["ruff", "format", "--check", *LINT_PATHS],
    # The default cache dir (.mypy_cache, git-ignored) keeps reruns fast.
    "mypy": ["mypy", *TYPECHECK_PATHS],
}


@pytest.mark.parametrize("tool", list(CHECKS))
def test_check_passes(tool: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *CHECKS[tool]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"`{tool}` failed (exit {result.returncode}); run `make lint` / `make typecheck` and fix:\n"
        f"{result.stdout}{result.stderr}"
    )
