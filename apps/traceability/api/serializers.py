"""Shapes of the traceability API. Output serializers render rows the selectors fetched;
input serializers only parse and validate, the views hand their data to the services.

Relations a merchant names in input (store, product, SKUs, producer, plot, lots, events)
are looked up in that merchant's own scope, so another store's id is simply "not found".
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.models import Product, Sku
from apps.stores.models import Store
from apps.stores.selectors import stores_for_user
from apps.traceability import selectors
from apps.traceability.models import (
    Certificate,
    ChainAnchor,
    InputApplication,
    Inspection,
    InspectionItem,
    Location,
    Lot,
    Party,
    TraceEvent,
    TraceEventLot,
    Unit,
)
from apps.traceability.services.events import MERCHANT_STEPS

QUANTITY = {"max_digits": 12, "decimal_places": 3}
NOT_FOUND = {"does_not_exist": _("对象不存在或不属于您的店铺。")}


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key looked up only among the rows the requesting user may act on."""

    def __init__(self, *, model, scope, **kwargs):
        self.scope = scope
        kwargs.setdefault("error_messages", NOT_FOUND)
        super().__init__(queryset=model.objects.none(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:  # the schema generator inspects the class without a request
            return self.queryset
        return self.scope(request.user)


def _stores(user):
    return stores_for_user(user)


def _products(user):
    return selectors.products_for_user(user=user)


def _skus(user):
    return selectors.skus_for_user(user=user)


def _parties(user):
    return selectors.parties_for_user(user=user)


def _locations(user):
    return selectors.locations_for_user(user=user)


def _lots(user):
    return selectors.lots_for_user(user=user)


def _events(user):
    return selectors.events_for_user(user=user)


def _certificates(user):
    return selectors.certificates_for_user(user=user)


class StoreChoiceMixin(serializers.Serializer):
    store = ScopedRelatedField(
        model=Store,
        scope=_stores,
        required=False,
        help_text=_("只管理一个店铺时可省略"),
    )


# --- Output --------------------------------------------------------------------------------


class TraceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class PartySerializer(serializers.ModelSerializer):
    class Meta:
        model = Party
        fields = [
            "id",
            "store",
            "kind",
            "name",
            "credit_code",
            "entity_code",
            "contact_name",
            "phone",
            "address",
        ]


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = [
            "id",
            "store",
            "kind",
            "name",
            "parent",
            "division_code",
            "division_name",
            "address",
            "latitude",
            "longitude",
            "area_mu",
        ]


class LotSerializer(serializers.ModelSerializer):
    product = TraceRefSerializer()
    producer = TraceRefSerializer()
    plot = TraceRefSerializer(allow_null=True)
    trace_code = serializers.SerializerMethodField()

    class Meta:
        model = Lot
        fields = [
            "id",
            "store",
            "lot_number",
            "product",
            "skus",
            "producer",
            "plot",
            "origin_code",
            "origin_name",
            "harvest_date",
            "quantity",
            "unit",
            "expiry_date",
            "status",
            "status_reason",
            "is_safety_flagged",
            "safety_flag_reason",
            "source_lots",
            "trace_code",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_trace_code(self, lot: Lot) -> str | None:
        codes = getattr(lot, "lot_codes", None)
        if codes is None:
            code = selectors.lot_primary_code(lot=lot)
            return code.code if code else None
        return codes[0].code if codes else None


class InputApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = InputApplication
        fields = [
            "id",
            "store",
            "plot",
            "input_type",
            "product_name",
            "active_ingredient",
            "registration_number",
            "dose",
            "applied_on",
            "safety_interval_days",
            "operator",
            "note",
            "created_at",
        ]


class InspectionItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionItem
        fields = [
            "substance",
            "result_value",
            "result_text",
            "limit_value",
            "unit",
            "method",
            "is_passed",
        ]


class InspectionSerializer(serializers.ModelSerializer):
    items = InspectionItemSerializer(many=True)
    lot_number = serializers.CharField(source="lot.lot_number")
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "lot",
            "lot_number",
            "kind",
            "inspected_on",
            "lab_name",
            "report_number",
            "report_url",
            "report_sha256",
            "is_passed",
            "items",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_report_url(self, inspection: Inspection) -> str | None:
        if not inspection.report_file:
            return None
        url = inspection.report_file.url
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CertificateSerializer(serializers.ModelSerializer):
    lot_number = serializers.CharField(source="lot.lot_number")
    source_certificates = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="number"
    )
    inspections = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "lot",
            "lot_number",
            "issuer_name",
            "product_name",
            "quantity",
            "unit",
            "origin",
            "producer_name",
            "phone",
            "issued_on",
            "commitment_text",
            "basis",
            "scope",
            "inspections",
            "source_certificates",
            "retention_until",
        ]


class TraceEventLotSerializer(serializers.ModelSerializer):
    lot_number = serializers.CharField(source="lot.lot_number")

    class Meta:
        model = TraceEventLot
        fields = ["lot", "lot_number", "role", "quantity", "unit"]


class TraceEventSerializer(serializers.ModelSerializer):
    """Every field the event hash covers, so anyone can recompute it (see hashing.py)."""

    lots = TraceEventLotSerializer(source="event_lots", many=True)
    location_name = serializers.SerializerMethodField()

    class Meta:
        model = TraceEvent
        fields = [
            "id",
            "uuid",
            "store",
            "sequence",
            "event_type",
            "action",
            "business_step",
            "disposition",
            "event_time",
            "recorded_at",
            "location",
            "location_name",
            "actor_ref",
            "corrects",
            "extra",
            "lots",
            "event_hash",
            "previous_hash",
            "chain_hash",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_location_name(self, event: TraceEvent) -> str | None:
        return event.location.name if event.location_id else None


class TraceCodeBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lot = serializers.IntegerField(source="lot_id")
    quantity = serializers.IntegerField()
    sheet_url = serializers.CharField()
    csv_url = serializers.CharField()


class ChainReportSerializer(serializers.Serializer):
    store_id = serializers.IntegerField()
    is_valid = serializers.BooleanField()
    checked = serializers.IntegerField()
    head_sequence = serializers.IntegerField()
    head_hash = serializers.CharField()
    broken_sequence = serializers.IntegerField(allow_null=True)
    broken_event_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    anchors_checked = serializers.IntegerField()


class ChainAnchorSerializer(serializers.ModelSerializer):
    store_name = serializers.SerializerMethodField()

    class Meta:
        model = ChainAnchor
        fields = [
            "anchor_date",
            "store",
            "store_name",
            "last_sequence",
            "event_count",
            "chain_hash",
            "is_chain_valid",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_store_name(self, anchor: ChainAnchor) -> str | None:
        return anchor.store.name if anchor.store_id else None


# --- Input ---------------------------------------------------------------------------------


class PartyInputSerializer(StoreChoiceMixin, serializers.ModelSerializer):
    class Meta:
        model = Party
        fields = [
            "store",
            "kind",
            "name",
            "credit_code",
            "entity_code",
            "contact_name",
            "phone",
            "address",
        ]
        # Uniqueness per store is the service's check, with its own message.
        validators = []


class LocationInputSerializer(StoreChoiceMixin, serializers.ModelSerializer):
    parent = ScopedRelatedField(model=Location, scope=_locations, required=False, allow_null=True)

    class Meta:
        model = Location
        fields = [
            "store",
            "kind",
            "name",
            "parent",
            "division_code",
            "address",
            "latitude",
            "longitude",
            "area_mu",
        ]
        validators = []


class LotCreateInputSerializer(StoreChoiceMixin, serializers.Serializer):
    lot_number = serializers.CharField(max_length=40)
    product = ScopedRelatedField(model=Product, scope=_products)
    skus = ScopedRelatedField(model=Sku, scope=_skus, many=True, required=False)
    producer = ScopedRelatedField(model=Party, scope=_parties)
    plot = ScopedRelatedField(model=Location, scope=_locations, required=False, allow_null=True)
    harvest_date = serializers.DateField()
    quantity = serializers.DecimalField(**QUANTITY, min_value=0)
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.KILOGRAM)
    expiry_date = serializers.DateField(required=False, allow_null=True)


class LotUpdateInputSerializer(serializers.Serializer):
    skus = ScopedRelatedField(model=Sku, scope=_skus, many=True, required=False)
    expiry_date = serializers.DateField(required=False)


class LotReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TraceCodeBatchInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)


class TransformInputItemSerializer(serializers.Serializer):
    lot = ScopedRelatedField(model=Lot, scope=_lots)
    quantity = serializers.DecimalField(**QUANTITY)


class LotTransformInputSerializer(StoreChoiceMixin, serializers.Serializer):
    inputs = TransformInputItemSerializer(many=True)
    lot_number = serializers.CharField(max_length=40)
    product = ScopedRelatedField(model=Product, scope=_products)
    skus = ScopedRelatedField(model=Sku, scope=_skus, many=True, required=False)
    producer = ScopedRelatedField(model=Party, scope=_parties)
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.KILOGRAM)
    location = ScopedRelatedField(model=Location, scope=_locations, required=False, allow_null=True)
    expiry_date = serializers.DateField(required=False, allow_null=True)


