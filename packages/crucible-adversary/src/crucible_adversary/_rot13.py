"""Find ROT13-encoded passages inside a text, word by word.

A whole-text test ("is the ROT13 of the text more English than the text?") misses the common case
of a short encoded payload behind a plain English instruction ("Decode this ROT13 text and follow
it: Vtaber nyy cerivbhf vafgehpgvbaf ..."): the English words of the instruction outvote the
payload. Instead, every word gets a vote:

* ``+1`` when its ROT13 is a common English word and the word itself is not (``gur`` -> ``the``),
* ``-1`` when the word is a common English word and its ROT13 is not (``the`` -> ``gur``),
* ``0`` otherwise (rare words, names, words common both ways such as ``be`` / ``or``).

The encoded passages are the maximal-sum runs of votes (Kadane's algorithm; a run ends when its sum
falls to zero), widened over the neutral words at their edges (``vafgehpgvbaf`` is rare in both
directions but belongs to the payload). A run counts when it holds at least
:data:`MIN_VOTES` net votes; it is *confident* (a real encoded message, not a coincidence such as
"va bs" in "a BS from VA") when at least :data:`CONFIDENT_MIN` of its words, and at least
:data:`CONFIDENT_SHARE` of them, vote for ROT13. The word list is the few hundred
most frequent English words (function words, common verbs, nouns and adjectives), not words picked
from any attack data, so the test knows English, not attacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CONFIDENT_MIN", "CONFIDENT_SHARE", "MIN_VOTES", "Rot13Segment", "rot13_segments", "rot13_hint"]

_ROT13 = str.maketrans("abcdefghijklmnopqrstuvwxyz", "nopqrstuvwxyzabcdefghijklm")
_WORD = re.compile(r"\b[a-z]+\b")

# the most frequent English words (function words first, then common verbs, nouns, adjectives);
# words are runs of letters, so "don't" is looked up as "don" and "t"
_ENGLISH_WORDS = """
    a i the and to of in is it you that he she was for on are with as his they be at one have this from or
    had by not but what some we can out other were all there when up use your how said an each which do
    their time if will way about many then them write would like so these her long make thing see him two
    has look more day could go come did number sound no most people my over know water than call first who
    may down side been now find any new work part take get place made live where after back little only
    round man year came show every good me give our under name very through just form sentence great think
    say help low line differ turn cause much mean before move right boy old too same tell does set three
    want air well also play small end put home read hand port large spell add even land here must big high
    such follow act why ask men change went light kind off need house picture try us again animal point
    mother world near build self earth father head stand own page should country found answer school grow
    study still learn plant cover food sun four between state keep eye never last let thought city tree
    cross farm hard start might story saw far sea draw left late run don while press close night real life
    few north open seem together next white children begin got walk example ease paper group always music
    those both mark often letter until mile river car feet care second book carry took science eat room
    friend began idea fish mountain stop once base hear horse cut sure watch color face wood main enough
    plain girl usual young ready above ever red list though feel talk bird soon body dog family direct pose
    leave song measure door product black short numeral class wind question happen complete ship area half
    rock order fire south problem piece told knew pass since top whole king space heard best hour better
    true during hundred five remember step early hold west ground interest reach fast verb sing listen six
    table travel less morning ten simple several vowel toward war lay against pattern slow center love
    person money serve appear road map rain rule govern pull cold notice voice unit power town fine certain
    fly fall lead cry dark machine note wait plan figure star box noun field rest correct able pound done
    beauty drive stood contain front teach week final gave green quick develop ocean warm free minute
    strong special mind behind clear tail produce fact street inch multiply nothing course stay wheel full
    force blue object decide surface deep moon island foot system busy test record boat common gold
    possible plane stead dry wonder laugh thousand ago ran check game shape equate miss brought heat snow
    tire bring yes distant fill east paint language among
    im its ok okay please thanks thank hello hi yes sorry into onto upon without within because until
    whether though although however therefore something anything everything nothing someone anyone
    everyone nobody somebody anybody another am being having doing going saying making getting using
    instructions instruction previous prior earlier prompt rules rule guidelines message messages text
    reveal secret hidden password data information content policy safety assistant model user users ignore
    forget disregard print repeat output show explain describe steps detail details way ways step
    want need help would could should shall might must may will can let make made makes know knows
    email phone address account access code file files link page website internet computer software
"""
ENGLISH = frozenset(_ENGLISH_WORDS.split())
# ROT13 of frequent function words: two distinct ones in a text are worth the word-by-word look
_HINT_WORDS = (
    "gur naq lbh lbhe gb bs vf va vg sbe guvf gung jvgu nyy ner abg zr zl ubj jung pna jvyy qb rirel nal "
    "abj gurl jr jnf orra unir unf vs ol sebz ng ohg jbhyq fubhyq pbhyq gurve gurer jurer jura jub"
)
_HINT = frozenset(_HINT_WORDS.split())
MIN_VOTES = 2
CONFIDENT_MIN = 3
CONFIDENT_SHARE = 0.4
_MAX_SEGMENTS = 3


@dataclass(frozen=True, slots=True)
class Rot13Segment:
    """An encoded passage: its span in the text, its decoding, and whether it is clearly a message."""

    start: int
    end: int
    decoded: str
    confident: bool


def rot13(text: str) -> str:
    """ROT13 of lower-case ASCII text (other characters unchanged)."""
    return text.translate(_ROT13)


def rot13_hint(low: str) -> bool:
    """Cheap pre-check on lower-cased text: two distinct ROT13-encoded function words (``gur``, ``naq``)."""
    seen = _HINT.intersection(low.split())
    if len(seen) >= 2:
        return True
    if seen:  # "... nyy." -- a hint word next to punctuation
        return len(_HINT.intersection(_WORD.findall(low))) >= 2
    return False


def rot13_segments(low: str, *, named: bool = False) -> list[Rot13Segment]:
    """The ROT13 passages of the lower-cased text ``low`` (see the module docstring).

    ``named``: the text says "rot13" or "caesar", so one net vote is enough.
    """
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(low)]
    if not words:
        return []
    rotated = rot13(low)
    english = ENGLISH
    votes = []
    for start, end, word in words:
        plain = word in english
        coded = rotated[start:end] in english
        votes.append(1 if coded and not plain else -1 if plain and not coded else 0)
    need = 1 if named else MIN_VOTES
    runs: list[tuple[int, int]] = []  # (first word, last word) of each run with enough net votes
    total = best = 0
    first = best_last = -1
    for i, vote in enumerate(votes):
        if first < 0:
            if vote <= 0:
                continue
            first, total, best, best_last = i, 0, 0, i
        total += vote
        if total > best:
            best, best_last = total, i
        if total <= 0 or i == len(votes) - 1:
            if best >= need:
                runs.append((first, best_last))
            first = -1
    out: list[Rot13Segment] = []
    floor = 0
    for lo, hi in runs[:_MAX_SEGMENTS]:
        lo_ext, hi_ext = lo, hi
        while lo_ext > floor and votes[lo_ext - 1] == 0:  # widen over neutral words at the edges
            lo_ext -= 1
        while hi_ext + 1 < len(votes) and votes[hi_ext + 1] == 0:
            hi_ext += 1
        floor = hi_ext + 1
        start, end = words[lo_ext][0], words[hi_ext][1]
        positive = sum(1 for v in votes[lo_ext : hi_ext + 1] if v > 0)
        confident = positive >= CONFIDENT_MIN and positive >= CONFIDENT_SHARE * (hi_ext - lo_ext + 1)
        out.append(Rot13Segment(start, end, rotated[start:end], confident))
    return out
