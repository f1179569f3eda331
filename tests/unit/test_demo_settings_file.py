"""The settings file `srm-bridge demo` writes never holds a password: the setting is left out and named."""
from config import load_settings
from scheduler.demo_workdir import demo_settings, write_settings_file


def test_the_demo_settings_file_leaves_out_urls_with_passwords_and_names_their_variables(tmp_path, monkeypatch):
    broker = "amqp://srm:p%40ss-mq@rabbit.example.com:5672//"
    settings = demo_settings(load_settings(broker={"url": broker, "exchange": "srm.demo"},
                                           database={"url": "postgresql://srm:db-s3cret@db/srm"},
                                           sap={"password": "sap-s3cret"}), tmp_path)
    path, left_out = write_settings_file(settings, tmp_path)
    text = path.read_text()
    assert left_out == ["broker.url"]
    assert not [secret for secret in ("p%40ss-mq", "db-s3cret", "sap-s3cret", "rabbit.example.com") if secret in text]
    assert "# broker.url holds a password and is not written here: set SRM_BRIDGE_BROKER__URL" in text
    monkeypatch.setenv("SRM_BRIDGE_BROKER__URL", broker)
    later = load_settings(path)
    assert (later.broker.url, later.broker.exchange) == (broker, "srm.demo")
    assert later.database.url == f"sqlite:///{tmp_path.resolve() / 'srm-bridge.db'}"
