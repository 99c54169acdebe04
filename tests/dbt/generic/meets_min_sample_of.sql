{#-
  The minimum-sample flag follows its rule (macros/min_sample.sql): true exactly
  when `flights`, the flights the row's rate is computed from, reach
  var('min_sample_flights').
-#}
{% test meets_min_sample_of(model, column_name, flights) %}

select *
from {{ model }}
where
    {{ column_name }} is null
    or {{ column_name }} != ({{ flights }} >= {{ min_sample_flights() }})

{% endtest %}
