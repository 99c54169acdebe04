{#-
  Pearson correlation of departure and arrival delay, per carrier and over all
  carriers (carrier = 'ALL'). Redshift has no corr(), so it is computed from
  portable aggregates, in double precision:
    r = (avg(x*y) - avg(x)*avg(y)) / (stddev_pop(x) * stddev_pop(y))
-#}
with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

operated_flights as (

    select
        carrier,
        cast(dep_delay as double precision) as dep_delay,
        cast(arr_delay as double precision) as arr_delay

    from enriched_flights
    where
        has_known_origin
        and has_known_destination
        and dep_delay is not null
        and arr_delay is not null

),

by_carrier as (

    select
        carrier,
        {{ delay_correlation_measures() }}

    from operated_flights
    group by carrier

),

overall as (

    select
        cast('ALL' as varchar(10)) as carrier,
        {{ delay_correlation_measures() }}

    from operated_flights

),

final as (

    select * from by_carrier
    union all
    select * from overall

)

select * from final
