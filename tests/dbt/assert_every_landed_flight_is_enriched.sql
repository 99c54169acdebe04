{#-
  Nothing lost between the landing table and int_flights_enriched, nothing
  there that was not landed. Per run on the dates int_flights_enriched
  rebuilt; on every date with test_all_dates. Nothing doubled is the
  model's unique_combination_of_columns test on (file_version_id,
  source_line_number), scoped to the same dates (a second GROUP BY of the
  same rows here cost a 7.3 M-flight backfill 21 s: docs/performance.md).
-#}
with

landed as (

    select
        file_version_id,
        source_line_number

    from {{ ref('stg_raw__flights') }}
    where {{ in_rebuilt_dates('int_flights_enriched') }}

),

enriched as (

    select
        file_version_id,
        source_line_number

    from {{ ref('int_flights_enriched') }}
    where {{ in_rebuilt_dates('int_flights_enriched') }}

),

final as (

    {{ rows_missing_and_extra(
        'landed', 'enriched', 'missing from int_flights_enriched', 'not in raw.flights_landing'
    ) }}

)

select * from final  -- noqa: AM04
