"""What a rejected row's raw line becomes when it does not fit the warehouse column.

On Redshift `raw.flights_rejected.raw_line` is varchar(65535): at most 65,535 *bytes*, and a
longer value fails the whole COPY (there is no TRUNCATECOLUMNS, on purpose: that would cut
silently). So a line over the limit keeps its first KEEP_CHARS characters (at most 4 bytes
each in UTF-8, so at most 64,000 bytes) and gets a marker saying how long it was. The row stays
one rejected row with its reason code: the counts do not change, only the text is shortened,
visibly. The same rule applies on PostgreSQL (a text column has no such limit), so a local run
shows what Redshift will hold.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

RAW_LINE_MAX_BYTES = 65535
KEEP_CHARS = 16000
MARKER = " [truncated: the line was {} bytes]"


def fit_raw_line(line: Column) -> Column:
    """The rule as a Spark column expression."""
    size = F.octet_length(line)
    marker = F.concat(
        F.lit(MARKER.split("{}")[0]), size.cast("string"), F.lit(MARKER.split("{}")[1])
    )
    shortened = F.concat(F.substring(line, 1, KEEP_CHARS), marker)
    return F.when(size > RAW_LINE_MAX_BYTES, shortened).otherwise(line)
