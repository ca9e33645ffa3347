"""Names compared the way people do: without case, accents or extra spaces."""

from __future__ import annotations

import pytest

from partners.domain.text import SEARCH_KEY_LENGTH, WORD_STARTS, name_key, query_keys, search_keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Universität Zürich", "universitat zurich"),
        ("Université Paris-Saclay", "UNIVERSITE PARIS-SACLAY"),
        ("École Polytechnique Fédérale de Lausanne", "ecole polytechnique federale de lausanne"),
        ("Technische Universität München", "technische universitat munchen"),
        ("Straße", "STRASSE"),
        ("  ETH   Zürich ", "ETH Zurich"),
        ("Imperial\tCollege\nLondon", "imperial college london"),
        ("ＴＯＫＹＯ　ＵＮＩＶＥＲＳＩＴＹ", "Tokyo University"),  # full-width letters and space
        ("Ｓｉｅｍｅｎｓ ＡＧ", "siemens ag"),
        ("İstanbul Üniversitesi", "istanbul universitesi"),
    ],
)
def test_same_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Universität Zürich", "universitat zurich"),
        ("  ETH   Zürich ", "eth zurich"),
        ("ＴＯＫＹＯ　ＵＮＩＶＥＲＳＩＴＹ", "tokyo university"),
        ("Straße", "strasse"),
    ],
)
def test_key_values(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize("name", ["清华大学", "新加坡国立大学", "香港科技大學", "東京大学", "한국과학기술원"])
def test_chinese_japanese_korean_names_are_compared_as_written(name: str) -> None:
    assert name_key(name) == name


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ブリヂストン", "ブリヂストン"),  # Bridgestone: the voicing marks make other syllables, not accents
        ("ﾌﾞﾘﾁﾞｽﾄﾝ", "ブリヂストン"),  # half-width katakana
        ("早稲田大学", "早稲田大学"),
        ("パナソニック", "パナソニック"),
    ],
)
def test_japanese_kana_keep_their_voicing_marks(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("バ", "ハ"),
        ("パ", "ハ"),
        ("どうほく", "とうほく"),
        ("清华大学", "清華大學"),  # simplified and traditional characters are different strings
        ("University of Tokyo", "Tokyo University"),
        ("RWTH Aachen", "RWTH-Aachen"),
    ],
)
def test_different_names_keep_different_keys(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_letters_with_a_stroke_fold_like_accents():
    assert name_key("Łódź University of Technology") == name_key("lodz university of technology")
    assert name_key("Øresund Institute") == name_key("oresund institute")


def test_vowel_points_and_tone_marks_are_part_of_the_word():
    assert name_key("שָׁלוֹם") != name_key("שלום")  # Hebrew with and without points differ
    assert name_key("ไม้") != name_key("ไม")  # a Thai tone mark changes the word


def test_search_keys_are_the_folded_prefixes_of_every_word_and_of_every_point_of_an_unspaced_run():
    keys = search_keys("Universität Zürich", "清华大学", "UNSW")
    for key in ("u", "univ", "universitat", "z", "zurich", "unsw", "清", "清华", "清华大学", "华大", "大学", "学"):
        assert key in keys, key
    assert "universität" not in keys and "ich" not in keys, "folded, and only from the start of a word"
    assert query_keys("  Universität  ZÜ ") == ["universitat", "zu"]


def test_search_keys_stay_bounded_however_long_the_name():
    keys = search_keys("x" * 200, "字" * 200, "".join(chr(0x4E00 + i) for i in range(200)))
    assert max(map(len, keys)) == SEARCH_KEY_LENGTH
    assert len(keys) <= 2 * SEARCH_KEY_LENGTH + WORD_STARTS * SEARCH_KEY_LENGTH
    assert query_keys("y" * 100) == ["y" * SEARCH_KEY_LENGTH]
