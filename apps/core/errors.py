"""The one error type that services raise; the API and pages turn it into a message."""

from typing import Any


class ApplicationError(Exception):
    """A business rule refused an action.

    `code` is a stable machine-readable string (an app's error-code enum value), `message` is
    shown to people, and `fields` maps form/API field names to their own messages.
    """

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = str(code)
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = 404
