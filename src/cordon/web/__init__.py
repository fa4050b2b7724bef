"""The web dashboard: pages, static files (Plotly's own bundle, served locally) and the report."""

from __future__ import annotations

import contextlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cordon.api.errors import error_response, safe_errors, status_of
from cordon.errors import CordonError

__all__ = ["mount"]

STATIC = Path(__file__).with_name("static")


def plotly_bundle() -> Path:
    """The minified plotly.js that ships inside the plotly Python package."""
    import plotly  # type: ignore[import-untyped]

    return Path(plotly.__file__).with_name("package_data") / "plotly.min.js"


def swagger_assets() -> Path:
    """Swagger UI's files (a 5.x build, which reads OpenAPI 3.1) as shipped in the
    fastapi-offline package; only its files are used, not its app class (whose pages have
    inline scripts, which the CSP forbids)."""
    from importlib.util import find_spec

    spec = find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the fastapi-offline package is missing: run make env")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def mount(app: FastAPI) -> None:
    """Add the dashboard to the app, and make errors on its pages render as pages."""
    from cordon.web import (
        analyses,
        containment_pages,
        followup_pages,
        notification_pages,
        policy_pages,
    )
    from cordon.web.pages import LoginRequired, optional_actor, render, router
    from cordon.web.templating import templates

    analyses.register()
    app.include_router(router)
    app.include_router(containment_pages.router)
    app.include_router(followup_pages.router)
    app.include_router(notification_pages.router)
    app.include_router(policy_pages.router)
    bundle = plotly_bundle()

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            bundle,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The API's documentation: Swagger UI served from this host (no CDN, no inline
        script)."""
        return HTMLResponse(
            templates.get_template("docs.html").render(openapi=app.openapi_url),
            headers={"Cache-Control": "no-cache"},
        )

    app.mount("/static/swagger", StaticFiles(directory=swagger_assets()), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def login_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    def error_page(request: Request, status: int, message: str) -> Response:
        """The error as a page in the dashboard's frame (with its navigation when signed in)."""
        actor, csrf = None, None
        # the store away: the page without navigation
        with contextlib.suppress(CordonError), app.state.store.session() as session:
            actor, csrf = optional_actor(request, session)
        return render(
            request,
            "error.html",
            app.state.settings,
            actor,
            csrf,
            status_code=status,
            message=message,
            code=status,
        )

    async def cordon_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CordonError)
        status = status_of(exc)
        if request.url.path.startswith("/api/"):
            return error_response(exc)
        if status == 401:
            return RedirectResponse("/login", status_code=303)
        message = "store unavailable" if status == 503 else str(exc)
        return await run_in_threadpool(error_page, request, status, message)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(("/api/", "/static/")):
            return await http_exception_handler(request, exc)
        message = (
            f"There is no page at {request.url.path[:200]}."
            if exc.status_code == 404
            else str(exc.detail)
        )
        return await run_in_threadpool(error_page, request, exc.status_code, message)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = safe_errors(exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": errors}, status_code=422)
        fields = ", ".join(f"{e['loc'][-1] if e['loc'] else 'form'}: {e['msg']}" for e in errors)
        return render(
            request, "error.html", app.state.settings, status_code=400, message=fields, code=400
        )

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CordonError, cordon_error)
