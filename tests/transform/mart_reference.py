"""Every mart computed in plain Python from the landed flights and the airports seed: the
independent reference the marts are checked against, column by column."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest

from airline_elt.state import project_dir

# A landed flight: (flight_id, carrier, origin, dest, dep_delay, arr_delay, flight_date),
# optionally followed by the fourteen BTS columns (tests/transform/conftest.py
# OPTIONAL_COLUMNS: scheduled_dep_time, scheduled_dep_hour, cancelled, diverted,
# cancellation_code, the five causes, distance_miles, tail_number, origin_airport_code,
# dest_airport_code); missing ones are null.
Flight = Sequence[Any]
SCHEDULED_DEP_HOUR, CANCELLED, DIVERTED, CANCELLATION_CODE = 8, 9, 10, 11
ORIGIN_CODE, DEST_CODE = 19, 20
CAUSES = ("carrier_delay", "weather_delay", "nas_delay", "security_delay",
          "late_aircraft_delay")
FIRST_CAUSE = 12
CANCELLATION_REASONS = {"A": "carrier", "B": "weather", "C": "national aviation system",
                        "D": "security", None: "not given"}

def bundled_airports() -> dict[int, tuple[str, str, str]]:
    """airport_id -> (name, city, state) of seeds/airports_dim.csv."""
    with (Path(project_dir()) / "seeds" / "airports_dim.csv").open(encoding="utf-8") as src:
        return {int(row["airport_id"]): (row["name"], row["city"], row["state"])
                for row in csv.DictReader(src)}


def bundled_carriers() -> dict[str, str]:
    """carrier -> carrier_name of seeds/carriers.csv."""
    with (Path(project_dir()) / "seeds" / "carriers.csv").open(encoding="utf-8") as src:
        return {row["carrier"]: row["carrier_name"] for row in csv.DictReader(src)}


# The dbt var min_sample_flights' default (dbt_project.yml).
MIN_SAMPLE_FLIGHTS = 10
LATE_ARRIVAL_MINUTES = 15
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Near:
    """A value the warehouse rounds to `places` decimals from its own floating-point
    computation: equal to the exact value within half a unit of the last place."""

    value: float
    places: int

    def matches(self, got: Any) -> bool:
        if got is None:
            return False
        step = Decimal(1).scaleb(-self.places)
        return (Decimal(got) == Decimal(got).quantize(step)
                and abs(float(got) - self.value) <= float(step) / 2 + 1e-9)


def rounded(numerator: int, denominator: int, factor: int = 1, places: int = 1) -> Decimal | None:
    """numerator * factor / denominator rounded half away from zero, as PostgreSQL's
    round(numeric) does; None when the denominator is 0."""
    if denominator == 0:
        return None
    with localcontext() as exact:
        exact.prec = 60
        value = Decimal(numerator * factor) / Decimal(denominator)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percentage(part: int, whole: int) -> Decimal | None:
    return rounded(part, whole, factor=100)


def _optional(f: Flight, index: int) -> Any:
    return f[index] if len(f) > index else None


def is_cancelled(f: Flight) -> bool:
    """The file's flag when it has one, else no departure delay."""
    flag = _optional(f, CANCELLED)
    return f[4] is None if flag is None else flag


def is_delayed(f: Flight, threshold: int) -> bool:
    return not is_cancelled(f) and f[4] is not None and f[4] > threshold


def is_diverted(f: Flight) -> bool:
    """Not cancelled, and the file's flag says diverted or no arrival delay is recorded."""
    return not is_cancelled(f) and (_optional(f, DIVERTED) is True or f[5] is None)


def _has_arrived(f: Flight) -> bool:
    return not is_cancelled(f) and not is_diverted(f)


def _is_on_time(f: Flight) -> bool:
    return _has_arrived(f) and f[5] < LATE_ARRIVAL_MINUTES


