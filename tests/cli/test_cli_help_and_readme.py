"""The README a newcomer reads in five minutes, and the command line it points to (issue 23,
point 7): the README is short and shows the report's screenshot; every relative link and
#anchor of the README and docs/ resolves; the command table of docs/command_line.md names
exactly the options each command's --help has; and every usage error exits 2 with a usage
line. Fast: no warehouse is started (each command below fails before it would start one)."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_helpers import REPO, Cli

from airline_elt.cli import FOLDER_COMMANDS, build_parser
from airline_elt.warehouse import Warehouse

README = REPO / "README.md"
DOCS = REPO / "docs"
SCREENSHOT = DOCS / "images" / "report.png"
COMMAND_LINE = DOCS / "command_line.md"
TABLE_HEADING = "## Every command and option"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Options every command has, documented once below the table rather than on every row.
EVERY_COMMAND = {"--help", "--verbose"}
# `--landing DIR`, the older spelling of the folder commands' DIR, likewise.
FOLDER_ALIAS = "--landing"


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


# -- the README -------------------------------------------------------------------------------


def test_the_readme_is_read_in_five_minutes() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 150, f"README.md has {len(lines)} lines: move detail into docs/"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## Two commands", "## What you get", "## Your own files",
                        "## Where to go next", "## Where things are"]


def test_the_readme_keeps_the_two_commands_as_they_are() -> None:
    text = README.read_text(encoding="utf-8")
    assert ("make run    # the whole pipeline on the bundled sample data\n"
            "make test   # lint (ruff, sqlfluff) and every test\n") in text
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)


def test_the_readme_starts_your_own_files_with_a_real_year() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Your own files", 1)[1]
    commands = re.findall(r"^airline-elt .*$", section, re.MULTILINE)
    assert [command.split("#")[0].split()[:2] for command in commands[:4]] == [
        ["airline-elt", "fetch"], ["airline-elt", "run"],
        ["airline-elt", "fetch"], ["airline-elt", "run"]]
    assert "fetch 2023-01..2023-12 --landing ~/flights" in commands[0]
    assert "--lookups" in commands[2] and "--airports" in commands[3]


def test_the_committed_screenshot_is_a_png_the_readme_shows() -> None:
    assert SCREENSHOT.is_file(), "copy tests/artifacts/report-screenshot.png (docs/testing.md)"
    data = SCREENSHOT.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 50_000  # charts, not a blank page
    images = re.findall(r"!\[[^\]]+\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    assert "docs/images/report.png" in images
    assert "docs/images/report.png" in (DOCS / "testing.md").read_text(encoding="utf-8")


# -- links --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    page: Path
    line: int
    target: str


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a Markdown page's headings (a repeated heading gets -1, -2, ...)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in _outside_code(page.read_text(encoding="utf-8")):
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        anchor = github_anchor(match.group(1))
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def _outside_code(text: str) -> list[str]:
    """The page's lines, fenced code blocks blanked (their '#' lines are not headings)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            lines.append("")
        else:
            lines.append("" if fenced else line)
    return lines


def relative_links(page: Path) -> list[Link]:
    links = []
    for number, line in enumerate(_outside_code(page.read_text(encoding="utf-8")), start=1):
        line = re.sub(r"`[^`]*`", "", line)  # inline code is not a link
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            if not re.match(r"[a-z][a-z+.-]*:", target):  # http:, https:, mailto:
                links.append(Link(page, number, target))
    return links


def broken(link: Link) -> str | None:
    """Why a relative link does not resolve, or None when it does."""
    path, _, anchor = link.target.partition("#")
    target = (link.page.parent / path).resolve() if path else link.page
    if not target.exists():
        return f"{link.page.name}:{link.line}: {link.target}: no such file"
    if anchor and (target.suffix != ".md" or anchor not in anchors(target)):
        return f"{link.page.name}:{link.line}: {link.target}: no heading #{anchor}"
    return None


def test_every_relative_link_and_anchor_resolves() -> None:
    links = [link for page in pages() for link in relative_links(page)]
    assert len(links) > 30  # the pages link to each other
    assert [why for link in links if (why := broken(link))] == []


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(README.parent / link.target.partition("#")[0]).resolve()
              for link in relative_links(README)}
    assert {page.resolve() for page in DOCS.glob("*.md")} <= linked
    assert (REPO / "orchestration" / "DEPLOY.md").resolve() in linked


