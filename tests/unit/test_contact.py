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
    assert mask_phones_in_text("电话13812345678，或138 1234 5678") == "电话138********，或138********"
    assert mask_phones_in_text("订单号 2024123456789") == "订单号 2024123456789"
    assert mask_phones_in_text("2026.11.27 12:00 路灯") == "2026.11.27 12:00 路灯"
    assert mask_phones_in_text("（＋８６）１３９ １１１１ ６６６６") == "139********"
    assert mask_phones_in_text("13812345678 13912345678") == "138******** 139********"
    assert mask_phones_in_text("建于2019年，高10米，见图1") == "建于2019年，高10米，见图1"


@pytest.mark.parametrize(
    "written",
    [
        "+86 (138) 1234-5678",
        "(+86)13812345678",
        "138/1234/5678",
        "138_1234_5678",
        "138一二三四五六七八",
        "一三八一二三四五六七八",
        "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits
        "0086-138-1234-5678",
    ],
)
def test_mobile_numbers_written_any_way_are_masked(written: str) -> None:
    assert mask_phones_in_text(f"请联系我，电话：{written}。") == "请联系我，电话：138********。"


@pytest.mark.parametrize("written", ["0592-6212345", "０５９２－６２１２３４５", "(0592) 621 2345"])
def test_landline_numbers_are_masked(written: str) -> None:
    assert mask_phones_in_text(f"门卫电话 {written}") == "门卫电话 0592****345"


def test_personal_details_in_residents_words_are_masked() -> None:
    from portal.contact import mask_personal_in_text

    cases = {
        "联系人陈大文，电话13859201234": "联系人陈**，电话138********",
        "欧阳娜娜说太吵": "欧阳**说太吵",
        "我是李建国住在三楼": "我是李**住在三楼",
        "身份证350211199001011234": "身份证350***************",
        "邮箱 jianguo.li@example.cn 有事联系": "邮箱 j***@*** 有事联系",
        "加我wxid_abc123xyz": "加我wxid_****",
        "微信：jimei_2026": "微信：****",
        "请转告陈建国书记，路灯坏了": "请转告陈**书记，路灯坏了",
        "老张说太吵": "老*说太吵",
        "联系人李四电话13859201234": "联系人李*电话138********",
        "身份证 350211 19880707 123X": "身份证 350*****************",
        # Nobody's name: left as written.
        "王先生反映路灯不亮": "王先生反映路灯不亮",
        "周末很吵，施工到晚上十点": "周末很吵，施工到晚上十点",
        "我是本地居民": "我是本地居民",
        "小区门口很吵": "小区门口很吵",
        "请书记来看看": "请书记来看看",
    }
    for words, masked in cases.items():
        assert mask_personal_in_text(words) == masked, words
