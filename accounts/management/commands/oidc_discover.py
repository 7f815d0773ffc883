"""Print the OIDC_OP_* settings for a provider from its discovery document, for .env."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

# our setting ← the discovery document's key (OpenID Connect Discovery 1.0, §3)
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # in the language active when the command runs (argparse needs a str, not a lazy one)
        self.help = gettext(
            "读取统一身份认证（OpenID Connect）服务的发现文档，输出应填入 .env 的 OIDC_OP_* 设置。"
            "参数为服务地址（issuer）或其 /.well-known/openid-configuration 地址。"
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("issuer", help="issuer URL or its discovery document URL")

    def handle(self, *args: Any, **options: Any) -> None:
        url = str(options["issuer"]).rstrip("/")
        if not url.endswith("/.well-known/openid-configuration"):
            url += "/.well-known/openid-configuration"
        try:
            response = requests.get(
                url,
                timeout=getattr(settings, "OIDC_TIMEOUT", 10),
                verify=getattr(settings, "OIDC_VERIFY_SSL", True),
            )
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise CommandError(
                gettext("读取发现文档失败：%(url)s（%(error)s）") % {"url": url, "error": exc}
            ) from exc
        if not isinstance(document, dict):
            raise CommandError(gettext("发现文档格式不正确：%(url)s") % {"url": url})
        missing = [key for key in list(ENDPOINTS.values())[:4] if not document.get(key)]
        if missing:
            raise CommandError(gettext("发现文档缺少：%(keys)s") % {"keys": ", ".join(missing)})
        for setting, key in ENDPOINTS.items():
            if document.get(key):
                self.stdout.write(f"{setting}={document[key]}")
            else:
                self.stdout.write(
                    gettext("# %(setting)s=  (无 %(key)s：退出时不能结束统一身份认证的会话)")
                    % {"setting": setting, "key": key}
                )
        algorithms = document.get("id_token_signing_alg_values_supported") or []
        algorithm = "RS256" if "RS256" in algorithms or not algorithms else algorithms[0]
        self.stdout.write(f"OIDC_RP_SIGN_ALGO={algorithm}")
