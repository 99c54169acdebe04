with

daily_totals as (

    select * from {{ ref('int_flight_delays_daily_totals') }}

),

known_airports as (

    select
        *,
        {{ iso_day_of_week('flight_date') }} as day_of_week

    from daily_totals
    where {{ has_known_airports() }}

),

by_weekday as (

    select
        day_of_week,
        {{ delay_measures() }},
        {{ on_time_measures() }}

    from known_airports
    group by day_of_week

),

final as (

    select
        day_of_week,
        {{ day_name('day_of_week') }} as day_name,
        flights_scheduled,
        flights_operated,
        flights_cancelled,
        flights_delayed,
        delay_rate_pct,
        avg_dep_delay_minutes,
        avg_dep_delay_of_delayed_minutes,
        avg_arr_delay_of_delayed_minutes,
        max_dep_delay_minutes,
        flights_on_time,
        flights_diverted,
        on_time_pct,
        meets_min_sample

    from by_weekday

)

select * from final
