{#-
  The materialized-view materialization's choice of what to do, overriding
  dbt's `materialized_view_get_build_sql` (global project) in two ways:

  * A changed definition is applied on a plain build. dbt only refreshes an
    existing materialized view whose SQL changed (dbt-core#8862), so a new
    version of a mart would never reach an existing warehouse. The md5 of the
    compiled SQL is kept in the build log (relation_definitions); when it
    differs, or was never recorded (a warehouse built before this log), the
    view is dropped and created again. The same on PostgreSQL and Redshift.
  * Nothing changed, nothing to do: when the view's inputs are as they were at
    its last refresh (the per-date models rebuilt no date, no file version
    landed), the refresh is skipped.
-#}
{% macro materialized_view_get_build_sql(
    existing_relation, target_relation, backup_relation, intermediate_relation
) %}

    {%- set definition_md5 = local_md5(sql) -%}
    {%- set input_stamp = materialized_view_input_stamp() -%}
    {%- set recorded = materialized_view_recorded(target_relation) -%}

    {%- if existing_relation is none -%}
        {%- set build_sql = get_create_materialized_view_as_sql(target_relation, sql) -%}
    {%- elif should_full_refresh()
        or not existing_relation.is_materialized_view
        or recorded is none
        or recorded[0] != definition_md5
        or get_materialized_view_configuration_changes(existing_relation, config) is not none -%}
        {{- log('Replacing ' ~ target_relation ~ ': definition changed, never recorded or full refresh') -}}
        {%- set build_sql = get_replace_sql(existing_relation, target_relation, sql) -%}
    {%- elif recorded[1] == input_stamp -%}
        {{- log('Skipping the refresh of ' ~ target_relation ~ ': its inputs did not change') -}}
        {%- do return('') -%}
    {%- else -%}
        {%- set build_sql = refresh_materialized_view(target_relation) -%}
    {%- endif -%}

    {%- set record_sql -%}
        delete from {{ build_log('relation_definitions') }}
        where relation_name = '{{ target_relation.identifier }}';
        insert into {{ build_log('relation_definitions') }}
            (relation_name, definition_md5, input_stamp, built_at)
        values (
            '{{ target_relation.identifier }}',
            '{{ definition_md5 }}',
            '{{ input_stamp }}',
            {{ build_stamp() }}
        )
    {%- endset -%}

    {%- do return(build_sql ~ ';\n' ~ record_sql) -%}

{% endmacro %}


{#- The recorded (definition_md5, input_stamp) of a view, or none. -#}
{% macro materialized_view_recorded(relation) %}
    {%- set query -%}
        select definition_md5, input_stamp
        from {{ build_log('relation_definitions') }}
        where relation_name = '{{ relation.identifier }}'
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {{- return((rows[0][0], rows[0][1]) if rows | length > 0 else none) -}}
{% endmacro %}


{#-
  What the view's inputs look like now, as one string: for each per-date model
  it reads, when that model last rebuilt a date (from the build log); for the
  raw tables (read directly, or through an ephemeral staging model, which
  dbt writes into the view as a CTE over them), the newest file version; for a seed (the carriers), the hash of
  its file, which dbt loads into the table in the same build. Any other input
  (another model, a seed too large for dbt to hash) makes the stamp unique to
  this run, so the view is refreshed.
-#}
{% macro materialized_view_input_stamp() %}
    {%- set parts = [] -%}
    {%- for node_id in model.depends_on.nodes | sort -%}
        {%- set node = graph.nodes.get(node_id) or graph.sources.get(node_id) -%}
        {%- if node_id.startswith('source.')
            or (node.config.materialized == 'ephemeral' and 'staging' in node.fqn) -%}
            {%- do parts.append(
                "(select coalesce(cast(max(file_version_id) as varchar(30)), '-')"
                ~ ' from "raw".landed_files)'
            ) -%}
        {%- elif node.name in per_date_models() -%}
            {%- do parts.append(
                "(select coalesce(cast(max(built_at) as varchar(30)), '-') from "
                ~ build_log('flight_date_builds') ~ " where model_name = '" ~ node.name ~ "')"
            ) -%}
        {%- elif node.resource_type == 'seed' and node.checksum.name == 'sha256' -%}
            {%- do parts.append("'" ~ node.name ~ ':' ~ node.checksum.checksum[:16] ~ "'") -%}
        {%- else -%}
            {%- do parts.append("'" ~ invocation_id ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if parts | length == 0 -%}
        {{- return(invocation_id) -}}
    {%- endif -%}
    {%- set rows = run_query('select ' ~ (parts | join(" || '|' || ")) ~ ' as input_stamp').rows -%}
    {{- return(rows[0][0]) -}}
{% endmacro %}
