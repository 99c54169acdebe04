with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

final as (

    select
        {{ airport_columns('origin') }},
        {{ delay_measures() }}

    from monthly_delays
    where {{ has_known_airports() }}
    group by {{ airport_group_by('origin') }}

)

select * from final
