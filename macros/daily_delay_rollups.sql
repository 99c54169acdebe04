{#-
  The rollups of int_flight_delays_daily (int_flight_delays_daily_totals per
  date, int_flight_delays_monthly per month): the dates or months to
  rebuild, as their first days (in a column named flight_date, as the
  per-date hooks read it). The dates or months of the dates
  int_flight_delays_daily rebuilt since this model last built them (a date
  rebuilt, emptied, or summed with another threshold: each rebuilds the
  daily aggregate's date, and so logs it anew), and every one when this
  model's definition version changed. "Since" compares build stamps (dbt's
  run_started_at), so it assumes the clock does not go back between runs,
  as the materialized views' input stamps and the scoped tests' "last
  build" already do.
-#}
{% macro daily_dates_rebuilt_since_last_build() -%}
    {{ rollup_dates_to_rebuild('day') }}
{%- endmacro %}


{% macro months_rebuilt_since_last_build() -%}
    {{ rollup_dates_to_rebuild('month') }}
{%- endmacro %}


{#- `column` as the first day of its `grain` ('day': the date itself; 'month'). -#}
{% macro date_at_grain(column, grain) -%}
    {%- if grain not in ['day', 'month'] -%}
        {{ exceptions.raise_compiler_error("grain must be 'day' or 'month', not " ~ grain) }}
    {%- endif -%}
    {{- "cast(date_trunc('month', " ~ column ~ ") as date)" if grain == 'month' else column -}}
{%- endmacro %}


{% macro rollup_dates_to_rebuild(grain) -%}
    {%- set daily_date = date_at_grain('daily.flight_date', grain) -%}
    {%- if not is_incremental() -%}
    select distinct
        {{ daily_date }} as flight_date
    from {{ ref('int_flight_delays_daily') }} as daily
    {%- else -%}
    select distinct
        {{ daily_date }} as flight_date
    from {{ build_log('flight_date_builds') }} as daily
    left join {{ build_log('flight_date_builds') }} as mine
        on
            mine.model_name = '{{ this.identifier }}'
            and mine.flight_date = {{ daily_date }}
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


{#- `function(column) as column, ...` for each of `columns`. -#}
{% macro aggregated_columns(function, columns) -%}
    {%- for column in columns -%}
        {{ function }}({{ column }}) as {{ column }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#-
  For a test of a rollup: the daily aggregate's flight dates in the dates or
  months (`grain`) `model_name` rebuilt in its last build (every date with
  test_all_dates).
-#}
{% macro flight_dates_rebuilt_by(model_name, grain) -%}
    {%- if test_all_dates() -%}
        (1 = 1)
    {%- elif grain == 'month' -%}
        {{ flight_dates_in_months(rebuilt_dates_sql(model_name), look_up=true) }}
    {%- else -%}
        {{ in_rebuilt_dates(model_name) }}
    {%- endif -%}
{%- endmacro %}
