{#-
  A rank ranks only the rows that meet the minimum sample: a rank on every row
  with meets_min_sample, none (NULL) on the others, and the ranks among those
  rows start at 1.
-#}
{% test ranks_only_the_min_sample(model, column_name) %}

with

ranked as (

    select
        {{ column_name }} as row_rank,
        meets_min_sample,
        min(case when meets_min_sample then {{ column_name }} end) over () as first_rank
    from {{ model }}

),

final as (

    select *
    from ranked
    where
        (row_rank is null) = meets_min_sample
        or (meets_min_sample and first_rank != 1)

)

select * from final

{% endtest %}
