from __future__ import annotations

import json
import os
import sys
from typing import Any


def _record(event: dict[str, Any]) -> None:
    with open(os.environ["AIRLINE_TEST_GLUE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(event) + "\n")


class Job:
    def __init__(self, glue_context: Any) -> None:
        self.glue_context = glue_context

    def init(self, job_name: str, args: dict[str, str]) -> None:
        package = sys.modules.get("airline_landing")
        _record(
            {
                "event": "init",
                "job_name": job_name,
                "args": args,
                "airline_landing": getattr(package, "__file__", None),
            }
        )

    def commit(self) -> None:
        _record({"event": "commit"})
