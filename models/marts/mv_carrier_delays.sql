with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

final as (

    select
        carrier,
        {{ delay_measures() }},
        min(flight_date) as first_flight_date,
        max(flight_date) as last_flight_date

    from daily_delays
    where has_known_origin and has_known_destination
    group by carrier

)

select * from final
