with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

final as (

    select
        dep_state as origin_state,
        {{ delay_measures() }}

    from daily_delays
    where {{ has_known_airports() }}
    group by dep_state

)

select * from final
