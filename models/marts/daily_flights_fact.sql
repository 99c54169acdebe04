{#-
  Version 1 (meta `definition_version`, see build_log.sql): the five BTS
  delay-cause columns (issue 14); a warehouse built before rebuilds every
  date once to fill them. Version 2 (issue 23): the airports' codes
  (`dep_airport_code`, `arr_airport_code`) from the landed BTS files, after
  the contract columns (NULL where no landed file gave a code).
-#}
{{
    config(**per_date_model_config(
        definition_version=2, dist='flight_date', sort=['flight_date', 'carrier']
    ))
}}

with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

delayed_flights as (

    select *
    from enriched_flights
    where
        {{ is_fact_eligible() }}
        and {{ flight_dates_in(enriched_dates_rebuilt_since_last_build()) }}

),

final as (

    select
        cast(flight_id as varchar(32)) as flight_id,
        cast(flight_date as date) as flight_date,
        cast(carrier as varchar(10)) as carrier,
        cast(origin_airport as varchar(200)) as dep_airport,
        cast(dest_airport as varchar(200)) as arr_airport,
        cast(origin_city as varchar(100)) as dep_city,
        cast(dest_city as varchar(100)) as arr_city,
        cast(origin_state as varchar(100)) as dep_state,
        cast(dest_state as varchar(100)) as arr_state,
        cast(dep_delay as bigint) as dep_delay,
        cast(arr_delay as bigint) as arr_delay,
        cast(origin_airport_id as bigint) as origin_airport_id,
        cast(dest_airport_id as bigint) as dest_airport_id,
        cast(source_key as varchar(1024)) as source_key,
        cast(source_line_number as integer) as source_line_number,
        cast(file_version_id as bigint) as file_version_id,
        cast(enriched_at as timestamp) as enriched_at,
        cast(carrier_delay as bigint) as carrier_delay,
        cast(weather_delay as bigint) as weather_delay,
        cast(nas_delay as bigint) as nas_delay,
        cast(security_delay as bigint) as security_delay,
        cast(late_aircraft_delay as bigint) as late_aircraft_delay,
        cast(origin_airport_code as varchar(3)) as dep_airport_code,
        cast(dest_airport_code as varchar(3)) as arr_airport_code

    from delayed_flights

)

select * from final
