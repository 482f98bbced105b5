"""Deliver the outbox's pending messages now: what beat's dispatcher does every 15 seconds.

For a site without beat (no REDIS_URL: tasks run in the web process) or to drain the outbox by
hand after an outage. `--all` also takes messages whose back-off has not yet expired.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_dispatch


class Command(BaseCommand):
    help = "立即投递到期（--all：全部）待投递消息。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="也投递尚在退避等待中的消息")

    def handle(self, *args, **options) -> None:
        if options["all"]:
            OutboxMessage.objects.filter(delivered_at__isnull=True).update(
                next_attempt_at=timezone.now()
            )
        delivered = outbox_dispatch()
        pending = OutboxMessage.objects.filter(delivered_at__isnull=True).count()
        self.stdout.write(f"delivered {delivered}, still pending {pending}")
