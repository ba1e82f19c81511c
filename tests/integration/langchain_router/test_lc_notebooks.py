"""The LangChain example notebooks run end to end: offline on fake chat models, and with real
ChatOpenAI clients against the loopback OpenAI-compatible server (tests/openai_server.py), their
endpoint and model names from OPENAI_BASE_URL / WINROUTE_STRONG_MODEL / WINROUTE_WEAK_MODEL.

The kernel talks to the test over IPC (unix sockets), runs this environment's Python (from a
kernelspec written for the test, whatever kernelspecs the machine has); offline it gets no
OPENAI_API_KEY / OPENAI_BASE_URL, so the notebooks take their offline path. The routing is the
real bundled default router.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

REPO = Path(__file__).resolve().parents[3]
CHECK_CELL = "import sys, langchain_router\nprint('EXECUTABLE=' + sys.executable)\nprint('PACKAGE=' + langchain_router.__file__)"


def run_notebook(name: str, tmp_path: Path) -> str:
    """Execute a copy of ``examples/<name>``; returns all the text it printed."""
    notebook = nbformat.read(REPO / "examples" / name, as_version=4)
    for cell in notebook.cells:  # committed without outputs
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{name}: clear the outputs before committing"
    notebook.cells.append(new_code_cell(CHECK_CELL))
    manager = KernelManager(
        kernel_name="winroute-test",
        kernel_spec_manager=_this_python_kernelspec(tmp_path),
        transport="ipc",
        ip=str(tmp_path / "kernel"),
    )
    # run from examples/, as Jupyter does (the offline path imports the stand-in model from ../tests)
    client = NotebookClient(notebook, km=manager, timeout=300, resources={"metadata": {"path": str(REPO / "examples")}})
    client.execute()
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append(output["text"])
            elif "data" in output and "text/plain" in output["data"]:
                texts.append(output["data"]["text/plain"])
    return "\n".join(texts)


def _this_python_kernelspec(tmp_path: Path) -> KernelSpecManager:
    """A kernelspec running the test's own interpreter (so the kernel sees this venv)."""
    spec_dir = tmp_path / "kernels" / "winroute-test"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "winroute test kernel",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def check_kernel(output: str) -> None:
    assert f"EXECUTABLE={sys.executable}" in output
    assert f"PACKAGE={REPO / 'langchain_router' / '__init__.py'}" in output


@pytest.mark.usefixtures("offline_env")
def test_lcel_notebook(tmp_path: Path) -> None:
    output = run_notebook("langchain_lcel.ipynb", tmp_path)
    check_kernel(output)
    assert "[fake-strong]" in output or "[fake-weak]" in output
    assert "answered by fake-" in output
    assert "forced: model='strong'" in output and "threshold 1.000" in output


@pytest.mark.usefixtures("offline_env")
def test_agent_notebook(tmp_path: Path) -> None:
    output = run_notebook("langchain_agent_tools.ipynb", tmp_path)
    check_kernel(output)
    assert "tool multiply({'a': 12, 'b': 7}) -> 84" in output
    assert output.count("sticky: inside a tool-call turn") == 2
    assert "It is sunny in Lisbon." in output


@pytest.mark.usefixtures("offline_env")
def test_create_agent_notebook(tmp_path: Path) -> None:
    output = run_notebook("langchain_create_agent.ipynb", tmp_path)
    check_kernel(output)
    assert output.count("sticky: inside a tool-call turn") == 3
    assert any("answer:" in line and "84" in line for line in output.splitlines())  # 12 x 7 by the tool
    assert "state: fake-" in output and "chosen: " in output and "P(strong)=" in output


@pytest.fixture
def server_env(offline_env: None, openai_server, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    monkeypatch.setenv("WINROUTE_STRONG_MODEL", "scripted-strong")
    monkeypatch.setenv("WINROUTE_WEAK_MODEL", "scripted-weak")


@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.usefixtures("server_env")
@pytest.mark.parametrize("name", ["langchain_lcel.ipynb", "langchain_agent_tools.ipynb", "langchain_create_agent.ipynb"])
def test_notebooks_against_a_server(name: str, tmp_path: Path, openai_server) -> None:  # noqa: ANN001
    before = len(openai_server.requests)
    output = run_notebook(name, tmp_path)
    check_kernel(output)
    assert "scripted-" in output and "fake-" not in output
    models = {r["model"] for r in openai_server.requests[before:]}
    assert models and models <= {"scripted-strong", "scripted-weak"}
