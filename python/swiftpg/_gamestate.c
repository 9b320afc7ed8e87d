/* swiftpg._gamestate: the per-move methods of swiftpg.games.State in C.
 *
 * Why this file exists: OpenSpiel's pyspiel answers legal_actions() in about
 * 0.14 µs and a whole random playout step in about 0.7 µs; one ctypes call
 * alone costs 0.3 to 0.9 µs, so a ctypes State cannot be as fast per move
 * (issue 17's target). This module is a thin CPython binding over the same
 * C ABI (Include/swiftpg.h): it holds a one-game handle and calls
 * swiftpg_game_apply / _clone / _destroy / _legal_mask / _status through
 * function pointers that swiftpg.games hands over from the ctypes library
 * (bind()), so there is one libswiftpg.so, one handle table, and no second
 * copy of any game rule here. Everything else of State (observation
 * tensors, planes, encoded states, text, pickling, error messages) stays in
 * Python (python/swiftpg/games.py), which subclasses StateCore.
 *
 * Errors: every failure asks the Python object for the exception to raise
 * (self._failure(action, status)), so messages and exception types are
 * written once, in games.py.
 *
 * Threads: the methods hold the GIL for their whole (sub-microsecond)
 * native call; a concurrent call on the same handle from a ctypes method
 * that released the GIL makes the library answer BUSY, raised as BusyError.
 * Built by `make lib` (gcc, Python's headers). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "swiftpg.h"

/* Function pointers of the loaded library, typed from the header's
 * declarations (a signature change there breaks this build). */
static __typeof__(&swiftpg_game_apply) game_apply;
static __typeof__(&swiftpg_game_clone) game_clone;
static __typeof__(&swiftpg_game_destroy) game_destroy;
static __typeof__(&swiftpg_game_legal_mask) game_legal_mask;
static __typeof__(&swiftpg_game_status) game_status;
static __typeof__(&swiftpg_game_get_info) game_get_info;
/* The Python class clone() and new_state() make (swiftpg.games.State). */
static PyTypeObject *state_type;

typedef struct {
  PyObject_HEAD
  uint64_t handle;   /* a one-game batch; 0 once closed or before _core_init */
  int32_t num_actions;
  int32_t player;    /* 0, 1, or SWIFTPG_GAME_TERMINAL_PLAYER */
  double outcome;    /* player 0's return (0 until the end) */
  PyObject *game;    /* swiftpg.games.Game */
  PyObject *info;    /* its swiftpg_game_info (ctypes structure) */
  PyObject *history; /* list of the actions played, or NULL: unknown */
  uint8_t *mask;     /* [num_actions]: the legal mask of the current state */
  /* The object lock of State's Python-level multi-call methods (set_state,
   * pickling, observation_tensor, ...; `with state._busy:`): re-entrant
   * for its owner thread; the per-move methods of any other thread raise
   * BusyError while it is held, so none of them sees a half-made change. */
  unsigned long lock_owner;
  long lock_depth;
} Core;

static int bound(void) {
  if (game_apply && game_clone && game_destroy && game_legal_mask && game_status && game_get_info && state_type)
    return 1;
  PyErr_SetString(PyExc_RuntimeError, "swiftpg._gamestate is not bound to libswiftpg.so (swiftpg.games binds it)");
  return 0;
}

/* Raises the exception self._failure(action, status) returns. */
static PyObject *fail(Core *self, PyObject *action, int32_t status) {
  PyObject *exc = PyObject_CallMethod((PyObject *)self, "_failure", "Oi", action ? action : Py_None, (int)status);
  if (exc == NULL) return NULL;
  PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
  Py_DECREF(exc);
  return NULL;
}

/* Open, and not locked by another thread (see lock_owner). */
#define REQUIRE_OPEN(self)                                                    \
  if ((self)->handle == 0) return fail((self), NULL, SWIFTPG_ERR_BAD_HANDLE); \
  if ((self)->lock_depth > 0 && (self)->lock_owner != PyThread_get_thread_ident()) \
  return fail((self), NULL, SWIFTPG_ERR_BUSY)

