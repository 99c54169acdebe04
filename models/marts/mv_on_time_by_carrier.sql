{#-
  On-time performance by carrier, the US DOT's measure: a flight is on time
  when it arrives less than 15 minutes late; cancelled and diverted flights
  are not on time (is_on_time in macros/delay_rules.sql).
-#}
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
        {{ on_time_breakdown() }}

    from monthly_delays
    where {{ has_known_airports() }}
    group by carrier

),

final as (

    select
        by_carrier.carrier,
        {{ carrier_name('carriers.carrier_name', 'by_carrier.carrier') }} as carrier_name,
        by_carrier.flights_scheduled,
        by_carrier.flights_on_time,
        by_carrier.flights_arrived_late,
        by_carrier.flights_cancelled,
        by_carrier.flights_diverted,
        by_carrier.on_time_pct,
        by_carrier.meets_min_sample

    from by_carrier
    left join carriers
        on by_carrier.carrier = carriers.carrier

)

select * from final
