"""Screen rows that continue one another, joined into one line for search.

The renderer (cs.index.screen) finishes screen *rows*. Two kinds of row
continue the row before it (docs/rendering.md "Wrapped lines"):

* **autowrap**: the terminal wrapped a logical line at the right margin: the
  row before is full (its text is exactly as wide as the screen: the renderer
  keeps the trailing blanks of a row it autowrapped from, the gap before the
  next row's text) and holds a letter or digit (a full-width rule of
  box-drawing characters is chrome, not text). Joined with nothing between:
  the logical line, as the program wrote it.
* **word wrap by the program**: Claude Code (Ink) wraps a reply paragraph
  itself, continuation rows with a hanging indent under the bullet's text
  ("● The function expects a path" / "  but got None"): the row starts with
  exactly the paragraph's text column of spaces (or repeats its quote bar,
  "▎ ") and no bullet of its own, and its first word would not have fitted on
  the row before. Joined with "\\n" in
  the display form (`cs show` prints the rows as the screen showed them) and
  with one space in the search form (`searchable`), so a phrase across the
  wrap is found.

The last line is held back until the next one shows whether it continues
(`pending`, pickled with the session's render state; `close` flushes it).
"""

import re

from cs.index.screen import _all_narrow, char_width

# Leading spaces, then an optional bullet (one or two symbols, or a number
# with "." or ")") and a space: where a row's text begins.
_TEXT_COL = re.compile(r"( *)(?:([^\w\s]{1,2}|\d{1,3}[.)]) )?(?=\S)")
_FIRST_WORD = re.compile(r"\S+")
_BARS = ("▎", "│", "┃", ">")
_ROW_BREAK = re.compile(r"\n *(?:[▎│┃>] )?")
WRAP_SLACK = 4  # a program's wrap width may be a few columns short of the screen's


def text_col(row: str):
    m = _TEXT_COL.match(row)
    return m.end() if m else None


def width(text: str) -> int:
    """Cells the text takes (one per character unless wide or zero-width;
    the renderer's cache of one-cell characters spares the lookups)."""
    if text.isascii() or _all_narrow(text):
        return len(text)
    return sum(char_width(c) for c in text)


def searchable(text: str) -> str:
    """The search form of a joined line: rows a program word-wrapped are
    joined by one space, their hanging indent dropped."""
    return _ROW_BREAK.sub(" ", text) if "\n" in text else text


class Paragraphs:
    """Feed finished output lines (text, mark) in order; get them back with
    continuation rows joined (display form), one line later."""

    def __init__(self):
        self.pending = None  # [text, mark, text column, last row]

    def feed(self, lines, cols: int) -> list:
        out = []
        for text, mark in lines:
            p = self.pending
            if p is not None:
                sep = self._continues(p[3], p[2], text, cols)
                if sep is not None:
                    p[0] += sep + text
                    p[3] = text
                    continue
                out.append((p[0].rstrip(), p[1]))
            self.pending = [text, mark, text_col(text), text]
        return out

    def close(self) -> list:
        p, self.pending = self.pending, None
        return [] if p is None else [(p[0].rstrip(), p[1])]

    @staticmethod
    def _continues(last: str, col, text: str, cols: int):
        """ "" (autowrap), "\\n" (word wrap) or None (a line of its own)."""
        # (cheapest tests first: most lines continue nothing)
        if col and (text.startswith(" " * col) or _same_bar(last, text, col)) and text_col(text) == col:
            word = _FIRST_WORD.search(text, col)
            if word is not None and width(last) + 1 + width(word.group()) > cols - WRAP_SLACK:
                return "\n"
        # (a character takes at most two cells: a row of fewer than cols/2 is not full)
        if 2 * len(last) >= cols and width(last) == cols and any(c.isalnum() for c in last):
            return ""
        return None


def _same_bar(last: str, text: str, col: int) -> bool:
    """Both rows begin with the same quote bar ("▎ " of a notice, "│ " of a box)."""
    return text[:col] == last[:col] and text[:col].strip() in _BARS
