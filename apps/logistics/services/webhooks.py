"""Carrier push adapters: check a pushed request's signature and turn its body into scans.

Two formats, chosen by TrackingFeed.adapter (docs/logistics-tracking.md has the exact contract):

* generic — JSON {"events": [{"carrier", "tracking_number", "time", "status", "location",
  "text", "id"}]} with headers X-Tianjian-Timestamp (Unix seconds) and X-Tianjian-Signature
  "sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>". The timestamp is inside the
  MAC and must be within TRACKING_WEBHOOK_MAX_AGE_SECONDS of now, so a captured push cannot be
  replayed later.
* kuaidi100 — Kuaidi100's subscription push: form fields `param` (JSON with lastResult {state,
  com, nu, data: [{context, time, ftime, status, areaName}]}) and `sign` = upper-case
  MD5(param + secret). Kuaidi100 re-sends the whole history each time; dedup keeps it once.
"""

import hashlib
import hmac
import json
import time
from datetime import datetime

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.logistics.errors import LogisticsErrorCode
from apps.logistics.models import Carrier, TrackingEvent, TrackingFeed
from apps.logistics.services.tracking import (
    IngestItem,
    IngestResult,
    tracking_events_ingest,
    tracking_external_key,
    tracking_input_clean,
)

SIGNATURE_HEADER = "X-Tianjian-Signature"
TIMESTAMP_HEADER = "X-Tianjian-Timestamp"
Status = TrackingEvent.Status

# Kuaidi100 lastResult.state codes (the waybill's current state).
KUAIDI100_STATES = {
    "0": Status.IN_TRANSIT,
    "1": Status.COLLECTED,
    "2": Status.EXCEPTION,  # 疑难
    "3": Status.DELIVERED,
    "4": Status.RETURNED,  # 退签
    "5": Status.OUT_FOR_DELIVERY,
    "6": Status.RETURNED,  # 退回 (on its way back)
    "7": Status.IN_TRANSIT,  # 转投
    "8": Status.IN_TRANSIT,  # 清关
    "14": Status.EXCEPTION,  # 拒签
}
# Kuaidi100's per-scan status text; first match wins, so specific words come first.
KUAIDI100_TEXTS = [
    ("退签", Status.RETURNED),
    ("退回", Status.RETURNED),
    ("拒签", Status.EXCEPTION),
    ("疑难", Status.EXCEPTION),
    ("异常", Status.EXCEPTION),
    ("签收", Status.DELIVERED),
    ("派件", Status.OUT_FOR_DELIVERY),
    ("派送", Status.OUT_FOR_DELIVERY),
    ("待取", Status.AT_PICKUP_POINT),
    ("揽收", Status.COLLECTED),
    ("到达", Status.ARRIVED_AT_HUB),
    ("转投", Status.IN_TRANSIT),
    ("清关", Status.IN_TRANSIT),
    ("在途", Status.IN_TRANSIT),
    ("干线", Status.IN_TRANSIT),
]


def _bad_signature(message: str) -> ApplicationError:
    return ApplicationError(message, code=LogisticsErrorCode.BAD_SIGNATURE, status_code=401)


def _bad_body(message: str) -> ApplicationError:
    return ApplicationError(message, code=LogisticsErrorCode.INVALID_EVENT, status_code=400)


def tracking_feed_get(*, code: str) -> TrackingFeed:
    feed = TrackingFeed.objects.filter(code=code, is_active=True).first()
    if feed is None:
        raise ApplicationError(
            _("推送来源不存在。"), code=LogisticsErrorCode.NOT_ALLOWED, status_code=404
        )
    return feed


# --- generic ---------------------------------------------------------------------------------