/* Reads the legal mask and the status of the game from the library. */
static PyObject *refresh(Core *self) {
  int32_t player = 0;
  uint8_t terminal = 0;
  double returns[2] = {0, 0};
  int32_t status = game_legal_mask(self->handle, self->mask);
  if (status == 0) status = game_status(self->handle, &player, &terminal, returns);
  if (status != 0) return fail(self, NULL, status);
  self->player = terminal ? SWIFTPG_GAME_TERMINAL_PLAYER : player;
  self->outcome = returns[0];
  Py_RETURN_NONE;
}

/* _core_init(handle, game, info, num_actions, history): adopts a one-game
 * handle (destroyed with this object) and reads its state. */
static PyObject *core_init(Core *self, PyObject *args) {
  unsigned long long handle;
  int num_actions;
  PyObject *game, *info, *history;
  if (!bound()) return NULL;
  if (!PyArg_ParseTuple(args, "KOOiO", &handle, &game, &info, &num_actions, &history)) return NULL;
  if (self->handle != 0 || self->mask != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "this State is already initialised");
    return NULL;
  }
  if (num_actions < 1 || handle == 0 || (history != Py_None && !PyList_CheckExact(history))) {
    PyErr_SetString(PyExc_ValueError, "_core_init: bad arguments");
    return NULL;
  }
  swiftpg_game_info info_c;
  int32_t status = game_get_info(handle, &info_c);
  if (status != 0) {
    PyErr_Format(PyExc_ValueError, "_core_init: not a game handle (status %d)", (int)status);
    return NULL;
  }
  if (info_c.num_games != 1 || info_c.num_actions != num_actions) {
    PyErr_Format(PyExc_ValueError, "_core_init: a State holds one game of %d actions, the handle has %d games of %d",
                 num_actions, (int)info_c.num_games, (int)info_c.num_actions);
    return NULL;
  }
  self->mask = PyMem_Calloc((size_t)num_actions, 1);
  if (self->mask == NULL) return PyErr_NoMemory();
  self->handle = handle;
  self->num_actions = num_actions;
  Py_INCREF(game);
  Py_XSETREF(self->game, game);
  Py_INCREF(info);
  Py_XSETREF(self->info, info);
  if (history == Py_None) {
    Py_CLEAR(self->history);
  } else {
    Py_INCREF(history);
    Py_XSETREF(self->history, history);
  }
  return refresh(self);
}

/* _acquire(): takes the object lock for this thread (re-entrant); False if
 * another thread holds it. _release(): gives one level back. */
static PyObject *core_acquire(Core *self, PyObject *Py_UNUSED(ignored)) {
  unsigned long me = PyThread_get_thread_ident();
  if (self->lock_depth > 0 && self->lock_owner != me) Py_RETURN_FALSE;
  self->lock_owner = me;
  self->lock_depth += 1;
  Py_RETURN_TRUE;
}

static PyObject *core_release(Core *self, PyObject *Py_UNUSED(ignored)) {
  if (self->lock_depth <= 0 || self->lock_owner != PyThread_get_thread_ident()) {
    PyErr_SetString(PyExc_RuntimeError, "_release: this thread does not hold the State's lock");
    return NULL;
  }
  self->lock_depth -= 1;
  Py_RETURN_NONE;
}

static PyObject *core_refresh(Core *self, PyObject *Py_UNUSED(ignored)) {
  REQUIRE_OPEN(self);
  return refresh(self);
}

/* _set_history(actions): a list of ints (copied), or None: unknown
 * (set_state; the moves that led there are unknown). */
static PyObject *core_set_history(Core *self, PyObject *history) {
  if (history == Py_None) {
    Py_CLEAR(self->history);
    Py_RETURN_NONE;
  }
  if (!PyList_Check(history)) {
    PyErr_SetString(PyExc_TypeError, "_set_history: a list or None");
    return NULL;
  }
  PyObject *copy = PyList_GetSlice(history, 0, PyList_GET_SIZE(history));
  if (copy == NULL) return NULL;
  Py_XSETREF(self->history, copy);
  Py_RETURN_NONE;
}

