"""Error pages speak Chinese: a missing page says why when the app knows, a refused form says
what to do, and nothing shows Django's English defaults."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
class TestErrorPages:
    def test_a_missing_page(self, login, member):
        response = login(member).get("/items/999999/")
        html = response.content.decode()
        assert response.status_code == 404
        assert "没有找到这个页面" in html and "返回首页" in html
        assert "Not Found" not in html and "matches the given query" not in html

    def test_the_apps_own_reason_is_shown(self, client):
        response = client.get("/public/replies/999999/")
        assert response.status_code == 404
        assert "没有找到这份公开的答复。" in response.content.decode()

    def test_a_form_posted_without_its_csrf_token(self, member):
        response = Client(enforce_csrf_checks=True).post(
            "/login/", {"username": member.username, "password": "x"}
        )
        html = response.content.decode()
        assert response.status_code == 403
        assert "页面已过期" in html and "刷新后重新提交" in html
        assert "CSRF verification failed" not in html

    def test_a_role_that_may_not_gets_a_chinese_403(self, login, member):
        response = login(member).get("/items/follow-ups/export.xlsx")
        html = response.content.decode()
        assert response.status_code == 403
        assert "没有权限" in html and "Forbidden" not in html
