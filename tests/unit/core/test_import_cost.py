"""``import core`` stays cheap: the heavy libraries load on first use, never at import."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: Third-party packages that cost seconds to import: each loads on first use, never at ``import core``.
HEAVY_IMPORTS = ("torch", "transformers", "sentence_transformers", "scipy", "sklearn", "matplotlib")


@pytest.mark.parametrize("module", ["core", "core.cli"])
def test_import_core_is_light(module: str) -> None:
    """``import core`` (and the ``winroute`` CLI's module) loads none of the heavy libraries."""
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY_IMPORTS!r} if m in sys.modules) or '-')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["-"], f"import {module} loaded {out.strip()}"
