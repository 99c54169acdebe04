with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

final as (

    select
        origin_city,
        origin_state,
        {{ delay_measures() }}

    from monthly_delays
    where {{ has_known_airports() }}
    group by origin_city, origin_state

)

select * from final
