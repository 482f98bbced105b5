import csv
import io
import re

import pytest

from apps.core.errors import ApplicationError
from apps.traceability.models import Certificate, TraceCode, TraceCodeBatch
from apps.traceability.qr import qr_matrix, qr_png, qr_svg
from apps.traceability.services.certificates import certificate_issue
from apps.traceability.services.codes import (
    ALPHABET,
    CODE_LENGTH,
    code_new,
    code_normalize,
    trace_code_register_scan,
    trace_codes_generate,
)

pytestmark = pytest.mark.django_db


def test_codes_are_20_base32_characters_of_100_random_bits():
    codes = {code_new() for _ in range(2000)}

    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert CODE_LENGTH * 5 >= 96
    assert code_normalize(" abcdefghijklmnopqrst ") == "ABCDEFGHIJKLMNOPQRST"
    assert code_normalize("ABCDEFGHIJKLMNOPQRS1") is None  # 1 is not base32
    assert code_normalize("SHORT") is None


def test_bulk_generation_numbers_packages_on_from_earlier_batches(lot_a, merchant_a):
    first = trace_codes_generate(lot=lot_a, quantity=1000, actor=merchant_a)
    second = trace_codes_generate(lot=lot_a, quantity=5, actor=merchant_a)

    numbers = list(
        TraceCode.objects.filter(batch=second)
        .order_by("package_number")
        .values_list("package_number", flat=True)
    )
    assert first.codes.count() == 1000
    assert numbers == [1001, 1002, 1003, 1004, 1005]
    assert TraceCode.objects.filter(lot=lot_a).count() == 1006  # + the lot's own code


@pytest.mark.parametrize("quantity", [0, 10_001])
def test_bulk_generation_limits(lot_a, quantity):
    with pytest.raises(ApplicationError) as exc:
        trace_codes_generate(lot=lot_a, quantity=quantity, actor=None)

    assert exc.value.code == "trace_code_count"
    assert TraceCodeBatch.objects.count() == 0


def test_a_merchant_cannot_generate_codes_for_another_stores_lot(lot_a, merchant_b):
    with pytest.raises(ApplicationError):
        trace_codes_generate(lot=lot_a, quantity=3, actor=merchant_b)

    assert TraceCodeBatch.objects.count() == 0


def test_scan_counter_is_a_guarded_update(lot_a):
    code = TraceCode.objects.get(lot=lot_a)
    stale = TraceCode.objects.get(pk=code.pk)

    trace_code_register_scan(code=code)
    trace_code_register_scan(code=stale)  # an out-of-date copy still adds one

    code.refresh_from_db()
    assert code.scan_count == 2
    assert code.first_scanned_at is not None
    first = code.first_scanned_at
    trace_code_register_scan(code=code)
    code.refresh_from_db()
    assert code.first_scanned_at == first


def test_qr_images_encode_the_url():
    url = "https://tianjian.example.cn/t/ABCDEFGHIJKLMNOPQRST"

    matrix = qr_matrix(url)
    svg = qr_svg(url)
    png = qr_png(url)

    assert len(matrix) == 33 + 4  # version 4 (33 modules) plus the quiet zone
    assert svg.startswith("<svg")
    assert 'viewBox="0 0 37 37"' in svg
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    long_url = "https://a-very-long-host-name-for-a-county.example.com.cn/t/ABCDEFGHIJKLMNOPQRST"
    assert len(qr_matrix(long_url)) > 37  # falls back to a bigger version


def _login(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)


def test_printable_sheet_and_csv_for_the_merchant(client, lot_a, merchant_a):
    batch = trace_codes_generate(lot=lot_a, quantity=12, actor=merchant_a)
    _login(client, merchant_a)

    sheet = client.get(f"/trace/code-batches/{batch.pk}/sheet/")
    export = client.get(f"/trace/code-batches/{batch.pk}/codes.csv")

    html = sheet.content.decode()
    assert sheet.status_code == 200
    assert html.count("<svg") == 12
    assert "@page" in html
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "追溯码", "追溯网址", "批次号", "商品"]
    assert len(rows) == 13
    assert rows[1][0] == "1"
    assert re.fullmatch(r"http://testserver/t/[A-Z2-7]{20}", rows[1][2])
    assert rows[1][3:] == [lot_a.lot_number, "五常稻花香大米"]


def test_another_merchant_gets_404_for_sheets_csv_and_certificates(client, lot_a, merchant_b):
    batch = trace_codes_generate(lot=lot_a, quantity=2, actor=None)
    certificate = certificate_issue(lot=lot_a, basis=Certificate.Basis.QUALITY_CONTROL, actor=None)
    _login(client, merchant_b)

    for url in [
        f"/trace/code-batches/{batch.pk}/sheet/",
        f"/trace/code-batches/{batch.pk}/codes.csv",
        f"/trace/certificates/{certificate.pk}/print/",
    ]:
        assert client.get(url).status_code == 404, url


def test_sheets_need_a_back_office_login(client, lot_a):
    batch = trace_codes_generate(lot=lot_a, quantity=2, actor=None)

    response = client.get(f"/trace/code-batches/{batch.pk}/sheet/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_printable_certificate_with_its_qr_code(client, lot_a, merchant_a):
    certificate = certificate_issue(lot=lot_a, basis=Certificate.Basis.QUALITY_CONTROL, actor=None)
    code = TraceCode.objects.get(lot=lot_a, package_number=None)
    _login(client, merchant_a)

    html = client.get(f"/trace/certificates/{certificate.pk}/print/").content.decode()

    assert "承诺达标合格证" in html
    assert certificate.number in html
    assert certificate.commitment_text in html
    assert "☑ 内部质量控制" in html
    assert "☐ 委托检测" in html
    assert qr_svg(f"http://testserver/t/{code.code}") in html


def test_svg_path_draws_exactly_the_dark_modules():
    url = "https://tianjian.example.cn/t/ABCDEFGHIJKLMNOPQRST"
    matrix = qr_matrix(url)
    n = len(matrix)

    drawn = [[False] * n for _ in range(n)]
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", qr_svg(url)):
        for dx in range(int(width)):
            drawn[int(y)][int(x) + dx] = True

    assert drawn == [[bool(cell) for cell in row] for row in matrix]
