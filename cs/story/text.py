"""The story of a session as text: lines for a terminal or a text file
(`cs show`, `cs export --format text`, `cs tail --text`), or a Markdown
document (`cs export --format markdown`, the web's download). Both only render
what cs.story.build built: no reader decides what the story is.

Lines: a prompt starts with '> ', a reply with '● ', a tool call with '⚙ ' and
its result under it with '  ⎿ ' (its first lines; `tools=True`: the call's
whole input and the whole result); the header, questions and the exit are
shown as the screen showed them. Tests: tests/test_story.py.
"""

from cs.story.model import EXIT, OUTPUT, PROMPT, REPLY, RESULT, SCREEN, TOOL


def as_lines(entries, tools: bool = False) -> list:
    """The story as lines of text, a blank line between things that happened
    (a program's own output stays as its screen had it)."""
    out = []
    previous = None
    for e in entries:
        if out and _gap(previous, e):
            out.append("")
        out.extend(entry_lines(e, tools))
        previous = e.kind
    return out


def _gap(previous, entry) -> bool:
    if entry.kind == RESULT and previous == TOOL:
        return False
    return not (entry.kind in (OUTPUT, PROMPT) and previous in (OUTPUT, PROMPT, None) and entry.source == "screen")


def entry_lines(e, tools: bool = False) -> list:
    if e.kind == PROMPT:
        return _block("> ", e.text)
    if e.kind == REPLY:
        return _block("● ", e.text)
    if e.kind == TOOL:
        lines = ["⚙ " + e.text]
        if tools and e.detail:
            lines += _block("  ", e.detail)
        return lines
    if e.kind == RESULT:
        return _block("  ⎿ ", e.detail if tools and e.detail else e.text)
    return e.text.split("\n")  # SCREEN, OUTPUT, EXIT: as shown


def _block(head: str, text: str) -> list:
    pad = " " * len(head)
    rows = text.rstrip("\n").split("\n")
    return [head + rows[0]] + [pad + r if r else "" for r in rows[1:]]


def as_markdown(entries, title: str, tools: bool = True) -> str:
    """The story as a Markdown document. Untrusted text is quoted or fenced,
    never taken as markup of ours."""
    out = [f"# {_inline(title)}", ""]
    for e in entries:
        when = e.ts or ""
        if e.kind == PROMPT:
            out += [f"## Prompt · {when}", "", *("> " + r for r in e.text.split("\n")), ""]
        elif e.kind == REPLY:
            out += [f"### Reply · {when}", "", _escaped(e.text), ""]
        elif e.kind == TOOL:
            out += [f"**Tool** `{_inline(e.text)}`", ""]
            if tools and e.detail:
                out += [_fence(e.detail), ""]
        elif e.kind == RESULT:
            out += ["**Result**", "", _fence(e.detail if tools and e.detail else e.text), ""]
        elif e.kind in (SCREEN, OUTPUT, EXIT):
            out += [_fence(e.text), ""]
    return "\n".join(out)


def _escaped(text: str) -> str:
    """A reply as Markdown: it is Markdown already (Claude writes it), but raw
    HTML in it is shown, not rendered."""
    return text.replace("<", "&lt;")


def _fence(text: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}\n{text}\n{ticks}"


def _inline(text: str) -> str:
    return " ".join(text.split()).replace("`", "'")