def _is_arrived_late(f: Flight) -> bool:
    return _has_arrived(f) and f[5] >= LATE_ARRIVAL_MINUTES


def _causes(f: Flight) -> list[int | None]:
    return [_optional(f, FIRST_CAUSE + i) for i in range(len(CAUSES))]


def _has_cause_data(f: Flight) -> bool:
    return any(minutes is not None for minutes in _causes(f))


def airport_code(group: list[Flight], index: int) -> str | None:
    """The code the group's landed rows give its airport (the greatest, as max() does), or
    None when none gives one."""
    return max((code for f in group if (code := _optional(f, index)) is not None), default=None)


def delay_measures(group: list[Flight], threshold: int, min_sample: int) -> dict[str, Any]:
    operated = [f for f in group if not is_cancelled(f)]
    departures = [f[4] for f in operated if f[4] is not None]
    delayed = [f for f in operated if is_delayed(f, threshold)]
    delayed_arrivals = [f[5] for f in delayed if f[5] is not None]
    return {
        "flights_scheduled": len(group),
        "flights_operated": len(operated),
        "flights_cancelled": len(group) - len(operated),
        "flights_delayed": len(delayed),
        "delay_rate_pct": percentage(len(delayed), len(operated)),
        "avg_dep_delay_minutes": rounded(sum(departures), len(operated)),
        "avg_dep_delay_of_delayed_minutes": rounded(sum(f[4] for f in delayed), len(delayed)),
        "avg_arr_delay_of_delayed_minutes": rounded(sum(delayed_arrivals),
                                                    len(delayed_arrivals)),
        "max_dep_delay_minutes": max(departures, default=None),
        "meets_min_sample": len(operated) >= min_sample,
    }


def on_time_measures(group: list[Flight]) -> dict[str, Any]:
    on_time = sum(1 for f in group if _is_on_time(f))
    return {
        "flights_on_time": on_time,
        "flights_diverted": sum(1 for f in group if is_diverted(f)),
        "on_time_pct": percentage(on_time, len(group)),
    }


def on_time_breakdown(group: list[Flight], min_sample: int) -> dict[str, Any]:
    on_time = sum(1 for f in group if _is_on_time(f))
    return {
        "flights_scheduled": len(group),
        "flights_on_time": on_time,
        "flights_arrived_late": sum(1 for f in group if _is_arrived_late(f)),
        "flights_cancelled": sum(1 for f in group if is_cancelled(f)),
        "flights_diverted": sum(1 for f in group if is_diverted(f)),
        "on_time_pct": percentage(on_time, len(group)),
        "meets_min_sample": len(group) >= min_sample,
    }


def arrival_measures(group: list[Flight], min_sample: int) -> dict[str, Any]:
    arrived = [f for f in group if _has_arrived(f)]
    late = [f for f in arrived if _is_arrived_late(f)]
    return {
        "flights_arrived": len(arrived),
        "flights_arrived_late": len(late),
        "late_arrival_pct": percentage(len(late), len(arrived)),
        "avg_arr_delay_minutes": rounded(sum(f[5] for f in arrived), len(arrived)),
        "avg_arr_delay_of_late_minutes": rounded(sum(f[5] for f in late), len(late)),
        "meets_min_sample": len(arrived) >= min_sample,
    }


def cause_measures(group: list[Flight], min_sample: int) -> dict[str, Any]:
    """Delay minutes by cause over the flights with cause data, each cause's share, and the
    flights with minutes of each cause."""
    with_causes = [f for f in group if _has_cause_data(f)]
    minutes = [sum(_causes(f)[i] or 0 for f in with_causes) for i in range(len(CAUSES))]
    total = sum(minutes)
    return {
        "flights_scheduled": len(group),
        "flights_with_causes": len(with_causes),
        "cause_minutes": total,
        **{f"{cause}_minutes": minutes[i] for i, cause in enumerate(CAUSES)},
        **{f"{cause}_pct": percentage(minutes[i], total) for i, cause in enumerate(CAUSES)},
        **{f"flights_with_{cause}": sum(1 for f in with_causes if (_causes(f)[i] or 0) > 0)
           for i, cause in enumerate(CAUSES)},
        "meets_min_sample": len(with_causes) >= min_sample,
    }


