/*
 * _impact_cmon: the per-event hot path of impact's recorder
 * (impact_record.py) on CPython 3.12 and later, in C.
 *
 * There the recorder traces with sys.monitoring: repository code gets a
 * local PY_START event whose callback records the function in the current
 * sink with its caller's call site; the second start in the same sink
 * returns DISABLE, and at each sink boundary the code objects disabled
 * are re-armed (their local events turned off and on again), so every
 * repository function calls back once or twice per test. A function that
 * starts once per test (most of a suite of short tests) is never disabled
 * and never re-armed: re-arming re-instruments the code object twice
 * (CPython's _Py_Instrument), which costs more than a second callback. On a suite of short tests that is a hundred thousand
 * callbacks, and a Python callback costs a frame, its look-ups and a
 * frame object for the caller (about 2 us each on jinja's suite).
 *
 * Rstart is that callback as a C callable: the same look-ups in
 * impact_record's own tables (_kind, _cur, _fired), the caller's site
 * from the frame API, and the very Python code for everything else (a
 * module body starting, a caller outside the repository: impact_record's
 * _on_rstart and _caller_at), so both give the same records. rearm() is
 * _rearm's loop. Nothing here classifies code, keeps sinks or writes
 * records, and nothing raises into the traced program: an error is
 * cleared and the event is passed on to the Python callback.
 *
 * Only the limited frame API is used (PyEval_GetFrame, PyFrame_GetBack,
 * PyFrame_GetCode, PyFrame_GetLasti), so one source serves 3.12 and later;
 * the build makes it for each such interpreter it finds, and
 * impact_record.py loads it only under the file name that carries the
 * running interpreter's ABI tag.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>

#include "impact_audit.h"

#if PY_VERSION_HEX < 0x030C0000
#error "_impact_cmon is for CPython 3.12 and later"
#endif

/* Kinds, as impact_record.py numbers them. */
enum { KIND_IGNORE = 0, KIND_FUNC = 1, KIND_MODULE = 2 };

typedef struct {
	PyObject_HEAD
	vectorcallfunc vectorcall;
	PyObject *globals;   /* impact_record's module dict */
	PyObject *kind;      /* its _kind: id(code) -> kind (never rebound) */
	PyObject *fired;     /* its _fired list (never rebound) */
	PyObject *slow;      /* its _on_rstart(code, offset) */
	PyObject *caller_at; /* its _caller_at(frame) -> site or None */
	PyObject *disable;   /* sys.monitoring.DISABLE */
	PyObject *cur_name;  /* "_cur" */
	PyObject *shift;     /* 32 */
	unsigned long fast, slowcalls;
} rstart;

/* kind of id(code) in t->kind: 0 and up, or -1 (unknown or an error). */
static long kind_of(rstart *t, PyObject *id)
{
	PyObject *k = PyDict_GetItemWithError(t->kind, id);
	long v;
	if (!k)
		return -1;
	v = PyLong_AsLong(k);
	return v == -1 && PyErr_Occurred() ? -1 : v;
}

/* (id(code) << 32) | (lasti + 1) for frame f in repository code, else what
   _caller_at(f) says. New reference, or NULL on an error. */
static PyObject *site_of(rstart *t, PyFrameObject *f)
{
	PyCodeObject *c = PyFrame_GetCode(f);
	PyObject *id = PyLong_FromVoidPtr(c), *out = NULL;
	long k;
	Py_DECREF(c);
	if (!id)
		return NULL;
	k = kind_of(t, id);
	if (k > 0) {
		PyObject *hi = PyNumber_Lshift(id, t->shift);
		PyObject *lo = hi ? PyLong_FromLong((long)PyFrame_GetLasti(f) + 1) : NULL;
		out = lo ? PyNumber_Or(hi, lo) : NULL;
		Py_XDECREF(hi);
		Py_XDECREF(lo);
	} else if (!PyErr_Occurred()) {
		out = PyObject_CallOneArg(t->caller_at, (PyObject *)f);
	}
	Py_DECREF(id);
	return out;
}

