{#-
  The delay measures every mart reports for its group of flights. "Delayed"
  is the fact's rule (departure delay strictly greater than
  var('delay_threshold_minutes')); a rate is delayed flights over operated
  (not cancelled or diverted) flights. Averages are taken in double precision
  so that Redshift, which averages integers as integers, agrees with PostgreSQL.
-#}
{% macro delay_measures() -%}
    {%- set threshold = var('delay_threshold_minutes') -%}
    count(*) as flights_scheduled,
    count(dep_delay) as flights_operated,
    sum(case when dep_delay is null then 1 else 0 end) as flights_cancelled,
    sum(case when dep_delay > {{ threshold }} then 1 else 0 end) as flights_delayed,
    cast(sum(case when dep_delay > {{ threshold }} then 1 else 0 end) as double precision)
    / nullif(count(dep_delay), 0) as delay_rate,
    avg(cast(dep_delay as double precision)) as avg_dep_delay_minutes,
    avg(
        case when dep_delay > {{ threshold }} then cast(dep_delay as double precision) end
    ) as avg_dep_delay_of_delayed_minutes,
    avg(
        case when dep_delay > {{ threshold }} then cast(arr_delay as double precision) end
    ) as avg_arr_delay_of_delayed_minutes,
    max(dep_delay) as max_dep_delay_minutes
{%- endmacro %}


{% macro delay_correlation_measures() -%}
    count(*) as flights_operated,
    avg(dep_delay) as avg_dep_delay_minutes,
    avg(arr_delay) as avg_arr_delay_minutes,
    (avg(dep_delay * arr_delay) - avg(dep_delay) * avg(arr_delay))
    / nullif(stddev_pop(dep_delay) * stddev_pop(arr_delay), 0) as dep_arr_delay_correlation
{%- endmacro %}
