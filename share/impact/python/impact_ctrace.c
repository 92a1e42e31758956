/*
 * _impact_ctrace: the per-call hot path of impact's recorder
 * (impact_record.py) on CPython 3.9-3.11, in C.
 *
 * There, the pure-Python hook is a sys.settrace function that Python calls
 * for every function call; most calls are of code seen before (outside the
 * repository, or already recorded in the current sink) and the hook only
 * looks them up. Worse, any trace or profile function puts 3.11's
 * interpreter in its tracing mode (every instruction dispatched through
 * the tracing check, specialised instructions turned off, a frame object
 * made for every call): about 2x on a call-heavy suite even when the
 * function does nothing. So this is a PEP 523 frame evaluation hook
 * instead (_PyInterpreterState_SetEvalFrameFunc, what debuggers' "frame
 * eval" modes use): every Python frame that starts (a call, a generator
 * resumed, a module body) in any thread passes here first, and the
 * interpreter otherwise runs as usual. The hook does the pure-Python
 * hook's look-ups without a Python call: a table from code object to its
 * kind (and its id as a Python int), and for a repository function whether
 * that id is in the recorder's current sink dict (impact_record._cur).
 * Anything else (a code object not classified yet, a function first seen in
 * this sink, a module body) goes to impact_record._c_call, which runs the
 * very code of the pure-Python hook's slow path, so both give the same
 * records. When a module body whose import began there ends (returned or
 * raised), impact_record._c_return ends that import.
 *
 * What it does not do: classify code objects, keep sinks or write records
 * (all of that stays in impact_record.py, where it is not hot). It never
 * raises into the traced program: an error of the Python side is cleared.
 * It leaves sys.settrace and sys.setprofile to debuggers, coverage and
 * profilers; when another frame evaluation hook is installed it steps back
 * (install() is False) and the recorder keeps its pure-Python hook. The
 * build makes it for the Python it finds, and impact_record.py loads it only
 * through the file name carrying the running interpreter's ABI tag.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#if PY_VERSION_HEX >= 0x030B0000
/* 3.11's frames (struct _PyInterpreterFrame: f_code) are internal. */
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
#endif

#include "impact_audit.h"

#if PY_VERSION_HEX < 0x03090000 || PY_VERSION_HEX >= 0x030C0000
#error "_impact_ctrace is for CPython 3.9 to 3.11"
#endif

/* Kinds, as impact_record.py numbers them. */
enum { KIND_IGNORE = 0, KIND_FUNC = 1, KIND_MODULE = 2, KIND_FILE = 3 };

typedef struct {
	PyObject *code;   /* strong; NULL: empty slot */
	PyObject *id;     /* id(code) as a Python int, strong */
	int kind;
} entry;

typedef struct {
	PyObject_HEAD
	PyObject *globals;   /* impact_record's module dict */
	PyObject *slow;      /* impact_record._c_call(frame, id, kind or None) -> kind */
	PyObject *modret;    /* impact_record._c_return(code) */
	PyObject *cur_name;  /* "_cur" */
	PyObject *kind_name; /* "_kind" */
	entry *slots;
	size_t cap;          /* a power of two */
	size_t used;
	int active;
	unsigned long calls_to_python;
} tracer;

static size_t slot_of(const tracer *t, const void *code)
{
	uintptr_t h = (uintptr_t)code >> 4;
	h *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	return (size_t)(h ^ (h >> 29)) & (t->cap - 1);
}

static entry *lookup(tracer *t, PyObject *code)
{
	size_t i = slot_of(t, code);
	for (;;) {
		entry *e = &t->slots[i];
		if (e->code == code)
			return e;
		if (!e->code)
			return NULL;
		i = (i + 1) & (t->cap - 1);
	}
}

