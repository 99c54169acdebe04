{#-
  Why each airline's flights were late: delay minutes by cause (the five BTS
  causes) and each cause's share, the flights delayed by each cause, over the flights whose files carry cause
  data (cause_measures in macros/delay_measures.sql). Carriers without any
  are left out.
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
        cast(sum(flights_scheduled) as bigint) as flights_scheduled,
        {{ cause_measures() }}

    from monthly_delays
    where {{ has_known_airports() }}
    group by carrier
    having sum(flights_with_causes) > 0

),

final as (

    select
        by_carrier.carrier,
        {{ carrier_name('carriers.carrier_name', 'by_carrier.carrier') }} as carrier_name,
        by_carrier.flights_scheduled,
        by_carrier.flights_with_causes,
        by_carrier.cause_minutes,
        by_carrier.carrier_delay_minutes,
        by_carrier.weather_delay_minutes,
        by_carrier.nas_delay_minutes,
        by_carrier.security_delay_minutes,
        by_carrier.late_aircraft_delay_minutes,
        by_carrier.carrier_delay_pct,
        by_carrier.weather_delay_pct,
        by_carrier.nas_delay_pct,
        by_carrier.security_delay_pct,
        by_carrier.late_aircraft_delay_pct,
        by_carrier.flights_with_carrier_delay,
        by_carrier.flights_with_weather_delay,
        by_carrier.flights_with_nas_delay,
        by_carrier.flights_with_security_delay,
        by_carrier.flights_with_late_aircraft_delay,
        by_carrier.meets_min_sample

    from by_carrier
    left join carriers
        on by_carrier.carrier = carriers.carrier

)

select * from final
