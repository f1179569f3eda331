"""Strict settings: an unknown key at any depth, or an `SRM_BRIDGE_…` variable that names no setting, stops start-up.

Every settings model derives from `StrictModel`, which forbids keys it does not declare. pydantic-settings
reads only the variables that match a field, so `check_environment` looks at every `SRM_BRIDGE_…` variable
itself first: each must name a setting (or be one of srm-bridge's own, below), and a list, mapping or
section given whole must be JSON. Every problem becomes one line naming the setting, its variable and,
for an unknown name, the nearest valid one.
"""
import difflib
import json
import types
import typing
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, ValidationError

ENV_PREFIX = "SRM_BRIDGE_"
#: srm-bridge's own variables that are not settings: the config file, the operator's name in audit
#: entries, and the test and benchmark suites' server URLs (exported by CI, inherited by child processes).
OWN_VARIABLES = (f"{ENV_PREFIX}CONFIG", f"{ENV_PREFIX}ACTOR")
OWN_PREFIXES = (f"{ENV_PREFIX}TEST_", f"{ENV_PREFIX}BENCH_")
_MISSING = object()


class ConfigError(ValueError):
    """Raised at start-up when configuration is invalid; the message is one line naming each bad key."""


class StrictModel(BaseModel):
    """A settings section: a key it does not declare is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


def _unwrap(annotation: Any) -> Any:
    """`X | None` is `X`; other unions stay as they are (they hold only scalars in our settings)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_complex(annotation: Any) -> bool:
    """What pydantic-settings reads from a variable as JSON."""
    annotation = _unwrap(annotation)
    return _is_model(annotation) or typing.get_origin(annotation) in (list, dict, set, tuple, frozenset)


def _child(annotation: Any, key: str | int) -> Any:
    """The type found under `key` (a field, a mapping's key, a list index), or `_MISSING`."""
    annotation = _unwrap(annotation)
    if _is_model(annotation):
        field = annotation.model_fields.get(str(key).lower())
        return field.annotation if field else _MISSING
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict and args:
        return args[1]
    if origin in (list, tuple, set, frozenset) and args and isinstance(key, int):
        return args[0]
    return _MISSING


def variable_for(path: list[str]) -> str:
    return ENV_PREFIX + "__".join(part.upper() for part in path)


def setting_variables(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[str]:
    """Every variable that names a setting or a section: `SRM_BRIDGE_SAP`, `SRM_BRIDGE_SAP__URL`, …"""
    names = []
    for name, field in model.model_fields.items():
        names.append(variable_for([*path, name]))
        if _is_model(_unwrap(field.annotation)):
            names += setting_variables(_unwrap(field.annotation), (*path, name))
    return names


def _nearest(word: str, choices: list[str]) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def is_own_variable(name: str) -> bool:
    upper = name.upper()
    return upper in OWN_VARIABLES or upper.startswith(OWN_PREFIXES)


def check_environment(settings_cls: type[BaseModel], environ: Mapping[str, str]) -> None:
    """Refuse `SRM_BRIDGE_…` variables that name no setting, and complex values that are not JSON."""
    problems = []
    for name, value in sorted(environ.items()):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or is_own_variable(upper):
            continue
        path = upper.removeprefix(ENV_PREFIX).lower().split("__")
        annotation: Any = settings_cls
        for part in path:  # a list is a leaf here: its items come as JSON
            annotation = _child(annotation, part)
            if annotation is _MISSING:
                problems.append(_unknown_variable(settings_cls, name))
                break
        else:
            if _is_complex(annotation):
                problems.extend(_not_json(name, ".".join(path), value, annotation))
    if problems:
        raise ConfigError("; ".join(problems))


def _unknown_variable(settings_cls: type[BaseModel], name: str) -> str:
    valid = [variable.removeprefix(ENV_PREFIX) for variable in setting_variables(settings_cls)]
    nearest = _nearest(name.upper().removeprefix(ENV_PREFIX), valid)
    hint = f"did you mean {ENV_PREFIX}{nearest}?" if nearest else \
        f"settings are {ENV_PREFIX}<SECTION>__<KEY>, e.g. {ENV_PREFIX}DATABASE__URL"
    return f"environment variable {name} names no setting; {hint}"


def _not_json(name: str, dotted: str, value: str, annotation: Any) -> list[str]:
    try:
        json.loads(value)
    except ValueError as exc:
        kind = "list" if typing.get_origin(_unwrap(annotation)) in (list, tuple, set, frozenset) else "object"
        return [f"{dotted} ({name}) is not valid JSON ({exc}); give a JSON {kind}, "
                f"e.g. {name}='{_example(annotation)}'"]
    return []


def _example(annotation: Any) -> str:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) not in (list, tuple, set, frozenset):
        return '{"key": "…"}'
    item = _unwrap(typing.get_args(annotation)[0])
    return json.dumps([dict.fromkeys(item.model_fields, "…")] if _is_model(item) else ["…"], ensure_ascii=False)


def describe(exc: ValidationError, settings_cls: type[BaseModel]) -> str:
    """One line for all the errors: each names the setting, its variable, and what is wrong or the nearest key."""
    return "; ".join(_describe_error(error, settings_cls) for error in exc.errors())


def _describe_error(error: Any, settings_cls: type[BaseModel]) -> str:
    loc = list(error["loc"])
    dotted = _dotted(loc)
    if error["type"] == "extra_forbidden":
        parent = settings_cls
        for part in loc[:-1]:
            parent = _child(parent, part)
        fields = list(_unwrap(parent).model_fields) if _is_model(_unwrap(parent)) else []
        nearest = _nearest(str(loc[-1]), fields)
        hint = f"did you mean {_dotted([*loc[:-1], nearest])}?" if nearest else \
            f"known keys here: {', '.join(fields)}"
        return f"unknown setting {dotted}; {hint}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{dotted or 'settings'} ({_variable_of(loc, settings_cls)}): {message}"


def _variable_of(loc: list, settings_cls: type[BaseModel]) -> str:
    """The variable that sets `loc`: sections and mapping keys nest with `__`; a list is set whole, as JSON."""
    path, annotation = [], settings_cls
    for part in loc:
        if isinstance(part, int):
            break
        annotation = _child(annotation, part)
        if annotation is _MISSING:
            break
        path.append(str(part))
    return variable_for(path) if path else f"{ENV_PREFIX}…"


def _dotted(loc: list) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