static int grow(tracer *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 4096, i;
	entry *old = t->slots, *ns = PyMem_Calloc(ncap, sizeof(entry));
	size_t ocap = t->cap;
	if (!ns)
		return -1;
	t->slots = ns;
	t->cap = ncap;
	for (i = 0; i < ocap; i++) {
		if (old[i].code) {
			size_t j = slot_of(t, old[i].code);
			while (ns[j].code)
				j = (j + 1) & (ncap - 1);
			ns[j] = old[i];
		}
	}
	PyMem_Free(old);
	return 0;
}

/* Remember code's kind; takes new references. Returns the entry or NULL. */
static entry *remember(tracer *t, PyObject *code, PyObject *id, int kind)
{
	entry *e;
	if ((t->used + 1) * 2 > t->cap && grow(t) < 0)
		return NULL;
	{
		size_t i = slot_of(t, code);
		while (t->slots[i].code && t->slots[i].code != code)
			i = (i + 1) & (t->cap - 1);
		e = &t->slots[i];
	}
	if (e->code)
		return e;
	Py_INCREF(code);
	Py_INCREF(id);
	e->code = code;
	e->id = id;
	e->kind = kind;
	t->used++;
	return e;
}

static int kind_of(PyObject *o, int *out)
{
	long k;
	if (!o || !PyLong_Check(o))
		return -1;
	k = PyLong_AsLong(o);
	if (k < -3 || k > 3) {
		PyErr_Clear();
		return -1;
	}
	*out = (int)k;
	return 0;
}

/* The frame evaluation hook has no argument of its own: the one tracer in
 * use is here (set by install, kept for the process's life). */
static tracer *the_tracer;
/* Set while this thread runs the Python side: what that runs is not traced,
 * as a trace function's own calls are not. */
static _Thread_local int busy;

#if PY_VERSION_HEX >= 0x030B0000
#define FRAME_T struct _PyInterpreterFrame
#define FRAME_CODE(f) ((PyObject *)(f)->f_code)
#else
#define FRAME_T PyFrameObject
#define FRAME_CODE(f) ((PyObject *)(f)->f_code)
#endif

/* The kind of `code` as the recorder classified it (-1: not yet), and its
 * entry, caching what impact_record._kind says. */
static int known_kind(tracer *t, PyObject *code, entry **out)
{
	entry *e = lookup(t, code);
	PyObject *kinds, *id, *k;
	int kind;
	*out = e;
	if (e)
		return e->kind;
	kinds = PyDict_GetItem(t->globals, t->kind_name);
	if (!kinds || !PyDict_Check(kinds) || !(id = PyLong_FromVoidPtr(code)))
		return -1;
	k = PyDict_GetItem(kinds, id);
	if (!k || kind_of(k, &kind) < 0 || kind < 0) {
		Py_DECREF(id);
		return -1;
	}
	*out = remember(t, code, id, kind);
	Py_DECREF(id);
	return *out ? kind : -1;
}

/* impact_record._caller's call site: id << 32 | (at + 1), one int. */
static PyObject *site_of(PyObject *id, int at)
{
	PyObject *shift = PyLong_FromLong(32), *low = PyLong_FromLong((long)at + 1), *hi = NULL,
	         *out = NULL;
	if (shift && low && (hi = PyNumber_Lshift(id, shift)))
		out = PyNumber_Or(hi, low);
	Py_XDECREF(shift);
	Py_XDECREF(low);
	Py_XDECREF(hi);
	return out;
}

/*
 * A repository function `e` starts, not yet in the current sink `cur` (a
 * plain dict): do what impact_record._enter does then, `cur[id] =
 * _caller(frame)` (the nearest repository code object up the stack, at
 * most 64 frames, with where it is: f_lasti from 3.10 on, else the line,
 * in one int as impact_record._caller makes it), without calling Python. 0 when
 * done; -1 when Python must do it (a frame on the way not classified yet,
 * or an error, cleared).
 */
