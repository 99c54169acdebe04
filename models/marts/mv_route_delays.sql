with

enriched_flights as (

    select * from {{ ref('int_flights_enriched') }}

),

final as (

    select
        origin_airport_id,
        dest_airport_id,
        dep_airport,
        arr_airport,
        dep_city,
        arr_city,
        dep_state,
        arr_state,
        {{ delay_measures() }}

    from enriched_flights
    where has_known_origin and has_known_destination
    group by
        origin_airport_id,
        dest_airport_id,
        dep_airport,
        arr_airport,
        dep_city,
        arr_city,
        dep_state,
        arr_state

)

select * from final
