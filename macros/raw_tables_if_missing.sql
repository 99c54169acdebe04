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
