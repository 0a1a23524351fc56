/* cs.index._screen: the native core of cs.index.screen.ScreenText.
 *
 * A line-for-line port of the pure-Python renderer in cs/index/screen.py,
 * which stays the reference: same tokenizer (the regex split, SGR removed
 * first), same grid, same settle/retire bookkeeping, same marks, hence the
 * same lines in the same order (tests/test_screen_native.py compares the two,
 * and both with pyte, on recordings and on generated escape-sequence soup).
 * The few things that need Unicode tables call back into Python: char_width
 * (cached per code point), unicodedata.combining and NFC for combining marks.
 * same_line, with its word sets, is here (re's [^\W\d_] from the same
 * Unicode database).
 *
 * Rows live in a pool and are never freed while the screen lives: the lists
 * of rows touched / erased since the last settle hold (row, generation)
 * pairs, and a row that leaves the screen gets a new generation, which is
 * how "a row object that left the grid" is told apart from a recycled one.
 * See docs/rendering.md.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_PARAM 9999
#define MAX_COLS 1000
#define MAX_ROWS 500
#define MAX_CELL 8
#define MAX_CARRY (1 << 16)

/* Python helpers, set by setup() */
static PyObject *py_same_line, *py_char_width, *py_combining, *py_nfc, *py_restore;
static PyObject *empty_str;

typedef struct {
    Py_UCS4 *cells;   /* 0 = "" (right half of a wide character) */
    PyObject **multi; /* NULL, or per cell NULL / the cell's text when longer than one character */
    PyObject *shown;  /* str ("" = nothing) */
    PyObject *mark;   /* NULL = None */
    PyObject *tmark;  /* NULL = None */
    int dirty, erased, cap;
    int wrapped; /* the terminal autowrapped from this row to the next */
    unsigned long gen;
} Row;

typedef struct {
    Row *row;
    unsigned long gen;
} RowRef;

typedef struct {
    Row **r;
    int n, cap;
} Grid;

typedef struct {
    PyObject_HEAD int cols, rows;
    PyObject *utf8_carry; /* bytes */
    int in_string, string_esc, fed;
    PyObject *carry;    /* str */
    PyObject *finished; /* list */
    RowRef *touched;
    Py_ssize_t ntouched, captouched;
    RowRef *erased;
    Py_ssize_t nerased, caperased;
    Grid main, alt;
    int has_alt, on_alt;
    int x, y, saved_x, saved_y, saved_main_x, saved_main_y, top, bottom, autowrap;
    PyObject *mark; /* NULL = None */
    Row **pool;
    int npool, cappool;
    Row **all;
    int nall, capall;
    Py_UCS4 *scratch;
    Py_ssize_t capscratch;
} Screen;

#define GRID(s) ((s)->on_alt ? &(s)->alt : &(s)->main)

/* ------------------------------------------------------------------ rows */

static void row_clear_multi(Row *r, int from, int to)
{
    if (!r->multi)
        return;
    for (int i = from; i < to; i++)
        Py_CLEAR(r->multi[i]);
}

static Row *row_new(Screen *s, int cols)
{
    Row *r;
    if (s->npool) {
        r = s->pool[--s->npool];
    } else {
        r = PyMem_Calloc(1, sizeof(Row));
        if (!r)
            return (Row *)PyErr_NoMemory();
        if (s->nall == s->capall) {
            int cap = s->capall ? s->capall * 2 : 64;
            Row **a = PyMem_Realloc(s->all, cap * sizeof(Row *));
            if (!a) {
                PyMem_Free(r);
                return (Row *)PyErr_NoMemory();
            }
            s->all = a;
            s->capall = cap;
        }
        s->all[s->nall++] = r;
        Py_INCREF(empty_str);
        r->shown = empty_str;
    }
    if (r->cap < cols) {
        Py_UCS4 *c = PyMem_Realloc(r->cells, cols * sizeof(Py_UCS4));
        if (!c)
            return (Row *)PyErr_NoMemory();
        r->cells = c;
        if (r->multi) {
            PyObject **m = PyMem_Realloc(r->multi, cols * sizeof(PyObject *));
            if (!m)
                return (Row *)PyErr_NoMemory();
            memset(m + r->cap, 0, (cols - r->cap) * sizeof(PyObject *));
            r->multi = m;
        }
        r->cap = cols;
    }
    for (int i = 0; i < cols; i++)
        r->cells[i] = ' ';
    r->dirty = r->erased = r->wrapped = 0;
    return r;
}

/* The row leaves every grid: back to the pool, with a new generation. */
static void row_release(Screen *s, Row *r)
{
    row_clear_multi(r, 0, r->cap);
    Py_INCREF(empty_str);
    Py_SETREF(r->shown, empty_str);
    Py_CLEAR(r->mark);
    Py_CLEAR(r->tmark);
    r->dirty = r->erased = r->wrapped = 0;
    r->gen++;
    if (s->npool == s->cappool) {
        int cap = s->cappool ? s->cappool * 2 : 64;
        Row **p = PyMem_Realloc(s->pool, cap * sizeof(Row *));
        if (!p)
            return; /* leaked into `all`, freed at dealloc */
        s->pool = p;
        s->cappool = cap;
    }
    s->pool[s->npool++] = r;
}

static int row_multi(Row *r)
{
    if (r->multi)
        return 0;
    r->multi = PyMem_Calloc(r->cap, sizeof(PyObject *));
    if (!r->multi) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int ensure_scratch(Screen *s, Py_ssize_t n)
{
    if (n <= s->capscratch)
        return 0;
    Py_ssize_t cap = n < 4096 ? 4096 : n * 2;
    Py_UCS4 *b = PyMem_Realloc(s->scratch, cap * sizeof(Py_UCS4));
    if (!b) {
        PyErr_NoMemory();
        return -1;
    }
    s->scratch = b;
    s->capscratch = cap;
    return 0;
}

/* "".join(cells[from:to]) into the scratch buffer; returns its length or -1. */
static Py_ssize_t row_join(Screen *s, Row *r, int from, int to)
{
    Py_ssize_t n = 0, need = to - from;
    if (r->multi)
        for (int i = from; i < to; i++)
            if (r->multi[i])
                need += PyUnicode_GET_LENGTH(r->multi[i]);
    if (ensure_scratch(s, need + 1) < 0)
        return -1;
    Py_UCS4 *b = s->scratch;
    for (int i = from; i < to; i++) {
        if (r->multi && r->multi[i]) {
            PyObject *m = r->multi[i];
            Py_ssize_t len = PyUnicode_GET_LENGTH(m);
            int kind = PyUnicode_KIND(m);
            const void *data = PyUnicode_DATA(m);
            for (Py_ssize_t k = 0; k < len; k++)
                b[n++] = PyUnicode_READ(kind, data, k);
        } else if (r->cells[i]) {
            b[n++] = r->cells[i];
        }
    }
    return n;
}

/* "".join(cells[:to]).rstrip(), or not stripped (row.text() of a row the
 * terminal autowrapped from, when `wrapped`) */
static PyObject *row_text_range(Screen *s, Row *r, int to, int wrapped)
{
    Py_ssize_t n = row_join(s, r, 0, to), full = n;
    if (n < 0)
        return NULL;
    while (n > 0 && Py_UNICODE_ISSPACE(s->scratch[n - 1]))
        n--;
    if (n && wrapped)
        n = full;
    if (n == 0) {
        Py_INCREF(empty_str);
        return empty_str;
    }
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, s->scratch, n);
}

static PyObject *row_text(Screen *s, Row *r) { return row_text_range(s, r, s->cols, r->wrapped); }

static inline void set_cell(Row *r, int x, Py_UCS4 ch)
{
    if (r->multi && r->multi[x])
        Py_CLEAR(r->multi[x]);
    r->cells[x] = ch;
}

/* --------------------------------------------------------- small helpers */

static int grow_refs(RowRef **a, Py_ssize_t *cap, Py_ssize_t n)
{
    if (n < *cap)
        return 0;
    Py_ssize_t c = *cap ? *cap * 2 : 64;
    RowRef *p = PyMem_Realloc(*a, c * sizeof(RowRef));
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    *a = p;
    *cap = c;
    return 0;
}

static int touch(Screen *s, Row *r)
{
    if (!r->tmark && s->mark) {
        Py_INCREF(s->mark);
        r->tmark = s->mark;
    }
    if (!r->dirty) {
        if (grow_refs(&s->touched, &s->captouched, s->ntouched) < 0)
            return -1;
        r->dirty = 1;
        s->touched[s->ntouched].row = r;
        s->touched[s->ntouched].gen = r->gen;
        s->ntouched++;
    }
    return 0;
}

static int str_empty(PyObject *o) { return PyUnicode_GET_LENGTH(o) == 0; }

static int str_eq(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (PyUnicode_GET_LENGTH(a) != PyUnicode_GET_LENGTH(b))
        return 0;
    return PyUnicode_Compare(a, b) == 0;
}

static int startswith(PyObject *s, PyObject *prefix)
{
    return PyUnicode_Tailmatch(s, prefix, 0, PY_SSIZE_T_MAX, -1) == 1;
}

