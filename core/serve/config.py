"""``serve.toml``: the server's configuration, validated whole with pydantic before anything starts.

Relative paths (the router artifact, a SQLite database) are read from the config file's folder.
API keys are never stored in the file in clear: ``auth.api_keys`` holds their SHA-256 digests
(``winroute serve --hash-key KEY`` prints one); keys in clear come only from environment
variables (``auth.api_keys_env``, ``auth.admin_key_env``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import WinrouteError

__all__ = [
    "Auth",
    "Child",
    "Limits",
    "LogSettings",
    "Policy",
    "ServeConfig",
    "ServeConfigError",
    "Shadow",
    "hash_key",
    "load_config",
]


class ServeConfigError(WinrouteError, ValueError):
    """``serve.toml`` (or the environment it names) is missing, malformed or inconsistent."""


def hash_key(key: str) -> str:
    """``"sha256:<hex>"``: how an API key is stored in ``serve.toml``."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Child(_Strict):
    """One upstream: any OpenAI-compatible chat endpoint."""

    base_url: str
    model: str = Field(min_length=1)
    api_key_env: str | None = None
    input_price: float = Field(0.0, ge=0, description="USD per 1M input tokens")
    output_price: float = Field(0.0, ge=0, description="USD per 1M output tokens")
    timeout: float = Field(60.0, gt=0, description="seconds per upstream request (the openai client's timeout)")
    max_retries: int = Field(0, ge=0, le=10, description="the openai client's retries (before any fallback)")

    def api_key(self, where: str) -> str:
        """The key from ``api_key_env``; a placeholder for servers that need none."""
        if self.api_key_env is None:
            return "not-needed"
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ServeConfigError(f"{where}.api_key_env names ${self.api_key_env}, which is not set")
        return value

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_price + completion_tokens * self.output_price) / 1e6


class Policy(_Strict):
    """The routing policy every request gets unless it overrides it (two-model or N-way settings)."""

    threshold: float | None = None
    strong_share: float | None = None
    cost_weight: float | None = None
    budget_per_1k: float | None = None
    min_quality: float | None = None
    target_share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="hold this strong share online (core.share_controller) instead of a fixed threshold",
    )
    share_window: int = Field(default=500, ge=10, description="recent scores the online threshold is set from")
    fallback: bool = True
    timeout: float | None = Field(
        default=None, gt=0, description="seconds a child may take to answer or start streaming"
    )

    @model_validator(mode="after")
    def _one_threshold_rule(self) -> Policy:
        if self.target_share is not None and (self.threshold is not None or self.strong_share is not None):
            raise ValueError(
                "give target_share (an online threshold) or threshold / strong_share (a fixed one), not both"
            )
        return self

    def settings(self) -> dict[str, Any]:
        """The router settings given (``None`` left out)."""
        keys = ("threshold", "strong_share", "cost_weight", "budget_per_1k", "min_quality")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


