"""What the story of the session in tests.helpers.story_sessions must say, as
`cs show` prints it: each prompt and reply exactly once, in order, the tool
call, the question and its answer, the banner once and first, the exit, and no
row of Claude Code's chrome. Used on the recorded fixtures (tests/test_story.py)
and on live sessions (tests/test_story_real.py)."""

import re

from tests.helpers.story_sessions import FINAL_REPLY, PROMPTS, TOOL_REPLY

# Claude Code's chrome, as the issue found it in `cs show`: none may be printed.
CHROME = [
    re.compile(p)
    for p in (
        r"esc to interrupt",
        r"\? for shortcuts",
        r"manual mode on",
        r"auto mode on",
        r"/effort",
        r"shift\+tab",
        r"Tip:",
        r"^\S \w+…",  # a spinner
        r"Waiting for permission",
        r"^\s*[─━═╌]{10,}\s*$",  # the input box's rules
        r"/add-dir",  # the slash-command menu
        r"Exit the CLI",
        r"Start a new session with empty context",
    )
]


def chrome_rows(lines) -> list:
    return [line for line in lines if any(p.search(line) for p in CHROME)]


def index_of(lines, predicate, what) -> int:
    found = [i for i, line in enumerate(lines) if predicate(line)]
    assert len(found) == 1, f"{what}: {len(found)} times, not once:\n" + "\n".join(lines)
    return found[0]


def check_story(lines, transcript: bool = True) -> None:
    """`lines`: what `cs show` printed. `transcript`: the Claude Code transcript
    was there (without it the screen alone tells the story)."""
    assert not chrome_rows(lines), "chrome in the story:\n" + "\n".join(chrome_rows(lines))
    banner = index_of(lines, lambda line: "Claude Code v" in line, "the banner")
    assert all(not line.startswith(("> ", "● ")) for line in lines[:banner]), "the banner is not first"
    order = [banner]
    for n, prompt in enumerate(PROMPTS):
        order.append(index_of(lines, lambda line, p=prompt: line == "> " + p, f"prompt {n + 1}"))
        if n == 0:
            if transcript:
                order.append(index_of(lines, lambda line: line == "⚙ Bash(touch otters-seen.txt)", "the tool call"))
            order.append(index_of(lines, lambda line: "Do you want to proceed?" in line, "the permission question"))
            index_of(lines, lambda line: line.startswith("→ 1. Yes"), "the answer")
            order.append(index_of(lines, lambda line: line == "● " + TOOL_REPLY, "reply 1, whole"))
        elif n == 1:
            # (Claude Code 2.0 shows a reply only once it is whole: interrupted, it never showed.)
            if any(line.startswith("● badger1 badger2") for line in lines):
                order.append(index_of(lines, lambda line: line.startswith("● badger1 badger2"), "reply 2, interrupted"))
            order.append(index_of(lines, lambda line: "Interrupted" in line, "the interruption"))
            order.append(index_of(lines, lambda line: line == "> /clear", "/clear"))
        else:
            order.append(index_of(lines, lambda line: line == "● " + FINAL_REPLY, "reply 3, whole"))
    # Claude Code 2.1 prints how to resume; 2.0 says a farewell of its choosing. Then the status, last.
    if any(line.startswith("Resume this session with") for line in lines):
        order.append(index_of(lines, lambda line: line.startswith("Resume this session with"), "the exit message"))
    order.append(index_of(lines, lambda line: line == "exit status 0", "the exit status"))
    assert order[-1] == len(lines) - 1, "the exit status is not last"
    assert order == sorted(order), f"out of order: {order}\n" + "\n".join(lines)
