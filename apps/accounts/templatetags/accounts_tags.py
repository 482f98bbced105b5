from django import template

from apps.accounts.phones import phone_mask

register = template.Library()


@register.filter
def mask_phone(value: str | None) -> str:
    """`+8613800138000` → `138****8000`: enough to recognise one's number, not to read it."""
    return phone_mask(value)
