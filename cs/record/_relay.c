/* The recorder's steady state, natively: cs.record._relay.relay().
 *
 * While a session runs in a terminal (our stdin and stdout are the user's
 * terminal, the child is on the PTY), almost every wake-up of the recorder is
 * one of two things: output from the child (log it, then show it) or a key
 * from the user (forward it, then log it). relay() does exactly those two, with
 * the same rules and the same log lines as the Python path (cs.record.loop's
 * _pump_output/_pump_input, cs.record.sink.LogWriter.output/input), and returns
 * to the Python loop as soon as anything else happens: a signal (the wake-up
 * pipe), an end of file, an error, a full segment to rotate, a failed log
 * write, a key that could not be forwarded whole, a submitted line the Claude
 * session tracker wants to see, a display that went away. The Python loop then
 * handles that one event and calls relay() again. So the Python loop stays the
 * one description of the session's life; this file is its hot path.
 *
 * State carried on the LogWriter object (read at entry, written back at exit):
 * fd (read only), segment_size, segment_has_data, rotate_size, bytes_in,
 * bytes_out, session_id, resume_tail (the last TAIL bytes of output),
 * write_errno (the errno of a failed log write; LogWriter.settle() then stops
 * logging and keeps the reason for the one warning).
 *
 * It waits with select(), as the Python loop does: macOS's poll() answers
 * POLLNVAL on terminals and pseudo-terminals, which is all it waits on but the
 * wake-up pipe (cs/record/loop.py says more;
 * tests/test_recorder_macos.py::test_records_end_to_end_where_poll_refuses_terminals).
 *
 * Optional: an install without a C compiler uses the Python path, which is
 * also what CS_PURE_PYTHON=1 selects. Tests: tests/test_recorder_native.py
 * (the same log lines as the Python writer, byte for byte but the timestamp).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE 65536
#define TAIL 4096

enum { R_YIELD = 0, R_PENDING = 1, R_ENTER = 2, R_DISPLAY_FAILED = 3 };

typedef struct {
    int fd;
    long long segment_size, rotate_size, bytes_in, bytes_out;
    int segment_has_data;
    int write_errno;
    const char *sid;
    Py_ssize_t sid_len;
    unsigned char tail[TAIL];
    size_t tail_len;
    char *line;
    size_t line_cap;
    time_t ts_sec;
    char ts_head[24]; /* "2026-02-07T18:15:32" */
} Writer;

/* ------------------------------------------------------------ attributes */
/* The fd is only read: the writer owns it (closes it, replaces it on rotation). */

