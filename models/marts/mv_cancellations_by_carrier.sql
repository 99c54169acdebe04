{#-
  What got cancelled, and why: each airline's cancelled flights by BTS
  cancellation code (A carrier, B weather, C National Aviation System, D
  security; no code: 'not given', e.g. the daily files, which have no
  reason), as a share of the airline's scheduled flights. The counts per code
  are columns of int_flight_delays_monthly (cancellation_reason in
  macros/delay_rules.sql decides them); here they become one row per reason.
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
        cast(sum(flights_cancelled_code_a) as bigint) as flights_cancelled_code_a,
        cast(sum(flights_cancelled_code_b) as bigint) as flights_cancelled_code_b,
        cast(sum(flights_cancelled_code_c) as bigint) as flights_cancelled_code_c,
        cast(sum(flights_cancelled_code_d) as bigint) as flights_cancelled_code_d,
        cast(sum(flights_cancelled_no_code) as bigint) as flights_cancelled_no_code

    from monthly_delays
    where {{ has_known_airports() }}
    group by carrier

),

by_reason as (

    select
        carrier,
        flights_scheduled,
        cast('A' as varchar(1)) as cancellation_code,
        flights_cancelled_code_a as flights_cancelled
    from by_carrier
    union all
    select
        carrier,
        flights_scheduled,
        cast('B' as varchar(1)) as cancellation_code,
        flights_cancelled_code_b as flights_cancelled
    from by_carrier
    union all
    select
        carrier,
        flights_scheduled,
        cast('C' as varchar(1)) as cancellation_code,
        flights_cancelled_code_c as flights_cancelled
    from by_carrier
    union all
    select
        carrier,
        flights_scheduled,
        cast('D' as varchar(1)) as cancellation_code,
        flights_cancelled_code_d as flights_cancelled
    from by_carrier
    union all
    select
        carrier,
        flights_scheduled,
        cast(null as varchar(1)) as cancellation_code,
        flights_cancelled_no_code as flights_cancelled
    from by_carrier

),

final as (

    select
        by_reason.carrier,
        {{ carrier_name('carriers.carrier_name', 'by_reason.carrier') }} as carrier_name,
        by_reason.cancellation_code,
        {{ cancellation_reason('by_reason.cancellation_code') }} as cancellation_reason,
        by_reason.flights_scheduled,
        by_reason.flights_cancelled,
        {{ percentage('by_reason.flights_cancelled', 'by_reason.flights_scheduled') }}
            as cancelled_pct,
        {{ meets_min_sample('by_reason.flights_scheduled') }} as meets_min_sample

    from by_reason
    left join carriers
        on by_reason.carrier = carriers.carrier
    where by_reason.flights_cancelled > 0

)

select * from final