/* A letter of a word: re's [^\W\d_] (alphanumeric, not a decimal digit, not _). */
static inline int word_char(Py_UCS4 c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

typedef struct {
    Py_ssize_t start, len;
} Span;

/* The words of two letters or more (_WORDS.findall) as spans; returns how many
 * (at most `cap`: a row of 1000 cells holds at most 333 words). */
static Py_ssize_t words_of(int kind, const void *d, Py_ssize_t n, Span *out, Py_ssize_t cap)
{
    Py_ssize_t k = 0, i = 0;
    while (i < n && k < cap) {
        while (i < n && !word_char(PyUnicode_READ(kind, d, i)))
            i++;
        Py_ssize_t start = i;
        while (i < n && word_char(PyUnicode_READ(kind, d, i)))
            i++;
        if (i - start >= 2) {
            out[k].start = start;
            out[k].len = i - start;
            k++;
        }
    }
    return k;
}

static int same_span(int ka, const void *da, Span a, int kb, const void *db, Span b)
{
    if (a.len != b.len)
        return 0;
    for (Py_ssize_t i = 0; i < a.len; i++)
        if (PyUnicode_READ(ka, da, a.start + i) != PyUnicode_READ(kb, db, b.start + i))
            return 0;
    return 1;
}

/* _words(old) <= _words(new), or, when old has no word, new has none either */
static int words_subset(PyObject *old, PyObject *new)
{
    Py_ssize_t no = PyUnicode_GET_LENGTH(old), nn = PyUnicode_GET_LENGTH(new);
    Py_ssize_t cap = (no > nn ? no : nn) / 2 + 2;
    Span *wo = PyMem_Malloc(2 * cap * sizeof(Span));
    if (!wo) {
        PyErr_NoMemory();
        return -1;
    }
    Span *wn = wo + cap;
    int ko = PyUnicode_KIND(old), kn = PyUnicode_KIND(new);
    const void *dold = PyUnicode_DATA(old), *dnew = PyUnicode_DATA(new);
    Py_ssize_t co = words_of(ko, dold, no, wo, cap), cn = words_of(kn, dnew, nn, wn, cap);
    int result = 1;
    if (co == 0) {
        result = cn == 0;
    } else {
        for (Py_ssize_t i = 0; i < co && result; i++) {
            int found = 0;
            for (Py_ssize_t j = 0; j < cn && !found; j++)
                found = same_span(ko, dold, wo[i], kn, dnew, wn[j]);
            result = found;
        }
    }
    PyMem_Free(wo);
    return result;
}

/* same_line(old, new) (cs.index.screen) */
static int same_line(PyObject *old, PyObject *new)
{
    if (startswith(new, old))
        return 1;
    if (startswith(old, new)) {
        Py_ssize_t a = PyUnicode_GET_LENGTH(new), b = PyUnicode_GET_LENGTH(old);
        int kind = PyUnicode_KIND(old);
        const void *d = PyUnicode_DATA(old);
        while (a < b && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, a)))
            a++;
        while (b > a && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, d, b - 1)))
            b--;
        for (Py_ssize_t i = a; i < b; i++)
            if (PyUnicode_READ(kind, d, i) == ' ')
                return 0;
        return 1;
    }
    return words_subset(old, new);
}

static int finish(Screen *s, PyObject *text, PyObject *mark)
{
    PyObject *t = PyTuple_Pack(2, text, mark ? mark : Py_None);
    if (!t)
        return -1;
    int rc = PyList_Append(s->finished, t);
    Py_DECREF(t);
    return rc;
}

/* ----------------------------------------------------- finishing lines */

static int retire(Screen *s, Row *r)
{
    PyObject *new = row_text(s, r);
    if (!new)
        return -1;
    PyObject *old = r->shown;
    PyObject *nm = r->tmark ? r->tmark : r->mark;
    int rc = 0;
    if (!str_empty(new) && !str_eq(new, old)) {
        int same = str_empty(old) ? 0 : same_line(old, new);
        if (same < 0)
            rc = -1;
        else if (same)
            rc = finish(s, new, nm);
        else {
            if (!str_empty(old))
                rc = finish(s, old, r->mark);
            if (rc == 0)
                rc = finish(s, new, nm);
        }
    } else if (!str_empty(old)) {
        rc = finish(s, old, r->mark);
    }
    Py_DECREF(new);
    Py_INCREF(empty_str);
    Py_SETREF(r->shown, empty_str);
    r->dirty = r->erased = 0;
    if (s->ntouched > 4 * s->rows + 64) {
        Py_ssize_t k = 0;
        for (Py_ssize_t i = 0; i < s->ntouched; i++) {
            RowRef ref = s->touched[i];
            if (ref.row->gen == ref.gen && ref.row->dirty)
                s->touched[k++] = ref;
        }
        s->ntouched = k;
    }
    return rc;
}

typedef struct {
    Row *row;
    PyObject *text; /* owned */
    PyObject *tmark; /* owned, NULL = None */
} Changed;

typedef struct {
    PyObject *text; /* owned */
    PyObject *mark; /* owned, NULL = None */
} Replaced;

static int settle(Screen *s)
{
    if (!s->fed)
        return 0;
    s->fed = 0;
    Grid *g = GRID(s);
    Py_ssize_t nt = s->ntouched, na = s->nerased;
    RowRef *touched = NULL, *aging = NULL;
    Changed *changed = NULL;
    Replaced *replaced = NULL;
    Py_ssize_t nchanged = 0, nreplaced = 0, i;
    Row **fresh_rows = NULL;
    PyObject **fresh_text = NULL;
    Py_ssize_t nfresh = 0;
    Row **blanked = NULL; /* rows blank since this settle, their line pending */
    Py_ssize_t nblanked = 0;
    int rc = -1;

    touched = PyMem_Malloc((nt + 1) * sizeof(RowRef));
    aging = PyMem_Malloc((na + 1) * sizeof(RowRef));
    changed = PyMem_Malloc((nt + 1) * sizeof(Changed));
    replaced = PyMem_Malloc((2 * nt + na + 1) * sizeof(Replaced));
    fresh_rows = PyMem_Malloc((nt + 1) * sizeof(Row *));
    fresh_text = PyMem_Malloc((nt + 1) * sizeof(PyObject *));
    blanked = PyMem_Malloc((nt + 1) * sizeof(Row *));
    if (!touched || !aging || !changed || !replaced || !fresh_rows || !fresh_text || !blanked) {
        PyErr_NoMemory();
        goto done;
    }
    if (nt)
        memcpy(touched, s->touched, nt * sizeof(RowRef));
    if (na)
        memcpy(aging, s->erased, na * sizeof(RowRef));
    s->ntouched = 0;
    s->nerased = 0;
    for (i = 0; i < nt; i++) {
        Row *r = touched[i].row;
        if (r->gen != touched[i].gen || !r->dirty)
            continue;
        r->dirty = 0;
        PyObject *tmark = r->tmark;
        r->tmark = NULL;
        PyObject *new = row_text(s, r);
        if (!new) {
            Py_XDECREF(tmark);
            goto done;
        }
        if (!str_empty(new)) {
            r->erased = 0;
            if (!str_eq(new, r->shown)) {
                changed[nchanged].row = r;
                changed[nchanged].text = new;
                changed[nchanged].tmark = tmark;
                nchanged++;
                continue;
            }
            Py_DECREF(new);
            Py_XDECREF(tmark);
            continue;
        }
        Py_DECREF(new);
        Py_XDECREF(tmark);
        if (!str_empty(r->shown)) {
            if (r->erased) {
                replaced[nreplaced].text = r->shown;
                replaced[nreplaced].mark = r->mark;
                nreplaced++;
                Py_INCREF(empty_str);
                r->shown = empty_str;
                r->mark = NULL;
                r->erased = 0;
            } else {
                r->erased = 1;
                if (grow_refs(&s->erased, &s->caperased, s->nerased) < 0)
                    goto done;
                s->erased[s->nerased].row = r;
                s->erased[s->nerased].gen = r->gen;
                s->nerased++;
                blanked[nblanked++] = r;
            }
        }
    }
    for (i = 0; i < na; i++) {
        Row *r = aging[i].row;
        if (r->gen != aging[i].gen || !r->erased)
            continue;
        replaced[nreplaced].text = r->shown;
        replaced[nreplaced].mark = r->mark;
        nreplaced++;
        Py_INCREF(empty_str);
        r->shown = empty_str;
        r->mark = NULL;
        r->erased = 0;
    }
    for (i = 0; i < nchanged; i++) {
        Row *r = changed[i].row;
        PyObject *old = r->shown, *new = changed[i].text;
        if (!str_empty(old)) {
            int same = same_line(old, new);
            if (same < 0)
                goto done;
            if (same) {
                Py_INCREF(new);
                Py_SETREF(r->shown, new);
                if (changed[i].tmark) {
                    Py_INCREF(changed[i].tmark);
                    Py_XSETREF(r->mark, changed[i].tmark);
                }
                continue;
            }
            replaced[nreplaced].text = old; /* the reference moves */
            replaced[nreplaced].mark = r->mark;
            nreplaced++;
            r->shown = NULL;
            r->mark = NULL;
        }
        Py_INCREF(new);
        Py_XSETREF(r->shown, new);
        Py_XINCREF(changed[i].tmark);
        Py_XSETREF(r->mark, changed[i].tmark);
        /* fresh[new] = row */
        Py_ssize_t k;
        for (k = 0; k < nfresh; k++)
            if (str_eq(fresh_text[k], new))
                break;
        fresh_text[k] = new;
        fresh_rows[k] = r;
        if (k == nfresh)
            nfresh++;
    }
    /* A redraw that moved a line to another row and blanked the row it was
       on: the row now holding it keeps the line's mark; the blank row holds
       nothing pending (screen.py, _settle). */
    for (i = 0; nfresh && i < nblanked; i++) {
        Row *r = blanked[i];
        for (Py_ssize_t k = 0; k < nfresh; k++) {
            if (fresh_text[k] && startswith(fresh_text[k], r->shown)) {
                Row *fr = fresh_rows[k];
                Py_XINCREF(r->mark);
                Py_XSETREF(fr->mark, r->mark);
                Py_INCREF(empty_str);
                Py_SETREF(r->shown, empty_str);
                Py_CLEAR(r->mark);
                r->erased = 0;
                fresh_text[k] = NULL; /* popped */
                break;
            }
        }
    }
    for (i = 0; i < nreplaced; i++) {
        PyObject *old = replaced[i].text;
        PyObject *survivor = NULL;
        Row *survivor_row = NULL;
        for (int j = 0; j < g->n; j++) {
            PyObject *h = g->r[j]->shown;
            if (!str_empty(h) && startswith(h, old)) {
                survivor = h;
                survivor_row = g->r[j];
                break;
            }
        }
        if (!survivor) {
            if (finish(s, old, replaced[i].mark) < 0)
                goto done;
            continue;
        }
        int was_fresh = 0;
        for (Py_ssize_t k = 0; k < nfresh; k++) {
            if (fresh_text[k] && str_eq(fresh_text[k], survivor)) {
                Row *fr = fresh_rows[k];
                Py_XINCREF(replaced[i].mark);
                Py_XSETREF(fr->mark, replaced[i].mark);
                fresh_text[k] = NULL; /* popped */
                was_fresh = 1;
                break;
            }
        }
        if (!was_fresh && survivor_row && str_eq(survivor, old) && replaced[i].mark && survivor_row->mark) {
            /* The same line drawn again in another row before this copy went
               away: it has been there, whole, since the earlier mark
               (screen.py, _earlier). */
            int earlier = PyObject_RichCompareBool(replaced[i].mark, survivor_row->mark, Py_LT);
            if (earlier < 0)
                PyErr_Clear();
            else if (earlier) {
                Py_INCREF(replaced[i].mark);
                Py_SETREF(survivor_row->mark, replaced[i].mark);
            }
        }
    }
    rc = 0;
done:
    if (changed)
        for (i = 0; i < nchanged; i++) {
            Py_DECREF(changed[i].text);
            Py_XDECREF(changed[i].tmark);
        }
    if (replaced)
        for (i = 0; i < nreplaced; i++) {
            Py_DECREF(replaced[i].text);
            Py_XDECREF(replaced[i].mark);
        }
    PyMem_Free(touched);
    PyMem_Free(aging);
    PyMem_Free(changed);
    PyMem_Free(replaced);
    PyMem_Free(fresh_rows);
    PyMem_Free(fresh_text);
    PyMem_Free(blanked);
    return rc;
}

