with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

final as (

    select
        origin_airport_id,
        cast(max(origin_airport_code) as varchar(3)) as origin_airport_code,
        origin_airport,
        origin_city,
        origin_state,
        {{ delay_measures() }}

    from daily_delays
    where {{ has_known_airports() }}
    group by
        origin_airport_id,
        origin_airport,
        origin_city,
        origin_state

)

select * from final
