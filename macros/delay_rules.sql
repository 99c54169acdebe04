{#-
  The business rules, each defined once.

  A flight is delayed when it was not cancelled and its departure delay is
  strictly greater than var('delay_threshold_minutes') (default 60). The
  fact, the daily aggregates the marts read, rejected_flights,
  unknown_airports and the data tests all use these macros.

  Cancelled and diverted: a BTS monthly file says which (`Cancelled`,
  `Diverted`, landed as the nullable booleans `cancelled` / `diverted`); the
  seven-column daily files do not (both null), and then the delays tell:
  no departure delay is a cancelled flight, a departure delay but no arrival
  delay a diverted one. So:
  * cancelled: the file's flag when present, else no departure delay;
  * diverted (never when cancelled): the file's flag when it says so, else
    (flag null, or a file that says "not diverted" for a flight that has no
    arrival delay: it did not arrive on record) a departure without an
    arrival delay;
  * arrived: neither cancelled nor diverted (it then has an arrival delay).

  On time is the US DOT's rule, independent of the threshold: a flight is on
  time when it arrives less than 15 minutes late; cancelled and diverted
  flights are not on time. So every scheduled flight is exactly one of:
  cancelled, diverted, on time, arrived late, whatever the file holds.

  Each rule takes the flight's columns as arguments (the defaults are the
  names of stg_raw__flights and int_flights_enriched); a relation without the
  flags (the fact) passes 'null' for them: the delays decide, as above.
-#}
{% macro is_cancelled(dep_delay='dep_delay', cancelled='cancelled') -%}
    coalesce({{ cancelled }}, {{ dep_delay }} is null)
{%- endmacro %}


{% macro is_delayed(dep_delay='dep_delay', cancelled='cancelled') -%}
    (
        not {{ is_cancelled(dep_delay, cancelled) }}
        and {{ dep_delay }} > {{ delay_threshold_minutes() }}
    )
{%- endmacro %}


{#- The DOT's on-time limit: arriving this many minutes late or more is late. -#}
{% macro late_arrival_minutes() -%}
    15
{%- endmacro %}


{% macro is_diverted(
    dep_delay='dep_delay', arr_delay='arr_delay', cancelled='cancelled', diverted='diverted'
) -%}
    (
        not {{ is_cancelled(dep_delay, cancelled) }}
        and (coalesce({{ diverted }}, false) or {{ arr_delay }} is null)
    )
{%- endmacro %}


{#- Neither cancelled nor diverted: it arrived, with an arrival delay on record. -#}
{% macro has_arrived(
    dep_delay='dep_delay', arr_delay='arr_delay', cancelled='cancelled', diverted='diverted'
) -%}
    (
        not {{ is_cancelled(dep_delay, cancelled) }}
        and not coalesce({{ diverted }}, false)
        and {{ arr_delay }} is not null
    )
{%- endmacro %}


{#- Arrived, and less than 15 minutes late (DOT). -#}
{% macro is_on_time(
    dep_delay='dep_delay', arr_delay='arr_delay', cancelled='cancelled', diverted='diverted'
) -%}
    (
        {{ has_arrived(dep_delay, arr_delay, cancelled, diverted) }}
        and {{ arr_delay }} < {{ late_arrival_minutes() }}
    )
{%- endmacro %}


{#- Arrived 15 minutes late or more. -#}
{% macro is_arrived_late(
    dep_delay='dep_delay', arr_delay='arr_delay', cancelled='cancelled', diverted='diverted'
) -%}
    (
        {{ has_arrived(dep_delay, arr_delay, cancelled, diverted) }}
        and {{ arr_delay }} >= {{ late_arrival_minutes() }}
    )
{%- endmacro %}


{#-
  Cause data exists for a flight when any of the five BTS cause columns
  (minutes, filled for flights 15+ minutes late since June 2003) is not null.
-#}
{% macro has_cause_data() -%}
    (
        carrier_delay is not null
        or weather_delay is not null
        or nas_delay is not null
        or security_delay is not null
        or late_aircraft_delay is not null
    )
{%- endmacro %}


{#-
  A flight delayed by a cause: it has cause data and more than 0 minutes of
  that cause (a cause column of int_flights_enriched: carrier_delay, ...).
  What the BTS counts on its cause pages beside the minutes.
-#}
{% macro is_delayed_by_cause(cause_minutes) -%}
    coalesce({{ cause_minutes }} > 0, false)
{%- endmacro %}


{#-
  What a BTS cancellation code means, in the BTS's words ("National Aviation
  System", https://www.rita.dot.gov/bts/help/aviation/html/understanding.html).
  A cancelled flight without a code (a file without the column, or an empty
  one) is 'not given'.
-#}
{% macro cancellation_reason(cancellation_code='cancellation_code') -%}
    cast(
        case {{ cancellation_code }}
            when 'A' then 'carrier'
            when 'B' then 'weather'
            when 'C' then 'national aviation system'
            when 'D' then 'security'
            else 'not given'
        end as varchar(32)
    )
{%- endmacro %}


{#-
  The one known-airports filter: both of a flight's (or a group's) airports
  are in airports_dim. Every mart reports only such flights; `known=false`
  is its negation, the flights rejected_flights and its partial index name
  (the same text in both, so PostgreSQL's planner matches the index).
-#}
{% macro has_known_airports(known=true) -%}
    {%- if known -%}
        has_known_origin and has_known_destination
    {%- else -%}
        (not has_known_origin or not has_known_destination)
    {%- endif -%}
{%- endmacro %}


{#- A flight the fact holds: delayed, with both airports in airports_dim. -#}
{% macro is_fact_eligible() -%}
    {{ is_delayed() }}
    and {{ has_known_airports() }}
{%- endmacro %}


{#-
  PostgreSQL: the per-date models delete and read by flight_date, so they need
  an index on it (created once, on the first build or on an existing table).
  Redshift sorts them by flight_date instead.
-#}
{% macro index_flight_date(column='flight_date') -%}
    {{ adapter.dispatch('index_flight_date')(column) }}
{%- endmacro %}

{% macro default__index_flight_date(column) -%}
    create index if not exists {{ this.identifier }}__{{ column }}_idx on {{ this }} ({{ column }})
{%- endmacro %}

{#- Not postgres__: dbt-redshift's dispatch tries redshift__, then postgres__. -#}
{% macro redshift__index_flight_date(column) -%}
    select 1 as sorted_by_flight_date
{%- endmacro %}


{#-
  PostgreSQL: the flights with an unknown airport are few; a partial index
  lets rejected_flights find them without reading every enriched flight.
-#}
{% macro index_unknown_airports() -%}
    {{ adapter.dispatch('index_unknown_airports')() }}
{%- endmacro %}

{% macro default__index_unknown_airports() -%}
    create index if not exists {{ this.identifier }}__unknown_airports_idx
    on {{ this }} (flight_date)
    where {{ has_known_airports(known=false) }}
{%- endmacro %}

{% macro redshift__index_unknown_airports() -%}
    select 1 as no_partial_indexes
{%- endmacro %}
