"""The supplier scorecard report: one self-contained file, HTML or PDF, peers unnamed."""
import re
from io import BytesIO

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from config import load_settings
from scheduler.bootstrap import open_app
from scheduler.cli import cli
from store.scorecards import load_scorecards
from tests.support.populated import populate


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'srm.db'}"
    settings = load_settings(database={"url": url})
    app = open_app(settings=settings)
    populate(app.engine, settings, names={"0000100003": "Cobalt <b>Supply</b>"})
    with app.engine.connect() as connection:
        cards = {card.supplier_id: card for card in load_scorecards(connection, "2026-06")}
    return url, cards


def run(database, monkeypatch, *args):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", database[0])
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_html_report_is_one_file_with_the_months_figures_and_no_peer(database, monkeypatch, tmp_path):
    out = tmp_path / "r.html"
    done = run(database, monkeypatch, "report", "--supplier", "100002", "--period", "2026-06", "--out", str(out))
    assert done.exit_code == 0, done.output
    page = out.read_text()
    card = database[1]["0000100002"]
    assert card.supplier_name in page and f"{card.score:.1f}" in page
    assert 'data-kpi="otd_pct">' in page and f"{card.kpis.otd_pct:.1f}" in page
    assert not re.search(r'<(script|link|img|iframe)\b|\b(src|href)=|url\(', page), "nothing outside the file"
    others = [c.supplier_name for s, c in database[1].items() if s != "0000100002" and c.supplier_name]
    assert others and not any(name in page for name in others), "peers are never named"
    assert re.search(r"Rank <strong>\d+ of \d+</strong>", page)
    assert page.count("<svg") >= 5


def test_the_pdf_report_carries_the_name_and_the_kpis(database, monkeypatch, tmp_path):
    out = tmp_path / "r.pdf"
    done = run(database, monkeypatch, "report", "--supplier", "0000100003", "--period", "2026-06", "--format", "pdf",
               "--out", str(out))
    assert done.exit_code == 0, done.output
    words = " ".join(page.extract_text() for page in PdfReader(BytesIO(out.read_bytes())).pages)
    card = database[1]["0000100003"]
    assert "Cobalt <b>Supply</b>" in words and "On-time delivery" in words and "Quality" in words
    assert f"{card.kpis.otd_pct:.1f}" in words and f"{card.score:.1f}" in words


def test_all_suppliers_one_file_each_and_a_missing_month_is_not_found(database, monkeypatch, tmp_path):
    done = run(database, monkeypatch, "report", "--all", "--period", "2026-06", "--out", str(tmp_path / "all"))
    assert done.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(
        f"scorecard-{s}-2026-06.html" for s in database[1])
    missing = run(database, monkeypatch, "report", "--supplier", "100002", "--period", "2019-01")
    assert missing.exit_code == 1 and "not found" in missing.stderr
