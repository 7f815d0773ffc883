from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from proposals import search
from proposals.models import Proposal
from replies.models import Reply, ReplyStatus
from replies.services.drafting import index_reply


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # in the language active when the command runs (argparse needs a str, not a lazy one)
        self.help = gettext("重建全文检索的词项（建议提案和已发出的答复）。")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Proposal.objects.values_list("pk", "title", "body").iterator(chunk_size=2000)
        batch: list[tuple[int, str, str]] = []
        count = 0
        for pk, title, body in rows:
            batch.append((pk, title, body))
            if len(batch) == 2000:
                search.update_vectors(Proposal, batch)
                count += len(batch)
                batch = []
        search.update_vectors(Proposal, batch)
        count += len(batch)
        replies = Reply.objects.filter(status=ReplyStatus.SENT).select_related("proposal", "unit")
        for reply in replies.iterator(chunk_size=500):
            index_reply(reply)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("已重建 %(items)s 件建议提案和 %(replies)s 份答复的检索词项。")
                % {"items": count, "replies": replies.count()}
            )
        )
