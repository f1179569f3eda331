"""The demo's working folder: its database, broker folder, stand-in CA, example report and a settings file.

A demo run with other options than the last one in the folder starts clean (unless asked to keep what
is there): the stand-ins' data depends on the options, so merging two demos mixes two worlds. Only the
files the demo itself creates are removed.
"""
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import yaml
from pydantic import SecretStr

from config import Settings
from config.masking import mask_url
from config.strict import variable_for

OPTIONS_FILE = "demo.json"
SETTINGS_FILE = "srm-bridge.yaml"
DATABASE_FILE = "srm-bridge.db"
OWNED = ("broker", "tls", "reports")  # folders the demo creates in its workdir


@dataclass(frozen=True)
class DemoOptions:
    suppliers: int
    months: int
    seed: int
    as_of: str
    sap_data: str | None = None  # sha256 of the dataset file served, when one is
    salesforce_data: str | None = None


def dataset_digest(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else None


def options_for(suppliers: int, months: int, seed: int, as_of: date, sap_data: Path | None,
                salesforce_data: Path | None) -> DemoOptions:
    return DemoOptions(suppliers, months, seed, as_of.isoformat(), dataset_digest(sap_data),
                       dataset_digest(salesforce_data))


def prepare(workdir: Path, options: DemoOptions, keep: bool) -> str | None:
    """Make the folder ready for a demo with `options`; say why it was cleaned, when it was."""
    workdir.mkdir(parents=True, exist_ok=True)
    recorded = workdir / OPTIONS_FILE
    before = json.loads(recorded.read_text()) if recorded.exists() else None
    note = None
    if before is not None and before != asdict(options) and not keep:
        changed = ", ".join(f"{key} {before.get(key)} -> {value}" for key, value in asdict(options).items()
                            if before.get(key) != value)
        clean(workdir)
        note = f"options changed since the last demo in {workdir} ({changed}): starting clean (--keep keeps the data)"
    recorded.write_text(json.dumps(asdict(options), indent=2) + "\n")
    return note


def clean(workdir: Path) -> None:
    for path in workdir.glob(f"{DATABASE_FILE}*"):
        path.unlink()
    for folder in OWNED:
        shutil.rmtree(workdir / folder, ignore_errors=True)


def demo_settings(base: Settings, workdir: Path) -> Settings:
    """The settings with the demo's database and broker folder in its workdir."""
    folder = workdir.resolve()
    return base.model_copy(update={
        "database": base.database.model_copy(update={"url": f"sqlite:///{folder / DATABASE_FILE}"}),
        "broker": base.broker.model_copy(update={"folder": folder / "broker"}),
    })


def write_settings_file(settings: Settings, workdir: Path) -> tuple[Path, list[str]]:
    """A settings file that points later commands (`console`, `report`, `explain`, …) at the demo's data, and the
    settings left out of it because they hold a password.

    It carries what was set for the demo, except the SAP and Salesforce sections (the stand-ins are gone
    once the demo ends) and secrets: secret settings and any URL with a password (`broker.url` of a
    RabbitMQ, say) are never written to a file by the demo; a comment in the file names the variable
    that gives them to later commands.
    """
    content = settings.model_dump(mode="json", exclude_unset=True, exclude={"sap", "salesforce"})
    content.setdefault("database", {})["url"] = settings.database.url
    content.setdefault("broker", {})["folder"] = str(settings.broker.folder)
    content, with_passwords = _without_secrets(content)
    notes = "".join(f"# {setting} holds a password and is not written here: set {variable_for(setting.split('.'))} "
                    "for later commands\n" for setting in with_passwords)
    path = (workdir / SETTINGS_FILE).resolve()
    path.write_text("# written by `srm-bridge demo`: use it with --config or SRM_BRIDGE_CONFIG\n" + notes
                    + yaml.safe_dump(content, sort_keys=False))
    return path, with_passwords


def _without_secrets(content: dict, section: str = "") -> tuple[dict, list[str]]:
    """The content without secrets (pydantic's JSON dump shows them as asterisks) and without URLs holding a
    password; the dotted names of the URLs left out."""
    kept, left_out = {}, []
    for key, value in content.items():
        name = f"{section}{key}"
        if isinstance(value, dict):
            kept[key], inner = _without_secrets(value, f"{name}.")
            left_out += inner
        elif isinstance(value, str) and mask_url(value) != value:
            left_out.append(name)
        elif value != str(SecretStr("x")):
            kept[key] = value
    return kept, left_out
