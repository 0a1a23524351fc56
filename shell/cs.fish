# cs shell integration for fish: every `claude` you type is recorded by cs.
# Install: add this line to ~/.config/fish/config.fish
#     cs init fish | source
# Opt out for one command or a whole shell: CS_DISABLE=1
# Do not start the background indexer from this shell: CS_NO_DAEMON=1

# Include guard: sourcing twice neither redefines nor double-wraps anything.
# A global, unexported variable: child shells set up their own function.
if not set -q __cs_init_loaded
    set -g __cs_init_loaded 1

    # No --wraps: completions for `claude` apply to this function already
    # (same name), and fish ignores a function wrapping itself.
    function claude --description 'Claude Code, recorded by cs'
        # Opted out: run the real claude untouched.
        if test -n "$CS_DISABLE"
            command claude $argv
            return $status
        end
        # `command -q` finds only an executable on PATH, never a function.
        if not command -q cs
            command claude $argv
            set -l rc $status
            __cs_warn_once "cs is not on PATH; this claude session was not recorded"
            return $rc
        end
        # `cs record` runs the word `claude` through execvp, which finds the
        # binary on PATH, never this function.
        command cs record -- claude $argv
        set -l rc $status
        # 125: the recorder could not start and spawned nothing.
        # 126/127: fish could not execute cs at all (not executable, or its
        # interpreter is gone). In all three cases claude has not run yet, so
        # running it directly now never runs it twice. (127 is also "claude
        # not found", said already: then there is nothing to fall back to.)
        if contains -- $rc 125 126 127; and command -q claude
            command claude $argv
            set rc $status
            __cs_warn_once "cs record could not start; this claude session was not recorded"
        end
        return $rc
    end

    function __cs_warn_once
        # Said once per shell, after claude has exited (claude repaints the screen).
        if not set -q __cs_warned
            set -g __cs_warned 1
            printf 'cs: %s (CS_DISABLE=1 silences this)\n' $argv[1] >&2
        end
    end

    # Once per interactive shell, start the indexer watcher in the background.
    # It must never print, block or fail the shell. A fish background job
    # reports its end ("Job 1 has ended"), so a throwaway sh does the
    # backgrounding and returns at once; a cs without `index --daemon` (or a
    # watcher already running) just exits quietly.
    if status is-interactive
        and test -z "$CS_DISABLE$CS_NO_DAEMON"
        and command -q cs
        command sh -c 'cs index --daemon </dev/null >/dev/null 2>&1 &' </dev/null >/dev/null 2>&1
    end
end
