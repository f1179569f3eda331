"""The web console, a read-only WSGI application: overview, suppliers, one supplier, the quarantine.

`create_app(settings, engine)` gives the application; `srm-bridge console` serves it alone and the
service's HTTP endpoint mounts it. Pages read through `console.queries`; templates escape every value.
"""
from datetime import datetime, timezone

from flask import Flask, abort, make_response, redirect, render_template, request
from sqlalchemy import Engine

from config import Settings
from console import charts
from console.access import COOKIE, Gate, check_can_serve
from console.labels import install_filters
from console.queries import overview, supplier_rows, supplier_view
from console.tables import SORTS, filter_rows, filters_of, sort_rows
from domain.records import normalize_vendor_id
from store.sync_state import quarantine_entry, quarantined

PAGE_SIZE = 100  # suppliers per page of the table


def create_app(settings: Settings, engine: Engine, bind_host: str | None = None) -> Flask:
    """The console for `engine`; `bind_host` is the address it will listen on (default `console.host`).

    Raises `ConfigError` when that address is beyond this machine and no credentials are configured.
    """
    check_can_serve(settings.console, bind_host or settings.console.host)
    gate = Gate(settings.console)
    app = Flask(__name__)
    install_filters(app.jinja_env)

    @app.before_request
    def admit():  # noqa: ANN202 - a Flask hook
        offered = request.args.get("token")
        if offered is not None and gate.token_matches(offered):
            answer = redirect(request.base_url)
            answer.set_cookie(COOKIE, gate.cookie_value(), httponly=True, samesite="Strict", path=request.script_root or "/")
            return answer
        if not gate.admits(request.headers.get("Authorization"), request.cookies.get(COOKIE)):
            answer = make_response(render_template("denied.html", basic=gate.basic), 401)
            if gate.basic:
                answer.headers["WWW-Authenticate"] = 'Basic realm="srm-bridge console", charset="UTF-8"'
            return answer
        return None

    @app.after_request
    def no_caching(answer):  # noqa: ANN001, ANN202 - a Flask hook
        answer.headers.setdefault("Cache-Control", "no-store")
        answer.headers.setdefault("X-Content-Type-Options", "nosniff")
        answer.headers.setdefault("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
        return answer

    @app.get("/")
    def overview_page():  # noqa: ANN202
        with engine.connect() as connection:
            found = overview(connection, datetime.now(timezone.utc))
        streams = [s["stream"] for s in found.streams]
        history = charts.sync_history(found.cycles, streams) if found.cycles else None
        return render_template("overview.html", found=found, history=history)

    @app.get("/suppliers")
    def suppliers_page():  # noqa: ANN202
        with engine.connect() as connection:
            rows = supplier_rows(connection)
        chosen = {key: request.args.get(key) or None for key in ("category", "segment", "level", "grade")}
        sort, descending = request.args.get("sort", "supplier"), request.args.get("order") == "desc"
        if sort not in SORTS:
            abort(400, f"cannot sort by {sort!r}")
        matching = sort_rows(filter_rows(rows, chosen), sort, descending)
        pages = max(1, -(-len(matching) // PAGE_SIZE))
        page = min(max(1, request.args.get("page", 1, type=int)), pages)
        return render_template("suppliers.html", rows=matching[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
                               matching=len(matching), total=len(rows), page=page, pages=pages,
                               first=(page - 1) * PAGE_SIZE + 1, options=filters_of(rows), chosen=chosen,
                               filters={key: value for key, value in chosen.items() if value}, sort=sort,
                               descending=descending, sparkline=charts.sparkline)

    @app.get("/suppliers/<supplier>")
    def supplier_page(supplier: str):  # noqa: ANN202
        try:
            supplier_id = normalize_vendor_id(supplier)
        except ValueError:
            abort(404)
        with engine.connect() as connection:
            view = supplier_view(connection, settings, supplier_id)
        if view is None:
            abort(404)
        return render_template("supplier.html", view=view, scales=settings.scoring.kpis, grades=settings.scoring.grades,
                               charts=charts)

    @app.get("/quarantine")
    def quarantine_page():  # noqa: ANN202
        with engine.connect() as connection:
            entries = quarantined(connection, 500)
        return render_template("quarantine.html", entries=entries)

    @app.get("/quarantine/<int:entry_id>")
    def quarantine_entry_page(entry_id: int):  # noqa: ANN202
        with engine.connect() as connection:
            entry = quarantine_entry(connection, entry_id)
        if entry is None:
            abort(404)
        return render_template("quarantine_entry.html", entry=entry)

    @app.context_processor
    def navigation() -> dict:
        return {"nav": [("overview_page", "Overview"), ("suppliers_page", "Suppliers"), ("quarantine_page", "Quarantine")]}

    return app