def hour_measures(group: list[Flight], threshold: int, min_sample: int) -> dict[str, Any]:
    measures = delay_measures(group, threshold, min_sample)
    return {
        **{column: measures[column] for column in (
            "flights_scheduled", "flights_cancelled", "flights_operated", "flights_delayed",
            "delay_rate_pct", "avg_dep_delay_minutes")},
        "on_time_pct": percentage(sum(1 for f in group if _is_on_time(f)), len(group)),
        "meets_min_sample": measures["meets_min_sample"],
    }


def cancellation_reason(f: Flight) -> str:
    return CANCELLATION_REASONS.get(_optional(f, CANCELLATION_CODE), "not given")


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


def _origin(airports: dict, airport_id: int, group: list[Flight]) -> dict[str, Any]:
    name, city, state = airports[airport_id]
    return {"origin_airport_code": airport_code(group, ORIGIN_CODE), "origin_airport": name,
            "origin_city": city, "origin_state": state}


def _dest(airports: dict, airport_id: int, group: list[Flight]) -> dict[str, Any]:
    name, city, state = airports[airport_id]
    return {"dest_airport_code": airport_code(group, DEST_CODE), "dest_airport": name,
            "dest_city": city, "dest_state": state}


def delay_ranks(routes: dict[Any, dict[str, Any]]) -> dict[Any, int | None]:
    """SQL's rank() over (order by delay_rate_pct desc, flights_delayed desc) among the routes
    that meet the minimum sample; None for the others."""
    ranked = [key for key, row in routes.items() if row["meets_min_sample"]]

    def order(key: Any) -> tuple:
        return (routes[key]["delay_rate_pct"], routes[key]["flights_delayed"])
    return {key: (1 + sum(1 for other in ranked if order(other) > order(key))
                  if key in ranked else None) for key in routes}


