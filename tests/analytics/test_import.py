"""Importing market quotes from CSV: unit normalisation, aliases, line-numbered errors, good
rows kept, re-import adding nothing; through the service, the command and the admin upload."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from apps.analytics.models import PriceImport, PriceObservation
from apps.analytics.services.imports import market_prices_import
from apps.core.errors import ApplicationError
from tests.analytics.conftest import DATA

MAIN = DATA / "xinfadi_2024-03.csv"
GBK = DATA / "excel_gbk.csv"


def _import(path):
    return market_prices_import(content=path.read_bytes(), file_name=path.name)


def test_good_rows_are_kept_and_every_bad_row_is_reported_with_its_line(quote_setup):
    # when
    record = _import(MAIN)

    # then: four good rows of twelve
    assert (record.rows_total, record.rows_added, record.rows_duplicate) == (12, 4, 0)
    assert record.encoding == "utf-8-sig"
    lines = {error["line"]: error["message"] for error in record.errors}
    assert sorted(lines) == [5, 6, 7, 8, 9, 10, 11, 12]
    assert "未知品种“火龙果”" in lines[5]
    assert "平均价不是数字" in lines[6]
    assert "最低价 -1.00 元/公斤超出合理范围 0.01–10000" in lines[7]
    assert "日期 2099-01-01 在未来" in lines[8]
    assert "未知市场“火星市场”" in lines[9]
    assert "不支持的单位“元/箱”" in lines[10]
    assert "最低价 ≤ 平均价 ≤ 最高价" in lines[11]
    assert lines[12].count("超出合理范围") == 3


def test_jin_prices_become_kilogram_prices_and_aliases_map_to_their_commodity(quote_setup):
    # when
    _import(MAIN)

    # then: 大白菜 at 0.60/0.75/0.90 元/斤 and 12000 斤 is 白菜 at 1.20/1.50/1.80 元/公斤, 6000 kg
    cabbage = PriceObservation.objects.get(commodity__name="白菜")
    assert (cabbage.low_price, cabbage.avg_price, cabbage.high_price) == (
        Decimal("1.20"),
        Decimal("1.50"),
        Decimal("1.80"),
    )
    assert cabbage.volume_kg == Decimal("6000.00")
    assert cabbage.source_unit == "元/斤"
    potato = PriceObservation.objects.get(commodity__name="土豆")
    assert (potato.avg_price, potato.volume_kg) == (Decimal("2.60"), Decimal("8000.00"))
    tomato = PriceObservation.objects.get(commodity__name="西红柿")
    assert (tomato.spec, tomato.avg_price, tomato.volume_kg) == ("大", Decimal("5.00"), None)
    cucumber = PriceObservation.objects.get(commodity__name="黄瓜")
    assert cucumber.date.isoformat() == "2024-03-02"


def test_importing_the_same_file_again_adds_nothing(quote_setup):
    # given
    _import(MAIN)

    # when
    again = _import(MAIN)

    # then
    assert (again.rows_added, again.rows_duplicate, again.rows_rejected) == (0, 4, 8)
    assert PriceObservation.objects.count() == 4


def test_a_gbk_file_from_excel_is_read(quote_setup):
    # when
    record = _import(GBK)

    # then: the unknown 冬瓜 on line 4 is refused, the rest kept
    assert record.encoding == "gb18030"
    assert record.rows_added == 2
    assert record.errors == [{"line": 4, "message": "未知品种“冬瓜”"}]
    assert PriceObservation.objects.get(commodity__name="白菜").avg_price == Decimal("1.40")


def test_a_file_without_a_required_column_is_refused_whole(quote_setup):
    # given
    content = "市场,品名,最低价,最高价,日期\n北京新发地,土豆,1,2,2024-03-01\n".encode()

    # when / then
    with pytest.raises(ApplicationError) as caught:
        market_prices_import(content=content, file_name="bad.csv")
    assert caught.value.message == "缺少必需的列：单位、平均价。"
    assert not PriceImport.objects.exists()
    assert not PriceObservation.objects.exists()


def test_the_command_imports_and_exits_non_zero_when_rows_were_refused(quote_setup, capsys):
    # when
    with pytest.raises(SystemExit) as exited:
        call_command("import_market_prices", str(MAIN))

    # then
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert "12 rows: 4 added, 0 already present, 8 rejected" in out
    assert "line 5: 未知品种“火龙果”" in err
    assert PriceObservation.objects.count() == 4


def test_staff_upload_a_csv_in_the_admin_and_see_the_refused_lines(quote_setup, client, staff):
    # given
    client.force_login(staff)
    upload = SimpleUploadedFile("quotes.csv", MAIN.read_bytes(), content_type="text/csv")

    # when
    response = client.post(reverse("admin:analytics_priceimport_upload"), {"file": upload})

    # then
    record = PriceImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:analytics_priceimport_change", args=[record.pk])
    assert record.actor == staff
    page = client.get(response.url).content.decode()
    assert "8 行未导入" in page
    assert "未知市场“火星市场”" in page


def test_a_bad_upload_shows_a_form_error_and_saves_nothing(quote_setup, client, staff):
    client.force_login(staff)
    upload = SimpleUploadedFile("quotes.csv", "品名\n土豆\n".encode(), content_type="text/csv")

    response = client.post(reverse("admin:analytics_priceimport_upload"), {"file": upload})

    assert response.status_code == 200
    assert "缺少必需的列" in response.content.decode()
    assert not PriceImport.objects.exists()


def test_merchants_cannot_upload_quotes(quote_setup, client, merchant_a):
    merchant_a.is_staff = True
    merchant_a.save(update_fields=["is_staff"])
    client.force_login(merchant_a)
    upload = SimpleUploadedFile("quotes.csv", MAIN.read_bytes(), content_type="text/csv")

    response = client.post(reverse("admin:analytics_priceimport_upload"), {"file": upload})

    assert response.status_code == 403
    assert not PriceObservation.objects.exists()
