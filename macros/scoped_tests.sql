{#-
  Data tests on the large per-date models test the dates the model's last
  build rebuilt (from the build log); tests on stg_raw__flights, the view over
  every landed flight, test the file versions landed since the last build of
  int_flights_enriched (see staged_flights_to_test). So a run's tests cost
  what the run changed, not the history. The whole tables are tested when the var
  `test_all_dates` is true (`--vars '{test_all_dates: true}'`, or
  AIRLINE_ELT_TEST_ALL_DATES=true: nightly, and in CI).

  `get_where_subquery` is dbt's hook for a generic test's `where` config
  (global project); overriding it scopes every generic test on those models.
  Singular tests call `in_rebuilt_dates` themselves.
-#}
{#-
  Per-date model -> the column its dates are in (meta `date_column`), for the
  models per_date_model_config() marks (meta `per_date`): their tests look at
  the dates of their last build. Read from the graph (empty while dbt parses;
  the tests are compiled after).
-#}
{% macro per_date_models() -%}
    {%- set models = {} -%}
    {%- for node in (graph.get('nodes') or {}).values() if node.resource_type == 'model' -%}
        {%- if node.config.meta.get('per_date') -%}
            {%- set date_column = node.config.meta.get('date_column', 'flight_date') -%}
            {%- do models.update({node.name: date_column}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}


{% macro test_all_dates() -%}
    {{ return((var('test_all_dates') | string | lower) in ['true', '1', 'yes']) }}
{%- endmacro %}


{#- A condition on `column`: the dates `model_name` rebuilt in its last build (or true). -#}
{% macro in_rebuilt_dates(model_name, column='flight_date') -%}
    {%- if test_all_dates() -%}
        (1 = 1)
    {%- elif execute -%}
        {{ looked_up_dates_in(rebuilt_dates_sql(model_name), column) }}
    {%- else -%}
        {{ column }} in ({{ rebuilt_dates_sql(model_name) }})
    {%- endif -%}
{%- endmacro %}


{% macro rebuilt_dates_sql(model_name) -%}
            select builds.flight_date
            from {{ build_log('flight_date_builds') }} as builds
            where
                builds.model_name = '{{ model_name }}'
                and builds.built_at = (
                    select max(latest.built_at)
                    from {{ build_log('flight_date_builds') }} as latest
                    where latest.model_name = '{{ model_name }}'
                )
{%- endmacro %}


{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set identifier = relation.identifier if relation.identifier is defined else none -%}
    {%- set conditions = [] -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if identifier in per_date_models() and not test_all_dates() -%}
        {%- do conditions.append(in_rebuilt_dates(identifier, per_date_models()[identifier])) -%}
    {%- elif identifier == 'stg_raw__flights' and not test_all_dates() -%}
        {%- do conditions.append(staged_flights_to_test()) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ (conditions | join(' and ')) ~ ') as dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#-
  stg_raw__flights' tests run in `dbt build` before int_flights_enriched is
  built, so "the dates its last build rebuilt" would be the previous run's
  (a whole year after a backfill). They test the landed file versions that
  int_flights_enriched has not taken in yet, by the file_version_id index;
  when there are none (a `dbt test` after the build), the dates
  int_flights_enriched rebuilt last.
-#}
{% macro staged_flights_to_test() -%}
    {%- set pending_sql -%}
        select landed_files.file_version_id
        from {{ model_relation('stg_raw__landed_files') }} as landed_files
        where
            landed_files.file_status = 'landed'
            and landed_files.rows_landed > 0
            and not exists (
                select 1
                from {{ build_log('flight_date_file_versions') }} as built
                where built.file_version_id = landed_files.file_version_id
            )
    {%- endset -%}
    {%- if not execute -%}
        (file_version_id in ({{ pending_sql }}))
    {%- else -%}
        {%- set pending = run_query(pending_sql).columns[0].values() | sort -%}
        {%- if pending | length > 0 -%}
            (file_version_id in ({{ pending | join(', ') }}))
        {%- else -%}
            {{ in_rebuilt_dates('int_flights_enriched') }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
  A model's relation, looked up in the graph: for SQL a test's where clause
  runs (get_where_subquery), which cannot ref() a model the test does not
  depend on (dbt resolves a test's refs when it parses it, before the where
  clause names the model). Only sources' staging views are read this way;
  while dbt parses (no graph), the name stands in (nothing runs then).
-#}
{% macro model_relation(model_name) -%}
    {%- set node = (graph.get('nodes') or {}).get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {{ return(node.relation_name if node else model_name) }}
{%- endmacro %}