def generic_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def generic_verify(
    *, feed: TrackingFeed, body: bytes, signature: str, timestamp: str, now: float | None = None
) -> None:
    if not signature or not timestamp:
        raise _bad_signature(_("缺少签名或时间戳。"))
    try:
        sent = int(timestamp)
    except ValueError:
        raise _bad_signature(_("时间戳无效。")) from None
    now = time.time() if now is None else now
    if abs(now - sent) > settings.TRACKING_WEBHOOK_MAX_AGE_SECONDS:
        raise _bad_signature(_("请求已过期（时间戳超出允许范围）。"))
    expected = generic_signature(secret=feed.secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise _bad_signature(_("签名错误。"))


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None  # a bare local time is ambiguous: the generic format requires an offset
    return moment


def generic_items(body: bytes, *, carrier_codes: set[str]) -> list[IngestItem]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _bad_body(_("请求体不是有效的 JSON。")) from None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise _bad_body(_("请求体缺少 events 列表。"))
    if len(events) > settings.TRACKING_WEBHOOK_MAX_EVENTS:
        raise _bad_body(_("一次最多推送 %d 条轨迹。") % settings.TRACKING_WEBHOOK_MAX_EVENTS)
    items = []
    for raw in events:
        if not isinstance(raw, dict):
            items.append(IngestItem("", "", None, _("每条轨迹必须是 JSON 对象。")))
            continue
        carrier = str(raw.get("carrier") or "").strip().lower()
        number = str(raw.get("tracking_number") or "").strip().upper()
        if carrier not in carrier_codes or not number:
            items.append(IngestItem(carrier, number, None, _("承运商或运单号无效。")))
            continue
        external_id = str(raw.get("id") or "").strip()
        try:
            scan = tracking_input_clean(
                occurred_at=_parse_time(raw.get("time")),
                status=str(raw.get("status") or ""),
                location=str(raw.get("location") or ""),
                text=str(raw.get("text") or ""),
                dedup_key=tracking_external_key(
                    carrier_code=carrier, tracking_number=number, external_id=external_id
                )
                if external_id
                else "",
            )
        except ApplicationError as exc:
            items.append(IngestItem(carrier, number, None, exc.message))
            continue
        items.append(IngestItem(carrier, number, scan))
    return items


def generic_receive(
    *, feed: TrackingFeed, body: bytes, signature: str, timestamp: str
) -> list[IngestResult]:
    generic_verify(feed=feed, body=body, signature=signature, timestamp=timestamp)
    carrier_codes = set(Carrier.objects.values_list("code", flat=True))
    return tracking_events_ingest(feed=feed, items=generic_items(body, carrier_codes=carrier_codes))


# --- kuaidi100 -------------------------------------------------------------------------------


def kuaidi100_sign(*, param: str, secret: str) -> str:
    return (
        hashlib.md5((param + secret).encode()).hexdigest().upper()
    )  # Kuaidi100's scheme, not ours


def kuaidi100_status(text: str, context: str = "") -> str | None:
    for word, status in KUAIDI100_TEXTS:
        if word in text:
            return status
    for word, status in KUAIDI100_TEXTS:
        if word in context:
            return status
    return None


def _kuaidi100_time(value) -> datetime | None:
    # Kuaidi100 sends Beijing time without an offset, "2024-05-01 08:30:00".
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip() + " +0800", "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None


def kuaidi100_items(param: str) -> list[IngestItem]:
    try:
        payload = json.loads(param)
    except ValueError:
        raise _bad_body(_("param 不是有效的 JSON。")) from None
    last = payload.get("lastResult") if isinstance(payload, dict) else None
    if not isinstance(last, dict) or not isinstance(last.get("data"), list):
        raise _bad_body(_("param 缺少 lastResult.data。"))
    com = str(last.get("com") or "").strip()
    number = str(last.get("nu") or "").strip().upper()
    carrier = Carrier.objects.filter(kuaidi100_code=com).values_list("code", flat=True).first()
    state_status = KUAIDI100_STATES.get(str(last.get("state", "")))
    items = []
    # data is newest first; the waybill's state describes the newest scan only.
    for position, raw in enumerate(last["data"]):
        if not isinstance(raw, dict):
            items.append(IngestItem(carrier or com, number, None, _("轨迹格式错误。")))
            continue
        context = str(raw.get("context") or "")
        status = kuaidi100_status(str(raw.get("status") or ""), context)
        if status is None:
            status = state_status if position == 0 and state_status else Status.IN_TRANSIT
        if carrier is None:
            items.append(IngestItem(com, number, None, _("未知的快递公司编码：%s") % com[:30]))
            continue
        try:
            scan = tracking_input_clean(
                occurred_at=_kuaidi100_time(raw.get("ftime") or raw.get("time")),
                status=status,
                location=str(raw.get("areaName") or "")[:100],
                text=context[:300],
            )
        except ApplicationError as exc:
            items.append(IngestItem(carrier, number, None, exc.message))
            continue
        items.append(IngestItem(carrier, number, scan))
    return items


def kuaidi100_receive(*, feed: TrackingFeed, param: str, sign: str) -> list[IngestResult]:
    if not param or not sign:
        raise _bad_signature(_("缺少 param 或 sign。"))
    expected = kuaidi100_sign(param=param, secret=feed.secret)
    if not hmac.compare_digest(expected.encode(), sign.strip().upper().encode()):
        raise _bad_signature(_("签名错误。"))
    return tracking_events_ingest(feed=feed, items=kuaidi100_items(param))
