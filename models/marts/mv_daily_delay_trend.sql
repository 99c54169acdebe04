with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

final as (

    select
        flight_date,
        {{ delay_measures() }},
        {{ on_time_measures() }}

    from daily_delays
    where {{ has_known_airports() }}
    group by flight_date

)

select * from final
