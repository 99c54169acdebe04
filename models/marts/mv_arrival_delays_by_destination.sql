{#-
  Arrival delays per destination airport, over the flights that arrived
  (an arrival delay recorded: not cancelled, not diverted). Late is the DOT's
  15 minutes or more (late_arrival_minutes in macros/delay_rules.sql).
-#}
with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

final as (

    select
        dest_airport_id,
        cast(max(dest_airport_code) as varchar(3)) as dest_airport_code,
        dest_airport,
        dest_city,
        dest_state,
        {{ arrival_measures() }}

    from daily_delays
    where {{ has_known_airports() }}
    group by
        dest_airport_id,
        dest_airport,
        dest_city,
        dest_state

)

select * from final
