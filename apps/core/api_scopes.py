"""The `required_scopes` convention of API views (kept free of DRF imports: the
authentication classes DRF loads from settings import it)."""

from typing import Any


def view_required_scope(view: Any, method: str) -> str | None:
    """The app-token scope a view asks for on `method`, or None: app tokens may not call it.

    Views declare `required_scopes = "trace:read"` (every method) or a dict by method,
    `{"GET": "orders:read", "POST": "orders:write"}`; HEAD and OPTIONS ask what GET asks.
    """
    declared = getattr(view, "required_scopes", None)
    if not declared:
        return None
    if isinstance(declared, str):
        return declared
    method = method.upper()
    if method in ("HEAD", "OPTIONS"):
        method = "GET"
    return declared.get(method)