def test_the_link_check_finds_a_broken_file_and_a_broken_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## What `make run` does\n")
    page.write_text("# Page\n\n## Same\n\n## Same\n\n```sh\n# not a heading\n```\n"
                    "[ok](other.md#what-make-run-does) [ok](#same-1) [ok](#page)\n"
                    "[gone](missing.md) [bad](other.md#nowhere) [bad](#not-a-heading)\n"
                    "`[code](not-a-link.md)` [web](https://example.com/x.md)\n")
    reasons = [why for link in relative_links(page) if (why := broken(link))]
    assert reasons == ["page.md:11: missing.md: no such file",
                       "page.md:11: other.md#nowhere: no heading #nowhere",
                       "page.md:11: #not-a-heading: no heading #not-a-heading"]


# -- the command table and --help -----------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    command: tuple[str, ...]
    options: frozenset[str]
    words: frozenset[str]


def leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                  ) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command a user can run (`warehouse url`, `run`, ...) with its own parser."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(leaf_commands(sub, (*path, name)) or {(*path, name): sub})
    return found


def table_rows(text: str, commands: set[tuple[str, ...]]) -> list[TableRow]:
    """The command table's rows: the command (its longest known name) and the options and
    words of the first cell, e.g. `airline-elt status [--limit N] [--all]`."""
    table = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cell = re.match(r"\|\s*`airline-elt ([^`]*)`\s*\|", line)
        if not cell:
            continue
        words = cell.group(1).replace("\\|", "|").split()
        command = max((c for c in commands if tuple(words[:len(c)]) == c), key=len,
                      default=tuple(words[:1]))
        options = frozenset(re.findall(r"--[a-z][a-z-]*", cell.group(1)))
        rows.append(TableRow(command, options, frozenset(re.findall(r"[\w.|-]+", " ".join(
            words)))))
    return rows


def help_options(command: tuple[str, ...], parser: argparse.ArgumentParser) -> set[str]:
    options = {option for action in parser._actions for option in action.option_strings
               if option.startswith("--")} - EVERY_COMMAND
    if command[0] in FOLDER_COMMANDS:
        options.discard(FOLDER_ALIAS)
    return options


def disagreements(rows: list[TableRow],
                  commands: dict[tuple[str, ...], argparse.ArgumentParser]) -> list[str]:
    """Where the table and --help differ, in both directions."""
    problems = []
    by_command = {row.command: row for row in rows}
    for command in sorted(set(commands) - set(by_command)):
        problems.append(f"{' '.join(command)}: in --help, not in the table")
    for row in rows:
        name = " ".join(row.command)
        if row.command not in commands:
            problems.append(f"{name}: in the table, not a command")
            continue
        parser = commands[row.command]
        in_help = help_options(row.command, parser)
        for option in sorted(in_help - row.options):
            problems.append(f"{name} {option}: in --help, not in the table")
        for option in sorted(row.options - in_help):
            problems.append(f"{name} {option}: in the table, not in --help")
        for action in parser._actions:
            if action.option_strings or action.help == argparse.SUPPRESS:
                continue
            if action.metavar not in row.words and f"{action.metavar}..." not in row.words:
                problems.append(f"{name} {action.metavar}: in --help, not in the table")
        for action in parser._actions:
            for choice in (action.choices or ()) if action.option_strings else ():
                if not any(choice in word.split("|") for word in row.words):
                    problems.append(f"{name} {action.option_strings[0]} {choice}: "
                                    "a choice in --help, not in the table")
    return problems


def test_the_command_table_and_every_help_agree() -> None:
    commands = leaf_commands(build_parser())
    rows = table_rows(COMMAND_LINE.read_text(encoding="utf-8"), set(commands))
    assert len(rows) == len(commands) >= 15
    assert disagreements(rows, commands) == []


def test_the_options_the_issue_found_missing_are_in_the_table() -> None:
    commands = leaf_commands(build_parser())
    rows = {row.command: row for row in table_rows(COMMAND_LINE.read_text(encoding="utf-8"),
                                                   set(commands))}
    assert "--limit" in rows[("status",)].options
    assert "--interval" in rows[("watch",)].options
    assert "--host" in rows[("docs",)].options


def test_the_options_left_out_of_the_rows_are_documented_below_the_table() -> None:
    text = " ".join(COMMAND_LINE.read_text(encoding="utf-8").split())
    assert "(`--landing DIR`, the older spelling, still works)" in text
    assert "Every command has `--help` with a description; `--verbose` shows" in text
    assert "2 on a usage error" in text


