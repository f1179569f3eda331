"""The message contract as files: one JSON Schema per event type and an AsyncAPI 3.0 document.

Both are generated from the pydantic models in `domain/events.py` and checked in under
`docs/contract/`; `srm-bridge contract --write` regenerates them and `--check` (and a test)
fails when the models and the files disagree.
"""
import json
from pathlib import Path

import yaml

from domain.events import CONTENT_TYPE, EVENT_DATA, EVENT_MODELS, GROUP_EVENTS, routing_key, schema_id

CONTRACT_DIR = Path("docs/contract")
ASYNCAPI_FILE = "asyncapi.yaml"
EXCHANGE = "srm.events"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
AMQP_BINDING = "0.3.0"


def _camel(event_type: str) -> str:
    """`action.status_changed.v1` → `actionStatusChangedV1`."""
    words = event_type.replace("_", ".").split(".")
    return words[0] + "".join(word.capitalize() for word in words[1:])


def schema_file(event_type: str) -> str:
    return f"schemas/{event_type}.json"


def event_schema(event_type: str) -> dict:
    schema = EVENT_MODELS[event_type].model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id(event_type), **schema}


SUBJECT_PARAMETERS = {
    False: ("supplierId", "SAP vendor id, equal to the CloudEvent `subject`."),
    True: ("groupId", "Peer group id (`category:…` or `srm_level:…`), equal to the CloudEvent `subject`."),
}


def asyncapi_document() -> dict:
    channels, operations, messages = {}, {}, {}
    for event_type, data_model in EVENT_DATA.items():
        name = _camel(event_type)
        parameter, about = SUBJECT_PARAMETERS[event_type in GROUP_EVENTS]
        messages[name] = {
            "name": event_type,
            "title": EVENT_MODELS[event_type].__name__,
            "summary": f"CloudEvent `{event_type}` whose `data` is a {data_model.__name__}.",
            "description": (f"AMQP properties: `type` = `{event_type}` (the CloudEvent `type`), `message_id` = the "
                            f"CloudEvent `id`, `content_type` = `{CONTENT_TYPE}`, `content_encoding` = `utf-8`, "
                            "`delivery_mode` = 2 (persistent). No application headers."),
            "contentType": CONTENT_TYPE,
            "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": {"$ref": schema_file(event_type)}},
            "bindings": {"amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING}},
        }
        channels[name] = {
            "address": routing_key(event_type, "{" + parameter + "}"),
            "description": f"Routing key of `{event_type}` on the topic exchange `{EXCHANGE}`.",
            "parameters": {parameter: {"description": about}},
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"amqp": {"is": "routingKey", "bindingVersion": AMQP_BINDING, "exchange": {
                "name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}}},
        }
        operations[f"send{name[0].upper()}{name[1:]}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{name}"}],
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": AMQP_BINDING}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "srm-bridge events",
            "version": "1.0.0",
            "description": (
                "Supplier scorecards, peer benchmarks, risk signals and corrective-action changes pushed by "
                "srm-bridge.\n\n"
                "Every message is a CloudEvents 1.0 envelope in structured JSON mode; its AMQP `type` property "
                "is the CloudEvent `type` and its `message_id` the CloudEvent `id`. Delivery is at least "
                "once: a redelivered event keeps its `id`. Per `subject` (a supplier, or a peer group for "
                "benchmarks), `sequence` increases; handle an event only when its sequence is above the last "
                "one handled for that subject, which drops duplicates and stale replays alike. Bind a queue "
                "with a routing-key pattern, e.g. `scorecard.published.*`, `benchmark.published.*` or `#`.\n\n"
                "A scorecard's `status` is `final` once its month (a rolling window's last month) has ended, "
                "`provisional` while it runs: a provisional card is republished as its month goes on."),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"broker": {
            "host": "{host}", "protocol": "amqp", "protocolVersion": "0.9.1", "pathname": "/",
            "variables": {"host": {"default": "localhost:5672", "description": "RabbitMQ host and port."}}}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def rendered() -> dict[str, str]:
    """Every contract file, relative path → text."""
    files = {schema_file(t): json.dumps(event_schema(t), indent=2, sort_keys=True) + "\n" for t in EVENT_DATA}
    files[ASYNCAPI_FILE] = yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=100)
    return files


def write(folder: Path = CONTRACT_DIR) -> list[Path]:
    written = []
    for relative, text in rendered().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def drift(folder: Path = CONTRACT_DIR) -> list[str]:
    """Files that are missing or differ from what the models generate."""
    stale = []
    for relative, text in rendered().items():
        path = folder / relative
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path))
    return stale
