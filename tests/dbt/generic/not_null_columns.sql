{#-
  None of these columns is null: one node per model instead of one `not_null`
  test per column (each dbt node costs its own overhead, whatever its SQL).
  One scan of the model (its `where` and the per-date scoping of
  get_where_subquery apply, as to any generic test); a failure returns a row
  per column that has nulls, naming it, with its count of null rows
  (`airline-elt dbt test --select <test> --store-failures` keeps them), and
  the test's failures are the null values summed over the columns.
-#}
{% test not_null_columns(model, columns) %}

    {{ config(fail_calc = 'coalesce(sum(null_rows), 0)') }}

with

null_counts as (

    select
    {%- for column in columns %}
            sum(case when {{ column }} is null then 1 else 0 end)
            as nulls_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ model }}

)

{% for column in columns %}
    select
        '{{ column }}' as null_column,
        nulls_{{ loop.index }} as null_rows
    from null_counts
    where nulls_{{ loop.index }} > 0
    {% if not loop.last %}union all{% endif %}
{% endfor %}

{% endtest %}