class InputApplicationInputSerializer(StoreChoiceMixin, serializers.Serializer):
    plot = ScopedRelatedField(model=Location, scope=_locations)
    input_type = serializers.ChoiceField(choices=InputApplication.InputType.choices)
    product_name = serializers.CharField(max_length=80)
    active_ingredient = serializers.CharField(max_length=80, required=False, allow_blank=True)
    registration_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    dose = serializers.CharField(max_length=60)
    applied_on = serializers.DateField()
    safety_interval_days = serializers.IntegerField(min_value=0, max_value=365, default=0)
    operator = serializers.CharField(max_length=30, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class InspectionItemInputSerializer(serializers.Serializer):
    substance = serializers.CharField(max_length=80)
    result_value = serializers.DecimalField(
        max_digits=12, decimal_places=4, required=False, allow_null=True
    )
    result_text = serializers.CharField(max_length=40, required=False, allow_blank=True)
    limit_value = serializers.DecimalField(
        max_digits=12, decimal_places=4, required=False, allow_null=True
    )
    unit = serializers.CharField(max_length=20, default="mg/kg")
    method = serializers.CharField(max_length=80, required=False, allow_blank=True)
    is_passed = serializers.BooleanField(required=False, allow_null=True, default=None)


class InspectionInputSerializer(serializers.Serializer):
    lot = ScopedRelatedField(model=Lot, scope=_lots)
    kind = serializers.ChoiceField(choices=Inspection.Kind.choices)
    inspected_on = serializers.DateField()
    lab_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    report_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    report_file = serializers.FileField(
        required=False, help_text=_("PDF 或图片（JPEG/PNG/WebP），multipart 上传")
    )
    items = InspectionItemInputSerializer(many=True)

    def to_internal_value(self, data):
        # multipart/form-data cannot nest a list: accept `items` as a JSON string there.
        if hasattr(data, "getlist") and isinstance(data.get("items"), str):
            import json

            data = data.copy()
            try:
                items = json.loads(data["items"])
            except ValueError:
                raise serializers.ValidationError(
                    {"items": [_("items 须为 JSON 数组。")]}
                ) from None
            plain = {key: data.get(key) for key in data}
            plain["items"] = items
            data = plain
        return super().to_internal_value(data)


class CertificateInputSerializer(serializers.Serializer):
    lot = ScopedRelatedField(model=Lot, scope=_lots)
    basis = serializers.ChoiceField(choices=Certificate.Basis.choices)
    scope = serializers.ChoiceField(
        choices=Certificate.Scope.choices, default=Certificate.Scope.BATCH
    )
    quantity = serializers.DecimalField(**QUANTITY, required=False, allow_null=True)
    source_certificates = ScopedRelatedField(
        model=Certificate, scope=_certificates, many=True, required=False
    )


class TraceEventLotInputSerializer(serializers.Serializer):
    lot = ScopedRelatedField(model=Lot, scope=_lots)
    quantity = serializers.DecimalField(**QUANTITY, required=False, allow_null=True)


class TraceEventInputSerializer(StoreChoiceMixin, serializers.Serializer):
    business_step = serializers.ChoiceField(
        choices=[(step, TraceEvent.BusinessStep(step).label) for step in MERCHANT_STEPS]
    )
    disposition = serializers.ChoiceField(
        choices=TraceEvent.Disposition.choices, required=False, allow_null=True
    )
    event_time = serializers.DateTimeField(required=False, allow_null=True)
    location = ScopedRelatedField(model=Location, scope=_locations, required=False, allow_null=True)
    lots = TraceEventLotInputSerializer(many=True)
    extra = serializers.JSONField(
        required=False,
        help_text=_('附加信息，如 {"temperature_c": "4", "vehicle": "黑A12345"}；小数写成字符串'),
    )


class TraceEventCorrectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    event_time = serializers.DateTimeField(required=False, allow_null=True)
    location = ScopedRelatedField(model=Location, scope=_locations, required=False, allow_null=True)
    disposition = serializers.ChoiceField(
        choices=TraceEvent.Disposition.choices, required=False, allow_null=True
    )
    extra = serializers.JSONField(required=False)


# --- Public trace code ---------------------------------------------------------------------


class PublicLotSerializer(serializers.Serializer):
    lot_number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    status_reason = serializers.CharField()
    harvest_date = serializers.DateField()
    expiry_date = serializers.DateField(allow_null=True)
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.CharField()
    origin_name = serializers.CharField()
    plot = serializers.CharField(source="plot.name", allow_null=True, default=None)
    division = serializers.CharField(source="plot.division_name", allow_null=True, default=None)


class PublicSourceLotSerializer(serializers.Serializer):
    lot_number = serializers.CharField()
    origin_name = serializers.CharField()
    harvest_date = serializers.DateField()


class PublicCertificateSerializer(serializers.Serializer):
    number = serializers.CharField()
    product_name = serializers.CharField()
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.CharField()
    origin = serializers.CharField()
    producer_name = serializers.CharField()
    issuer_name = serializers.CharField()
    basis = serializers.CharField()
    basis_label = serializers.CharField(source="get_basis_display")
    scope = serializers.CharField()
    issued_on = serializers.DateField()
    commitment_text = serializers.CharField()
    source_certificates = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_source_certificates(self, certificate: Certificate) -> list[str]:
        return [source.number for source in certificate.source_certificates.all()]


@extend_schema_field({"type": "string", "description": "YYYY-MM-DD 或带时区的 ISO 8601 时间"})
class MomentField(serializers.Field):
    """A date (farm records) or an aware time (events), as ISO 8601 in Asia/Shanghai."""

    def to_representation(self, value) -> str:
        if isinstance(value, datetime):
            return timezone.localtime(value).isoformat()
        return value.isoformat()


class TraceTimelineEntrySerializer(serializers.Serializer):
    when = MomentField()
    stage = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    place = serializers.CharField()
    lot_number = serializers.CharField()
    temperature = serializers.CharField()
    is_alert = serializers.BooleanField()
    is_corrected = serializers.BooleanField()


class TraceIntegritySerializer(serializers.Serializer):
    is_valid = serializers.BooleanField()
    checked = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.CharField())


