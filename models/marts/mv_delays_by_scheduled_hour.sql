{#-
  When flights are late: delays by the hour of day they were scheduled to
  leave (local time at the origin), from int_flight_delays_by_hour_daily.
  Only flights whose file gives a scheduled time (BTS `CRSDepTime`).
-#}
with

hourly_delays as (

    select * from {{ ref('int_flight_delays_by_hour_daily') }}

),

final as (

    select
        scheduled_dep_hour,
        cast(sum(flights_scheduled) as bigint) as flights_scheduled,
        cast(sum(flights_cancelled) as bigint) as flights_cancelled,
        cast(sum(flights_operated) as bigint) as flights_operated,
        cast(sum(flights_delayed) as bigint) as flights_delayed,
        {{ percentage('sum(flights_delayed)', 'sum(flights_operated)') }} as delay_rate_pct,
        {{ rounded_ratio('sum(sum_dep_delay)', 'sum(flights_operated)') }} as avg_dep_delay_minutes,
        {{ percentage('sum(flights_on_time)', 'sum(flights_scheduled)') }} as on_time_pct,
        {{ meets_min_sample('sum(flights_operated)') }} as meets_min_sample

    from hourly_delays
    where {{ has_known_airports() }}
    group by scheduled_dep_hour

)

select * from final
