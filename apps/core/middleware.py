from django.http import HttpRequest, HttpResponse

from apps.core.views import database_unavailable, is_database_unavailable


class DatabaseUnavailableMiddleware:
    """A lock wait or a statement past its timeout, or a lost database connection, in a view
    answers 503 with Retry-After (JSON under /api/, the "系统繁忙" page elsewhere), never a 500.

    Errors raised outside views (e.g. saving the session) reach handler500, which does the same.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return database_unavailable(request, exception)
        return None
