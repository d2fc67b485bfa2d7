"""Phone numbers and names: validation, and the one masking helper for showing them second-hand."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(text: str) -> str | None:
    """A mainland China mobile number as 11 digits, or None when it is not one."""
    cleaned = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", text))
    if not cleaned or len(cleaned) > 20:
        return None
    try:
        number = phonenumbers.parse(cleaned, "CN")
    except NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None
    national = str(number.national_number)
    return national if len(national) == 11 and national.startswith("1") else None


def mask_phone(phone: str) -> str:
    """138****5678"""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """张* (the family name only; Latin names keep their first letter)."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, min(len(name) - 1, 2))


def last_four(phone: str) -> str:
    return phone[-4:] if len(phone) >= 4 else ""


# Digits as people type them: any script's decimal digits (full-width, Arabic-Indic…) and Chinese
# numerals. Text is first read into ASCII digits one character for one, so positions stay put.
_CJK_DIGITS = {"〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
               "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "＋": "+"}  # fmt: skip
_SEP = r"[\s.\-_/()（）·—－．、]{0,2}"  # at most two spaces, dots, dashes, slashes or brackets between digits
_MOBILE_IN_TEXT = re.compile(
    rf"(?<!\d)(?:[(（]?(?:\+|00)?{_SEP}86{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)"
)
_LANDLINE_IN_TEXT = re.compile(rf"(?<!\d)[(（]?0\d{{2,3}}{_SEP}[2-9](?:{_SEP}\d){{6,7}}(?!\d)")


def _ascii_digits(text: str) -> str:
    def one(c: str) -> str:
        if c in _CJK_DIGITS:
            return _CJK_DIGITS[c]
        if c.isdecimal() and not c.isascii():
            return str(unicodedata.decimal(c, 0))
        return c

    return "".join(one(c) for c in text)


def mask_phones_in_text(text: str) -> str:
    """Residents sometimes type a number into the description, in any of the ways people write one
    (139.1111.3333, +86 (139) 1111-3333, full-width or Chinese digits, a landline 0592-6212345):
    never show it in public."""
    read = _ascii_digits(text)
    spans: list[tuple[int, int, str]] = []
    for match in _MOBILE_IN_TEXT.finditer(read):
        digits = "".join(c for c in match.group() if c.isdigit())[-11:]
        # No digit of the end: a reporter's own number, typed into the text, would otherwise print
        # the very last four digits that open their ticket.
        spans.append((match.start(), match.end(), digits[:3] + "*" * 8))
    for match in _LANDLINE_IN_TEXT.finditer(read):
        if not any(start < match.end() and match.start() < end for start, end, _ in spans):
            digits = "".join(c for c in match.group() if c.isdigit())
            spans.append((match.start(), match.end(), f"{digits[:4]}****{digits[-3:]}"))
    for start, end, masked in sorted(spans, reverse=True):
        text = text[:start] + masked + text[end:]
    return text


# The commonest family names (Simplified and Traditional): a name typed into a text is one of these
# followed by one or two characters. The approver sees the masked words before they are published.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "張劉陳楊黃趙吳鄭謝許韓馮鄧蕭葉蘇呂盧陸錢龔賀湯羅閻顧"
)
_HAN = r"[\u4e00-\u9fff]"
_BEFORE = (
    r"(?:^|(?<=[\s,.;:!?，。；：！？、（）()“”\"'《》])|(?<=我叫|我是|本人|姓名|名字|叫做|联系|聯繫|署名))"
)
_AFTER = r"(?=$|[\s,.;:!?，。；：！？、（）()“”\"'《》]|说|說|讲|講|反映|投诉|投訴|家|电话|電話|手机|手機)"
_TITLES = r"(?!先生|女士|小姐|师傅|師傅|阿姨|老师|老師|大爷|大爺)"  # 王先生 names nobody
_COMPOUND = (
    "欧阳|歐陽|司马|司馬|诸葛|諸葛|上官|东方|東方|慕容|令狐|皇甫|尉迟|尉遲|公孙|公孫|夏侯|长孙|長孫|司徒|端木"
)
_FAMILY = rf"(?:{_COMPOUND}|[{_SURNAMES}])"
_NAME_IN_TEXT = re.compile(rf"{_BEFORE}({_FAMILY}{_TITLES}{_HAN}{{1,2}}?){_AFTER}")
# After words that introduce a name, whatever follows it.
# A name's second character is never the start of the words that follow names (李四电话 is 李四).
_GIVEN = rf"{_HAN}(?:(?!电话|電話|手机|手機|说|說|讲|講|反映|投诉|投訴|书记|書記|主任|经理|經理){_HAN})?"
_NAMED = re.compile(
    rf"((?:我叫|我是|本人|姓名|名字|叫做|联系人|聯繫人|聯絡人|署名|签名|簽名)[:：\s]*)({_FAMILY}{_TITLES}{_GIVEN})"
)
# Before a post or a title (陈建国书记, 王芳主任): a name, whatever stands before it.
_POST = "书记|書記|主任|局长|局長|科长|科長|所长|所長|队长|隊長|站长|站長|经理|經理|老师|老師|医生|醫生|警官"
_NAME_BEFORE_POST = re.compile(rf"({_FAMILY}{_TITLES}{_HAN}{{1,2}}?)(?={_POST})")
# 老张, 小李 telling something: a person all the same.
_NICKNAME = re.compile(rf"(?<=[老小])([{_SURNAMES}])(?=说|說|讲|講|反映|家|的电话|的電話)")
# An identity card number, also typed in groups (350211 19880707 123X).
_ID_NUMBER = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}[\s-]?(?:19|20)[0-9]{2}[01][0-9][0-3][0-9][\s-]?[0-9]{3}[0-9Xx](?![0-9])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_WECHAT = re.compile(
    r"wxid_[A-Za-z0-9_-]{4,30}|((?:微信号|微信號|微信|vx|VX|Vx|wx|WX)[:：\s]*)[A-Za-z][-_A-Za-z0-9]{5,19}"
)


def _mask_family(name: str) -> str:
    compound = re.match(_COMPOUND, name)
    family = compound.group() if compound else name[0]
    return family + "*" * max(1, min(len(name) - len(family), 2))


def _mask_wechat(match: re.Match[str]) -> str:
    return (match.group(1) or "wxid_") + "****"


def mask_names_in_text(text: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳** where a family name and one or two characters follow words that
    introduce a name (我叫, 我是, 联系人…) or stand as a word of their own (between punctuation,
    before 说/反映/电话…). A rule of thumb: whoever approves the words sees them masked first."""
    text = _NAMED.sub(lambda m: m.group(1) + _mask_family(m.group(2)), text)
    text = _NAME_BEFORE_POST.sub(lambda m: _mask_family(m.group(1)), text)
    text = _NICKNAME.sub("*", text)
    return _NAME_IN_TEXT.sub(lambda m: _mask_family(m.group(1)), text)


def mask_personal_in_text(text: str) -> str:
    """A resident's words with phone numbers, identity card numbers, e-mail addresses, WeChat ids and
    (as far as a rule can tell) names masked."""
    text = _ID_NUMBER.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), text)
    text = _EMAIL.sub(lambda m: m.group()[0] + "***@***", text)
    text = _WECHAT.sub(_mask_wechat, text)
    return mask_names_in_text(mask_phones_in_text(text))
