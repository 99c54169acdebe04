"""`dbt` as the local warehouse runs it: dbt's own command line (the `dbt` executable's entry
point), with dbt's PostgreSQL sessions kept between nodes (airline_elt/dbt_sessions.py).
`airline-elt dbt ...` and the tests' `run_dbt` run dbt through it (a run's, a watch's and
`transform`'s dbt is the kept process of airline_elt/dbt_worker.py, which keeps its sessions
the same way): `python -P -m airline_elt.dbt_cli <dbt arguments>`."""

from __future__ import annotations

import sys

from airline_elt.dbt_sessions import keep_sessions_between_nodes


def main() -> None:
    keep_sessions_between_nodes()
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
