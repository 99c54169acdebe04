"""Where things live: the dbt project and the local state folder ($AIRLINE_ELT_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "AIRLINE_ELT_HOME"
PROJECT_ENV = "AIRLINE_ELT_PROJECT_DIR"


def project_dir() -> Path:
    """The dbt project: $AIRLINE_ELT_PROJECT_DIR, else the checkout this package sits in."""
    configured = os.environ.get(PROJECT_ENV)
    candidate = Path(configured) if configured else Path(__file__).resolve().parent.parent
    if not (candidate / "dbt_project.yml").is_file():
        raise FileNotFoundError(
            f"no dbt_project.yml in {candidate}: run from a checkout of the repository "
            f"or set {PROJECT_ENV} to one"
        )
    return candidate


def state_home() -> Path:
    """The folder holding the warehouse data, logs and the notification outbox.

    $AIRLINE_ELT_HOME when set, else `.airline-elt/` in the checkout (git-ignored),
    so two users or two test runs never share one by accident.
    """
    configured = os.environ.get(HOME_ENV)
    home = Path(configured) if configured else project_dir() / ".airline-elt"
    home = home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home
