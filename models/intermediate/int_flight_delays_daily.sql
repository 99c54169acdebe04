{#-
  Every landed flight, summed per flight date, carrier and route: the small
  table the marts read (thousands of rows a year instead of millions).
  Counts and sums only (sums of squares and products too), so that the marts
  derive rates, averages and the Pearson correlation exactly. Incremental,
  delete+insert per flight_date, rebuilt on the dates int_flights_enriched
  rebuilt, and on every date when delay_threshold_minutes changes or when
  this model's `definition_version` (below) differs from the one the build
  log recorded: raise it whenever a column is added or a sum changes meaning,
  so an existing warehouse fills the new column on every date (dbt's
  append_new_columns alone would leave it null on the dates not rebuilt).
  Version 2: the on-time and arrival columns. Version 3 (issue 14): the
  cancelled / diverted flags of BTS files decide (delay_rules.sql), the
  delay-cause sums (flights with cause data and their minutes per cause) and
  the cancelled flights per BTS cancellation code. Version 4 (issue 23): the
  airports' codes from the landed BTS files (`Origin`/`Dest`; max() over the
  group, which has one airport each, so the grain stays) and the flights
  with minutes of each delay cause (is_delayed_by_cause in
  macros/delay_rules.sql). Version 5 (issue 24): the airports' names,
  cities and states are `origin_*` / `dest_*` (were `dep_*` / `arr_*`).

  The cancellation reasons are columns, not a grain: BTS has four codes plus
  "not given", a fixed set, so five counts beside the others cost nothing,
  where a code in the key would add a row per reason to every route and
  date. The scheduled hour of day is a grain of its own (24 values, and a
  flight's hour is not its route's): int_flight_delays_by_hour_daily.
-#}
{{ config(**per_date_model_config(definition_version=5)) }}

with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

flights_to_sum as (

    select
        flight_date,
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
        is_cancelled,
        case when is_cancelled then {{ cancellation_reason() }} end as cancellation_reason,
        {{ is_delayed() }} as is_delayed,
        {{ is_on_time() }} as is_on_time,
        {{ is_arrived_late() }} as is_arrived_late,
        {{ is_diverted() }} as is_diverted,
        {{ has_arrived() }} as has_arrived,
        cast(dep_delay as bigint) as dep_delay,
        cast(arr_delay as bigint) as arr_delay,
        dep_delay is not null and arr_delay is not null as has_both_delays,
        {{ has_cause_data() }} as has_cause_data,
        cast(carrier_delay as bigint) as carrier_delay,
        cast(weather_delay as bigint) as weather_delay,
        cast(nas_delay as bigint) as nas_delay,
        cast(security_delay as bigint) as security_delay,
        cast(late_aircraft_delay as bigint) as late_aircraft_delay,
        origin_airport_code,
        dest_airport_code,
        {{ is_delayed_by_cause('carrier_delay') }} as is_delayed_by_carrier,
        {{ is_delayed_by_cause('weather_delay') }} as is_delayed_by_weather,
        {{ is_delayed_by_cause('nas_delay') }} as is_delayed_by_nas,
        {{ is_delayed_by_cause('security_delay') }} as is_delayed_by_security,
        {{ is_delayed_by_cause('late_aircraft_delay') }} as is_delayed_by_late_aircraft

    from enriched_flights
    where {{ flight_dates_in(enriched_dates_rebuilt_since_last_build()) }}

),

final as (

    select
        flight_date,
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
        cast(count(*) as bigint) as flights_scheduled,
        cast(sum(case when is_cancelled then 0 else 1 end) as bigint) as flights_operated,
        cast(sum(case when is_cancelled then 1 else 0 end) as bigint) as flights_cancelled,
        cast(sum(case when is_delayed then 1 else 0 end) as bigint) as flights_delayed,
        cast(sum(case when is_delayed and arr_delay is not null then 1 else 0 end) as bigint)
            as flights_delayed_with_arr_delay,
        sum(case when not is_cancelled then dep_delay end) as sum_dep_delay,
        sum(case when is_delayed then dep_delay end) as sum_dep_delay_of_delayed,
        sum(case when is_delayed then arr_delay end) as sum_arr_delay_of_delayed,
        max(case when not is_cancelled then dep_delay end) as max_dep_delay,
        cast(sum(case when has_both_delays then 1 else 0 end) as bigint) as paired_flights,
        sum(case when has_both_delays then dep_delay end) as paired_sum_dep_delay,
        sum(case when has_both_delays then arr_delay end) as paired_sum_arr_delay,
        sum(case when has_both_delays then dep_delay * dep_delay end)
            as paired_sum_dep_delay_squared,
        sum(case when has_both_delays then arr_delay * arr_delay end)
            as paired_sum_arr_delay_squared,
        sum(case when has_both_delays then dep_delay * arr_delay end)
            as paired_sum_dep_arr_delay_product,
        {{ delay_threshold_minutes() }} as delay_threshold_minutes,
        cast(sum(case when is_on_time then 1 else 0 end) as bigint) as flights_on_time,
        cast(sum(case when is_arrived_late then 1 else 0 end) as bigint) as flights_arrived_late,
        cast(sum(case when is_diverted then 1 else 0 end) as bigint) as flights_diverted,
        cast(sum(case when has_arrived then 1 else 0 end) as bigint) as flights_arrived,
        sum(case when has_arrived then arr_delay end) as sum_arr_delay,
        sum(case when is_arrived_late then arr_delay end) as sum_arr_delay_of_late,
        cast(sum(case when has_cause_data then 1 else 0 end) as bigint) as flights_with_causes,
        cast(coalesce(sum(carrier_delay), 0) as bigint) as sum_carrier_delay,
        cast(coalesce(sum(weather_delay), 0) as bigint) as sum_weather_delay,
        cast(coalesce(sum(nas_delay), 0) as bigint) as sum_nas_delay,
        cast(coalesce(sum(security_delay), 0) as bigint) as sum_security_delay,
        cast(coalesce(sum(late_aircraft_delay), 0) as bigint) as sum_late_aircraft_delay,
        cast(sum(case when cancellation_reason = 'carrier' then 1 else 0 end) as bigint)
            as flights_cancelled_code_a,
        cast(sum(case when cancellation_reason = 'weather' then 1 else 0 end) as bigint)
            as flights_cancelled_code_b,
        cast(
            sum(case when cancellation_reason = 'national aviation system' then 1 else 0 end)
            as bigint
        ) as flights_cancelled_code_c,
        cast(sum(case when cancellation_reason = 'security' then 1 else 0 end) as bigint)
            as flights_cancelled_code_d,
        cast(sum(case when cancellation_reason = 'not given' then 1 else 0 end) as bigint)
            as flights_cancelled_no_code,
        cast(max(origin_airport_code) as varchar(3)) as origin_airport_code,
        cast(max(dest_airport_code) as varchar(3)) as dest_airport_code,
        cast(sum(case when is_delayed_by_carrier then 1 else 0 end) as bigint)
            as flights_with_carrier_delay,
        cast(sum(case when is_delayed_by_weather then 1 else 0 end) as bigint)
            as flights_with_weather_delay,
        cast(sum(case when is_delayed_by_nas then 1 else 0 end) as bigint)
            as flights_with_nas_delay,
        cast(sum(case when is_delayed_by_security then 1 else 0 end) as bigint)
            as flights_with_security_delay,
        cast(sum(case when is_delayed_by_late_aircraft then 1 else 0 end) as bigint)
            as flights_with_late_aircraft_delay

    from flights_to_sum
    group by
        flight_date,
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
        has_known_destination

)

select * from final