static int enter_fast(tracer *t, entry *e, PyObject *cur, PyThreadState *ts, FRAME_T *frame)
{
	PyObject *caller = NULL;
	int n = 0, rc = -1;
#if PY_VERSION_HEX >= 0x030B0000
	struct _PyInterpreterFrame *f = ts->cframe->current_frame;
	(void)frame;
	for (; f && n < 64; f = f->previous) {
		entry *ce;
		int k;
		if (_PyFrame_IsIncomplete(f))
			continue;   /* f_back skips these */
		if ((k = known_kind(t, (PyObject *)f->f_code, &ce)) < 0)
			return -1;
		if (k) {
			/* frame.f_lasti: the line is worked out later, where needed */
			int lasti = _PyInterpreterFrame_LASTI(f);
			lasti = lasti < 0 ? -1 : lasti * (int)sizeof(_Py_CODEUNIT);
			if (!(caller = site_of(ce->id, lasti)))
				goto done;
			break;
		}
		n++;
	}
#else
	PyFrameObject *f = frame->f_back;
	(void)ts;
	for (; f && n < 64; f = f->f_back) {
		entry *ce;
		int k;
		if ((k = known_kind(t, (PyObject *)f->f_code, &ce)) < 0)
			return -1;
		if (k) {
#if PY_VERSION_HEX >= 0x030A0000
			/* frame.f_lasti (in bytes): the line is worked out later */
			int site = f->f_lasti < 0 ? -1 : f->f_lasti * (int)sizeof(_Py_CODEUNIT);
#else
			int site = PyFrame_GetLineNumber(f);
#endif
			if (!(caller = site_of(ce->id, site)))
				goto done;
			break;
		}
		n++;
	}
#endif
	rc = PyDict_SetItem(cur, e->id, caller ? caller : Py_None) == 0 ? 0 : -1;
done:
	Py_XDECREF(caller);
	if (rc < 0)
		PyErr_Clear();
	return rc;
}

/* A frame of `code` starts: the pure-Python hook's fast path (`k == 0 or
 * (k == 1 and i in _cur)`), else impact_record._c_call. Returns 1 when an
 * import began there (its end goes to _c_return), else 0. Errors are
 * cleared; a pending exception (a generator's throw()) is kept. */
static int on_start(tracer *t, PyObject *code, PyThreadState *ts, FRAME_T *frame)
{
	PyObject *id = NULL, *res = NULL, *et, *ev, *tb;
	entry *e = lookup(t, code);
	int kind = -1, began = 0;
	if (e) {
		if (e->kind == KIND_IGNORE)
			return 0;
		if (e->kind == KIND_FUNC) {
			PyObject *cur = PyDict_GetItem(t->globals, t->cur_name);
			if (cur && PyDict_Check(cur) && PyDict_Contains(cur, e->id) == 1)
				return 0;
			/* a child's sink writes as it goes (a dict subclass): Python's */
			if (cur && PyDict_CheckExact(cur)) {
				int done;
				PyErr_Fetch(&et, &ev, &tb);   /* a generator's throw() */
				done = enter_fast(t, e, cur, ts, frame) == 0;
				PyErr_Restore(et, ev, tb);
				if (done)
					return 0;
			}
		}
	}
	PyErr_Fetch(&et, &ev, &tb);
	busy = 1;
	if (e) {
		id = e->id;
		Py_INCREF(id);
		kind = e->kind;
	} else {
		PyObject *kinds = PyDict_GetItem(t->globals, t->kind_name);
		PyObject *k = NULL;
		if (!(id = PyLong_FromVoidPtr(code)))
			goto done;
		if (kinds && PyDict_Check(kinds))
			k = PyDict_GetItem(kinds, id);
		if (k && kind_of(k, &kind) == 0 && kind >= 0) {
			remember(t, code, id, kind);
			if (kind == KIND_IGNORE)
				goto done;
			if (kind == KIND_FUNC) {
				PyObject *cur = PyDict_GetItem(t->globals, t->cur_name);
				if (cur && PyDict_Check(cur) && PyDict_Contains(cur, id) == 1)
					goto done;
			}
		} else {
			kind = -1;
		}
	}
	t->calls_to_python++;
	if (kind >= 0)
		res = PyObject_CallFunction(t->slow, "OOi", code, id, kind);
	else
		res = PyObject_CallFunction(t->slow, "OOO", code, id, Py_None);
	if (res) {
		int k;
		if (kind_of(res, &k) == 0) {
			began = k < 0;
			if (kind < 0)
				remember(t, code, id, k < 0 ? -k : k);
		}
	}
done:
	Py_XDECREF(res);
	Py_XDECREF(id);
	PyErr_Clear();
	busy = 0;
	PyErr_Restore(et, ev, tb);
	return began;
}

