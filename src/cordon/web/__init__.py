"""The web dashboard: pages, static files (Plotly's own bundle, served locally) and the report."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cordon.api.errors import error_response, safe_errors, status_of
from cordon.errors import CordonError

__all__ = ["mount"]

STATIC = Path(__file__).with_name("static")


def plotly_bundle() -> Path:
    """The minified plotly.js that ships inside the plotly Python package."""
    import plotly  # type: ignore[import-untyped]

    return Path(plotly.__file__).with_name("package_data") / "plotly.min.js"


def mount(app: FastAPI) -> None:
    """Add the dashboard to the app, and make errors on its pages render as pages."""
    from cordon.web import analyses, containment_pages, followup_pages, policy_pages
    from cordon.web.pages import LoginRequired, render, router

    analyses.register()
    app.include_router(router)
    app.include_router(containment_pages.router)
    app.include_router(followup_pages.router)
    app.include_router(policy_pages.router)
    bundle = plotly_bundle()

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            bundle,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def login_required(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    async def cordon_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CordonError)
        status = status_of(exc)
        if request.url.path.startswith("/api/"):
            return error_response(exc)
        if status == 401:
            return RedirectResponse("/login", status_code=303)
        return render(
            request,
            "error.html",
            app.state.settings,
            status_code=status,
            message=str(exc),
            code=status,
        )

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
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CordonError, cordon_error)
