"""Secrets out of everything cs derives from the logs: `[REDACTED:<kind>]`.

What is redacted (at least): Anthropic, OpenAI, AWS access keys, GitHub and
GitLab tokens, Slack, Stripe, npm and PyPI tokens, Google API keys, JWTs,
PEM/OpenSSH private key blocks, and `NAME=value` assignments whose name says
KEY, TOKEN, SECRET or PASSWORD; plus the user's own patterns (`redact_patterns`).
The rules are a curated subset of gitleaks' (MIT License, Copyright (c) 2019
Zachary Rice; https://github.com/gitleaks/gitleaks, config/gitleaks.toml),
loosened where a real key may be shorter than the published format (a test key,
a truncated paste): a redactor should err towards hiding.

Speed: every rule has keywords; one case-insensitive search for any keyword
rejects most lines before any rule's regex runs (the indexer redacts every
line: docs/benchmarks.md measures the cost).

It works on rendered text (what the screen showed, what was typed, what the
transcript says), never on raw chunks: a secret drawn in pieces by cursor moves
is whole again once rendered. A private key block spans lines: `Redactor`
keeps the state from one line to the next. Imports nothing of cs.
Tests: tests/test_redact.py.
"""

import re

_ASSIGN_NAME = r"[A-Za-z0-9_.\-]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?)[A-Za-z0-9_.\-]*"