/* The call site that started code: the frame below code's own. */
static PyObject *caller_site(rstart *t, PyObject *code)
{
	PyFrameObject *f = PyEval_GetFrame(), *back; /* borrowed */
	PyObject *out;
	PyCodeObject *c;
	if (!f)
		Py_RETURN_NONE;
	c = PyFrame_GetCode(f);
	if ((PyObject *)c != code) {
		/* code's frame is not the current one: f is its caller already */
		Py_DECREF(c);
		return site_of(t, f);
	}
	Py_DECREF(c);
	back = PyFrame_GetBack(f);
	if (!back)
		Py_RETURN_NONE;
	out = site_of(t, back);
	Py_DECREF(back);
	return out;
}

static PyObject *to_python(rstart *t, PyObject *const *args, size_t nargsf)
{
	t->slowcalls++;
	return PyObject_Vectorcall(t->slow, args, nargsf, NULL);
}

static PyObject *rstart_call(PyObject *self, PyObject *const *args, size_t nargsf,
			     PyObject *kwnames)
{
	rstart *t = (rstart *)self;
	PyObject *code, *id, *cur, *site;
	long k;
	int has;

	if (PyVectorcall_NARGS(nargsf) != 2 || kwnames)
		return to_python(t, args, nargsf);
	code = args[0];
	id = PyLong_FromVoidPtr(code);
	if (!id)
		goto fallback;
	k = kind_of(t, id);
	if (k < 0 || k == KIND_MODULE) {
		/* an import begins (or code never classified): the Python way */
		Py_DECREF(id);
		goto fallback;
	}
	if (k != KIND_IGNORE) {
		cur = PyDict_GetItemWithError(t->globals, t->cur_name); /* borrowed */
		if (!cur || !PyDict_Check(cur)) {
			Py_DECREF(id);
			goto fallback;
		}
		has = PyDict_Contains(cur, id);
		if (has < 0) {
			Py_DECREF(id);
			goto fallback;
		}
		if (!has) {
			Py_INCREF(cur); /* the caller's Python code may rebind _cur */
			site = caller_site(t, code);
			if (!site) {
				PyErr_Clear();
				site = Py_NewRef(Py_None);
			}
			if (PyDict_SetItem(cur, id, site) < 0)
				PyErr_Clear();
			Py_DECREF(site);
			Py_DECREF(cur);
			/* First start in this sink: left armed (see the header). */
			Py_DECREF(id);
			t->fast++;
			Py_RETURN_NONE;
		}
	}
	Py_DECREF(id);
	if (PyList_Append(t->fired, code) < 0) {
		PyErr_Clear();
		goto fallback;
	}
	t->fast++;
	return Py_NewRef(t->disable);
fallback:
	PyErr_Clear();
	return to_python(t, args, nargsf);
}

static int rstart_traverse(PyObject *self, visitproc visit, void *arg)
{
	rstart *t = (rstart *)self;
	Py_VISIT(t->globals);
	Py_VISIT(t->kind);
	Py_VISIT(t->fired);
	Py_VISIT(t->slow);
	Py_VISIT(t->caller_at);
	return 0;
}

static int rstart_clear(PyObject *self)
{
	rstart *t = (rstart *)self;
	Py_CLEAR(t->globals);
	Py_CLEAR(t->kind);
	Py_CLEAR(t->fired);
	Py_CLEAR(t->slow);
	Py_CLEAR(t->caller_at);
	Py_CLEAR(t->disable);
	Py_CLEAR(t->cur_name);
	Py_CLEAR(t->shift);
	return 0;
}

static void rstart_dealloc(PyObject *self)
{
	PyObject_GC_UnTrack(self);
	rstart_clear(self);
	Py_TYPE(self)->tp_free(self);
}

