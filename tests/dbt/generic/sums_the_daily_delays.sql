{#-
  A rollup of int_flight_delays_daily (int_flight_delays_monthly,
  int_flight_delays_daily_totals) holds, for every date or month it rebuilt,
  exactly the daily rows summed by its keys: no date or month left stale by
  an incremental run, no group lost or invented. `model_name`: the rollup
  (whose last build's dates, in its `date_column`, the check covers; every
  date with test_all_dates); `grain`: 'day' or 'month'; `keys`: its grain
  besides the date; `sums` and `maxes`: the columns summed and maxed (each
  list at least one).
-#}
{% test sums_the_daily_delays(model, model_name, date_column, grain, keys, sums, maxes) %}

with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

expected as (

    select
        {{ date_at_grain('flight_date', grain) }} as {{ date_column }},
        {{ keys | join(', ') }},
        {{ aggregated_columns('sum', sums) }},
        {{ aggregated_columns('max', maxes) }}

    from daily_delays
    where {{ flight_dates_rebuilt_by(model_name, grain) }}
    group by
        {{ date_at_grain('flight_date', grain) }},
        {{ keys | join(', ') }}

),

actual as (

    select
        {{ date_column }},
        {{ (keys + sums + maxes) | join(', ') }}

    from {{ model }}

),

final as (

    {{ rows_missing_and_extra(
        'expected', 'actual',
        'missing from ' ~ model_name, 'stale or extra in ' ~ model_name
    ) }}

)

select * from final  -- noqa: AM04

{% endtest %}
