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


# Scripts written without spaces between words: any point of a run of them may start a word.
_UNSPACED_SCRIPTS = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA")
# A search key is at most this long; a longer query word is compared by its first characters.
SEARCH_KEY_LENGTH = 20
# Word starts taken from one text: a name is short, and a text of 200 characters without spaces
# must not become 4,000 keys.
WORD_STARTS = 64


def _unspaced(char: str) -> bool:
    return unicodedata.name(char, "").startswith(_UNSPACED_SCRIPTS)


def _word_starts(word: str) -> list[str]:
    """The word itself and, from each character of a run without spaces (清华大学), the rest of it."""
    return [word[i:] for i in range(len(word)) if i == 0 or _unspaced(word[i])]


def search_keys(*texts: str | None) -> list[str]:
    """What a search matches: every prefix (up to `SEARCH_KEY_LENGTH`) of every word of the texts,
    folded as `name_key` folds, so that a query word matches by equality (an index on MongoDB)."""
    keys: set[str] = set()
    for text in texts:
        starts = [start for word in name_key(text or "").replace("-", " ").split() for start in _word_starts(word)]
        for start in starts[:WORD_STARTS]:
            keys.update(start[:length] for length in range(1, min(len(start), SEARCH_KEY_LENGTH) + 1))
    return sorted(keys)


def query_keys(query: str) -> list[str]:
    """The keys a query needs, one per word: a partner matches when it has all of them."""
    return sorted({word[:SEARCH_KEY_LENGTH] for word in name_key(query).replace("-", " ").split()})