# (kind, keywords, regex). Keywords are matched case-insensitively.
RULES = [
    ("anthropic", ("sk-ant-",), r"sk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_\-]{16,}"),
    ("openai", ("sk-proj-", "sk-svcacct-", "sk-admin-"), r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{16,}"),
    ("openai", ("t3blbkfj",), r"sk-[A-Za-z0-9_\-]{8,}T3BlbkFJ[A-Za-z0-9_\-]{8,}"),
    ("aws", ("akia", "asia", "abia", "acca", "a3t"), r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"),
    ("github", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"\bgh[pousr]_[A-Za-z0-9]{20,255}"),
    ("github", ("github_pat_",), r"\bgithub_pat_[A-Za-z0-9_]{22,255}"),
    ("gitlab", ("glpat-", "gldt-", "glptt-"), r"\bgl(?:pat|dt|ptt)-[A-Za-z0-9_\-]{20,}"),
    ("slack", ("xox",), r"\bxox[abposr]-(?:[A-Za-z0-9]+-?){2,}[A-Za-z0-9]+"),
    ("slack", ("hooks.slack.com",), r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/_\-]{20,}"),
    ("stripe", ("sk_live_", "sk_test_", "rk_live_", "rk_test_"), r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}"),
    ("npm", ("npm_",), r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi", ("pypi-ageichlwas5vcmc",), r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{20,}"),
    ("google", ("aiza",), r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("jwt", ("eyj",), r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    (
        "private-key",
        ("private key",),
        r"-----BEGIN[ A-Z0-9_\-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END[ A-Z0-9_\-]{0,100}PRIVATE KEY(?: BLOCK)?-----",
    ),
    (
        "assignment",
        ("key", "token", "secret", "passw", "passphrase", "credential"),
        r"(?i)\b(" + _ASSIGN_NAME + r")([\"']?\s*(?::=|=|:)\s*)(\"[^\"\n]{6,}\"|'[^'\n]{6,}'|[^\s\"',;`]{6,})",
    ),
]

# Prefilter only: a shorter substring standing for several keywords.
_PREFIX_OF = {
    "sk-ant-": "sk-",
    "sk-proj-": "sk-",
    "sk-svcacct-": "sk-",
    "sk-admin-": "sk-",
    "sk_live_": "k_",
    "sk_test_": "k_",
    "rk_live_": "k_",
    "rk_test_": "k_",
}

_BEGIN_KEY = re.compile(r"-----BEGIN[ A-Z0-9_\-]{0,100}PRIVATE KEY(?: BLOCK)?-----")
_END_KEY = re.compile(r"-----END[ A-Z0-9_\-]{0,100}PRIVATE KEY(?: BLOCK)?-----")
MARK = "[REDACTED:{}]"
KEY_LINES = 120  # the longest private key block (an 8192-bit RSA key in PEM is about 100 lines)


class Redactor:
    """Redacts text line by line (or whole texts); keeps the state of a private
    key block that spans lines. `extra` are the user's own regular expressions."""

    def __init__(self, extra=(), enabled: bool = True):
        self.enabled = enabled
        rules = [(kind, tuple(k.lower() for k in words), re.compile(rx)) for kind, words, rx in RULES]
        for pattern in extra:
            rules.append(("custom", (), re.compile(pattern)))
        self._rules = rules
        # A plain loop of substring tests on the lowered text: about 1 us for a
        # clean line (one case-insensitive regex of all keywords takes 20x that).
        # The prefilter needs only the keywords that contain no other (a line
        # with "private key" has "key"), and one common prefix stands for a
        # family ("sk-" for sk-ant-, sk-proj-, ...); each rule still checks
        # its own keywords before its regex runs.
        words = {k for _, ws, _ in rules for k in ws}
        words = {_PREFIX_OF.get(k, k) for k in words}
        self._keywords = tuple(sorted(k for k in words if not any(o != k and o in k for o in words)))
        self._always = [r for r in rules if not r[1]]  # user patterns: no keywords, always tried
        self._in_key = 0

    @property
    def in_key(self) -> int:
        """Inside a private key block (the state carried from line to line):
        how many more lines it may take (0: not in one)."""
        return self._in_key

    @in_key.setter
    def in_key(self, value) -> None:
        self._in_key = int(value)

    def line(self, text: str) -> str:
        """One rendered line (a screen line, a typed line), in order."""
        if not self.enabled or not text:
            return text
        if self._in_key:
            # Until its END line, or KEY_LINES lines (a key printed in part,
            # `head id_rsa`, must not hide the rest of the session).
            self._in_key -= 1
            if _END_KEY.search(text):
                self._in_key = 0
            return MARK.format("private-key")
        begin = _BEGIN_KEY.search(text) if "-----BEGIN" in text else None
        if begin and not _END_KEY.search(text, begin.end()):
            self._in_key = KEY_LINES
            return text[: begin.start()] + MARK.format("private-key")
        return self.text(text)

    def might_hold(self, text: str) -> bool:
        """False if no rule can match anywhere in `text` (no keyword in it,
        and no pattern of the user's, which have none)."""
        return bool(self._always) or self._keyword_in(text.lower())

    def _keyword_in(self, low: str) -> bool:
        """Does lower-cased `low` hold a keyword of some rule?"""
        for keyword in self._keywords:
            if keyword in low:
                return True
        return False

    def text(self, text: str) -> str:
        """A whole text (a transcript reply, a multi-line string)."""
        if not self.enabled or not text:
            return text
        low = text.lower()
        if not self._always and not self._keyword_in(low):
            return text
        for kind, words, regex in self._rules:
            if words and not any(w in low for w in words):
                continue
            text = regex.sub(_replacer(kind), text)
            if words:
                low = text.lower()
        return text

    def lines(self, texts: list, widths=None) -> list:
        """Consecutive rendered lines (in order), redacted, including a secret
        that the terminal wrapped over several rows: rows as wide as the
        terminal (`widths`: the set of its widths; unknown: at least WRAP_MIN
        characters) that end, where the next begins, with a token character
        are also looked at joined, and a secret across a seam is marked on
        every row it covers. (Across two calls the seam is not seen: the
        indexer gives each pass's lines in one call.)"""
        out = [self.line(t) for t in texts]
        n = len(texts)
        if not self.enabled or n < 2:
            return out
        token, i = _TOKEN_CHARS, 0
        while i < n - 1:
            j = i
            while j < n - 1:
                a, b = texts[j], texts[j + 1]
                if (len(a) not in widths if widths else len(a) < WRAP_MIN) or not b:
                    break
                if a[-1] not in token or b[0] not in token:
                    break
                j += 1
            if j > i:
                self._wrapped(texts, out, i, j)
            i = j + 1
        return out

    def _wrapped(self, texts: list, out: list, first: int, last: int) -> None:
        """Rows first..last may be one wrapped line: redact it whole; if a
        secret crosses a seam, rebuild those rows' output from the matches."""
        rows = texts[first : last + 1]
        joined = "".join(rows)
        if "-----" in joined:
            return  # key blocks: the line state handles them row by row
        low = joined.lower()
        if not self._always and not self._keyword_in(low):
            return
        spans = []
        for kind, words, regex in self._rules:
            if words and not any(w in low for w in words):
                continue
            for m in regex.finditer(joined):
                if kind == "assignment":
                    if m.group(3).startswith(("[REDACTED:", "$")):
                        continue
                    spans.append((m.start(3), m.end(3), kind))
                else:
                    spans.append((m.start(), m.end(), kind))
        starts, pos = [], 0
        for r in rows:
            starts.append(pos)
            pos += len(r)
        seams = starts[1:]
        if not any(s < seam < e for s, e, _ in spans for seam in seams):
            return  # nothing across a seam: the rows as line() redacted them
        spans.sort()
        merged = []
        for s, e, kind in spans:
            if merged and s < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
                continue
            merged.append([s, e, kind])
        for k, r in enumerate(rows):
            rs, re_ = starts[k], starts[k] + len(r)
            pieces, at = [], rs
            for s, e, kind in merged:
                if e <= rs or s >= re_:
                    continue
                if s > at:
                    pieces.append(joined[at:s])
                pieces.append(MARK.format(kind))
                at = min(e, re_)
            pieces.append(joined[at:re_])
            out[first + k] = "".join(pieces)


WRAP_MIN = 40  # a row that may have wrapped is at least this wide
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.")


def _replacer(kind: str):
    mark = MARK.format(kind)
    if kind == "assignment":

        def keep_name(m):
            value = m.group(3)
            if value.startswith("[REDACTED:") or value.startswith("$"):  # done, or a variable reference
                return m.group(0)
            return m.group(1) + m.group(2) + mark

        return keep_name
    return lambda m: mark


def contains_secret(text: str) -> bool:
    return Redactor().text(text) != text


# ---------------------------------------------------------------- raw terminal streams

# What splits the text of a terminal stream: escape sequences (CSI, OSC, DCS and
# the like, two-byte escapes) and control characters. Text runs between them are
# redacted; the sequences pass unchanged.
_SPLIT = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[ -/]*[0-~])"
    r"|[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]"
)
HOLD_MAX = 1024  # the longest run of text held back waiting for its end
# What a secret may be made of (a token, a NAME=value): a run of these at the
# end of a chunk is held back; anything else (a space, a letter of another
# script) ends it.
_HELD = re.compile(r"[A-Za-z0-9_\-+/=.:'\"]+\Z")


class StreamRedactor:
    """Redacts a terminal's output (or input) stream given in chunks of text,
    for exports that carry the raw stream (asciicast, HTML). Escape sequences
    and control characters pass unchanged; the runs of text between them are
    redacted (`Redactor.line`, so a private key block spans runs). A run still
    open at the end of a chunk (it may be a secret cut in two by the PTY, or
    typed one key at a time) is held back until it ends -- at a control or
    escape, or at whitespace -- and emitted with the next chunk, at most
    HOLD_MAX characters (`hold_from` says where the held part begins, for a
    caller that keeps the times of what it holds). Limits: a secret drawn in pieces by cursor moves, or
    coloured in the middle, is never contiguous in the stream and is not
    recognised here (the rendered text -- index, show, text export -- is)."""

    def __init__(self, redactor: Redactor):
        self.redactor = redactor
        self.carry = ""

    def feed(self, text: str) -> str:
        if not self.redactor.enabled:
            return text
        buf = self.carry + text
        cut = self.hold_from(buf)
        self.carry = buf[cut:]
        return self.redact(buf[:cut])

    def flush(self) -> str:
        rest, self.carry = self.carry, ""
        return self.redact(rest) if self.redactor.enabled else rest

    def hold_from(self, buf: str) -> int:
        """Where the part to hold back begins (len(buf): nothing held)."""
        end = 0
        for m in _SPLIT.finditer(buf):
            end = m.end()
        esc = buf.rfind("\x1b", end)
        if esc >= 0:  # an escape sequence not complete yet
            return esc if len(buf) - esc <= HOLD_MAX else len(buf)
        m = _HELD.search(buf, end)  # the trailing characters a secret is made of
        if m is None or m.start() == m.end():
            return len(buf)
        return max(m.start(), len(buf) - HOLD_MAX)

    def redact(self, text: str) -> str:
        if not text:
            return text
        if not self.redactor.in_key and not self.redactor.might_hold(text):
            return text  # the common case: one keyword test for the whole chunk
        out, pos, line = [], 0, self.redactor.line
        for m in _SPLIT.finditer(text):
            if m.start() > pos:
                out.append(line(text[pos : m.start()]))
            out.append(m.group(0))
            pos = m.end()
        if pos < len(text):
            out.append(line(text[pos:]))
        return "".join(out)
