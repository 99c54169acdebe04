{#-
  Why flights leaving each airport were late: delay minutes by cause and
  each cause's share, the flights delayed by each cause, over the flights with cause data (as
  mv_delay_causes_by_carrier). Airports without any are left out.
-#}
with

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}

),

final as (

    select
        {{ airport_columns('origin') }},
        cast(sum(flights_scheduled) as bigint) as flights_scheduled,
        {{ cause_measures() }}

    from monthly_delays
    where {{ has_known_airports() }}
    group by {{ airport_group_by('origin') }}
    having sum(flights_with_causes) > 0

)

select * from final
