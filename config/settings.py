"""Settings: env vars `SRM_BRIDGE_<SECTION>__<KEY>` over a YAML/TOML file over defaults.

A wrong value, an unknown key or variable, or a file that does not parse fails at start-up with
`ConfigError`: one line naming the key, its env var and what to do. Each section's model lives in the
module of its kind (database, broker, suppliers, connectors, scoring, service); they are imported from
here too, as the rest of srm-bridge does.
"""
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from config.broker import BrokerSettings, ConsumerSettings, QueueBinding
from config.connectors import RemoteSettings, SalesforceSettings, SapSettings, WriteBackSettings
from config.database import DatabaseSettings
from config.scoring import (ActionSettings, DeliverySettings, RiskSettings, ScoringSettings,
                            SegmentationSettings, Severity, SrmLevel)
from config.service import ConsoleSettings, HttpSettings, LogSettings, SchedulerSettings, TimeZone
from config.strict import ENV_PREFIX, ConfigError, check_environment, describe
from config.suppliers import SAP_VENDOR_ID, SupplierSettings

__all__ = [
    "ENV_PREFIX", "SAP_VENDOR_ID", "ActionSettings", "BrokerSettings", "ConfigError", "ConsoleSettings",
    "ConsumerSettings", "DatabaseSettings", "DeliverySettings", "HttpSettings", "LogSettings", "QueueBinding",
    "RemoteSettings", "RiskSettings", "SalesforceSettings", "SapSettings", "SchedulerSettings", "ScoringSettings",
    "SegmentationSettings", "Settings", "Severity", "SrmLevel", "SupplierSettings", "TimeZone", "WriteBackSettings",
    "load_settings", "read_config_file",
]

_config_file: ContextVar[Path | None] = ContextVar("config_file", default=None)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    timezone: TimeZone = Field("UTC", description="The plant's time zone: of SAP dates and the default as-of day.")
    database: DatabaseSettings = DatabaseSettings()
    broker: BrokerSettings = BrokerSettings()
    consumer: ConsumerSettings = ConsumerSettings()
    suppliers: SupplierSettings = SupplierSettings()
    sap: SapSettings = SapSettings()
    salesforce: SalesforceSettings = SalesforceSettings()
    delivery: DeliverySettings = DeliverySettings()
    scoring: ScoringSettings = ScoringSettings()
    segmentation: SegmentationSettings = SegmentationSettings()
    risks: RiskSettings = RiskSettings()
    actions: ActionSettings = ActionSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    console: ConsoleSettings = ConsoleSettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        path = _config_file.get()
        if path is not None:
            sources.append(_file_source(settings_cls, path))
        return tuple(sources)


def _file_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    return InitSettingsSource(settings_cls, init_kwargs=read_config_file(path))


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's settings as a mapping; a file that is missing or does not parse is a `ConfigError`."""
    if path.suffix not in {".yaml", ".yml", ".toml"}:
        raise ConfigError(f"config file {path}: name it .yaml, .yml or .toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; check --config or SRM_BRIDGE_CONFIG") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    try:
        content = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}; fix the file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {_yaml_problem(exc)}; fix the file") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError(f"config file {path} holds a {type(content).__name__}, not settings; write sections "
                          f"such as `database:` and `sap:` at its top level")
    return content


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Read settings once at start-up; `SRM_BRIDGE_CONFIG` names the file when none is given."""
    check_environment(Settings, os.environ)
    named = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    token = _config_file.set(Path(named) if named else None)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe(exc, Settings)) from None
    finally:
        _config_file.reset(token)
