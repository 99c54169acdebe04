{#-
  Column comments (persist_docs) on every relation kind. dbt-postgres looks a
  relation's columns up in information_schema.columns, which lists no
  materialized views, so the marts' column descriptions would be skipped
  silently. On PostgreSQL the columns are read from pg_attribute instead
  (tables, views and materialized views alike); other targets keep the
  adapter's lookup. dbt-redshift's alter_column_comment calls this macro too.
-#}
{% macro postgres__alter_column_comment(relation, column_dict) %}
    {%- if target.type == 'postgres' -%}
        {%- set columns_query -%}
            select attribute.attname
            from pg_catalog.pg_attribute as attribute
            where
                attribute.attrelid = to_regclass('"{{ relation.schema }}"."{{ relation.identifier }}"')
                and attribute.attnum > 0
                and not attribute.attisdropped
        {%- endset -%}
        {%- set existing_columns = run_query(columns_query).columns[0].values() | list -%}
    {%- else -%}
        {%- set existing_columns = adapter.get_columns_in_relation(relation) | map(attribute="name") | list -%}
    {%- endif -%}
    {%- for column_name in column_dict if (column_name in existing_columns) %}
        {%- set comment = column_dict[column_name]['description'] %}
    comment on column {{ relation }}.{{ adapter.quote(column_name) if column_dict[column_name]['quote'] else column_name }} is {{ postgres_escape_comment(comment) }};
    {%- endfor %}
{% endmacro %}
