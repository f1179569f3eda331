import re

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


@pytest.mark.parametrize("variable, nearest", [
    ("SRM_BRIDGE_DATABSE__URL", "SRM_BRIDGE_DATABASE__URL"),
    ("SRM_BRIDGE_SAP__PASWORD", "SRM_BRIDGE_SAP__PASSWORD"),
    ("srm_bridge_broker__exchnage", "SRM_BRIDGE_BROKER__EXCHANGE"),
    ("SRM_BRIDGE_SAP__PURCHASE_ORDERS__VENDR", "SRM_BRIDGE_SAP__PURCHASE_ORDERS__VENDOR"),
])
def test_a_variable_that_names_no_setting_stops_with_the_nearest_name(monkeypatch, variable, nearest):
    monkeypatch.setenv(variable, "postgresql://db/srm")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert "\n" not in message
    assert f"{variable} names no setting; did you mean {nearest}?" in message


def test_srm_bridge_own_variables_are_not_settings_and_are_allowed(monkeypatch):
    for name in ("SRM_BRIDGE_ACTOR", "SRM_BRIDGE_TEST_ANYTHING", "SRM_BRIDGE_BENCH_AMQP_URL"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("SRM_BRIDGE_SCORING__KPIS__OTD_PCT", '{"threshold": 60, "target": 90, '
                                                           '"higher_is_better": true, "weight": 3}')
    monkeypatch.setenv("SRM_BRIDGE_LOG__LEVEL", "DEBUG")
    settings = load_settings()
    assert (settings.scoring.kpis["otd_pct"].weight, settings.log.level) == (3, "debug")


def test_every_settings_model_refuses_unknown_keys():
    from pydantic import BaseModel

    from config import Settings
    from config.strict import _child, _unwrap

    def models(model: type[BaseModel]):
        yield model
        for field in model.model_fields.values():
            inner = _unwrap(field.annotation)
            for candidate in (inner, _child(inner, "any"), _child(inner, 0)):
                candidate = _unwrap(candidate)
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    yield from models(candidate)

    found = set(models(Settings))
    assert {"KpiScale", "PurchaseOrderMapping", "QueueBinding", "LogSettings"} <= {m.__name__ for m in found}
    assert [m.__name__ for m in found if m.model_config.get("extra") != "forbid"] == []


@pytest.mark.parametrize("body, unknown, nearest", [
    ("databse:\n  url: sqlite:///x.db\n", "databse", "database"),
    ("sap:\n  page_sise: 10\n", "sap.page_sise", "sap.page_size"),
    ("sap:\n  purchase_orders:\n    vendr: Supplier/ID\n", "sap.purchase_orders.vendr", "sap.purchase_orders.vendor"),
    ("sap:\n  goods_movements:\n    movment_type: Code\n", "sap.goods_movements.movment_type",
     "sap.goods_movements.movement_type"),
    ("broker:\n  queues:\n    - {name: q, routng_key: '#'}\n", "broker.queues[0].routng_key",
     "broker.queues[0].routing_key"),
    ("scoring:\n  kpis:\n    otd_pct: {threshold: 70, target: 98, higher_is_better: true, weight: 3, wieght: 1}\n",
     "scoring.kpis.otd_pct.wieght", "scoring.kpis.otd_pct.weight"),
    ("salesforce:\n  write_back:\n    score_fild: Score__c\n", "salesforce.write_back.score_fild",
     "salesforce.write_back.score_field"),
    ("log:\n  levle: debug\n", "log.levle", "log.level"),
])
def test_an_unknown_key_at_any_depth_of_the_file_stops_with_the_nearest_key(tmp_path, body, unknown, nearest):
    path = tmp_path / "settings.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert str(refused.value) == f"unknown setting {unknown}; did you mean {nearest}?"


@pytest.mark.parametrize("value, expected", [
    ("not json", r"broker\.queues \(SRM_BRIDGE_BROKER__QUEUES\) is not valid JSON .* give a JSON list, "
                 r"e\.g\. SRM_BRIDGE_BROKER__QUEUES='\[\{\"name\": \"…\", \"routing_key\": \"…\"\}\]'"),
    ('[{"name": "q", "routng_key": "#"}]', r"unknown setting broker\.queues\[0\]\.routng_key; "
                                          r"did you mean broker\.queues\[0\]\.routing_key\?"),
])
def test_a_queue_list_in_a_variable_must_be_json_of_known_keys(monkeypatch, value, expected):
    monkeypatch.setenv("SRM_BRIDGE_BROKER__QUEUES", value)
    with pytest.raises(ConfigError, match=expected):
        load_settings()


@pytest.mark.parametrize("section, url, accepted", [
    ("broker", "amqp://guest:guest@rabbit:5672//", True), ("broker", "amqps://rabbit/vhost", True),
    ("broker", "filesystem://", True), ("broker", "rabbit://guest@rabbit", False), ("broker", "redis://cache:6379/0", False),
    ("broker", "amqp://rabbit:port/", False), ("broker", "rabbit.example.com", False),
    ("database", "postgresql://srm:pw@db:5432/srm", True), ("database", "postgresql+psycopg://db/srm", True),
    ("database", "sqlite:///srm.db", True), ("database", "mysql://db/srm", False),
    ("database", "postgresql+psycopg2://db/srm", False), ("database", "postgresql://srm:s3cret@db:port/srm", False),
    ("database", "srm.db", False),
])
def test_supported_database_and_broker_urls(section, url, accepted):
    if accepted:
        assert getattr(load_settings(**{section: {"url": url}}), section).url == url
        return
    example = {"broker": "amqp://", "database": "postgresql://"}[section]
    with pytest.raises(ConfigError, match=rf"{section}\.url \(SRM_BRIDGE_{section.upper()}__URL\): .*use {example}") \
            as refused:
        load_settings(**{section: {"url": url}})
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize("name, body, expected", [
    ("bad.yaml", "sap: [\n", r"config file .*bad\.yaml is not valid YAML: .*\(line 2, column 1\); fix the file"),
    ("bad.toml", "[sap\n", r"config file .*bad\.toml is not valid TOML: .*line 1.*; fix the file"),
    ("list.yaml", "- sap\n", r"config file .*list\.yaml holds a list, not settings"),
    ("settings.ini", "[sap]\n", r"name it \.yaml, \.yml or \.toml"),
])
def test_a_file_that_does_not_parse_is_one_line(tmp_path, name, body, expected):
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(ConfigError, match=expected) as refused:
        load_settings(path)
    assert "\n" not in str(refused.value)


def test_an_empty_file_means_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing set yet\n")
    assert load_settings(path).database.url == "sqlite:///srm-bridge.db"


def test_passwords_in_urls_are_masked_everywhere():
    from config.masking import mask_url, masked_settings
    assert mask_url("amqp://guest:guest@rabbit:5672//") == "amqp://guest:***@rabbit:5672//"
    assert mask_url("postgresql://srm:p@ss@db/srm") == "postgresql://srm:***@db/srm"
    assert mask_url("error at https://sap:8443/x?a=b@c, see http://u:pw@h/") == \
        "error at https://sap:8443/x?a=b@c, see http://u:***@h/"
    assert mask_url("postgresql://srm@db/srm") == "postgresql://srm@db/srm"
    settings = load_settings(database={"url": "postgresql://srm:db-secret@db/srm"},
                             sap={"password": "sap-secret", "url": "https://u:url-secret@sap/x"},
                             salesforce={"client_secret": "sf-secret"})
    shown = str(masked_settings(settings))
    assert not {"db-secret", "sap-secret", "url-secret", "sf-secret"} & set(re.findall(r"[\w-]+", shown))
    assert "postgresql://srm:***@db/srm" in shown


def test_the_client_never_gives_up_before_the_server_would(monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__STATEMENT_TIMEOUT_S", "600")
    with pytest.raises(ConfigError, match=r"database .*answer_timeout_s must be longer than statement_timeout_s"):
        load_settings()


def test_several_brokers_for_failover_as_a_list_or_separated_by_semicolons(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text("broker:\n  url:\n    - amqp://guest:s3cret@rabbit-1:5672//\n    - amqps://rabbit-2/vhost\n")
    assert load_settings(path).broker.url == "amqp://guest:s3cret@rabbit-1:5672//;amqps://rabbit-2/vhost"
    assert load_settings(broker={"url": "amqp://rabbit-1// ; amqp://rabbit-2//"}).broker.url == \
        "amqp://rabbit-1//;amqp://rabbit-2//"


@pytest.mark.parametrize("broker, expected", [
    ({"url": "amqp://rabbit-1//;filesystem://"}, "must all be amqp:// or amqps://"),
    ({"url": "amqp://rabbit-1//;redis://cache"}, "redis:// is not supported"),
    ({"url": "filesystem://", "queue_type": "quorum"}, "queue_type quorum needs RabbitMQ"),
    ({"url": "amqp://rabbit//", "queue_type": "mirrored"}, "broker.queue_type"),
])
def test_failover_and_quorum_queues_are_for_rabbitmq_only(broker, expected):
    with pytest.raises(ConfigError, match=expected):
        load_settings(broker=broker)


def test_the_service_scores_as_of_the_last_complete_day_in_its_time_zone():
    from datetime import date, datetime, timezone

    from scheduler.bootstrap import App
    late = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)  # 2 December 13:30 on Kiritimati (UTC+14)
    assert App(load_settings(), None).last_complete_day(late) == date(2026, 11, 30)
    assert App(load_settings(scheduler={"timezone": "Pacific/Kiritimati"}), None).last_complete_day(late) == \
        date(2026, 12, 1)
    assert App(load_settings(timezone="Pacific/Kiritimati"), None).last_complete_day(late) == date(2026, 12, 1)
    with pytest.raises(ConfigError, match="scheduler.timezone.*not an IANA time zone"):
        load_settings(scheduler={"timezone": "Mars/Olympus"})
