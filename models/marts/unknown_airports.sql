{#-
  For the data steward: every airport id that landed flights use but
  airports_dim lacks. Add these ids to the airports list and their flights
  reach the fact on the next run. A materialized view over tables (Redshift
  forbids views under one), summed from int_flight_delays_monthly.
-#}
with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

unknown_origins as (

    select
        origin_airport_id as airport_id,
        first_flight_date,
        last_flight_date,
        flights_scheduled as flights,
        flights_delayed,
        flights_scheduled as flights_from,
        0 as flights_to

    from monthly_delays
    where not has_known_origin

),

unknown_destinations as (

    select
        dest_airport_id as airport_id,
        first_flight_date,
        last_flight_date,
        flights_scheduled as flights,
        flights_delayed,
        0 as flights_from,
        flights_scheduled as flights_to

    from monthly_delays
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
        cast(sum(flights) as bigint) as flights,
        cast(sum(flights_delayed) as bigint) as flights_delayed,
        cast(sum(flights_from) as bigint) as flights_from,
        cast(sum(flights_to) as bigint) as flights_to,
        min(first_flight_date) as first_flight_date,
        max(last_flight_date) as last_flight_date

    from appearances
    group by airport_id

)

select * from final
