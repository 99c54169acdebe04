{#-
  The business rule "delayed", in one place: a flight is delayed when its
  departure delay is strictly greater than var('delay_threshold_minutes')
  (default 60). A cancelled or diverted flight (null delay) is never delayed.
-#}
{% macro is_delayed(dep_delay='dep_delay') -%}
    {{ dep_delay }} > {{ var('delay_threshold_minutes') }}
{%- endmacro %}
