with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

final as (

    select
        carrier,
        {{ delay_measures() }},
        min(flight_date) as first_flight_date,
        max(flight_date) as last_flight_date

    from enriched_flights
    where has_known_origin and has_known_destination
    group by carrier

)

select * from final
