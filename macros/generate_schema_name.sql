{#-
  Schemas are named exactly as configured (`airlines`, `staging`,
  `intermediate`), not prefixed with the target schema: the warehouse contract
  fixes `airlines.*` as what analysts query, on every target.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
