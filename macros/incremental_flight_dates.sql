{#-
  Which flight dates an incremental run rebuilds.

  int_flights_enriched, daily_flights_fact and int_flight_delays_daily are
  incremental, delete+insert per `flight_date`. Each run rebuilds exactly the
  dates whose input changed since that model last built them, decided from
  small control data only (no scan of the flights; see build_log.sql):

  * int_flights_enriched: the dates where the landed file versions
    (int_landed_file_dates: which dates each file version touched, joined to
    the versions raw.landed_files says are landed now) differ from the
    versions the model holds (the log's flight_date_file_versions): a new
    file, a file re-delivered with new content (every date either version
    touched), rows moved to another date or removed. Plus the dates whose
    logged airport attributes no longer equal the seed's (an airport added
    to, removed from or changed in airports_dim).
  * daily_flights_fact and int_flight_delays_daily: the dates
    int_flights_enriched rebuilt since they last built them, and every date
    when they were built with another `delay_threshold_minutes` (a changed
    threshold rebuilds every date on the next plain build, by itself); and
    every date when the model's definition version changed (new columns to
    fill on an existing warehouse: definition_version_changed in
    build_log.sql).

  A date that loses all its rows produces nothing to insert, so delete+insert
  alone would leave its old rows behind: the pre-hook `delete_flight_dates`
  deletes every date to rebuild first, in the same transaction.

  `--full-refresh` rebuilds every date in place (the models set
  `full_refresh: false`, so dbt never drops and swaps the table, which would
  cascade-drop the materialized views that read it).
-#}

