{#-
  The business rules, each defined once.

  A flight is delayed when its departure delay is strictly greater than
  var('delay_threshold_minutes') (default 60). A flight without a departure
  delay was cancelled (never delayed; "operated" is every other flight). The
  fact, the daily aggregate the marts read, rejected_flights, unknown_airports
  and the data tests all use these macros.

  On time is the US DOT's rule, independent of the threshold: a flight is on
  time when it arrives less than 15 minutes late; cancelled and diverted
  flights are not on time. In the landed columns a cancelled flight has no
  departure delay, a diverted one a departure delay but no arrival delay. So
  every scheduled flight is exactly one of: cancelled, diverted, on time,
  arrived late.
-#}
{% macro is_delayed(dep_delay='dep_delay') -%}
    ({{ dep_delay }} > {{ var('delay_threshold_minutes') }})
{%- endmacro %}


{% macro is_cancelled(dep_delay='dep_delay') -%}
    ({{ dep_delay }} is null)
{%- endmacro %}


{#- The DOT's on-time limit: arriving this many minutes late or more is late. -#}
{% macro late_arrival_minutes() -%}
    15
{%- endmacro %}


{% macro is_diverted(dep_delay='dep_delay', arr_delay='arr_delay') -%}
    ({{ dep_delay }} is not null and {{ arr_delay }} is null)
{%- endmacro %}


{#- Operated, not diverted, and arrived less than 15 minutes late (DOT). -#}
{% macro is_on_time(dep_delay='dep_delay', arr_delay='arr_delay') -%}
    ({{ dep_delay }} is not null and {{ arr_delay }} < {{ late_arrival_minutes() }})
{%- endmacro %}


{#- Operated, not diverted, and arrived 15 minutes late or more. -#}
{% macro is_arrived_late(dep_delay='dep_delay', arr_delay='arr_delay') -%}
    ({{ dep_delay }} is not null and {{ arr_delay }} >= {{ late_arrival_minutes() }})
{%- endmacro %}


{#- Operated and arrived (has an arrival delay): on time or late. -#}
{% macro has_arrived(dep_delay='dep_delay', arr_delay='arr_delay') -%}
    ({{ dep_delay }} is not null and {{ arr_delay }} is not null)
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
