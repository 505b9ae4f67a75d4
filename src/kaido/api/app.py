"""The agent's FastAPI application: probes, Prometheus metrics and the REST API.

Everything is readable without credentials (the Service is cluster-internal and the data are the
cluster's own); the one write endpoint needs the bearer token configured in the policy, and without
a configured token writes are refused altogether.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from kaido import __version__
from kaido.agent.requests import ActionRejectedError
from kaido.api.view import AgentView

__all__ = ["create_app"]


def create_app(view: AgentView, *, write_token: str | None) -> FastAPI:
    """The app for `view`; `write_token` None makes the API read-only."""
    app = FastAPI(title="kaido", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json")

    def require_writer(authorization: Annotated[str | None, Header()] = None) -> None:
        if write_token is None:
            raise HTTPException(403, "the API is read-only: set api.writeTokenFile in the policy to allow writes")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), write_token.encode()):
            raise HTTPException(
                401, "a valid 'Authorization: Bearer <token>' header is required", {"WWW-Authenticate": "Bearer"}
            )

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

    @app.get("/api/v1/health")
    def health() -> dict[str, Any]:
        return view.health()

    @app.get("/api/v1/findings")
    def findings() -> dict[str, Any]:
        items = view.findings()
        return {"count": len(items), "items": items}

    @app.get("/api/v1/actions")
    def actions(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        items = view.actions(limit=limit)
        return {"count": len(items), "items": items}

    @app.get("/api/v1/timeline")
    def timeline(
        after: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 200
    ) -> dict[str, Any]:
        items = view.timeline_entries(after=after, limit=limit)
        return {"count": len(items), "items": items}

    @app.post("/api/v1/actions", status_code=201, dependencies=[Depends(require_writer)])
    async def request_action(body: dict[str, Any]) -> Response:
        try:
            record = await view.request_action(body)
        except ActionRejectedError as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)
        return JSONResponse(record, status_code=201)

    @app.get("/api/v1/incidents")
    def incidents(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        items = view.incidents(limit=limit)
        return {"count": len(items), "items": items}

    @app.post("/api/v1/incidents/rearm", dependencies=[Depends(require_writer)])
    async def rearm(body: dict[str, Any]) -> Response:
        try:
            return JSONResponse(await view.rearm(body))
        except ActionRejectedError as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)

    @app.get("/api/v1/scaling")
    def scaling() -> dict[str, Any]:
        items = view.scaling()
        return {"count": len(items), "items": items}

    @app.get("/api/v1/alerts")
    def alerts() -> dict[str, Any]:
        items = view.alerts()
        return {"count": len(items), "items": items}

    @app.get("/api/v1/notifications")
    def notifications(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        items = view.deliveries(limit=limit)
        return {"count": len(items), "items": items}

    @app.get("/api/v1/silences")
    def silences(expired: bool = False) -> dict[str, Any]:
        items = view.silences(include_expired=expired)
        return {"count": len(items), "items": items}

    @app.post("/api/v1/silences", status_code=201, dependencies=[Depends(require_writer)])
    async def create_silence(body: dict[str, Any]) -> Response:
        try:
            return JSONResponse(await view.create_silence(body), status_code=201)
        except ActionRejectedError as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)

    @app.delete("/api/v1/silences/{silence_id}", dependencies=[Depends(require_writer)])
    async def expire_silence(silence_id: str) -> Response:
        try:
            return JSONResponse(await view.expire_silence(silence_id))
        except ActionRejectedError as e:
            return JSONResponse({"error": str(e)}, status_code=e.status)

    return app
