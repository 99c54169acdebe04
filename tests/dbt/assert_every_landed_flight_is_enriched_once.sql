{#-
  Nothing lost, nothing doubled between the landing table and
  int_flights_enriched. Per run on the dates int_flights_enriched rebuilt;
  on every date with test_all_dates.
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

missing as (

    select * from landed
    except
    select * from enriched

),

extra as (

    select * from enriched
    except
    select * from landed

),

doubled as (

    select
        file_version_id,
        source_line_number

    from enriched
    group by file_version_id, source_line_number
    having count(*) > 1

),

final as (

    select
        'missing from int_flights_enriched' as problem,
        file_version_id,
        source_line_number
    from missing
    union all
    select
        'not in raw.flights_landing' as problem,
        file_version_id,
        source_line_number
    from extra
    union all
    select
        'more than once in int_flights_enriched' as problem,
        file_version_id,
        source_line_number
    from doubled

)

select * from final  -- noqa: AM04
