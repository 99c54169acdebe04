{#-
  The measures every mart reports for its group of flights, summed from
  int_flight_delays_monthly, int_flight_delays_daily_totals or
  int_flight_delays_by_hour_daily (where "delayed", "cancelled", "diverted" and "on
  time" are decided by the macros of delay_rules.sql).

  Rates are percentages rounded to 1 decimal (5.1 means 5.1 %), averages are
  minutes rounded to 1 decimal. Both are computed from the exact integer sums
  in numeric, then rounded once (half away from zero), so PostgreSQL and
  Redshift give the same digits and analysts need no rounding of their own.
-#}

{#-
  round(numerator * factor / denominator, scale) in exact numeric; null when the
  denominator is 0. numeric(18, 0) operands: Redshift gives their quotient
  scale 19 and precision 37 (p1 - s1 + s2 + max(4, s1 + p2 - s2 + 1), at most
  38), so it holds up to 18 integer digits; numeric(38, 0) operands would
  leave no room for any and overflow.
-#}
{% macro rounded_ratio(numerator, denominator, factor=1, scale=1) -%}
    cast(round(
        cast({{ factor }} * ({{ numerator }}) as numeric(18, 0))
        / cast(nullif({{ denominator }}, 0) as numeric(18, 0)),
        {{ scale }}
    ) as numeric(18, {{ scale }}))
{%- endmacro %}


{#- A percentage of two counts, rounded to 1 decimal: 0.0 to 100.0. -#}
{% macro percentage(numerator, denominator) -%}
    {{ rounded_ratio(numerator, denominator, factor=100, scale=1) }}
{%- endmacro %}


{% macro delay_measures() -%}
    cast(sum(flights_scheduled) as bigint) as flights_scheduled,
    cast(sum(flights_operated) as bigint) as flights_operated,
    cast(sum(flights_cancelled) as bigint) as flights_cancelled,
    cast(sum(flights_delayed) as bigint) as flights_delayed,
    {{ percentage('sum(flights_delayed)', 'sum(flights_operated)') }} as delay_rate_pct,
    {{ rounded_ratio('sum(sum_dep_delay)', 'sum(flights_operated)') }} as avg_dep_delay_minutes,
    {{ rounded_ratio('sum(sum_dep_delay_of_delayed)', 'sum(flights_delayed)') }}
    as avg_dep_delay_of_delayed_minutes,
    {{ rounded_ratio('sum(sum_arr_delay_of_delayed)', 'sum(flights_delayed_with_arr_delay)') }}
    as avg_arr_delay_of_delayed_minutes,
    cast(max(max_dep_delay) as bigint) as max_dep_delay_minutes,
    {{ meets_min_sample('sum(flights_operated)') }} as meets_min_sample
{%- endmacro %}


{#-
  The DOT on-time measures: on time over scheduled flights (cancelled and diverted
  flights count as not on time).
-#}
{% macro on_time_measures() -%}
    cast(sum(flights_on_time) as bigint) as flights_on_time,
    cast(sum(flights_diverted) as bigint) as flights_diverted,
    {{ percentage('sum(flights_on_time)', 'sum(flights_scheduled)') }} as on_time_pct
{%- endmacro %}


{#- Every scheduled flight as exactly one of on time, arrived late, cancelled, diverted. -#}
{% macro on_time_breakdown() -%}
    cast(sum(flights_scheduled) as bigint) as flights_scheduled,
    cast(sum(flights_on_time) as bigint) as flights_on_time,
    cast(sum(flights_arrived_late) as bigint) as flights_arrived_late,
    cast(sum(flights_cancelled) as bigint) as flights_cancelled,
    cast(sum(flights_diverted) as bigint) as flights_diverted,
    {{ percentage('sum(flights_on_time)', 'sum(flights_scheduled)') }} as on_time_pct,
    {{ meets_min_sample('sum(flights_scheduled)') }} as meets_min_sample
{%- endmacro %}


{#- Arrival delays of the flights that arrived (an arrival delay recorded). -#}
{% macro arrival_measures() -%}
    cast(sum(flights_arrived) as bigint) as flights_arrived,
    cast(sum(flights_arrived_late) as bigint) as flights_arrived_late,
    {{ percentage('sum(flights_arrived_late)', 'sum(flights_arrived)') }} as late_arrival_pct,
    {{ rounded_ratio('sum(sum_arr_delay)', 'sum(flights_arrived)') }} as avg_arr_delay_minutes,
    {{ rounded_ratio('sum(sum_arr_delay_of_late)', 'sum(flights_arrived_late)') }}
    as avg_arr_delay_of_late_minutes,
    {{ meets_min_sample('sum(flights_arrived)') }} as meets_min_sample
{%- endmacro %}


{#-
  Pearson correlation of departure (x) and arrival (y) delay over the flights
  with both, from exact integer sums (Redshift has no corr()):
    r = (n*Sxy - Sx*Sy) / sqrt((n*Sxx - Sx^2) * (n*Syy - Sy^2))
  The products are taken in numeric(38, 0), exact on both engines, the ratio
  in double precision, rounded to 3 decimals.
-#}
{% macro delay_correlation_measures() -%}
    {%- set n = 'cast(sum(paired_flights) as numeric(38, 0))' -%}
    {%- set sx = 'cast(sum(paired_sum_dep_delay) as numeric(38, 0))' -%}
    {%- set sy = 'cast(sum(paired_sum_arr_delay) as numeric(38, 0))' -%}
    {%- set sxx = 'cast(sum(paired_sum_dep_delay_squared) as numeric(38, 0))' -%}
    {%- set syy = 'cast(sum(paired_sum_arr_delay_squared) as numeric(38, 0))' -%}
    {%- set sxy = 'cast(sum(paired_sum_dep_arr_delay_product) as numeric(38, 0))' -%}
    cast(sum(paired_flights) as bigint) as flights_operated,
    {{ rounded_ratio('sum(paired_sum_dep_delay)', 'sum(paired_flights)') }} as avg_dep_delay_minutes,
    {{ rounded_ratio('sum(paired_sum_arr_delay)', 'sum(paired_flights)') }} as avg_arr_delay_minutes,
    cast(round(cast(
        cast({{ n }} * {{ sxy }} - {{ sx }} * {{ sy }} as double precision)
        / nullif(
            sqrt(cast({{ n }} * {{ sxx }} - {{ sx }} * {{ sx }} as double precision))
            * sqrt(cast({{ n }} * {{ syy }} - {{ sy }} * {{ sy }} as double precision)),
            0
        ) as numeric(38, 15)
    ), 3) as numeric(5, 3)) as dep_arr_delay_correlation,
    {{ meets_min_sample('sum(paired_flights)') }} as meets_min_sample
{%- endmacro %}


{#-
  Delay minutes by the five BTS causes, over the flights
  with cause data: how many flights had it, their cause minutes (the five
  summed), the minutes of each cause and each cause's share of all cause
  minutes (0-100, 1 decimal; null when the minutes sum to 0), and the flights
  delayed by each cause (more than 0 of its minutes; a flight may count for
  several causes). Summed from int_flight_delays_monthly.
-#}
{% macro cause_measures() -%}
    {%- set cause_minutes -%}
        sum(sum_carrier_delay) + sum(sum_weather_delay) + sum(sum_nas_delay)
        + sum(sum_security_delay) + sum(sum_late_aircraft_delay)
    {%- endset -%}
    cast(sum(flights_with_causes) as bigint) as flights_with_causes,
    cast({{ cause_minutes }} as bigint) as cause_minutes,
    cast(sum(sum_carrier_delay) as bigint) as carrier_delay_minutes,
    cast(sum(sum_weather_delay) as bigint) as weather_delay_minutes,
    cast(sum(sum_nas_delay) as bigint) as nas_delay_minutes,
    cast(sum(sum_security_delay) as bigint) as security_delay_minutes,
    cast(sum(sum_late_aircraft_delay) as bigint) as late_aircraft_delay_minutes,
    {{ percentage('sum(sum_carrier_delay)', cause_minutes) }} as carrier_delay_pct,
    {{ percentage('sum(sum_weather_delay)', cause_minutes) }} as weather_delay_pct,
    {{ percentage('sum(sum_nas_delay)', cause_minutes) }} as nas_delay_pct,
    {{ percentage('sum(sum_security_delay)', cause_minutes) }} as security_delay_pct,
    {{ percentage('sum(sum_late_aircraft_delay)', cause_minutes) }} as late_aircraft_delay_pct,
    cast(sum(flights_with_carrier_delay) as bigint) as flights_with_carrier_delay,
    cast(sum(flights_with_weather_delay) as bigint) as flights_with_weather_delay,
    cast(sum(flights_with_nas_delay) as bigint) as flights_with_nas_delay,
    cast(sum(flights_with_security_delay) as bigint) as flights_with_security_delay,
    cast(sum(flights_with_late_aircraft_delay) as bigint) as flights_with_late_aircraft_delay,
    {{ meets_min_sample('sum(flights_with_causes)') }} as meets_min_sample
{%- endmacro %}


{#-
  The one route query behind mv_route_delays and mv_delay_prone_routes: the
  delay measures per route (origin and destination airport, both known),
  summed from `monthly_delays` (a CTE over int_flight_delays_monthly), and only
  the groups meeting `having` when one is given. A macro, not a model: both
  marts are materialized views, which on Redshift read tables only, and a
  route table rebuilt whole every run would drop the views over it.
-#}
{% macro route_delays(monthly_delays, having=none) -%}
    select
        {{ airport_columns('origin') }},
        {{ airport_columns('dest') }},
        {{ delay_measures() }}

    from {{ monthly_delays }}
    where {{ has_known_airports() }}
    group by
        {{ airport_group_by('origin') }},
        {{ airport_group_by('dest') }}
    {%- if having %}
    having {{ having }}
    {%- endif %}
{%- endmacro %}
