"""Actions are safe (issue 8): the demo never writes the config, export never
overwrites silently, never creates folders, never leaves a temporary file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from payg_tui import locations
from payg_tui.config import Config, load_config, save_config
from payg_tui.errors import UsageError
from payg_tui.service import export_file
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp
from payg_tui.ui.dialogs.export import ExportDialog
from payg_tui.ui.screens.settings import SettingsScreen
from tests.ui.conftest import screen_words, settle


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- the demo's settings -------------------------------------------------------


async def test_demo_settings_live_in_memory_and_never_touch_the_config_file(demo_app: PaygApp) -> None:
    path = locations.config_path()
    save_config(Config(api_url="https://api.real.example/payg", api_token="real-token-123"), path)
    before = path.read_bytes(), path.stat().st_mtime_ns
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = demo_app.screen
        assert isinstance(screen, SettingsScreen)
        assert "kept in memory for this session only" in screen_words(pilot)
        assert screen.url_field.value == ""  # the real file was not even read
        screen.url_field.value = "https://api.demo.example/payg"
        screen.token_field.value = "demo-token-456"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert demo_app.config is not None
        assert demo_app.config.api_url == "https://api.demo.example/payg"
        assert demo_app.config.api_token == "demo-token-456"
        assert [n.message for n in demo_app._notifications][-1] == "settings kept for this session (demo)"
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert load_config(path, apply_env=False).api_url == "https://api.real.example/payg"


# -- export ---------------------------------------------------------------------


async def _export_to(pilot, app: PaygApp, target: Path) -> ExportDialog:  # type: ignore[no-untyped-def]
    await pilot.press("e")
    await settle(pilot)
    dialog = app.screen
    assert isinstance(dialog, ExportDialog)
    dialog.path_field.value = str(target)
    await pilot.press("enter")
    await settle(pilot)
    return dialog


async def test_export_asks_before_replacing_a_file(demo_app: PaygApp, tmp_path: Path) -> None:
    target = tmp_path / "mine.csv"
    target.write_text("my own notes\n", encoding="utf-8")
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dialog = await _export_to(pilot, demo_app, target)
        assert demo_app.screen is dialog  # still asking
        assert "mine.csv is already there" in screen_words(pilot)
        assert str(dialog.ok_button.label) == "Replace"
        assert target.read_text(encoding="utf-8") == "my own notes\n"
        await pilot.press("enter")  # yes, replace it
        await settle(pilot)
        assert demo_app.screen is not dialog
        assert target.read_text(encoding="utf-8").startswith("kind,id,account_id")
        assert demo_app.last_export == target
    assert _debris(tmp_path) == []


async def test_export_refuses_a_folder_that_does_not_exist_in_one_line(demo_app: PaygApp,
                                                                     tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dialog = await _export_to(pilot, demo_app, missing / "nov.csv")
        assert demo_app.screen is dialog
        problem = str(dialog.problem.render())
        assert problem == f"cannot export: the folder {missing} does not exist"
        assert not missing.exists()  # no silent mkdir
        dialog.path_field.value = str(tmp_path)  # a folder, not a file
        await pilot.press("enter")
        await settle(pilot)
        assert demo_app.screen is dialog
        assert str(dialog.problem.render()).startswith(f"cannot export to {tmp_path}: it is a folder")
    assert _debris(tmp_path) == []


async def test_an_export_that_fails_says_cannot_export(demo_books: Books, tmp_path: Path) -> None:
    app = PaygApp(demo_books, auto_sync=False, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # The folder was there when the dialog checked, and is gone when the worker writes.
        app.export_report("2026-11", "csv", tmp_path / "gone" / "nov.csv")
        await settle(pilot)
        notes = list(app._notifications)
        assert notes and notes[-1].severity == "error"
        assert notes[-1].message.startswith("cannot export")
        assert "\n" not in notes[-1].message


def test_the_temporary_file_never_stays(tmp_path: Path) -> None:
    with pytest.raises(UnicodeEncodeError):
        export_file.write(tmp_path / "broken.csv", "a lone surrogate \ud800 cannot be written")
    assert os.listdir(tmp_path) == []
    written = export_file.write(tmp_path / "ok.csv", "fine\n")
    assert os.listdir(tmp_path) == ["ok.csv"] and written.read_text(encoding="utf-8") == "fine\n"
    with pytest.raises(export_file.ExportExists, match=r"^cannot export: .* already exists$"):
        export_file.write(tmp_path / "ok.csv", "other\n")
    assert os.listdir(tmp_path) == ["ok.csv"] and written.read_text(encoding="utf-8") == "fine\n"


def test_books_refuse_a_missing_folder_before_building_the_report(demo_books: Books, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^cannot export: the folder .* does not exist$"):
        demo_books.export("2026-11", "json", tmp_path / "a" / "b" / "nov.json")
    assert os.listdir(tmp_path) == []


# -- sync without an API ----------------------------------------------------------


async def test_sync_without_an_api_names_the_settings_key(example_cache: Path) -> None:
    books = Books.open_cache(example_cache)
    app = PaygApp(books, config=Config(), auto_sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        [note] = list(app._notifications)
        assert "press c for Settings" in note.message and "ctrl+s" not in note.message
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
    books.close()
