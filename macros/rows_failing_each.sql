{#-
  For the per-model tests that stand for one node per column or per rule
  (not_null_columns, expressions_are_true): `failing` maps a name to the
  condition a failing row meets. failing_counts(failing) is the select list
  counting, in one scan, the rows meeting each (`failing_<n>`);
  rows_per_failing_count(...) reads those counts (from a CTE named
  failing_counts) as a row per condition some row meets: `label_column` names
  it, `count_column` holds its count of rows.
-#}
{% macro failing_counts(failing) -%}
    {%- for condition in failing.values() -%}
        sum(case when {{ condition }} then 1 else 0 end) as failing_{{ loop.index }}
        {{- ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{% macro rows_per_failing_count(failing, label_column, count_column) -%}
    {%- for name in failing -%}
        select
            '{{ name }}' as {{ label_column }},
            failing_{{ loop.index }} as {{ count_column }}
        from failing_counts
        where failing_{{ loop.index }} > 0
        {{- ' union all ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- column -> "<column> is null", for not_null_columns. -#}
{% macro null_conditions(columns) -%}
    {%- set conditions = {} -%}
    {%- for column in columns -%}
        {%- do conditions.update({column: column ~ ' is null'}) -%}
    {%- endfor -%}
    {{ return(conditions) }}
{%- endmacro %}


{#-
  rule -> "not (<expression>)", for expressions_are_true: a row on which the
  expression is null does not meet it (as with expression_is_true).
-#}
{% macro broken_conditions(expressions) -%}
    {%- set conditions = {} -%}
    {%- for rule, expression in expressions.items() -%}
        {%- do conditions.update({rule: 'not (' ~ expression ~ ')'}) -%}
    {%- endfor -%}
    {{ return(conditions) }}
{%- endmacro %}