/* --------------------------------------------------------------- grids */

static int grid_fill(Screen *s, Grid *g, int rows, int cols)
{
    if (g->cap < rows) {
        Row **r = PyMem_Realloc(g->r, rows * sizeof(Row *));
        if (!r) {
            PyErr_NoMemory();
            return -1;
        }
        g->r = r;
        g->cap = rows;
    }
    while (g->n < rows) {
        Row *r = row_new(s, cols);
        if (!r)
            return -1;
        g->r[g->n++] = r;
    }
    return 0;
}

static void grid_release(Screen *s, Grid *g)
{
    for (int i = 0; i < g->n; i++)
        row_release(s, g->r[i]);
    g->n = 0;
}

static int scroll_up(Screen *s, int n, int top)
{
    Grid *g = GRID(s);
    int bottom = s->bottom;
    if (n != 1) {
        int m = bottom - top + 1;
        if (n > m)
            n = m;
    }
    for (int k = 0; k < n; k++) {
        Row *r = g->r[top];
        memmove(g->r + top, g->r + top + 1, (bottom - top) * sizeof(Row *));
        if (retire(s, r) < 0) {
            g->r[bottom] = r; /* keep the grid whole */
            return -1;
        }
        row_release(s, r);
        Row *nr = row_new(s, s->cols);
        if (!nr) {
            g->r[bottom] = r;
            return -1;
        }
        g->r[bottom] = nr;
    }
    return 0;
}

static int scroll_down(Screen *s, int n, int top)
{
    Grid *g = GRID(s);
    int bottom = s->bottom;
    int m = bottom - top + 1;
    if (n > m)
        n = m;
    for (int k = 0; k < n; k++) {
        Row *r = g->r[bottom];
        memmove(g->r + top + 1, g->r + top, (bottom - top) * sizeof(Row *));
        if (retire(s, r) < 0) {
            g->r[top] = r;
            return -1;
        }
        row_release(s, r);
        Row *nr = row_new(s, s->cols);
        if (!nr) {
            g->r[top] = r;
            return -1;
        }
        g->r[top] = nr;
    }
    return 0;
}

static int linefeed(Screen *s)
{
    if (s->y == s->bottom)
        return scroll_up(s, 1, s->top);
    if (s->y < s->rows - 1)
        s->y++;
    return 0;
}

static int reverse_index(Screen *s)
{
    if (s->y == s->top)
        return scroll_down(s, 1, s->top);
    if (s->y > 0)
        s->y--;
    return 0;
}

static int erase(Screen *s, Row *r, int start, int end)
{
    int cols = s->cols;
    if (end > cols)
        end = cols;
    if (start >= end)
        return 0;
    if (end == cols)
        r->wrapped = 0;
    if (start == 0 && end == cols) {
        Py_CLEAR(r->tmark);
    } else if (!r->tmark && s->mark) {
        Py_INCREF(s->mark);
        r->tmark = s->mark;
    }
    if (start > 0 && r->cells[start] == 0)
        set_cell(r, start - 1, ' ');
    if (end < cols && r->cells[end] == 0)
        set_cell(r, end, ' ');
    row_clear_multi(r, start, end);
    for (int i = start; i < end; i++)
        r->cells[i] = ' ';
    if (!r->dirty) {
        if (grow_refs(&s->touched, &s->captouched, s->ntouched) < 0)
            return -1;
        r->dirty = 1;
        s->touched[s->ntouched].row = r;
        s->touched[s->ntouched].gen = r->gen;
        s->ntouched++;
    }
    return 0;
}

/* --------------------------------------------------------------- widths */

static unsigned char width_cache[0x40000]; /* 0 unknown, else width + 1 */

static int char_width(Py_UCS4 ch)
{
    if (ch < 0x7f)
        return 1;
    if (ch < 0x40000 && width_cache[ch])
        return width_cache[ch] - 1;
    PyObject *c = PyUnicode_FromOrdinal(ch);
    if (!c)
        return -1;
    PyObject *w = PyObject_CallOneArg(py_char_width, c);
    Py_DECREF(c);
    if (!w)
        return -1;
    long v = PyLong_AsLong(w);
    Py_DECREF(w);
    if (v < 0 || v > 2) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "char_width");
        return -1;
    }
    if (ch < 0x40000)
        width_cache[ch] = (unsigned char)(v + 1);
    return (int)v;
}

/* ---------------------------------------------------------------- drawing */

static int draw_narrow(Screen *s, const Py_UCS4 *run, Py_ssize_t total)
{
    int cols = s->cols;
    Py_ssize_t i = 0;
    while (i < total) {
        if (s->x >= cols) {
            if (s->autowrap) {
                GRID(s)->r[s->y]->wrapped = 1;
                s->x = 0;
                if (linefeed(s) < 0)
                    return -1;
            } else {
                s->x = cols - 1;
            }
        }
        int x = s->x;
        Row *r = GRID(s)->r[s->y];
        if (touch(s, r) < 0)
            return -1;
        Py_UCS4 *cells = r->cells;
        int n = cols - x;
        const Py_UCS4 *piece = run + i;
        Py_UCS4 last = 0;
        int lastone = 0;
        if (total - i <= n) {
            n = (int)(total - i);
            i = total;
        } else if (s->autowrap) {
            i += n;
        } else {
            lastone = 1;
            last = run[total - 1];
            i = total;
        }
        if (cells[x] == 0 && x > 0)
            set_cell(r, x - 1, ' ');
        int end = x + n;
        row_clear_multi(r, x, end);
        if (lastone) {
            memcpy(cells + x, piece, (n - 1) * sizeof(Py_UCS4));
            cells[end - 1] = last;
        } else {
            memcpy(cells + x, piece, n * sizeof(Py_UCS4));
        }
        if (end < cols && cells[end] == 0)
            set_cell(r, end, ' ');
        s->x = end;
    }
    return 0;
}

static int combine(Screen *s, Py_UCS4 ch)
{
    PyObject *c = PyUnicode_FromOrdinal(ch);
    if (!c)
        return -1;
    PyObject *comb = PyObject_CallOneArg(py_combining, c);
    if (!comb) {
        Py_DECREF(c);
        return -1;
    }
    int is = PyObject_IsTrue(comb);
    Py_DECREF(comb);
    if (!is || s->x <= 0) {
        Py_DECREF(c);
        return is < 0 ? -1 : 0;
    }
    int cols = s->cols;
    Row *r = GRID(s)->r[s->y];
    int x = (s->x < cols ? s->x : cols) - 1;
    if (r->cells[x] == 0 && x > 0)
        x--;
    PyObject *cell;
    if (r->multi && r->multi[x]) {
        cell = r->multi[x];
        Py_INCREF(cell);
    } else if (r->cells[x]) {
        cell = PyUnicode_FromOrdinal(r->cells[x]);
    } else {
        Py_INCREF(empty_str);
        cell = empty_str;
    }
    if (!cell) {
        Py_DECREF(c);
        return -1;
    }
    if (PyUnicode_GET_LENGTH(cell) >= MAX_CELL) {
        Py_DECREF(cell);
        Py_DECREF(c);
        return 0;
    }
    PyObject *joined = PyUnicode_Concat(cell, c);
    Py_DECREF(cell);
    Py_DECREF(c);
    if (!joined)
        return -1;
    PyObject *norm = PyObject_CallOneArg(py_nfc, joined);
    Py_DECREF(joined);
    if (!norm)
        return -1;
    Py_ssize_t len = PyUnicode_GET_LENGTH(norm);
    if (len == 1) {
        set_cell(r, x, PyUnicode_READ_CHAR(norm, 0));
        Py_DECREF(norm);
    } else if (len == 0) {
        set_cell(r, x, 0);
        Py_DECREF(norm);
    } else {
        if (row_multi(r) < 0) {
            Py_DECREF(norm);
            return -1;
        }
        r->cells[x] = PyUnicode_READ_CHAR(norm, 0);
        Py_XSETREF(r->multi[x], norm);
    }
    return touch(s, r);
}