static PyObject *core_apply_action(Core *self, PyObject *action) {
  long a;
  PyObject *index = NULL;
  REQUIRE_OPEN(self);
  if (PyLong_CheckExact(action)) {
    int overflow = 0;
    a = PyLong_AsLongAndOverflow(action, &overflow);
    if (overflow) a = -1;
  } else if (!PyBool_Check(action) && PyIndex_Check(action) && (index = PyNumber_Index(action)) != NULL) {
    /* numpy integers and other SupportsIndex (pyspiel takes them too);
     * numpy.bool_ has no __index__ and bool is refused above. */
    int overflow = 0;
    a = PyLong_AsLongAndOverflow(index, &overflow);
    Py_DECREF(index);
    if (overflow) a = -1;
    if (a == -1 && PyErr_Occurred()) return NULL;
  } else {  /* bools, floats, strings, arrays, ...: the Python side names the error */
    /* An __index__ that raised TypeError (a numpy array that is not one
     * integer) is refused there too; other errors propagate. */
    if (PyErr_Occurred()) {
      if (!PyErr_ExceptionMatches(PyExc_TypeError)) return NULL;
      PyErr_Clear();
    }
    PyObject *coerced = PyObject_CallMethod((PyObject *)self, "_coerce_action", "O", action);
    if (coerced == NULL) return NULL;
    int overflow = 0;
    a = PyLong_AsLongAndOverflow(coerced, &overflow);
    Py_DECREF(coerced);
    if (overflow) a = -1;
    if (a == -1 && PyErr_Occurred()) return NULL;
  }
  if (a < 0 || a >= self->num_actions) return fail(self, action, SWIFTPG_ERR_OUT_OF_RANGE);
  uint8_t ended = 0;
  double outcome = 0;
  int32_t player = 0;
  int32_t status = game_apply(self->handle, 0, (int32_t)a, &ended, &outcome, &player, self->mask);
  if (status != 0) return fail(self, action, status);
  self->player = player;
  if (ended) self->outcome = outcome;
  if (self->history != NULL) {
    PyObject *item = PyLong_FromLong(a);
    if (item == NULL || PyList_Append(self->history, item) != 0) {
      Py_XDECREF(item);
      Py_CLEAR(self->history);  /* out of memory: the move was played, the history is now unknown (None) */
      return NULL;
    }
    Py_DECREF(item);
  }
  Py_RETURN_NONE;
}

static PyObject *legal_list(Core *self) {
  PyObject *list = PyList_New(0);
  if (list == NULL || self->player == SWIFTPG_GAME_TERMINAL_PLAYER) return list;
  for (int32_t i = 0; i < self->num_actions; i++) {
    if (!self->mask[i]) continue;
    PyObject *item = PyLong_FromLong(i);
    if (item == NULL || PyList_Append(list, item) != 0) {
      Py_XDECREF(item);
      Py_DECREF(list);
      return NULL;
    }
    Py_DECREF(item);
  }
  return list;
}

/* legal_actions(player=None): OpenSpiel's; empty for the other player. */
static PyObject *core_legal_actions(Core *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  PyObject *player = NULL;
  REQUIRE_OPEN(self);
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  if (nargs + nkw > 1) {
    PyErr_SetString(PyExc_TypeError, "legal_actions() takes at most one argument (player)");
    return NULL;
  }
  if (nargs == 1) {
    player = args[0];
  } else if (nkw == 1) {
    if (!PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)) ||
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "player") != 0) {
      PyErr_Format(PyExc_TypeError, "legal_actions() got an unexpected keyword argument %R",
                   PyTuple_GET_ITEM(kwnames, 0));
      return NULL;
    }
    player = args[0];
  }
  if (player != NULL && player != Py_None) {
    long p;
    int overflow = 0;
    if (PyLong_CheckExact(player) && (p = PyLong_AsLongAndOverflow(player, &overflow), !overflow) &&
        p >= INT32_MIN && p <= INT32_MAX) {
      /* an int32: compared below */
    } else {  /* other types and out-of-range ints: the Python side checks (and raises) */
      PyObject *checked = PyObject_CallMethod((PyObject *)self, "_as_player", "O", player);
      if (checked == NULL) return NULL;
      p = PyLong_AsLong(checked);
      Py_DECREF(checked);
      if (p == -1 && PyErr_Occurred()) return NULL;
    }
    if (p != self->player) return PyList_New(0);
  }
  return legal_list(self);
}

