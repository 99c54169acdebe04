{#-
  The delay measures every mart reports for its group of flights, summed from
  int_flight_delays_daily (where "delayed" and "cancelled" are decided by the
  macros of delay_rules.sql). A rate is delayed flights over operated (not
  cancelled or diverted) flights. Averages are sums over counts in double
  precision, so that Redshift, which divides integers as integers, agrees
  with PostgreSQL.
-#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as double precision)
    / nullif(cast({{ denominator }} as double precision), 0)
{%- endmacro %}


{% macro delay_measures() -%}
    cast(sum(flights_scheduled) as bigint) as flights_scheduled,
    cast(sum(flights_operated) as bigint) as flights_operated,
    cast(sum(flights_cancelled) as bigint) as flights_cancelled,
    cast(sum(flights_delayed) as bigint) as flights_delayed,
    {{ ratio('sum(flights_delayed)', 'sum(flights_operated)') }} as delay_rate,
    {{ ratio('sum(sum_dep_delay)', 'sum(flights_operated)') }} as avg_dep_delay_minutes,
    {{ ratio('sum(sum_dep_delay_of_delayed)', 'sum(flights_delayed)') }}
    as avg_dep_delay_of_delayed_minutes,
    {{ ratio('sum(sum_arr_delay_of_delayed)', 'sum(flights_delayed_with_arr_delay)') }}
    as avg_arr_delay_of_delayed_minutes,
    cast(max(max_dep_delay) as bigint) as max_dep_delay_minutes
{%- endmacro %}


{#-
  Pearson correlation of departure (x) and arrival (y) delay over the flights
  with both, from exact integer sums (Redshift has no corr()):
    r = (n*Sxy - Sx*Sy) / sqrt((n*Sxx - Sx^2) * (n*Syy - Sy^2))
  The products are taken in numeric(38, 0), exact on both engines, and only
  the final ratio in double precision.
-#}
{% macro delay_correlation_measures() -%}
    {%- set n = 'cast(sum(paired_flights) as numeric(38, 0))' -%}
    {%- set sx = 'cast(sum(paired_sum_dep_delay) as numeric(38, 0))' -%}
    {%- set sy = 'cast(sum(paired_sum_arr_delay) as numeric(38, 0))' -%}
    {%- set sxx = 'cast(sum(paired_sum_dep_delay_squared) as numeric(38, 0))' -%}
    {%- set syy = 'cast(sum(paired_sum_arr_delay_squared) as numeric(38, 0))' -%}
    {%- set sxy = 'cast(sum(paired_sum_dep_arr_delay_product) as numeric(38, 0))' -%}
    cast(sum(paired_flights) as bigint) as flights_operated,
    {{ ratio('sum(paired_sum_dep_delay)', 'sum(paired_flights)') }} as avg_dep_delay_minutes,
    {{ ratio('sum(paired_sum_arr_delay)', 'sum(paired_flights)') }} as avg_arr_delay_minutes,
    cast({{ n }} * {{ sxy }} - {{ sx }} * {{ sy }} as double precision)
    / nullif(
        sqrt(cast({{ n }} * {{ sxx }} - {{ sx }} * {{ sx }} as double precision))
        * sqrt(cast({{ n }} * {{ syy }} - {{ sy }} * {{ sy }} as double precision)),
        0
    ) as dep_arr_delay_correlation
{%- endmacro %}
