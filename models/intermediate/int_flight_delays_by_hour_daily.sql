{#-
  Every landed flight with a scheduled departure time (a BTS file's
  `CRSDepTime`), summed per flight date, carrier and scheduled hour of day
  (0-23, the local time at the origin): what mv_delays_by_scheduled_hour and
  the report's hour chart (whose carrier filter needs the carrier) read.

  Its own table rather than a column of int_flight_delays_daily's key: an
  hour in that key would multiply its rows (date x carrier x route) by up to
  24 for every mart, where this grain holds at most 24 rows a date per
  carrier and combination of the airport flags. Flights without a scheduled time (the
  seven-column daily files) are left out.

  Incremental like int_flight_delays_daily: delete+insert per flight_date,
  rebuilt on the dates int_flights_enriched rebuilt, on every date when
  delay_threshold_minutes or this model's `definition_version` changes.
  Version 2 (issue 23): the carrier in the grain.
-#}
{{ config(**per_date_model_config(definition_version=2)) }}

with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

flights_to_sum as (

    select
        flight_date,
        carrier,
        cast(scheduled_dep_hour as integer) as scheduled_dep_hour,
        has_known_origin,
        has_known_destination,
        is_cancelled,
        {{ is_delayed() }} as is_delayed,
        {{ is_on_time() }} as is_on_time,
        cast(dep_delay as bigint) as dep_delay

    from enriched_flights
    where
        scheduled_dep_hour is not null
        and {{ flight_dates_in(enriched_dates_rebuilt_since_last_build()) }}

),

final as (

    select
        flight_date,
        carrier,
        scheduled_dep_hour,
        has_known_origin,
        has_known_destination,
        cast(count(*) as bigint) as flights_scheduled,
        cast(sum(case when is_cancelled then 0 else 1 end) as bigint) as flights_operated,
        cast(sum(case when is_cancelled then 1 else 0 end) as bigint) as flights_cancelled,
        cast(sum(case when is_delayed then 1 else 0 end) as bigint) as flights_delayed,
        sum(case when not is_cancelled then dep_delay end) as sum_dep_delay,
        cast(sum(case when is_on_time then 1 else 0 end) as bigint) as flights_on_time,
        {{ delay_threshold_minutes() }} as delay_threshold_minutes

    from flights_to_sum
    group by
        flight_date,
        carrier,
        scheduled_dep_hour,
        has_known_origin,
        has_known_destination

)

select * from final