static PyObject *core_legal_actions_mask(Core *self, PyObject *Py_UNUSED(ignored)) {
  REQUIRE_OPEN(self);
  PyObject *list = PyList_New(self->num_actions);
  if (list == NULL) return NULL;
  int over = self->player == SWIFTPG_GAME_TERMINAL_PLAYER;
  for (int32_t i = 0; i < self->num_actions; i++) {
    PyObject *item = PyLong_FromLong(over ? 0 : self->mask[i]);
    if (item == NULL) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, i, item);
  }
  return list;
}

static PyObject *core_is_terminal(Core *self, PyObject *Py_UNUSED(ignored)) {
  REQUIRE_OPEN(self);
  return PyBool_FromLong(self->player == SWIFTPG_GAME_TERMINAL_PLAYER);
}

static PyObject *core_current_player(Core *self, PyObject *Py_UNUSED(ignored)) {
  REQUIRE_OPEN(self);
  return PyLong_FromLong(self->player);
}

/* returns(): [r0, r1]; r1 = 0.0 - r0 gives +0.0 for a draw, as OpenSpiel. */
static PyObject *core_returns(Core *self, PyObject *Py_UNUSED(ignored)) {
  REQUIRE_OPEN(self);
  return Py_BuildValue("[dd]", self->outcome, 0.0 - self->outcome);
}

static PyObject *core_history(Core *self, PyObject *Py_UNUSED(ignored)) {
  REQUIRE_OPEN(self);
  if (self->history == NULL) Py_RETURN_NONE;
  return PyList_GetSlice(self->history, 0, PyList_GET_SIZE(self->history));
}

/* A new object of `type` holding a copy (a new handle) of game 0 of
 * `source`; `from` (NULL: read from the library) gives the mask, player,
 * outcome and history to copy, else the history starts empty. */
static PyObject *copy_game(PyTypeObject *type, uint64_t source, PyObject *game, PyObject *info, int32_t num_actions,
                           Core *from) {
  uint64_t handle = 0;
  int32_t status = game_clone(source, 0, &handle);
  if (status != 0) {
    if (from != NULL) return fail(from, NULL, status);
    PyErr_Format(PyExc_RuntimeError, "swiftpg_game_clone failed with status %d", (int)status);
    return NULL;
  }
  Core *copy = (Core *)type->tp_alloc(type, 0);
  uint8_t *mask = PyMem_Malloc((size_t)num_actions);
  PyObject *history = from == NULL ? PyList_New(0)
                      : from->history ? PyList_GetSlice(from->history, 0, PyList_GET_SIZE(from->history))
                                      : NULL;
  if (copy == NULL || mask == NULL || ((from == NULL || from->history) && history == NULL)) {
    game_destroy(handle);
    PyMem_Free(mask);
    Py_XDECREF(history);
    Py_XDECREF(copy);
    return PyErr_Occurred() ? NULL : PyErr_NoMemory();
  }
  copy->handle = handle;
  copy->num_actions = num_actions;
  copy->mask = mask;
  copy->history = history;
  Py_INCREF(game);
  copy->game = game;
  Py_INCREF(info);
  copy->info = info;
  if (from != NULL) {
    memcpy(mask, from->mask, (size_t)num_actions);
    copy->player = from->player;
    copy->outcome = from->outcome;
  } else {
    PyObject *ok = refresh(copy);
    if (ok == NULL) {
      Py_DECREF(copy);  /* its dealloc destroys the handle */
      return NULL;
    }
    Py_DECREF(ok);
  }
  return (PyObject *)copy;
}

/* clone(): an independent copy (a new handle), a swiftpg.games.State (as
 * the copy pickling makes; a subclass's __init__ would not have run). */
static PyObject *core_clone(Core *self, PyObject *Py_UNUSED(ignored)) {
  REQUIRE_OPEN(self);
  return copy_game(state_type, self->handle, self->game, self->info, self->num_actions, self);
}

/* close(): frees the native game; idempotent. */
static PyObject *core_close(Core *self, PyObject *Py_UNUSED(ignored)) {
  if (self->handle != 0 && game_destroy != NULL) game_destroy(self->handle);
  self->handle = 0;
  Py_RETURN_NONE;
}

