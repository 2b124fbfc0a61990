"""docs/configuration.md lists every setting as the code defines it; the CLI reads well and never
prints a secret."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from botfolio.cli.config_cmd import current_reference, setting_docs, settings_reference_markdown
from botfolio.cli.main import app


def test_configuration_doc_when_compared_with_settings_lists_every_setting(
    repo_root: Path,
) -> None:
    document = (repo_root / "docs" / "configuration.md").read_text(encoding="utf-8")

    assert current_reference(document) == settings_reference_markdown(), (
        "docs/configuration.md is out of date: run "
        "`.venv/bin/botfolio config reference --update docs/configuration.md`"
    )


def test_settings_reference_when_generated_names_env_vars_with_double_underscores() -> None:
    docs = {doc.path: doc for doc in setting_docs()}

    assert docs["api.max_body_bytes"].env_var == "BOTFOLIO_API__MAX_BODY_BYTES"
    assert docs["database.url"].secret
    assert not docs["api.port"].secret


def test_config_show_when_database_url_has_password_redacts_it(
    tmp_path: Path, cli_env: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "database_url"
    secret_file.write_text("postgresql+asyncpg://bot:pa55word-xyz@db.internal/botfolio\n")
    cli_env.setenv("BOTFOLIO_DATABASE__URL_FILE", str(secret_file))

    result = CliRunner().invoke(app, ["config", "show"], terminal_width=200)

    assert result.exit_code == 0, result.output
    assert "pa55word-xyz" not in result.output
    assert '"url": "**********"' in result.output


def test_help_when_listing_groups_gives_every_group_and_command_a_description() -> None:
    runner = CliRunner()

    top = runner.invoke(app, ["--help"], terminal_width=200)

    assert top.exit_code == 0
    for command in app.registered_commands:
        assert command.callback is not None and command.callback.__doc__, command.name
    for group in app.registered_groups:
        assert group.help, group.name
        assert group.name in top.output
        sub = runner.invoke(app, [str(group.name), "--help"], terminal_width=200)
        assert sub.exit_code == 0, sub.output


def test_db_current_when_database_unreachable_says_so_in_one_line(
    cli_env: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    cli_env.setenv(
        "BOTFOLIO_DATABASE__URL",
        f"postgresql+asyncpg://postgres:s3cret-pw@127.0.0.1:{closed_port}/botfolio",
    )

    result = CliRunner().invoke(app, ["db", "current"], terminal_width=300)

    assert result.exit_code == 1
    assert "the database is unreachable" in result.output
    assert "s3cret-pw" not in result.output
