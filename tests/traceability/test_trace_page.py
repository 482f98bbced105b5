from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.traceability.models import Certificate, TraceCode, TraceEvent
from apps.traceability.selectors import lot_primary_code
from apps.traceability.services.certificates import certificate_issue
from apps.traceability.services.codes import trace_codes_generate
from apps.traceability.services.events import EventLotInput, trace_event_correct, trace_event_record
from apps.traceability.services.lots import lot_hold, lot_recall
from tests.traceability.conftest import inspect, make_lot, make_party, spray

pytestmark = pytest.mark.django_db

Step = TraceEvent.BusinessStep


def _url(code: str) -> str:
    return f"/t/{code}"


@pytest.fixture
def certified_lot(store_a, rice, plot_a):
    spray(store_a, plot_a, applied_on=timezone.localdate() - timedelta(days=30), interval=7)
    lot = make_lot(store_a, rice, plot=plot_a, producer=make_party(store_a, phone="13812345678"))
    inspect(lot, "吡虫啉", kind="lab")
    certificate_issue(lot=lot, basis=Certificate.Basis.ENTRUSTED_TEST, actor=None)
    trace_event_record(
        store=store_a, business_step=Step.PACKING, lots=[EventLotInput(lot=lot)], actor=None
    )
    trace_event_record(
        store=store_a,
        business_step=Step.SHIPPING,
        lots=[EventLotInput(lot=lot, quantity=Decimal("200"))],
        actor=None,
        extra={"temperature_c": "4.5", "vehicle": "黑A12345"},
    )
    return lot


def test_trace_page_shows_origin_certificate_tests_timeline_and_counts_the_scan(
    client, certified_lot
):
    code = lot_primary_code(lot=certified_lot)

    response = client.get(_url(code.code))

    assert response.status_code == 200
    html = response.content.decode()
    assert "五常稻花香大米" in html
    assert "黑龙江省哈尔滨市五常市 · 东坡一号田" in html
    assert "138****5678" in html
    assert "13812345678" not in html
    assert certified_lot.certificates.get().number in html
    assert "委托检测" in html
    assert "县农产品质量安全检测站" in html
    assert "吡虫啉可湿性粉剂" in html  # the farm record on the timeline
    assert "温度 4.5 °C" in html
    assert "车辆 黑A12345" in html
    assert "记录未被篡改" in html
    assert "扫码 1 次，首次扫码于" in html
    assert f"?lot={certified_lot.lot_number}&amp;store={certified_lot.store_id}" in html
    assert "该批次已召回" not in html
    code.refresh_from_db()
    assert code.scan_count == 1
    assert code.first_scanned_at is not None


def test_codes_are_case_insensitive_and_a_reload_is_not_counted_again(client, certified_lot):
    code = lot_primary_code(lot=certified_lot)

    client.get(_url(code.code.lower()))
    client.get(_url(code.code))
    client.get(_url(code.code), REMOTE_ADDR="10.0.0.2")

    code.refresh_from_db()
    assert code.scan_count == 2


def test_recalled_and_held_lots_show_a_banner(client, store_a, rice, certified_lot):
    held = make_lot(store_a, rice, number="H-1")
    lot_hold(lot=held, actor=None, reason="等待复检")
    lot_recall(lot=certified_lot, actor=None, reason="农残超标")

    recalled_html = client.get(_url(lot_primary_code(lot=certified_lot).code)).content.decode()
    held_html = client.get(_url(lot_primary_code(lot=held).code)).content.decode()

    assert "该批次已召回" in recalled_html
    assert "原因：农残超标" in recalled_html
    assert "该批次暂停销售" in held_html
    assert "等待复检" in held_html


def test_a_tampered_event_turns_the_badge_red(client, certified_lot):
    event = TraceEvent.objects.filter(business_step=Step.SHIPPING).get()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TraceEvent._meta.db_table} SET extra = %s WHERE id = %s",
            ['{"temperature_c": "2"}', event.pk],
        )

    html = client.get(_url(lot_primary_code(lot=certified_lot).code)).content.decode()

    assert "记录校验未通过" in html
    assert "记录未被篡改" not in html


def test_corrected_events_are_marked_on_the_timeline(client, store_a, certified_lot):
    wrong = TraceEvent.objects.filter(business_step=Step.SHIPPING).get()
    trace_event_correct(event=wrong, actor=None, reason="车牌写错", extra={"vehicle": "黑A54321"})

    html = client.get(_url(lot_primary_code(lot=certified_lot).code)).content.decode()

    assert "已更正：车牌写错" in html
    assert "车辆 黑A54321" in html


