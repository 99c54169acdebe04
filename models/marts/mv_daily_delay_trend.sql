with

daily_totals as (

    select * from {{ ref('int_flight_delays_daily_totals') }}

),

final as (

    select
        flight_date,
        {{ delay_measures() }},
        {{ on_time_measures() }}

    from daily_totals
    where {{ has_known_airports() }}
    group by flight_date

)

select * from final
