{#-
  The build log: what each per-date model was built from, one small row per
  flight date (or per date and file version / airport), written by the
  model's own post-hooks in the same transaction as its rows. Its size grows
  with dates, file versions and airports, never with flights, so deciding
  which dates to rebuild costs the same on a year of history as on a month
  (see incremental_flight_dates.sql).

  * flight_date_builds: per model and date, when the date was last built
    (`built_at`, the run's start), from which build of int_flights_enriched
    (`built_from`) and with which `delay_threshold_minutes`.
  * flight_date_file_versions: the file versions (and their flight counts)
    int_flights_enriched holds for each date.
  * flight_date_airports: the airport attributes int_flights_enriched holds
    for each date (`is_known` false: the airport was not in airports_dim).
  * relation_definitions: for each materialized view, the md5 of the SQL it
    was created from and the inputs it was last refreshed from
    (see materialized_view.sql); for each per-date model with a
    `definition_version` in its meta, the version its dates were built with
    (`input_stamp` = `definition_version N`, see record_definition_version).

  The tables live in the schema var('build_log_schema') (default
  `intermediate`, beside int_flights_enriched, named by generate_schema_name
  like every schema); on-run-start creates them.
  A warehouse built before the log existed starts with an empty log: its first
  build rebuilds every date once.
-#}

{#- The log's schema, named like every other schema (generate_schema_name). -#}
{% macro build_log_schema() -%}
    {{ generate_schema_name(schema_name_var('build_log_schema'), none) | trim }}
{%- endmacro %}


{% macro build_log(name) -%}
    {{ build_log_schema() }}.{{ name }}
{%- endmacro %}


{% macro create_build_log() -%}
    {%- set log_schema = build_log_schema() -%}
-- noqa: disable=LT02
create schema if not exists {{ log_schema }};

create table if not exists {{ log_schema }}.flight_date_builds (
    model_name varchar(128) not null,
    flight_date date not null,
    built_at timestamp not null,
    built_from timestamp,
    delay_threshold_minutes integer
){{ table_layout_ddl('model_name, flight_date') }};

create table if not exists {{ log_schema }}.flight_date_file_versions (
    flight_date date not null,
    file_version_id bigint not null,
    flights bigint not null
){{ table_layout_ddl('flight_date') }};

create table if not exists {{ log_schema }}.flight_date_airports (
    flight_date date not null,
    airport_id bigint not null,
    is_known boolean not null,
    airport_name varchar(200),
    city varchar(100),
    state varchar(100)
){{ table_layout_ddl('flight_date') }};

create table if not exists {{ log_schema }}.relation_definitions (
    relation_name varchar(512) not null,
    definition_md5 char(32) not null,
    input_stamp varchar(4096),
    built_at timestamp not null
){{ table_layout_ddl() }};
{{ adapter.dispatch('build_log_indexes')(log_schema) }}
-- noqa: enable=LT02
{%- endmacro %}


{#- The build log's indexes: PostgreSQL only (Redshift has none; its sort keys above). -#}
{% macro default__build_log_indexes(log_schema) %}

create index if not exists flight_date_builds_model_date_idx
    on {{ log_schema }}.flight_date_builds (model_name, flight_date);
create index if not exists flight_date_file_versions_date_idx
    on {{ log_schema }}.flight_date_file_versions (flight_date);
create index if not exists flight_date_airports_date_idx
    on {{ log_schema }}.flight_date_airports (flight_date);
{%- endmacro %}

{% macro redshift__build_log_indexes(log_schema) -%}
{%- endmacro %}


{#- The run's start: the stamp every row a run writes to the log carries. -#}
{% macro build_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{#-
  Post-hooks of a per-date model: replace the log rows of the dates this run
  rebuilt. `dates_sql` is the model's dates-to-rebuild query; it is
  materialized first, since rewriting the log changes its answer.
-#}
{% macro dates_table() -%}
    {{ this.identifier }}__rebuilt_dates
{%- endmacro %}


{% macro remember_rebuilt_dates(dates_sql) -%}
    create temporary table {{ dates_table() }} as
    select distinct flight_date from ({{ dates_sql }}) as dates_to_rebuild;
    {{- adapter.dispatch('analyze_dates_table')() }}
{%- endmacro %}


{#- PostgreSQL: statistics for the planner on the dates table (not on Redshift, as before). -#}
{% macro default__analyze_dates_table() %}

    analyze {{ dates_table() }}
{%- endmacro %}

{% macro redshift__analyze_dates_table() -%}
{%- endmacro %}


{% macro forget_rebuilt_dates() -%}
    drop table if exists {{ dates_table() }}
{%- endmacro %}


{% macro log_date_builds(built_from_model=none) -%}
    delete from {{ build_log('flight_date_builds') }}
    where
        model_name = '{{ this.identifier }}'
        and flight_date in (select rebuilt.flight_date from {{ dates_table() }} as rebuilt);

    insert into {{ build_log('flight_date_builds') }}
        (model_name, flight_date, built_at, built_from, delay_threshold_minutes)
    select
        '{{ this.identifier }}',
        rebuilt.flight_date,
        {{ build_stamp() }},
    {%- if built_from_model %}
        upstream.built_at,
        {{ delay_threshold_minutes() }}
    from {{ dates_table() }} as rebuilt
    left join {{ build_log('flight_date_builds') }} as upstream
        on
            rebuilt.flight_date = upstream.flight_date
            and upstream.model_name = '{{ built_from_model }}'
    {%- else %}
        cast(null as timestamp),
        cast(null as integer)
    from {{ dates_table() }} as rebuilt
    {%- endif %}
{%- endmacro %}


{#- What int_flights_enriched now holds for the rebuilt dates: file versions and airports. -#}
{% macro log_enriched_sources() -%}
    delete from {{ build_log('flight_date_file_versions') }}
    where flight_date in (select rebuilt.flight_date from {{ dates_table() }} as rebuilt);

    insert into {{ build_log('flight_date_file_versions') }} (flight_date, file_version_id, flights)
    select
        flight_date,
        file_version_id,
        count(*)
    from {{ this }}
    where flight_date in (select rebuilt.flight_date from {{ dates_table() }} as rebuilt)
    group by flight_date, file_version_id;

    delete from {{ build_log('flight_date_airports') }}
    where flight_date in (select rebuilt.flight_date from {{ dates_table() }} as rebuilt);

    insert into {{ build_log('flight_date_airports') }}
        (flight_date, airport_id, is_known, airport_name, city, state)
    select
        flight_date,
        origin_airport_id,
        has_known_origin,
        origin_airport,
        origin_city,
        origin_state
    from {{ this }}
    where flight_date in (select rebuilt.flight_date from {{ dates_table() }} as rebuilt)
    union
    select
        flight_date,
        dest_airport_id,
        has_known_destination,
        dest_airport,
        dest_city,
        dest_state
    from {{ this }}
    where flight_date in (select rebuilt.flight_date from {{ dates_table() }} as rebuilt)
{%- endmacro %}


{#-
  A per-date model's definition version: `meta: {definition_version: N}` in its
  config, raised when its columns change. When it differs from the version
  the log recorded (or none was recorded: a table built before versions
  existed), the next build rebuilds every date, like a changed threshold.
-#}
{% macro definition_version_stamp() -%}
    {%- set version = (config.get('meta') or {}).get('definition_version') -%}
    {{- return(none if version is none else 'definition_version ' ~ version) -}}
{%- endmacro %}


{% macro definition_version_changed() -%}
    {%- if not execute or not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set stamp = definition_version_stamp() -%}
    {%- if stamp is none -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set query -%}
        select input_stamp
        from {{ build_log('relation_definitions') }}
        where relation_name = '{{ this.identifier }}'
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {{- return(rows | length == 0 or rows[0][0] != stamp) -}}
{%- endmacro %}


{#- Post-hook: the version this build built its dates with (same transaction as its rows). -#}
{% macro record_definition_version() -%}
    {%- set stamp = definition_version_stamp() -%}
    {%- if stamp is none -%}
        select 1 as no_definition_version
    {%- else -%}
        delete from {{ build_log('relation_definitions') }}
        where relation_name = '{{ this.identifier }}';

        insert into {{ build_log('relation_definitions') }}
            (relation_name, definition_md5, input_stamp, built_at)
        values (
            '{{ this.identifier }}',
            '{{ local_md5(stamp) }}',
            '{{ stamp }}',
            {{ build_stamp() }}
        )
    {%- endif -%}
{%- endmacro %}