def test_a_package_code_scanned_very_often_warns_of_a_copied_label(client, settings, certified_lot):
    settings.TRACE_SCAN_WARNING_COUNT = 20
    batch = trace_codes_generate(lot=certified_lot, quantity=2, actor=None)
    code = batch.codes.order_by("package_number").first()
    TraceCode.objects.filter(pk=code.pk).update(scan_count=20)

    html = client.get(_url(code.code)).content.decode()

    assert "扫码 21 次" in html
    assert "标签可能被复制" in html
    assert "第 1 件" in html


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAAAAAA", "not-a-code", "ABC", "A" * 300])
def test_unknown_or_malformed_codes_get_the_friendly_404(client, code):
    response = client.get(_url(code))

    assert response.status_code == 404
    assert "没有找到这个追溯码" in response.content.decode()


def test_lookups_are_rate_limited_per_ip_and_misses_much_sooner(client, settings, certified_lot):
    settings.TRACE_MISS_RATE_LIMIT = "3/h"
    settings.TRACE_PAGE_RATE_LIMIT = "100/m"
    good = _url(lot_primary_code(lot=certified_lot).code)

    misses = [client.get(_url("B" * 20)).status_code for _ in range(3)]
    blocked = client.get(good)
    other_ip = client.get(good, REMOTE_ADDR="10.0.0.9")

    assert misses == [404, 404, 404]
    assert blocked.status_code == 429
    assert "查询过于频繁" in blocked.content.decode()
    assert other_ip.status_code == 200


def test_every_lookup_counts_against_the_page_limit(client, settings, certified_lot):
    settings.TRACE_PAGE_RATE_LIMIT = "2/m"
    good = _url(lot_primary_code(lot=certified_lot).code)

    statuses = [client.get(good).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def _add_events(store, lot, count):
    for i in range(count):
        trace_event_record(
            store=store,
            business_step=Step.STORING if i % 2 else Step.SHIPPING,
            lots=[EventLotInput(lot=lot, quantity=Decimal(i + 1))],
            actor=None,
            extra={"temperature_c": str(i)},
        )


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_makes_a_fixed_number_of_queries_whatever_the_number_of_events(
    client, store_a, rice, plot_a, django_assert_max_num_queries
):
    # given two lots with 5 and 50 events (plus harvest, tests and a certificate each)
    few = make_lot(store_a, rice, number="FEW", plot=plot_a)
    many = make_lot(store_a, rice, number="MANY", plot=plot_a)
    for lot, count in ((few, 5), (many, 50)):
        inspect(lot, "毒死蜱")
        certificate_issue(lot=lot, basis=Certificate.Basis.SELF_TEST, actor=None)
        _add_events(store_a, lot, count)

    with django_assert_max_num_queries(14):
        few_queries = _queries_for(client, _url(lot_primary_code(lot=few).code))
    with django_assert_max_num_queries(14):
        many_queries = _queries_for(client, _url(lot_primary_code(lot=many).code))

    assert few_queries == many_queries
    html = client.get(_url(lot_primary_code(lot=many).code), REMOTE_ADDR="10.1.1.1")
    assert (
        html.content.decode().count('class="trace-step"') == 50 + 3
    )  # + harvest, test, certificate


def test_anchors_page_lists_published_anchors(client, store_a, certified_lot):
    from apps.traceability.services.anchors import chain_anchor_publish

    chain_anchor_publish(anchor_date=timezone.localdate())
    head = TraceEvent.objects.filter(store=store_a).order_by("-sequence").first()

    response = client.get("/trace/anchors/")

    html = response.content.decode()
    assert response.status_code == 200
    assert head.chain_hash in html
    assert "全平台" in html
    assert store_a.name in html


def test_the_lot_part_is_cached_and_new_events_or_farm_records_show_at_once(
    client, store_a, plot_a, certified_lot
):
    url = _url(lot_primary_code(lot=certified_lot).code)
    cold = _queries_for(client, url)
    reload = _queries_for(client, url)
    again = _queries_for(client, url + "?from=qr")

    trace_event_record(
        store=store_a,
        business_step=Step.RECEIVING,
        lots=[EventLotInput(lot=certified_lot)],
        actor=None,
        extra={"note": "县城仓收货"},
    )
    after_event = client.get(url).content.decode()
    spray(
        store_a,
        plot_a,
        applied_on=certified_lot.harvest_date - timedelta(days=60),
        ingredient="多菌灵",
    )
    after_record = client.get(url).content.decode()

    assert cold > 10
    # the code with its lot and chain head is one query; a reload is not counted as a scan
    assert reload == again == 1
    assert "县城仓收货" in after_event
    assert "多菌灵可湿性粉剂" in after_record
    assert "记录未被篡改" in after_record
