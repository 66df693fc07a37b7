"""The manual keeps up with the code: every configuration key and task-file key the code reads is
documented, and the link checker `make lint` runs finds what it should."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import pytest

from hub.tasks import spec
from tests.packaging.support import ROOT

DOCS = ROOT / "docs"


def _documented(page: str) -> set[str]:
    """Names written in code spans, as `key`, `[table]`, `[[table]]` or `[table.NAME]`."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return set(re.findall(r"`\[{0,2}([A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Z]+)?\]{0,2}`", text))


def _config_keys() -> set[str]:
    """Keys and variables the configuration code and the connectors read."""
    config = (ROOT / "hub" / "config.py").read_text(encoding="utf-8")
    keys = set(re.findall(r"raw\.get\(\"(\w+)\"", config)) | set(re.findall(r"\"(HUB_[A-Z_]+)\"", config))
    keys |= set(
        re.search(r"_CONNECTOR_KEYS = \{([^}]*)\}", config).group(1).replace('"', "").replace(" ", "").split(",")
    )
    for module in (ROOT / "connectors").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        keys |= set(re.findall(r"(?:(?:opts|options)\.get\(|number_option\(\w+, )\"(\w+)\"", text))
    return keys - {""}


def test_every_configuration_key_the_code_reads_is_in_the_reference():
    keys = _config_keys()
    assert {
        "database_url",
        "app_secret_env",
        "commit_every",
        "sender",
        "codes",
        "page_size",
        "attempts",
        "HUB_SECRET_KEY",
    } <= keys
    missing = keys - _documented("configuration.md")
    assert missing == set(), f"add these to docs/configuration.md: {sorted(missing)}"


def test_every_task_file_key_is_in_the_task_file_page():
    tables = (spec.TaskSpec, spec.Population, spec.Strata, spec.Weights, spec.TeamEntry, spec.Recusal)
    keys = {f.name for t in tables for f in dataclasses.fields(t)} - {"team"}  # [[team]] has its own heading
    missing = keys - _documented("task-file.md")
    assert missing == set(), f"add these to docs/task-file.md: {sorted(missing)}"


@pytest.fixture
def check_links():  # type: ignore[no-untyped-def]
    loaded = importlib.util.spec_from_file_location("check_links", ROOT / "scripts" / "check-links.py")
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_the_link_checker_passes_this_repository(check_links):
    assert check_links.check(ROOT) == []


def test_the_link_checker_names_a_missing_file_and_a_path_outside(check_links, tmp_path: Path):
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "there.md").write_text("x")
    (repo / "README.md").write_text(
        "[ok](there.md) [web](https://example.org/x.md) [gone](docs/gone.md#part)\n"
        "```\n[in code](nowhere.md)\n```\n"
        "see `../shared/spec/product.md` and [up](../outside.md)\n",
        encoding="utf-8",
    )
    (repo / "docs" / "index.md").write_text("[back](../README.md)\n[ref]: missing.md\n", encoding="utf-8")
    assert check_links.check(repo) == [
        "README.md:1: docs/gone.md#part: no such file",
        "README.md:5: ../shared/spec/product.md: points outside the repository",
        "README.md:5: ../outside.md: points outside the repository",
        "docs/index.md:2: missing.md: no such file",
    ]
