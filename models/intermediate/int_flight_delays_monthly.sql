{#-
  int_flight_delays_daily summed per month (`flight_month`, the month's first
  day), carrier and route: the table the all-dates marts read. A year of
  real-shaped flights is about 1.5 million daily rows (a row per date,
  carrier and route) and some 50,000 monthly ones, and a materialized view
  refresh reads its whole input, so the marts refreshed from the daily
  aggregate cost a new day more with every day of history (about 16 s for
  the marts of a 7.3 M-flight year on 2 cores, against under 1 s from this
  table: docs/performance.md). Exact: every column is a sum, a max or a min
  of the daily columns (max_dep_delay and the airport codes: max).

  Incremental, delete+insert per month: the months of the dates the daily
  aggregate rebuilt since this model last built them
  (months_rebuilt_since_last_build); its per-date hooks log each month as
  its first day. The marts that need the date itself (the daily trend, the
  weekdays) read int_flight_delays_daily_totals.
-#}
{{
    config(**per_date_model_config(
        definition_version=1,
        dates_to_rebuild='months_rebuilt_since_last_build',
        built_from_model=none,
        sort=['flight_month'],
        date_column='flight_month',
    ))
}}

with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

days_to_sum as (

    select
        *,
        cast(date_trunc('month', flight_date) as date) as flight_month

    from daily_delays
    where {{ flight_dates_in_months(months_rebuilt_since_last_build()) }}

),

final as (

    select
        flight_month,
        carrier,
        origin_airport_id,
        dest_airport_id,
        origin_airport,
        dest_airport,
        origin_city,
        dest_city,
        origin_state,
        dest_state,
        has_known_origin,
        has_known_destination,
        delay_threshold_minutes,
        cast(sum(flights_scheduled) as bigint) as flights_scheduled,
        cast(sum(flights_operated) as bigint) as flights_operated,
        cast(sum(flights_cancelled) as bigint) as flights_cancelled,
        cast(sum(flights_delayed) as bigint) as flights_delayed,
        cast(sum(flights_delayed_with_arr_delay) as bigint) as flights_delayed_with_arr_delay,
        cast(sum(paired_flights) as bigint) as paired_flights,
        cast(sum(flights_on_time) as bigint) as flights_on_time,
        cast(sum(flights_arrived_late) as bigint) as flights_arrived_late,
        cast(sum(flights_diverted) as bigint) as flights_diverted,
        cast(sum(flights_arrived) as bigint) as flights_arrived,
        cast(sum(flights_with_causes) as bigint) as flights_with_causes,
        cast(sum(sum_carrier_delay) as bigint) as sum_carrier_delay,
        cast(sum(sum_weather_delay) as bigint) as sum_weather_delay,
        cast(sum(sum_nas_delay) as bigint) as sum_nas_delay,
        cast(sum(sum_security_delay) as bigint) as sum_security_delay,
        cast(sum(sum_late_aircraft_delay) as bigint) as sum_late_aircraft_delay,
        cast(sum(flights_cancelled_code_a) as bigint) as flights_cancelled_code_a,
        cast(sum(flights_cancelled_code_b) as bigint) as flights_cancelled_code_b,
        cast(sum(flights_cancelled_code_c) as bigint) as flights_cancelled_code_c,
        cast(sum(flights_cancelled_code_d) as bigint) as flights_cancelled_code_d,
        cast(sum(flights_cancelled_no_code) as bigint) as flights_cancelled_no_code,
        cast(max(origin_airport_code) as varchar(3)) as origin_airport_code,
        cast(max(dest_airport_code) as varchar(3)) as dest_airport_code,
        cast(sum(flights_with_carrier_delay) as bigint) as flights_with_carrier_delay,
        cast(sum(flights_with_weather_delay) as bigint) as flights_with_weather_delay,
        cast(sum(flights_with_nas_delay) as bigint) as flights_with_nas_delay,
        cast(sum(flights_with_security_delay) as bigint) as flights_with_security_delay,
        cast(sum(flights_with_late_aircraft_delay) as bigint) as flights_with_late_aircraft_delay,
        sum(sum_dep_delay) as sum_dep_delay,
        sum(sum_dep_delay_of_delayed) as sum_dep_delay_of_delayed,
        sum(sum_arr_delay_of_delayed) as sum_arr_delay_of_delayed,
        max(max_dep_delay) as max_dep_delay,
        sum(paired_sum_dep_delay) as paired_sum_dep_delay,
        sum(paired_sum_arr_delay) as paired_sum_arr_delay,
        sum(paired_sum_dep_delay_squared) as paired_sum_dep_delay_squared,
        sum(paired_sum_arr_delay_squared) as paired_sum_arr_delay_squared,
        sum(paired_sum_dep_arr_delay_product) as paired_sum_dep_arr_delay_product,
        sum(sum_arr_delay) as sum_arr_delay,
        sum(sum_arr_delay_of_late) as sum_arr_delay_of_late,
        min(flight_date) as first_flight_date,
        max(flight_date) as last_flight_date

    from days_to_sum
    group by
        flight_month,
        carrier,
        origin_airport_id,
        dest_airport_id,
        origin_airport,
        dest_airport,
        origin_city,
        dest_city,
        origin_state,
        dest_state,
        has_known_origin,
        has_known_destination,
        delay_threshold_minutes

)

select * from final
