"""airline_fetch runs inside an AWS Lambda function too: its modules import the standard
library, certifi and the landing's column rule (airline_landing.columns, itself standard
library only), nothing else (no psycopg, pyspark, rich, boto3)."""

from __future__ import annotations

import json
import subprocess
import sys

ALLOWED = {"airline_fetch", "airline_landing", "certifi"}


def test_airline_fetch_imports_only_the_standard_library_and_certifi() -> None:
    probe = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import airline_fetch.fetch, airline_fetch.lookups, airline_fetch.stores, "
        "airline_fetch.months, airline_fetch.bts_zip\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    imported = set(json.loads(result.stdout))
    foreign = sorted(name for name in imported - ALLOWED
                     if name not in sys.stdlib_module_names and not name.startswith("_"))
    assert foreign == []
    assert "airline_fetch" in imported
