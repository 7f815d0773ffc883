"""Login throttling behind reverse proxies: X-Forwarded-For is believed only from a configured
proxy address (DJANGO_TRUSTED_PROXIES), so a client that reaches gunicorn directly cannot rotate
the header to escape the lock on its own address."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory, override_settings

from accounts.throttle import client_ip, trusted_proxy_networks

from .factories import UserFactory

PASSWORD = "pass-1234"
PROXY = "172.18.0.1"  # the docker network's gateway: the host's TLS proxy, as gunicorn sees it
TRUSTED = ["127.0.0.1", "::1", "172.16.0.0/12"]


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().post("/login/", **extra))


@pytest.fixture(autouse=True)
def _one_trusted_proxy(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = TRUSTED


class TestClientAddress:
    def test_a_request_through_the_trusted_proxy_counts_the_client_it_saw(self) -> None:
        assert address(PROXY, "198.51.100.9") == "198.51.100.9"
        # whatever the client wrote itself stays left of what the proxy appended
        assert address(PROXY, "9.9.9.9, 198.51.100.9") == "198.51.100.9"
        assert address("127.0.0.1", "198.51.100.9") == "198.51.100.9"
        assert address("::ffff:127.0.0.1", "198.51.100.9") == "198.51.100.9"

    def test_a_direct_client_is_counted_under_its_own_address_whatever_it_forwards(self) -> None:
        assert address("203.0.113.7", "198.51.100.9") == "203.0.113.7"
        assert address("203.0.113.7", "127.0.0.1") == "203.0.113.7"
        assert address("10.1.2.3", "172.18.0.1, 198.51.100.9") == "10.1.2.3"

    def test_malformed_headers_fall_back_to_the_last_trusted_hop(self) -> None:
        assert address(PROXY) == PROXY
        assert address(PROXY, "") == PROXY
        assert address(PROXY, "not-an-ip") == PROXY
        assert address(PROXY, "198.51.100.9, ") == PROXY
        assert address(PROXY, "198.51.100.9,,") == PROXY
        assert address(PROXY, "1.2.3.4:5678") == PROXY  # a port is not an address
        assert address(PROXY, " 2001:db8::1 ") == "2001:db8::1"
        assert address("not-an-address", "198.51.100.9") is None

    @override_settings(PROXY_COUNT=0)
    def test_without_proxies_the_header_is_never_read(self) -> None:
        assert address(PROXY, "198.51.100.9") == PROXY

    @override_settings(PROXY_COUNT=2)
    def test_two_hops_are_walked_only_through_trusted_proxies(self) -> None:
        # client → edge proxy (172.20.0.5) → inner proxy (172.18.0.1) → gunicorn
        assert address(PROXY, "9.9.9.9, 198.51.100.9, 172.20.0.5") == "198.51.100.9"
        # the entry the inner proxy wrote is not a proxy: that is the client, stop there
        assert address(PROXY, "9.9.9.9, 198.51.100.9") == "198.51.100.9"
        # never more than PROXY_COUNT hops, even through trusted addresses
        assert address(PROXY, "9.9.9.9, 172.20.0.6, 172.20.0.5") == "172.20.0.6"

    def test_a_bad_trusted_proxy_entry_is_refused(self) -> None:
        with pytest.raises(ImproperlyConfigured, match="DJANGO_TRUSTED_PROXIES"):
            trusted_proxy_networks(("127.0.0.1", "proxy.example"))


@pytest.mark.django_db
class TestLockByAddress:
    @pytest.fixture(autouse=True)
    def users(self) -> None:
        UserFactory(username="wangjianguo", role="member")

    def login(self, remote: str, forwarded: str) -> int:
        response = Client().post(
            "/login/",
            {"username": "wangjianguo", "password": PASSWORD},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        )
        return response.status_code

    def guess(self, n: int, remote: str, forwarded: str) -> int:
        response = Client().post(
            "/login/",
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        )
        return response.status_code

    def test_a_direct_client_rotating_the_header_stays_locked(self) -> None:
        for n in range(5):
            self.guess(n, "203.0.113.7", f"198.51.100.{n + 1}")
        # a fresh forged address does not help: the lock is on 203.0.113.7
        assert self.login("203.0.113.7", "198.51.100.200") == 429
        # someone else, through the proxy, is not affected
        assert self.login(PROXY, "198.51.100.200") == 302

    def test_through_the_proxy_the_lock_is_on_the_client_not_on_the_proxy(self) -> None:
        for n in range(5):
            self.guess(n, PROXY, "198.51.100.1")
        assert self.login(PROXY, "198.51.100.1") == 429
        # the proxy's other clients still log in
        assert self.login(PROXY, "198.51.100.2") == 302
