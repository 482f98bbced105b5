from django.core.management.base import BaseCommand

from apps.orders.services.divisions import divisions_load


class Command(BaseCommand):
    help = "Load official divisions (province → township) from the packaged CSV. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            nargs="*",
            metavar="CODE",
            help="only these codes, their subtree and ancestors",
        )

    def handle(self, *args, only=None, **options):
        written = divisions_load(prefixes=only or None)
        self.stdout.write(f"divisions written: {written}")
