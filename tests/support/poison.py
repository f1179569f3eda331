"""Messages no consumer may stall on, built from a valid event as a broken or hostile producer would."""
from sync.envelope import build_envelope
from tests.support.events import NOW, scorecard

POISONS = ("invalid UTF-8", "a NUL byte", "an escaped NUL in the subject", "sequence 99999999999999999999",
           "a 200-character subject", "a 300-character id", "a body of 70 KB")


def valid(supplier: str, sequence: int = 1) -> bytes:
    return build_envelope("scorecard.published.v1", supplier, sequence, scorecard(supplier, sequence), "urn:test",
                          NOW).model_dump_json().encode()


def event_id(body: bytes) -> str:
    return body.split(b'"id":"')[1].split(b'"')[0].decode()


def poison(kind: str, supplier: str) -> bytes:
    body = valid(supplier)
    subject = f'"subject":"{supplier}"'.encode()
    return {
        "invalid UTF-8": body.replace(b'"source":"urn:test"', b'"source":"urn:\xff\xfe\xc3"'),
        "a NUL byte": body.replace(b'"source":"urn:test"', b'"source":"urn:\x00test"'),
        "an escaped NUL in the subject": body.replace(subject, b'"subject":"\\u0000"'),
        "sequence 99999999999999999999": body.replace(b'"sequence":"00000000000000000001"',
                                                      b'"sequence":"99999999999999999999"'),
        "a 200-character subject": body.replace(subject, b'"subject":"' + b"7" * 200 + b'"'),
        "a 300-character id": body.replace(event_id(body).encode(), b"e" * 300),
        "a body of 70 KB": body[:-1] + b', "padding": "' + b"x" * 70_000 + b'"}',
    }[kind]
