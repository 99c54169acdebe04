"""Every mart computed in plain Python from the landed flights and the airports seed: the
independent reference the marts are checked against, column by column."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from airline_elt.state import project_dir

# A landed flight: (flight_id, carrier, origin, dest, dep_delay, arr_delay, flight_date)
Flight = Sequence[Any]


def bundled_airports() -> dict[int, tuple[str, str, str]]:
    """airport_id -> (name, city, state) of seeds/airports_dim.csv."""
    with (Path(project_dir()) / "seeds" / "airports_dim.csv").open(encoding="utf-8") as src:
        return {int(row["airport_id"]): (row["name"], row["city"], row["state"])
                for row in csv.DictReader(src)}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def delay_measures(group: list[Flight], threshold: int) -> dict[str, Any]:
    operated = [f for f in group if f[4] is not None]
    delayed = [f for f in operated if f[4] > threshold]
    return {
        "flights_scheduled": len(group),
        "flights_operated": len(operated),
        "flights_cancelled": len(group) - len(operated),
        "flights_delayed": len(delayed),
        "delay_rate": len(delayed) / len(operated) if operated else None,
        "avg_dep_delay_minutes": _mean([f[4] for f in operated]),
        "avg_dep_delay_of_delayed_minutes": _mean([f[4] for f in delayed]),
        "avg_arr_delay_of_delayed_minutes": _mean([f[5] for f in delayed if f[5] is not None]),
        "max_dep_delay_minutes": max((f[4] for f in operated), default=None),
    }


def pearson(pairs: list[tuple[int, int]]) -> float | None:
    n = len(pairs)
    if n == 0:
        return None
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _grouped(flights: Iterable[Flight], key: Callable[[Flight], Any]) -> dict[Any, list[Flight]]:
    groups: dict[Any, list[Flight]] = defaultdict(list)
    for f in flights:
        groups[key(f)].append(f)
    return groups


def expected_marts(
    flights: Sequence[Flight], airports: dict[int, tuple[str, str, str]], threshold: int = 60
) -> dict[str, dict[Any, dict[str, Any]]]:
    """mart -> key -> column -> value, for flights between known airports."""
    known = [f for f in flights if f[2] in airports and f[3] in airports]
    marts: dict[str, dict[Any, dict[str, Any]]] = {}
    marts["mv_carrier_delays"] = {
        carrier: {**delay_measures(group, threshold),
                  "first_flight_date": min(f[6] for f in group),
                  "last_flight_date": max(f[6] for f in group)}
        for carrier, group in _grouped(known, lambda f: f[1]).items()
    }
    marts["mv_route_delays"] = {
        (origin, dest): {
            "dep_airport": airports[origin][0], "arr_airport": airports[dest][0],
            "dep_city": airports[origin][1], "arr_city": airports[dest][1],
            "dep_state": airports[origin][2], "arr_state": airports[dest][2],
            **delay_measures(group, threshold),
        }
        for (origin, dest), group in _grouped(known, lambda f: (f[2], f[3])).items()
    }
    marts["mv_delays_by_origin"] = {
        key: delay_measures(group, threshold)
        for key, group in _grouped(
            known, lambda f: (airports[f[2]][2], airports[f[2]][1])
        ).items()
    }
    marts["mv_daily_delay_trend"] = {
        day: delay_measures(group, threshold)
        for day, group in _grouped(known, lambda f: f[6]).items()
    }
    paired = [f for f in known if f[4] is not None and f[5] is not None]
    correlation = {}
    for carrier, group in [*_grouped(paired, lambda f: f[1]).items(), ("ALL", paired)]:
        pairs = [(f[4], f[5]) for f in group]
        correlation[carrier] = {
            "flights_operated": len(pairs),
            "avg_dep_delay_minutes": _mean([x for x, _ in pairs]),
            "avg_arr_delay_minutes": _mean([y for _, y in pairs]),
            "dep_arr_delay_correlation": pearson(pairs),
        }
    marts["mv_delay_correlation"] = correlation
    return marts


MART_KEYS = {
    "mv_carrier_delays": ["carrier"],
    "mv_route_delays": ["origin_airport_id", "dest_airport_id"],
    "mv_delays_by_origin": ["dep_state", "dep_city"],
    "mv_daily_delay_trend": ["flight_date"],
    "mv_delay_correlation": ["carrier"],
}


def actual_mart(query: Callable[[str], list[tuple]], mart: str, columns: list[str]) -> dict:
    keys = MART_KEYS[mart]
    rows = query(f"select {', '.join(keys + columns)} from airlines.{mart}")
    actual = {}
    for row in rows:
        key = row[0] if len(keys) == 1 else tuple(row[: len(keys)])
        actual[key] = dict(zip(columns, row[len(keys):], strict=True))
    return actual


def assert_marts_equal(query: Callable[[str], list[tuple]], expected: dict) -> None:
    """Every mart, every row, every column equals the reference (floats to 1e-9)."""
    for mart, rows in expected.items():
        columns = list(next(iter(rows.values())).keys())
        actual = actual_mart(query, mart, columns)
        assert set(actual) == set(rows), mart
        for key, values in rows.items():
            for column, value in values.items():
                got = actual[key][column]
                if isinstance(value, float):
                    assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (mart, key, column)
                else:
                    assert got == value, (mart, key, column)
