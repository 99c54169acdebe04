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
  Version 2: the on-time and arrival columns.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='flight_date',
        full_refresh=false,
        on_schema_change='append_new_columns',
        meta={'definition_version': 2},
        pre_hook=[
            "{{ remember_rebuilt_dates(enriched_dates_rebuilt_since_last_build()) }}",
            "{{ delete_flight_dates(enriched_dates_rebuilt_since_last_build()) }}",
        ],
        post_hook=[
            "{{ index_flight_date() }}",
            "{{ log_date_builds(built_from_model='int_flights_enriched') }}",
            "{{ record_definition_version() }}",
            "{{ forget_rebuilt_dates() }}",
        ],
        **({'dist': 'all', 'sort': ['flight_date']} if target.type == 'redshift' else {})
    )
}}

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
        dep_airport,
        arr_airport,
        dep_city,
        arr_city,
        dep_state,
        arr_state,
        has_known_origin,
        has_known_destination,
        is_cancelled,
        {{ is_delayed() }} as is_delayed,
        {{ is_on_time() }} as is_on_time,
        {{ is_arrived_late() }} as is_arrived_late,
        {{ is_diverted() }} as is_diverted,
        {{ has_arrived() }} as has_arrived,
        cast(dep_delay as bigint) as dep_delay,
        cast(arr_delay as bigint) as arr_delay,
        dep_delay is not null and arr_delay is not null as has_both_delays

    from enriched_flights
    where {{ flight_dates_in(enriched_dates_rebuilt_since_last_build()) }}

),

final as (

    select
        flight_date,
        carrier,
        origin_airport_id,
        dest_airport_id,
        dep_airport,
        arr_airport,
        dep_city,
        arr_city,
        dep_state,
        arr_state,
        has_known_origin,
        has_known_destination,
        cast(count(*) as bigint) as flights_scheduled,
        cast(sum(case when is_cancelled then 0 else 1 end) as bigint) as flights_operated,
        cast(sum(case when is_cancelled then 1 else 0 end) as bigint) as flights_cancelled,
        cast(sum(case when is_delayed then 1 else 0 end) as bigint) as flights_delayed,
        cast(sum(case when is_delayed and arr_delay is not null then 1 else 0 end) as bigint)
            as flights_delayed_with_arr_delay,
        sum(dep_delay) as sum_dep_delay,
        sum(case when is_delayed then dep_delay end) as sum_dep_delay_of_delayed,
        sum(case when is_delayed then arr_delay end) as sum_arr_delay_of_delayed,
        max(dep_delay) as max_dep_delay,
        cast(sum(case when has_both_delays then 1 else 0 end) as bigint) as paired_flights,
        sum(case when has_both_delays then dep_delay end) as paired_sum_dep_delay,
        sum(case when has_both_delays then arr_delay end) as paired_sum_arr_delay,
        sum(case when has_both_delays then dep_delay * dep_delay end)
            as paired_sum_dep_delay_squared,
        sum(case when has_both_delays then arr_delay * arr_delay end)
            as paired_sum_arr_delay_squared,
        sum(case when has_both_delays then dep_delay * arr_delay end)
            as paired_sum_dep_arr_delay_product,
        {{ var('delay_threshold_minutes') }} as delay_threshold_minutes,
        cast(sum(case when is_on_time then 1 else 0 end) as bigint) as flights_on_time,
        cast(sum(case when is_arrived_late then 1 else 0 end) as bigint) as flights_arrived_late,
        cast(sum(case when is_diverted then 1 else 0 end) as bigint) as flights_diverted,
        cast(sum(case when has_arrived then 1 else 0 end) as bigint) as flights_arrived,
        sum(case when has_arrived then arr_delay end) as sum_arr_delay,
        sum(case when is_arrived_late then arr_delay end) as sum_arr_delay_of_late

    from flights_to_sum
    group by
        flight_date,
        carrier,
        origin_airport_id,
        dest_airport_id,
        dep_airport,
        arr_airport,
        dep_city,
        arr_city,
        dep_state,
        arr_state,
        has_known_origin,
        has_known_destination

)

select * from final