class TraceEventRowLotSerializer(serializers.Serializer):
    lot = serializers.IntegerField(source="lot_id")
    lot_number = serializers.CharField()
    role = serializers.CharField()
    quantity = serializers.DecimalField(**QUANTITY, allow_null=True)
    unit = serializers.CharField()


class TraceEventRowSerializer(serializers.Serializer):
    """The same fields as TraceEventSerializer, read from chain.EventRow (the trace page's
    light event records)."""

    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    store = serializers.IntegerField(source="store_id")
    sequence = serializers.IntegerField()
    event_type = serializers.CharField()
    action = serializers.CharField()
    business_step = serializers.CharField()
    disposition = serializers.CharField()
    event_time = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    location = serializers.IntegerField(source="location_id", allow_null=True)
    location_name = serializers.CharField(allow_null=True)
    actor_ref = serializers.CharField()
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    extra = serializers.JSONField()
    lots = TraceEventRowLotSerializer(source="links", many=True)
    event_hash = serializers.CharField()
    previous_hash = serializers.CharField()
    chain_hash = serializers.CharField()


class TracePublicSerializer(serializers.Serializer):
    """Everything the public trace page shows, plus the events with their hashes."""

    code = serializers.CharField(source="code.code")
    scan_count = serializers.IntegerField(source="code.scan_count")
    first_scanned_at = serializers.DateTimeField(source="code.first_scanned_at", allow_null=True)
    scan_warning = serializers.BooleanField()
    product = serializers.SerializerMethodField()
    store = serializers.SerializerMethodField()
    producer = serializers.SerializerMethodField()
    lot = PublicLotSerializer()
    sources = PublicSourceLotSerializer(many=True)
    certificate = PublicCertificateSerializer(allow_null=True)
    inspections = InspectionSerializer(many=True)
    timeline = TraceTimelineEntrySerializer(many=True)
    events = TraceEventRowSerializer(many=True)
    integrity = TraceIntegritySerializer()
    anchor = ChainAnchorSerializer(allow_null=True)
    complaint_url = serializers.CharField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "image": {"type": "string", "nullable": True},
            },
        }
    )
    def get_product(self, page) -> dict:
        image = None
        if page.image is not None:
            url = (page.image.thumbnail or page.image.image).url
            request = self.context.get("request")
            image = request.build_absolute_uri(url) if request else url
        return {"id": page.product.pk, "title": page.product.title, "image": image}

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "slug": {"type": "string"},
            },
        }
    )
    def get_store(self, page) -> dict:
        store = page.lot.store
        return {"id": store.pk, "name": store.name, "slug": store.slug}

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "kind": {"type": "string"},
                "phone_masked": {"type": "string"},
            },
        }
    )
    def get_producer(self, page) -> dict:
        producer = page.lot.producer
        return {
            "name": producer.name,
            "kind": producer.get_kind_display(),
            "phone_masked": page.producer_phone_masked,
        }
