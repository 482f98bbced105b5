"""CSV exports for staff (UTF-8 with BOM, so Excel reads Chinese)."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse


def csv_response(filename: str, header: list, rows: Iterable[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(cell) for cell in header])
    writer.writerows(rows)
    return response
