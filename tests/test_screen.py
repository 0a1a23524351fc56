"""cs.index.screen.ScreenText on synthetic streams: Ink-like redraws, spinners, an
input box, scrolling, erases, the alternate screen, UTF-8 split across chunks,
wide characters. Where pyte (a reference terminal emulator) is meaningful, the
final screen is compared with pyte's on the same bytes. Every test runs on both
renderers: the pure-Python reference and the native core (tests/helpers/screens.py)."""

import random
import re

import pyte
import pytest

from cs.index.screen import ScreenText, same_line
from tests.helpers.screens import each_renderer

renderer_under_test = each_renderer(globals())

SENTENCE = "the build failed with error E1234 in module foo"
ESC = "\x1b"


def render(chunks, cols=80, rows=24, pop_every=1):
    """All lines (finished, then those left at close) with their marks; pops
    after every `pop_every` chunks like the indexer does after a batch."""
    screen = ScreenText(cols, rows)
    out = []
    for i, chunk in enumerate(chunks):
        screen.feed(chunk if isinstance(chunk, bytes) else chunk.encode(), mark=i)
        if (i + 1) % pop_every == 0:
            out += screen.pop_finished()
    out += screen.close()
    return out


def texts(lines):
    return [t for t, _ in lines]


def pyte_display(data: bytes, cols=80, rows=24):
    """pyte's final screen. pyte 0.8 keeps rows as sparse dicts and its
    insert/delete-characters shift wrongly over cells never materialised, so
    its `display` (which materialises every cell) is read after each escape
    sequence."""
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    for piece in re.split(rb"(?=\x1b)", data):
        stream.feed(piece)
    return [line.rstrip() for line in screen.display]


def naive_strip(data: bytes) -> str:
    """What plain escape stripping gives (the thing we must do better than)."""
    return re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", data.decode())


def ink_stream(sentence=SENTENCE, step=2, gap="\x1b[1C"):
    """Ink-style frames: each frame erases the previous block (ESC[2K, ESC[1A),
    then prints the streamed text so far with cursor-forward gaps between
    words, a spinner line and an input box below."""
    words = sentence.split()
    frames, height = [], 0
    for shown in list(range(1, len(words), step)) + [len(words)]:
        block = [
            f"{ESC}[38;5;231m●{ESC}[39m " + gap.join(words[:shown]),
            "",
            f"{ESC}[38;5;174m✻{ESC}[39m Cooking… ({shown}s · esc to interrupt)",
            "─" * 40,
            f"❯\xa0{ESC}[7m {ESC}[27m",
            "─" * 40,
        ]
        erase = f"{ESC}[2K{ESC}[1A" * (height - 1) + f"{ESC}[2K{ESC}[G" if height else ""
        frames.append(erase + "\r\n".join(block))
        height = len(block)
    return frames


# ------------------------------------------------------------------ Ink-like


def test_ink_gaps_keep_spaces_where_naive_stripping_glues_words():
    frames = ink_stream()
    data = "".join(frames).encode()
    assert "failedwitherror" in naive_strip(data).replace(" ", "")  # the trap is real
    assert "failed\x1b" not in naive_strip(data)
    lines = texts(render(frames))
    assert "● " + SENTENCE in lines
    assert not any("failedwith" in t for t in lines)
    shown = [t for t in pyte_display(data) if t]
    assert shown and set(shown) <= set(lines)


def test_streaming_row_does_not_finish_shorter_versions():
    frames = ink_stream(step=1, gap=f"{ESC}[3C{ESC}[2D")  # settle after every frame
    lines = texts(render(frames))
    body = [t for t in lines if t.startswith("●")]
    assert body == ["● " + SENTENCE]
    shown = [t for t in pyte_display("".join(frames).encode()) if t]
    assert set(shown) <= set(lines)


def test_streaming_erase_and_redraw_split_across_chunks():
    # The erase of a frame arrives in one read and the redraw in the next.
    chunks = []
    for frame in ink_stream(step=1):
        cut = frame.find("●")
        chunks += [frame[:cut], frame[cut:]] if cut > 0 else [frame]
    lines = texts(render(chunks))
    assert [t for t in lines if t.startswith("●")] == ["● " + SENTENCE]