def expected_marts(
    flights: Sequence[Flight], airports: dict[int, tuple[str, str, str]], threshold: int = 60,
    carriers: dict[str, str] | None = None, min_sample_flights: int = MIN_SAMPLE_FLIGHTS,
) -> dict[str, dict[Any, dict[str, Any]]]:
    """mart -> key -> column -> value, for flights between known airports."""
    names = bundled_carriers() if carriers is None else carriers
    sample = min_sample_flights
    known = [f for f in flights if f[2] in airports and f[3] in airports]
    marts: dict[str, dict[Any, dict[str, Any]]] = {}
    marts["mv_carrier_delays"] = {
        carrier: {"carrier_name": names.get(carrier, carrier),
                  **delay_measures(group, threshold, sample), **on_time_measures(group),
                  "first_flight_date": min(f[6] for f in group),
                  "last_flight_date": max(f[6] for f in group)}
        for carrier, group in _grouped(known, lambda f: f[1]).items()
    }
    marts["mv_on_time_by_carrier"] = {
        carrier: {"carrier_name": names.get(carrier, carrier), **on_time_breakdown(group, sample)}
        for carrier, group in _grouped(known, lambda f: f[1]).items()
    }
    marts["mv_on_time_by_airport"] = {
        origin: {**_origin(airports, origin, group), **on_time_breakdown(group, sample)}
        for origin, group in _grouped(known, lambda f: f[2]).items()
    }
    routes = {
        (origin, dest): {**_origin(airports, origin, group), **_dest(airports, dest, group),
                         **delay_measures(group, threshold, sample)}
        for (origin, dest), group in _grouped(known, lambda f: (f[2], f[3])).items()
    }
    marts["mv_route_delays"] = routes
    prone = {key: row for key, row in routes.items() if row["meets_min_sample"]}
    ranks = delay_ranks(prone)
    marts["mv_delay_prone_routes"] = {key: {**row, "delay_rank": ranks[key]}
                                      for key, row in prone.items()}
    marts["mv_delays_by_origin"] = {
        key: delay_measures(group, threshold, sample)
        for key, group in _grouped(
            known, lambda f: (airports[f[2]][1], airports[f[2]][2])
        ).items()
    }
    marts["mv_delays_by_origin_state"] = {
        state: delay_measures(group, threshold, sample)
        for state, group in _grouped(known, lambda f: airports[f[2]][2]).items()
    }
    marts["mv_delays_by_origin_airport"] = {
        origin: {**_origin(airports, origin, group), **delay_measures(group, threshold, sample)}
        for origin, group in _grouped(known, lambda f: f[2]).items()
    }
    marts["mv_arrival_delays_by_destination"] = {
        dest: {**_dest(airports, dest, group), **arrival_measures(group, sample)}
        for dest, group in _grouped(known, lambda f: f[3]).items()
    }
    marts["mv_daily_delay_trend"] = {
        day: {**delay_measures(group, threshold, sample), **on_time_measures(group)}
        for day, group in _grouped(known, lambda f: f[6]).items()
    }
    marts["mv_delays_by_month"] = {
        month: {**delay_measures(group, threshold, sample), **on_time_measures(group)}
        for month, group in _grouped(known, lambda f: f[6].replace(day=1)).items()
    }
    marts["mv_delays_by_weekday"] = {
        weekday: {"day_name": DAY_NAMES[weekday - 1], **delay_measures(group, threshold, sample),
                  **on_time_measures(group)}
        for weekday, group in _grouped(known, lambda f: f[6].isoweekday()).items()
    }
    paired = [f for f in known if f[4] is not None and f[5] is not None]
    correlation = {}
    for carrier, group in [*_grouped(paired, lambda f: f[1]).items(), ("ALL", paired)]:
        pairs = [(f[4], f[5]) for f in group]
        r = pearson(pairs)
        correlation[carrier] = {
            "carrier_name": "All carriers" if carrier == "ALL" else names.get(carrier, carrier),
            "flights_operated": len(pairs),
            "avg_dep_delay_minutes": rounded(sum(x for x, _ in pairs), len(pairs)),
            "avg_arr_delay_minutes": rounded(sum(y for _, y in pairs), len(pairs)),
            "dep_arr_delay_correlation": None if r is None else Near(r, 3),
            "meets_min_sample": len(pairs) >= sample,
        }
    marts["mv_delay_correlation"] = correlation
    marts["mv_delay_causes_by_carrier"] = {
        carrier: {"carrier_name": names.get(carrier, carrier), **measures}
        for carrier, group in _grouped(known, lambda f: f[1]).items()
        if (measures := cause_measures(group, sample))["flights_with_causes"] > 0
    }
    marts["mv_delay_causes_by_origin_airport"] = {
        origin: {**_origin(airports, origin, group), **measures}
        for origin, group in _grouped(known, lambda f: f[2]).items()
        if (measures := cause_measures(group, sample))["flights_with_causes"] > 0
    }
    scheduled = [f for f in known if _optional(f, SCHEDULED_DEP_HOUR) is not None]
    marts["mv_delays_by_scheduled_hour"] = {
        hour: hour_measures(group, threshold, sample)
        for hour, group in _grouped(scheduled, lambda f: f[SCHEDULED_DEP_HOUR]).items()
    }
    cancellations = {}
    for carrier, group in _grouped(known, lambda f: f[1]).items():
        cancelled = [f for f in group if is_cancelled(f)]
        for reason, of_reason in _grouped(cancelled, cancellation_reason).items():
            code = next(code for code, name in CANCELLATION_REASONS.items() if name == reason)
            cancellations[(carrier, reason)] = {
                "carrier_name": names.get(carrier, carrier),
                "cancellation_code": code,
                "flights_scheduled": len(group),
                "flights_cancelled": len(of_reason),
                "cancelled_pct": percentage(len(of_reason), len(group)),
                "meets_min_sample": len(group) >= sample,
            }
    marts["mv_cancellations_by_carrier"] = cancellations
    return marts


