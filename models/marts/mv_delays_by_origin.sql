with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

final as (

    select
        dep_state,
        dep_city,
        {{ delay_measures() }}

    from enriched_flights
    where has_known_origin and has_known_destination
    group by dep_state, dep_city

)

select * from final
