{#-
  The routes of mv_route_delays with at least var('min_sample_flights')
  operated flights (meets_min_sample, macros/min_sample.sql), ranked by
  delay rate: a route flown once and late once is not "delay-prone".
  Computed from int_flight_delays_daily like mv_route_delays, not read from
  it: Redshift materialized views read tables.
-#}
with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

routes as (

    select
        origin_airport_id,
        cast(max(origin_airport_code) as varchar(3)) as origin_airport_code,
        dep_airport as origin_airport,
        dep_city as origin_city,
        dep_state as origin_state,
        dest_airport_id,
        cast(max(dest_airport_code) as varchar(3)) as dest_airport_code,
        arr_airport as dest_airport,
        arr_city as dest_city,
        arr_state as dest_state,
        {{ delay_measures() }}

    from daily_delays
    where has_known_origin and has_known_destination
    group by
        origin_airport_id,
        dep_airport,
        dep_city,
        dep_state,
        dest_airport_id,
        arr_airport,
        arr_city,
        arr_state
    having {{ meets_min_sample('sum(flights_operated)') }}

),

final as (

    select
        *,
        {{ rank_within_min_sample(
            'flights_operated', 'delay_rate_pct desc, flights_delayed desc'
        ) }} as delay_rank

    from routes

)

select * from final
