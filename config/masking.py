"""Secrets never leave the process: a password in a URL is masked wherever the URL is shown or logged.

`SecretStr` settings already dump as stars; URLs (database, broker, SAP) are plain strings and may carry
`user:password@`, so every output (command output, logs, the effective configuration) goes through here.
"""
import re
from typing import Any

MASK = "***"
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
