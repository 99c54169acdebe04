"""The docs site is written for analysts: it opens on the overview (what delayed means, which
table for which question), describes the fact and every mart, names the delay report's
inputs (an exposure), keeps internal folders out of its project tree, and works in a browser
with no network. The descriptions are in the database too (persist_docs), for psql and BI
tools."""

from __future__ import annotations

import json
import threading

import pytest
from generated_flights import land_by_day, make_flights
from mart_reference import MART_KEYS
from offline_browser import opened

from airline_elt.docs import docs_site_dir, make_server
from airline_elt.seeds import install_carriers

REPORT_INPUTS = {"mv_daily_delay_trend", "mv_carrier_delays", "mv_delay_prone_routes",
                 "mv_route_delays", "mv_delays_by_origin_state", "mv_delay_correlation",
                 "mv_on_time_by_carrier", "mv_delay_causes_by_carrier",
                 "mv_delay_causes_by_origin_airport", "mv_delays_by_scheduled_hour",
                 "mv_cancellations_by_carrier"}


@pytest.fixture(scope="module")
def site(dbt_project, tmp_path_factory) -> tuple:
    # A carriers list of the warehouse's own: its seeds are read from the state folder.
    own = tmp_path_factory.mktemp("carriers") / "carriers.csv"
    own.write_text("carrier,carrier_name\nAA,American\n", encoding="utf-8")
    install_carriers(own, dbt_project.home)
    land_by_day(dbt_project, make_flights(200, seed=21))
    dbt_project.run("build")
    dbt_project.run("docs", "generate")
    folder = docs_site_dir(dbt_project.home)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return dbt_project, folder, manifest


def test_the_overview_starts_with_the_answers(site):
    _, _, manifest = site
    overview = manifest["docs"]["doc.airline_elt.__overview__"]["block_contents"]
    for words in ("more than 60 minutes", "delay_threshold_minutes", "On time",
                  "Which table for which question", "mv_delay_prone_routes", "```sql",
                  "How fresh the data is", "airline-elt report"):
        assert words in overview, words
    # Every mart is named in the overview's table.
    assert not [mart for mart in MART_KEYS if mart not in overview]


def test_the_fact_and_marts_are_described_for_analysts_first(site):
    _, _, manifest = site
    nodes = manifest["nodes"]
    fact = nodes["model.airline_elt.daily_flights_fact"]["description"]
    assert fact.startswith("**The delayed flights**")
    assert "more than 60 minutes" in fact
    assert fact.index("For engineers") > fact.index("delayed")
    for mart in MART_KEYS:
        node = nodes[f"model.airline_elt.{mart}"]
        assert "For engineers" in node["description"], mart
        assert node["description"].index("For engineers") > 100, mart
        missing = [name for name, column in node["columns"].items() if not column["description"]]
        assert not missing, (mart, missing)


def test_the_fact_says_the_threshold_in_use(site):
    """A doc block cannot read a var; the fact's description does: docs generated with
    another threshold say it."""
    project, folder, _ = site
    project.run("docs", "generate", "--vars", "{delay_threshold_minutes: 90}")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    fact = manifest["nodes"]["model.airline_elt.daily_flights_fact"]["description"]
    assert "more than 90 minutes late" in fact
    project.run("docs", "generate")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    fact = manifest["nodes"]["model.airline_elt.daily_flights_fact"]["description"]
    assert "more than 60 minutes late" in fact


def test_the_report_is_an_exposure_of_the_marts_it_reads(site):
    _, _, manifest = site
    exposure = manifest["exposures"]["exposure.airline_elt.delay_report"]
    depends = {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    assert depends >= REPORT_INPUTS


def test_internal_folders_are_out_of_the_project_tree(site):
    _, _, manifest = site
    shown = [
        item["original_file_path"]
        for section in ("nodes", "macros", "sources", "exposures")
        for item in manifest[section].values()
        if item.get("package_name") == "airline_elt"
        and (item.get("docs") or item.get("config", {}).get("docs") or {}).get("show", True)
        # Tests sit in the lineage graph, on-run-start hooks nowhere in the tree.
        and item.get("resource_type") not in ("test", "unit_test", "operation")
    ]
    top_folders = {path.split("/", 1)[0] for path in shown}
    assert top_folders <= {"models", "seeds"}, top_folders
    # Every macro of the project is hidden (macros/_macros.yml lists each one).
    shown_macros = [key for key, macro in manifest["macros"].items()
                    if macro["package_name"] == "airline_elt" and macro["docs"]["show"]]
    assert not shown_macros


def test_descriptions_are_in_the_database(site):
    project, _, _ = site
    (fact,), = project.query(
        "select obj_description('airlines.daily_flights_fact'::regclass, 'pg_class')"
    )
    assert fact.startswith("**The delayed flights**") and "{{" not in fact
    for mart in MART_KEYS:
        (comment,), = project.query(
            f"select obj_description('airlines.{mart}'::regclass, 'pg_class')"
        )
        assert comment and "For engineers" in comment, mart
    comments = dict(project.query(
        "select attname, col_description(attrelid, attnum) from pg_attribute"
        " where attrelid = 'airlines.mv_carrier_delays'::regclass and attnum > 0"
    ))
    assert not [name for name, comment in comments.items() if not comment]
    assert comments["delay_rate_pct"].startswith("Percentage of the flights that took off")
    (dep_city,), = project.query(
        "select col_description('airlines.daily_flights_fact'::regclass, attnum)"
        " from pg_attribute where attrelid = 'airlines.daily_flights_fact'::regclass"
        " and attname = 'dep_city'"
    )
    assert dep_city.startswith("City of the origin airport")


def test_the_site_works_in_a_browser_with_no_network(site, browser) -> None:
    """Served from localhost, every other request aborted: the page renders the overview and
    the marts' names from its own manifest and catalog, and asks no other host for anything."""
    _, folder, _ = site
    server = make_server(folder, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with opened(browser, f"{origin}index.html#!/overview",
                    allowed=lambda url: url.startswith(origin)) as seen:
            seen.page.get_by_text("where to find the answers").first.wait_for()
            seen.page.get_by_text("mv_delay_prone_routes").first.wait_for(state="attached")
            requests = list(seen.requests)
    finally:
        server.shutdown()
    assert requests == []


def test_the_docs_project_tree_has_no_state_folder_seeds(site):
    """A warehouse with its own airports or carriers list reads its seeds from the state
    folder; the docs still show them under seeds/, where the project keeps them."""
    project, _, manifest = site
    assert project.query("select carrier_name from airlines.carriers") == [("American",)]
    seeds = [node["original_file_path"] for node in manifest["nodes"].values()
             if node["resource_type"] == "seed"]
    assert sorted(seeds) == ["seeds/airports_dim.csv", "seeds/carriers.csv"]
