{#-
  Ephemeral, not a view: rejected_flights, a materialized view, reads it, and
  Redshift's materialized views read tables only; dbt inlines it as a CTE.
-#}
{{ config(materialized='ephemeral') }}

with

source as (

    select * from {{ source('raw', 'flights_rejected') }}

),

renamed as (

    select
        file_version_id,
        source_key,
        source_line_number,
        raw_line,
        reason_code,
        reason_detail,
        flight_date,
        rejected_at

    from source

)

select * from renamed
