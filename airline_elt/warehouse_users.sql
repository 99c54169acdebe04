-- Warehouse users by job (DESIGN.md, "Least privilege inside the warehouse too"), the same SQL
-- on the local PostgreSQL (`airline-elt warehouse start` runs it) and on Redshift (an admin runs
-- it once: orchestration/DEPLOY.md, "Warehouse users"). Every statement may run again.
--
--   airline_elt_landing  owns raw: creates, alters and writes the raw tables, nothing else
--   airline_elt_dbt      reads raw (never writes it); creates and owns staging, intermediate
--                        and airlines, the schemas dbt builds
--   airline_elt_reader   reads airlines (analysts, BI tools): no write, no raw
--
-- The users are created before this runs, each with its own password (airline_elt/
-- warehouse_users.py locally; DEPLOY.md on Redshift): passwords are no part of this file.
-- {{ database }} is the database's name, as a quoted identifier.

create schema if not exists "raw" authorization airline_elt_landing;
alter schema "raw" owner to airline_elt_landing;

grant create on database {{ database }} to airline_elt_dbt;
create schema if not exists airlines authorization airline_elt_dbt;
alter schema airlines owner to airline_elt_dbt;

grant usage on schema "raw" to airline_elt_dbt;
grant select on all tables in schema "raw" to airline_elt_dbt;
alter default privileges for user airline_elt_landing in schema "raw"
grant select on tables to airline_elt_dbt;

grant usage on schema airlines to airline_elt_reader;
grant select on all tables in schema airlines to airline_elt_reader;
alter default privileges for user airline_elt_dbt in schema airlines
grant select on tables to airline_elt_reader;
