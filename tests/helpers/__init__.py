"""Test helpers, one module per kind of thing a test needs (no tests here):

- logs: the one fake-log builder (`LogWriter`, and `make_session` /
  `make_tui_session` built on it), written with cs.log's own encoders
- sessions: index state, file trees, retention fixtures built on `logs`
- cli: the one way to run the real `cs` console script
- pty: a real pseudo-terminal around `cs record` (`Term`), reading a session back
- shell: real bash/zsh/fish with the integration loaded
- fake_anthropic: the loopback stand-in of the Anthropic API for the real `claude`
- claude: the real Claude Code CLI in tmux against that stand-in
- crash: killing a process at a chosen point, with fixed, printed seeds
- playback: a real Claude Code session recorded for the playback tests; pyte as the reference
- web: `cs web` run for real, one HTTP request helper, and headless Chromium through Playwright
- transcripts: Claude Code transcript lines, a recording of `claude` linked to one, one secret of each kind
- tools: a missing tool skips on a developer's machine and fails in CI
- screens: the two renderers (pure Python, native) and running chunks through one
"""
