"""The web console in a real browser (Debian's Chromium driven by Playwright) against the real served command.

A demo fills a database through the stand-ins (one Salesforce Account carries a hostile name), then
`srm-bridge console` serves it. Every page is loaded; its figures must equal `scorecards --json`, its
charts must have drawn one point per month, the hostile name must show as text, and beyond loopback
the token must be required. A screenshot of each page goes to test-artefacts/console/.
"""
import calendar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest

from sandbox.generator import generate_salesforce

COMMAND = shutil.which("srm-bridge", path=str(Path(sys.executable).parent)) or "srm-bridge"
CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "console"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)> & Söhne'
AS_OF = "2026-06-30"


def _environment(**extra: str) -> dict:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SRM_BRIDGE_")}, **extra}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A demo's settings file: six suppliers, eight months, the first Account named hostile."""
    folder = tmp_path_factory.mktemp("browser")
    accounts = generate_salesforce(6, 7, date.fromisoformat(AS_OF))
    accounts["accounts"][0]["Name"] = HOSTILE
    (folder / "accounts.json").write_text(json.dumps(accounts))
    done = subprocess.run([COMMAND, "demo", "--suppliers", "6", "--months", "8", "--as-of", AS_OF, "--salesforce-data",
                           str(folder / "accounts.json"), "--workdir", str(folder / "demo")],
                          cwd=folder, env=_environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder / "demo" / "srm-bridge.yaml"


def _serve(settings_file: Path, *options: str, **env: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([COMMAND, "--config", str(settings_file), "console", "--port", "0", *options],
                              env=_environment(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        server.kill()
        pytest.fail(f"the console did not start: {server.stderr.read()}")
    return server, url


@pytest.fixture(scope="module")
def console_url(demo):
    server, url = _serve(demo)
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def cards(demo) -> list[dict]:
    done = subprocess.run([COMMAND, "--config", str(demo), "scorecards", "--all", "--json"], env=_environment(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("SRM_BRIDGE_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing: `make install-test` installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: `make install-test` installs it")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=FLAGS, viewport={"width": 1300, "height": 900})
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    page.close()


def _final(card: dict) -> bool:
    """Final once scored as of the month's last day or later (DESIGN.md), as the card says."""
    year, month = map(int, card["period"].split("-"))
    assert (card["status"] == "final") == (card["as_of"] >= f"{card['period']}-{calendar.monthrange(year, month)[1]:02d}")
    return card["status"] == "final"


def _latest_final(cards: list[dict]) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for card in sorted(cards, key=lambda c: c["period"]):
        if _final(card):
            latest[card["supplier_id"]] = card
    return latest


def _shot(page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _dots(page, chart: str) -> int:
    return page.locator(f'figure[data-chart="{chart}"] svg .plot.overlay .serie-0 .dots').count()


def test_the_overview_shows_each_stream_and_the_sync_history(page, console_url):
    page.goto(console_url)
    _shot(page, "overview")
    streams = page.locator("#streams tbody tr").all_inner_texts()
    assert {row.split()[0] for row in streams} == {"sap.purchase_orders", "sap.goods_movements", "salesforce.accounts"}
    assert all("succeeded" in row for row in streams)
    assert page.locator('figure[data-chart="sync-history"] svg .serie-0 .bar').count() == 1  # one sync cycle
    page.click("text=records quarantined")
    _shot(page, "quarantine")
    assert page.locator("h1").inner_text() == "Quarantine"


def test_the_suppliers_table_equals_the_scorecards(page, console_url, cards):
    page.goto(console_url + "suppliers")
    _shot(page, "suppliers")
    latest = _latest_final(cards)
    rows = page.locator("#suppliers tbody tr")
    assert rows.count() == len(latest) == 6
    for n in range(rows.count()):
        row = rows.nth(n)
        card = latest[row.get_attribute("data-supplier")]
        field = lambda name: row.locator(f'[data-field="{name}"]').inner_text().strip()  # noqa: E731
        assert field("score") == f"{card['score']:.1f}"
        assert field("grade") == card["grade"] and field("period") == card["period"]
        assert field("otd_pct") == ("n/a" if card["kpis"]["otd_pct"] is None else f"{card['kpis']['otd_pct']:.1f}")
        assert field("name") == (card["supplier_name"] or "(no account)")
        months = [c for c in cards if c["supplier_id"] == card["supplier_id"] and _final(c) and c["score"] is not None]
        spark = row.locator('figure[data-chart="sparkline"] svg .plot.overlay .serie-0 .dots')
        assert spark.count() == len(months[-12:]), card["supplier_id"]
    page.select_option('select[name="grade"]', "D")
    page.click("button[type=submit]")
    assert set(page.locator('#suppliers [data-field="grade"]').all_inner_texts()) <= {"D"}


def test_each_supplier_page_equals_its_scorecard_and_draws_its_charts(page, console_url, cards):
    for supplier, card in _latest_final(cards).items():
        page.goto(f"{console_url}suppliers/{supplier.lstrip('0')}")
        _shot(page, f"supplier-{supplier}")
        assert page.locator('#facts [data-field="score"]').inner_text() == f"{card['score']:.1f}"
        for kpi, value in card["kpis"].items():
            shown = page.locator(f'#kpis tr[data-kpi="{kpi}"] [data-field="value"]').inner_text()
            digits = 0 if kpi == "quality_ppm" else 1
            assert shown == ("n/a" if value is None else f"{value:,.{digits}f}"), (supplier, kpi)
        mine = [c for c in cards if c["supplier_id"] == supplier and _final(c)][-12:]
        assert _dots(page, "score") == sum(c["score"] is not None for c in mine)
        assert _dots(page, "kpi-otd_pct") == sum(c["kpis"]["otd_pct"] is not None for c in mine)
        assert _dots(page, "otd-pchart") == sum((c["details"].get("lines_due") or 0) > 0 for c in mine)
        flagged = int(page.locator('figure[data-chart="otd-pchart"]').get_attribute("data-flagged"))
        assert page.locator(".flag").count() == flagged
        for plan in page.locator("section.plan").all():
            assert plan.locator("svg .plot.overlay .serie-1 .dots").count() >= 2  # baseline and milestones


def test_a_hostile_supplier_name_is_shown_as_text(page, console_url):
    for path in ("suppliers", "suppliers/100001"):
        page.goto(console_url + path)
        assert HOSTILE in page.locator("body").inner_text()
        assert page.locator("main script, main img").count() == 0
    page.goto(console_url + "suppliers/100001")
    _shot(page, "hostile-name")
    assert page.dialogs == []


def test_beyond_loopback_the_console_refuses_to_start_without_a_token_and_then_requires_it(page, demo):
    refused = subprocess.run([COMMAND, "--config", str(demo), "console", "--host", "0.0.0.0", "--port", "0"],
                             env=_environment(), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "console.token" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    server, url = _serve(demo, "--host", "0.0.0.0", SRM_BRIDGE_CONSOLE__TOKEN="open-sesame")
    try:
        local = re.sub(r"//[^/:]+", "//127.0.0.1", url)
        answer = page.goto(local + "suppliers")
        assert answer.status == 401 and "Sign-in needed" in page.locator("h1").inner_text()
        _shot(page, "sign-in-needed")
        assert page.goto(local + "suppliers?token=wrong").status == 401
        assert page.goto(local + "suppliers?token=open-sesame").status == 200
        assert page.goto(local + "suppliers").status == 200  # the cookie carries it now
        assert page.locator("#suppliers tbody tr").count() == 6
    finally:
        server.terminate()
        server.wait(timeout=30)
