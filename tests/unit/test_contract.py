"""The checked-in message contract matches the models, and every event type is fully described."""
import json
import pytest
import yaml

from domain.events import EVENT_TYPES, parse_event, routing_key
from sync import contract
from sync.envelope import build_envelope
from tests.support.events import CONTRACT, EXAMPLES, GROUP, NOW, check_against_contract, subject_for

SUPPLIER = "0000100001"


def test_checked_in_contract_matches_the_models():
    assert contract.drift(CONTRACT) == [], "run `srm-bridge contract --write` and commit docs/contract"


def test_drift_is_detected(tmp_path):
    contract.write(tmp_path)
    path = tmp_path / contract.schema_file("risk.raised.v1")
    path.write_text(path.read_text().replace('"critical"', '"severe"'))
    assert contract.drift(tmp_path) == [str(path)]


def test_every_event_type_has_a_channel_an_operation_and_a_schema_file():
    document = yaml.safe_load((CONTRACT / contract.ASYNCAPI_FILE).read_text())
    assert document["asyncapi"] == "3.0.0"
    messages = document["components"]["messages"]
    assert sorted(m["name"] for m in messages.values()) == sorted(EVENT_TYPES)
    for channel_name, channel in document["channels"].items():
        message = messages[channel_name]
        parameter, = channel["parameters"]
        assert parameter == ("groupId" if message["name"] == "benchmark.published.v1" else "supplierId")
        assert channel["address"] == routing_key(message["name"], "{" + parameter + "}")
        assert message["bindings"]["amqp"]["messageType"] == message["name"] and "headers" not in message
        assert channel["bindings"]["amqp"]["exchange"] == {"name": "srm.events", "type": "topic", "durable": True,
                                                          "autoDelete": False, "vhost": "/"}
        schema_path = CONTRACT / message["payload"]["schema"]["$ref"]
        assert json.loads(schema_path.read_text())["properties"]["type"]["const"] == message["name"]
    sends = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in document["operations"].values()}
    assert sends == set(document["channels"]) and {op["action"] for op in document["operations"].values()} == {"send"}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_round_trips_through_its_schema(event_type):
    envelope = build_envelope(event_type, subject_for(event_type, SUPPLIER), 42, EXAMPLES[event_type],
                              "urn:srm-bridge:test", NOW)
    body = envelope.model_dump_json()
    checked = check_against_contract(body)
    assert checked["sequence"] == "00000000000000000042" and checked["time"] == "2026-07-01T00:00:00Z"
    assert parse_event(body) == envelope


def test_an_envelope_with_the_wrong_data_is_refused():
    with pytest.raises(ValueError):
        build_envelope("risk.raised.v1", SUPPLIER, 1, EXAMPLES["scorecard.published.v1"], "urn:srm-bridge:test", NOW)
    body = build_envelope("scorecard.published.v1", SUPPLIER, 1, EXAMPLES["scorecard.published.v1"], "urn:x", NOW).model_dump_json()
    with pytest.raises(ValueError, match="unknown event type"):
        parse_event(body.replace("scorecard.published.v1", "scorecard.published.v9"))


def test_a_benchmark_is_about_a_group_and_a_scorecard_about_a_supplier():
    with pytest.raises(ValueError):
        build_envelope("benchmark.published.v1", SUPPLIER, 1, EXAMPLES["benchmark.published.v1"], "urn:x", NOW)
    with pytest.raises(ValueError):
        build_envelope("scorecard.published.v1", GROUP, 1, EXAMPLES["scorecard.published.v1"], "urn:x", NOW)
    body = build_envelope("benchmark.published.v1", GROUP, 1, EXAMPLES["benchmark.published.v1"], "urn:x", NOW)
    assert routing_key(body.type, body.subject) == "benchmark.published.category:Raw%20Materials"


def test_a_scorecard_says_whether_its_month_is_final():
    schema = json.loads((CONTRACT / contract.schema_file("scorecard.published.v1")).read_text())
    card = schema["$defs"]["Scorecard"]
    assert "status" in card["required"] and card["properties"]["status"]["enum"] == ["final", "provisional"]
    body = build_envelope("scorecard.published.v1", SUPPLIER, 1, EXAMPLES["scorecard.published.v1"], "urn:x", NOW)
    envelope = json.loads(body.model_dump_json())
    del envelope["data"]["status"]
    with pytest.raises(Exception, match="status"):
        check_against_contract(json.dumps(envelope))