def expected_fact(flights: Sequence[Flight], airports: dict[int, tuple[str, str, str]],
                  threshold: int = 60) -> list[tuple]:
    """daily_flights_fact's flights as (flight_id, flight_date, dep_delay, arr_delay, the five
    cause minutes), sorted."""
    return sorted(
        (f[0], f[6], f[4], f[5], *_causes(f)) for f in flights
        if f[2] in airports and f[3] in airports and is_delayed(f, threshold)
    )


MART_KEYS = {
    "mv_carrier_delays": ["carrier"],
    "mv_on_time_by_carrier": ["carrier"],
    "mv_on_time_by_airport": ["origin_airport_id"],
    "mv_route_delays": ["origin_airport_id", "dest_airport_id"],
    "mv_delay_prone_routes": ["origin_airport_id", "dest_airport_id"],
    "mv_delays_by_origin": ["origin_city", "origin_state"],
    "mv_delays_by_origin_state": ["origin_state"],
    "mv_delays_by_origin_airport": ["origin_airport_id"],
    "mv_arrival_delays_by_destination": ["dest_airport_id"],
    "mv_daily_delay_trend": ["flight_date"],
    "mv_delays_by_month": ["flight_month"],
    "mv_delays_by_weekday": ["day_of_week"],
    "mv_delay_correlation": ["carrier"],
    "mv_delay_causes_by_carrier": ["carrier"],
    "mv_delay_causes_by_origin_airport": ["origin_airport_id"],
    "mv_delays_by_scheduled_hour": ["scheduled_dep_hour"],
    "mv_cancellations_by_carrier": ["carrier", "cancellation_reason"],
}


def actual_mart(query: Callable[[str], list[tuple]], mart: str, columns: list[str]) -> dict:
    keys = MART_KEYS[mart]
    rows = query(f"select {', '.join(keys + columns)} from airlines.{mart}")
    actual = {}
    for row in rows:
        key = row[0] if len(keys) == 1 else tuple(row[: len(keys)])
        actual[key] = dict(zip(columns, row[len(keys):], strict=True))
    return actual


def mart_columns(query: Callable[[str], list[tuple]], mart: str) -> list[str]:
    """The mart's columns, from the catalog (materialized views included)."""
    return [name for (name,) in query(
        "select attname from pg_attribute where attrelid = to_regclass('airlines." + mart
        + "') and attnum > 0 and not attisdropped order by attnum"
    )]


def assert_marts_equal(
    query: Callable[[str], list[tuple]], expected: dict, empty: frozenset[str] = frozenset()
) -> None:
    """Every mart, every row, every column equals the reference: counts, rounded rates and
    averages exactly (numeric), the correlation to its 3 decimals; and no mart has a column
    the reference does not check."""
    assert set(expected) == set(MART_KEYS)
    for mart, rows in expected.items():
        if mart in empty and not rows:  # data without the BTS columns: the mart is empty
            assert not query(f"select 1 from airlines.{mart} limit 1"), mart
            continue
        assert rows, f"{mart}: the test data gives it no rows"
        columns = list(next(iter(rows.values())).keys())
        assert sorted(mart_columns(query, mart)) == sorted([*MART_KEYS[mart], *columns]), mart
        actual = actual_mart(query, mart, columns)
        assert set(actual) == set(rows), mart
        for key, values in rows.items():
            for column, value in values.items():
                got = actual[key][column]
                if isinstance(value, Near):
                    assert value.matches(got), (mart, key, column, got, value)
                elif isinstance(value, float):
                    assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (mart, key, column)
                else:
                    assert got == value, (mart, key, column, got, value)
