{#-
  For a test comparing two sets of rows (CTEs or relations with the same
  columns): a row per difference, `problem` first, then the row's columns:
  `missing_problem` for a row of `expected` that `actual` lacks,
  `extra_problem` for a row of `actual` that `expected` lacks.
-#}
{% macro rows_missing_and_extra(expected, actual, missing_problem, extra_problem) -%}
    select
        '{{ missing_problem }}' as problem,
        missing.*
    from (
        select * from {{ expected }}
        except
        select * from {{ actual }}
    ) as missing
    union all
    select
        '{{ extra_problem }}' as problem,
        extra.*
    from (
        select * from {{ actual }}
        except
        select * from {{ expected }}
    ) as extra
{%- endmacro %}
