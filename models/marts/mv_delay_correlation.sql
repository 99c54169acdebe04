{#-
  Pearson correlation of departure and arrival delay, per carrier and over all
  carriers (carrier = 'ALL'), from the exact sums of int_flight_delays_monthly
  (see delay_correlation_measures in macros/delay_measures.sql). Like a
  carrier, the ALL row is there only when some flight has both delays: on an
  empty warehouse the mart is empty (no row of nulls).
-#}
with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

carriers as (

    select * from {{ ref('carriers') }}

),

known_airports as (

    select *
    from monthly_delays
    where {{ has_known_airports() }}

),

by_carrier as (

    select
        carrier,
        {{ delay_correlation_measures() }}

    from known_airports
    group by carrier
    having sum(paired_flights) > 0

),

overall as (

    select
        cast('ALL' as varchar(10)) as carrier,
        {{ delay_correlation_measures() }}

    from known_airports

),

named_carriers as (

    select
        by_carrier.carrier,
        {{ carrier_name('carriers.carrier_name', 'by_carrier.carrier') }} as carrier_name,
        by_carrier.flights_operated,
        by_carrier.avg_dep_delay_minutes,
        by_carrier.avg_arr_delay_minutes,
        by_carrier.dep_arr_delay_correlation,
        by_carrier.meets_min_sample

    from by_carrier
    left join carriers
        on by_carrier.carrier = carriers.carrier

),

all_carriers as (

    select
        carrier,
        cast('All carriers' as varchar(256)) as carrier_name,
        flights_operated,
        avg_dep_delay_minutes,
        avg_arr_delay_minutes,
        dep_arr_delay_correlation,
        meets_min_sample

    from overall
    where flights_operated > 0

),

final as (

    select * from named_carriers
    union all
    select * from all_carriers

)

select * from final
