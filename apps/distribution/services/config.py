"""The distribution settings: a singleton with history (each change is a new row)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.distribution.errors import DistributionErrorCode as Code
from apps.distribution.models import DistributionConfig

# The settings a version carries (everything but bookkeeping).
CONFIG_FIELDS = tuple(
    f.name
    for f in DistributionConfig._meta.concrete_fields
    if f.name not in {"id", "actor", "note", "created_at"}
)


def config_current() -> DistributionConfig:
    """The settings in force: the newest version, or the defaults (unsaved) before any."""
    return DistributionConfig.objects.order_by("-created_at", "-id").first() or DistributionConfig()


@transaction.atomic
def config_update(*, actor, note: str = "", **values) -> DistributionConfig:
    """Save a new version: the current settings with `values` changed. Old versions stay."""
    unknown = set(values) - set(CONFIG_FIELDS)
    if unknown:
        raise ApplicationError(
            _("未知的设置项：%(names)s") % {"names": ", ".join(sorted(unknown))},
            code=Code.INVALID_CONFIG,
        )
    current = config_current()
    data = {name: getattr(current, name) for name in CONFIG_FIELDS}
    data.update(values)
    config = DistributionConfig(**data, actor=actor if getattr(actor, "pk", None) else None)
    config.note = note[:200]
    try:
        config.full_clean(exclude=["actor"])
    except ValidationError as exc:
        fields = {k: " ".join(str(m) for m in v) for k, v in exc.message_dict.items()}
        raise ApplicationError(
            next(iter(fields.values())), code=Code.INVALID_CONFIG, fields=fields
        ) from exc
    config.save()
    return config
