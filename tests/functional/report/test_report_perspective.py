"""The HTML report of a real Perspective acceptance run (the shipped perspective/fat_report
playbook, ending with fat.generate_report, against the simulator in headless Chromium),
opened in headless Chromium: no request leaves the file, the page's text says what the
run did, every check's screenshot is an image that decodes, it prints to PDF, and a
screenshot of it is taken (tests keep it next to the report)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.browser.discovery import BrowserUnavailable, find_browser
from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import Igtk, Result
from tests.support.report import valid_junit, valid_report_json
from tests.support.simulator import running_gateway

try:
    BROWSER = find_browser().path
    NO_BROWSER = ""
except BrowserUnavailable as exc:  # pragma: no cover - depends on the machine
    BROWSER, NO_BROWSER = "", str(exc)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_BROWSER), reason=f"needs Chromium: {NO_BROWSER}")]
MANIFEST_CHECKS = ["title", "goButton", "statusLabel", "nameField", "greeting", "pumpToggle", "pumpState"]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedGateway]:
    with running_gateway(version="8.3") as gw:
        yield gw


@pytest.fixture(scope="module")
def fat_run(tmp_path_factory: pytest.TempPathFactory, sim: SimulatedGateway) -> tuple[Igtk, Result, Path]:
    root = tmp_path_factory.mktemp("fat-report")
    igtk = Igtk(root / "home")
    exported = root / "handover" / "line3-fat.html"
    r = igtk("run", "perspective/fat_report", "--json", "--gateway", sim.url, "-p", "client=ACME Water",
             "-p", "tester=J. Smith", "-p", f"output_file={exported}", timeout=180)
    assert r.code == 0, r.describe()
    return igtk, r, exported


async def open_in_chromium(html: Path, shot: Path) -> dict[str, Any]:
    """Load the file with every non-file request recorded and refused; screenshot it; print it."""
    from playwright.async_api import async_playwright

    outside: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=BROWSER, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})

            async def refuse(route: Any) -> None:
                outside.append(route.request.url)
                await route.abort()

            await page.route("http*://**/*", refuse)
            await page.goto(html.as_uri(), wait_until="load")
            facts = await page.evaluate("""() => ({
                text: document.body.innerText,
                images: [...document.images].map(i => ({w: i.naturalWidth, src: i.src.slice(0, 22), alt: i.alt})),
                bars: document.querySelectorAll('#timeline svg rect.bar').length,
                verdict: document.getElementById('verdict').innerText,
            })""")
            await page.screenshot(path=str(shot), full_page=True)
            await page.emulate_media(media="print")
            facts["pdf"] = await page.pdf(format="A4")
        finally:
            await browser.close()
    facts["outside"] = outside
    return facts


async def test_the_html_report_of_a_perspective_run_reads_right_in_chromium(fat_run: tuple[Igtk, Result, Path],
                                                                            sim: SimulatedGateway) -> None:
    _, r, exported = fat_run
    out = r.output("report")
    report = Path(out["report_path"])
    assert report.is_file() and report.parent.name == r.execution["execution_id"]
    assert (out["format"], out["total_tests"], out["passed_tests"], out["failed_tests"]) == ("html", 7, 7, 0)
    assert out["report_id"].startswith("fat_report_") and report.name == out["report_id"] + ".html"
    assert exported.read_bytes() == report.read_bytes()
    assert r.output("export") == {"status": "exported", "format": "html", "output_path": str(exported),
                                  "report_id": out["report_id"]}
    artifacts = [(Path(e["path"]).name, e["artifact_kind"]) for e in r.events if e["event"] == "artifact"]
    assert (report.name, "report") in artifacts and (exported.name, "report") in artifacts

    shot = exported.with_suffix(".png")
    facts = await open_in_chromium(exported, shot)
    assert facts["outside"] == []  # self-contained: nothing fetched
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert facts["pdf"][:5] == b"%PDF-"
    text = facts["text"]
    assert facts["verdict"] == "✓ PASSED"
    for expected in ("Acceptance Test Report", "Demo for ACME Water", "Perspective FAT with a signed report",
                     "perspective/fat_report.yaml", f"Gateway\t{sim.url}", "Ignition version\t8.3", "Operator\tJ. Smith",
                     "Generated during the run by step report", "7 checks: 7 passed, 0 failed, 0 skipped.",
                     "Components discovered", "Witness", "Customer", "Tested by"):
        assert expected in text, expected
    for target in MANIFEST_CHECKS:
        assert f" {target}\n" in text or f" {target}\t" in text or f"{target}\n" in text, target
    assert "✓ completed" in text and "▶ running" in text and "· pending" in text  # glyph + word
    images = facts["images"]
    assert len(images) == len(MANIFEST_CHECKS)  # one screenshot beside each check, nothing else
    assert all(i["src"].startswith("data:image/png;base64") and i["w"] > 0 for i in images), images
    # The five steps that ran before the report step, and the report step itself from its start
    # (its start is committed with the step before it: the text above shows it running).
    assert facts["bars"] == 6


async def test_igtk_report_afterwards_has_the_whole_run(fat_run: tuple[Igtk, Result, Path], tmp_path: Path) -> None:
    igtk, r, _ = fat_run
    execution_id = r.execution["execution_id"]
    for fmt in ("html", "json", "junit"):
        done = igtk("report", execution_id, "-f", fmt, "-o", str(tmp_path / f"after.{fmt}"))
        assert done.code == 0, done.describe()
    doc = valid_report_json(tmp_path / "after.json")
    assert doc["execution"]["status"] == "completed" and doc["execution"]["in_progress_step"] is None
    assert [s["status"] for s in doc["sections"][0]["steps"]] == ["completed"] * 8
    assert [c["target"] for c in doc["checks"]["results"]] == MANIFEST_CHECKS
    assert all(Path(c["screenshot"]).is_file() for c in doc["checks"]["results"])
    assert doc["execution"]["gateway_version"].startswith("8.3")
    ids = {c["id"] for c in doc["components"]}
    assert {"goButton", "nameField", "pumpToggle"} <= ids and len(doc["components"]) == len(
        r.output("components")["enriched_inventory"])
    valid_junit(tmp_path / "after.junit")
    facts = await open_in_chromium(tmp_path / "after.html", tmp_path / "after.png")
    assert facts["outside"] == [] and len(facts["images"]) == len(MANIFEST_CHECKS)
    assert facts["bars"] == 8 and "Generated during the run" not in facts["text"]


def test_a_failed_check_fails_the_report_and_the_run_after_the_report(fat_run: tuple[Igtk, Result, Path],
                                                                      sim: SimulatedGateway) -> None:
    igtk, _, _ = fat_run
    r = igtk("run", "perspective/fat_report", "--json", "--gateway", sim.url,
             "-p", "manifest=[{component_id: title, action: verify_text, expected: Not the title}]", timeout=180)
    assert r.code == 1, r.describe()
    out = r.output("report")
    assert (out["total_tests"], out["passed_tests"], out["failed_tests"]) == (1, 0, 1)
    assert r.finished("verdict")["error"].endswith("1 of 1 checks failed (see the report)")
    html = Path(out["report_path"]).read_text(encoding="utf-8")
    assert "✗ FAILED" in html and "Not the title" in html and html.count("data:image/png;base64,") == 1


def test_a_manifest_step_that_failed_is_one_failed_check_with_its_screenshots_listed(
        fat_run: tuple[Igtk, Result, Path], sim: SimulatedGateway, tmp_path: Path) -> None:
    igtk, _, _ = fat_run
    (tmp_path / "strict.yaml").write_text("""\
name: Strict manifest
version: 1
parameters: [{name: gateway_url, type: string}]
steps:
  - {id: open, name: open, type: perspective.navigate,
     parameters: {url: "{{ parameter.gateway_url }}", project: Demo, wait_for: "[data-component]:visible"}}
  - id: checks
    name: Strict checks
    type: perspective.execute_test_manifest
    parameters:
      manifest: [{component_id: title, action: verify_text, expected: Demo},
                 {component_id: title, action: verify_text, expected: Wrong}]
""", encoding="utf-8")
    r = igtk("run", str(tmp_path / "strict.yaml"), "--gateway", sim.url, "--report", f"json:{tmp_path}/r.json",
             timeout=180)
    assert r.code == 1, r.describe()
    doc = valid_report_json(tmp_path / "r.json")
    (check,) = doc["checks"]["results"]
    assert (check["step"], check["status"], check["target"]) == ("checks", "failed", "Strict checks")
    assert check["error"].startswith("1 of 2 manifest entries failed (first: entry 2")
    assert [Path(s["path"]).name for s in doc["screenshots"]] == ["checks-manifest-1-title.png",
                                                                 "checks-manifest-2-title.png"]
