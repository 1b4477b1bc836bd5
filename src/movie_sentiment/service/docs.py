"""``/docs`` (Swagger UI) and ``/redoc`` with their scripts served from here, not a CDN, so
they work with no internet: the scripts are the copies the ``fastapi-offline`` package
ships. Each page also gets a Content-Security-Policy that lets it fetch, show images and
fonts only from this service (ReDoc would load its logo from cdn.redoc.ly), so reading
the docs sends nothing off the machine."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")
LOCAL_ONLY = "connect-src 'self'; img-src 'self' data:; font-src 'self' data:"


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["content-security-policy"] = LOCAL_ONLY
    return page


def add_docs(app: FastAPI) -> None:
    """The two documentation pages and their assets on ``app`` (made with ``docs_url`` and
    ``redoc_url`` None)."""
    folder = Path(fastapi_offline.__file__).parent / "static"
    app.mount(ASSETS, StaticFiles(directory=folder), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
                swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            )
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
                with_google_fonts=False,
            )
        )