static int draw_wide(Screen *s, const Py_UCS4 *run, Py_ssize_t total)
{
    int cols = s->cols;
    for (Py_ssize_t i = 0; i < total; i++) {
        Py_UCS4 ch = run[i];
        int w = char_width(ch);
        if (w < 0)
            return -1;
        if (w == 0) {
            if (combine(s, ch) < 0)
                return -1;
            continue;
        }
        if (s->x >= cols) {
            if (s->autowrap) {
                GRID(s)->r[s->y]->wrapped = 1;
                s->x = 0;
                if (linefeed(s) < 0)
                    return -1;
            } else {
                s->x = cols - w;
            }
        }
        Row *r = GRID(s)->r[s->y];
        if (touch(s, r) < 0)
            return -1;
        int x = s->x;
        if (r->cells[x] == 0 && x > 0)
            set_cell(r, x - 1, ' ');
        set_cell(r, x, ch);
        if (w == 2 && x + 1 < cols)
            set_cell(r, x + 1, 0);
        int end = x + w;
        if (end < cols && r->cells[end] == 0)
            set_cell(r, end, ' ');
        s->x = end < cols ? end : cols;
    }
    return 0;
}

static int draw(Screen *s, const Py_UCS4 *run, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = run[i];
        if (ch >= 0x7f) {
            int w = char_width(ch);
            if (w < 0)
                return -1;
            if (w != 1)
                return draw_wide(s, run, n);
        }
    }
    return draw_narrow(s, run, n);
}

/* ------------------------------------------------------ parameters */

static int all_digits(const Py_UCS4 *p, Py_ssize_t n)
{
    if (n == 0)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static int num(const Py_UCS4 *p, Py_ssize_t n)
{
    if (n > 4)
        return MAX_PARAM;
    int v = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        v = v * 10 + (int)(p[i] - '0');
    return v;
}

/* _n(params, default) */
static int param_n(const Py_UCS4 *p, Py_ssize_t n, int dflt)
{
    if (n == 0)
        return dflt;
    Py_ssize_t k = 0;
    while (k < n && p[k] != ';')
        k++;
    int v = all_digits(p, k) ? num(p, k) : 0;
    return v ? v : dflt;
}

/* _ints(params, default): the first two values and how many there are */
static int param_ints(const Py_UCS4 *p, Py_ssize_t n, int dflt, int *a, int *b)
{
    int count = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i == n || p[i] == ';' || p[i] == ':') {
            int v = all_digits(p + start, i - start) ? num(p + start, i - start) : dflt;
            if (count == 0)
                *a = v;
            else if (count == 1)
                *b = v;
            count++;
            start = i + 1;
        }
    }
    return count;
}

static int eq_ascii(const Py_UCS4 *p, Py_ssize_t n, const char *lit)
{
    Py_ssize_t k = (Py_ssize_t)strlen(lit);
    if (k != n)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (p[i] != (Py_UCS4)(unsigned char)lit[i])
            return 0;
    return 1;
}

static const char *UNMODELLED[] = {"?1",    "?12",   "?25",   "?1000", "?1002", "?1003", "?1004",
                                   "?1005", "?1006", "?1015", "?1016", "?2004", "?2026", "?2031"};

static int unmodelled(const Py_UCS4 *p, Py_ssize_t n)
{
    for (size_t i = 0; i < sizeof(UNMODELLED) / sizeof(*UNMODELLED); i++)
        if (eq_ascii(p, n, UNMODELLED[i]))
            return 1;
    return 0;
}

static int is_intermediate(Py_UCS4 c) { return c >= 0x20 && c <= 0x2f; }

/* ------------------------------------------------- modes and resets */

static int restore_cursor(Screen *s)
{
    s->x = s->saved_x < s->cols - 1 ? s->saved_x : s->cols - 1;
    s->y = s->saved_y < s->rows - 1 ? s->saved_y : s->rows - 1;
    return 0;
}

static int alternate(Screen *s, int on, int save_cursor)
{
    if (on == s->has_alt)
        return 0;
    if (settle(s) < 0)
        return -1;
    if (on) {
        if (save_cursor) {
            s->saved_main_x = s->x;
            s->saved_main_y = s->y;
        }
        s->alt.n = 0;
        if (grid_fill(s, &s->alt, s->rows, s->cols) < 0)
            return -1;
        s->has_alt = s->on_alt = 1;
    } else {
        for (int i = 0; i < s->alt.n; i++)
            if (retire(s, s->alt.r[i]) < 0)
                return -1;
        grid_release(s, &s->alt);
        s->has_alt = s->on_alt = 0;
        if (save_cursor) {
            s->x = s->saved_main_x < s->cols ? s->saved_main_x : s->cols;
            s->y = s->saved_main_y < s->rows - 1 ? s->saved_main_y : s->rows - 1;
        }
    }
    s->top = 0;
    s->bottom = s->rows - 1;
    s->fed = 1;
    return 0;
}

static int ed(Screen *s, int how);

static int reset(Screen *s)
{
    if (s->has_alt && alternate(s, 0, 0) < 0)
        return -1;
    if (ed(s, 2) < 0)
        return -1;
    s->x = s->y = 0;
    s->top = 0;
    s->bottom = s->rows - 1;
    s->autowrap = 1;
    return 0;
}