static PyObject *core_get_handle(Core *self, void *Py_UNUSED(closure)) {
  REQUIRE_OPEN(self);
  return PyLong_FromUnsignedLongLong(self->handle);
}

static PyObject *core_get_closed(Core *self, void *Py_UNUSED(closure)) { return PyBool_FromLong(self->handle == 0); }

static PyObject *core_get_object(PyObject *value) {
  if (value == NULL) {
    PyErr_SetString(PyExc_AttributeError, "this State is not initialised");
    return NULL;
  }
  Py_INCREF(value);
  return value;
}

static PyObject *core_get_game(Core *self, void *Py_UNUSED(closure)) { return core_get_object(self->game); }
static PyObject *core_get_info(Core *self, void *Py_UNUSED(closure)) { return core_get_object(self->info); }
static PyObject *core_get_num_actions(Core *self, void *Py_UNUSED(closure)) {
  return PyLong_FromLong(self->num_actions);
}

static int core_traverse(Core *self, visitproc visit, void *arg) {
  Py_VISIT(self->game);
  Py_VISIT(self->info);
  Py_VISIT(self->history);
  return 0;
}

static int core_clear(Core *self) {
  Py_CLEAR(self->game);
  Py_CLEAR(self->info);
  Py_CLEAR(self->history);
  return 0;
}

