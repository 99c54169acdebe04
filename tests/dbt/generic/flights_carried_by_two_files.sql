{#-
  Overlapping deliveries: the same flight (carrier, flight id, origin,
  destination) on the same flight date landed from two different file keys,
  e.g. a daily file and the BTS month holding that day, or two exports that
  share a day. Identical bytes under a second key are a duplicate and land
  nothing; this catches two different files that both carry a flight. Flights
  without a flight id cannot be told apart and are left out.

  One row per pair of keys: the two keys, how many flights they share, the
  dates and one example flight. `fail_calc` counts the shared flights, so the
  warning's count is flights, and the stored failures name the keys.
-#}
{% test flights_carried_by_two_files(model) %}

{{ config(fail_calc='coalesce(sum(shared_flights), 0)') }}

with

flights as (

    select distinct
        source_key,
        carrier,
        flight_id,
        flight_date,
        origin_airport_id,
        dest_airport_id

    from {{ model }}
    where flight_id is not null

),

{#- The pairs are joined from these flights only: usually none. Joining every
    flight of the dates with every other one let PostgreSQL, whose statistics
    did not know a date landed since its last ANALYZE (a history of fewer
    than 100 dates lists them all as its most common values, so a new one is
    estimated at one row), pick a nested loop over the day's flights
    squared: 30 s for one 20,000-flight day. A window counts the files
    carrying each flight without a join. -#}
flights_counted as (

    select
        *,
        count(*) over (
            partition by carrier, flight_id, flight_date, origin_airport_id, dest_airport_id
        ) as files_carrying

    from flights

),

shared_flights as (

    select *
    from flights_counted
    where files_carrying > 1

),

shared as (

    select
        one_file.source_key as first_key,
        other_file.source_key as second_key,
        one_file.flight_id,
        one_file.flight_date

    from shared_flights as one_file
    inner join shared_flights as other_file
        on
            one_file.carrier = other_file.carrier
            and one_file.flight_id = other_file.flight_id
            and one_file.flight_date = other_file.flight_date
            and one_file.origin_airport_id = other_file.origin_airport_id
            and one_file.dest_airport_id = other_file.dest_airport_id
            and one_file.source_key < other_file.source_key

),

final as (

    select
        first_key,
        second_key,
        count(*) as shared_flights,
        min(flight_date) as first_flight_date,
        max(flight_date) as last_flight_date,
        min(flight_id) as example_flight_id

    from shared
    group by first_key, second_key

)

select * from final

{% endtest %}
