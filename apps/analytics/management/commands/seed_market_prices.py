from django.core.management.base import BaseCommand

from apps.analytics.services.synthetic import market_prices_seed


class Command(BaseCommand):
    help = "生成合成行情数据（演示与压测用，标记为合成），替换此前的合成数据。"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=730)
        parser.add_argument("--markets", type=int, default=20)
        parser.add_argument("--commodities", type=int, default=80)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, days, markets, commodities, seed, **options):
        count = market_prices_seed(days=days, markets=markets, commodities=commodities, seed=seed)
        self.stdout.write(f"{count} synthetic quotes written (seed {seed})")
