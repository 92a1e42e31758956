/*
 * impact_audit.h: the recorder's audit hook ("open" only), in C, for the
 * two extension modules (impact_ctrace.c, impact_cmon.c) that include it.
 *
 * impact_record.py watches files a test opens for reading with an audit
 * hook. A hook added by sys.addaudithook is a Python call for every audit
 * event of the process, and a suite raises many that are not "open":
 * jinja's raises 180,000 (builtins.id, object.__getattr__, compile,
 * exec...), about 60 ms of a 2.3 s run. This hook compares the event's
 * name in C and calls the Python function (impact_record._audit) for
 * "open" only, so the recorder sees exactly what it saw before.
 *
 * Audit hooks cannot be removed: the hook stays for the process, holding
 * its callable. It answers only in the interpreter that installed it, and
 * never while the interpreter is finalizing; an error of the callable is
 * cleared (a hook that fails would abort the program's own operation).
 */
#ifndef IMPACT_AUDIT_H
#define IMPACT_AUDIT_H

#include <string.h>

typedef struct {
	PyObject *callable;        /* the Python hook: callable(event, args) */
	PyObject *event;           /* "open" */
	PyInterpreterState *interp;
} impact_audit_hook;

static int impact_audit_is_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
	return Py_IsFinalizing();
#else
	return _Py_IsFinalizing();
#endif
}

static int impact_audit_on_event(const char *event, PyObject *args, void *data)
{
	impact_audit_hook *h = data;
	PyObject *r;
	if (event[0] != 'o' || strcmp(event, "open") != 0)
		return 0;
	if (impact_audit_is_finalizing() || PyInterpreterState_Get() != h->interp)
		return 0;
	r = PyObject_CallFunctionObjArgs(h->callable, h->event, args, NULL);
	if (r)
		Py_DECREF(r);
	else
		PyErr_Clear();
	return 0;
}

/* install_audit(callable): calls callable("open", args) for each "open"
   audit event from now on. Returns None, or raises when the hook could not
   be added (the caller then adds a Python hook itself). */
static PyObject *impact_audit_install(PyObject *self, PyObject *callable)
{
	impact_audit_hook *h;
	(void)self;
	if (!PyCallable_Check(callable)) {
		PyErr_SetString(PyExc_TypeError, "install_audit: the hook must be callable");
		return NULL;
	}
	h = PyMem_RawMalloc(sizeof(*h)); /* lives as long as the hook: the process */
	if (!h)
		return PyErr_NoMemory();
	h->event = PyUnicode_InternFromString("open");
	if (!h->event) {
		PyMem_RawFree(h);
		return NULL;
	}
	Py_INCREF(callable);
	h->callable = callable;
	h->interp = PyInterpreterState_Get();
	if (PySys_AddAuditHook(impact_audit_on_event, h) < 0) {
		Py_DECREF(h->callable);
		Py_DECREF(h->event);
		PyMem_RawFree(h);
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_RuntimeError, "install_audit: the hook was refused");
		return NULL;
	}
	Py_RETURN_NONE;
}

#define IMPACT_AUDIT_METHOD                                                        \
	{"install_audit", impact_audit_install, METH_O,                            \
	 PyDoc_STR("install_audit(hook): hook('open', args) for each open audit event")}

#endif
