{#-
  For the data steward: every airport id that landed flights use but
  airports_dim lacks. Add these ids to the airports list and their flights
  reach the fact on the next run. A materialized view over tables (Redshift
  forbids views under one).
-#}
with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

unknown_origins as (

    select
        origin_airport_id as airport_id,
        flight_date,
        dep_delay,
        1 as is_origin,
        0 as is_destination

    from enriched_flights
    where not has_known_origin

),

unknown_destinations as (

    select
        dest_airport_id as airport_id,
        flight_date,
        dep_delay,
        0 as is_origin,
        1 as is_destination

    from enriched_flights
    where
        not has_known_destination
        -- a flight from and to the same unknown airport counts once
        and (has_known_origin or origin_airport_id != dest_airport_id)

),

appearances as (

    select * from unknown_origins
    union all
    select * from unknown_destinations

),

final as (

    select
        airport_id,
        count(*) as flights,
        sum(case when {{ is_delayed('dep_delay') }} then 1 else 0 end) as flights_delayed,
        sum(is_origin) as flights_from,
        sum(is_destination) as flights_to,
        min(flight_date) as first_flight_date,
        max(flight_date) as last_flight_date

    from appearances
    group by airport_id

)

select * from final
