"""Case-insensitive rule sets that read many texts fast, with exactly re.IGNORECASE's hits.

Role, market, area and product-type inference runs some 70 case-insensitive
regular expressions over three to six texts of every profile, and a full fit
spent over half its time there (docs/benchmarks.md, "Fit speed"). Two things
make it cheaper without changing a single hit:

* the text is lowercased once and the rules are compiled without IGNORECASE,
  whose per-character case folding is the slow part of ``re``;
* each rule names the literal words one of its branches must contain (its
  *needles*); one scan of the text with a trie of every rule's needles says
  which rules can match, and the others are not run.

``str.lower()`` and ``re.IGNORECASE`` differ for a few letters (Turkish İ
lowers to two characters, dotless ı and long ſ match "i" and "s" only under
IGNORECASE, Greek sigma, the micro sign...). The fast path therefore runs
only on texts whose every character is in :data:`_FAST_TEXT`'s ranges: ASCII,
Latin-1 and Latin Extended-A without µ, İ, ı and ſ (Latvian), punctuation,
currency signs, Hangul and CJK. tests/test_rule_scan.py proves for every character of those
ranges that lowering it is what IGNORECASE does; any other text takes the
original IGNORECASE patterns, so the result is the same for every text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from re import _parser as sre_parse  # type: ignore[attr-defined]  # the parser re compiles with
from typing import Any

#: a character outside the ranges where ``str.lower()`` is exactly IGNORECASE
_FAST_TEXT = re.compile(
    r"[^\x00-\x7f\u00a0-\u00b4\u00b6-\u012f\u0132-\u017e\u1100-\u11ff\u2000-\u206f\u20a0-\u20cf"
    r"\u3000-\u303f\u3130-\u318f\u4e00-\u9fff\uac00-\ud7a3]"
)


class RuleSet:
    """Rules ``(pattern, value)``; :meth:`first_matches` says where each first matches."""

    def __init__(self, rules: Sequence[tuple[str, Any]]):
        self.values = [value for _, value in rules]
        self._exact = [re.compile(pattern, re.IGNORECASE) for pattern, _ in rules]
        # (pattern, reads the lowered text?) per rule; a rule naming an
        # upper-case letter keeps IGNORECASE and reads the original text (in a fast-path
        # text lowering keeps every position, so its hits are the same)
        self._fast = [
            (re.compile(pattern), True) if _is_lowercase(pattern) else (exact, False)
            for (pattern, _), exact in zip(rules, self._exact, strict=True)
        ]

        words = {i: needles(pattern) for i, (pattern, _) in enumerate(rules)}
        self._always = sorted(i for i, found in words.items() if found is None)
        everything = {w for found in words.values() if found for w in found}
        #: longest needle found at a position -> rules any of its prefixes (or it) names
        self._covers = {
            w: {i for i, found in words.items() if found and any(w.startswith(f) for f in found)}
            for w in everything
        }
        self._needle_scan = re.compile(f"(?=({_trie_pattern(everything)}))") if everything else None

    def first_matches(self, text: str) -> list[tuple[int, int]]:
        """(start of the first match, rule index) of each rule that matches, in rule order."""
        if _FAST_TEXT.search(text) is not None:
            exact = enumerate(self._exact)
            return [(m.start(), i) for i, rule in exact if (m := rule.search(text))]
        low = text.lower()
        candidates = set(self._always)
        if self._needle_scan is not None:
            for hit in self._needle_scan.finditer(low):
                candidates |= self._covers[hit.group(1)]
        found = []
        for i in sorted(candidates):
            pattern, lowered = self._fast[i]
            if m := pattern.search(low if lowered else text):
                found.append((m.start(), i))
        return found


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching the longest of ``words`` that starts where it is tried.

    Two needles starting at one place are prefixes of one another, so the
    longest names them all (``_covers``); a trie keeps ``re`` from trying
    hundreds of alternatives at every character.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _render(trie)


def _render(node: dict) -> str:
    branches = [re.escape(ch) + _render(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


def needles(pattern: str) -> tuple[str, ...] | None:
    """One literal every match of the pattern contains, per top-level branch; None if a
    branch has none (then the rule is always run)."""
    parsed = sre_parse.parse(pattern)
    data = list(parsed)
    if len(data) == 1 and data[0][0] is sre_parse.BRANCH:
        branches: Iterable[Any] = data[0][1][1]
    else:
        branches = [parsed]
    found = []
    for branch in branches:
        runs = _literal_runs(branch)
        if not runs:
            return None
        found.append(max(runs, key=len).lower())
    return tuple(dict.fromkeys(found))


def _literal_runs(sequence: Any) -> list[str]:
    """Runs of consecutive literal characters at the top level of a parsed sequence."""
    runs, current = [], ""
    for op, av in sequence:
        if op is sre_parse.LITERAL:
            current += chr(av)
        else:
            runs.append(current)
            current = ""
    runs.append(current)
    return [run for run in runs if run]


def _is_lowercase(pattern: str) -> bool:
    """Whether the pattern names no upper-case letter (which lowered text never has)."""
    return all(ch.lower() == ch for ch in _literal_chars(sre_parse.parse(pattern)))


def _literal_chars(sequence: Any) -> Iterable[str]:
    """Every literal character and character-range member anywhere in a parsed pattern."""
    for op, av in sequence:
        if op in (sre_parse.LITERAL, sre_parse.NOT_LITERAL):
            yield chr(av)
        elif op is sre_parse.RANGE:
            yield from map(chr, range(av[0], av[1] + 1))
        elif op is sre_parse.IN:
            yield from _literal_chars(av)
        elif op is sre_parse.BRANCH:
            for branch in av[1]:
                yield from _literal_chars(branch)
        elif op is sre_parse.SUBPATTERN:
            yield from _literal_chars(av[-1])
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT):
            yield from _literal_chars(av[2])
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            yield from _literal_chars(av[1])
        elif op is sre_parse.ATOMIC_GROUP:
            yield from _literal_chars(av)
