{#-
  int_flight_delays_monthly holds, for every month it rebuilt, exactly the
  sums of int_flight_delays_daily over that month: no month left stale by an
  incremental run, no group lost or invented. Per run on the months it
  rebuilt; on every month with test_all_dates.
-#}
with

daily_delays as (

    select * from {{ ref('int_flight_delays_daily') }}

),

monthly_delays as (

    select * from {{ ref('int_flight_delays_monthly') }}
    where {{ in_rebuilt_dates('int_flight_delays_monthly', 'flight_month') }}

),

expected as (

    select
        cast(date_trunc('month', flight_date) as date) as flight_month,
        carrier,
        origin_airport_id,
        dest_airport_id,
        cast(sum(flights_scheduled) as bigint) as flights_scheduled,
        cast(sum(flights_delayed) as bigint) as flights_delayed,
        sum(sum_dep_delay) as sum_dep_delay,
        max(max_dep_delay) as max_dep_delay

    from daily_delays
    where
        {{ test_all_dates() }}
        or {{ flight_dates_in_months(
            rebuilt_dates_sql('int_flight_delays_monthly'), look_up=true
        ) }}
    group by
        cast(date_trunc('month', flight_date) as date),
        carrier,
        origin_airport_id,
        dest_airport_id

),

actual as (

    select
        flight_month,
        carrier,
        origin_airport_id,
        dest_airport_id,
        flights_scheduled,
        flights_delayed,
        sum_dep_delay,
        max_dep_delay

    from monthly_delays

),

missing as (

    select * from expected
    except
    select * from actual

),

extra as (

    select * from actual
    except
    select * from expected

),

final as (

    select
        'missing from int_flight_delays_monthly' as problem,
        *
    from missing
    union all
    select
        'stale or extra in int_flight_delays_monthly' as problem,
        *
    from extra

)

select * from final  -- noqa: AM04