static int private_mode(Screen *s, const Py_UCS4 *p, Py_ssize_t n, int on)
{
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i == n || p[i] == ';') {
            const Py_UCS4 *m = p + start;
            Py_ssize_t k = i - start;
            if (eq_ascii(m, k, "1049") || eq_ascii(m, k, "1047") || eq_ascii(m, k, "47")) {
                if (alternate(s, on, eq_ascii(m, k, "1049")) < 0)
                    return -1;
            } else if (eq_ascii(m, k, "1048")) {
                if (on) {
                    s->saved_x = s->x;
                    s->saved_y = s->y;
                } else {
                    restore_cursor(s);
                }
            } else if (eq_ascii(m, k, "7")) {
                s->autowrap = on;
            }
            start = i + 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------ CSI handlers */

static int el(Screen *s, int how)
{
    Row *r = GRID(s)->r[s->y];
    if (how == 0)
        return erase(s, r, s->x, s->cols);
    if (how == 1)
        return erase(s, r, 0, s->x + 1);
    if (how == 2)
        return erase(s, r, 0, s->cols);
    return 0;
}

static int ed(Screen *s, int how)
{
    Grid *g = GRID(s);
    int from, to;
    if (how == 0) {
        if (el(s, 0) < 0)
            return -1;
        from = s->y + 1;
        to = g->n;
    } else if (how == 1) {
        if (el(s, 1) < 0)
            return -1;
        from = 0;
        to = s->y;
    } else {
        from = 0;
        to = g->n;
    }
    for (int i = from; i < to; i++)
        if (erase(s, g->r[i], 0, s->cols) < 0)
            return -1;
    return 0;
}

static void cuu(Screen *s, int n)
{
    int top = s->y >= s->top ? s->top : 0;
    s->y = s->y - n > top ? s->y - n : top;
    if (s->x > s->cols - 1)
        s->x = s->cols - 1;
}

static void cud(Screen *s, int n)
{
    int bottom = s->y <= s->bottom ? s->bottom : s->rows - 1;
    s->y = s->y + n < bottom ? s->y + n : bottom;
    if (s->x > s->cols - 1)
        s->x = s->cols - 1;
}

static void cub(Screen *s, int n)
{
    int x = s->x < s->cols - 1 ? s->x : s->cols - 1;
    s->x = x - n > 0 ? x - n : 0;
}

static void cht(Screen *s, int n)
{
    if (n > s->cols)
        n = s->cols;
    for (int i = 0; i < n; i++) {
        int t = (s->x / 8 + 1) * 8;
        s->x = t < s->cols - 1 ? t : s->cols - 1;
    }
}

static int floordiv8(int v) { return v >= 0 ? v / 8 : -((-v + 7) / 8); }

static void cbt(Screen *s, int n)
{
    if (n > s->cols)
        n = s->cols;
    for (int i = 0; i < n; i++) {
        int x = s->x < s->cols - 1 ? s->x : s->cols - 1;
        int t = floordiv8(x - 1) * 8;
        s->x = t > 0 ? t : 0;
    }
}

static int dispatch_csi(Screen *s, const Py_UCS4 *p, Py_ssize_t n, Py_UCS4 f)
{
    if (n) {
        Py_UCS4 lead = p[0];
        if (lead == '?') {
            if ((f == 'h' || f == 'l') && !unmodelled(p, n))
                return private_mode(s, p + 1, n - 1, f == 'h');
            return 0;
        }
        if (lead == '<' || lead == '=' || lead == '>' || is_intermediate(p[n - 1]))
            return 0;
    }
    int cols = s->cols, rows = s->rows, a, b, k;
    Row *r;
    switch (f) {
    case 'A':
        cuu(s, param_n(p, n, 1));
        break;
    case 'B':
    case 'e':
        cud(s, param_n(p, n, 1));
        break;
    case 'C':
    case 'a': {
        int t = s->x + param_n(p, n, 1);
        s->x = t < cols - 1 ? t : cols - 1;
        break;
    }
    case 'D':
        cub(s, param_n(p, n, 1));
        break;
    case 'E':
        cud(s, param_n(p, n, 1));
        s->x = 0;
        break;
    case 'F':
        cuu(s, param_n(p, n, 1));
        s->x = 0;
        break;
    case 'G':
    case '`': {
        int v = param_n(p, n, 1);
        s->x = (cols < v ? cols : v) - 1;
        break;
    }
    case 'H':
    case 'f':
        a = b = 1;
        k = n ? param_ints(p, n, 1, &a, &b) : 2;
        if (!a)
            a = 1;
        b = k > 1 ? (b ? b : 1) : 1;
        s->y = (rows < a ? rows : a) - 1;
        s->x = (cols < b ? cols : b) - 1;
        break;
    case 'd': {
        int v = param_n(p, n, 1);
        s->y = (rows < v ? rows : v) - 1;
        if (s->x > cols - 1)
            s->x = cols - 1;
        break;
    }
    case 'J':
        return ed(s, n ? param_n(p, n, 0) : 0);
    case 'K':
        return el(s, n ? param_n(p, n, 0) : 0);
    case '@':
    case 'P': {
        r = GRID(s)->r[s->y];
        int x = s->x;
        if (x >= cols)
            return 0;
        int m = param_n(p, n, 1);
        if (m > cols - x)
            m = cols - x;
        if (touch(s, r) < 0)
            return -1;
        if (m > 0 && row_multi(r) == 0) {
            PyObject **mu = r->multi;
            if (f == '@') {
                for (int i = cols - m; i < cols; i++)
                    Py_CLEAR(mu[i]);
                memmove(r->cells + x + m, r->cells + x, (cols - x - m) * sizeof(Py_UCS4));
                memmove(mu + x + m, mu + x, (cols - x - m) * sizeof(PyObject *));
                for (int i = x; i < x + m; i++) {
                    r->cells[i] = ' ';
                    mu[i] = NULL;
                }
            } else {
                for (int i = x; i < x + m; i++)
                    Py_CLEAR(mu[i]);
                memmove(r->cells + x, r->cells + x + m, (cols - x - m) * sizeof(Py_UCS4));
                memmove(mu + x, mu + x + m, (cols - x - m) * sizeof(PyObject *));
                for (int i = cols - m; i < cols; i++) {
                    r->cells[i] = ' ';
                    mu[i] = NULL;
                }
            }
        } else if (PyErr_Occurred()) {
            return -1;
        }
        break;
    }
    case 'X':
        return erase(s, GRID(s)->r[s->y], s->x, s->x + param_n(p, n, 1));
    case 'L':
    case 'M':
        if (s->top <= s->y && s->y <= s->bottom) {
            int rc = f == 'L' ? scroll_down(s, param_n(p, n, 1), s->y) : scroll_up(s, param_n(p, n, 1), s->y);
            s->x = 0;
            return rc;
        }
        break;
    case 'S':
        return scroll_up(s, param_n(p, n, 1), s->top);
    case 'T':
        return scroll_down(s, param_n(p, n, 1), s->top);
    case 'r': {
        a = b = 0;
        k = n ? param_ints(p, n, 0, &a, &b) : 2;
        int top = (a ? a : 1) - 1;
        int bv = k > 1 ? b : 0;
        int bottom = (bv ? bv : rows) - 1;
        if (bottom > rows - 1)
            bottom = rows - 1;
        if (top < bottom) {
            s->top = top;
            s->bottom = bottom;
            s->x = s->y = 0;
        }
        break;
    }
    case 's':
        s->saved_x = s->x;
        s->saved_y = s->y;
        break;
    case 'u':
        restore_cursor(s);
        break;
    case 'I':
        cht(s, param_n(p, n, 1));
        break;
    case 'Z':
        cbt(s, param_n(p, n, 1));
        break;
    default:
        break;
    }
    return 0;
}

/* ------------------------------------------------------------ parsing */

static inline int is_ctl(Py_UCS4 c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

/* The end of the token that starts at s[i] (a control character), and what
 * it is: kind 0 nothing, 1 CSI (params [pa, pa+pn), final *f), 2 ESC + *f,
 * 3 CR, 4 CR LF, 5 other control *f. */
enum { T_NOTHING, T_CSI, T_ESC, T_CR, T_CRLF, T_CTL };

static Py_ssize_t token(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t i, int *kind, Py_ssize_t *pa, Py_ssize_t *pn,
                        Py_UCS4 *f)
{
    Py_UCS4 c = s[i];
    Py_ssize_t j;
    *kind = T_NOTHING;
    if (c == 0x1b) {
        if (i + 1 < n) {
            Py_UCS4 d = s[i + 1];
            if (d == '[') {
                j = i + 2;
                while (j < n && s[j] >= 0x30 && s[j] <= 0x3f)
                    j++;
                while (j < n && s[j] >= 0x20 && s[j] <= 0x2f)
                    j++;
                if (j < n && s[j] >= 0x40 && s[j] <= 0x7e) {
                    *kind = T_CSI;
                    *pa = i + 2;
                    *pn = j - (i + 2);
                    *f = s[j];
                    return j + 1;
                }
            } else if (d == ']') {
                j = i + 2;
                while (j < n && s[j] != 0x07 && s[j] != 0x1b)
                    j++;
                if (j < n && s[j] == 0x07)
                    return j + 1;
                if (j + 1 < n && s[j] == 0x1b && s[j + 1] == '\\')
                    return j + 2;
            } else if (d == 'P' || d == 'X' || d == '^' || d == '_') {
                j = i + 2;
                while (j < n && s[j] != 0x1b)
                    j++;
                if (j + 1 < n && s[j + 1] == '\\')
                    return j + 2;
            } else if (d >= 0x20 && d <= 0x2f) {
                j = i + 1;
                while (j < n && s[j] >= 0x20 && s[j] <= 0x2f)
                    j++;
                if (j < n && s[j] >= 0x30 && s[j] <= 0x7e)
                    return j + 1;
                return i + 1; /* ([0-~]?) matches nothing */
            }
            if (d >= 0x30 && d <= 0x7e) {
                *kind = T_ESC;
                *f = d;
                return i + 2;
            }
        }
        return i + 1;
    }
    if (c == '\r') {
        if (i + 1 < n && s[i + 1] == '\n') {
            *kind = T_CRLF;
            return i + 2;
        }
        *kind = T_CR;
        return i + 1;
    }
    if (c == '\n' || c == 0x08 || c == '\t' || c == 0x0b || c == 0x0c) {
        *kind = T_CTL;
        *f = c;
    }
    return i + 1;
}

static int csi(Screen *s, const Py_UCS4 *p, Py_ssize_t n, Py_UCS4 f)
{
    /* the inline cases of ScreenText.feed / _token_op */
    int cols = s->cols;
    if (f == 'm')
        return 0;
    int digits = n == 0 || all_digits(p, n);
    int v = n == 0 ? 1 : (digits ? num(p, n) : 0);
    if (digits && !v)
        v = 1;
    if (v && (f == 'G' || f == 'C' || f == 'B' || f == 'A')) {
        if (f == 'G') {
            s->x = (v <= cols ? v : cols) - 1;
        } else if (f == 'C') {
            s->x += v;
            if (s->x >= cols)
                s->x = cols - 1;
        } else if (f == 'B') {
            if (s->y <= s->bottom) {
                s->y += v;
                if (s->y > s->bottom)
                    s->y = s->bottom;
                if (s->x >= cols)
                    s->x = cols - 1;
            } else {
                cud(s, v);
            }
        } else {
            if (s->y >= s->top) {
                s->y -= v;
                if (s->y < s->top)
                    s->y = s->top;
                if (s->x >= cols)
                    s->x = cols - 1;
            } else {
                cuu(s, v);
            }
        }
        return 0;
    }
    if (f == 'K' && n == 0)
        return erase(s, GRID(s)->r[s->y], s->x, cols);
    if (n && (p[0] == '<' || p[0] == '=' || p[0] == '>' || is_intermediate(p[n - 1])))
        return 0;
    return dispatch_csi(s, p, n, f);
}

/* ------------------------------------------------------------ the type */

static PyTypeObject ScreenType;

static int screen_alloc_grids(Screen *s)
{
    s->main.n = 0;
    return grid_fill(s, &s->main, s->rows, s->cols);
}

/* int(v), saturated to the long range (clamp_size caps it anyway) */
static int as_long(PyObject *v, long *out)
{
    PyObject *i = PyNumber_Long(v);
    if (!i)
        return -1;
    int overflow;
    *out = PyLong_AsLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (*out == -1 && PyErr_Occurred())
        return -1;
    if (overflow)
        *out = overflow > 0 ? 1L << 30 : -(1L << 30);
    return 0;
}

static void clamp_size(long cols, long rows, int *c, int *r)
{
    *c = cols < 1 ? 1 : cols > MAX_COLS ? MAX_COLS : (int)cols;
    *r = rows < 1 ? 1 : rows > MAX_ROWS ? MAX_ROWS : (int)rows;
}

static int Screen_init(Screen *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"cols", "rows", NULL};
    PyObject *co = NULL, *ro = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO", kwlist, &co, &ro))
        return -1;
    long cols = 80, rows = 24;
    if ((co && as_long(co, &cols) < 0) || (ro && as_long(ro, &rows) < 0))
        return -1;
    clamp_size(cols, rows, &s->cols, &s->rows);
    Py_XSETREF(s->utf8_carry, PyBytes_FromStringAndSize("", 0));
    Py_INCREF(empty_str);
    Py_XSETREF(s->carry, empty_str);
    Py_XSETREF(s->finished, PyList_New(0));
    if (!s->utf8_carry || !s->finished)
        return -1;
    grid_release(s, &s->main);
    grid_release(s, &s->alt);
    s->has_alt = s->on_alt = 0;
    s->in_string = s->string_esc = s->fed = 0;
    s->ntouched = s->nerased = 0;
    s->x = s->y = s->saved_x = s->saved_y = s->saved_main_x = s->saved_main_y = 0;
    s->top = 0;
    s->bottom = s->rows - 1;
    s->autowrap = 1;
    Py_CLEAR(s->mark);
    return screen_alloc_grids(s);
}

static void Screen_dealloc(Screen *s)
{
    for (int i = 0; i < s->nall; i++) {
        Row *r = s->all[i];
        row_clear_multi(r, 0, r->cap);
        Py_XDECREF(r->shown);
        Py_XDECREF(r->mark);
        Py_XDECREF(r->tmark);
        PyMem_Free(r->multi);
        PyMem_Free(r->cells);
        PyMem_Free(r);
    }
    PyMem_Free(s->all);
    PyMem_Free(s->pool);
    PyMem_Free(s->main.r);
    PyMem_Free(s->alt.r);
    PyMem_Free(s->touched);
    PyMem_Free(s->erased);
    PyMem_Free(s->scratch);
    Py_XDECREF(s->utf8_carry);
    Py_XDECREF(s->carry);
    Py_XDECREF(s->finished);
    Py_XDECREF(s->mark);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

/* split_incomplete_tail (cs.log.utf8) */
static Py_ssize_t complete_len(const unsigned char *d, Py_ssize_t end)
{
    if (!end || d[end - 1] < 0x80)
        return end;
    Py_ssize_t i = end - 1;
    while (i > end - 4 && i > 0 && d[i] >= 0x80 && d[i] < 0xc0)
        i--;
    unsigned char lead = d[i];
    int need = (lead >= 0xc0 && lead < 0xe0) ? 2 : (lead >= 0xe0 && lead < 0xf0) ? 3 : (lead >= 0xf0 && lead < 0xf8) ? 4 : 0;
    if (end - i < need)
        return i;
    return end;
}

/* _skip_string_body: returns the offset in buf where the text resumes (n if nothing) */
static Py_ssize_t skip_string_body(Screen *s, const Py_UCS4 *b, Py_ssize_t n)
{
    if (s->string_esc && n && b[0] == '\\') {
        s->in_string = s->string_esc = 0;
        return 1;
    }
    s->string_esc = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = b[i];
        if (c == 0x07 || c == 0x18 || c == 0x1a) {
            s->in_string = 0;
            return i + 1;
        }
        if (c == 0x1b) {
            s->in_string = 0;
            if (i + 1 < n && b[i + 1] == '\\')
                return i + 2;
            return i; /* an ESC that is not ST aborts the string and begins a sequence */
        }
    }
    s->string_esc = n && b[n - 1] == 0x1b;
    return n;
}

/* _INCOMPLETE.match(text, start): \x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[PX^_][^\x1b]*\x1b?|[ -/]*)\Z */
static int incomplete_at(const Py_UCS4 *b, Py_ssize_t n, Py_ssize_t start)
{
    Py_ssize_t j = start + 1;
    if (j < n && b[j] == '[') {
        j++;
        while (j < n && b[j] >= 0x30 && b[j] <= 0x3f)
            j++;
        while (j < n && b[j] >= 0x20 && b[j] <= 0x2f)
            j++;
        if (j == n)
            return 1;
    }
    j = start + 1;
    if (j < n && b[j] == ']') {
        j++;
        while (j < n && b[j] != 0x07 && b[j] != 0x1b)
            j++;
        if (j == n || (j + 1 == n && b[j] == 0x1b))
            return 1;
    }
    j = start + 1;
    if (j < n && (b[j] == 'P' || b[j] == 'X' || b[j] == '^' || b[j] == '_')) {
        j++;
        while (j < n && b[j] != 0x1b)
            j++;
        if (j == n || (j + 1 == n && b[j] == 0x1b))
            return 1;
    }
    j = start + 1;
    while (j < n && b[j] >= 0x20 && b[j] <= 0x2f)
        j++;
    return j == n;
}

/* _keep_incomplete_tail: the new length of the text; may set carry / in_string */
static Py_ssize_t keep_incomplete_tail(Screen *s, const Py_UCS4 *b, Py_ssize_t n)
{
    Py_ssize_t last = -1;
    for (Py_ssize_t i = n - 1; i >= 0; i--)
        if (b[i] == 0x1b) {
            last = i;
            break;
        }
    if (last < 0 || (last < n - 2 && b[last + 1] == '[' && b[n - 1] >= '@' && b[n - 1] <= '~'))
        return n;
    Py_ssize_t starts[2];
    int ns = 0;
    if (last == n - 1) {
        Py_ssize_t before = -1;
        for (Py_ssize_t i = last - 1; i >= 0; i--)
            if (b[i] == 0x1b) {
                before = i;
                break;
            }
        if (before >= 0)
            starts[ns++] = before;
    }
    starts[ns++] = last;
    for (int k = 0; k < ns; k++) {
        Py_ssize_t start = starts[k];
        if (incomplete_at(b, n, start)) {
            if (start + 1 < n && (b[start + 1] == ']' || b[start + 1] == 'P' || b[start + 1] == 'X' ||
                                  b[start + 1] == '^' || b[start + 1] == '_')) {
                s->in_string = 1;
                s->string_esc = b[n - 1] == 0x1b;
            } else if (n - start <= MAX_CARRY) {
                PyObject *c = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b + start, n - start);
                if (!c)
                    return -1;
                Py_SETREF(s->carry, c);
            }
            return start;
        }
    }
    return n;
}

