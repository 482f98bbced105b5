"""Writes of freight templates (the admin's save calls this)."""

from django.db import transaction

from apps.orders.models import ShippingTemplate


@transaction.atomic
def shipping_template_save(*, template: ShippingTemplate) -> ShippingTemplate:
    """Save; a template marked default takes over from the store's previous default, and a
    store's first template is its default."""
    others = ShippingTemplate.objects.select_for_update().filter(store_id=template.store_id)
    if template.pk:
        others = others.exclude(pk=template.pk)
    others = list(others)
    if not others:
        template.is_default = True
    if template.is_default:
        ShippingTemplate.objects.filter(pk__in=[o.pk for o in others if o.is_default]).update(
            is_default=False
        )
    template.full_clean(validate_constraints=False)
    template.save()
    return template
