{#-
  Every landed flight with its airports joined. Version 2 (meta
  `definition_version`, see build_log.sql): the optional BTS columns (the
  scheduled departure time and hour, the cancelled / diverted flags and the
  cancellation code, the five delay causes, distance, tail number) pass
  through, and `is_cancelled` follows the file's flag when it has one; an
  existing warehouse rebuilds every date once to fill them. Version 3 (issue
  23): the airports' codes of BTS files (`Origin`/`Dest`), last, as an
  existing table appends them. Version 4 (issue 24): the airports' names,
  cities and states are `origin_*` / `dest_*` (were `dep_*` / `arr_*`), the
  marts' names; only the fact keeps the contract's `dep_*` / `arr_*`.
-#}
{{
    config(**per_date_model_config(
        definition_version=4,
        dates_to_rebuild='enriched_flight_dates_to_rebuild',
        built_from_model=none,
        extra_post_hooks=[
            "{{ index_unknown_airports() }}",
            "{{ log_enriched_sources() }}",
        ],
        dist='flight_date',
    ))
}}

{%- set build_started_at = run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") %}

with

flights as (

    select * from {{ ref('stg_raw__flights') }}

),

airports as (

    select * from {{ ref('airports_dim') }}

),

flights_to_build as (

    select *
    from flights
    where {{ flight_dates_in(enriched_flight_dates_to_rebuild()) }}

),

final as (

    select
        flights_to_build.flight_id,
        flights_to_build.flight_date,
        flights_to_build.carrier,
        flights_to_build.origin_airport_id,
        flights_to_build.dest_airport_id,
        origin.name as origin_airport,
        destination.name as dest_airport,
        origin.city as origin_city,
        destination.city as dest_city,
        origin.state as origin_state,
        destination.state as dest_state,
        flights_to_build.dep_delay,
        flights_to_build.arr_delay,
        flights_to_build.scheduled_dep_time,
        flights_to_build.scheduled_dep_hour,
        flights_to_build.cancelled,
        flights_to_build.diverted,
        flights_to_build.cancellation_code,
        flights_to_build.carrier_delay,
        flights_to_build.weather_delay,
        flights_to_build.nas_delay,
        flights_to_build.security_delay,
        flights_to_build.late_aircraft_delay,
        flights_to_build.distance_miles,
        flights_to_build.tail_number,
        {{ is_cancelled('flights_to_build.dep_delay', 'flights_to_build.cancelled') }}
            as is_cancelled,
        origin.airport_id is not null as has_known_origin,
        destination.airport_id is not null as has_known_destination,
        flights_to_build.source_key,
        flights_to_build.source_line_number,
        flights_to_build.file_version_id,
        cast('{{ build_started_at }}' as timestamp) as enriched_at,
        flights_to_build.origin_airport_code,
        flights_to_build.dest_airport_code

    from flights_to_build
    left join airports as origin
        on flights_to_build.origin_airport_id = origin.airport_id
    left join airports as destination
        on flights_to_build.dest_airport_id = destination.airport_id

)

select * from final