static int run_text(Screen *s, Py_UCS4 *b, Py_ssize_t n)
{
    /* _SGR.sub("", text): ESC [ [0-9;:]* m removed, left to right */
    Py_ssize_t w = 0, i = 0;
    while (i < n) {
        if (b[i] == 0x1b && i + 1 < n && b[i + 1] == '[') {
            Py_ssize_t j = i + 2;
            while (j < n && ((b[j] >= '0' && b[j] <= '9') || b[j] == ';' || b[j] == ':'))
                j++;
            if (j < n && b[j] == 'm') {
                i = j + 1;
                continue;
            }
        }
        b[w++] = b[i++];
    }
    n = w;
    i = 0;
    while (i < n) {
        Py_ssize_t j = i;
        while (j < n && !is_ctl(b[j]))
            j++;
        if (j > i) {
            int cols = s->cols;
            Py_ssize_t len = j - i;
            int narrow = 1;
            for (Py_ssize_t k = i; k < j; k++)
                if (b[k] >= 0x7f) {
                    narrow = 0;
                    break;
                }
            if (narrow && s->x + len <= cols) {
                Row *r = GRID(s)->r[s->y];
                if (touch(s, r) < 0)
                    return -1;
                int x = s->x, end = x + (int)len;
                if (x && r->cells[x] == 0)
                    set_cell(r, x - 1, ' ');
                if (end < cols && r->cells[end] == 0)
                    set_cell(r, end, ' ');
                row_clear_multi(r, x, end);
                memcpy(r->cells + x, b + i, len * sizeof(Py_UCS4));
                s->x = end;
            } else if (draw(s, b + i, len) < 0) {
                return -1;
            }
        }
        if (j >= n)
            break;
        int kind;
        Py_ssize_t pa = 0, pn = 0;
        Py_UCS4 f = 0;
        i = token(b, n, j, &kind, &pa, &pn, &f);
        switch (kind) {
        case T_CSI:
            if (csi(s, b + pa, pn, f) < 0)
                return -1;
            break;
        case T_CRLF:
            s->x = 0;
            /* fall through */
        case T_CTL:
            if (kind == T_CTL && f == 0x08) {
                cub(s, 1);
                break;
            }
            if (kind == T_CTL && f == '\t') {
                cht(s, 1);
                break;
            }
            if (linefeed(s) < 0)
                return -1;
            break;
        case T_CR:
            s->x = 0;
            break;
        case T_ESC:
            switch (f) {
            case '7':
                s->saved_x = s->x;
                s->saved_y = s->y;
                break;
            case '8':
                restore_cursor(s);
                break;
            case 'D':
                if (linefeed(s) < 0)
                    return -1;
                break;
            case 'E':
                s->x = 0;
                if (linefeed(s) < 0)
                    return -1;
                break;
            case 'M':
                if (reverse_index(s) < 0)
                    return -1;
                break;
            case 'c':
                if (reset(s) < 0)
                    return -1;
                break;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static PyObject *Screen_feed(Screen *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"data", "mark", NULL};
    Py_buffer view;
    PyObject *mark = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|O", kwlist, &view, &mark))
        return NULL;
    PyObject *text = NULL, *ret = NULL;
    Py_UCS4 *b = NULL;
    const unsigned char *data = view.buf;
    Py_ssize_t len = view.len;
    PyObject *joined = NULL;
    if (PyBytes_GET_SIZE(s->utf8_carry)) {
        joined = PyBytes_FromStringAndSize(NULL, PyBytes_GET_SIZE(s->utf8_carry) + len);
        if (!joined)
            goto done;
        memcpy(PyBytes_AS_STRING(joined), PyBytes_AS_STRING(s->utf8_carry), PyBytes_GET_SIZE(s->utf8_carry));
        memcpy(PyBytes_AS_STRING(joined) + PyBytes_GET_SIZE(s->utf8_carry), data, len);
        data = (const unsigned char *)PyBytes_AS_STRING(joined);
        len = PyBytes_GET_SIZE(joined);
    }
    Py_ssize_t complete = complete_len(data, len);
    PyObject *nc = PyBytes_FromStringAndSize((const char *)data + complete, len - complete);
    if (!nc)
        goto done;
    Py_SETREF(s->utf8_carry, nc);
    text = PyUnicode_DecodeUTF8((const char *)data, complete, "replace");
    if (!text)
        goto done;
    Py_ssize_t clen = PyUnicode_GET_LENGTH(s->carry);
    Py_ssize_t tlen = PyUnicode_GET_LENGTH(text);
    b = PyMem_Malloc((clen + tlen + 1) * sizeof(Py_UCS4));
    if (!b) {
        PyErr_NoMemory();
        goto done;
    }
    if (clen && !PyUnicode_AsUCS4(s->carry, b, clen, 0))
        goto done;
    if (tlen && !PyUnicode_AsUCS4(text, b + clen, tlen, 0))
        goto done;
    Py_UCS4 *t = b + clen;
    if (s->in_string) {
        Py_ssize_t skip = skip_string_body(s, t, tlen);
        t += skip;
        tlen -= skip;
    }
    Py_ssize_t n;
    Py_UCS4 *start;
    if (clen) {
        /* text = carry + text */
        memmove(b + clen, t, tlen * sizeof(Py_UCS4));
        start = b;
        n = clen + tlen;
        Py_INCREF(empty_str);
        Py_SETREF(s->carry, empty_str);
    } else {
        start = t;
        n = tlen;
    }
    n = keep_incomplete_tail(s, start, n);
    if (n < 0)
        goto done;
    if (n == 0) {
        ret = Py_None;
        Py_INCREF(ret);
        goto done;
    }
    s->fed = 1;
    Py_XSETREF(s->mark, mark == Py_None ? NULL : (Py_INCREF(mark), mark));
    if (run_text(s, start, n) < 0)
        goto done;
    ret = Py_None;
    Py_INCREF(ret);
done:
    PyMem_Free(b);
    Py_XDECREF(text);
    Py_XDECREF(joined);
    PyBuffer_Release(&view);
    return ret;
}

static PyObject *take_finished(Screen *s)
{
    PyObject *out = s->finished;
    PyObject *fresh = PyList_New(0);
    if (!fresh)
        return NULL;
    s->finished = fresh;
    return out;
}

static PyObject *Screen_pop_finished(Screen *s, PyObject *unused)
{
    if (settle(s) < 0)
        return NULL;
    return take_finished(s);
}

static PyObject *Screen_take_retired(Screen *s, PyObject *unused) { return take_finished(s); }

static PyObject *Screen_visible(Screen *s, PyObject *unused)
{
    if (settle(s) < 0)
        return NULL;
    PyObject *out = PyList_New(0);
    if (!out)
        return NULL;
    for (int k = 0; k < 2; k++) {
        Grid *g = k ? &s->alt : &s->main;
        if (k && !s->has_alt)
            break;
        for (int i = 0; i < g->n; i++) {
            Row *r = g->r[i];
            if (!str_empty(r->shown)) {
                PyObject *t = PyTuple_Pack(2, r->shown, r->mark ? r->mark : Py_None);
                if (!t || PyList_Append(out, t) < 0) {
                    Py_XDECREF(t);
                    Py_DECREF(out);
                    return NULL;
                }
                Py_DECREF(t);
            }
        }
    }
    return out;
}

static PyObject *Screen_display(Screen *s, PyObject *unused)
{
    Grid *g = GRID(s);
    PyObject *out = PyList_New(g->n);
    if (!out)
        return NULL;
    for (int i = 0; i < g->n; i++) {
        PyObject *t = row_text_range(s, g->r[i], s->cols, 0);
        if (!t) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, t);
    }
    return out;
}

static PyObject *Screen_close(Screen *s, PyObject *unused)
{
    if (settle(s) < 0)
        return NULL;
    if (s->has_alt)
        for (int i = 0; i < s->alt.n; i++)
            if (retire(s, s->alt.r[i]) < 0)
                return NULL;
    for (int i = 0; i < s->main.n; i++)
        if (retire(s, s->main.r[i]) < 0)
            return NULL;
    grid_release(s, &s->main);
    grid_release(s, &s->alt);
    s->has_alt = s->on_alt = 0;
    if (grid_fill(s, &s->main, s->rows, s->cols) < 0)
        return NULL;
    return take_finished(s);
}

/* _resize_grid */
static int resize_grid(Screen *s, Grid *g, int is_current, int cols, int rows)
{
    for (int i = 0; i < g->n; i++) {
        Row *r = g->r[i];
        if (cols < s->cols) {
            Py_ssize_t n = row_join(s, r, cols, s->cols);
            if (n < 0)
                return -1;
            int any = 0;
            for (Py_ssize_t k = 0; k < n; k++)
                if (!Py_UNICODE_ISSPACE(s->scratch[k])) {
                    any = 1;
                    break;
                }
            if (any) {
                if (retire(s, r) < 0)
                    return -1;
                PyObject *t = row_text_range(s, r, cols, 0);
                if (!t)
                    return -1;
                Py_SETREF(r->shown, t);
            }
            /* del cells[cols:]: blanks up to the old width, which the
             * right-stripped text of this row cannot tell apart */
            row_clear_multi(r, cols, r->cap);
            for (int k = cols; k < s->cols; k++)
                r->cells[k] = ' ';
            if (r->cells[cols - 1] == 0)
                r->cells[cols - 1] = ' ';
        } else {
            if (r->cap < cols) {
                Py_UCS4 *c = PyMem_Realloc(r->cells, cols * sizeof(Py_UCS4));
                if (!c) {
                    PyErr_NoMemory();
                    return -1;
                }
                r->cells = c;
                if (r->multi) {
                    PyObject **m = PyMem_Realloc(r->multi, cols * sizeof(PyObject *));
                    if (!m) {
                        PyErr_NoMemory();
                        return -1;
                    }
                    memset(m + r->cap, 0, (cols - r->cap) * sizeof(PyObject *));
                    r->multi = m;
                }
                r->cap = cols;
            }
            for (int k = s->cols; k < cols; k++) {
                r->cells[k] = ' ';
                if (r->multi)
                    Py_CLEAR(r->multi[k]);
            }
        }
    }
    /* the rows are `cols` wide now: what leaves is judged at that width */
    int old_cols = s->cols, rc = 0;
    s->cols = cols;
    while (g->n > rows) {
        Row *last = g->r[g->n - 1];
        int blank = 0;
        if (is_current && g->n - 1 > s->y && str_empty(last->shown)) {
            /* not grid[-1].text(), at the new width */
            Py_ssize_t n = row_join(s, last, 0, cols);
            if (n < 0) {
                rc = -1;
                break;
            }
            blank = 1;
            for (Py_ssize_t k = 0; k < n; k++)
                if (!Py_UNICODE_ISSPACE(s->scratch[k])) {
                    blank = 0;
                    break;
                }
        }
        if (blank) {
            g->n--;
            row_release(s, last);
        } else {
            Row *r = g->r[0];
            memmove(g->r, g->r + 1, (g->n - 1) * sizeof(Row *));
            g->n--;
            rc = retire(s, r);
            row_release(s, r);
            if (rc < 0)
                break;
            if (is_current)
                s->y = s->y - 1 > 0 ? s->y - 1 : 0;
        }
    }
    if (rc == 0)
        rc = grid_fill(s, g, rows, cols);
    s->cols = old_cols;
    return rc;
}

static PyObject *Screen_resize(Screen *s, PyObject *args)
{
    PyObject *co, *ro;
    if (!PyArg_ParseTuple(args, "OO", &co, &ro))
        return NULL;
    long cl, rl;
    if (as_long(co, &cl) < 0 || as_long(ro, &rl) < 0)
        return NULL;
    int cols, rows;
    clamp_size(cl, rl, &cols, &rows);
    if (cols == s->cols && rows == s->rows)
        Py_RETURN_NONE;
    if (settle(s) < 0)
        return NULL;
    if (resize_grid(s, &s->main, !s->on_alt, cols, rows) < 0)
        return NULL;
    if (s->has_alt && resize_grid(s, &s->alt, s->on_alt, cols, rows) < 0)
        return NULL;
    s->cols = cols;
    s->rows = rows;
    s->top = 0;
    s->bottom = rows - 1;
    if (s->x > cols - 1)
        s->x = cols - 1;
    if (s->y > rows - 1)
        s->y = rows - 1;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------ state */

static PyObject *cell_str(Row *r, int i)
{
    if (r->multi && r->multi[i]) {
        Py_INCREF(r->multi[i]);
        return r->multi[i];
    }
    if (!r->cells[i]) {
        Py_INCREF(empty_str);
        return empty_str;
    }
    return PyUnicode_FromOrdinal(r->cells[i]);
}

static PyObject *row_state(Screen *s, Row *r)
{
    PyObject *cells = PyList_New(s->cols);
    if (!cells)
        return NULL;
    for (int i = 0; i < s->cols; i++) {
        PyObject *c = cell_str(r, i);
        if (!c) {
            Py_DECREF(cells);
            return NULL;
        }
        PyList_SET_ITEM(cells, i, c);
    }
    return Py_BuildValue("(NOOiOiO)", cells, r->shown, r->mark ? r->mark : Py_None, r->dirty,
                         r->tmark ? r->tmark : Py_None, r->erased, r->wrapped ? Py_True : Py_False);
}

static PyObject *grid_state(Screen *s, Grid *g)
{
    PyObject *out = PyList_New(g->n);
    if (!out)
        return NULL;
    for (int i = 0; i < g->n; i++) {
        PyObject *t = row_state(s, g->r[i]);
        if (!t) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, t);
    }
    return out;
}

/* [(0 main / 1 alt, index)] for the live entries of a list of row references */
static PyObject *refs_state(Screen *s, RowRef *refs, Py_ssize_t n, int want_dirty)
{
    PyObject *out = PyList_New(0);
    if (!out)
        return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        Row *r = refs[k].row;
        if (r->gen != refs[k].gen || !(want_dirty ? r->dirty : r->erased))
            continue;
        for (int gi = 0; gi < 2; gi++) {
            Grid *g = gi ? &s->alt : &s->main;
            if (gi && !s->has_alt)
                break;
            for (int i = 0; i < g->n; i++)
                if (g->r[i] == r) {
                    PyObject *t = Py_BuildValue("(ii)", gi, i);
                    if (!t || PyList_Append(out, t) < 0) {
                        Py_XDECREF(t);
                        Py_DECREF(out);
                        return NULL;
                    }
                    Py_DECREF(t);
                    gi = 2;
                    break;
                }
        }
    }
    return out;
}

static PyObject *Screen_getstate(Screen *s, PyObject *unused)
{
    PyObject *alt = Py_None;
    Py_INCREF(alt);
    if (s->has_alt) {
        Py_DECREF(alt);
        alt = grid_state(s, &s->alt);
        if (!alt)
            return NULL;
    }
    PyObject *finished = PyList_GetSlice(s->finished, 0, PY_SSIZE_T_MAX);
    return Py_BuildValue("{s:i,s:i,s:i,s:i,s:(ii),s:(ii),s:i,s:i,s:O,s:O,s:O,s:O,s:O,s:O,s:N,s:O,s:N,s:N,s:N,s:N}",
                         "cols", s->cols, "rows", s->rows, "x", s->x, "y", s->y, "saved", s->saved_x, s->saved_y,
                         "saved_main", s->saved_main_x, s->saved_main_y, "top", s->top, "bottom", s->bottom,
                         "autowrap", s->autowrap ? Py_True : Py_False, "utf8_carry", s->utf8_carry, "in_string",
                         s->in_string ? Py_True : Py_False, "string_esc", s->string_esc ? Py_True : Py_False, "fed",
                         s->fed ? Py_True : Py_False, "carry", s->carry, "finished", finished, "mark",
                         s->mark ? s->mark : Py_None, "main", grid_state(s, &s->main), "alt", alt, "touched",
                         refs_state(s, s->touched, s->ntouched, 1), "erased",
                         refs_state(s, s->erased, s->nerased, 0));
}

static int get_int(PyObject *d, const char *key, int *out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v) {
        PyErr_Format(PyExc_KeyError, "%s", key);
        return -1;
    }
    long l = PyLong_AsLong(v);
    if (l == -1 && PyErr_Occurred())
        return -1;
    *out = (int)l;
    return 0;
}

