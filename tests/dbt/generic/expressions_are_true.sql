{#-
  Every row meets each of these SQL boolean expressions (`expressions`: a
  rule's name -> its expression; a column's own rule is named after the
  column): one node per model instead of one `expression_is_true` test per
  rule (each dbt node costs its own overhead, whatever its SQL). One scan of
  the model (its `where` and the per-date scoping of get_where_subquery
  apply, as to any generic test); a failure returns a row per rule broken,
  naming it, with its count of rows (`airline-elt dbt test --select <test>
  --store-failures` keeps them), and the test's failures are those rows summed
  over the rules. As with expression_is_true, a row on which an expression is
  null passes.
-#}
{% test expressions_are_true(model, expressions) %}

{{ config(fail_calc = 'coalesce(sum(failing_rows), 0)') }}

with

failing_counts as (

    select
        {{ failing_counts(broken_conditions(expressions)) }}

    from {{ model }}

),

final as (

    {{ rows_per_failing_count(broken_conditions(expressions), 'failed_rule', 'failing_rows') }}

)

select * from final  -- noqa: AM04

{% endtest %}