static void core_dealloc(Core *self) {
  PyObject_GC_UnTrack(self);
  if (self->handle != 0 && game_destroy != NULL) game_destroy(self->handle);
  self->handle = 0;
  PyMem_Free(self->mask);
  self->mask = NULL;
  core_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef core_methods[] = {
    {"_core_init", (PyCFunction)core_init, METH_VARARGS, NULL},
    {"_refresh", (PyCFunction)core_refresh, METH_NOARGS, NULL},
    {"_acquire", (PyCFunction)core_acquire, METH_NOARGS, NULL},
    {"_release", (PyCFunction)core_release, METH_NOARGS, NULL},
    {"_set_history", (PyCFunction)core_set_history, METH_O, NULL},
    {"apply_action", (PyCFunction)core_apply_action, METH_O,
     "apply_action(action): plays `action` for the player to move. InvalidArgumentError if it is outside "
     "0 ..< num_distinct_actions, illegal, or the game is over; the state is then unchanged."},
    {"legal_actions", (PyCFunction)(void (*)(void))core_legal_actions, METH_FASTCALL | METH_KEYWORDS,
     "legal_actions(player=None): the legal action ids in increasing order (empty once the game is over, or "
     "when `player` is not the player to move)."},
    {"legal_actions_mask", (PyCFunction)core_legal_actions_mask, METH_NOARGS,
     "1 for each legal action id, 0 otherwise (num_distinct_actions entries; all 0 once the game is over)."},
    {"is_terminal", (PyCFunction)core_is_terminal, METH_NOARGS, "Whether the game is over."},
    {"current_player", (PyCFunction)core_current_player, METH_NOARGS,
     "0 or 1, or -4 (TERMINAL_PLAYER) once the game is over."},
    {"returns", (PyCFunction)core_returns, METH_NOARGS,
     "[r0, r1]: +1 / -1 for the winner / loser, 0 for a draw or an unfinished game."},
    {"history", (PyCFunction)core_history, METH_NOARGS,
     "The actions played from the start, in order (OpenSpiel's history()); None when set_state set the state."},
    {"clone", (PyCFunction)core_clone, METH_NOARGS, "An independent copy of this state."},
    {"close", (PyCFunction)core_close, METH_NOARGS, "Frees the native game; idempotent."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef core_getset[] = {
    {"handle", (getter)core_get_handle, NULL, "The native handle (raises ClosedError once closed).", NULL},
    {"closed", (getter)core_get_closed, NULL, "Whether close() was called.", NULL},
    {"game", (getter)core_get_game, NULL, "The Game (swiftpg.games.load) of this state.", NULL},
    {"info", (getter)core_get_info, NULL, "The game's swiftpg_game_info.", NULL},
    {"num_actions", (getter)core_get_num_actions, NULL, "num_distinct_actions of the game.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "swiftpg._gamestate.StateCore",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The per-move core of swiftpg.games.State (use swiftpg.games; not meant to be created directly).",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_traverse = (traverseproc)core_traverse,
    .tp_clear = (inquiry)core_clear,
    .tp_methods = core_methods,
    .tp_getset = core_getset,
};

/* An address handed over by ctypes: a positive int. */
static int address(PyObject *value, void **out) {
  if (!PyLong_Check(value)) {
    PyErr_SetString(PyExc_TypeError, "bind: addresses are ints");
    return 0;
  }
  unsigned long long a = PyLong_AsUnsignedLongLong(value);
  if (PyErr_Occurred()) return 0;
  if (a == 0) {
    PyErr_SetString(PyExc_ValueError, "bind: a function address is 0");
    return 0;
  }
  *out = (void *)(uintptr_t)a;
  return 1;
}

/* bind(apply, clone, destroy, legal_mask, status, get_info, State): the
 * library's function addresses and the class to make; once per process
 * (swiftpg.games does it on import). */
static PyObject *module_bind(PyObject *Py_UNUSED(module), PyObject *args) {
  PyObject *a[6], *cls;
  void *f[6];
  if (!PyArg_ParseTuple(args, "OOOOOOO", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &cls)) return NULL;
  if (state_type != NULL) {
    PyErr_SetString(PyExc_RuntimeError, "swiftpg._gamestate is already bound");
    return NULL;
  }
  for (int i = 0; i < 6; i++) {
    if (!address(a[i], &f[i])) return NULL;
  }
  if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &CoreType)) {
    PyErr_SetString(PyExc_TypeError, "bind: the class must subclass StateCore");
    return NULL;
  }
  game_apply = (__typeof__(game_apply))f[0];
  game_clone = (__typeof__(game_clone))f[1];
  game_destroy = (__typeof__(game_destroy))f[2];
  game_legal_mask = (__typeof__(game_legal_mask))f[3];
  game_status = (__typeof__(game_status))f[4];
  game_get_info = (__typeof__(game_get_info))f[5];
  Py_INCREF(cls);
  state_type = (PyTypeObject *)cls;
  Py_RETURN_NONE;
}

/* new_state(template, game, info): a new State holding a copy of the
 * template's game (a new handle), with `game` (whose _template it must be)
 * and `info` as its game and info, and the template's (empty) history.
 * Game.new_initial_state
 * copies the game's template this way (the template itself refers to no
 * Game, so a Game and its template form no reference cycle). */
static PyObject *module_new_state(PyObject *Py_UNUSED(module), PyObject *args) {
  PyObject *template, *game, *info;
  if (!bound()) return NULL;
  if (!PyArg_ParseTuple(args, "O!OO", &CoreType, &template, &game, &info)) return NULL;
  Core *t = (Core *)template;
  REQUIRE_OPEN(t);
  PyObject *own = PyObject_GetAttrString(game, "_template");
  if (own == NULL) return NULL;
  Py_DECREF(own);
  if (own != template) {
    PyErr_SetString(PyExc_ValueError, "new_state: the template is not this game's");
    return NULL;
  }
  return copy_game(state_type, t->handle, game, info, t->num_actions, t);
}

static PyMethodDef module_methods[] = {
    {"new_state", module_new_state, METH_VARARGS,
     "new_state(template, game, info): a copy of the template state for `game`."},
    {"bind", module_bind, METH_VARARGS,
     "bind(apply, clone, destroy, legal_mask, status, get_info, State): once, by swiftpg.games."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "swiftpg._gamestate",
    "The per-move core of swiftpg.games.State, in C over libswiftpg.so's C ABI.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__gamestate(void) {
  if (PyType_Ready(&CoreType) < 0) return NULL;
  PyObject *m = PyModule_Create(&module);
  if (m == NULL) return NULL;
  Py_INCREF(&CoreType);
  if (PyModule_AddObject(m, "StateCore", (PyObject *)&CoreType) < 0) {
    Py_DECREF(&CoreType);
    Py_DECREF(m);
    return NULL;
  }
  if (PyModule_AddIntConstant(m, "ABI_VERSION", SWIFTPG_ABI_VERSION) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
