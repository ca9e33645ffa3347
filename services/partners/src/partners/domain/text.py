"""Comparing names the way people do: without case, accents or extra spaces."""

from __future__ import annotations

import unicodedata

# Accents are dropped only from the scripts where people write a name with or
# without them (Université / Universite). Elsewhere a combining mark is part
# of the letter: the kana voicing marks make ハ, バ and パ different syllables,
# and Thai tone marks or Hebrew and Arabic vowel points change the word.
_ACCENTED_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")

# Letters with a stroke or a ligature have no decomposition, but are written
# without it just as often (Łódź / Lodz, Øresund / Oresund).
_PLAIN_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "œ": "oe", "æ": "ae", "þ": "th"})


def name_key(name: str) -> str:
    """`Université  Paris-Saclay` and `universite paris-saclay` give the same key.

    NFKD splits accented letters into a base letter and combining marks; the
    marks on Latin, Greek and Cyrillic letters are dropped; casefold handles
    ß and the like; runs of white space become one space. Scripts without
    case or accents (Chinese, Japanese) are compared as written.
    """
    kept: list[str] = []
    base_is_accented_script = False
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(char):
            if not base_is_accented_script:
                kept.append(char)
            continue
        base_is_accented_script = unicodedata.name(char, "").startswith(_ACCENTED_SCRIPTS)
        kept.append(char)
    folded = unicodedata.normalize("NFKC", "".join(kept)).casefold().translate(_PLAIN_LETTERS)
    return " ".join(folded.split())
