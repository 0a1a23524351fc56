# cs shell integration for zsh: every `claude` you type is recorded by cs.
# Install: add this line to ~/.zshrc
#     eval "$(cs init zsh)"
# Opt out for one command or a whole shell: CS_DISABLE=1
# Do not start the background indexer from this shell: CS_NO_DAEMON=1

# The cs that printed this script: `cs init` writes its absolute path on the next
# line, so the function runs this cs and never another program called cs that
# comes first on PATH (Coursier's, a CloudStack client). Set before the guard:
# sourcing again after cs moved (a reinstall) takes the new path.
__cs_bin=cs
case $__cs_bin in
    */*) ;;
    *) __cs_bin=$(whence -p "$__cs_bin" 2>/dev/null || true) ;;  # this file sourced as it ships
esac

# Include guard: sourcing twice neither redefines nor double-wraps anything.
# A plain (unexported) variable, so child shells that read ~/.zshrc set up
# their own function (functions are not inherited either).
if [ -z "${__cs_init_loaded-}" ]; then
__cs_init_loaded=1

# `function name` rather than `name()`: a user alias called claude must not be
# expanded inside the definition.
function claude {
    # Opted out: run the real claude untouched.
    if [ -n "${CS_DISABLE-}" ]; then
        command claude "$@"
        return
    fi
    # Ours is gone (uninstalled, moved): claude runs directly. A test of one
    # file, no PATH search: cheap, and never someone else's cs.
    local rc=0
    if [ ! -x "$__cs_bin" ]; then
        command claude "$@" || rc=$?
        __cs_warn_once "cs is gone from ${__cs_bin:-PATH}; this claude session was not recorded"
        return $rc
    fi
    # `cs record` runs the word `claude` through execvp, which finds the binary
    # on PATH, never this function. `|| rc=$?` keeps `set -e` shells alive
    # long enough to decide about the fallback.
    "$__cs_bin" record -- claude "$@" || rc=$?
    # 125: the recorder could not start and spawned nothing.
    # 126/127: the shell could not execute cs at all (not executable, or its
    # interpreter is gone). In all three cases claude has not run yet, so
    # running it directly now never runs it twice. (127 is also "claude not
    # found", said already: then there is nothing to fall back to.)
    case $rc in
        125|126|127)
            whence -p claude >/dev/null 2>&1 || return $rc
            rc=0
            command claude "$@" || rc=$?
            __cs_warn_once "cs record could not start; this claude session was not recorded"
            ;;
    esac
    return $rc
}

__cs_warn_once() {
    # Said once per shell, after claude has exited (claude repaints the screen).
    if [ -z "${__cs_warned-}" ]; then
        __cs_warned=1
        printf 'cs: %s (CS_DISABLE=1 silences this)\n' "$1" >&2
    fi
}

# Once per interactive shell, start the indexer watcher in the background. It
# must never print, block or fail the shell: output goes nowhere, the subshell
# detaches it from job control, and a cs without `index --daemon` (or a
# watcher already running) just exits quietly.
case $- in
    *i*)
        if [ -z "${CS_DISABLE-}${CS_NO_DAEMON-}" ] && [ -x "$__cs_bin" ]; then
            ("$__cs_bin" index --daemon </dev/null >/dev/null 2>&1 &)
        fi
        ;;
esac

fi
