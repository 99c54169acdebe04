{#-
  The one minimum-sample rule (issue 23): a rate per group is drawn from
  enough flights when the flights it is computed from (its denominator) are
  at least var('min_sample_flights') (default 10). Every mart that gives a
  rate per group has the boolean `meets_min_sample`; a rank ranks only the
  groups that meet it (NULL below it), so a route flown 4 times is never
  "the worst".
-#}
{% macro meets_min_sample(flights) -%}
    coalesce({{ flights }} >= {{ min_sample_flights() }}, false)
{%- endmacro %}


{#-
  rank() over `order_by` among the rows whose `flights` meet the minimum
  sample; NULL for the others (they are neither best nor worst).
-#}
{% macro rank_within_min_sample(flights, order_by) -%}
    cast(
        case
            when {{ meets_min_sample(flights) }}
                then rank() over (
                    partition by {{ meets_min_sample(flights) }}
                    order by {{ order_by }}
                )
        end as bigint
    )
{%- endmacro %}
