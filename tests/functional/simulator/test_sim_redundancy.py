"""Issue 17 item 8: a simulated redundant pair; gwinfo's RedundancyStatus keys (IA-HELM
redundant-health-check.sh parses them) and GET /backup on a master whose backup is down."""

from __future__ import annotations

from igtk_tui.simulator.testing import RedundantPair, http


def _gwinfo(url: str) -> dict[str, str]:
    text = http.get(f"{url}/system/gwinfo").text
    return dict(pair.split("=", 1) for pair in text.split(";") if pair)


def test_pair_reports_roles_in_gwinfo_and_gateway_info() -> None:
    with RedundantPair(api_tokens={"igtk": "s3cret"}) as pair:
        master, backup = _gwinfo(pair.master.url), _gwinfo(pair.backup.url)
        assert master["RedundancyStatus"] == "Master" and master["RedundantNodeActiveStatus"] == "Active"
        assert master["RedundantBackupAddresses"] == f"127.0.0.1:{pair.backup.port}"
        assert backup["RedundancyStatus"] == "Backup" and backup["RedundantNodeActiveStatus"] == "Warm"
        assert master["RedundantState"] == backup["RedundantState"] == "Good"
        info = http.get(f"{pair.master.url}/data/api/v1/gateway-info",
                        headers={"X-Ignition-API-Token": "igtk:s3cret"}).json()
        assert info["redundancyRole"] == "Master"
        assert info["redundantPeerAddress"] == f"127.0.0.1:{pair.backup.port}"


def test_backup_download_on_a_master_whose_backup_is_down_is_503_with_the_reason() -> None:
    headers = {"X-Ignition-API-Token": "igtk:s3cret", "Accept": "application/json"}
    with RedundantPair(api_tokens={"igtk": "s3cret"}) as pair:
        assert http.get(f"{pair.master.url}/data/api/v1/backup", headers=headers).status_code == 200
        pair.backup_down()
        refused = http.get(f"{pair.master.url}/data/api/v1/backup", headers=headers)
        assert refused.status_code == 503
        assert "redundant backup node is not connected" in refused.json()["message"]
        assert _gwinfo(pair.master.url)["RedundantState"] == "Unknown"
