"""How values cross the socket between the redshift_connector stand-in (in the Glue job's
process) and the relay (in the test's process): JSON, with the types JSON lacks tagged.
Standard library only: the job's process imports it."""

from __future__ import annotations

import base64
import datetime
import decimal
from typing import Any

_TAGS: dict[str, Any] = {
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
}


def encode(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, datetime.datetime):  # before date: a datetime is a date
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, (datetime.date, datetime.time)):
        return {"$": type(value).__name__, "v": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$": "bytes", "v": base64.b64encode(bytes(value)).decode()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict) and set(value) == {"$", "v"}:
        return _TAGS[value["$"]](value["v"])
    return value
