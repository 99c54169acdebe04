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
        arr_airport as dest_airport,
        arr_city as dest_city,
        arr_state as dest_state,
        {{ arrival_measures() }}

    from daily_delays
    where {{ has_known_airports() }}
    group by
        dest_airport_id,
        arr_airport,
        arr_city,
        arr_state

)

select * from final
