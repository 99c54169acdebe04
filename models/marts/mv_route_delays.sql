{#- The delay measures per route: the route query of macros/delay_measures.sql. -#}
with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

final as (

    {{ route_delays('monthly_delays') }}

)

select * from final
