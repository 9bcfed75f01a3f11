"""The administrator's pages and enrolment in a real browser: an administrator asks for a
coordinator, cannot approve it, a coordinator approves it and sees the code once, the holder
enrols on /enrol and signs in; the administrator never sees a code or a second factor."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Browser, Page

sys.path.append(str(Path(__file__).resolve().parents[1] / "api"))
sys.path.append(str(Path(__file__).resolve().parent))
from api_support import PASSWORD, Deployment
from web_support import browser, live, page, shots, sign_in

__all__ = ["browser", "live", "page", "shots"]  # fixtures used by name


def _new_page(browser: Browser) -> Page:
    return browser.new_context(viewport={"width": 1200, "height": 900}).new_page()


def test_an_admin_asks_a_coordinator_approves_and_the_holder_alone_enrols(
    live: tuple[str, Deployment], page: Page, browser: Browser, shots: Path
) -> None:
    base, deployment = live
    sign_in(page, base, deployment, "admin")
    page.wait_for_url(f"{base}/accounts")
    links = page.locator("nav.pages a").all_inner_texts()
    assert links == ["Accounts", "Approvals", "Audit"]
    page.fill("#new-name", "cora")
    page.select_option("#new-role", "coordinator")
    page.fill("#new-scope", "all")
    page.click("#ask")
    assert "pending" in page.inner_text("#outcome")
    request_id = page.locator("#open-requests tr[data-request]").first.get_attribute("data-request")
    assert request_id
    page.goto(f"{base}/approvals")
    own = page.locator(f"#requests tr[data-request='{request_id}']")
    assert "You asked" in own.inner_text() and own.locator("button.approve").count() == 0
    page.screenshot(path=str(shots / "approvals-requester.png"), full_page=True)

    approver = _new_page(browser)
    sign_in(approver, base, deployment, "coordinator")
    approver.goto(f"{base}/approvals")
    approver.locator(f"#requests tr[data-request='{request_id}'] button.approve").click()
    enrolment_code = approver.inner_text("#enrolment-code").strip()
    assert len(enrolment_code.replace("-", "")) == 32
    approver.screenshot(path=str(shots / "approvals-approved.png"), full_page=True)
    approver.reload()  # shown once: a reload (a GET) does not show it again
    assert enrolment_code not in approver.content()

    holder = _new_page(browser)
    holder.goto(f"{base}/enrol")
    holder.fill("#code", enrolment_code)
    holder.fill("#password", PASSWORD)
    holder.fill("#repeat", PASSWORD)
    holder.click("#enrol")
    secret = holder.inner_text("#totp-secret").strip()
    assert holder.inner_text("#totp-uri").startswith("otpauth://totp/SafePassage:cora")
    assert holder.locator("#qr").get_attribute("src", timeout=1000).startswith("data:image/svg")
    holder.screenshot(path=str(shots / "enrol.png"), full_page=True)
    deployment.secrets["cora"] = secret
    sign_in(holder, base, deployment, "cora")
    holder.wait_for_url(f"{base}/")
    assert "Registry" in holder.locator("nav.pages a").all_inner_texts()

    page.goto(f"{base}/audit")
    audit = page.inner_text("#audit")
    for action in ("account-request", "account-approve", "account-enrol", "account-create"):
        assert action in audit
    for value in (enrolment_code, enrolment_code.replace("-", ""), secret, PASSWORD):
        assert value not in page.content()
    page.screenshot(path=str(shots / "audit.png"), full_page=True)