/* Rstart(globals, on_rstart, caller_at, disable) */
static PyObject *rstart_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
	PyObject *globals, *slow, *caller_at, *disable, *kind, *fired;
	rstart *t;
	if (kwds && PyDict_GET_SIZE(kwds)) {
		PyErr_SetString(PyExc_TypeError, "Rstart takes no keyword arguments");
		return NULL;
	}
	if (!PyArg_ParseTuple(args, "O!OOO:Rstart", &PyDict_Type, &globals, &slow, &caller_at,
			      &disable))
		return NULL;
	kind = PyDict_GetItemString(globals, "_kind");
	fired = PyDict_GetItemString(globals, "_fired");
	if (!kind || !PyDict_Check(kind) || !fired || !PyList_Check(fired)) {
		PyErr_SetString(PyExc_TypeError, "Rstart: globals lack the _kind dict or _fired list");
		return NULL;
	}
	t = (rstart *)type->tp_alloc(type, 0);
	if (!t)
		return NULL;
	t->vectorcall = rstart_call;
	t->globals = Py_NewRef(globals);
	t->kind = Py_NewRef(kind);
	t->fired = Py_NewRef(fired);
	t->slow = Py_NewRef(slow);
	t->caller_at = Py_NewRef(caller_at);
	t->disable = Py_NewRef(disable);
	t->cur_name = PyUnicode_InternFromString("_cur");
	t->shift = PyLong_FromLong(32);
	if (!t->cur_name || !t->shift) {
		Py_DECREF(t);
		return NULL;
	}
	return (PyObject *)t;
}

static PyObject *rstart_counts(PyObject *self, PyObject *unused)
{
	rstart *t = (rstart *)self;
	(void)unused;
	return Py_BuildValue("(kk)", t->fast, t->slowcalls);
}

static PyMethodDef rstart_methods[] = {
	{"counts", rstart_counts, METH_NOARGS,
	 "(events handled here, events passed to the Python callback)"},
	{NULL, NULL, 0, NULL},
};

static PyTypeObject rstart_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_impact_cmon.Rstart",
	.tp_basicsize = sizeof(rstart),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
	.tp_vectorcall_offset = offsetof(rstart, vectorcall),
	.tp_call = PyVectorcall_Call,
	.tp_new = rstart_new,
	.tp_dealloc = rstart_dealloc,
	.tp_traverse = rstart_traverse,
	.tp_clear = rstart_clear,
	.tp_methods = rstart_methods,
	.tp_doc = "The repository tool's PY_START callback (impact_record._on_rstart in C).",
};

/*
 * Unwind: the repository tool's PY_UNWIND callback, on for the whole run
 * where this module is loaded. An import that raises is noticed by its
 * module body unwinding; turning PY_UNWIND on and off around each import
 * instead (a global event: every code object of the process is then
 * instrumented again at its next start) cost click's suite on 3.12 half
 * of what recording costs it. Here an unwind while no import is open
 * (almost all of them) costs one look-up; otherwise impact_record's
 * _on_unwind decides.
 */
typedef struct {
	PyObject_HEAD
	vectorcallfunc vectorcall;
	PyObject *imports; /* impact_record's _import_stack (never rebound) */
	PyObject *slow;    /* its _on_unwind(code, offset, exc) */
} unwind;

static PyObject *unwind_call(PyObject *self, PyObject *const *args, size_t nargsf,
			     PyObject *kwnames)
{
	unwind *u = (unwind *)self;
	PyObject *r;
	if (PyList_GET_SIZE(u->imports) == 0)
		Py_RETURN_NONE;
	r = PyObject_Vectorcall(u->slow, args, nargsf, kwnames);
	if (!r)
		PyErr_Clear(); /* never into the traced program */
	Py_XDECREF(r);
	Py_RETURN_NONE;
}

static int unwind_traverse(PyObject *self, visitproc visit, void *arg)
{
	unwind *u = (unwind *)self;
	Py_VISIT(u->imports);
	Py_VISIT(u->slow);
	return 0;
}

static int unwind_clear(PyObject *self)
{
	unwind *u = (unwind *)self;
	Py_CLEAR(u->imports);
	Py_CLEAR(u->slow);
	return 0;
}

static void unwind_dealloc(PyObject *self)
{
	PyObject_GC_UnTrack(self);
	unwind_clear(self);
	Py_TYPE(self)->tp_free(self);
}