/* The module body whose import began in on_start ended (returned or
 * raised): impact_record._c_return ends the import. */
static void on_end(tracer *t, PyObject *code)
{
	PyObject *res, *et, *ev, *tb;
	PyErr_Fetch(&et, &ev, &tb);
	busy = 1;
	res = PyObject_CallFunctionObjArgs(t->modret, code, NULL);
	Py_XDECREF(res);
	PyErr_Clear();
	busy = 0;
	PyErr_Restore(et, ev, tb);
}


/* PEP 523: every Python frame (a call, a generator resumed, a module
 * body) is evaluated through here while the tracer is installed. Unlike a
 * trace or profile function this leaves the interpreter out of its tracing
 * mode (which in 3.11 also turns off its specialised instructions), so a
 * call already counted costs a table look-up and nothing else. */
static PyObject *eval_frame(PyThreadState *ts, FRAME_T *f, int exc)
{
	tracer *t = the_tracer;
	PyObject *code, *r;
	int began;
	if (!t || !t->active || busy)
		return _PyEval_EvalFrameDefault(ts, f, exc);
#if PY_VERSION_HEX >= 0x030B0000
	/* A generator's (or coroutine's) frame first runs at the call only to
	 * make the generator (RETURN_GENERATOR); a trace function sees it start
	 * when it is first resumed, and so does this. */
	if ((f->f_code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)) &&
	    f->prev_instr + 1 == _PyCode_CODE(f->f_code))
		return _PyEval_EvalFrameDefault(ts, f, exc);
#endif
	code = FRAME_CODE(f);
	Py_INCREF(code);
	began = on_start(t, code, ts, f);
	r = _PyEval_EvalFrameDefault(ts, f, exc);
	if (began)
		on_end(t, code);
	Py_DECREF(code);
	return r;
}

/* ------------------------------------------------------------ the type */

static int tracer_init(PyObject *self, PyObject *args, PyObject *kw)
{
	tracer *t = (tracer *)self;
	PyObject *globals, *slow, *modret;
	static char *names[] = { "globals", "slow", "modret", NULL };
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O!OO", names, &PyDict_Type, &globals,
	                                 &slow, &modret))
		return -1;
	if (t->globals) {
		PyErr_SetString(PyExc_RuntimeError, "tracer already initialised");
		return -1;
	}
	if (!(t->cur_name = PyUnicode_InternFromString("_cur")) ||
	    !(t->kind_name = PyUnicode_InternFromString("_kind")))
		return -1;
	if (grow(t) < 0) {
		PyErr_NoMemory();
		return -1;
	}
	Py_INCREF(globals);
	Py_INCREF(slow);
	Py_INCREF(modret);
	t->globals = globals;
	t->slow = slow;
	t->modret = modret;
	return 0;
}

static void tracer_dealloc(PyObject *self)
{
	tracer *t = (tracer *)self;
	size_t i;
	for (i = 0; i < t->cap; i++) {
		Py_XDECREF(t->slots[i].code);
		Py_XDECREF(t->slots[i].id);
	}
	PyMem_Free(t->slots);
	Py_XDECREF(t->globals);
	Py_XDECREF(t->slow);
	Py_XDECREF(t->modret);
	Py_XDECREF(t->cur_name);
	Py_XDECREF(t->kind_name);
	Py_TYPE(self)->tp_free(self);
}

