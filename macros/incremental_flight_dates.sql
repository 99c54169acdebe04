{#-
  Which flight dates an incremental run rebuilds.

  `daily_flights_fact` and `int_flights_enriched` are incremental, delete+insert
  per `flight_date`. Each run rebuilds exactly the dates whose input changed
  since the last run, found by comparing what is there now with what the model
  was built from (no watermark to drift):

  * int_flights_enriched: the dates where the set of landed file versions
    differs between raw.flights_landing and the model (a new file, a file
    re-delivered with new content, rows moved to another date or removed),
    plus the dates whose stored airport attributes no longer equal the seed's
    (an airport added to, removed from or renamed in airports_dim).
  * daily_flights_fact: the dates where the enriched build stamp of the
    eligible flights differs between int_flights_enriched and the fact.

  A date that loses all its rows produces nothing to insert, so delete+insert
  alone would leave its old rows behind: the pre-hook `delete_flight_dates`
  deletes every date to rebuild first, in the same transaction.

  `--full-refresh` rebuilds every date in place (the models set
  `full_refresh: false`, so dbt never drops and swaps the table, which would
  cascade-drop the materialized views that read it).
-#}

{% macro rebuild_all_flight_dates() -%}
    {{ return(flags.FULL_REFRESH) }}
{%- endmacro %}


{% macro null_safe_differs(left, right) -%}
    (
        {{ left }} <> {{ right }}
        or ({{ left }} is null and {{ right }} is not null)
        or ({{ left }} is not null and {{ right }} is null)
    )
{%- endmacro %}


{% macro is_fact_eligible() -%}
    dep_delay > {{ var('delay_threshold_minutes') }}
    and has_known_origin
    and has_known_destination
{%- endmacro %}


{% macro enriched_flight_dates_to_rebuild() -%}
    {%- if not is_incremental() -%}
    select distinct flight_date from {{ ref('stg_raw__flights') }}
    {%- elif rebuild_all_flight_dates() -%}
    select flight_date from {{ ref('stg_raw__flights') }}
    union
    select flight_date from {{ this }}
    {%- else -%}
    select changed_file_versions.flight_date
    from (
        (
            select
                flight_date,
                file_version_id
            from {{ ref('stg_raw__flights') }}
            except
            select
                flight_date,
                file_version_id
            from {{ this }}
        )
        union
        (
            select
                flight_date,
                file_version_id
            from {{ this }}
            except
            select
                flight_date,
                file_version_id
            from {{ ref('stg_raw__flights') }}
        )
    ) as changed_file_versions
    union
    select enriched.flight_date
    from {{ this }} as enriched
    left join {{ ref('airports_dim') }} as origin
        on enriched.origin_airport_id = origin.airport_id
    left join {{ ref('airports_dim') }} as destination
        on enriched.dest_airport_id = destination.airport_id
    where
        {{ null_safe_differs('enriched.dep_airport', 'origin.name') }}
        or {{ null_safe_differs('enriched.dep_city', 'origin.city') }}
        or {{ null_safe_differs('enriched.dep_state', 'origin.state') }}
        or {{ null_safe_differs('enriched.arr_airport', 'destination.name') }}
        or {{ null_safe_differs('enriched.arr_city', 'destination.city') }}
        or {{ null_safe_differs('enriched.arr_state', 'destination.state') }}
    {%- endif -%}
{%- endmacro %}


{% macro fact_flight_dates_to_rebuild() -%}
    {%- if not is_incremental() -%}
    select distinct flight_date from {{ ref('int_flights_enriched') }}
    {%- elif rebuild_all_flight_dates() -%}
    select flight_date from {{ ref('int_flights_enriched') }}
    union
    select flight_date from {{ this }}
    {%- else -%}
    select changed_builds.flight_date
    from (
        (
            select
                flight_date,
                enriched_at
            from {{ ref('int_flights_enriched') }}
            where {{ is_fact_eligible() }}
            except
            select
                flight_date,
                enriched_at
            from {{ this }}
        )
        union
        (
            select
                flight_date,
                enriched_at
            from {{ this }}
            except
            select
                flight_date,
                enriched_at
            from {{ ref('int_flights_enriched') }}
            where {{ is_fact_eligible() }}
        )
    ) as changed_builds
    {%- endif -%}
{%- endmacro %}


{% macro delete_flight_dates(dates_to_rebuild_sql) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where flight_date in ({{ dates_to_rebuild_sql }})
    {%- else -%}
        select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}