static int get_ll(PyObject *obj, const char *name, long long *out) {
    PyObject *v = PyObject_GetAttrString(obj, name);
    if (!v) return -1;
    *out = PyLong_AsLongLong(v);
    Py_DECREF(v);
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

static int set_ll(PyObject *obj, const char *name, long long value) {
    PyObject *v = PyLong_FromLongLong(value);
    if (!v) return -1;
    int r = PyObject_SetAttrString(obj, name, v);
    Py_DECREF(v);
    return r;
}

/* ------------------------------------------------------------ log lines */

static int ensure_cap(Writer *w, size_t need) {
    if (need <= w->line_cap) return 0;
    size_t cap = need + need / 4 + 256;
    char *p = realloc(w->line, cap);
    if (!p) return -1;
    w->line = p;
    w->line_cap = cap;
    return 0;
}

/* RFC 3339 UTC with milliseconds, as cs.log.jsonl.utc_timestamp: 24 chars. */
static void timestamp(Writer *w, char out[25]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    time_t sec = (time_t)t;
    if (sec != w->ts_sec) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(w->ts_head, sizeof w->ts_head, "%Y-%m-%dT%H:%M:%S", &tm);
        w->ts_sec = sec;
    }
    int ms = (int)((t - (double)sec) * 1000);
    snprintf(out, 25, "%s.%03dZ", w->ts_head, ms);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64(const unsigned char *in, size_t n, char *out) {
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = B64[v & 63];
    }
    if (n - i == 1) {
        unsigned v = in[i] << 16;
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        unsigned v = (in[i] << 16) | (in[i + 1] << 8);
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = '=';
    }
    return (size_t)(o - out);
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* One data line (an I/O line, or a masked input line when masked >= 0 is the
 * byte count), written with one write(2) on the O_APPEND fd. A failure stops
 * logging here and leaves its errno for the writer (which closes the fd). */
static void log_line(Writer *w, const char *direction, const unsigned char *data, size_t n, long masked) {
    if (w->fd < 0 || w->write_errno) return;
    char ts[25];
    timestamp(w, ts);
    size_t need = 128 + (size_t)w->sid_len + (n + 2) / 3 * 4;
    if (ensure_cap(w, need) < 0) {
        w->write_errno = ENOMEM;
        return;
    }
    char *o = w->line;
    o += sprintf(o, "{\"timestamp\":\"%s\",\"session_id\":\"", ts);
    memcpy(o, w->sid, (size_t)w->sid_len);
    o += w->sid_len;
    if (masked >= 0) {
        o += sprintf(o, "\",\"direction\":\"input\",\"data\":\"\",\"size\":0,\"masked\":%ld}\n", masked);
    } else {
        o += sprintf(o, "\",\"direction\":\"%s\",\"data\":\"", direction);
        o += b64(data, n, o);
        o += sprintf(o, "\",\"size\":%zu}\n", n);
    }
    size_t len = (size_t)(o - w->line);
    if (write_all(w->fd, w->line, len) < 0) {
        w->write_errno = errno ? errno : EIO;
        return;
    }
    w->segment_size += (long long)len;
    w->segment_has_data = 1;
}

static void keep_tail(Writer *w, const unsigned char *data, size_t n) {
    if (n >= TAIL) {
        memcpy(w->tail, data + n - TAIL, TAIL);
        w->tail_len = TAIL;
        return;
    }
    if (w->tail_len + n > TAIL) {
        size_t drop = w->tail_len + n - TAIL;
        memmove(w->tail, w->tail + drop, w->tail_len - drop);
        w->tail_len -= drop;
    }
    memcpy(w->tail + w->tail_len, data, n);
    w->tail_len += n;
}

/* ------------------------------------------------------------ terminal */

/* Wait until fd can be written (fd < FD_SETSIZE: relay() checked). */
static void wait_writable(int fd) {
    fd_set out;
    FD_ZERO(&out);
    FD_SET(fd, &out);
    Py_BEGIN_ALLOW_THREADS select(fd + 1, NULL, &out, NULL, NULL);
    Py_END_ALLOW_THREADS
}

/* A write to the user's terminal, through short writes and a non-blocking fd. */
static int show(int fd, const unsigned char *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                wait_writable(fd);
                continue;
            }
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A `read -s`, sudo or ssh password prompt: line-buffered with echo off. */
static int password_prompt(int master) {
    struct termios t;
    if (tcgetattr(master, &t) != 0) return 0;
    return (t.c_lflag & ICANON) && !(t.c_lflag & ECHO);
}

/* ------------------------------------------------------------ relay */

static double monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static PyObject *relay(PyObject *self, PyObject *args) {
    int master, stdin_fd, display_fd, wake_fd, stop_on_enter;
    double timeout = -1; /* seconds until the Python loop wants its turn anyway; < 0: never */
    PyObject *writer;
    if (!PyArg_ParseTuple(args, "iiiiOp|d", &master, &stdin_fd, &display_fd, &wake_fd, &writer, &stop_on_enter,
                          &timeout))
        return NULL;
    if (master < 0 || stdin_fd < 0 || display_fd < 0 || wake_fd < 0 || master >= FD_SETSIZE ||
        stdin_fd >= FD_SETSIZE || display_fd >= FD_SETSIZE || wake_fd >= FD_SETSIZE) {
        PyErr_Format(PyExc_ValueError, "relay: descriptors must be in 0..%d for select()", FD_SETSIZE - 1);
        return NULL;
    }
    double deadline = timeout >= 0 ? monotonic() + timeout : -1;
    int nfds = wake_fd;
    if (master > nfds) nfds = master;
    if (stdin_fd > nfds) nfds = stdin_fd;
    nfds += 1;

    Writer w;
    memset(&w, 0, sizeof w);
    w.ts_sec = (time_t)-1;
    long long fd, has_data, write_errno;
    if (get_ll(writer, "fd", &fd) || get_ll(writer, "segment_size", &w.segment_size) ||
        get_ll(writer, "rotate_size", &w.rotate_size) || get_ll(writer, "segment_has_data", &has_data) ||
        get_ll(writer, "bytes_in", &w.bytes_in) || get_ll(writer, "bytes_out", &w.bytes_out) ||
        get_ll(writer, "write_errno", &write_errno))
        return NULL;
    w.fd = (int)fd;
    w.segment_has_data = (int)has_data;
    w.write_errno = (int)write_errno;
    PyObject *sid = PyObject_GetAttrString(writer, "session_id");
    if (!sid) return NULL;
    w.sid = PyUnicode_AsUTF8AndSize(sid, &w.sid_len);
    PyObject *tail = w.sid ? PyObject_GetAttrString(writer, "resume_tail") : NULL;
    if (!tail || !PyBytes_Check(tail)) {
        if (tail) PyErr_SetString(PyExc_TypeError, "resume_tail must be bytes");
        Py_XDECREF(tail);
        Py_DECREF(sid);
        return NULL;
    }
    keep_tail(&w, (const unsigned char *)PyBytes_AS_STRING(tail), (size_t)PyBytes_GET_SIZE(tail));
    Py_DECREF(tail);

    unsigned char *buf = malloc(READ_SIZE);
    if (!buf) {
        Py_DECREF(sid);
        return PyErr_NoMemory();
    }
    int code = R_YIELD;
    PyObject *pending = NULL;

    for (;;) {
        if (w.write_errno) break; /* the writer stops logging (and says so) first */
        if (w.fd >= 0 && w.segment_size >= w.rotate_size && w.segment_has_data) break; /* rotate */
        struct timeval wait, *wait_for = NULL;
        if (deadline >= 0) {
            double left = deadline - monotonic();
            if (left <= 0) break; /* the Python loop's time */
            wait.tv_sec = (time_t)left;
            wait.tv_usec = (suseconds_t)((left - (double)wait.tv_sec) * 1e6) + 1;
            if (wait.tv_usec >= 1000000) {
                wait.tv_sec += 1;
                wait.tv_usec -= 1000000;
            }
            wait_for = &wait;
        }
        fd_set in;
        FD_ZERO(&in);
        FD_SET(wake_fd, &in);
        FD_SET(master, &in);
        FD_SET(stdin_fd, &in);
        int n;
        Py_BEGIN_ALLOW_THREADS n = select(nfds, &in, NULL, NULL, wait_for);
        Py_END_ALLOW_THREADS if (n <= 0) break; /* the time is up, or EINTR: a signal, which the wake-up pipe carries */
        if (FD_ISSET(wake_fd, &in)) break;
        if (FD_ISSET(master, &in)) {
            /* Output (or a hang-up, which the read reports: back to the Python
               loop then): one read, logged, then shown, as script(1) does. (The
               Python path joins the reads available at once, to save its own
               per-chunk work; here a read costs little, and passing each one on
               at once keeps the child, us and the terminal working in parallel:
               joining 64 KiB made the terminal wait for us and the child for it.) */
            size_t total = 0;
            int ended = 0;
            for (;;) {
                ssize_t k = read(master, buf, READ_SIZE);
                if (k < 0 && errno == EINTR) continue;
                if (k <= 0)
                    ended = !(k < 0 && errno == EAGAIN);
                else
                    total = (size_t)k;
                break;
            }
            if (total) {
                w.bytes_out += (long long)total;
                keep_tail(&w, buf, total);
                log_line(&w, "output", buf, total, -1);
                if (show(display_fd, buf, total) < 0) {
                    code = R_DISPLAY_FAILED;
                    break;
                }
            }
            if (ended) break; /* end of file or an error: the Python loop sees it again */
            continue;
        }
        if (FD_ISSET(stdin_fd, &in)) {
            /* A key: forwarded first, logged right after. */
            ssize_t k = read(stdin_fd, buf, READ_SIZE);
            if (k < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (k <= 0) break; /* end of input, or the terminal hung up */
            int masked = password_prompt(master);
            size_t sent = 0;
            while (sent < (size_t)k) {
                ssize_t s = write(master, buf + sent, (size_t)k - sent);
                if (s < 0 && errno == EINTR) continue;
                if (s < 0 && errno == EAGAIN) break; /* the rest waits for POLLOUT, in Python */
                if (s < 0) {
                    sent = (size_t)k; /* the child is gone; its exit ends the session */
                    break;
                }
                sent += (size_t)s;
            }
            /* The kernel echoes the key in a worker that runs on this CPU
               once we let it: let it now, so the echo is ready by the time
               the key is logged (rather than after we sleep in select and are
               woken again). Worth ~10 us of keystroke latency. */
            sched_yield();
            w.bytes_in += k;
            log_line(&w, "input", buf, (size_t)k, masked ? (long)k : -1);
            if (sent < (size_t)k) {
                pending = PyBytes_FromStringAndSize((const char *)buf + sent, (Py_ssize_t)((size_t)k - sent));
                code = R_PENDING;
                break;
            }
            if (stop_on_enter && (memchr(buf, '\r', (size_t)k) || memchr(buf, '\n', (size_t)k))) {
                code = R_ENTER;
                break;
            }
            continue;
        }
        break; /* stdin hung up or anything else: the Python loop's turn */
    }
    free(buf);
    free(w.line);
    Py_DECREF(sid);

    PyObject *new_tail = PyBytes_FromStringAndSize((const char *)w.tail, (Py_ssize_t)w.tail_len);
    if (!new_tail || set_ll(writer, "segment_size", w.segment_size) ||
        set_ll(writer, "segment_has_data", w.segment_has_data) || set_ll(writer, "bytes_in", w.bytes_in) ||
        set_ll(writer, "bytes_out", w.bytes_out) || set_ll(writer, "write_errno", w.write_errno) ||
        PyObject_SetAttrString(writer, "resume_tail", new_tail)) {
        Py_XDECREF(new_tail);
        Py_XDECREF(pending);
        return NULL;
    }
    Py_DECREF(new_tail);
    if (!pending) {
        pending = Py_None;
        Py_INCREF(pending);
    }
    return Py_BuildValue("(iN)", code, pending);
}

static PyMethodDef methods[] = {
    {"relay", relay, METH_VARARGS,
     "relay(master, stdin, display, wake, writer, stop_on_enter, timeout=-1) -> (code, pending bytes or None)\n\n"
     "Move output and keys until something needs the Python loop (see the file's comment), or\n"
     "for at most `timeout` seconds when it is not negative.\n"
     "Codes: 0 the loop's turn, 1 a key not forwarded whole (the rest is returned), 2 a line\n"
     "was submitted, 3 the display failed."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_relay", "The recorder's hot path (see _relay.c).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__relay(void) { return PyModule_Create(&module); }
