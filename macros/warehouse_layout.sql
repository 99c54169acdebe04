{#-
  What differs between the warehouses, one dispatched macro each (dbt's
  adapter.dispatch), instead of `target.type` branches in the models and
  macros: `default__` is PostgreSQL's, `redshift__` Redshift's (never
  `postgres__` alone: dbt-redshift's dispatch falls back to it).
  Redshift has no indexes and lays tables out by distribution and sort keys;
  PostgreSQL has indexes and ANALYZE.
-#}

{#- A model's Redshift distribution and sort keys, as config(**...) arguments. -#}
{% macro table_layout_config(dist, sort) -%}
    {{ return(adapter.dispatch('table_layout_config')(dist, sort)) }}
{%- endmacro %}

{% macro default__table_layout_config(dist, sort) -%}
    {{ return({}) }}
{%- endmacro %}

{% macro redshift__table_layout_config(dist, sort) -%}
    {{ return({'dist': dist, 'sort': sort}) }}
{%- endmacro %}


{#- A build-log table's Redshift layout: DDL after its column list. -#}
{% macro table_layout_ddl(sortkey=none) -%}
    {{ return(adapter.dispatch('table_layout_ddl')(sortkey)) }}
{%- endmacro %}

{% macro default__table_layout_ddl(sortkey) -%}
    {{ return('') }}
{%- endmacro %}

{% macro redshift__table_layout_ddl(sortkey) -%}
    {{ return(' diststyle all' ~ (' sortkey (' ~ sortkey ~ ')' if sortkey else '')) }}
{%- endmacro %}