/* Installs the hook for the whole interpreter (every thread). False when
 * another frame evaluation hook is there (a debugger's): the caller keeps
 * its pure-Python hook then. */
static PyObject *tracer_install(PyObject *self, PyObject *unused)
{
	PyInterpreterState *interp = PyThreadState_Get()->interp;
	_PyFrameEvalFunction cur = _PyInterpreterState_GetEvalFrameFunc(interp);
	(void)unused;
	if (cur != eval_frame && cur != _PyEval_EvalFrameDefault)
		Py_RETURN_FALSE;
	if (the_tracer && the_tracer != (tracer *)self && the_tracer->active)
		Py_RETURN_FALSE;
	if (the_tracer != (tracer *)self) {
		/* a tracer stopped before (recording started again): the old one
		 * is never freed, a thread may still be inside the hook with it */
		Py_INCREF(self);
		the_tracer = (tracer *)self;
	}
	((tracer *)self)->active = 1;
	_PyInterpreterState_SetEvalFrameFunc(interp, eval_frame);
	Py_RETURN_TRUE;
}

/* Stops counting (threads still running included) and takes the hook off
 * when it is still there. */
static PyObject *tracer_uninstall(PyObject *self, PyObject *unused)
{
	PyInterpreterState *interp = PyThreadState_Get()->interp;
	(void)unused;
	((tracer *)self)->active = 0;
	if (_PyInterpreterState_GetEvalFrameFunc(interp) == eval_frame)
		_PyInterpreterState_SetEvalFrameFunc(interp, _PyEval_EvalFrameDefault);
	Py_RETURN_NONE;
}

/* Whether the hook is still the interpreter's (nobody replaced it). */
static PyObject *tracer_intact(PyObject *self, PyObject *unused)
{
	PyInterpreterState *interp = PyThreadState_Get()->interp;
	(void)unused;
	return PyBool_FromLong(((tracer *)self)->active &&
	                       _PyInterpreterState_GetEvalFrameFunc(interp) == eval_frame);
}

static PyObject *tracer_stats(PyObject *self, PyObject *unused)
{
	tracer *t = (tracer *)self;
	(void)unused;
	return Py_BuildValue("{s:n,s:k}", "codes", (Py_ssize_t)t->used,
	                     "calls_to_python", t->calls_to_python);
}

static PyMethodDef tracer_methods[] = {
	{ "install", tracer_install, METH_NOARGS,
	  "Start counting in every thread; False when another hook is there." },
	{ "uninstall", tracer_uninstall, METH_NOARGS,
	  "Stop counting; take the hook off when it is still there." },
	{ "intact", tracer_intact, METH_NOARGS,
	  "Whether the hook is still the interpreter's." },
	{ "stats", tracer_stats, METH_NOARGS,
	  "{'codes': code objects known, 'calls_to_python': slow-path calls}." },
	{ NULL, NULL, 0, NULL }
};

static PyTypeObject tracer_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_impact_ctrace.Tracer",
	.tp_basicsize = sizeof(tracer),
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Tracer(globals, slow, modret): impact's frame evaluation hook.",
	.tp_new = PyType_GenericNew,
	.tp_init = tracer_init,
	.tp_dealloc = tracer_dealloc,
	.tp_methods = tracer_methods,
};

static PyMethodDef module_methods[] = {
	IMPACT_AUDIT_METHOD,
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "_impact_ctrace",
	.m_doc = "impact's recorder: the per-call hot path in C (Python 3.8-3.11).",
	.m_size = -1,
	.m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__impact_ctrace(void)
{
	PyObject *m;
	if (PyType_Ready(&tracer_type) < 0)
		return NULL;
	if (!(m = PyModule_Create(&module)))
		return NULL;
	Py_INCREF(&tracer_type);
	if (PyModule_AddObject(m, "Tracer", (PyObject *)&tracer_type) < 0 ||
	    PyModule_AddObject(m, "built_for", Py_BuildValue("(ii)", PY_MAJOR_VERSION,
	                                                     PY_MINOR_VERSION)) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
