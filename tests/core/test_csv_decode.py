"""Uploaded CSV files (courier tracking, channel orders, market prices) are read in the
encodings Chinese spreadsheets save them in, by one rule."""

from apps.core.text import csv_decode


def test_utf8_with_a_bom_is_read_without_it():
    assert csv_decode("\ufeff运单号,状态\n".encode()) == ("运单号,状态\n", "utf-8-sig")


def test_gbk_as_excel_saves_it_is_read():
    assert csv_decode("五常大米,3.50\n".encode("gbk")) == ("五常大米,3.50\n", "gb18030")


def test_bytes_in_neither_encoding_are_refused():
    assert csv_decode(b"\x81\x30\xff\xfe\x00") is None
