"""Locust users of the submission week, for bench/load.py (see bench/README.md, "Load").

Not run on its own: bench/load.py seeds the database, writes the plan (logins, the unit staff's
assignments, meetings, search terms) to the JSON file named by LOAD_PLAN and starts locust with
this file. Each simulated person logs in once with their own login (the arrival); when the last
one has, the working period starts (see `arrival_done`) and everyone acts with a few seconds of
thinking between actions (LOAD_THINK="3,8" seconds by default):

- MemberUser (代表/委员, lead submitter): home page, their items, the public portal, their
  drafts; writes a draft (title, body, category), invites a co-signer, and submits a draft once
  its co-signer has answered. The seeded meetings of this year are open for submission.
- CoSignerUser (member asked to co-sign): home page with pending invitations, confirms them,
  the invitation list, the portal.
- UnitStaffUser (承办员): the unit's workspace, an assignment's page, and a reply draft: start
  (or continue) it, change the text, save.
- SupervisorUser (督办): item lists with filters and search, the dashboard, the review queue,
  an item's page, the scorecards.

Every request is checked: a status other than 2xx/3xx, a POST that does not redirect, a page
that is the login form (session lost), and a page with a form error or an error message
(`role="alert"`, `class="errors"`, `msg-error`, `has-error`) count as failures.
Writes are posted as a browser posts them: the form's CSRF token, a Referer header, and the
redirect after the POST is a request of its own.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import gevent
from gevent.event import Event
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
THINK = tuple(float(x) for x in os.environ.get("LOAD_THINK", "3,8").split(","))
# typing a draft or a reply takes a moment: pause between the steps of one action
STEP = (1.0, 3.0)

ERROR_MARKERS = ('role="alert"', 'class="errors"', "msg-error", "has-error")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM_LINK = re.compile(r'href="/items/(\d+)/"')
PORTAL_LINK = re.compile(r'href="/public/replies/(\d+)/"')

TOPICS = [
    "养老服务体系建设",
    "普惠托育服务",
    "未成年人关爱保护",
    "社区嵌入式养老服务",
    "垃圾分类长效机制",
    "城市慢行交通系统",
    "老旧小区加装电梯",
    "义务教育优质均衡",
    "基层医疗卫生服务",
    "农村饮用水安全",
]
SENTENCES = [
    "近年来，我市在这方面做了大量工作，取得了明显成效，但仍存在一些短板。",
    "部门之间信息不共享，资源分散，群众办事需要多头跑。",
    "建议由牵头部门制定三年行动计划，明确责任分工和时间节点。",
    "建议加大财政投入，将相关经费纳入年度预算，建立稳定的保障机制。",
    "建议引导社会力量参与，通过政府购买服务的方式提升服务质量。",
    "建议建立定期评估和通报制度，把工作成效纳入部门绩效考核。",
    "建议总结推广基层的好做法，形成可复制的经验。",
    "群众反映强烈的问题，要列出清单，逐项解决，按期销号。",
]
REPLY_PARAGRAPH = "我单位已会同有关部门对建议进行了认真研究，现将办理情况答复如下：我们将把建议纳入下一年度工作计划，逐项落实。"

_accounts = {
    "member": itertools.count(),
    "staff": itertools.count(),
    "supervisor": itertools.count(),
}
# members whose CoSignerUser is running, by body: (pk, full name); leads invite from these
COSIGNERS: dict[str, list[tuple[int, str]]] = {"npc": [], "cppcc": []}

# Two phases. Arrival: every person logs in (spawned at locust's spawn rate). Work: once the
# last of LOAD_USERS has tried to log in, the arrival's figures go to LOAD_ARRIVAL (JSON),
# locust's statistics are reset, and everyone works for LOAD_DURATION seconds; then locust
# quits. So the working period is measured with all the people in, and the morning rush of
# logins (Argon2, CPU-bound) is reported on its own.
EXPECTED = int(os.environ.get("LOAD_USERS", "0"))
DURATION = float(os.environ.get("LOAD_DURATION", "0"))
ARRIVAL_FILE = os.environ.get("LOAD_ARRIVAL", "")
ARRIVED = Event()
_arrivals = itertools.count(1)
_started = [0.0]


def arrival_done(environment: Environment) -> None:
    """Write the arrival's figures, reset the statistics, start the working period's clock."""
    stats = environment.stats
    rows = []
    for entry in [*stats.entries.values(), stats.total]:
        if entry.num_requests == 0:
            continue
        rows.append(
            {
                "method": entry.method or "",
                "name": entry.name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50": entry.get_response_time_percentile(0.5),
                "p95": entry.get_response_time_percentile(0.95),
                "p99": entry.get_response_time_percentile(0.99),
                "max": entry.max_response_time,
            }
        )
    errors = [
        {"name": error.name, "error": str(error.error), "count": error.occurrences}
        for error in stats.errors.values()
    ]
    seconds = time.monotonic() - _started[0]
    if ARRIVAL_FILE:
        Path(ARRIVAL_FILE).write_text(
            json.dumps({"seconds": seconds, "rows": rows, "errors": errors}, ensure_ascii=False),
            encoding="utf-8",
        )
    stats.reset_all()
    runner = environment.runner
    if DURATION and runner is not None:
        gevent.spawn_later(DURATION, runner.quit)
    ARRIVED.set()


def take(kind: str) -> dict[str, Any]:
    """The next unused login of a kind (the plan holds one per simulated person)."""
    pool = PLAN[{"member": "members", "staff": "staff", "supervisor": "supervisors"}[kind]]
    index = next(_accounts[kind])
    if index >= len(pool):
        raise RuntimeError(f"the plan has only {len(pool)} {kind} logins")
    return dict(pool[index])


def pause(span: tuple[float, float] = STEP) -> None:
    gevent.sleep(random.uniform(*span))


class FormFields(HTMLParser):
    """The fields of the first POST form on a page that has a field named `marker`, as a
    browser would submit them without changes (buttons left out)."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.forms: list[list[tuple[str, str]]] = []
        self.names: list[set[str]] = []
        self.current: list[tuple[str, str]] | None = None
        self.textarea: str | None = None
        self.text = ""
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.option: tuple[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.current = []
            self.forms.append(self.current)
            self.names.append(set())
        if self.current is None:
            return
        name = a.get("name", "")
        if name:
            self.names[-1].add(name)
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            self.current.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select is not None:
            self.option = (a.get("value", ""), "selected" in a)
            self.options.append(self.option)

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if self.current is None:
            return
        if tag == "textarea" and self.textarea is not None:
            # the HTML parser keeps the newline that follows <textarea>; a browser drops it
            text = self.text[1:] if self.text.startswith("\n") else self.text
            self.current.append((self.textarea, text))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            chosen = [value for value, selected in self.options if selected]
            if not chosen and self.options:
                chosen = [self.options[0][0]]
            self.current.extend((self.select, value) for value in chosen)
            self.select = None
        elif tag == "form":
            self.current = None

    def fields(self, html: str) -> dict[str, str] | None:
        self.feed(html)
        for names, fields in zip(self.names, self.forms, strict=True):
            if self.marker in names:
                return dict(fields)
        return None


def status_text(response: Any) -> str:
    """HTTP status, or the connection error when there was no response (status 0)."""
    if response.status_code:
        return f"HTTP {response.status_code}"
    return f"no response: {getattr(response, 'error', None)!r}"


def select_options(html: str, name: str) -> list[str]:
    """The non-empty option values of a <select name=...>."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if not match:
        return []
    return [v for v in re.findall(r'<option value="([^"]*)"', match.group(1)) if v]


class Person(FastHttpUser):
    """A logged-in person in a browser: one session, CSRF tokens from the forms."""

    abstract = True
    wait_time = between(*THINK)
    account: dict[str, Any]
    logged_in = False

    def on_start(self) -> None:
        """Log in, wait for everyone to have arrived, then start at a moment of one's own."""
        if not _started[0]:
            _started[0] = time.monotonic()
        for _attempt in range(3):
            self.login()
            if self.logged_in:
                break
        if next(_arrivals) >= EXPECTED and not ARRIVED.is_set():
            arrival_done(self.environment)
        ARRIVED.wait(timeout=900)
        gevent.sleep(random.uniform(0, THINK[1]))

    # --- requests -----------------------------------------------------------------------

    def page(self, path: str, name: str, login_form: bool = False) -> str | None:
        """GET a page; the HTML, or None when it failed (recorded as a failure)."""
        with self.client.get(path, name=name, catch_response=True) as response:
            text = response.text or ""
            if not 200 <= (response.status_code or 0) < 300:
                response.failure(status_text(response))
                return None
            problem = self.problem(text, login_form)
            if problem:
                response.failure(problem)
                return None
            response.success()
            return text

    def post(
        self, path: str, data: dict[str, str] | list[tuple[str, str]], name: str, referer: str
    ) -> str | None:
        """POST a form as a browser does; the redirect's target, or None when it failed."""
        body = urlencode(data)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": (self.host or "").rstrip("/") + referer,
            "Origin": (self.host or "").rstrip("/"),
        }
        with self.client.post(
            path,
            data=body,
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            status = response.status_code or 0
            if status in (301, 302, 303):
                location = urlsplit(response.headers.get("Location", "")).path
                if "/login/" in location and self.logged_in:
                    response.failure("redirected to the login page")
                    return None
                response.success()
                return location
            text = response.text or ""
            problem = self.problem(text, login_form=True)
            response.failure(problem or f"{status_text(response)} instead of a redirect")
            return None

    def problem(self, text: str, login_form: bool = False) -> str:
        """Why a page counts as failed: an error shown to the user, or the login form where
        another page was asked for (not logged in, or the session was lost)."""
        for marker in ERROR_MARKERS:
            at = text.find(marker)
            if at >= 0:
                snippet = re.sub(r"<[^>]+>", " ", text[at : at + 400])
                snippet = " ".join(unescape(snippet).split())[:120]
                return f"error on the page ({marker}): {snippet}"
        if not login_form and 'id="id_password" autocomplete="current-password"' in text:
            return "the login form instead of the page (not logged in)"
        return ""

    def csrf(self, html: str) -> str:
        match = CSRF.search(html)
        return match.group(1) if match else ""

    # --- shared steps -------------------------------------------------------------------

    def login(self) -> None:
        html = self.page("/login/", "login form", login_form=True)
        if html is None:
            return
        data = {
            "csrfmiddlewaretoken": self.csrf(html),
            "username": self.account["username"],
            "password": PLAN["password"],
        }
        location = self.post("/login/", data, "login", "/login/")
        if location:
            self.logged_in = True
            self.page(location, "home")

    def open_one(self, html: str, name: str = "item detail") -> str | None:
        ids = ITEM_LINK.findall(html)
        if not ids:
            return None
        pause()
        return self.page(f"/items/{random.choice(ids)}/", name)

    def portal(self) -> None:
        html = self.page("/public/", "portal index")
        if html is None:
            return
        ids = PORTAL_LINK.findall(html)
        if ids:
            pause()
            self.page(f"/public/replies/{random.choice(ids)}/", "portal reply")


class MemberUser(Person):
    """A deputy or CPPCC member writing and submitting items in the submission week."""

    weight = 50

    def on_start(self) -> None:
        self.account = take("member")
        self.drafts: list[int] = []
        super().on_start()

    @task(3)
    def home(self) -> None:
        self.page("/", "home")

    @task(2)
    def my_items(self) -> None:
        html = self.page("/items/", "item list (mine)")
        if html:
            self.open_one(html)

    @task(2)
    def browse_portal(self) -> None:
        self.portal()

    @task(1)
    def search_portal(self) -> None:
        self.page("/public/?" + urlencode({"q": random.choice(PLAN["terms"])}), "portal search")

    @task(2)
    def open_drafts(self) -> None:
        html = self.page("/items/?status=draft", "item list (drafts)")
        if html:
            self.open_one(html)

    @task(3)
    def write_draft(self) -> None:
        if len(self.drafts) >= 2:  # finish those first
            self.submit_ready()
            return
        form = self.page("/items/new/", "new item form")
        if form is None:
            return
        fields = FormFields("title").fields(form)
        if fields is None:
            return
        categories = select_options(form, "category")
        topic = random.choice(TOPICS)
        fields["title"] = f"关于加强{topic}的建议（{self.account['username']}）"[:100]
        fields["body"] = "\n\n".join(
            "".join(random.sample(SENTENCES, 3)) for _ in range(random.randint(3, 6))
        )
        if categories:
            fields["category"] = random.choice(categories)
        pause((3.0, 6.0))  # typing
        location = self.post("/items/new/", fields, "create draft", "/items/new/")
        match = re.fullmatch(r"/items/(\d+)/", location or "")
        if not match:
            return
        pk = int(match.group(1))
        self.drafts.append(pk)
        detail = self.page(location or "", "item detail")
        if detail is None:
            return
        self.invite(pk)

    def invite(self, pk: int) -> None:
        partners = [c for c in COSIGNERS[self.account["body"]] if c[0] != self.account["pk"]]
        if not partners:
            return
        member_pk, name = random.choice(partners)
        pause()
        path = f"/items/{pk}/cosigners/"
        html = self.page(path + "?" + urlencode({"q": name}), "co-signer search")
        if html is None:
            return
        if f'name="member" value="{member_pk}"' not in html:
            return  # already invited (shown as such) or not found: nothing to click
        pause()
        location = self.post(
            path,
            {"csrfmiddlewaretoken": self.csrf(html), "member": str(member_pk)},
            "invite co-signer",
            path,
        )
        if location:
            self.page(location, "item detail")

    @task(2)
    def submit_ready(self) -> None:
        """Submit a draft whose co-signer has answered (a lead waits for the co-signers)."""
        for pk in list(self.drafts):
            path = f"/items/{pk}/"
            html = self.page(path, "item detail")
            if html is None:
                self.drafts.remove(pk)
                return
            if "cosign-invited" in html:
                continue
            if f'action="/items/{pk}/submit/"' not in html:
                self.drafts.remove(pk)
                continue
            pause()
            location = self.post(
                f"/items/{pk}/submit/", {"csrfmiddlewaretoken": self.csrf(html)}, "submit", path
            )
            self.drafts.remove(pk)
            if location:
                self.page(location, "item detail")
            return


class CoSignerUser(Person):
    """A member who mostly answers invitations to co-sign."""

    weight = 20

    def on_start(self) -> None:
        self.account = take("member")
        super().on_start()
        COSIGNERS[self.account["body"]].append((self.account["pk"], self.account["name"]))

    @task(4)
    def confirm_invitations(self) -> None:
        html = self.page("/", "home")
        if html is None or "待确认的联名邀请" not in html:
            return
        section = html.split("待确认的联名邀请", 1)[1].split("</section>", 1)[0]
        for pk in ITEM_LINK.findall(section)[:3]:
            pause()
            path = f"/items/{pk}/"
            detail = self.page(path, "item detail")
            if detail is None:
                continue
            match = re.search(r'action="(/items/cosigners/\d+/respond/)"', detail)
            if not match:
                continue
            pause()
            location = self.post(
                match.group(1),
                {"csrfmiddlewaretoken": self.csrf(detail), "answer": "confirm"},
                "confirm co-signing",
                path,
            )
            if location:
                self.page(location, "item detail")

    @task(1)
    def invitations(self) -> None:
        self.page("/items/invitations/", "invitations")

    @task(1)
    def my_items(self) -> None:
        self.page("/items/", "item list (mine)")

    @task(1)
    def browse_portal(self) -> None:
        self.portal()


class UnitStaffUser(Person):
    """A 承办员 drafting replies to the unit's assignments."""

    weight = 20

    def on_start(self) -> None:
        self.account = take("staff")
        self.work: list[list[int]] = list(self.account["work"])
        random.shuffle(self.work)
        super().on_start()

    @task(3)
    def workspace(self) -> None:
        html = self.page("/items/work/", "workspace")
        if html and random.random() < 0.5:
            pause()
            self.page("/items/work/?status=accepted&ordering=due_on", "workspace (filtered)")

    @task(2)
    def open_assignment(self) -> None:
        if self.work:
            self.page(f"/items/{random.choice(self.work)[1]}/", "item detail")

    @task(3)
    def draft_reply(self) -> None:
        if not self.work:
            return
        assignment, item = self.work[0]
        self.work.append(self.work.pop(0))  # next time the next one
        path = f"/items/{item}/"
        html = self.page(path, "item detail")
        if html is None:
            return
        start = f"/replies/start/{assignment}/"
        if f'action="{start}"' not in html:
            self.work = [w for w in self.work if w[0] != assignment]
            return
        pause()
        edit = self.post(start, {"csrfmiddlewaretoken": self.csrf(html)}, "reply start", path)
        if not edit:
            return
        form = self.page(edit, "reply form")
        if form is None:
            return
        fields = FormFields("body_html").fields(form)
        if fields is None:
            return
        body = fields.get("body_html", "")
        fields["body_html"] = (body + "\n" if body else "") + REPLY_PARAGRAPH
        fields["save"] = ""
        pause((3.0, 6.0))  # typing
        location = self.post(edit, fields, "reply save", edit)
        if location:
            self.page(location, "reply form")


class SupervisorUser(Person):
    """督办: filters the item lists, looks at the dashboard and the queues."""

    weight = 10

    def on_start(self) -> None:
        self.account = take("supervisor")
        super().on_start()

    def a_filter(self) -> dict[str, str]:
        choice = random.randrange(5)
        if choice == 0:
            return {"status": random.choice(["submitted", "registered", "assigned", "replied"])}
        if choice == 1:
            return {"meeting": str(random.choice(PLAN["meetings"])), "status": "assigned"}
        if choice == 2:
            return {"q": random.choice(PLAN["terms"])}
        if choice == 3:
            return {"overdue": "true"}
        return {"due_within": "15", "ordering": "due_on"}

    @task(4)
    def filtered_list(self) -> None:
        html = self.page("/items/?" + urlencode(self.a_filter()), "item list (filtered)")
        if html and random.random() < 0.5:
            self.open_one(html)

    @task(1)
    def full_list(self) -> None:
        self.page("/items/", "item list (all)")

    @task(2)
    def dashboard(self) -> None:
        self.page("/items/dashboard/", "dashboard")

    @task(1)
    def review_queue(self) -> None:
        html = self.page("/items/review/", "review queue")
        if html:
            self.open_one(html)

    @task(1)
    def home(self) -> None:
        self.page("/", "home")

    @task(1)
    def scorecards(self) -> None:
        self.page(f"/items/scorecards/?meeting={random.choice(PLAN['meetings'])}", "scorecards")
