{#- The delay measures per route: the route query of macros/delay_measures.sql. -#}
with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

final as (

    {{ route_delays('daily_delays') }}

)

select * from final