/* Unwind(import_stack list, on_unwind) */
static PyObject *unwind_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
	PyObject *imports, *slow;
	unwind *u;
	if (kwds && PyDict_GET_SIZE(kwds)) {
		PyErr_SetString(PyExc_TypeError, "Unwind takes no keyword arguments");
		return NULL;
	}
	if (!PyArg_ParseTuple(args, "O!O:Unwind", &PyList_Type, &imports, &slow))
		return NULL;
	u = (unwind *)type->tp_alloc(type, 0);
	if (!u)
		return NULL;
	u->vectorcall = unwind_call;
	u->imports = Py_NewRef(imports);
	u->slow = Py_NewRef(slow);
	return (PyObject *)u;
}

static PyTypeObject unwind_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_impact_cmon.Unwind",
	.tp_basicsize = sizeof(unwind),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
	.tp_vectorcall_offset = offsetof(unwind, vectorcall),
	.tp_call = PyVectorcall_Call,
	.tp_new = unwind_new,
	.tp_dealloc = unwind_dealloc,
	.tp_traverse = unwind_traverse,
	.tp_clear = unwind_clear,
	.tp_doc = "The repository tool's PY_UNWIND callback: impact_record._on_unwind "
	          "only while an import is open.",
};

/* rearm(fired, set_local_events, tool, events): every code object in
   fired, popped one at a time (another thread may add more), has its
   local events set to 0 and then to events (which re-enables what DISABLE
   turned off). Errors are ignored, as _rearm ignores them. */
static PyObject *rearm(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
	PyObject *fired, *setl, *zero;
	(void)mod;
	if (nargs != 4 || !PyList_Check(args[0])) {
		PyErr_SetString(PyExc_TypeError, "rearm(fired list, set_local_events, tool, events)");
		return NULL;
	}
	fired = args[0];
	setl = args[1];
	zero = PyLong_FromLong(0);
	if (!zero)
		return NULL;
	for (;;) {
		Py_ssize_t n = PyList_GET_SIZE(fired);
		PyObject *code, *r, *call[3];
		if (n == 0)
			break;
		code = Py_NewRef(PyList_GET_ITEM(fired, n - 1));
		if (PyList_SetSlice(fired, n - 1, n, NULL) < 0) {
			Py_DECREF(code);
			break;
		}
		call[0] = args[2];
		call[1] = code;
		call[2] = zero;
		r = PyObject_Vectorcall(setl, call, 3, NULL);
		Py_XDECREF(r);
		call[2] = args[3];
		r = r ? PyObject_Vectorcall(setl, call, 3, NULL) : NULL;
		Py_XDECREF(r);
		if (!r)
			PyErr_Clear();
		Py_DECREF(code);
	}
	Py_DECREF(zero);
	PyErr_Clear();
	Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
	{"rearm", (PyCFunction)(void (*)(void))rearm, METH_FASTCALL,
	 "rearm(fired, set_local_events, tool, events): impact_record._rearm's loop."},
	IMPACT_AUDIT_METHOD,
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "_impact_cmon",
	.m_doc = "impact's recorder: the sys.monitoring hot path in C (see impact_record.py).",
	.m_size = -1,
	.m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__impact_cmon(void)
{
	PyObject *m, *bf;
	if (PyType_Ready(&rstart_type) < 0 || PyType_Ready(&unwind_type) < 0)
		return NULL;
	m = PyModule_Create(&module_def);
	if (!m)
		return NULL;
	bf = Py_BuildValue("(ii)", PY_MAJOR_VERSION, PY_MINOR_VERSION);
	if (!bf || PyModule_AddObjectRef(m, "Rstart", (PyObject *)&rstart_type) < 0 ||
	    PyModule_AddObjectRef(m, "Unwind", (PyObject *)&unwind_type) < 0 ||
	    PyModule_AddObjectRef(m, "built_for", bf) < 0) {
		Py_XDECREF(bf);
		Py_DECREF(m);
		return NULL;
	}
	Py_DECREF(bf);
	return m;
}
