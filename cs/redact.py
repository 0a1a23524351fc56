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

One redaction, `Redactor.pieces`, for rendered text (what the screen showed,
what was typed, what the transcript says: `Redactor.lines`; a secret drawn in
pieces by cursor moves is whole again once rendered) and for raw terminal
streams (`StreamRedactor`: the text runs between escape sequences): each piece
by the rules, and pieces that may be one wrapped secret (a row, a row break,
the indented continuation) also joined. A private key block spans lines:
`Redactor` keeps the state from one line to the next. `Redactor.session`
redacts a session's metadata; `KnownSecrets` hides the pieces of secrets found
elsewhere in a session. What still gets through: docs/security.md, "Limits".
Imports nothing of cs. Tests: tests/test_redact.py,
tests/test_secrets_everywhere.py, tests/test_secrets_claude.py.
"""

import re

# The word ends the name or a part of it (API_KEY, SECRET_KEY_BASE, apikey, AUTHTOKEN,
# DB_PASSWORDS): `KeyError: 'config'` or `tokenizer: "gpt2"` name no secret.
_ASSIGN_NAME = (
    r"[A-Za-z0-9_.\-]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL)S?(?![A-Za-z0-9])[A-Za-z0-9_.\-]*"
)

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
# Metadata fields that hold no text of the session (Redactor.session).
_NOT_SECRET = frozenset(
    ("id", "session_id", "claude_session_id", "status", "timestamp", "started_at", "ended_at", "last_event_at", "type")
)
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
        # {secret: kind} of what was redacted, when a caller asks (`found = {}`):
        # what a rendering showed, for a stream redactor's `known` secrets.
        self.found = None

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

    def hide_found(self, texts: list) -> list:
        """`texts` with every piece of a secret this redactor found (`found`,
        when collecting) hidden wherever it stands (KnownSecrets): a secret
        drawn out of reading order leaves its pieces on lines of their own."""
        if not self.found:
            return texts
        known = KnownSecrets(self.found)
        return [known.hide(t) for t in texts]

    def session(self, meta: dict) -> dict:
        """A session's metadata (a log's start line, a `sessions` row, a search
        hit, a web page's row): a copy with every string value, and every
        string in a list, redacted as text -- command, argv, cwd, project,
        title, git branch, host... (ids, timestamps and numbers stay). The one
        place metadata is redacted: the indexer stores its rows through it and
        every reader hands out its rows through it.
        Test: tests/test_secrets_everywhere.py."""
        if not self.enabled:
            return dict(meta)
        out = {}
        for key, value in meta.items():
            if key in _NOT_SECRET or value is None:
                out[key] = value
            elif isinstance(value, str):
                out[key] = self.text(value)
            elif isinstance(value, list):
                out[key] = [self.text(v) if isinstance(v, str) else v for v in value]
            else:
                out[key] = value
        return out

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
            if self.found is not None:
                self._record(kind, regex.finditer(text))
            text = regex.sub(_replacer(kind), text)
            if words:
                low = text.lower()
        return text

    def _record(self, kind: str, matches) -> None:
        """Keep the secrets of `matches` in `found` (an assignment's value only)."""
        for m in matches:
            value = m.group(3) if kind == "assignment" else m.group(0)
            if not value.startswith(("[REDACTED:", "$")):
                self.found[value] = kind

    def lines(self, texts: list, widths=None) -> list:
        """Consecutive rendered lines (in order; a line may hold rows a program
        word-wrapped, joined by "\\n"), redacted, including a secret that a
        terminal or a program wrapped over several rows: each row is redacted
        (`line`), and rows that may continue one another are also looked at
        joined, the continuation's indentation (and a box's bar) left out; a
        secret across a seam is marked on every row it covers. A row may
        continue the one before when that one ends, and this one begins, with
        a token character, and either the row before reaches the right edge
        (within WRAP_SLACK columns of a width in `widths`, the terminal's
        widths; unknown: at least WRAP_MIN characters), or the rows were
        joined as a word-wrapped paragraph, or the row is indented and the row
        before ends in what may begin a secret (`ends_in_secret`: its
        continuation is then hidden whatever the width). (Across two calls the
        seam is not seen: the indexer gives each pass's lines in one call, and
        `cs tail --text` holds a line that `may_go_on`.) Tests: tests/test_redact.py,
        tests/test_secrets_everywhere.py."""
        if not self.enabled:
            return list(texts)
        rows, seams, owners = [], [], []
        for i, text in enumerate(texts):
            for k, row in enumerate(text.split("\n") if "\n" in text else (text,)):
                if rows:
                    seams.append(EDGE if k else _edge_or_break(rows[-1], widths))
                rows.append(row)
                owners.append(i)
        out_rows = self.pieces(rows, seams, _edge_or_break(rows[-1], widths) if rows else None)
        out = [[] for _ in texts]
        for owner, row in zip(owners, out_rows):
            out[owner].append(row)
        return ["\n".join(parts) for parts in out]

    def pieces(self, texts: list, seams: list, last_seam=None) -> list:
        """The one redaction of consecutive pieces of text (the rows of a
        screen, the text runs of a terminal stream): each by `line`; then
        where `seams[k]` says piece k+1 may continue piece k (TIGHT: nothing
        between them, as a colour change; EDGE: a row break at the right
        edge; BREAK: a row break before it, which joins only when a secret
        ends at the end of piece k), a chain of such pieces is looked at
        joined (a row break's indentation and a box's bars left out), and a
        secret across a seam is marked on every piece it covers. A piece at
        the right edge (EDGE after it; `last_seam` for the last one) that ends
        in the first part of a secret (a token that begins as one does, at
        least EDGE_TOKEN characters) loses that part even when no
        continuation follows (it was overwritten, or comes in a later call)."""
        out = [self.line(t) for t in texts]
        n = len(texts)
        if not self.enabled:
            return out
        i = 0
        while i < n - 1:
            j = i
            while j < n - 1 and self._continues(texts[j], texts[j + 1], seams[j]):
                j += 1
            if j > i:
                self._rejoin(texts, seams, out, i, j)
            i = j + 1
        for k in range(n):
            if (seams[k] if k < n - 1 else last_seam) == EDGE:
                out[k] = self._cut_at_edge(out[k])
        return out

    def _cut_at_edge(self, row: str) -> str:
        """`row` without the first part of a secret at its end (see EDGE_TOKEN)."""
        end = _row_end(row)
        begin = _secret_start_at_end(row, end)
        if begin is None:
            return row
        kind = _kind_of(row[begin:end])
        if self.found is not None:
            self.found[row[begin:end]] = kind
        return row[:begin] + MARK.format(kind) + row[end:]

    def _continues(self, a: str, b: str, seam) -> bool:
        """May `b` continue `a` across `seam` (see `pieces`)?"""
        if not seam or not a or not b:
            return False
        token = _TOKEN_CHARS
        if seam == TIGHT:
            return a[-1] in token and b[0] in token
        end = _row_end(a)
        begin = _ROW_START.match(b).end()
        if not end or begin >= len(b) or a[end - 1] not in token or b[begin] not in token:
            return False
        if seam == EDGE:
            return True
        # Short of the edge: a TUI's wrap indents its continuation (a line of
        # its own starts at the margin), and the row before ends in a secret.
        return (begin > 0 or seam == INDENTED) and self.ends_in_secret(a[:end])

    def may_go_on(self, text: str, widths=None) -> bool:
        """May the last row of `text` be continued by a row still to come (see
        `lines`)? A caller that redacts lines as they are finished holds such
        a line until the next one is known."""
        row = text.rsplit("\n", 1)[-1]
        end = _row_end(row)
        if not end or row[end - 1] not in _TOKEN_CHARS:
            return False
        return _edge_or_break(row, widths) == EDGE or self.ends_in_secret(row[:end])

    def ends_in_secret(self, text: str) -> bool:
        """Does `text` end in what may be the first part of a secret whose
        continuation is on the next row: a secret a rule finds, ending right
        at its end, or a token that begins as a secret does (EDGE_TOKEN
        characters or more)?"""
        if _secret_start_at_end(text, len(text)) is not None:
            return True
        low = text.lower()
        if not self._always and not self._keyword_in(low):
            return False
        n = len(text)
        for _kind, words, regex in self._rules:
            if words and not any(w in low for w in words):
                continue
            for m in regex.finditer(text):
                if m.end() == n:
                    return True
        return False

    def _spans(self, text: str) -> list:
        """(start, end, kind) of every secret the rules find in `text` (an
        assignment: its value)."""
        low = text.lower()
        spans = []
        for kind, words, regex in self._rules:
            if words and not any(w in low for w in words):
                continue
            for m in regex.finditer(text):
                if kind == "assignment":
                    if m.group(3).startswith(("[REDACTED:", "$")):
                        continue
                    spans.append((m.start(3), m.end(3), kind))
                else:
                    spans.append((m.start(), m.end(), kind))
        return spans

    def _rejoin(self, texts: list, seams: list, out: list, first: int, last: int) -> None:
        """Pieces first..last may be one wrapped text: redact it whole; if a
        secret crosses a seam, rebuild those pieces' output from the matches."""
        parts, pos = [], 0  # (piece, its first and end character in the joined text, where it starts there)
        for k in range(first, last + 1):
            t = texts[k]
            lo = _ROW_START.match(t).end() if k > first and seams[k - 1] != TIGHT else 0
            hi = _row_end(t) if k < last and seams[k] != TIGHT else len(t)
            parts.append((k, lo, hi, pos))
            pos += hi - lo
        joined = "".join(texts[k][lo:hi] for k, lo, hi, _ in parts)
        if "-----" in joined:
            return  # key blocks: the line state handles them piece by piece
        if not self._always and not self._keyword_in(joined.lower()):
            return
        spans = self._spans(joined)
        seams_at = [at for _, _, _, at in parts[1:]]
        if not any(s < seam < e for s, e, _ in spans for seam in seams_at):
            return  # nothing across a seam: the pieces as line() redacted them
        if self.found is not None:
            self.found.update((joined[s:e], kind) for s, e, kind in spans)
        for _k, lo, hi, at in parts:  # and what each piece holds on its own (`\b` may fail once joined)
            spans.extend((s + at, e + at, kind) for s, e, kind in self._spans(joined[at : at + hi - lo]))
        spans.sort()
        merged = []
        for s, e, kind in spans:
            if merged and s < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
                continue
            merged.append([s, e, kind])
        for k, lo, hi, at in parts:
            rs, re_ = at, at + hi - lo
            pieces, cursor = [], rs
            for s, e, kind in merged:
                if e <= rs or s >= re_:
                    continue
                if s > cursor:
                    pieces.append(joined[cursor:s])
                pieces.append(MARK.format(kind))
                cursor = min(e, re_)
            pieces.append(joined[cursor:re_])
            out[k] = texts[k][:lo] + "".join(pieces) + texts[k][hi:]


WRAP_MIN = 40  # a row that may have wrapped is at least this wide (widths unknown)
WRAP_SLACK = 8  # a program may wrap a few columns short of the terminal's width (a margin)
# Seams between two pieces of text (Redactor.pieces).
TIGHT, EDGE, BREAK = 1, 2, 3
INDENTED = 4  # a BREAK after which the cursor was moved past the margin (an indentation drawn by a move)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.")
# What a row break leaves out of a wrapped secret: the end of the row before
# (blanks, a box's right bar) and the start of the continuation (its
# indentation, a box's or a quote's bar).
_ROW_START = re.compile(r" {0,12}(?:[│┃║▎>|] {0,12})?")
_BARS = frozenset("│┃║|")


def _row_end(row: str) -> int:
    """Where the text of a row ends: before its trailing blanks and a box's
    right bar (what a row break leaves out of a wrapped secret)."""
    end = len(row)
    while end and row[end - 1] == " ":
        end -= 1
    if end and row[end - 1] in _BARS:
        end -= 1
        while end and row[end - 1] == " ":
            end -= 1
    return end


# How a secret begins (the rules' own prefixes): a token at the right edge of
# a row that begins so, at least EDGE_TOKEN characters long, is the first part
# of a wrapped secret (Redactor.pieces).
EDGE_TOKEN = 12
_SECRET_PREFIX = re.compile(
    r"sk-ant-|sk-proj-|sk-svcacct-|sk-admin-|A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_"
    r"|gl(?:pat|dt|ptt)-|xox[abposr]-|[sr]k_(?:live|test)_|npm_|pypi-|AIza|eyJ"
)


def _secret_start_at_end(row: str, end: int):
    """Where the token ending at `end` of `row` begins as a secret does (its
    rule's prefix at the token's start, or after a `=` in it; EDGE_TOKEN
    characters or more), else None."""
    begin = end
    while begin and row[begin - 1] in _TOKEN_CHARS:
        begin -= 1
    if end - begin < EDGE_TOKEN:
        return None
    for at in [begin] + [i + 1 for i in range(begin, end - EDGE_TOKEN) if row[i] == "="]:
        if end - at >= EDGE_TOKEN and _SECRET_PREFIX.match(row, at, end):
            return at
    return None


def _kind_of(start: str) -> str:
    for kind, prefix in _KIND_PREFIXES:
        if re.match(prefix, start):
            return kind
    return "custom"


_KIND_PREFIXES = (
    ("anthropic", "sk-ant-"),
    ("openai", "sk-(?:proj|svcacct|admin)-"),
    ("aws", "A3T|AKIA|ASIA|ABIA|ACCA"),
    ("github", "gh[pousr]_|github_pat_"),
    ("gitlab", "gl(?:pat|dt|ptt)-"),
    ("slack", "xox"),
    ("stripe", "[sr]k_"),
    ("npm", "npm_"),
    ("pypi", "pypi-"),
    ("google", "AIza"),
    ("jwt", "eyJ"),
)


def _edge_or_break(row: str, widths) -> int:
    """The seam after a rendered row: EDGE when the row reaches the right edge."""
    n = len(row.rstrip())
    if widths:
        return EDGE if any(w - WRAP_SLACK <= n <= w for w in widths) else BREAK
    return EDGE if n >= WRAP_MIN else BREAK


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


class KnownSecrets:
    """Secrets known to be in a session ({secret: kind}: what its rendering
    showed, `Redactor.found`). `hide` marks every piece of one, KNOWN_MIN
    characters or more (as far as it goes on matching the secret), wherever it
    stands: a secret drawn in pieces out of reading order, or between other
    output, whose pieces no rule recognises on their own.
    Test: tests/test_secrets_everywhere.py (the drawn shapes)."""

    def __init__(self, secrets: dict = None):
        self.secrets = {}
        self._windows = None
        self.add(secrets or {})

    def __bool__(self) -> bool:
        return self._windows is not None

    def add(self, secrets: dict) -> None:
        self.secrets.update((k, v) for k, v in secrets.items() if len(k) >= KNOWN_MIN)
        windows = {k[i : i + KNOWN_MIN] for k in self.secrets for i in range(len(k) - KNOWN_MIN + 1)}
        self._windows = re.compile("|".join(map(re.escape, sorted(windows)))) if windows else None

    def hide(self, text: str) -> str:
        if self._windows is None or not text:
            return text
        spans = []
        for m in self._windows.finditer(text):
            if spans and m.start() < spans[-1][1]:
                continue
            span = self._grown(text, m.start(), m.group(0))
            if span is not None:
                spans.append(span)
        if not spans:
            return text
        out, pos = [], 0
        for s, e, kind in spans:
            out.append(text[pos : max(s, pos)])
            out.append(MARK.format(kind))
            pos = max(pos, e)
        out.append(text[pos:])
        return "".join(out)

    def _grown(self, text: str, start: int, piece: str):
        """(start, end, kind): the piece at `start`, grown both ways as long as
        `text` goes on matching the secret it is a piece of."""
        for secret, kind in self.secrets.items():
            at = secret.find(piece)
            if at < 0:
                continue
            s, e, a, b = start, start + len(piece), at, at + len(piece)
            while s > 0 and a > 0 and text[s - 1] == secret[a - 1]:
                s, a = s - 1, a - 1
            while e < len(text) and b < len(secret) and text[e] == secret[b]:
                e, b = e + 1, b + 1
            return s, e, kind
        return None


def contains_secret(text: str) -> bool:
    return Redactor().text(text) != text


# ---------------------------------------------------------------- raw terminal streams

# What splits the text of a terminal stream: escape sequences (CSI, OSC, DCS and
# the like, two-byte escapes) and control characters. Text runs between them are
# redacted; the sequences pass unchanged.
_SPLIT = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[ -/]*[0-OQ-WYZ\\`-~])"
    r"|[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]"
)
HOLD_MAX = 1024  # the longest run of text held back waiting for its end
KNOWN_MIN = 12  # the shortest piece of a known secret hidden wherever it stands (StreamRedactor.know)
# What a secret may be made of (a token, a NAME=value): a run of these at the
# end of a chunk is held back; anything else (a space, a letter of another
# script) ends it.
_HELD = re.compile(r"[A-Za-z0-9_\-+/=.:'\"]+\Z")
_CSI = re.compile(r"\x1b\[([0-?]*)[ -/]*([@-~])")
# Sequences that neither move the cursor nor end a text: colours (SGR), modes,
# erasing to the end of the row, OSC (titles, hyperlinks), DCS and the like.
_TIGHT_FINALS = frozenset("mhlK")
# Sequences that may take the cursor to the next row, or to a column of it:
# CUP, VPA, CUD, CNL, CHA, CUF (Claude Code indents a continuation with CUF).
_ROW_FINALS = frozenset("HfdBEGC")


def _separator(seq: str) -> int:
    """What a control character or escape sequence between two text runs is
    (Redactor.pieces): TIGHT (nothing moves), BREAK (it may start the next
    row: the width decides), or 0 (a text cannot go on across it)."""
    c = seq[0]
    if c in "\r\n\x0b\x0c":
        return BREAK
    if c != "\x1b" or len(seq) < 2:
        return 0
    kind = seq[1]
    if kind == "[":
        m = _CSI.match(seq)
        final = m.group(2) if m else ""
        if final in _TIGHT_FINALS:
            return TIGHT
        return BREAK if final in _ROW_FINALS else 0
    if kind in "]PX^_":
        return TIGHT
    if kind in "ED":
        return BREAK
    return 0


def _column(seq: str, col: int, width: int) -> int:
    """The cursor's column after a control or escape sequence (roughly: what
    the edge test of a row break needs)."""
    c = seq[0]
    if c == "\r":
        return 0
    if c == "\x08":
        return max(0, col - 1)
    if c == "\t":
        return min(width, (col // 8 + 1) * 8)
    if c != "\x1b" or len(seq) < 2:
        return col
    if seq[1] == "E":
        return 0
    m = _CSI.match(seq) if seq[1] == "[" else None
    if m is None:
        return col
    params, final = m.group(1), m.group(2)
    numbers = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params and params[0] not in "?<=>" else []
    if final in "Hf":
        return max(0, (numbers[1] if len(numbers) > 1 and numbers[1] else 1) - 1)
    if final in "G`":
        return max(0, (numbers[0] if numbers and numbers[0] else 1) - 1)
    if final in "EF":
        return 0
    if final == "C":
        return min(width, col + (numbers[0] if numbers and numbers[0] else 1))
    if final == "D":
        return max(0, col - (numbers[0] if numbers and numbers[0] else 1))
    return col


class StreamRedactor:
    """Redacts a terminal's output (or input) stream given in chunks of text,
    for everything that carries the raw stream (asciicast and HTML exports,
    `cs replay`, `cs tail`, the web player). Escape sequences and control
    characters pass unchanged; the runs of text between them are redacted by
    `Redactor.pieces`, the one redaction: each run (`Redactor.line`, so a
    private key block spans runs), and runs that may continue one another
    joined -- across sequences that do not move the cursor (a colour change
    in the middle of a key: TIGHT), and across a row break (CR, LF, a cursor
    move to a row or column, then the continuation's indentation) when the
    row before reached the right edge of the terminal (`width`, from the
    log's start and resize events; the cursor's column is followed through
    the stream) or a secret ends right at the end of the row before. A run
    that may go on in the next chunk (its end may begin a secret cut in two
    by the PTY, typed one key at a time, or wrapped onto the next row) is
    held back -- at most HOLD_MAX characters -- and emitted with the next
    chunk (`hold_from` says where the held part begins, for a caller that
    keeps the times of what it holds; `flush` gives it up, at the end or
    when a live stream goes quiet). What still gets through (a secret drawn
    out of reading order, or edited in place) is in docs/security.md.
    Tests: tests/test_redact.py, tests/test_secrets_everywhere.py."""

    def __init__(self, redactor: Redactor, width: int = 80, known: dict = None):
        self.redactor = redactor
        self.carry = ""
        self.width = width if isinstance(width, int) and width > 0 else 80
        self.col = 0  # the cursor's column after what was redacted so far
        # The last run already written, when a secret may begin in it: (run, the
        # seam after it so far, at the edge): the next call looks at it with
        # what follows (a continuation written after a flush, or after HOLD_MAX).
        self._before = None
        self.known = KnownSecrets(known)

    def know(self, secrets: dict) -> None:
        """Secrets known to be in this stream (what the rendered session
        showed): their pieces are hidden wherever they stand (KnownSecrets)."""
        self.known.add(secrets)

    def resize(self, width) -> None:
        if isinstance(width, int) and width > 0:
            self.width = width

    def snapshot(self) -> dict:
        """What this stream has seen that shapes what comes next -- the text
        held back, the cursor's column, the width, the last run a secret may go
        on from, a private key block under way -- as JSON data: a new
        StreamRedactor given it by `restore` goes on exactly as this one would
        (cs.team ships a live recording in pieces, one process after another).
        Test: tests/test_team_shipping.py::test_a_recording_shipped_in_pieces_equals_the_one_shipped_at_once."""
        before = list(self._before) if self._before is not None else None
        return {
            "carry": self.carry,
            "col": self.col,
            "width": self.width,
            "before": before,
            "in_key": self.redactor._in_key,
        }

    def restore(self, state: dict) -> None:
        """Go on from a `snapshot` (see there)."""
        self.carry, self.col, self.width = state["carry"], state["col"], state["width"]
        self._before = tuple(state["before"]) if state.get("before") is not None else None
        self.redactor._in_key = int(state.get("in_key") or 0)

    def reset(self, col: int = 0) -> str:
        """Drop what is held (a seek repaints the screen); returns it."""
        held, self.carry, self.col, self._before = self.carry, "", col, None
        return held

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

    def _tokens(self, buf: str):
        """[(start, end, separator kind or None for text, column after)] of `buf`
        from the current column, and where an unfinished escape begins (or -1)."""
        tokens, pos, col, width = [], 0, self.col, self.width
        for m in _SPLIT.finditer(buf):
            if m.start() > pos:
                col = (
                    (col + m.start() - pos - 1) % width + 1 if col + m.start() - pos > width else col + m.start() - pos
                )
                tokens.append((pos, m.start(), None, col))
            seq = m.group(0)
            col = _column(seq, col, width)
            tokens.append((m.start(), m.end(), _separator(seq), col))
            pos = m.end()
        esc = buf.rfind("\x1b", pos)
        end = esc if esc >= 0 else len(buf)
        if end > pos:
            col = (col + end - pos - 1) % width + 1 if col + end - pos > width else col + end - pos
            tokens.append((pos, end, None, col))
        return tokens, esc

    def hold_from(self, buf: str) -> int:
        """Where the part to hold back begins (len(buf): nothing held): an
        unfinished escape sequence, else the trailing token characters of the
        last run, and before them, as long as it may be one wrapped text, the
        separators and the runs it may continue."""
        tokens, esc = self._tokens(buf)
        if esc >= 0 and len(buf) - esc > HOLD_MAX:
            esc = -1
        floor = max(0, len(buf) - HOLD_MAX)
        start = esc if esc >= 0 else len(buf)
        i = len(tokens) - 1
        while i >= 0:
            s, e, sep, col = tokens[i]
            if sep is None:  # a text run, and everything after it may be its continuation
                m = _HELD.search(buf, s, e) if buf[e - 1 : e] in _HELD_SET else None
                if m is None:
                    if i == len(tokens) - 1 and i and tokens[i - 1][2] and _ROW_START.fullmatch(buf, s, e):
                        start, i = s, i - 1  # the indentation of what may be a continuation
                        continue
                    break
                start = m.start()
                if m.start() > s and not _ROW_START.fullmatch(buf, s, m.start()):
                    break
                i -= 1
                continue
            if not sep:
                break
            j = i
            while j >= 0 and tokens[j][2]:  # the run of separators
                j -= 1
            if j < 0 or tokens[j][2] is not None:
                break
            kinds = {tokens[k][2] for k in range(j + 1, i + 1)}
            prev_s, prev_e, _, prev_col = tokens[j]
            before = buf[prev_s:prev_e]
            if kinds != {TIGHT} and not self._may_wrap(before, prev_col):
                break
            start = tokens[j + 1][0]
            i = j
        return max(start, floor) if start < len(buf) else len(buf)

    def _may_wrap(self, row: str, col: int) -> bool:
        """May the text after a row break continue `row`, which ended at `col`?"""
        end = _row_end(row)
        if not end or row[end - 1] not in _TOKEN_CHARS:
            return False
        return col >= self.width - WRAP_SLACK or self.redactor.ends_in_secret(row[:end])

    def redact(self, text: str) -> str:
        if not text:
            return text
        red = self.redactor
        if not red.in_key and not red.might_hold(text) and not self.known and self._before is None:
            self.col = self._column_after(text)  # the common case: one keyword test for the whole chunk
            return text
        tokens, _ = self._tokens(text)
        self.col = tokens[-1][3] if tokens else self.col
        runs, seams, where, pending, edge = [], [], [], None, False
        lead = self._before if not red.in_key else None
        if lead is not None:  # the last run already written: a secret it began goes on here
            runs.append(lead[0])
            where.append(None)
            pending, edge = lead[1] or TIGHT, lead[2]
        at = self.col if lead is None else 0  # the column before the next token
        for s, e, sep, col in tokens:
            if sep is None:
                if runs:
                    # A row break that leaves the cursor past the margin (CR, then
                    # a move right: Claude Code's hanging indent) indents the run.
                    seams.append(INDENTED if pending == BREAK and at > 0 else pending or 0)
                runs.append(text[s:e])
                where.append((s, e))
                pending, edge, at = None, col >= self.width - WRAP_SLACK, col
                continue
            at = col
            if runs:  # the seam after the last run: the weakest of its separators
                kind = (EDGE if edge else BREAK) if sep == BREAK else sep
                pending = kind if pending is None else _weakest(pending, kind)
        out_runs = red.pieces(runs, seams, pending) if runs else []
        self._before = (runs[-1], pending, edge) if runs and _may_begin(red, runs[-1]) else None
        if lead is not None:
            where, out_runs = where[1:], out_runs[1:]
        if self.known:
            out_runs = [self.known.hide(run) for run in out_runs]
        out, pos = [], 0
        for (s, e), new in zip(where, out_runs):
            out.append(text[pos:s])
            out.append(new)
            pos = e
        out.append(text[pos:])
        return "".join(out)

    def _column_after(self, text: str) -> int:
        """The column after `text`: followed from its last CR or absolute
        cursor move (CUP, CHA) -- found from the end, so a chunk costs what
        follows it -- or else from the current column."""
        start, pos = 0, len(text)
        while pos > 0:
            at = max(text.rfind("\r", 0, pos), text.rfind("\x1b", 0, pos))
            if at < 0:
                break
            m = _CSI.match(text, at) if text[at] == "\x1b" else None
            if text[at] == "\r" or (m is not None and m.group(2) in "HfG`"):
                start = at
                break
            pos = at
        saved = self.col
        tokens, _ = self._tokens(text[start:])
        col = tokens[-1][3] if tokens else self.col
        self.col = saved
        return col


_HELD_SET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.:'\"")


def _may_begin(redactor: Redactor, run: str) -> bool:
    """May a secret that goes on in a later run begin in `run`?"""
    end = _row_end(run)
    return "-----" not in run and run[end - 1 : end] in _TOKEN_CHARS and redactor.might_hold(run)


def _weakest(a: int, b: int) -> int:
    """Two separators in a row: 0 beats BREAK beats EDGE beats TIGHT."""
    if not a or not b:
        return 0
    order = {TIGHT: 0, EDGE: 1, BREAK: 2}
    return a if order[a] >= order[b] else b
