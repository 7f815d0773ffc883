"""The site's icon: linked from every page's head and answered at /favicon.ico, where browsers
ask for it on their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

ICO_MAGIC = b"\x00\x00\x01\x00"  # an ICO file's header: reserved 0, type 1 (icon)
ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)"')


@pytest.mark.django_db
def test_favicon_ico_is_answered_with_the_icon_to_everyone(client: Client) -> None:
    # When: a browser asks for /favicon.ico without being logged in
    response = client.get("/favicon.ico")
    # Then: it gets the icon, not a 404 or the login page
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = response.getvalue()
    assert body.startswith(ICO_MAGIC)
    assert body == Path(str(finders.find("favicon.ico"))).read_bytes()
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.django_db
def test_favicon_refuses_a_post(client: Client) -> None:
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/public/", "/admin/login/"])
def test_pages_of_each_base_template_link_icons_that_exist(client: Client, path: str) -> None:
    # When: a page of the product, of the public portal and of the admin is opened
    html = client.get(path).content.decode()
    # Then: it links the SVG icon and the ICO, and both are there to be served
    links = ICON_LINK.findall(html)
    assert [link.rsplit("/", 1)[-1] for link in links] == ["favicon.ico", "favicon.svg"]
    for link in links:
        assert finders.find(link.removeprefix("/static/")) is not None, link
