"""QR images of trace URLs, drawn from the `qrcode` library's module matrix.

Sheets of thousands of labels are inline SVG paths (a few hundred bytes each, sharp at any
print size); single codes can also be PNG. The version and mask are fixed for our short URLs
so the library does not try all eight masks for every code (about 5x faster).
"""

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

BORDER = 2
# Version 4-M holds 62 bytes: "https://<host>/t/<20 chars>" with a host of up to 35 characters.
FAST_VERSION = 4
FAST_MASK = 2


def qr_matrix(text: str) -> list[list[bool]]:
    try:
        qr = qrcode.QRCode(
            version=FAST_VERSION,
            error_correction=ERROR_CORRECT_M,
            border=BORDER,
            mask_pattern=FAST_MASK,
        )
        qr.add_data(text)
        qr.make(fit=False)
    except DataOverflowError:
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=BORDER)
        qr.add_data(text)
        qr.make(fit=True)
    return qr.get_matrix()


def qr_svg(text: str, *, size_mm: int | None = None) -> str:
    """A standalone <svg> of the code, one path with a run per row of dark modules."""
    matrix = qr_matrix(text)
    n = len(matrix)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    size = f' width="{size_mm}mm" height="{size_mm}mm"' if size_mm else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}"{size} '
        f'shape-rendering="crispEdges" role="img" aria-label="QR">'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path d="{"".join(parts)}" fill="#000"/></svg>'
    )


def qr_png(text: str, *, box_size: int = 8) -> bytes:
    """PNG bytes made by qrcode's own Pillow image factory."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=BORDER)
    qr.add_data(text)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out)
    return out.getvalue()
