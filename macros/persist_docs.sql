{#-
  persist_docs on PostgreSQL for every relation kind. dbt's default looks a
  relation's columns up in information_schema.columns, which lists no
  materialized views, so the marts' column descriptions were dropped (with a
  warning that the columns are "not present in the database"). Here the
  columns are read from pg_attribute (tables, views and materialized views
  alike) and commented here (the adapter's alter_column_comment filters by
  information_schema again); the rest is dbt's default__persist_docs.
  Redshift keeps its adapter's own macro.
-#}
{% macro postgres__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- if for_relation and config.persist_relation_docs() and model.description -%}
        {%- do run_query(alter_relation_comment(relation, model.description)) -%}
    {%- endif -%}
    {%- if for_columns and config.persist_column_docs() and model.columns -%}
        {%- set columns_query -%}
            select attribute.attname
            from pg_catalog.pg_attribute as attribute
            where
                attribute.attrelid = to_regclass('"{{ relation.schema }}"."{{ relation.identifier }}"')
                and attribute.attnum > 0
                and not attribute.attisdropped
        {%- endset -%}
        {%- set existing_columns = run_query(columns_query).columns[0].values() | list -%}
        {%- set documented = validate_doc_columns(relation, model.columns, existing_columns) -%}
        {%- set statements = [] -%}
        {%- for column_name, column in documented.items() -%}
            {%- do statements.append(
                'comment on column ' ~ relation ~ '.'
                ~ (adapter.quote(column_name) if column['quote'] else column_name)
                ~ ' is ' ~ postgres_escape_comment(column['description'])
            ) -%}
        {%- endfor -%}
        {%- if statements -%}
            {%- do run_query(statements | join(';\n')) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
