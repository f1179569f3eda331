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


def test_the_secret_values_of_the_settings_never_reach_a_log_line(stderr):
    from config import load_settings
    from config.masking import secret_values
    settings = load_settings(sap={"password": "sap-s3cret"}, broker={"url": "amqp://srm:p%40ss-mq@rabbit//"})
    stream = stderr(io.StringIO())
    logs.configure("json", "info", secret_values(settings))
    try:
        raise RuntimeError("SAP said: wrong password sap-s3cret; the broker's is p@ss-mq")
    except RuntimeError:
        logging.getLogger("srm_bridge.test").error("failed", exc_info=True, extra={"detail": "sap-s3cret"})
    line = stream.getvalue()
    assert "sap-s3cret" not in line and "p@ss-mq" not in line and "wrong password ***" in line
    assert "sandbox" not in secret_values(load_settings())  # the default secrets are printed in the code anyway
