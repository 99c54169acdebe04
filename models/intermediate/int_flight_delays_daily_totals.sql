{#-
  int_flight_delays_daily summed per flight date over every carrier and
  route, apart by whether each airport is known: the input of the marts
  that need the date itself (mv_daily_delay_trend, mv_delays_by_weekday).
  A materialized view's refresh reads its whole input: from the daily
  aggregate (about 1.5 million rows a year of real-shaped flights) the two
  cost a new day 2.6 s on a year; from this table's few rows a date, under
  0.1 s (docs/performance.md). Exact: sums of the daily columns, and the max
  of max_dep_delay.

  Incremental, delete+insert per flight_date: the dates
  int_flight_delays_daily rebuilt since this model last built them
  (daily_dates_rebuilt_since_last_build, macros/daily_delay_rollups.sql).
  Only the measures those marts read; raise `definition_version` when a
  column is added, so an existing warehouse fills it on every date.
-#}
{{
    config(**per_date_model_config(
        definition_version=1,
        dates_to_rebuild='daily_dates_rebuilt_since_last_build',
        built_from_model=none,
    ))
}}

with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

days_to_sum as (

    select * from daily_delays
    where {{ flight_dates_in(daily_dates_rebuilt_since_last_build()) }}

),

final as (

    select
        flight_date,
        has_known_origin,
        has_known_destination,
        delay_threshold_minutes,
        cast(sum(flights_scheduled) as bigint) as flights_scheduled,
        cast(sum(flights_operated) as bigint) as flights_operated,
        cast(sum(flights_cancelled) as bigint) as flights_cancelled,
        cast(sum(flights_delayed) as bigint) as flights_delayed,
        cast(sum(flights_delayed_with_arr_delay) as bigint) as flights_delayed_with_arr_delay,
        cast(sum(flights_on_time) as bigint) as flights_on_time,
        cast(sum(flights_diverted) as bigint) as flights_diverted,
        sum(sum_dep_delay) as sum_dep_delay,
        sum(sum_dep_delay_of_delayed) as sum_dep_delay_of_delayed,
        sum(sum_arr_delay_of_delayed) as sum_arr_delay_of_delayed,
        max(max_dep_delay) as max_dep_delay

    from days_to_sum
    group by
        flight_date,
        has_known_origin,
        has_known_destination,
        delay_threshold_minutes

)

select * from final
