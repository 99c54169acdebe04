{#-
  Pearson correlation of departure and arrival delay, per carrier and over all
  carriers (carrier = 'ALL'), from the exact sums of int_flight_delays_daily
  (see delay_correlation_measures in macros/delay_measures.sql).
-#}
with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

known_airports as (

    select *
    from daily_delays
    where has_known_origin and has_known_destination

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

final as (

    select * from by_carrier
    union all
    select * from overall

)

select * from final
