{#-
  On-time performance by origin airport (the DOT rule, as mv_on_time_by_carrier).
-#}
with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

final as (

    select
        {{ airport_columns('origin') }},
        {{ on_time_breakdown() }}

    from monthly_delays
    where {{ has_known_airports() }}
    group by {{ airport_group_by('origin') }}

)

select * from final
