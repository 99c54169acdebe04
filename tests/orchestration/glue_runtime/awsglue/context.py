from __future__ import annotations

from pyspark.sql import SparkSession


class GlueContext:
    def __init__(self, spark_context):  # type: ignore[no-untyped-def]
        self.spark_context = spark_context
        self.spark_session = SparkSession(spark_context)
