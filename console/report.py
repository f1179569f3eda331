"""The supplier scorecard report: one self-contained file a buyer sends to the supplier.

HTML with its style and charts inline (no reference outside the file), or the same HTML printed to
PDF by WeasyPrint, so both formats say exactly the same. It shows the supplier's own figures and its
rank in its category, never a peer's name.
"""
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine

from config import ConfigError, Settings
from console import charts
from console.labels import grade_bands, install_filters
from console.queries import SupplierView, supplier_view
from domain.actions import ACTIVE
from store.scorecards import load_scorecards

FORMATS = ("html", "pdf")
STYLE = Path(__file__).parent / "static" / "report.css"


@dataclass
class ReportFile:
    supplier_id: str
    path: Path


def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("console"), autoescape=select_autoescape(["html"]))
    install_filters(environment)
    return environment


def render_html(view: SupplierView, settings: Settings, today: date) -> str:
    template = _environment().get_template("report.html")
    open_plans = [plan for plan in view.plans if plan.action.status in ACTIVE]
    return template.render(view=view, scales=settings.scoring.kpis, bands=grade_bands(settings.scoring.grades),
                           grades=settings.scoring.grades, plans=open_plans, charts=charts, today=today,
                           style=STYLE.read_text(encoding="utf-8"))


def render_pdf(html: str) -> bytes:
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise ConfigError(f"PDF reports need Pango ({exc}); install it with `apt-get install libpango-1.0-0 "
                          "libpangoft2-1.0-0` or use --format html") from None
    return HTML(string=html).write_pdf()


def file_name(supplier_id: str, period: str, fmt: str) -> str:
    return f"scorecard-{supplier_id}-{period}.{fmt}"


def write_report(engine: Engine, settings: Settings, supplier_id: str, period: str, fmt: str, out: Path,
                 today: date) -> Path | None:
    """Write the report to `out`; None when the supplier has no scorecard for the period."""
    with engine.connect() as connection:
        view = supplier_view(connection, settings, supplier_id, period)
    if view is None or view.card is None:
        return None
    html = render_html(view, settings, today)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        out.write_bytes(render_pdf(html))
    else:
        out.write_text(html, encoding="utf-8")
    return out


def write_all(engine: Engine, settings: Settings, period: str, fmt: str, folder: Path, today: date) -> list[ReportFile]:
    """One report per supplier with a scorecard for the period, named `scorecard-<id>-<period>.<fmt>`."""
    with engine.connect() as connection:
        suppliers = [card.supplier_id for card in load_scorecards(connection, period)]
    written = []
    for supplier_id in suppliers:
        path = write_report(engine, settings, supplier_id, period, fmt, folder / file_name(supplier_id, period, fmt),
                            today)
        if path is not None:
            written.append(ReportFile(supplier_id, path))
    return written
