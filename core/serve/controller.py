"""The server's live routing state: the router, its dispatcher and the policy, swapped whole.

A request reads :attr:`RoutingState.live` once and keeps that snapshot to the end, so a reload
(``POST /admin/reload``) or a policy change never drops or splits a request: requests already
routed finish on the old router, new ones get the new one. With an :class:`~core.serve.shared.AdminStore`
attached (``share_with``), admin changes are published to the shared database and every worker takes
on a newer version before it routes (``sync``), so one admin call changes every worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..dispatch import Dispatcher, check_settings, child_routes
from ..errors import InvalidArgumentError, UnknownModelError, WinrouteError
from ..share_controller import ShareController
from .config import Child, ServeConfig, ServeConfigError
from .shared import SYNC_INTERVAL_S, AdminState, AdminStore

__all__ = ["Live", "RoutingState", "settings_for_model"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Live:
    """One consistent routing setup: the router, the policy's settings, and route -> child name."""

    router: Any
    settings: Mapping[str, Any]
    children: Mapping[str, str]  # route -> the child's key in serve.toml
    dispatcher: Dispatcher
    reference: str  # the route priced as "always strong": the dearest child (the strong one at equal prices)

    @property
    def model_id(self) -> str:
        """RouteLLM's name for this router at the policy's threshold (two-model routers)."""
        threshold = self.settings.get("threshold", getattr(self.router, "threshold", None))
        return (
            f"router-{self.router.name}-{threshold:.5g}"
            if threshold is not None and "threshold" in self.router.settings
            else self.router.name
        )


def settings_for_model(model: Any, router: Any) -> dict[str, Any]:
    """Settings a model name asks for: ``"winroute"`` or the router's name (none), ``router-<name>-<threshold>``."""
    if not isinstance(model, str) or not model:
        raise InvalidArgumentError("'model' must be a string: 'winroute', or 'router-<name>-<threshold>'")
    if model in ("winroute", router.name):
        return {}
    if model.startswith("router-"):
        name, _, threshold = model[len("router-") :].rpartition("-")
        if name in (router.name, "winroute"):
            try:
                return {"threshold": float(threshold)}
            except ValueError:
                raise InvalidArgumentError(f"model {model!r}: {threshold!r} is not a threshold") from None
    raise LookupError(f"model {model!r} is not served here: use 'winroute' or 'router-{router.name}-<threshold>'")


