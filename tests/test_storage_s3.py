"""Files on S3-compatible object storage, against a real S3 server (moto's standalone server in a
subprocess; nothing mocked): attachments uploaded through the form and downloaded through the
permission-checked view, letters rendered by the real task, the ZIP archive, urging notices and
background Excel exports all land in the bucket, come back byte for byte, and nothing is written
under MEDIA_ROOT. Skipped without moto on a developer machine; an error under CI."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from config.settings.base import s3_storage
from proposals import services
from proposals.models import Attachment, ExportJob, ExportStatus, Proposal, UrgingNotice
from replies import services as reply_services
from replies.models import Letter, LetterStatus

from .factories import UnitFactory, UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[1]


def _unavailable(reason: str) -> None:
    """Skip on a developer machine; fail under CI, so a broken CI image never passes silently
    (as tests/e2e/conftest.py does for Chromium)."""
    if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on a spare loopback port, for this module only."""
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError:
        _unavailable("the S3 tests need moto[server] and boto3 (pip install -e '.[dev]')")
    port = _spare_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    _unavailable(f"moto_server did not start on {endpoint}")
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch) -> Iterator[Any]:
    """A fresh bucket, and the default storage pointed at it through the same settings function
    and environment variables as a deployment (config/settings/base.py)."""
    import boto3

    for variable, value in {
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": "jianyi-test",
        "AWS_SECRET_ACCESS_KEY": "jianyi-test-secret",
    }.items():
        monkeypatch.setenv(variable, value)
    name = f"jianyi-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.create_bucket(Bucket=name)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(name)}
    client.bucket_name = name  # type: ignore[attr-defined]
    yield client
    assert not Path(settings.MEDIA_ROOT).exists(), "a file was written to the local media folder"


def keys(client: Any) -> list[str]:
    listing = client.list_objects_v2(Bucket=client.bucket_name)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def stored_bytes(client: Any, key: str) -> bytes:
    return client.get_object(Bucket=client.bucket_name, Key=key)["Body"].read()


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_settings_pick_s3_from_the_environment_and_refuse_a_missing_bucket() -> None:
    """What a production node does with DJANGO_STORAGE / AWS_STORAGE_BUCKET_NAME."""
    probe = (
        "from django.conf import settings; s = settings.STORAGES;"
        "print(s['default']['BACKEND'], s['default'].get('OPTIONS', {}).get('bucket_name'),"
        " s['staticfiles']['BACKEND'].rsplit('.', 1)[1])"
    )
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": "x" * 50,
        "POSTGRES_DB": "jianyi",
    }
    for variable in ("DJANGO_STORAGE", "AWS_STORAGE_BUCKET_NAME"):
        base_env.pop(variable, None)

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", probe],
            env={**base_env, **extra},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    # a bucket is enough; an empty DJANGO_STORAGE (docker-compose passes unset ones as "") is unset
    on_s3 = run(DJANGO_STORAGE="", AWS_STORAGE_BUCKET_NAME="jianyi-files")
    assert on_s3.stdout.split() == [
        "storages.backends.s3.S3Storage",
        "jianyi-files",
        "CompressedManifestStaticFilesStorage",
    ], on_s3.stderr
    refused = run(DJANGO_STORAGE="s3")
    assert refused.returncode != 0
    assert "DJANGO_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in refused.stderr


