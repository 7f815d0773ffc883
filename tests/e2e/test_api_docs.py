"""The API docs page (/api/docs/) in a real browser: logged in, Swagger UI lists the endpoints
from our own schema, with no CSP violation and no request to another host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.factories import MeetingFactory, MemberFactory

from .test_csp import login, watch_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_docs_list_the_endpoints_without_a_violation(page: Page, live_server: Any) -> None:
    MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    MemberFactory(username="hehong", full_name="何红")
    violations = watch_violations(page)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    login(page, "hehong")

    response = page.goto("/api/docs/")

    assert response is not None and response.status == 200
    assert "Content-Security-Policy" in {name.title() for name in response.headers}
    expect(
        page.get_by_text("建议提案办理系统 API / Suggestions and Proposals Handling API")
    ).to_be_visible()
    # every part of the API is listed, each endpoint with its bilingual summary
    expect(page.locator(".opblock-tag-section")).to_have_count(8)
    expect(page.get_by_text("/api/v1/items/{id}/", exact=True).first).to_be_visible()
    expect(page.get_by_text("建议提案列表 / List items")).to_be_visible()
    expect(page.get_by_text("/api/v1/public/replies/", exact=True).first).to_be_visible()
    assert violations == []
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
