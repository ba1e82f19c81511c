"""serve.toml: read, validated whole, paths resolved against its folder; keys only as digests."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.serve.config import ServeConfigError, hash_key, load_config, parse_config

TOML = """
router = "routers/mine"
port = 9000
[children.strong]
base_url = "https://api.example.com/v1"
model = "gpt-4o"
api_key_env = "WR_TEST_KEY"
input_price = 2.5
output_price = 10.0
[children.weak]
base_url = "http://127.0.0.1:8080/v1"
model = "llama-3.1-8b"
[policy]
strong_share = 0.3
timeout = 20
[auth]
api_keys = ["{digest}"]
[logging]
database = "log/winroute.db"
"""


def test_load_config_resolves_paths_and_reads_keys(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WR_TEST_KEY", "sk-upstream")
    file = tmp_path / "serve.toml"
    file.write_text(TOML.replace("{digest}", hash_key("client-key")))
    config = load_config(file)
    assert config.router == str(tmp_path / "routers" / "mine")
    assert config.logging.database == f"sqlite:///{tmp_path / 'log' / 'winroute.db'}" and not config.logging.log_prompts
    assert config.children["strong"].api_key("children.strong") == "sk-upstream"
    assert config.policy.settings() == {"strong_share": 0.3} and config.port == 9000
    assert config.children["strong"].cost(1_000_000, 100_000) == pytest.approx(3.5)
    assert not config.open and config.bind_host() == ("127.0.0.1", None)
    monkeypatch.delenv("WR_TEST_KEY")
    with pytest.raises(ServeConfigError, match=r"\$WR_TEST_KEY, which is not set"):
        load_config(file)


@pytest.mark.parametrize(("change", "message"), [
    ({"auth": {"api_keys": ["plain-key"]}}, "never keys in clear"),
    ({"children": {}}, "children"),
    ({"children": {"strong": {"base_url": "x"}}}, "model"),
    ({"policy": {"timeout": -1}}, "policy.timeout"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_configs_name_what_is_wrong(change, message) -> None:
    raw = {"children": {"strong": {"base_url": "http://a/v1", "model": "a"}, "weak": {"base_url": "http://b/v1", "model": "b"}}}
    raw.update(change)
    with pytest.raises(ServeConfigError, match=message):
        parse_config(raw)


def test_without_keys_the_server_binds_loopback_only() -> None:
    raw = {"host": "0.0.0.0", "children": {"strong": {"base_url": "http://a/v1", "model": "a"}}}
    host, warning = parse_config(raw).bind_host()
    assert host == "127.0.0.1" and "no API keys configured" in warning


def test_import_core_stays_light() -> None:
    """``import core`` loads neither the server nor its web stack (nor any framework)."""
    code = ("import sys, core; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'uvicorn', 'starlette', 'sqlalchemy', 'prometheus_client', 'langchain', 'llama_index') "
            "or m.startswith('core.serve')]; print(bad); sys.exit(bool(bad))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False).returncode == 0
    code = "import sys, core.serve; sys.exit(any(m.split('.')[0] in ('langchain', 'llama_index') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False).returncode == 0


def test_the_readme_serve_toml_is_valid(tmp_path, monkeypatch) -> None:
    """The README's complete serve.toml parses (its digest placeholder filled, its variables set)."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    block = "# serve.toml" + readme.split("```toml\n# serve.toml", 1)[1].split("```", 1)[0]
    for name in ("OPENAI_API_KEY", "WINROUTE_API_KEYS", "WINROUTE_ADMIN_KEY"):
        monkeypatch.setenv(name, "k")
    (tmp_path / "serve.toml").write_text(block.replace("sha256:...", hash_key("client")))
    config = load_config(tmp_path / "serve.toml")
    assert config.router is None and set(config.children) == {"strong", "weak"} and not config.open
    assert config.policy.settings() == {"strong_share": 0.3} and config.logging.database.endswith("winroute-log.db")