@pytest.mark.django_db
def test_attachment_goes_to_the_bucket_and_back_only_to_those_who_may_see_it(
    bucket, login, member, other_member, npc_meeting, npc_category
) -> None:
    client = login(member)
    response = client.post(
        reverse("proposals:create"),
        {
            "meeting": npc_meeting.pk,
            "kind": "suggestion",
            "title": "关于扩大普惠托育服务供给的建议",
            "category": npc_category.pk,
            "body": "建议加大普惠托育机构建设补贴。",
            "attachments": SimpleUploadedFile(
                "调研报告.pdf", PDF_BYTES, content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(proposal__title="关于扩大普惠托育服务供给的建议")
    assert keys(bucket) == [attachment.file.name]
    assert attachment.file.name.startswith("attachments/") and "调研" not in attachment.file.name
    assert stored_bytes(bucket, attachment.file.name) == PDF_BYTES

    url = reverse("proposals:attachment", args=[attachment.pk])
    download = client.get(url)
    assert download.status_code == 200 and body_of(download) == PDF_BYTES
    assert "filename*=utf-8''" in download["Content-Disposition"]
    assert login(other_member).get(url).status_code == 404

    # a file gone from the bucket is a plain 404, not a server error
    bucket.delete_object(Bucket=bucket.bucket_name, Key=attachment.file.name)
    assert login(member).get(url).status_code == 404


@pytest.mark.django_db
def test_removing_a_drafts_attachment_deletes_the_object(
    bucket, member, npc_meeting, npc_category, django_capture_on_commit_callbacks
) -> None:
    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于完善社区养老服务的建议",
        body="建议正文。",
        category=npc_category,
        attachments=[SimpleUploadedFile("a.pdf", PDF_BYTES, content_type="application/pdf")],
    )
    attachment = proposal.attachments.get()
    assert keys(bucket) == [attachment.file.name]
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_remove(attachment=attachment, actor=member)
    assert keys(bucket) == []


@pytest.fixture
def handled(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff) -> Proposal:
    """A registered item assigned to 杭州市民政局, signed for by its staff."""
    unit.document_prefix = "杭民函"
    unit.save()
    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于引导社会组织参与未成年人保护的建议",
        body="建议正文。",
        category=npc_category,
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor)
    services.proposal_assign(proposal=proposal, actor=npc_supervisor, lead_unit=unit, co_units=[])
    services.assignment_accept(assignment=proposal.assignments.get(role="lead"), actor=unit_staff)
    proposal.refresh_from_db()
    return proposal


@pytest.mark.django_db
def test_letters_are_rendered_into_the_bucket_downloaded_and_archived(
    bucket,
    login,
    handled,
    unit_staff,
    unit_leader,
    npc_supervisor,
    cppcc_supervisor,
    npc_meeting,
    member,
    third_member,
    tmp_path,
    django_capture_on_commit_callbacks,
) -> None:
    reply = reply_services.reply_start(
        assignment=handled.assignments.get(role="lead"), actor=unit_staff
    )
    reply = reply_services.reply_save(
        reply=reply,
        actor=unit_staff,
        version=reply.version,
        body_html="一、工作开展情况\n我们认真研究，积极推进。",
        result_class="B",
    )
    with django_capture_on_commit_callbacks(execute=True):  # the render task runs eagerly
        reply_services.reply_submit(reply=reply, actor=unit_staff)
        reply = reply_services.reply_sign(reply=reply, actor=unit_leader)
        reply = reply_services.reply_approve(reply=reply, actor=npc_supervisor)
    letter = Letter.objects.get(reply=reply)
    assert letter.status == LetterStatus.READY, letter.error
    assert keys(bucket) == [letter.file.name] and letter.file.name.startswith("letters/")
    stored = stored_bytes(bucket, letter.file.name)
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == letter.sha256

    url = reverse("replies:letter", args=[reply.pk])
    for user in (member, unit_staff, npc_supervisor):
        download = login(user).get(url)
        assert download.status_code == 200 and body_of(download) == stored
    assert login(third_member).get(url).status_code == 404

    zip_url = reverse("replies:letters_zip", args=[npc_meeting.pk])
    archive = zipfile.ZipFile(io.BytesIO(body_of(login(npc_supervisor).get(zip_url))))
    assert [archive.read(name) for name in archive.namelist()] == [stored]
    assert login(cppcc_supervisor).get(zip_url).status_code == 404
    out = tmp_path / "letters.zip"
    call_command("export_letters", meeting=npc_meeting.pk, out=out, stdout=io.StringIO())
    assert [zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist()] == [stored]


@pytest.mark.django_db
def test_urging_notice_is_stored_in_the_bucket_and_read_by_the_unit_only(
    bucket, login, handled, npc_supervisor, unit, unit_staff
) -> None:
    handled.assignments.update(due_on=timezone.localdate() - timedelta(days=4))
    response = login(npc_supervisor).post(reverse("proposals:urging_send", args=[unit.pk]))
    assert response.status_code == 302
    notice = UrgingNotice.objects.get()
    assert keys(bucket) == [notice.file.name] and notice.file.name.startswith("urging/")
    url = reverse("proposals:urging_notice", args=[notice.pk])
    pdf = login(unit_staff).get(url)
    assert pdf.status_code == 200
    assert body_of(pdf) == stored_bytes(bucket, notice.file.name)
    stranger = UserFactory(username="czj", role="unit_staff", unit=UnitFactory(name="杭州市财政局"))
    assert login(stranger).get(url).status_code == 404


@pytest.mark.django_db
def test_a_background_export_is_written_to_the_bucket_for_its_owner_only(
    bucket,
    settings,
    login,
    member,
    other_member,
    npc_meeting,
    npc_category,
    django_capture_on_commit_callbacks,
) -> None:
    settings.EXPORT_SYNC_MAX_ROWS = 1
    titles = ["关于加快老旧小区加装电梯的建议", "关于优化公交线路的建议"]
    for title in titles:
        item = services.proposal_create(
            author=member,
            meeting=npc_meeting,
            title=title,
            body="建议正文。",
            category=npc_category,
        )
        services.proposal_submit(proposal=item, actor=member)
    client = login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("proposals:export_items"))
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("proposals:export_status", args=[job.pk])
    assert job.status == ExportStatus.READY, job.error
    assert keys(bucket) == [job.file.name] and job.file.name.startswith("exports/")

    download_url = reverse("proposals:export_download", args=[job.pk])
    download = client.get(download_url)
    content = body_of(download)
    assert download.status_code == 200 and content == stored_bytes(bucket, job.file.name)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert sorted(row[1] for row in rows[1:]) == sorted(titles)
    assert login(other_member).get(download_url).status_code == 404
