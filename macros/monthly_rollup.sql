{#-
  int_flight_delays_monthly's months to rebuild, as their first days (in a
  column named flight_date, as the per-date hooks read it): the months of the
  dates int_flight_delays_daily rebuilt since this model last built the
  month (a date rebuilt, emptied, or summed with another threshold: each
  rebuilds the daily aggregate's date, and so logs it anew), and every month
  when this model's definition version changed. "Since" compares build
  stamps (dbt's run_started_at), so it assumes the clock does not go back
  between runs, as the materialized views' input stamps and the scoped
  tests' "last build" already do.
-#}
{% macro months_rebuilt_since_last_build() -%}
    {%- if not is_incremental() -%}
    select distinct cast(date_trunc('month', flight_date) as date) as flight_date
    from {{ ref('int_flight_delays_daily') }}
    {%- else -%}
    select distinct cast(date_trunc('month', daily.flight_date) as date) as flight_date
    from {{ build_log('flight_date_builds') }} as daily
    left join {{ build_log('flight_date_builds') }} as mine
        on
            mine.model_name = '{{ this.identifier }}'
            and mine.flight_date = cast(date_trunc('month', daily.flight_date) as date)
    where
        daily.model_name = 'int_flight_delays_daily'
        {%- if not rebuild_all_flight_dates() %}
        and (mine.flight_date is null or daily.built_at > mine.built_at)
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#-
  The condition "flight_date is in one of these months" (`months_sql`: their
  first days). In an incremental run (or with `look_up`: a test) the months
  are looked up first and written out as date ranges, which PostgreSQL reads
  by the flight_date index.
-#}
{% macro flight_dates_in_months(months_sql, look_up=none) -%}
    {%- set look_up = is_incremental() if look_up is none else look_up -%}
    {%- if execute and look_up -%}
        {{ looked_up_months_in(months_sql) }}
    {%- else -%}
        cast(date_trunc('month', flight_date) as date) in ({{ months_sql }})
    {%- endif -%}
{%- endmacro %}


{#-
  Run `months_sql` now and write its months out as flight_date ranges, each
  up to the next month's first day computed here (exact on both engines;
  Redshift's month intervals are not PostgreSQL's).
-#}
{% macro looked_up_months_in(months_sql) -%}
    {%- set months = run_query(months_sql).columns[0].values() | sort -%}
    {%- if months | length == 0 -%}
        (1 = 0)
    {%- else -%}
        (
        {%- for month in months -%}
            {%- set next_month = modules.datetime.date(
                month.year + (1 if month.month == 12 else 0), month.month % 12 + 1, 1
            ) -%}
            {{ ' or ' if not loop.first }}(
            flight_date >= cast('{{ month }}' as date)
            and flight_date < cast('{{ next_month }}' as date)
            )
        {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}
