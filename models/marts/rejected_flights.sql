{#-
  A materialized view: it reads tables only (Redshift forbids views under a
  materialized view), so the landing's rejects come through
  stg_raw__rejected_rows, an ephemeral staging model (dbt writes it into this
  view's SQL as a CTE over raw.flights_rejected).
-#}
with

landing_rejects as (

    select * from {{ ref('stg_raw__rejected_rows') }}

),

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

malformed_rows as (

    select
        file_version_id,
        source_key,
        source_line_number,
        cast(null as varchar(32)) as flight_id,
        flight_date,
        cast(null as varchar(10)) as carrier,
        cast(null as bigint) as origin_airport_id,
        cast(null as bigint) as dest_airport_id,
        cast(null as bigint) as dep_delay,
        cast(reason_code as varchar(64)) as reason,
        cast(reason_detail as varchar(1024)) as reason_detail,
        cast(raw_line as varchar(65535)) as raw_line

    from landing_rejects

),

unknown_airport_flights as (

    select
        file_version_id,
        source_key,
        source_line_number,
        flight_id,
        flight_date,
        carrier,
        origin_airport_id,
        dest_airport_id,
        dep_delay,
        cast(
            case
                when not has_known_origin and not has_known_destination
                    then 'unknown_origin_and_destination_airport'
                when not has_known_origin then 'unknown_origin_airport'
                else 'unknown_destination_airport'
            end as varchar(64)
        ) as reason,
        cast(
            'airport id not in airports_dim: '
            || case
                when not has_known_origin then cast(origin_airport_id as varchar(20))
                else ''
            end
            || case
                when not has_known_origin and not has_known_destination then ', '
                else ''
            end
            || case
                when not has_known_destination then cast(dest_airport_id as varchar(20))
                else ''
            end
            as varchar(1024)
        ) as reason_detail,
        cast(null as varchar(65535)) as raw_line

    from enriched_flights
    where
        {{ is_delayed() }}
        and {{ has_known_airports(known=false) }}

),

final as (

    select * from malformed_rows
    union all
    select * from unknown_airport_flights

)

select * from final
