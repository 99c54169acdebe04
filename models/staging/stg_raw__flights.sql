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
        source_key,
        source_line_number,
        file_version_id,
        landed_at

    from source

)

select * from renamed
