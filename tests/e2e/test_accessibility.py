"""Accessibility, measured: axe-core, run in Chromium over the main pages of every role, finds no
serious or critical violation.

axe-core comes from npm (`make axe` installs tests/e2e/axe/package-lock.json into
tests/e2e/axe/node_modules; `make test` does it first). It is injected into each page as a
script file. The pages send a Content-Security-Policy (script-src 'self'), which would block an
injected script, so the contexts here bypass CSP: that is what Playwright's bypass_csp is for,
and it changes nothing axe checks.

The starting data is the demo (`seed_demo`, with the sample replies), plus a correction draft of
杭州市民政局's sent reply so that the reply editor and the leader's sign-off page have something
to show. One test walks every page of every role and reports all violations together, so one
run lists everything to fix; the demo is built once (it renders three PDF letters).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from accounts.models import User
from proposals import services as proposal_services
from proposals.models import Assignment, Proposal, ProposalStatus
from replies import services as reply_services
from replies.models import Reply, ReplyStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "demo1234"  # every demo account (proposals/demo/data.py)
FAILING_IMPACTS = {"serious", "critical"}
HANGZHOU = "关于引导社会组织参与未成年人保护的建议"  # 萧山39号: sent reply by 杭州市民政局
CHAOTIAN = "关于加强全区未成年人关爱保护工作的建议"  # 第15号: 徐丽娟 has not rated it yet
DRAFT = "关于完善城市慢行交通系统的建议"  # 何红's draft with a pending co-signer


BROKEN_REFERENCES_JS = """() => {
    const broken = [];
    for (const element of document.querySelectorAll('[aria-describedby], [aria-labelledby]')) {
        for (const name of ['aria-describedby', 'aria-labelledby']) {
            for (const id of (element.getAttribute(name) || '').split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) broken.push(`${element.tagName}#${element.id} ${name}=${id}`);
            }
        }
    }
    return broken;
}"""


@dataclass(frozen=True)
class Violation:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        nodes = "; ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.page}: [{self.impact}] {self.rule} — {self.help} — {nodes}"


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE_JS.is_file():
        message = f"{AXE_JS} is missing; run `make axe` (npm ci --prefix tests/e2e/axe)"
        if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE_JS


class AxeWalker:
    """Opens pages in one browser context per visitor and runs axe on each."""

    def __init__(self, browser: Browser, base_url: str, script: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.script = script
        self.pages_checked: list[str] = []
        self.violations: list[Violation] = []
        self.minor: dict[str, int] = {}  # moderate/minor rule ids -> pages, for the log only

    @contextmanager
    def visitor(self, username: str | None) -> Iterator[Page]:
        context = self.browser.new_context(locale="zh-CN", base_url=self.base_url, bypass_csp=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            if username is not None:
                page.goto("/login/")
                page.get_by_label("用户名").fill(username)
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                expect(page.get_by_role("button", name="退出")).to_be_visible()
            yield page
        finally:
            context.close()

    def check(self, page: Page, path: str, who: str) -> None:
        label = f"{who} {path}"
        if page.url == f"{self.base_url}{path}":  # just logged in and landed here
            self.run_axe(page, label)
            return
        try:
            response = page.goto(path)
        except PlaywrightError as error:  # e.g. an empty 405 answer
            response = None
            print(f"axe: {who} {path}: {error.message.splitlines()[0]}")
        if response is None or response.status != 200:
            status = response.status if response else "no answer"
            self.violations.append(Violation(label, "http-status", "critical", str(status), []))
            return
        self.run_axe(page, label)

    def run_axe(self, page: Page, label: str) -> None:
        """axe over the page as it is now (after a goto, or after a form was sent)."""
        page.add_script_tag(path=str(self.script))
        result: dict[str, Any] = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        self.pages_checked.append(label)
        for violation in result["violations"]:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            if violation["impact"] in FAILING_IMPACTS:
                self.violations.append(
                    Violation(
                        label, violation["id"], violation["impact"], violation["help"], targets
                    )
                )
            else:
                self.minor[violation["id"]] = self.minor.get(violation["id"], 0) + 1
        # axe only "needs review" a description that points nowhere; Django names the help and
        # error ids in aria-describedby, so a template that drops them silences both for screen
        # readers: count that as serious.
        broken: list[str] = page.evaluate(BROKEN_REFERENCES_JS)
        if broken:
            help_text = "aria-describedby/labelledby names an id that is not on the page"
            self.violations.append(Violation(label, "idref-missing", "serious", help_text, broken))


def _pk(model: Any, **lookup: Any) -> int:
    return int(model.objects.filter(**lookup).values_list("pk", flat=True).first())


def test_main_pages_of_every_role_have_no_serious_axe_violation(
    browser: Browser, live_server: Any, axe_script: Path
) -> None:
    # Given: the demo, and a correction draft of 杭州市民政局's sent reply
    call_command("seed_demo", stdout=io.StringIO())
    hangzhou = Proposal.objects.get(title=HANGZHOU)
    sent = Reply.objects.get(proposal=hangzhou, status=ReplyStatus.SENT)
    staff = User.objects.get(username="mzj_staff")
    correction = reply_services.reply_correct(reply=sent, actor=staff)
    chaotian = Proposal.objects.get(title=CHAOTIAN)
    chaotian_reply = Reply.objects.get(proposal=chaotian, status=ReplyStatus.SENT)
    draft = _pk(Proposal, title=DRAFT)
    npc_office = User.objects.get(username="npc_office")
    to_review, to_assign = Proposal.objects.filter(
        status=ProposalStatus.SUBMITTED, meeting__body="npc"
    ).order_by("pk")[:2]
    proposal_services.proposal_register(proposal=to_assign, actor=npc_office)
    chaotian_lead = _pk(Assignment, proposal=chaotian, role="lead")
    walker = AxeWalker(browser, live_server.url, axe_script)

    def walk(username: str | None, paths: list[str]) -> None:
        with walker.visitor(username) as page:
            for path in paths:
                walker.check(page, path, username or "anonymous")

    # When: every role opens its main pages
    walk(None, ["/login/", "/public/", "/public/?q=未成年人", f"/public/replies/{sent.pk}/"])
    walk(
        "hehong",
        [
            "/",
            "/items/?status=registered&q=未成年人",
            f"/items/{hangzhou.pk}/",
            f"/items/{draft}/",
            f"/items/{draft}/edit/",
            f"/items/{draft}/cosigners/",
            f"/replies/{sent.pk}/",
            "/notifications/",
            "/password/",
            "/accounts/otp/",
            "/accounts/otp/setup/",
        ],
    )
    with walker.visitor("hehong") as page:
        # the submission form, then the same form sent empty: its error messages
        walker.check(page, "/items/new/", "hehong")
        page.locator("main form").evaluate("form => { form.noValidate = true; }")
        page.get_by_role("button", name="保存草稿").click()
        expect(page.locator(".error").first).to_be_visible()
        walker.run_axe(page, "hehong /items/new/ (sent empty)")
    walk("wangjianguo", ["/items/invitations/", f"/items/{to_review.pk}/withdraw/"])
    # 徐丽娟's rating form is a section of the item page
    walk("xulijuan", [f"/items/{chaotian.pk}/", f"/replies/{chaotian_reply.pk}/"])
    walk(
        "mzj_staff",
        [
            "/",
            "/items/work/?overdue=false&role=lead",
            f"/items/{hangzhou.pk}/",
            f"/replies/{correction.pk}/edit/",
            "/replies/follow-ups/",
            f"/replies/{sent.pk}/follow-up/",
        ],
    )
    walk(
        "ctmz_staff",
        [
            f"/items/{chaotian.pk}/",
            f"/items/assignments/{chaotian_lead}/return/",
            f"/items/assignments/{chaotian_lead}/extend/",
            f"/items/assignments/{chaotian_lead}/contacts/new/",
        ],
    )
    reply_services.reply_submit(reply=correction, actor=staff)
    walk("mzj_leader", ["/", f"/replies/{correction.pk}/"])
    reply_services.reply_sign(reply=correction, actor=User.objects.get(username="mzj_leader"))
    walk(
        "npc_office",
        [
            "/",
            "/items/review/",
            f"/items/{to_review.pk}/review/",
            f"/items/{to_assign.pk}/assign/",
            "/items/assign/",
            "/items/requests/",
            "/items/?status=registered&overdue=true&ordering=-submitted_at",
            f"/items/{hangzhou.pk}/",
            f"/replies/{correction.pk}/",
            "/items/dashboard/",
            "/items/scorecards/",
            "/items/urging/",
            "/replies/review/",
            "/replies/letters/",
        ],
    )
    walk("cppcc_office", [f"/replies/{chaotian_reply.pk}/evaluate/paper/"])
    walk("admin", ["/", "/items/"])
    walk("security", ["/"])
    walk("auditor", ["/", "/audit/", "/audit/?result=failure&since=2020-01-01"])

    # Then: no serious or critical violation on any of them
    print(f"axe: {len(walker.pages_checked)} pages checked")
    if walker.minor:
        print(f"axe: moderate/minor rules (pages): {walker.minor}")
    assert not walker.violations, f"{len(walker.violations)} serious/critical violations:\n" + (
        "\n".join(map(str, walker.violations))
    )
