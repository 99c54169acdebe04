{#-
  The business rules, each defined once.

  A flight is delayed when its departure delay is strictly greater than
  var('delay_threshold_minutes') (default 60). A flight without a departure
  delay was cancelled or diverted (never delayed). The fact, the daily
  aggregate the marts read, rejected_flights, unknown_airports and the data
  tests all use these macros.
-#}
{% macro is_delayed(dep_delay='dep_delay') -%}
    ({{ dep_delay }} > {{ var('delay_threshold_minutes') }})
{%- endmacro %}


{% macro is_cancelled(dep_delay='dep_delay') -%}
    ({{ dep_delay }} is null)
{%- endmacro %}


{#- A flight the fact holds: delayed, with both airports in airports_dim. -#}
{% macro is_fact_eligible() -%}
    {{ is_delayed() }}
    and has_known_origin
    and has_known_destination
{%- endmacro %}


{#-
  PostgreSQL: the per-date models delete and read by flight_date, so they need
  an index on it (created once, on the first build or on an existing table).
  Redshift sorts them by flight_date instead.
-#}
{% macro index_flight_date() -%}
    {%- if target.type == 'postgres' -%}
        create index if not exists {{ this.identifier }}__flight_date_idx on {{ this }} (flight_date)
    {%- else -%}
        select 1 as sorted_by_flight_date
    {%- endif -%}
{%- endmacro %}


{#-
  PostgreSQL: the flights with an unknown airport are few; a partial index
  lets rejected_flights find them without reading every enriched flight.
-#}
{% macro index_unknown_airports() -%}
    {%- if target.type == 'postgres' -%}
        create index if not exists {{ this.identifier }}__unknown_airports_idx
        on {{ this }} (flight_date)
        where (not has_known_origin or not has_known_destination)
    {%- else -%}
        select 1 as no_partial_indexes
    {%- endif -%}
{%- endmacro %}
