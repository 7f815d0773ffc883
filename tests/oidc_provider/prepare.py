"""Set up the test provider's database: `python -m tests.oidc_provider.prepare CONFIG.json`
with DJANGO_SETTINGS_MODULE=tests.oidc_provider.settings and OIDC_PROVIDER_DB set.

CONFIG: {"client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris": [...],
"client_scope": [...], "other_clients": [{"client_id", "client_secret", "redirect_uris"}],
"users": [{"username", "password", "first_name", "last_name", "email"}]}."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import django


def main(config_path: str) -> None:
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oidc_provider.models import Client, ResponseType

    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    call_command("migrate", verbosity=0)
    call_command("creatersakey")
    client = Client.objects.create(
        name="建议提案办理系统",
        client_type="confidential",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        jwt_alg="RS256",
        require_consent=False,
        _redirect_uris="\n".join(config["redirect_uris"]),
        _post_logout_redirect_uris="\n".join(config["post_logout_redirect_uris"]),
        # "token_introspection" lets it introspect tokens; the client ids named with it are the
        # audiences whose tokens it may introspect (django-oidc-provider's rule)
        _scope=" ".join(config.get("client_scope", [])),
    )
    client.response_types.add(ResponseType.objects.get(value="code"))
    for other in config.get("other_clients", []):
        # another site of the same provider (tests/test_api_tokens.py: its tokens are not ours)
        other_client = Client.objects.create(
            name=other["client_id"],
            client_type="confidential",
            client_id=other["client_id"],
            client_secret=other["client_secret"],
            jwt_alg="RS256",
            require_consent=False,
            _redirect_uris="\n".join(other["redirect_uris"]),
        )
        other_client.response_types.add(ResponseType.objects.get(value="code"))
    for person in config["users"]:
        User.objects.create_user(**person)


if __name__ == "__main__":
    main(sys.argv[1])
