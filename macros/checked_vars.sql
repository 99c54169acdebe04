{#-
  The vars rendered into SQL text, checked where they are rendered: whoever sets a var
  (`--vars` on the command line, a pipeline start's dbt_args on AWS) never writes SQL. A number
  is rendered only as a whole number within its bounds; anything else stops the build with the
  var's name and what it got. On AWS orchestration/dbt_image/dbt_args.py refuses the same
  values before dbt starts (same bounds: a test keeps them equal).
-#}

{% macro whole_number_var(name, lowest, highest) -%}
    {%- set value = var(name) -%}
    {%- if value is not integer or value < lowest or value > highest -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a whole number from " ~ lowest ~ " to " ~ highest
            ~ ", got " ~ ((value | tojson)[:60])) }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}


{#- A flight is delayed when its departure delay is strictly greater than this (minutes). -#}
{% macro delay_threshold_minutes() -%}
    {{- return(whole_number_var('delay_threshold_minutes', 0, 1440)) -}}
{%- endmacro %}


{#-
  The one minimum sample: a group's rate counts (meets_min_sample, ranks,
  mv_delay_prone_routes) when it is computed from at least this many flights.
  The var was `min_route_flights` before issue 23; setting the old name stops
  the build with the new one (refuse_renamed_vars, also an on-run-start hook).
-#}
{% macro min_sample_flights() -%}
    {%- do refuse_renamed_vars() -%}
    {{- return(whole_number_var('min_sample_flights', 1, 1000000)) -}}
{%- endmacro %}


{#- Vars renamed since: old name -> new name. -#}
{% macro renamed_vars() -%}
    {{- return({'min_route_flights': 'min_sample_flights'}) -}}
{%- endmacro %}


{#- Stops the build when a renamed var is set, naming the new one; renders nothing. -#}
{% macro refuse_renamed_vars() -%}
    {%- for old_name, new_name in renamed_vars().items() -%}
        {%- if var(old_name, none) is not none -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ old_name ~ " was renamed " ~ new_name
                ~ " (one minimum sample for every rate and ranking): set " ~ new_name
                ~ " instead") }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}


{#- A schema name from a var, rendered unquoted as every schema name is: a plain identifier. -#}
{% macro schema_name_var(name) -%}
    {%- set value = var(name) -%}
    {%- if value is not string or not modules.re.match('^[a-z_][a-z0-9_]{0,62}$', value) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a lower-case schema name (letters, digits, _), got "
            ~ ((value | tojson)[:60])) }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
