{#-
  Where a model is built.

  - `prod` (what analysts query on Redshift) and `local` (the private warehouse): the names as
    configured (`airlines`, `staging`, `intermediate`), as the warehouse contract fixes them.
  - Any other target (`dev` on the shared Redshift): `<target.schema>_<name>`, e.g.
    `dev_alice_airlines`, so a developer's build never overwrites production tables. This is
    dbt's own generate_schema_name_for_env, keeping the custom name as a suffix.
  - No custom schema: the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema | trim -%}
    {%- if custom_schema_name is none -%}
        {{ default_schema }}
    {%- elif target.name in ('prod', 'local') -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ default_schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
