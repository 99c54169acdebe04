{#-
  Labels the marts show beside codes: carrier names, day names.

  A carrier's name comes from the carriers seed; a code the seed lacks shows
  its code, so a missing name never hides flights.
-#}
{% macro carrier_name(name_column, carrier_column) -%}
    cast(coalesce({{ name_column }}, {{ carrier_column }}) as varchar(256))
{%- endmacro %}


{#- ISO day of the week of a date: 1 = Monday .. 7 = Sunday (portable: dow is 0 = Sunday). -#}
{% macro iso_day_of_week(date_column) -%}
    cast(
        case
            when extract(dow from {{ date_column }}) = 0 then 7
            else extract(dow from {{ date_column }})
        end as integer
    )
{%- endmacro %}


{% macro day_name(iso_day_column) -%}
    cast(
        case {{ iso_day_column }}
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            when 6 then 'Saturday'
            when 7 then 'Sunday'
        end as varchar(9)
    )
{%- endmacro %}
