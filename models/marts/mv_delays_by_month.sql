with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

known_airports as (

    select
        *,
        cast(date_trunc('month', flight_date) as date) as flight_month

    from daily_delays
    where {{ has_known_airports() }}

),

final as (

    select
        flight_month,
        {{ delay_measures() }},
        {{ on_time_measures() }}

    from known_airports
    group by flight_month

)

select * from final
