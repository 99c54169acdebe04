{#-
  Arrival delays per destination airport, over the flights that arrived
  (an arrival delay recorded: not cancelled, not diverted). Late is the DOT's
  15 minutes or more (late_arrival_minutes in macros/delay_rules.sql).
-#}
with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

final as (

    select
        {{ airport_columns('dest') }},
        {{ arrival_measures() }}

    from monthly_delays
    where {{ has_known_airports() }}
    group by {{ airport_group_by('dest') }}

)

select * from final
