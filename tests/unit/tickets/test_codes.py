from __future__ import annotations

from portal.tickets.codes import ALPHABET, new_code, new_form_key, normalize_code, valid_form_key


def test_codes_avoid_confusable_characters() -> None:
    assert not set("01IO") & set(ALPHABET)
    for _ in range(200):
        code = new_code()
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(ALPHABET)


def test_codes_typed_loosely_are_understood() -> None:
    assert normalize_code("7k4m p2qx") == "7K4M-P2QX"
    assert normalize_code(" 7K4M—P2QX ") == "7K4M-P2QX"
    assert normalize_code("7K4MP2QX") == "7K4M-P2QX"


def test_impossible_codes_are_refused() -> None:
    for text in ("", "7K4M-P2Q", "7K4M-P2QO", "1234-5678", "<script>", "7K4M-P2QX-EXTRA"):
        assert normalize_code(text) is None


def test_form_keys_are_signed() -> None:
    key = new_form_key("secret")
    assert valid_form_key("secret", key)
    assert not valid_form_key("other-secret", key)
    assert not valid_form_key("secret", key[:-1] + ("0" if key[-1] != "0" else "1"))
    assert not valid_form_key("secret", "no-signature")
    assert not valid_form_key("secret", None)
