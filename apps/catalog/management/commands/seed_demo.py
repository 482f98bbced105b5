from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from apps.catalog.demo import DEFAULT_PRODUCTS, DEMO_ACCOUNTS, demo_seed


class Command(BaseCommand):
    help = "Seed the demo county: stores, categories, products with images, demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=int,
            default=DEFAULT_PRODUCTS,
            help=f"How many demo products in total (default {DEFAULT_PRODUCTS}; 10000+ for "
            "benchmarks). Re-running only adds what is missing.",
        )

    def handle(self, *args, products: int, **options) -> None:
        if products < 0:
            self.stderr.write(_("--products 不能为负数。"))
            return
        verbose = options["verbosity"] >= 1
        result = demo_seed(products=products, log=self.stdout.write if verbose else None)
        if not verbose:
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "完成（%(seconds).1f 秒）：新增分类 %(categories)s、店铺 %(stores)s、"
                    "账号 %(users)s、商品 %(products)s、图片 %(images)s；演示商品共 %(total)s 个。"
                )
                % {
                    "seconds": result.seconds,
                    "categories": result.categories_created,
                    "stores": result.stores_created,
                    "users": result.users_created,
                    "products": result.products_created,
                    "images": result.images_created,
                    "total": result.products_total,
                }
            )
        )
        self.stdout.write(_("演示账号（仅供本地演示，切勿用于生产环境）："))
        for account in DEMO_ACCOUNTS:
            login = account.email + (f" / {account.phone}" if account.phone else "")
            self.stdout.write(f"  {login:<42} {_('密码')} {account.password:<14} {account.role}")
