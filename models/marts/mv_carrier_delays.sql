with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

carriers as (

    select * from {{ ref('carriers') }}

),

by_carrier as (

    select
        carrier,
        {{ delay_measures() }},
        {{ on_time_measures() }},
        min(first_flight_date) as first_flight_date,
        max(last_flight_date) as last_flight_date

    from monthly_delays
    where {{ has_known_airports() }}
    group by carrier

),

final as (

    select
        by_carrier.carrier,
        {{ carrier_name('carriers.carrier_name', 'by_carrier.carrier') }} as carrier_name,
        by_carrier.flights_scheduled,
        by_carrier.flights_operated,
        by_carrier.flights_cancelled,
        by_carrier.flights_delayed,
        by_carrier.delay_rate_pct,
        by_carrier.avg_dep_delay_minutes,
        by_carrier.avg_dep_delay_of_delayed_minutes,
        by_carrier.avg_arr_delay_of_delayed_minutes,
        by_carrier.max_dep_delay_minutes,
        by_carrier.flights_on_time,
        by_carrier.flights_diverted,
        by_carrier.on_time_pct,
        by_carrier.first_flight_date,
        by_carrier.last_flight_date,
        by_carrier.meets_min_sample

    from by_carrier
    left join carriers
        on by_carrier.carrier = carriers.carrier

)

select * from final
