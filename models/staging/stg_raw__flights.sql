-- Its tests read the landed files view (macros/scoped_tests.sql,
-- staged_flights_to_test): built first, so they never run before it exists.
-- depends_on: {{ ref('stg_raw__landed_files') }}

with

source as (

    select * from {{ source('raw', 'flights_landing') }}

),

renamed as (

    select
        cast(flight_id as varchar(32)) as flight_id,
        cast(flight_date as date) as flight_date,
        cast(carrier as varchar(10)) as carrier,
        cast(origin_airport_id as bigint) as origin_airport_id,
        cast(dest_airport_id as bigint) as dest_airport_id,
        cast(dep_delay as bigint) as dep_delay,
        cast(arr_delay as bigint) as arr_delay,
        cast(scheduled_dep_time as smallint) as scheduled_dep_time,
        cast(scheduled_dep_hour as smallint) as scheduled_dep_hour,
        cast(cancelled as boolean) as cancelled,
        cast(diverted as boolean) as diverted,
        cast(cancellation_code as varchar(1)) as cancellation_code,
        cast(carrier_delay as integer) as carrier_delay,
        cast(weather_delay as integer) as weather_delay,
        cast(nas_delay as integer) as nas_delay,
        cast(security_delay as integer) as security_delay,
        cast(late_aircraft_delay as integer) as late_aircraft_delay,
        cast(distance_miles as integer) as distance_miles,
        cast(tail_number as varchar(10)) as tail_number,
        cast(origin_airport_code as varchar(3)) as origin_airport_code,
        cast(dest_airport_code as varchar(3)) as dest_airport_code,
        source_key,
        source_line_number,
        file_version_id,
        landed_at

    from source

)

select * from renamed
