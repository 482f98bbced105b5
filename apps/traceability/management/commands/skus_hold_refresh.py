"""Recompute Sku.is_held for every SKU with a lot (once after upgrading, or to repair)."""

from django.core.management.base import BaseCommand

from apps.traceability.services.holds import skus_hold_refresh


class Command(BaseCommand):
    help = "按批次状态重新计算所有规格的「因批次召回暂停销售」标记。"

    def handle(self, *args, **options):
        count = skus_hold_refresh(sku_ids=None)
        self.stdout.write(f"{count} SKU(s) refreshed.")
