"""Secrets never leave the process: a password in a URL is masked wherever the URL is shown or logged.

`SecretStr` settings already dump as stars; URLs (database, broker, SAP) are plain strings and may carry
`user:password@`, so every output (command output, logs, the effective configuration) goes through here.
Text that may quote a secret in any form (an error a library raised, stored with a sync run) is masked
with the secret values of the settings as well (`secret_values`, `mask_secrets`).
"""
import re
from typing import Any, Iterable
from urllib.parse import unquote

from pydantic import BaseModel, SecretStr

MASK = "***"
MIN_SECRET_CHARS = 4  # a shorter secret is not searched for in text: it would mask ordinary words and numbers
# scheme://user:password@ — the password runs to the last `@` before the path, so one containing `@` is hidden whole
_CREDENTIALS = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):(?P<password>[^\s/]*)@")


def mask_url(text: str) -> str:
    """The URL (or any text holding URLs) with each password replaced by `***`."""
    return _CREDENTIALS.sub(lambda found: f"{found['head']}:{MASK}@", text)


def mask_values(value: Any) -> Any:
    """A dumped structure (dicts, lists, strings) with every password in a URL masked."""
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, dict):
        return {key: mask_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_values(item) for item in value]
    return value


def masked_settings(settings: Any) -> dict:
    """The effective configuration as plain data: secrets as stars, passwords in URLs masked."""
    return mask_values(settings.model_dump(mode="json"))


def secret_values(settings: BaseModel) -> frozenset[str]:
    """Every secret the settings hold: the `SecretStr` values and the passwords in their URLs (as written and
    decoded), so that an error quoting one, whatever its form, can be masked before it is stored or shown."""
    found: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, SecretStr):
            found.add(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name, field in type(value).model_fields.items():
                if getattr(value, name) != field.default:  # a default is printed in the code: nothing to hide
                    collect(getattr(value, name))
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)
        elif isinstance(value, str) and "://" in value:
            for password in _CREDENTIALS.finditer(value):
                found.update((password["password"], unquote(password["password"])))

    collect(settings)
    return frozenset(secret for secret in found if len(secret) >= MIN_SECRET_CHARS)


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every password in a URL and every one of `secrets` replaced by `***`."""
    text = mask_url(text)
    for secret in sorted(secrets, key=len, reverse=True):  # a secret inside a longer one goes with it
        text = text.replace(secret, MASK)
    return text
