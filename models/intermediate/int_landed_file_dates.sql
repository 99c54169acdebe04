{#-
  Which flight dates each landed file version touched, and how many flights
  it holds on each: the control data the incremental models decide from.
  Append-only: a run reads raw.flights_landing (through its staging view,
  stg_raw__flights) only for the file versions it has not recorded yet (by
  the index on file_version_id, which the view passes through; on Redshift the
  zone maps of a column that grows with load order), so its cost grows with
  what landed since the last run, not with the history.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        **table_layout_config(dist='all', sort=['file_version_id'])
    )
}}

with

flights as (

    select * from {{ ref('stg_raw__flights') }}

),

final as (

    select
        cast(flights.file_version_id as bigint) as file_version_id,
        cast(flights.flight_date as date) as flight_date,
        cast(count(*) as bigint) as flights

    from flights
    where {{ file_versions_to_record() }}
    group by flights.file_version_id, flights.flight_date

)

select * from final
