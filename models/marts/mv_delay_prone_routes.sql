{#-
  The routes of mv_route_delays with at least var('min_sample_flights')
  operated flights (meets_min_sample, macros/min_sample.sql), ranked by
  delay rate: a route flown once and late once is not "delay-prone".
  Computed from int_flight_delays_monthly with mv_route_delays' route query
  (route_delays in macros/delay_measures.sql), not read from it: Redshift
  materialized views read tables.
-#}
with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

routes as (

    {{ route_delays(
        'monthly_delays', having=meets_min_sample('sum(flights_operated)')
    ) }}

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
