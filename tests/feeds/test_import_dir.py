"""feeds/import_dir.py: a folder of CSV files imported once per content, bad files reported."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import feeds
from feeds.import_dir import import_new_files, state_path

FARSIDE = (
    "date,IBIT,FBTC,Total\n"
    "2024-01-11,111.7,227.0,338.7\n"
    "2024-01-12,386.0,195.3,581.3\n"
)
NOW = pd.Timestamp("2024-02-01", tz="UTC")


def _store_bytes(root: Path) -> dict[str, bytes]:
    """Every stored file but the import state, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != state_path(feeds.CandleStore(root)).name
        and not p.name.endswith(".lock")
    }


def test_new_files_are_imported_once_and_changed_ones_again(tmp_path: Path) -> None:
    store = feeds.CandleStore(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "farside_btc_etf_flows_daily.csv").write_text(FARSIDE)
    first = import_new_files(store, inbox, now=NOW)
    assert [r.asset for r in first.imported] == ["BTC"]
    assert first.problems == ()
    flows = feeds.read_etf_flows(store.root, "BTC")
    assert flows["total_usd"].tolist() == [338.7e6, 581.3e6]

    again = import_new_files(store, inbox, now=NOW)
    assert again.imported == () and [p.name for p in again.unchanged] == [
        "farside_btc_etf_flows_daily.csv"
    ]
    assert "0 file(s) imported, 1 unchanged" in again.summary()

    # the day's export replaces the file under the same name: a new hash, imported again
    (inbox / "farside_btc_etf_flows_daily.csv").write_text(FARSIDE + "2024-01-16,50.0,10.0,60.0\n")
    changed = import_new_files(store, inbox, now=NOW)
    assert len(changed.imported) == 1
    assert feeds.read_etf_flows(store.root, "BTC")["total_usd"].iloc[-1] == 60e6
    state = json.loads(state_path(store).read_text())
    assert list(state["files"]) == [str((inbox / "farside_btc_etf_flows_daily.csv").resolve())]


def test_a_bad_file_is_reported_leaves_the_store_unchanged_and_the_rest_goes_in(
    tmp_path: Path,
) -> None:
    store = feeds.CandleStore(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "farside_btc_etf_flows_daily.csv").write_text(FARSIDE)
    import_new_files(store, inbox, now=NOW)
    before = _store_bytes(store.root)
    state_before = state_path(store).read_text()

    # an ETH table with a cell that is not a number, and a file of no known format
    (inbox / "farside_eth_etf_flows_daily.csv").write_text(
        "date,ETHA,Total\n2024-07-23,266.5,266.5\n2024-07-24,oops,17.4\n"
    )
    (inbox / "notes.csv").write_text("hello,world\n1,2\n")
    report = import_new_files(store, inbox, now=NOW)
    assert report.imported == ()
    assert len(report.problems) == 2
    assert report.problems[0].startswith("farside_eth_etf_flows_daily.csv not imported: ")
    assert report.problems[1].startswith("notes.csv not imported: ")
    assert "2 not imported" in report.summary()
    assert _store_bytes(store.root) == before  # byte for byte
    assert state_path(store).read_text() == state_before  # bad files keep no hash...
    # ... so they are tried, and reported, again on the next pass
    assert len(import_new_files(store, inbox, now=NOW).problems) == 2


def test_a_missing_folder_is_a_problem_not_an_error(tmp_path: Path) -> None:
    report = import_new_files(feeds.CandleStore(tmp_path / "data"), tmp_path / "nowhere")
    assert report.imported == ()
    assert len(report.problems) == 1 and "does not exist" in report.problems[0]


def test_a_damaged_state_file_means_importing_again_not_failing(tmp_path: Path) -> None:
    store = feeds.CandleStore(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "farside_btc_etf_flows_daily.csv").write_text(FARSIDE)
    store.root.mkdir(parents=True)
    state_path(store).write_text("{torn")
    report = import_new_files(store, inbox, now=NOW)
    assert len(report.imported) == 1 and report.problems == ()
    assert json.loads(state_path(store).read_text())["files"]


def test_only_regular_files_inside_the_folder_are_read_and_links_out_are_reported(
    tmp_path: Path,
) -> None:
    store = feeds.CandleStore(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    private = tmp_path / "private"
    private.mkdir()
    secret = private / "passwords.csv"
    secret.write_text("date,IBIT,Total\nhunter2-PRIVATE,1,1\n")
    (inbox / "farside_btc_etf_flows_daily.csv").write_text(FARSIDE)
    (inbox / "leak.csv").symlink_to(secret)  # a link out of the folder
    (inbox / "loop_a.csv").symlink_to(inbox / "loop_b.csv")
    (inbox / "loop_b.csv").symlink_to(inbox / "loop_a.csv")
    (inbox / "dangling.csv").symlink_to(inbox / "gone.csv")
    (inbox / "folder.csv").mkdir()
    report = import_new_files(store, inbox, now=NOW)
    assert [r.path.name for r in report.imported] == ["farside_btc_etf_flows_daily.csv"]
    said = dict(problem.split(" not imported: ", 1) for problem in report.problems)
    assert set(said) == {"leak.csv", "loop_a.csv", "loop_b.csv", "dangling.csv", "folder.csv"}
    assert "outside the import folder" in said["leak.csv"]
    assert "symbolic link" in said["loop_a.csv"] and "symbolic link" in said["dangling.csv"]
    assert "not a regular file" in said["folder.csv"]
    assert "hunter2" not in " ".join(report.problems)
    assert str(secret) not in json.dumps(json.loads(state_path(store).read_text()))


def test_a_link_to_a_file_in_the_same_folder_is_read(tmp_path: Path) -> None:
    store = feeds.CandleStore(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "btc_flows_2024.csv.orig").write_text(FARSIDE)
    (inbox / "farside_btc_etf_flows_daily.csv").symlink_to(inbox / "btc_flows_2024.csv.orig")
    report = import_new_files(store, inbox, now=NOW)
    assert report.problems == () and len(report.imported) == 1


def test_a_refusal_never_quotes_the_files_content(tmp_path: Path) -> None:
    store = feeds.CandleStore(tmp_path / "data")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "notes.csv").write_text("PRIVATE-KEY-abc,PRIVATE-KEY-def\n1,2\n")
    (inbox / "farside_eth_etf_flows_daily.csv").write_text(
        "date,ETHA,Total\n2024-07-23,PRIVATE-cell,1\n"
    )
    (inbox / "binance_BTCUSDT_1d.csv").write_text(
        "timestamp,open,high,low,close,volume\nPRIVATE-time,1,1,1,1,1\n"
    )
    report = import_new_files(store, inbox, now=NOW)
    assert len(report.problems) == 3
    assert "PRIVATE" not in " ".join(report.problems)
    assert all(" line " in problem for problem in report.problems)