def test_spinner_redrawn_in_place_does_not_flood():
    glyphs = "·✢✳✶✻✽"
    chunks = [
        "\r" + glyphs[i % 6] + f" Cooking… ({i // 10}s · ↑ {i * 13} tokens · esc to interrupt){ESC}[K"
        for i in range(300)
    ]
    chunks.append("\r● Done: the answer is 42" + f"{ESC}[K\r\n")
    lines = texts(render(chunks))
    spinner = [t for t in lines if "Cooking" in t]
    assert len(spinner) == 1 and spinner[0].endswith("(29s · ↑ 3887 tokens · esc to interrupt)")
    assert "● Done: the answer is 42" in lines


def test_row_overwritten_by_unrelated_content_finishes_the_old_one():
    chunks = ["Reading config files", f"\r{ESC}[KCompiling module foo", f"\r{ESC}[KLinking binary bar"]
    assert texts(render(chunks)) == ["Reading config files", "Compiling module foo", "Linking binary bar"]


def test_changed_cells_repaint_is_not_torn():
    # Only the cells that differ are rewritten, with cursor moves across rows.
    first = f"{ESC}[H" + "Press Ctrl-C again to exit\r\nstatus: ok"
    repaint = f"{ESC}[1;1HExit the CLI{ESC}[K{ESC}[2;9Hfine"
    lines = texts(render([first, repaint]))
    assert "Press Ctrl-C again to exit" in lines and "Exit the CLI" in lines
    assert not any(t.startswith("Exit the") and t != "Exit the CLI" for t in lines)
    assert "status: fine" in lines
    assert pyte_display((first + repaint).encode())[:2] == ["Exit the CLI", "status: fine"]


def test_text_moved_up_by_a_redraw_is_not_finished_half_written():
    # Ink clear-and-redraw: the block grows, so the streamed line moves up a row.
    f1 = f"{ESC}[2J{ESC}[Hheader\r\nthe build fai"
    f2 = f"{ESC}[2J{ESC}[Hheader\r\nthe build failed with error\r\nnext line here"
    lines = texts(render([f1, f2]))
    assert "the build fai" not in lines
    assert "the build failed with error" in lines


def test_input_box_redrawn_below_keeps_typed_prompt():
    frames, typed = [], ""
    for ch in "fix the flaky test":
        typed += ch
        frames.append(f"{ESC}[3;1H{ESC}[2K❯ {typed}{ESC}[4;1H{ESC}[2K" + "─" * 30)
    frames.append(f"{ESC}[3;1H{ESC}[2K❯ {ESC}[1;1H● Working on it")
    lines = texts(render(frames))
    assert "❯ fix the flaky test" in lines
    assert not any(t.startswith("❯ fix the fl") and t != "❯ fix the flaky test" for t in lines)


def test_marks_are_where_the_line_was_last_extended():
    """A hit points where all of its line is on the screen (issue 12: not
    before the text was typed or streamed); other content starts a new mark."""
    chunks = ["the build", " failed", f"\r{ESC}[Ksomething else entirely", "\r\n"]
    lines = render(chunks)
    assert ("the build failed", 1) in lines
    assert ("something else entirely", 2) in lines


# ------------------------------------------------------------- plain terminal


def test_scrolled_off_lines_are_finished_in_order():
    chunks = ["".join(f"line {i:03d}\r\n" for i in range(j, j + 10)) for j in range(0, 100, 10)]
    screen = ScreenText(40, 10)
    finished = []
    for i, c in enumerate(chunks):
        screen.feed(c.encode(), i)
        finished += screen.pop_finished()
    assert texts(finished) == [f"line {i:03d}" for i in range(len(texts(finished)))]
    assert len(finished) >= 90
    assert texts(finished + screen.close()) == [f"line {i:03d}" for i in range(100)]


def test_visible_is_provisional_and_replaced():
    screen = ScreenText(40, 5)
    screen.feed(b"hello", 1)
    assert screen.visible() == [("hello", 1)]
    screen.feed(b" world", 2)
    assert screen.visible() == [("hello world", 2)]
    assert screen.pop_finished() == []


