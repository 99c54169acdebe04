"""airline_fetch: downloads BTS on-time months and lookups for `airline-elt fetch`.

Its network layer (http.py, tls.py and their helpers) uses the standard library and certifi
only, so the same code runs locally and inside an AWS Lambda function.
"""
