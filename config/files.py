"""Settings that name a file (certificates, keys, WSDLs): one that names no file is said with its setting.

Checked where the file is used (the stream that needs it fails with that line) and by `config check`.
"""
from pathlib import Path
from typing import Any

from config.strict import variable_for

FILE_SETTINGS = ("sap.client_cert", "sap.client_key", "sap.purchase_orders.wsdl", "sap.goods_movements.wsdl",
                 "salesforce.private_key_file")


def missing_file(setting: str, path: Path | str | None) -> str | None:
    """The line naming `setting` when it is set to a path where there is no file; None otherwise."""
    if path is None or Path(path).is_file():
        return None
    return f"{setting} ({variable_for(setting.split('.'))}): there is no file {path}; point it at the file or unset it"


def missing_files(settings: Any) -> list[str]:
    """Every file setting of `settings` that names no file."""
    problems = []
    for setting in FILE_SETTINGS:
        value = settings
        for part in setting.split("."):
            value = getattr(value, part)
        if problem := missing_file(setting, value):
            problems.append(problem)
    return problems