def test_cleared_screen_is_finished_by_the_next_batch():
    screen = ScreenText(40, 5)
    screen.feed(b"first screen text\r\nmore of it", 1)
    assert screen.pop_finished() == []
    screen.feed(f"{ESC}[2J{ESC}[Hcompletely new".encode(), 2)
    # Row 1 was overwritten: finished now. Row 2 is blank: its old line waits
    # one batch (the redraw of an erased row may be in the next chunk)...
    assert screen.pop_finished() == [("first screen text", 1)]
    assert ("more of it", 1) in screen.visible()
    screen.feed(b"!", 3)
    # ...and is finished when the row is still blank after the next one.
    assert screen.pop_finished() == [("more of it", 1)]
    assert screen.close() == [("completely new!", 3)]


def test_alternate_screen_rows_finished_on_leave_and_main_restored():
    chunks = [
        "$ less notes.txt\r\n",
        f"{ESC}[?1049h{ESC}[H{ESC}[2Jpage one line\r\nsecond line",
        f"{ESC}[?1049l",
        "$ echo done\r\n",
    ]
    screen = ScreenText(40, 10)
    out = []
    for i, c in enumerate(chunks):
        screen.feed(c.encode(), i)
        out += screen.pop_finished()
    assert texts(out) == ["page one line", "second line"]
    assert texts(screen.close()) == ["$ less notes.txt", "$ echo done"]


def test_visible_includes_the_main_screen_hidden_by_the_alternate_one():
    screen = ScreenText(40, 5)
    screen.feed(b"$ vim notes", 1)
    screen.feed(f"{ESC}[?1049h{ESC}[Hediting notes".encode(), 2)
    assert screen.visible() == [("$ vim notes", 1), ("editing notes", 2)]
    screen.feed(f"{ESC}[?1049l".encode(), 3)
    assert screen.pop_finished() == [("editing notes", 2)]
    assert screen.visible() == [("$ vim notes", 1)]


def test_tabs_backspace_and_cursor_save_restore():
    data = f"a\tb\tc\r\nabc\x08\x08X\r\n{ESC}7top{ESC}[5;1Hlow{ESC}8T\r\n".encode()
    ours = ScreenText(40, 8)
    ours.feed(data)
    assert ours.display() == pyte_display(data, 40, 8)
    assert ours.display()[:3] == ["a       b       c", "aXc", "Top"]
    # CSI s / CSI u (pyte 0.8 does not implement them; xterm does)
    ours.feed(f"{ESC}[sxx{ESC}[10;1H{ESC}[uY".encode())
    assert ours.display()[3] == "Yx"


def test_utf8_split_at_every_position():
    data = ("naïve café — 日本語のテキスト 🚀 done\r\n" + f"{ESC}]0;título ✳{ESC}\\ok ✻\r\n").encode()
    whole = texts(render([data]))
    assert whole == ["naïve café — 日本語のテキスト 🚀 done", "ok ✻"]
    for cut in range(1, len(data)):
        assert texts(render([data[:cut], data[cut:]])) == whole, cut


def test_escape_sequences_split_at_every_position():
    data = (
        f"{ESC}[31mred{ESC}[0m {ESC}]8;;http://x{ESC}\\link{ESC}]8;;{ESC}\\ "
        f"{ESC}P+q544e{ESC}\\{ESC}[10Cgap{ESC}[2;5Hrow two\r\n"
    ).encode()
    whole = render([data])
    assert texts(whole) == ["red link           gap", "    row two"]
    for cut in range(1, len(data)):
        assert texts(render([data[:cut], data[cut:]])) == texts(whole), cut


def test_wide_characters_take_two_cells_like_pyte():
    data = ("日本語abc\r\n🚀x\r\n" + f"{ESC}[2;5H中文字" + f"{ESC}[3;2H宽{ESC}[1;7HZ").encode()
    ours = ScreenText(20, 5)
    ours.feed(data)
    assert ours.display() == pyte_display(data, 20, 5)
    assert ours.display()[:3] == ["日本語Zbc", "🚀x 中文字", " 宽"]


