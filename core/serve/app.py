"""The FastAPI app: OpenAI-compatible chat and models, feedback, admin, metrics.

``create_app(config)`` builds everything from a validated :class:`~core.serve.config.ServeConfig`
(pass ``router=`` to serve a router already loaded). ``serve(config)`` runs it with uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from ..errors import WinrouteError
from .chat import SETTINGS, ChatHandler
from .config import ServeConfig, ServeConfigError, load_config
from .controller import RoutingState
from .dashboard import add_dashboard
from .errors import ApiError, error_body
from .log import DecisionLog
from .metrics import MULTIPROC_ENV, Metrics
from .security import BodyLimit, Keys
from .shadow import ShadowLabeler
from .shared import AdminStore
from .upstreams import Upstream

__all__ = ["create_app", "serve"]

CONFIG_ENV = "WINROUTE_SERVE_CONFIG"


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0.0, le=1.0, description="how good the answer was: 1 good, 0 bad")


class ReloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    router: str | None = Field(None, description="router artifact directory (default: serve.toml's router)")


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: float | None = None
    strong_share: float | None = None
    cost_weight: float | None = None
    budget_per_1k: float | None = None
    min_quality: float | None = None
    target_share: float | None = Field(default=None, ge=0, le=1, description="hold this strong share online")


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body


def create_app(config: ServeConfig, *, router: Any = None, adopt_shared: bool = False) -> FastAPI:
    """The server for ``config``; ``router``: a router already loaded (default: ``config.router``).

    Admin changes are shared through the log's database with every app on it: at start the app
    publishes its own state, or with ``adopt_shared`` (a worker of ``winroute serve``) takes on the
    stored one.
    """
    from .. import load_router

    state = RoutingState(config, router if router is not None else load_router(config.router))
    log = DecisionLog(config.logging.database, log_prompts=config.logging.log_prompts)
    store = AdminStore(log.engine)
    metrics = Metrics()
    keys = Keys(config)
    upstreams = {name: Upstream(name, child) for name, child in config.children.items()}
    chat = ChatHandler(state, upstreams, log, metrics)
    if config.shadow.rate > 0:
        chat.shadow = ShadowLabeler(config.shadow, log, metrics, chat.pending)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        await state.share_with(store, adopt=adopt_shared)
        await state.live.router.aroute("warm up")  # the encoder loads on first use: not on a client's request
        yield
        await chat.drain()
        for upstream in upstreams.values():
            await upstream.aclose()
        if chat.shadow is not None:
            await chat.shadow.aclose()
        log.dispose()

    app = FastAPI(title="winroute", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.routing, app.state.log, app.state.metrics, app.state.keys = state, log, metrics, keys
    app.add_middleware(BodyLimit, limit=config.limits.max_request_bytes)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.message, exc.type, exc.code, exc.param), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'body'}: {e['msg']}" for e in exc.errors())
        return JSONResponse(error_body(f"invalid request: {problems}", "invalid_request_error"), status_code=400)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        keys.client(request)
        return await chat(await _json(request))

    @app.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        keys.client(request)
        live = state.live
        ids = dict.fromkeys(["winroute", live.model_id])
        return {
            "object": "list",
            "data": [{"id": i, "object": "model", "created": 0, "owned_by": "winroute"} for i in ids],
        }

    @app.post("/v1/feedback")
    async def feedback(request: Request, item: FeedbackIn) -> dict[str, Any]:
        keys.client(request)
        if not await asyncio.to_thread(log.add_feedback, item.request_id, item.score):
            raise ApiError(404, f"no logged request has id {item.request_id!r}", code="request_not_found")
        return {"ok": True, "request_id": item.request_id, "score": item.score}

    @app.post("/admin/reload")
    async def reload(request: Request, item: ReloadIn | None = None) -> dict[str, Any]:
        keys.admin(request)
        path = item.router if item and item.router else config.router
        try:
            live = await state.reload(path)
        except (WinrouteError, ValueError, OSError) as exc:
            raise ApiError(400, f"reload failed, the router in use is unchanged: {exc}", code="reload_failed") from None
        return {"router": live.router.name, "sha256": live.router.artifact_sha256, "settings": dict(live.settings)}

    @app.post("/admin/policy")
    async def policy(request: Request, item: PolicyIn) -> dict[str, Any]:
        keys.admin(request)
        settings = {k: v for k, v in item.model_dump().items() if k in SETTINGS and v is not None}
        try:
            live = await state.set_policy(settings, item.target_share)
        except ValueError as exc:
            raise ApiError(400, f"policy refused: {exc}") from None
        return {"settings": dict(live.settings), "share": state.share.state() if state.share else None}

    @app.get("/metrics")
    async def prometheus(request: Request) -> Response:
        keys.client(request)
        from prometheus_client import CONTENT_TYPE_LATEST

        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    add_dashboard(app, state, log, keys)
    return app


def app_from_env() -> FastAPI:
    """An app from the config named by ``$WINROUTE_SERVE_CONFIG`` (uvicorn's factory, one per worker)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise ServeConfigError(f"${CONFIG_ENV} is not set")
    return create_app(load_config(path), adopt_shared=True)


def _publish_config_state(config: ServeConfig) -> None:
    """Store serve.toml's router and policy as the shared admin state: a (re)started server begins
    from its config, and a worker uvicorn starts later takes on whatever admin calls changed since."""
    log = DecisionLog(config.logging.database)
    try:
        AdminStore(log.engine).publish(config.router, None, config.policy.settings(), config.policy.target_share)
    finally:
        log.dispose()


def serve(config_path: str | Path, *, workers: int = 1, host: str | None = None, port: int | None = None) -> None:
    """Run the server (uvicorn); several workers share the decision log (SQLite WAL, or a database URL)."""
    import uvicorn

    config = load_config(config_path)
    bind, warning = config.bind_host()
    if host is not None:
        bind, warning = config.model_copy(update={"host": host}).bind_host()
    if warning:
        print(f"winroute serve: {warning}", file=sys.stderr)
    _publish_config_state(config)
    os.environ[CONFIG_ENV] = str(Path(config_path).resolve())
    metrics_dir = None
    if workers > 1 and not os.environ.get(MULTIPROC_ENV):  # /metrics adds up every worker's counts
        metrics_dir = tempfile.mkdtemp(prefix="winroute-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir  # the workers (spawned) import prometheus-client with it
    try:
        uvicorn.run(
            "core.serve.app:app_from_env",
            factory=True,
            host=bind,
            port=port if port is not None else config.port,
            workers=workers,
            timeout_graceful_shutdown=30,
            log_level="info",
            timeout_keep_alive=75,
        )  # longer than the idle timeout of common load balancers (60 s)
    finally:
        if metrics_dir is not None:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(metrics_dir, ignore_errors=True)
