{#-
  dbt's half of upgrading raw.flights_landing in place on Redshift (the
  landing job's half is airline_landing.ddl.add_missing_columns): Redshift has
  no `add column if not exists` and adds one column per `alter table`, so this
  on-run-start hook asks information_schema.columns which BTS columns
  (raw_flights_landing_bts_columns, in airline_landing/raw_tables.sql) an
  existing table lacks and adds each; nothing when none is missing. On
  PostgreSQL create_raw_tables' own `add column if not exists` did it already,
  so the hook renders to nothing there (dbt skips an empty hook).
-#}
{% macro add_missing_raw_columns() -%}
    {{ adapter.dispatch('add_missing_raw_columns')() }}
{%- endmacro %}

{% macro default__add_missing_raw_columns() -%}
{%- endmacro %}

{% macro redshift__add_missing_raw_columns() -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select column_name from information_schema.columns"
            ~ " where table_schema = 'raw' and table_name = 'flights_landing'"
        ) -%}
        {%- set existing = found.columns[0].values() | map('lower') | list -%}
        {%- for column in (raw_flights_landing_bts_columns() | trim).splitlines() -%}
            {%- if column.split(' ')[0] not in existing %}
alter table "raw".flights_landing add column {{ column }};
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