def test_overwriting_half_of_a_wide_character_blanks_the_other_half():
    # (pyte 0.8 cannot display this state: its rows keep an orphan stub.)
    ours = ScreenText(20, 3)
    ours.feed(f"日本語abc{ESC}[1;3HZ{ESC}[2;1H中文{ESC}[2;2HY".encode())
    assert ours.display()[:2] == ["日Z 語abc", " Y文"]


def test_wide_character_wraps_at_the_right_margin():
    data = ("abcdefghi日本\r\n").encode()
    ours = ScreenText(10, 4)
    ours.feed(data)
    assert ours.display() == pyte_display(data, 10, 4)


def test_scroll_region_insert_delete_like_pyte():
    data = (
        "".join(f"row {i}\r\n" for i in range(8))
        + f"{ESC}[3;6r{ESC}[6;1H\r\nnew in region"
        + f"{ESC}[4;1H{ESC}[2L{ESC}[2;1H{ESC}[1M{ESC}[r{ESC}[8;1Hab{ESC}[1;1H{ESC}[2@"
        + f"{ESC}[3P{ESC}[2X"
    ).encode()
    ours = ScreenText(30, 8)
    ours.feed(data)
    assert ours.display() == pyte_display(data, 30, 8)


def test_scroll_up_and_down_finish_what_leaves():
    # CSI S / CSI T (pyte 0.8 ignores them; xterm scrolls the region)
    screen = ScreenText(20, 4)
    screen.feed(b"one\r\ntwo\r\nthree\r\nfour", 1)
    screen.feed(f"{ESC}[2S".encode(), 2)
    assert screen.display() == ["three", "four", "", ""]
    assert texts(screen.pop_finished()) == ["one", "two"]
    screen.feed(f"{ESC}[1T".encode(), 3)
    assert screen.display() == ["", "three", "four", ""]


@pytest.mark.parametrize("seed", range(12))
def test_random_cursor_work_matches_pyte(seed):
    """Random text, cursor moves, erases, inserts, scrolling: the final screen
    must be pyte's, and every row pyte shows must be among our lines."""
    rng = random.Random(seed)
    # (no wide characters: pyte 0.8 cannot display a half-overwritten one)
    words = ["alpha", "beta", "gamma", "delta", "naïve", "x", "longer-word", "✻"]
    ops = []
    for _ in range(300):
        k = rng.random()
        if k < 0.35:
            ops.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))))
        elif k < 0.45:
            ops.append(rng.choice(["\r\n", "\r", "\n", "\x08", "\t"]))
        elif k < 0.7:
            ops.append(f"{ESC}[{rng.randint(1, 12)}{rng.choice('ABCDEFGd')}")
            if ops[-1][-1] in "ABd":
                # After a vertical move from a pending wrap (text just filled the
                # last column) pyte still wraps on the next character while xterm
                # writes in the last column; we follow xterm, so set the column.
                ops.append(f"{ESC}[{rng.randint(1, 40)}G")
        elif k < 0.8:
            ops.append(f"{ESC}[{rng.randint(1, 12)};{rng.randint(1, 40)}H")
        elif k < 0.9:
            ops.append(f"{ESC}[{rng.choice(['', '0', '1', '2'])}{rng.choice('JK')}")
        else:
            ops.append(f"{ESC}[{rng.randint(1, 3)}{rng.choice('@PXLM')}")
    data = "".join(ops).encode()
    chunks = [data[i : i + 97] for i in range(0, len(data), 97)]
    ours = ScreenText(40, 12)
    lines = []
    for i, c in enumerate(chunks):
        ours.feed(c, i)
        lines += ours.pop_finished()
    expected = pyte_display(data, 40, 12)
    assert ours.display() == expected
    lines += ours.close()
    # (a row the terminal autowrapped from keeps its trailing blanks: the gap
    # before the next row's text, for cs.index.paragraphs)
    assert set(t for t in expected if t) <= set(t.rstrip() for t in texts(lines))


