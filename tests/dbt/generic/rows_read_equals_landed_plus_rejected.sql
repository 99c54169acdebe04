{#- Nothing is lost: for every delivered file version, rows read = rows landed + rows rejected. -#}
{% test rows_read_equals_landed_plus_rejected(model) %}

select *
from {{ model }}
where rows_read <> rows_landed + rows_rejected

{% endtest %}
