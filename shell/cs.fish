# cs shell integration for fish: every `claude` you type is recorded by cs.
# Install: add this line to ~/.config/fish/config.fish
#     cs init fish | source
# Opt out for one command or a whole shell: CS_DISABLE=1
# Do not start the background indexer from this shell: CS_NO_DAEMON=1

# The cs that printed this script: `cs init` writes its absolute path on the next
# line, so the function runs this cs and never another program called cs that
# comes first on PATH (Coursier's, a CloudStack client). Set before the guard:
# sourcing again after cs moved (a reinstall) takes the new path.
set -g __cs_bin cs
if not string match -q -- '*/*' $__cs_bin
    set -g __cs_bin (command -s $__cs_bin; or true)  # this file sourced as it ships
end

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
        # Ours is gone (uninstalled, moved): claude runs directly. A test of
        # one file, no PATH search: cheap, and never someone else's cs.
        if not test -x "$__cs_bin"
            command claude $argv
            set -l rc $status
            set -l where $__cs_bin
            test -n "$where"; or set where PATH
            __cs_warn_once "cs is gone from $where; this claude session was not recorded"
            return $rc
        end
        # `cs record` runs the word `claude` through execvp, which finds the
        # binary on PATH, never this function.
        $__cs_bin record -- claude $argv
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
        and test -x "$__cs_bin"
        command sh -c '"$0" index --daemon </dev/null >/dev/null 2>&1 &' $__cs_bin </dev/null >/dev/null 2>&1
    end
end
