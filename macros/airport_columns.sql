{#-
  The columns naming one side's airport in a mart grouped by airport: its id, its
  IATA code (from the landed BTS files; max() picks the one code an id has, and
  is null where only daily files had the airport), its name, city and state.
  `side` is 'origin' or 'dest'. `airport_columns` goes in the select list,
  `airport_group_by` in the group by.
-#}
{% macro airport_columns(side) -%}
    {{ side }}_airport_id,
    cast(max({{ side }}_airport_code) as varchar(3)) as {{ side }}_airport_code,
    {{ side }}_airport,
    {{ side }}_city,
    {{ side }}_state
{%- endmacro %}


{% macro airport_group_by(side) -%}
    {{ side }}_airport_id,
    {{ side }}_airport,
    {{ side }}_city,
    {{ side }}_state
{%- endmacro %}