class RoutingState:
    """Holds the live setup; builds and checks a new one for a reload or a policy change."""

    def __init__(self, config: ServeConfig, router: Any) -> None:
        self.config = config
        self._lock = asyncio.Lock()
        self.live = self.build(router, config.policy.settings())
        self.share: ShareController | None = None  # the online threshold, when a target share is held
        if config.policy.target_share is not None:
            self.share = self._controller(config.policy.target_share)
        self.router_path = config.router  # the artifact directory in use (none: the bundled default)
        self.store: AdminStore | None = None  # the admin state shared with other workers, once attached
        self.version = 0  # the shared admin state's version this process serves
        self._checked = -SYNC_INTERVAL_S
        self._syncing: asyncio.Future[None] | None = None

    def _controller(self, target: float, router: Any = None) -> ShareController:
        router = self.live.router if router is None else router
        if "threshold" not in router.settings:
            raise ServeConfigError(
                f"policy.target_share holds a threshold, and router {router.name!r} takes "
                f"{', '.join(router.settings)} instead"
            )
        return ShareController(
            target,
            window=self.config.policy.share_window,
            min_scores=min(50, self.config.policy.share_window),
            initial_threshold=router.threshold,
            reference_scores=router.reference_scores,
        )

    def build(self, router: Any, settings: Mapping[str, Any]) -> Live:
        """A setup for ``router``: every route it can take must have a child (checked, not guessed)."""
        children = self.config.children
        try:
            served = {route: name for name, route in child_routes(router, children).items()}
        except (UnknownModelError, ValueError) as exc:
            raise ServeConfigError(f"children: {exc}") from None
        missing = [r for r in router.routes if r not in served]
        if missing:
            raise ServeConfigError(f"router {router.name!r} may route to {missing}, which no child serves")
        by_route = {r: served[r] for r in router.routes}  # in the router's order: strong first for two models
        reference = max(by_route, key=lambda r: _price(children[by_route[r]]))  # ties: the first
        try:
            checked = check_settings(router, settings)
        except ValueError as exc:
            raise ServeConfigError(f"policy: {exc}") from exc
        dispatcher = Dispatcher(
            list(by_route),
            {r: children[c].model for r, c in by_route.items()},
            fallback=self.config.policy.fallback,
            timeout=self.config.policy.timeout,
        )
        return Live(router, checked, by_route, dispatcher, reference)

    async def reload(self, path: str | None) -> Live:
        """Load a router artifact (validated whole) and swap it in; on any error the old one stays."""
        from .. import load_router

        async with self._lock:
            embedder = _same_embedder(self.live.router, path)
            await self._catch_up()
            router = await asyncio.to_thread(load_router, path, embedder=embedder)
            self.live = self.build(router, self.live.settings)
            self.router_path = path
            if self.share is not None:  # a new router scores differently: the window starts afresh
                self.share = self._controller(self.share.target_share)
            await self._publish()
            return self.live

    async def set_policy(self, settings: Mapping[str, Any], target_share: float | None = None) -> Live:
        """New default settings (e.g. a strong share from the dashboard), checked against the router.

        ``target_share`` holds that share online (the settings then must not fix a threshold);
        a fixed threshold or strong share ends any online control.
        """
        async with self._lock:
            await self._catch_up()  # another worker's reload stays: this change is made on top of it
            checked = check_settings(self.live.router, settings)
            if target_share is not None:
                if "threshold" in checked or "strong_share" in checked:
                    raise ValueError("give target_share or threshold / strong_share, not both")
                share = self._controller(target_share)
                if self.share is not None:
                    self.share.target_share = target_share  # keep the window of scores already seen
                    share = self.share
                self.share = share
            elif "threshold" in checked or "strong_share" in checked:
                self.share = None
            self.live = replace(self.live, settings=checked)
            await self._publish()
            return self.live

    # -- sharing with other workers ------------------------------------------------------------
    async def share_with(self, store: AdminStore, *, adopt: bool) -> None:
        """Share admin changes through ``store``: take on the state stored there (``adopt``: a worker
        of ``winroute serve``, whose parent published serve.toml's state at start) or publish this one."""
        self.store = store
        async with self._lock:
            if adopt and await asyncio.to_thread(store.version) > 0:
                await self._catch_up()
            else:
                await self._publish()

    async def sync(self) -> None:
        """Take on a newer shared admin state before routing (looked up at most once per
        ``SYNC_INTERVAL_S``); a request arriving while a newer state is taken on waits for it."""
        if self.store is None:
            return
        if self._syncing is None:
            now = time.monotonic()
            if now - self._checked < SYNC_INTERVAL_S:
                return
            self._checked = now
            self._syncing = asyncio.ensure_future(self._sync())
            self._syncing.add_done_callback(self._synced)
        await asyncio.shield(self._syncing)

    def _synced(self, _: asyncio.Future[None]) -> None:
        self._syncing = None

    async def _sync(self) -> None:
        assert self.store is not None
        try:
            if await asyncio.to_thread(self.store.version) <= self.version:
                return  # the cheap check: nothing new
            async with self._lock:
                await self._catch_up()
        except Exception:  # noqa: BLE001 - the database is unreachable: serve the state in use, say why
            _log.exception("winroute serve: could not read the shared admin state; the state in use stays")

    async def _catch_up(self) -> None:
        """Under the lock: take on the stored state if it is newer than this process's."""
        if self.store is None:
            return
        shared = await asyncio.to_thread(self.store.read)
        if shared is None or shared.version <= self.version:
            return
        try:
            await self._adopt(shared)
        except (WinrouteError, ValueError, OSError) as exc:  # e.g. the artifact is not readable here
            _log.error("winroute serve: admin state version %d refused, the one in use stays: %s", shared.version, exc)
        self.version = shared.version  # refused or not: not retried every second

    async def _adopt(self, shared: AdminState) -> None:
        """Swap in a stored state whole: its router (loaded off the event loop when it differs), settings, share."""
        from .. import load_router

        router = self.live.router
        new_router = shared.router != self.router_path or (
            shared.router_sha256 is not None and shared.router_sha256 != router.artifact_sha256
        )
        if new_router:
            embedder = _same_embedder(router, shared.router)
            router = await asyncio.to_thread(load_router, shared.router, embedder=embedder)
            live = self.build(router, shared.settings)
        else:
            live = replace(self.live, settings=check_settings(router, shared.settings))
        share = None
        if shared.target_share is not None:
            share = self.share if not new_router else None  # the window of scores already seen stays
            if share is None:
                share = self._controller(shared.target_share, live.router)
            share.target_share = shared.target_share
        self.live, self.router_path, self.share = live, shared.router, share  # all checked: swapped whole

    async def _publish(self) -> None:
        if self.store is not None:
            target = self.share.target_share if self.share is not None else None
            self.version = await asyncio.to_thread(
                self.store.publish, self.router_path, self.live.router.artifact_sha256, dict(self.live.settings), target
            )


def _same_embedder(router: Any, path: str | None) -> Any:
    """The live router's embedder when the new artifact names the same encoder (one copy in memory), else None.

    A static embedder's table lives in its artifact, so it is always loaded from there.
    """
    from ..artifacts import read_json
    from ..embeddings import is_static_id

    if path is None:
        return None
    try:
        named = read_json(Path(path) / "router.json").get("embedder")
    except Exception:  # noqa: BLE001 - load_router reports a broken artifact properly
        return None
    embedder = getattr(router, "embedder", None)
    same = isinstance(named, str) and named == getattr(embedder, "model_id", None) and not is_static_id(named)
    return embedder if same else None


def _price(child: Child) -> float:
    return child.input_price + child.output_price
