"""Typed settings for srm-bridge: environment, an optional YAML/TOML file, defaults.

Imports nothing of ours; every other layer receives a `Settings` object.
"""
from config.kpis import KPI_KEYS, KpiScale
from config.settings import ConfigError, Settings, load_settings

__all__ = ["KPI_KEYS", "ConfigError", "KpiScale", "Settings", "load_settings"]
