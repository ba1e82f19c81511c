"""examples/llamaindex_rag.ipynb runs end to end offline (mock LLMs, local embeddings)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[3] / "examples" / "llamaindex_rag.ipynb"


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def run_notebook(tmp_path) -> tuple[str, list]:
    """Execute a copy of the notebook; (everything it printed, its error outputs)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    # A kernelspec of our own, so the kernel runs this interpreter whatever "python3" points to elsewhere,
    # and Unix-socket (ipc) transport: the test process opens no network socket for the kernel.
    spec_dir = tmp_path / "kernels" / "winroute-test"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "language": "python",
            "display_name": "winroute test kernel"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    km = KernelManager(
        kernel_name="winroute-test",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)]),
        transport="ipc",
        connection_file=str(tmp_path / "kernel.json"),
    )
    client = NotebookClient(nb, km=km, timeout=240, resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    out = ["".join(o.get("text", "") for o in c.outputs if o.output_type == "stream") for c in nb.cells if c.cell_type == "code"]
    assert Path(out[0].strip()) == Path(sys.executable), "the kernel must run this virtualenv's python"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    return "\n".join(out), errors


def test_notebook_runs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("WINROUTE_OFFLINE_EXAMPLES", "1")  # mocks even if a key is set
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    text, errors = run_notebook(tmp_path)
    assert "using mock models" in text
    assert text.count("answered by ") == 2  # the RouterLLM query engine
    assert text.count("   engine ") == 2  # the RouterQueryEngine + RouterSelector
    assert "tool search_docs(" in text and "tool metres_to_feet(" in text
    assert "sticky: inside a tool-call turn" in text  # the agent's second call stays with its model
    assert "answer: Tool calls complete." in text
    assert not errors


@pytest.mark.allow_hosts(["127.0.0.1"])
def test_notebook_runs_against_a_server(tmp_path, monkeypatch, openai_server):
    """OpenAILike clients, endpoint and model names from the environment, over loopback HTTP."""
    monkeypatch.delenv("WINROUTE_OFFLINE_EXAMPLES", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    monkeypatch.setenv("WINROUTE_STRONG_MODEL", "scripted-strong")
    monkeypatch.setenv("WINROUTE_WEAK_MODEL", "scripted-weak")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    before = len(openai_server.requests)
    text, errors = run_notebook(tmp_path)
    assert not errors
    assert "using OpenAI-compatible models" in text and text.count("answered by ") == 2
    assert "sticky: inside a tool-call turn" in text
    models = {r["model"] for r in openai_server.requests[before:]}
    assert models and models <= {"scripted-strong", "scripted-weak"}
