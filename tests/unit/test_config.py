import pytest

from config import ConfigError, load_settings


def test_env_var_overrides_default(monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_BROKER__URL", "amqp://broker:5672//")
    assert load_settings().broker.url == "amqp://broker:5672//"


def test_wrong_value_names_the_key(monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_SAP__PAGE_SIZE", "lots")
    with pytest.raises(ConfigError, match=r"sap\.page_size \(SRM_BRIDGE_SAP__PAGE_SIZE\)"):
        load_settings()


@pytest.mark.parametrize("name, body", [
    ("settings.yaml", "sap:\n  page_size: 42\ndelivery:\n  late_days: 1\n"),
    ("settings.toml", "[sap]\npage_size = 42\n[delivery]\nlate_days = 1\n"),
])
def test_file_settings_with_env_on_top(tmp_path, monkeypatch, name, body):
    path = tmp_path / name
    path.write_text(body)
    monkeypatch.setenv("SRM_BRIDGE_CONFIG", str(path))
    monkeypatch.setenv("SRM_BRIDGE_DELIVERY__LATE_DAYS", "3")
    settings = load_settings()
    assert (settings.sap.page_size, settings.delivery.late_days) == (42, 3)


def test_secret_is_not_shown():
    settings = load_settings(sap={"password": "s3cret"})
    assert "s3cret" not in repr(settings) and "s3cret" not in settings.model_dump_json()


def test_inconsistent_scale_and_grades_refused():
    with pytest.raises(ConfigError, match="scoring.kpis.otd_pct"):
        load_settings(scoring={"kpis": {"otd_pct": {"threshold": 90, "target": 80, "higher_is_better": True, "weight": 1}}})
    with pytest.raises(ConfigError, match="lowest grade floor"):
        load_settings(scoring={"grades": {"A": 90, "B": 50}})


def test_retry_waits_at_least_what_the_server_asked_for():
    from tenacity import RetryCallState

    from connectors.retry import transient_retry
    hint = {"seconds": None}
    retrying = transient_retry(3, initial_s=0.01, wait_hint=lambda: hint["seconds"])
    state = RetryCallState(retrying, fn=None, args=(), kwargs={})
    state.attempt_number = 1
    assert retrying.wait(state) < 1
    hint["seconds"] = 7.0  # Retry-After: 7
    assert retrying.wait(state) == 7.0
