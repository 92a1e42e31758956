/* interp.c - placeholder, being written. */
#include "common.h"
