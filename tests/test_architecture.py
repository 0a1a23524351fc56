"""The house keeps its shape: data flows one way, rooms import only what their
docstrings allow, and nothing imports in a circle (docs/architecture.md).

Imports are read from the source with `ast` (module level and inside
functions alike), so a lazy import cannot hide a wrong direction.
"""

import ast
from pathlib import Path

import pytest

import cs

PACKAGE = Path(cs.__file__).resolve().parent

# Which rooms (and shared modules) each room may import. A room is a package
# under cs/ or one of the shared modules at the top. Every room may import
# cs.errors and the package root (for __version__).
ALLOWED = {
    "log": set(),
    "units": set(),
    "redact": set(),
    "config": {"log", "units", "redact"},
    "db": {"log"},
    "shell_init": set(),
    "record": {"log", "config", "units"},
    "claude": {"log", "db", "config", "units"},
    "index": {"log", "db", "config", "units", "maintenance", "claude"},
    "maintenance": {"log", "db", "config", "units", "claude"},
    "story": {"log", "db", "index", "claude", "config", "units"},
    "ask": {"log", "db", "index", "claude", "units", "config"},
    "playback": {"log", "db", "index", "ask", "claude", "story", "units", "config"},
    "web": {"log", "db", "index", "ask", "claude", "playback", "story", "config", "units", "team"},
    "mcp": {"log", "db", "index", "ask", "claude", "story", "config", "units"},
    "team": {"log", "db", "config", "units", "story", "ask", "claude", "playback"},
    "doctor": {"log", "db", "record", "shell_init"},
    "cli": None,  # the click layer may import any room
    "main": {"cli", "record", "shell_init"},
    "__main__": {"main"},
}
EVERYONE_MAY = {"errors", "__init__"}
NEVER_IN_RECORD = {"sqlite3", "sqlite_utils", "click", "watchdog"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def cs_modules() -> dict:
    """{module name: path} for every module of the cs package."""
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, name: str, known: dict) -> set:
    """Every module `path` imports, resolved to full names (cs.x.y or top-level)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def room_of(module: str):
    """`cs.index.screen` -> "index"; `cs.errors` -> "errors"; `cs` -> "__init__"."""
    parts = module.split(".")
    if parts[0] != "cs":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def graph() -> dict:
    known = cs_modules()
    return {name: imports_of(path, name, known) for name, path in known.items()}


def test_every_room_is_declared_and_has_a_docstring_that_says_what_it_may_import():
    rooms = {room_of(m) for m in cs_modules()} - EVERYONE_MAY
    assert rooms <= set(ALLOWED), rooms - set(ALLOWED)
    for room in rooms:
        init = PACKAGE / room / "__init__.py"
        if init.exists():
            doc = ast.get_docstring(ast.parse(init.read_text())) or ""
            assert "May import" in doc, f"cs/{room}/__init__.py must say what it may import"


def test_rooms_import_only_what_they_may():
    wrong = []
    for module, imported in graph().items():
        room = room_of(module)
        allowed = ALLOWED.get(room)
        if room in EVERYONE_MAY or allowed is None:
            continue
        for target in imported:
            other = room_of(target)
            if other is None or other == room or other in EVERYONE_MAY:
                continue
            if other not in allowed:
                wrong.append(f"{module} imports {target} (cs.{room} may import: {sorted(allowed) or 'nothing'})")
    assert not wrong, "\n".join(wrong)


def test_the_watcher_is_the_only_part_of_the_index_that_reaches_maintenance():
    for module, imported in graph().items():
        if room_of(module) == "index" and module != "cs.index.watch":
            assert not [t for t in imported if room_of(t) == "maintenance"], module


def test_the_recorder_never_imports_the_database_click_or_watchdog():
    for module, imported in graph().items():
        if room_of(module) == "record":
            heavy = {t.split(".")[0] for t in imported} & NEVER_IN_RECORD
            assert not heavy, (module, heavy)


def find_cycle(edges: dict):
    """A list of nodes forming a cycle in `edges`, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_module_imports_in_a_circle():
    g = graph()
    # A package's __init__ importing its own submodules to register them (the
    # click group) is not a cycle of meaning; everything else is counted.
    edges = {
        m: {t for t in imported if t in g and not (m == "cs.cli" and t.startswith("cs.cli."))}
        for m, imported in g.items()
    }
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


def test_no_room_imports_in_a_circle():
    edges = {}
    for module, imported in graph().items():
        room = room_of(module)
        for target in imported:
            other = room_of(target)
            if other and other != room and room not in EVERYONE_MAY and other not in EVERYONE_MAY:
                edges.setdefault(room, set()).add(other)
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


@pytest.mark.parametrize(
    "edges, has_cycle",
    [
        ({"a": {"b"}, "b": {"c"}}, False),
        ({"a": {"b"}, "b": {"a"}}, True),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ],
)
def test_the_cycle_finder_finds_cycles(edges, has_cycle):
    assert (find_cycle(edges) is not None) == has_cycle
