"""Test-only stand-in for AWS Glue's `awsglue` library (not installable outside Glue).

It does what the landing job asks of it and no more: getResolvedOptions parses argv as Glue's
does, GlueContext wraps the SparkContext, Job.init/commit are recorded in the JSON file named by
AIRLINE_TEST_GLUE_LOG, together with where the `airline_landing` package was imported from.
"""
