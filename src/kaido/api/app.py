"""The agent's FastAPI application: probes, Prometheus metrics and the REST API.

Everything is readable without credentials (the Service is cluster-internal and the data are the
cluster's own); the one write endpoint needs the bearer token configured in the policy, and without
a configured token writes are refused altogether.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from kaido import __version__
from kaido.agent.requests import ActionRejectedError
from kaido.api.view import AgentView

__all__ = ["create_app"]


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(items), "items": items}


async def _write(call: Awaitable[dict[str, Any]], *, status: int = 200) -> Response:
    """The result of a write as JSON, or the refusal with its status and reason."""
    try:
        return JSONResponse(await call, status_code=status)
    except ActionRejectedError as e:
        return JSONResponse({"error": str(e)}, status_code=e.status)


def create_app(view: AgentView, *, write_token: str | None) -> FastAPI:
    """The app for `view`; `write_token` None makes the API read-only."""
    app = FastAPI(title="kaido", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json")
    _probes(app, view)
    _reads(app, view)
    _writes(app, view, _writer_check(write_token))
    return app


def _writer_check(write_token: str | None) -> Callable[..., None]:
    """The dependency every write needs: the bearer token, or 403 when the API is read-only."""

    def require_writer(authorization: Annotated[str | None, Header()] = None) -> None:
        if write_token is None:
            raise HTTPException(403, "the API is read-only: set api.writeTokenFile in the policy to allow writes")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), write_token.encode()):
            raise HTTPException(
                401, "a valid 'Authorization: Bearer <token>' header is required", {"WWW-Authenticate": "Bearer"}
            )

    return require_writer


def _probes(app: FastAPI, view: AgentView) -> None:
    """Liveness, readiness and the Prometheus exposition."""

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        alive, reason = view.liveness()
        return JSONResponse(
            {"status": "ok" if alive else "failing", "reason": reason}, status_code=200 if alive else 503
        )

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        ready, waiting = view.readiness()
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "waiting_for": waiting}, status_code=200 if ready else 503
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = view.metrics()
        return Response(body, media_type=content_type)


def _reads(app: FastAPI, view: AgentView) -> None:
    """The read-only API: health, findings, actions, timeline, incidents, scaling, alerts and more."""

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        return view.health()

    @app.get("/api/v1/findings")
    def findings() -> dict[str, Any]:
        return _page(view.findings())

    @app.get("/api/v1/actions")
    def actions(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        return _page(view.actions(limit=limit))

    @app.get("/api/v1/timeline")
    def timeline(
        after: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 200
    ) -> dict[str, Any]:
        return _page(view.timeline_entries(after=after, limit=limit))

    @app.get("/api/v1/incidents")
    def incidents(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        return _page(view.incidents(limit=limit))

    @app.get("/api/v1/scaling")
    def scaling() -> dict[str, Any]:
        return _page(view.scaling())

    @app.get("/api/v1/alerts")
    def alerts() -> dict[str, Any]:
        return _page(view.alerts())

    @app.get("/api/v1/notifications")
    def notifications(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        return _page(view.deliveries(limit=limit))

    @app.get("/api/v1/silences")
    def silences(expired: bool = False) -> dict[str, Any]:
        return _page(view.silences(include_expired=expired))


def _writes(app: FastAPI, view: AgentView, require_writer: Callable[..., None]) -> None:
    """The write API, each route behind `require_writer`."""

    @app.post("/api/v1/actions", status_code=201, dependencies=[Depends(require_writer)])
    async def request_action(body: dict[str, Any]) -> Response:
        return await _write(view.request_action(body), status=201)

    @app.post("/api/v1/incidents/rearm", dependencies=[Depends(require_writer)])
    async def rearm(body: dict[str, Any]) -> Response:
        return await _write(view.rearm(body))

    @app.post("/api/v1/silences", status_code=201, dependencies=[Depends(require_writer)])
    async def create_silence(body: dict[str, Any]) -> Response:
        return await _write(view.create_silence(body), status=201)

    @app.delete("/api/v1/silences/{silence_id}", dependencies=[Depends(require_writer)])
    async def expire_silence(silence_id: str) -> Response:
        return await _write(view.expire_silence(silence_id))
