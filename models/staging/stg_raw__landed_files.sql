with

source as (

    select * from {{ source('raw', 'landed_files') }}

),

renamed as (

    select
        file_version_id,
        file_key,
        content_sha256,
        file_bytes,
        rows_read,
        rows_landed,
        rows_rejected,
        status as file_status,
        error_text,
        replaces_file_version_id,
        run_id,
        landed_at

    from source

)

select * from renamed