def test_resize_keeps_content_and_cursor_row():
    screen = ScreenText(20, 6)
    screen.feed(b"one\r\ntwo\r\nthree\r\nfour\r\nfive", 1)
    screen.resize(10, 3)
    assert screen.display() == ["three", "four", "five"]
    screen.feed(b" more", 2)
    lines = texts(screen.pop_finished() + screen.close())
    assert lines[:2] == ["one", "two"] and "five more" in lines


def test_close_returns_everything_once():
    screen = ScreenText(20, 4)
    screen.feed(b"a line\r\n", 1)
    assert screen.close() == [("a line", 1)]
    assert screen.close() == []


def test_same_line_rules():
    assert same_line("the build", "the build failed")  # streaming
    assert same_line("the build failed with error E12", "the build failed with error")  # re-wrap
    assert same_line("✻ Cooking… (3s)", "✽ Cooking… (4s)")  # spinner frame
    assert not same_line("❯ fix the bug", "❯")  # a typed line wiped
    assert not same_line("Reading config", "Linking binary")  # other content


def test_pickled_mid_stream_continues_the_same():
    # The indexer pickles the renderer of a live session between runs.
    import pickle

    data = ("héllo \x1b[31mworld\x1b]0;title\x07\r\n" + "\x1b[2;3Hmid ✻ 日本\x1b[1Kx").encode()
    for cut in range(1, len(data)):
        whole = ScreenText(30, 5)
        whole.feed(data, 1)
        first = ScreenText(30, 5)
        first.feed(data[:cut], 1)
        resumed = pickle.loads(pickle.dumps(first, protocol=pickle.HIGHEST_PROTOCOL))
        resumed.feed(data[cut:], 1)
        assert resumed.display() == whole.display(), cut
        assert texts(resumed.close()) == texts(whole.close()), cut


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_never_raise(seed):
    """Garbage in (cut sequences, invalid UTF-8, C1 controls, wide and
    combining characters, tiny screens, resizes): no exception, ever."""
    pieces = [
        b"\x1b",
        b"[",
        b"]",
        b"?",
        b"1049",
        b"h",
        b"l",
        b";",
        b"m",
        b"H",
        b"J",
        b"K",
        b"r",
        b"P",
        b"\\",
        b"\x07",
        b"\r",
        b"\n",
        b"\x08",
        b"\t",
        "日".encode(),
        "🚀".encode(),
        b"\xe6",
        b"\x9c",
        b"\xff",
        b"abc ",
        b"0",
        b"5",
        b"99999",
        b"@",
        b"L",
        b"M",
        b"S",
        b"T",
        b"X",
        b"c",
        b"7",
        b"8",
        b"D",
        b"E",
        b"(",
        b"B",
        b"\x9b",
        b"\x00",
        b"\x7f",
        "\u0301".encode(),
        "\u200d".encode(),
    ]
    for case in range(seed * 100, seed * 100 + 100):
        rng = random.Random(case)
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 200)))
        screen = ScreenText(rng.randint(1, 30), rng.randint(1, 10))
        pos = 0
        while pos < len(data):
            n = rng.randint(1, 20)
            screen.feed(data[pos : pos + n], pos)
            pos += n
            r = rng.random()
            if r < 0.3:
                screen.pop_finished()
            elif r < 0.35:
                screen.visible()
            elif r < 0.4:
                screen.resize(rng.randint(1, 30), rng.randint(1, 10))
        assert all(isinstance(t, str) and t for t, _ in screen.close())


def test_text_moved_to_another_row_and_extended_lives_on():
    """A redraw puts other content in a row and the row's old text, extended,
    in another row: the old text is not finished on its own; the extended line
    keeps the mark of where the text began."""
    screen = ScreenText(20, 4)
    out = []
    for mark, chunk in enumerate([b"abc\r\nzzz", b"\x1b[H\x1b[2Knew stuff\r\n\x1b[2Kabc def", b"\x1b[2J", b"x"]):
        screen.feed(chunk, mark)
        out += screen.pop_finished()
    out += screen.close()
    assert out == [("zzz", 0), ("new stuff", 1), ("abc def", 0), ("       x", 3)]
