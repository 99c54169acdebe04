{#-
  The fact holds exactly the delayed flights with known airports, with the
  seed's current names: no date was left stale by an incremental run.
  Per run on the dates the fact rebuilt; on every date with test_all_dates.
-#}
with

expected as (

    select
        flights.file_version_id,
        flights.source_line_number,
        flights.flight_date,
        flights.dep_delay,
        origin.name as dep_airport,
        destination.name as arr_airport

    from {{ ref('stg_raw__flights') }} as flights
    inner join {{ ref('airports_dim') }} as origin
        on flights.origin_airport_id = origin.airport_id
    inner join {{ ref('airports_dim') }} as destination
        on flights.dest_airport_id = destination.airport_id
    where
        {{ is_delayed('flights.dep_delay', 'flights.cancelled') }}
        and {{ in_rebuilt_dates('daily_flights_fact', 'flights.flight_date') }}

),

actual as (

    select
        file_version_id,
        source_line_number,
        flight_date,
        dep_delay,
        dep_airport,
        arr_airport

    from {{ ref('daily_flights_fact') }}
    where {{ in_rebuilt_dates('daily_flights_fact') }}

),

final as (

    {{ rows_missing_and_extra(
        'expected', 'actual', 'missing from the fact', 'stale or extra in the fact'
    ) }}

)

select * from final  -- noqa: AM04
