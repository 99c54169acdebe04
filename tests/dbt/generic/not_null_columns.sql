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

failing_counts as (

    select
        {{ failing_counts(null_conditions(columns)) }}

    from {{ model }}

),

final as (

    {{ rows_per_failing_count(null_conditions(columns), 'null_column', 'null_rows') }}

)

select * from final  -- noqa: AM04

{% endtest %}