static int get_bool(PyObject *d, const char *key, int *out)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v) {
        PyErr_Format(PyExc_KeyError, "%s", key);
        return -1;
    }
    int t = PyObject_IsTrue(v);
    if (t < 0)
        return -1;
    *out = t;
    return 0;
}

static int get_pair(PyObject *d, const char *key, int *a, int *b)
{
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v) {
        PyErr_Format(PyExc_KeyError, "%s", key);
        return -1;
    }
    return PyArg_ParseTuple(v, "ii", a, b) ? 0 : -1;
}

static int load_grid(Screen *s, Grid *g, PyObject *rows)
{
    Py_ssize_t n = PyList_Size(rows);
    if (n < 0)
        return -1;
    if (n != s->rows) {
        PyErr_SetString(PyExc_ValueError, "grid size");
        return -1;
    }
    if (grid_fill(s, g, (int)n, s->cols) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *cells, *shown, *mark, *tmark;
        int dirty, erased, wrapped = 0;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(rows, i), "OUOpOp|p", &cells, &shown, &mark, &dirty, &tmark, &erased,
                              &wrapped))
            return -1;
        Row *r = g->r[i];
        if (!PyList_Check(cells) || PyList_GET_SIZE(cells) != s->cols) {
            PyErr_SetString(PyExc_ValueError, "row size");
            return -1;
        }
        for (int k = 0; k < s->cols; k++) {
            PyObject *c = PyList_GET_ITEM(cells, k);
            if (!PyUnicode_Check(c)) {
                PyErr_SetString(PyExc_TypeError, "cell");
                return -1;
            }
            Py_ssize_t len = PyUnicode_GET_LENGTH(c);
            if (len == 0)
                r->cells[k] = 0;
            else {
                r->cells[k] = PyUnicode_READ_CHAR(c, 0);
                if (len > 1) {
                    if (row_multi(r) < 0)
                        return -1;
                    Py_INCREF(c);
                    Py_XSETREF(r->multi[k], c);
                }
            }
        }
        Py_INCREF(shown);
        Py_SETREF(r->shown, shown);
        Py_XSETREF(r->mark, mark == Py_None ? NULL : (Py_INCREF(mark), mark));
        Py_XSETREF(r->tmark, tmark == Py_None ? NULL : (Py_INCREF(tmark), tmark));
        r->dirty = dirty;
        r->erased = erased;
        r->wrapped = wrapped;
    }
    return 0;
}

