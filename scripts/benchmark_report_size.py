"""How big the delay report is for a BTS year: builds ReportData from generated BTS-scale
aggregate rows (~7.3 million flights: 17 carriers, 360 airports, ~6,500 routes, 12 months),
renders the page through the same payload and template code as `airline-elt report`, and prints
the sizes (the page, its data as embedded, plotly.js). Exit 1 when the page is not under
MAIL_LIMIT_BYTES.

    .venv/bin/python scripts/benchmark_report_size.py [--seed N] [--output FILE]

No warehouse needed: the rows are what report_data reads from the daily aggregates, with the
grain of a real year (a route flown by one to three carriers, every month; each carrier on
every day; the BTS file's cause and hour columns everywhere).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

from plotly.offline import get_plotlyjs

from airline_elt.report import write_report
from airline_elt.report_data import (
    Airport,
    Carrier,
    DayCarrier,
    DaySource,
    HourMonth,
    OriginCausesMonth,
    ReportData,
    RouteMonth,
    UnknownAirports,
)
from airline_elt.report_payload import build_payload

YEAR = 2023
CARRIERS = 17
AIRPORTS = 360
ROUTES = 6_500
FLIGHTS_A_YEAR = 7_300_000
MAIL_LIMIT_BYTES = 10_000_000  # "well under what a mail attachment allows" (often 20-25 MB)


def generated_year(seed: int) -> ReportData:
    # Long on purpose: one synthetic year, one block per field of ReportData, read top-down.
    rng = random.Random(seed)
    days = [dt.date(YEAR, 1, 1) + dt.timedelta(days=n) for n in range(365)]
    months = [f"{YEAR}-{month:02d}" for month in range(1, 13)]
    carriers = [Carrier(code=f"C{index:02d}", name=f"Carrier {index} Airlines Inc.")
                for index in range(CARRIERS)]
    airports = [Airport(airport_id=10_000 + index, code=f"A{index:02d}"[:3],
                        city=f"City {index}", state=f"S{index % 52:02d}")
                for index in range(AIRPORTS)]
    # Each carrier flies a network of its own (30 to 250 airports, as in BTS: a hub carrier
    # serves ~200, a small one a few dozen); its routes join airports of its network.
    networks = [rng.sample(range(AIRPORTS), rng.randrange(30, 251)) for _ in carriers]
    flown: set[tuple[int, int, int]] = set()
    while len({(origin, dest) for origin, dest, _ in flown}) < ROUTES:
        carrier = rng.randrange(CARRIERS)
        origin, dest = rng.sample(networks[carrier], 2)
        flown.update({(origin, dest, carrier), (dest, origin, carrier)})
    route_carriers = sorted(flown)
    per_route_month = FLIGHTS_A_YEAR // (len(route_carriers) * 12)
    route_months = []
    for month in months:
        for origin, dest, carrier in route_carriers:
            flights = max(1, int(rng.gauss(per_route_month, per_route_month / 3)))
            delayed = rng.randrange(flights // 5 + 1)
            route_months.append(RouteMonth(
                month=month, carrier=carriers[carrier].code,
                origin_airport_id=airports[origin].airport_id,
                dest_airport_id=airports[dest].airport_id, flights_scheduled=flights + 2,
                flights_operated=flights, flights_delayed=delayed,
                flights_on_time=flights - delayed - rng.randrange(flights // 10 + 1),
                flights_delayed_with_arr_delay=delayed,
                sum_dep_delay_of_delayed=delayed * rng.randrange(61, 180),
                sum_arr_delay_of_delayed=delayed * rng.randrange(40, 190)))
    per_day = FLIGHTS_A_YEAR // (365 * CARRIERS)
    day_carriers = [DayCarrier(
        flight_date=day, carrier=carrier.code, flights_scheduled=per_day + 20,
        flights_operated=per_day, flights_cancelled=20, flights_delayed=rng.randrange(per_day // 8),
        flights_on_time=rng.randrange(per_day), flights_arrived_late=rng.randrange(per_day // 5),
        flights_diverted=rng.randrange(5), flights_with_causes=rng.randrange(per_day // 5),
        cause_minutes=tuple(rng.randrange(50_000) for _ in range(5)),
        cause_flights=tuple(rng.randrange(300) for _ in range(5)),
        cancelled_by_reason=(5, 5, 5, 2, 3), paired_flights=per_day,
        paired_sum_dep=rng.randrange(10**6), paired_sum_arr=rng.randrange(10**6),
        paired_sum_dep_squared=rng.randrange(10**9), paired_sum_arr_squared=rng.randrange(10**9),
        paired_sum_product=rng.randrange(10**9)) for day in days for carrier in carriers]
    served = sorted({(month, carrier, origin) for month in months
                     for origin, _, carrier in route_carriers})
    origin_causes = [OriginCausesMonth(
        month=month, carrier=carriers[carrier].code, origin_airport_id=airports[origin].airport_id,
        flights_with_causes=rng.randrange(1, 400),
        cause_minutes=tuple(rng.randrange(20_000) for _ in range(5)),
        cause_flights=tuple(rng.randrange(100) for _ in range(5)))
        for month, carrier, origin in served]
    hour_months = [HourMonth(month=month, carrier=carrier.code, scheduled_dep_hour=hour,
                             flights_scheduled=2_000, flights_operated=1_980,
                             flights_cancelled=20, flights_delayed=rng.randrange(300),
                             flights_on_time=rng.randrange(1_500, 1_900))
                   for month in months for carrier in carriers for hour in range(24)]
    return ReportData(
        carriers=carriers, airports=airports, day_carriers=day_carriers,
        route_months=route_months, origin_causes=origin_causes, hour_months=hour_months,
        day_sources=[DaySource(flight_date=day, flights_scheduled=per_day * CARRIERS,
                               flights_from_bts_files=per_day * CARRIERS) for day in days],
        has_airport_codes=True, has_cause_flights=True, has_hour_aggregate=True,
        has_hour_carrier=True,
        last_run=None, unknown_airports=UnknownAirports(airports=0, flights=0),
        delay_threshold_minutes=60, min_sample_flights=10)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--output", type=Path, help="keep the page here (default: discarded)")
    args = parser.parse_args(argv)
    data = generated_year(args.seed)
    flights = sum(row.flights_scheduled for row in data.route_months)
    payload = build_payload(data)
    embedded, as_json = len(payload.to_embedded()), len(payload.to_json().encode("utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        page = write_report(data, args.output or Path(folder) / "report.html")
        size = page.stat().st_size
    plotly_js = len(get_plotlyjs().encode("utf-8"))
    routes = {(row.origin_airport_id, row.dest_airport_id) for row in data.route_months}
    print(f"a generated BTS year: {flights:,} flights, {len(data.carriers)} carriers, "
          f"{len(data.airports)} airports, {len(routes):,} routes, "
          f"{len(data.route_months):,} rows of route x month x carrier")
    print(f"report page: {size / 1e6:.1f} MB (data {embedded / 1e6:.1f} MB gzipped and base64, "
          f"{as_json / 1e6:.1f} MB as JSON; plotly.js {plotly_js / 1e6:.1f} MB); "
          f"limit {MAIL_LIMIT_BYTES / 1e6:.0f} MB")
    return 0 if size < MAIL_LIMIT_BYTES else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
