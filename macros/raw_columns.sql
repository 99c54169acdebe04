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
    {%- if execute and target.type == 'redshift' -%}
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


{#-
  The raw tables are the landing user's (airline_elt/warehouse_users.sql): dbt's user reads
  them and may neither create nor alter them. So dbt's on-run-start runs create_raw_tables only
  where something is missing (a fresh warehouse whose first build comes before any landing, or
  one that lacks a new BTS column): with every table and column there, it renders nothing and
  the build never touches raw's DDL.
-#}
{% macro create_raw_tables_if_missing() -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select table_name, column_name from information_schema.columns"
            ~ " where table_schema = 'raw'"
        ) -%}
        {%- set tables = found.columns[0].values() | map('lower') | list -%}
        {%- set landing_columns = [] -%}
        {%- for row in found.rows if row[0] | lower == 'flights_landing' -%}
            {%- do landing_columns.append(row[1] | lower) -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for table in ['landed_files', 'flights_landing', 'flights_rejected']
            if table not in tables -%}
            {%- do missing.append(table) -%}
        {%- endfor -%}
        {%- for column in (raw_flights_landing_bts_columns() | trim).splitlines()
            if column.split(' ')[0] not in landing_columns -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ create_raw_tables() }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
