"""One error body everywhere: {"code", "message", "fields": {path: [messages]}}."""

import pytest

from apps.core.api import error_fields


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({"township": "请选择。"}, {"township": ["请选择。"]}),
        ({"name": ["太长。", "无效。"]}, {"name": ["太长。", "无效。"]}),
        ({"lines": {"12": "库存不足"}}, {"lines.12": ["库存不足"]}),
        (
            {"skus": {"0": {"wholesale_tiers": {"0": {"min_quantity": ["至少 2。"]}}}}},
            {"skus.0.wholesale_tiers.0.min_quantity": ["至少 2。"]},
        ),
        ({"skus": [{}, {"spec": ["必填。"]}]}, {"skus.1.spec": ["必填。"]}),
        (["整体无效。"], {"non_field_errors": ["整体无效。"]}),
        ("整体无效。", {"non_field_errors": ["整体无效。"]}),
        ({}, {}),
        (None, {}),
    ],
)
def test_error_fields_is_a_flat_map_of_lists_of_strings(detail, expected):
    assert error_fields(detail) == expected
