from __future__ import annotations

import pytest

from portal.contact import mask_name, mask_phone, mask_phones_in_text, normalize_mobile


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("138.1234.5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
        ("0592-1234567", None),  # a Xiamen landline
        ("12345", None),
        ("23812345678", None),
        ("+1 415 555 0100", None),
        ("abc", None),
        ("", None),
    ],
)
def test_mainland_mobile_numbers(typed: str, expected: str | None) -> None:
    assert normalize_mobile(typed) == expected


def test_masking() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**"
    assert mask_name("") == ""
    assert mask_phones_in_text("电话13812345678，或138 1234 5678") == "电话138****5678，或138****5678"
    assert mask_phones_in_text("订单号 2024123456789") == "订单号 2024123456789"
    assert mask_phones_in_text("2026.11.27 12:00 路灯") == "2026.11.27 12:00 路灯"
    assert mask_phones_in_text("（＋８６）１３９ １１１１ ６６６６") == "（＋８６）139****6666"
