"""Every variable README.md documents in its Configuration table is read from the environment:
setting it changes the settings (config/settings), in the set-up where it applies."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

README = Path(settings.BASE_DIR) / "README.md"

# Where a variable applies: the settings module and what else the environment must say.
PRODUCTION = {
    "module": "config.settings.prod",
    "environment": {"DJANGO_SECRET_KEY": "p" * 50, "POSTGRES_DB": "jianyi"},
}
POSTGRES = {"module": "config.settings.base", "environment": {"POSTGRES_DB": "jianyi"}}
S3 = {"module": "config.settings.base", "environment": {"AWS_STORAGE_BUCKET_NAME": "jianyi"}}
CONTEXT = {
    **dict.fromkeys(
        ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_HOST", "POSTGRES_PORT"], POSTGRES
    ),
    **dict.fromkeys(["POSTGRES_CONN_MAX_AGE", "POSTGRES_PREPARE_THRESHOLD"], POSTGRES),
    **dict.fromkeys(
        [
            "AWS_S3_ENDPOINT_URL",
            "AWS_S3_REGION_NAME",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_S3_ADDRESSING_STYLE",
            "AWS_LOCATION",
        ],
        S3,
    ),
    **dict.fromkeys(
        [
            "DJANGO_SECURE_COOKIES",
            "DJANGO_SECURE_SSL_REDIRECT",
            "DJANGO_HSTS_SECONDS",
            "DJANGO_HSTS_PRELOAD",
        ],
        PRODUCTION,
    ),
}
DEFAULT = {"module": "config.settings.base", "environment": {}}

# Imports the settings module twice per variable, with the variable "1" and "0" (a flag, a
# number and a text all differ between the two), in a clean environment; prints whether the
# settings (or the refusal to start) differ.
PROBE = r"""
import importlib, json, os, re, sys
from django.utils.functional import Promise

def plain(value):  # repr without translating the lazy texts (no app registry here)
    if isinstance(value, Promise):
        return "<lazy text>"
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))

cases = json.loads(sys.argv[1])
clean = {k: v for k, v in os.environ.items()
         if not re.match(r"(POSTGRES|DJANGO|CELERY|AWS|SQLITE|SMS|LOGIN|LETTER|EXPORT|ATTACHMENT|REMINDER)_", k)}

def snapshot(module_name, environment):
    os.environ.clear()
    os.environ.update(clean)
    os.environ.update(environment)
    for name in [m for m in sys.modules if m.startswith("config.settings")]:
        del sys.modules[name]
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        return "refused: %r" % (error,)
    return {k: plain(v) for k, v in vars(module).items() if k.isupper()}

result = {}
for name, case in cases.items():
    one = snapshot(case["module"], {**case["environment"], name: "1"})
    zero = snapshot(case["module"], {**case["environment"], name: "0"})
    result[name] = one != zero
print(json.dumps(result))
"""


def documented_variables() -> list[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for line in table.splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            names += re.findall(r"`([A-Z][A-Z0-9_]+)`", first_column)
    return names


def test_the_readme_documents_the_variables_of_the_settings():
    names = documented_variables()
    assert len(names) == len(set(names))
    # a sample, so that a change of the table's layout does not empty the check below
    for name in ("DJANGO_SECRET_KEY", "POSTGRES_DB", "CELERY_BROKER_URL", "DJANGO_EMAIL_BACKEND"):
        assert name in names


def test_every_documented_variable_is_read_from_the_environment():
    names = documented_variables()
    # DJANGO_SETTINGS_MODULE chooses the module itself: the entry points default it
    names.remove("DJANGO_SETTINGS_MODULE")
    for entry_point in ("manage.py", "config/wsgi.py", "config/celery.py"):
        source = (Path(settings.BASE_DIR) / entry_point).read_text(encoding="utf-8")
        assert 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")' in source
    cases = {name: CONTEXT.get(name, DEFAULT) for name in names}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(cases)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    read = json.loads(probe.stdout)
    assert [name for name in names if not read[name]] == []
