with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

known_airports as (

    select *
    from monthly_delays
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
