with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

final as (

    select
        flight_date,
        {{ delay_measures() }}

    from enriched_flights
    where has_known_origin and has_known_destination
    group by flight_date

)

select * from final
