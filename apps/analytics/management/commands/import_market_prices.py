from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.analytics.services.imports import market_prices_import
from apps.core.errors import ApplicationError


class Command(BaseCommand):
    help = "导入行情 CSV（新发地格式）：坏行逐行报告，好行保留；重复导入不新增。"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            record = market_prices_import(content=content, file_name=file.name)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for error in record.errors:
            self.stderr.write(f"line {error['line']}: {error['message']}")
        self.stdout.write(
            f"{record.rows_total} rows: {record.rows_added} added, "
            f"{record.rows_duplicate} already present, {record.rows_rejected} rejected "
            f"({record.encoding})"
        )
        if record.errors:
            # Good rows are saved; a non-zero exit still tells a script that some were refused.
            raise SystemExit(1)
