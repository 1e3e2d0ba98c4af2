"""Config checks with messages that name the field, run before any command touches Braze.

The per-field rules live in the spec (type, pattern, minimum, maximum, required): the CDK checks
them itself, with messages that name the value but not the field ("Config validation error: 101
is greater than the maximum of 100"). Here the same spec is checked, to word each problem with its
field, never echoing the API key. Python adds only what the spec cannot say: a real calendar date
(its `format: date` is not enforced) and two comparisons of fields (start_date after end_date or
in the future).

Why not the spec's `config_normalization_rules` validations (airbyte-cdk 7.39): a DpathValidator
hands its strategy one field's value, so no rule can compare two fields; ValidateAdheresToSchema
parses a string value as JSON first, so a date like "2026-01-01" fails as "Invalid JSON string";
PredicateValidator's value is not interpolated (and its `validate()` takes no config, which the
spec passes); a CustomValidationStrategy is built with an empty config. And a failing validation
is a plain ValueError raised while streams are built: `read` reports it as a system_error
("Something went wrong in the connector"), `check` as "Encountered an error while discovering
streams", neither a config_error naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

import pytz
from jsonschema import Draft7Validator, ValidationError

DATE_FIELDS = ("start_date", "end_date")
SECRET_FIELDS = ("api_key",)


def _describe(error: ValidationError, spec: Mapping[str, Any]) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        field = str(error.message).split("'")[1] if "'" in error.message else "a field"
        return f"`{field}` is required."
    field = path[0] if path else "config"
    prop = spec.get("properties", {}).get(field, {})
    shown = "the value" if field in SECRET_FIELDS else repr(error.instance)
    if error.validator == "pattern":
        expected = prop.get("pattern_descriptor") or f"the pattern {error.validator_value}"
        return f"`{field}` must look like {expected}; {shown} does not."
    if error.validator in ("minimum", "maximum"):
        return f"`{field}` must be between {prop.get('minimum')} and {prop.get('maximum')}; got {shown}."
    if error.validator == "minLength":
        return f"`{field}` must not be empty."
    if error.validator == "type":
        got = type(error.instance).__name__
        return f"`{'.'.join(path) or field}` must be of type {error.validator_value}; got {got}."
    return f"`{'.'.join(path) or field}`: {error.message if field not in SECRET_FIELDS else 'is invalid'}."


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def config_errors(config: Mapping[str, Any], spec: Mapping[str, Any], today: date | None = None) -> list[str]:
    """Every problem with `config`, one sentence each; empty when the config is usable."""
    if not isinstance(config, Mapping):
        return ["The config must be a JSON object."]
    errors = [_describe(error, spec) for error in Draft7Validator(spec).iter_errors(config)]
    today = today or datetime.now(timezone.utc).date()
    dates: dict[str, date] = {}
    for field in DATE_FIELDS:
        value = config.get(field)
        if value in (None, ""):
            continue
        parsed = _parse_date(value)
        if parsed is None:
            message = f"`{field}` must be a real calendar date as YYYY-MM-DD; got {value!r}."
            if message not in errors and not any(e.startswith(f"`{field}`") for e in errors):
                errors.append(message)
        else:
            dates[field] = parsed
    zone = config.get("time_zone")
    if isinstance(zone, str) and zone and zone not in pytz.all_timezones_set:
        errors.append(f"`time_zone` must be an IANA time zone name such as America/New_York; got {zone!r}.")
    start, end = dates.get("start_date"), dates.get("end_date")
    if start and end and start > end:
        errors.append(f"`start_date` ({start}) is after `end_date` ({end}).")
    if start and not end and start > today:
        errors.append(f"`start_date` ({start}) is in the future; there is nothing to sync yet.")
    return errors