class Auth(_Strict):
    """Bearer API keys for clients, and a separate admin key for the admin endpoints."""

    api_keys: tuple[str, ...] = ()
    api_keys_env: str | None = None
    admin_key: str | None = None
    admin_key_env: str | None = None

    @field_validator("api_keys")
    @classmethod
    def _hashed(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            if not _is_digest(key):
                raise ValueError(
                    "auth.api_keys holds SHA-256 digests ('sha256:<64 hex>'), never keys in clear: "
                    "`winroute serve --hash-key KEY` prints one"
                )
        return keys

    @field_validator("admin_key")
    @classmethod
    def _admin_hashed(cls, key: str | None) -> str | None:
        if key is not None and not _is_digest(key):
            raise ValueError("auth.admin_key is a SHA-256 digest ('sha256:<64 hex>'), never the key in clear")
        return key

    def client_digests(self) -> tuple[str, ...]:
        """Digests of every client key: the config's, and the environment's (comma-separated, in clear)."""
        return self.api_keys + tuple(hash_key(k) for k in _env_keys(self.api_keys_env, "auth.api_keys_env"))

    def admin_digests(self) -> tuple[str, ...]:
        own = (self.admin_key,) if self.admin_key else ()
        return own + tuple(hash_key(k) for k in _env_keys(self.admin_key_env, "auth.admin_key_env"))


class LogSettings(_Strict):
    """The decision log: any SQLAlchemy URL (SQLite in WAL mode by default)."""

    database: str = "winroute-log.db"  # a SQLite file, or any SQLAlchemy URL
    log_prompts: bool = False

    @field_validator("database")
    @classmethod
    def _url(cls, value: str) -> str:
        return value if "://" in value else "sqlite:///" + value


class Shadow(_Strict):
    """Shadow labels: a share of answered requests is also answered by the other child and judged pairwise."""

    rate: float = Field(default=0.0, ge=0, le=1, description="share of eligible requests to shadow-label")
    judge: Child | None = None
    seed: int | None = Field(default=None, description="seed of the sampling (default: unseeded)")

    @model_validator(mode="after")
    def _needs_judge(self) -> Shadow:
        if self.rate > 0 and self.judge is None:
            raise ValueError("shadow.rate > 0 needs a [shadow.judge] (base_url, model, ...)")
        return self


class Limits(_Strict):
    max_request_bytes: int = Field(default=1_000_000, ge=1024)


class ServeConfig(_Strict):
    """The whole ``serve.toml``."""

    router: str | None = Field(None, description="router artifact directory; none: the bundled default")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    children: dict[str, Child] = Field(min_length=1)
    policy: Policy = Policy()
    auth: Auth = Auth()
    logging: LogSettings = LogSettings()
    limits: Limits = Limits()
    shadow: Shadow = Shadow()

    @property
    def open(self) -> bool:
        """No client key configured: anyone who can reach the port may call (so loopback only)."""
        return not self.auth.client_digests()

    def bind_host(self) -> tuple[str, str | None]:
        """The host to bind, and a warning when the configured one is refused for want of keys."""
        if self.open and not _is_loopback(self.host):
            return "127.0.0.1", (
                f"no API keys configured: binding to 127.0.0.1, not {self.host!r} "
                "(set auth.api_keys or auth.api_keys_env to serve other hosts)"
            )
        return self.host, None


def _is_digest(value: str) -> bool:
    head, _, hexpart = value.partition(":")
    return head == "sha256" and len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart)


def _env_keys(name: str | None, where: str) -> list[str]:
    if name is None:
        return []
    value = os.environ.get(name)
    if value is None:
        raise ServeConfigError(f"{where} names ${name}, which is not set")
    return [k.strip() for k in value.split(",") if k.strip()]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(path: str | Path) -> ServeConfig:
    """Read and validate ``serve.toml``; relative paths are resolved against its folder."""
    file = Path(path)
    if not file.is_file():
        raise ServeConfigError(f"server config not found: {file}")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ServeConfigError(f"{file}: not valid TOML: {exc}") from exc
    base = file.resolve().parent
    if isinstance(raw.get("router"), str) and raw["router"] not in ("default", "bundled"):
        raw["router"] = str((base / raw["router"]).resolve())
    elif raw.get("router") in ("default", "bundled"):
        raw["router"] = None
    log = raw.setdefault("logging", {})
    if isinstance(log, dict) and isinstance(log.get("database", ""), str):
        log["database"] = _resolve_sqlite(log.get("database", LogSettings().database), base)
    return parse_config(raw, where=str(file))


def parse_config(raw: dict[str, Any], *, where: str = "serve config") -> ServeConfig:
    """Validate a config already read (from TOML, or built in code)."""
    try:
        config = ServeConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise ServeConfigError(f"{where}: {problems}") from None
    config.auth.client_digests(), config.auth.admin_digests()  # named environment variables must exist
    for route, child in config.children.items():
        child.api_key(f"children.{route}")
    if config.shadow.judge is not None:
        config.shadow.judge.api_key("shadow.judge")
    return config


def _resolve_sqlite(url: str, base: Path) -> str:
    """A plain path is a SQLite file; a relative one is relative to the config file, not to the working directory."""
    prefix = "sqlite:///"
    if "://" not in url:
        url = prefix + url
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str(base / url[len(prefix) :])
    return url
