import io
import json
import logging

import pytest

from scheduler import logs


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def stderr(monkeypatch):
    def use(stream: io.StringIO) -> io.StringIO:
        monkeypatch.setattr("sys.stderr", stream)
        return stream
    yield use
    logging.getLogger().handlers[:] = []
    logging.getLogger().setLevel(logging.WARNING)


@pytest.mark.parametrize("log_format, terminal, as_json", [
    ("auto", True, False), ("auto", False, True), ("text", False, False), ("json", True, True)])
def test_log_format_is_text_on_a_terminal_and_json_otherwise(stderr, log_format, terminal, as_json):
    stream = stderr(Terminal() if terminal else io.StringIO())
    logs.configure(log_format, "info")
    logging.getLogger("srm_bridge.test").info("pulled", extra={"stream": "sap.purchase_orders", "pulled": 3})
    line = stream.getvalue().strip()
    if as_json:
        assert json.loads(line) | {"ts": None} == {"ts": None, "level": "info", "logger": "srm_bridge.test",
                                                    "message": "pulled", "stream": "sap.purchase_orders", "pulled": 3}
    else:
        assert line == "info    pulled  stream=sap.purchase_orders pulled=3"


def test_log_level_filters_and_urls_lose_their_passwords(stderr):
    stream = stderr(io.StringIO())
    logs.configure("text", "warning")
    log = logging.getLogger("srm_bridge.test")
    log.info("not shown")
    log.warning("broker amqp://srm:hunter2@rabbit:5672// unavailable", extra={"url": "postgresql://srm:pw2@db/srm"})
    assert stream.getvalue() == "warning broker amqp://srm:***@rabbit:5672// unavailable  url=postgresql://srm:***@db/srm\n"