static int load_refs(Screen *s, PyObject *list, RowRef **refs, Py_ssize_t *n, Py_ssize_t *cap)
{
    Py_ssize_t len = PyList_Size(list);
    if (len < 0)
        return -1;
    *n = 0;
    for (Py_ssize_t k = 0; k < len; k++) {
        int gi, i;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(list, k), "ii", &gi, &i))
            return -1;
        Grid *g = gi ? &s->alt : &s->main;
        if ((gi && !s->has_alt) || i < 0 || i >= g->n) {
            PyErr_SetString(PyExc_ValueError, "row reference");
            return -1;
        }
        if (grow_refs(refs, cap, *n) < 0)
            return -1;
        (*refs)[*n].row = g->r[i];
        (*refs)[*n].gen = g->r[i]->gen;
        (*n)++;
    }
    return 0;
}

static PyObject *Screen_setstate(Screen *s, PyObject *d)
{
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "state must be a dict");
        return NULL;
    }
    int cols, rows, b;
    if (get_int(d, "cols", &cols) < 0 || get_int(d, "rows", &rows) < 0)
        return NULL;
    clamp_size(cols, rows, &s->cols, &s->rows);
    grid_release(s, &s->main);
    grid_release(s, &s->alt);
    s->has_alt = s->on_alt = 0;
    if (get_int(d, "x", &s->x) < 0 || get_int(d, "y", &s->y) < 0 ||
        get_pair(d, "saved", &s->saved_x, &s->saved_y) < 0 ||
        get_pair(d, "saved_main", &s->saved_main_x, &s->saved_main_y) < 0 || get_int(d, "top", &s->top) < 0 ||
        get_int(d, "bottom", &s->bottom) < 0 || get_bool(d, "autowrap", &s->autowrap) < 0 ||
        get_bool(d, "in_string", &s->in_string) < 0 || get_bool(d, "string_esc", &s->string_esc) < 0 ||
        get_bool(d, "fed", &s->fed) < 0)
        return NULL;
    PyObject *v;
    if (!(v = PyDict_GetItemString(d, "utf8_carry")) || !PyBytes_Check(v))
        return PyErr_Format(PyExc_ValueError, "utf8_carry");
    Py_INCREF(v);
    Py_XSETREF(s->utf8_carry, v);
    if (!(v = PyDict_GetItemString(d, "carry")) || !PyUnicode_Check(v))
        return PyErr_Format(PyExc_ValueError, "carry");
    Py_INCREF(v);
    Py_XSETREF(s->carry, v);
    if (!(v = PyDict_GetItemString(d, "finished")) || !PyList_Check(v))
        return PyErr_Format(PyExc_ValueError, "finished");
    Py_XSETREF(s->finished, PyList_GetSlice(v, 0, PY_SSIZE_T_MAX));
    if (!s->finished)
        return NULL;
    v = PyDict_GetItemString(d, "mark");
    Py_XSETREF(s->mark, (!v || v == Py_None) ? NULL : (Py_INCREF(v), v));
    if (!(v = PyDict_GetItemString(d, "main")) || load_grid(s, &s->main, v) < 0)
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "main");
    v = PyDict_GetItemString(d, "alt");
    if (v && v != Py_None) {
        if (load_grid(s, &s->alt, v) < 0)
            return NULL;
        s->has_alt = s->on_alt = 1;
    }
    (void)b;
    if (!(v = PyDict_GetItemString(d, "touched")) || load_refs(s, v, &s->touched, &s->ntouched, &s->captouched) < 0)
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "touched");
    if (!(v = PyDict_GetItemString(d, "erased")) || load_refs(s, v, &s->erased, &s->nerased, &s->caperased) < 0)
        return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "erased");
    if (s->x < 0 || s->x > s->cols || s->y < 0 || s->y >= s->rows || s->top < 0 || s->bottom >= s->rows ||
        s->top > s->bottom)
        return PyErr_Format(PyExc_ValueError, "cursor or region out of the grid");
    Py_RETURN_NONE;
}

static PyObject *Screen_reduce(Screen *s, PyObject *unused)
{
    PyObject *state = Screen_getstate(s, NULL);
    if (!state)
        return NULL;
    return Py_BuildValue("(O(N))", py_restore, state);
}

static PyObject *Screen_get_cols(Screen *s, void *c) { return PyLong_FromLong(s->cols); }
static PyObject *Screen_get_rows(Screen *s, void *c) { return PyLong_FromLong(s->rows); }
static PyObject *Screen_get_x(Screen *s, void *c) { return PyLong_FromLong(s->x); }
static PyObject *Screen_get_y(Screen *s, void *c) { return PyLong_FromLong(s->y); }

static PyGetSetDef Screen_getset[] = {
    {"cols", (getter)Screen_get_cols, NULL, NULL, NULL},
    {"rows", (getter)Screen_get_rows, NULL, NULL, NULL},
    {"x", (getter)Screen_get_x, NULL, NULL, NULL},
    {"y", (getter)Screen_get_y, NULL, NULL, NULL},
    {NULL},
};

static PyMethodDef Screen_methods[] = {
    {"feed", (PyCFunction)(void (*)(void))Screen_feed, METH_VARARGS | METH_KEYWORDS, "feed(data, mark=None)"},
    {"pop_finished", (PyCFunction)Screen_pop_finished, METH_NOARGS, NULL},
    {"take_retired", (PyCFunction)Screen_take_retired, METH_NOARGS, NULL},
    {"visible", (PyCFunction)Screen_visible, METH_NOARGS, NULL},
    {"display", (PyCFunction)Screen_display, METH_NOARGS, NULL},
    {"close", (PyCFunction)Screen_close, METH_NOARGS, NULL},
    {"resize", (PyCFunction)Screen_resize, METH_VARARGS, NULL},
    {"state", (PyCFunction)Screen_getstate, METH_NOARGS, "the renderer's state as plain Python values"},
    {"load_state", (PyCFunction)Screen_setstate, METH_O, "load a state() dict"},
    {"__reduce__", (PyCFunction)Screen_reduce, METH_NOARGS, NULL},
    {NULL},
};

static PyTypeObject ScreenType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cs.index._screen.Screen",
    .tp_basicsize = sizeof(Screen),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Native ScreenText (cs.index.screen is the reference).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Screen_init,
    .tp_dealloc = (destructor)Screen_dealloc,
    .tp_methods = Screen_methods,
    .tp_getset = Screen_getset,
};

static PyObject *setup(PyObject *mod, PyObject *args)
{
    PyObject *a, *b, *c, *d, *e;
    if (!PyArg_ParseTuple(args, "OOOOO", &a, &b, &c, &d, &e))
        return NULL;
    Py_INCREF(a);
    Py_XSETREF(py_same_line, a);
    Py_INCREF(b);
    Py_XSETREF(py_char_width, b);
    Py_INCREF(c);
    Py_XSETREF(py_combining, c);
    Py_INCREF(d);
    Py_XSETREF(py_nfc, d);
    Py_INCREF(e);
    Py_XSETREF(py_restore, e);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"setup", setup, METH_VARARGS, "setup(same_line, char_width, combining, nfc, restore)"},
    {NULL},
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_screen", "Native core of cs.index.screen.", -1,
                                       module_methods};

PyMODINIT_FUNC PyInit__screen(void)
{
    empty_str = PyUnicode_FromString("");
    if (!empty_str || PyType_Ready(&ScreenType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m)
        return NULL;
    Py_INCREF(&ScreenType);
    if (PyModule_AddObject(m, "Screen", (PyObject *)&ScreenType) < 0) {
        Py_DECREF(&ScreenType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
