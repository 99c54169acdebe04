"""Landing of raw flight files into the warehouse staging table (raw.flights_landing).

The same code runs in AWS Glue (Spark 3.5) and locally (pyspark, local mode).
"""
