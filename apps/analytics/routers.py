"""Send the dashboards' reads of the analytics tables to a PostgreSQL read replica.

Active only when DATABASE_REPLICA_URL is set (settings add the "replica" alias and this
router). The aggregate tables (PriceDaily, SalesDaily…) are read from the replica, so the
figures pages and the analytics API put no load on the primary that serves checkouts. Every
write — and the jobs, which read raw orders and quotes and write aggregates in the same
statement — stays on the primary ("default"). Other apps' models are not routed.
"""

from django.conf import settings

REPLICA = "replica"
# Tables the jobs write and the pages only read. Quotes, markets, commodities, imports and job
# runs stay on the primary: back-office edits must read their own writes at once.
READ_FROM_REPLICA = {
    "pricedaily",
    "priceperiod",
    "pricealert",
    "salesdaily",
    "salesdailytotal",
    "salesmonthly",
    "demanddaily",
    "demandcategorydaily",
    "demandmonthly",
    "demandforecast",
}


class AnalyticsReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            REPLICA in settings.DATABASES
            and model._meta.app_label == "analytics"
            and model._meta.model_name in READ_FROM_REPLICA
        ):
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases are the same database (the replica is a copy of the primary).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema through replication
