with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

final as (

    select
        origin_airport_id,
        dest_airport_id,
        dep_airport,
        arr_airport,
        dep_city,
        arr_city,
        dep_state,
        arr_state,
        {{ delay_measures() }}

    from daily_delays
    where has_known_origin and has_known_destination
    group by
        origin_airport_id,
        dest_airport_id,
        dep_airport,
        arr_airport,
        dep_city,
        arr_city,
        dep_state,
        arr_state

)

select * from final