{#- Every date: a full refresh, or a new definition version of the model (build_log.sql). -#}
{% macro rebuild_all_flight_dates() -%}
    {{ return(flags.FULL_REFRESH or definition_version_changed()) }}
{%- endmacro %}


{% macro null_safe_differs(left, right) -%}
    (
        {{ left }} <> {{ right }}
        or ({{ left }} is null and {{ right }} is not null)
        or ({{ left }} is not null and {{ right }} is null)
    )
{%- endmacro %}


{#- (flight_date, file_version_id, flights) of the file versions landed now. -#}
{% macro landed_date_versions() -%}
    select
        touched.flight_date,
        touched.file_version_id,
        touched.flights
    from {{ ref('int_landed_file_dates') }} as touched
    inner join {{ ref('stg_raw__landed_files') }} as landed_files
        on touched.file_version_id = landed_files.file_version_id
    where landed_files.file_status = 'landed'
{%- endmacro %}


{#-
  For int_landed_file_dates: the landed file versions it has not recorded yet,
  as a condition on stg_raw__flights. In an incremental run they are
  written out as constants, so PostgreSQL reads just their rows by the
  file_version_id index.
-#}
{% macro file_versions_to_record() -%}
    {%- set versions_sql -%}
        select landed_files.file_version_id
        from {{ ref('stg_raw__landed_files') }} as landed_files
        where
            landed_files.file_status = 'landed'
        {%- if is_incremental() %}
                and landed_files.file_version_id not in (
                    select recorded.file_version_id from {{ this }} as recorded
                )
        {%- endif %}
    {%- endset -%}
    {%- if execute and is_incremental() -%}
        {%- set versions = run_query(versions_sql).columns[0].values() | sort -%}
        {%- if versions | length == 0 -%}
            (1 = 0)
        {%- else -%}
            file_version_id in ({{ versions | join(', ') }})
        {%- endif -%}
    {%- else -%}
        file_version_id in ({{ versions_sql }})
    {%- endif -%}
{%- endmacro %}


{% macro enriched_flight_dates_to_rebuild() -%}
    {%- if not is_incremental() -%}
    select distinct flight_date from ({{ landed_date_versions() }}) as landed
    {%- elif rebuild_all_flight_dates() -%}
    select landed.flight_date from ({{ landed_date_versions() }}) as landed
    union
    select built.flight_date from {{ build_log('flight_date_file_versions') }} as built
    {%- else -%}
    select changed_file_versions.flight_date
    from (
        (
            select
                flight_date,
                file_version_id,
                flights
            from ({{ landed_date_versions() }}) as landed
            except
            select
                flight_date,
                file_version_id,
                flights
            from {{ build_log('flight_date_file_versions') }}
        )
        union
        (
            select
                flight_date,
                file_version_id,
                flights
            from {{ build_log('flight_date_file_versions') }}
            except
            select
                flight_date,
                file_version_id,
                flights
            from ({{ landed_date_versions() }}) as landed
        )
    ) as changed_file_versions
    union
    select built_airports.flight_date
    from {{ build_log('flight_date_airports') }} as built_airports
    left join {{ ref('airports_dim') }} as airports
        on built_airports.airport_id = airports.airport_id
    where
        built_airports.is_known <> (airports.airport_id is not null)
        or {{ null_safe_differs('built_airports.airport_name', 'airports.name') }}
        or {{ null_safe_differs('built_airports.city', 'airports.city') }}
        or {{ null_safe_differs('built_airports.state', 'airports.state') }}
    {%- endif -%}
{%- endmacro %}


{#-
  For the models built from int_flights_enriched per date: the dates whose
  enriched build differs from the one they were built from, or whose
  threshold differs from today's.
-#}
{% macro enriched_dates_rebuilt_since_last_build() -%}
    {%- if not is_incremental() -%}
    select distinct flight_date from {{ ref('int_flights_enriched') }}
    {%- else -%}
    select enriched.flight_date
    from {{ build_log('flight_date_builds') }} as enriched
    left join {{ build_log('flight_date_builds') }} as mine
        on
            enriched.flight_date = mine.flight_date
            and mine.model_name = '{{ this.identifier }}'
    where
        enriched.model_name = 'int_flights_enriched'
        {%- if not rebuild_all_flight_dates() %}
        and (
            mine.flight_date is null
            or {{ null_safe_differs('mine.built_from', 'enriched.built_at') }}
            or {{ null_safe_differs('mine.delay_threshold_minutes', delay_threshold_minutes()) }}
        )
        {%- endif %}
    union
    select mine.flight_date
    from {{ build_log('flight_date_builds') }} as mine
    where
        mine.model_name = '{{ this.identifier }}'
        and (
            {{ rebuild_all_flight_dates() }}
            or mine.delay_threshold_minutes <> {{ delay_threshold_minutes() }}
            or not exists (
                select 1
                from {{ build_log('flight_date_builds') }} as enriched
                where
                    enriched.model_name = 'int_flights_enriched'
                    and enriched.flight_date = mine.flight_date
            )
        )
    {%- endif -%}
{%- endmacro %}


{#-
  The condition `column in (<the dates>)`. In an incremental run the dates
  are looked up first and written out as constants, so PostgreSQL reads them
  by the flight_date index instead of guessing the size of a subquery and
  scanning the whole table.
-#}
{% macro flight_dates_in(dates_sql, column='flight_date') -%}
    {%- if execute and is_incremental() -%}
        {{ looked_up_dates_in(dates_sql, column) }}
    {%- else -%}
        {{ column }} in ({{ dates_sql }})
    {%- endif -%}
{%- endmacro %}


{#- Run `dates_sql` now and write its dates out as constants: `column in (...)`. -#}
{% macro looked_up_dates_in(dates_sql, column='flight_date') -%}
    {%- set dates = run_query(dates_sql).columns[0].values() | sort -%}
    {%- if dates | length == 0 -%}
        (1 = 0)
    {%- else -%}
        {{ column }} in (
        {%- for day in dates -%}
            cast('{{ day }}' as date){{ ', ' if not loop.last }}
        {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}


{% macro delete_flight_dates(dates_to_rebuild_sql, column='flight_date') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ flight_dates_in(dates_to_rebuild_sql, column) }}
    {%- else -%}
        select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}


{#-
  The one config of the per-date models (int_flights_enriched,
  int_flight_delays_daily, its rollups int_flight_delays_daily_totals and
  int_flight_delays_monthly, int_flight_delays_by_hour_daily,
  daily_flights_fact): incremental, delete+insert per flight_date, never
  dropped by --full-refresh, the dates to rebuild remembered and deleted
  before the insert and logged after it (build_log.sql). `dates_to_rebuild`
  names the macro that says which dates; `built_from_model` the per-date
  model whose build the dates follow; `extra_post_hooks` run after the
  flight_date index. meta `per_date` marks them for per_date_models()
  (scoped_tests.sql) and materialized_view_input_stamp(). `date_column`: the
  column the dates are in, `flight_date` but for int_flight_delays_monthly,
  whose "dates" are the first days of its months (`flight_month`).
-#}
{% macro per_date_model_config(
    definition_version,
    dates_to_rebuild='enriched_dates_rebuilt_since_last_build',
    built_from_model='int_flights_enriched',
    extra_post_hooks=[],
    dist='all',
    sort=['flight_date'],
    date_column='flight_date'
) -%}
    {%- set dates_sql = dates_to_rebuild ~ '()' -%}
    {%- set built_from = ("'" ~ built_from_model ~ "'") if built_from_model else 'none' -%}
    {{ return(dict(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=date_column,
        full_refresh=false,
        on_schema_change='append_new_columns',
        meta={
            'definition_version': definition_version,
            'per_date': true,
            'date_column': date_column,
        },
        pre_hook=[
            '{{ remember_rebuilt_dates(' ~ dates_sql ~ ') }}',
            "{{ delete_flight_dates(" ~ dates_sql ~ ", '" ~ date_column ~ "') }}",
        ],
        post_hook=["{{ index_flight_date('" ~ date_column ~ "') }}"] + extra_post_hooks + [
            '{{ log_date_builds(built_from_model=' ~ built_from ~ ') }}',
            '{{ record_definition_version() }}',
            '{{ forget_rebuilt_dates() }}',
        ],
        **table_layout_config(dist, sort)
    )) }}
{%- endmacro %}