def test_the_comparison_catches_a_missing_and_an_invented_option() -> None:
    commands = leaf_commands(build_parser())
    table = (f"{TABLE_HEADING}\n\n| command | what |\n| --- | --- |\n"
             "| `airline-elt status [--all] [--start] [--json] [--newest]` | status |\n"
             "| `airline-elt docs [--host H] [--port N] [--no-serve]` | docs |\n"
             "| `airline-elt warehouse url [--user reader\\|dbt]` | url |\n"
             "| `airline-elt redrive` | no KEY |\n"
             "| `airline-elt launch` | not a command |\n")
    problems = disagreements(table_rows(table, set(commands)),
                             {c: p for c, p in commands.items()
                              if c in {("status",), ("docs",), ("warehouse", "url"),
                                       ("redrive",)}})
    assert problems == [
        "status --limit: in --help, not in the table",
        "status --newest: in the table, not in --help",
        "warehouse url --user landing: a choice in --help, not in the table",
        "redrive KEY: in --help, not in the table",
        "launch: in the table, not a command",
    ]


def test_report_help_names_its_charts() -> None:
    (report,) = [p for c, p in leaf_commands(build_parser()).items() if c == ("report",)]
    text = " ".join(report.format_help().split())
    for chart in ("carriers by delay rate", "on-time performance", "delay-prone routes",
                  "origin airport", "destination airport", "origin state", "daily trend",
                  "by month, weekday and scheduled departure hour",
                  "delay causes by minutes and by flights", "cancellations by carrier and reason",
                  "correlation per carrier", "month range and a carrier filter",
                  "CSV download", "min_sample_flights"):
        assert chart in text, chart


# -- usage errors exit 2 ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """`airline-elt` with a state folder of its own, in which no warehouse may appear."""
    return Cli(tmp_path_factory.mktemp("elt-usage"))


def test_an_unknown_option_is_a_usage_error_on_every_command(cli: Cli) -> None:
    for command in leaf_commands(build_parser()):
        if command == ("dbt",):
            continue  # every argument of `airline-elt dbt` is dbt's: its usage error is below
        needs = {"fetch": ["--landing", "x"], "redrive": ["KEY"]}.get(command[0], [])
        folder = ["x"] if command[0] in FOLDER_COMMANDS else []
        result = cli(*command, *folder, *needs, "--no-such-option", timeout=60)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert f"usage: airline-elt {' '.join(command)} " in result.stderr, result.stderr
        assert "unrecognized arguments: --no-such-option" in result.stderr
    assert not Warehouse(cli.home).exists()


@pytest.mark.parametrize(("args", "says"), [
    (["dbt"], "give a dbt command"),
    (["dbt", "--"], "give a dbt command"),
    ([], "the following arguments are required: COMMAND"),
    (["warehouse"], "the following arguments are required: ACTION"),
    (["warehouse", "url", "--user", "nobody"], "invalid choice: 'nobody'"),
    (["fetch", "2023-01"], "the following arguments are required: --landing"),
    (["fetch", "--landing", "x"], "give the months to fetch"),
    (["fetch", "2013-13", "--landing", "x"], "the month must be 01 to 12"),
    (["redrive"], "the following arguments are required: KEY"),
    (["run"], "give the landing folder: airline-elt run DIR"),
    (["land", "a", "--landing", "b"], "two landing folders given"),
    (["watch"], "give the landing folder: airline-elt watch DIR"),
    (["run", "x", "--prefix", "../elsewhere"], "climbs out of the landing folder"),
    (["run", "x", "--max-reject-ratio", "lots"], "not a ratio: 'lots'"),
    (["status", "--limit", "0"], "0 is less than 1"),
    (["status", "--limit", "ten"], "not a whole number: 'ten'"),
    (["watch", "x", "--interval", "0"], "0 seconds: give more than 0"),
    (["watch", "x", "--settle", "-1"], "give 0 or more"),
    (["watch", "x", "--max-runs", "0"], "0 is less than 1"),
    (["watch", "x", "--timeout", "soon"], "not a number of seconds: 'soon'"),
    (["docs", "--port", "70000"], "70000 is not a port"),
    (["report", "extra"], "unrecognized arguments: extra"),
])
def test_a_usage_error_exits_2_with_a_usage_line(cli: Cli, args: list[str], says: str) -> None:
    result = cli(*args, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert "usage: airline-elt" in result.stderr
    assert "Traceback" not in result.stderr
    assert not Warehouse(cli.home).exists()
    assert not (REPO / "x").exists()  # nothing was made of the folder named
