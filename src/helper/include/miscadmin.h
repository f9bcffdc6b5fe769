/*
 * miscadmin.h (eoswath-granule helper): CHECK_FOR_INTERRUPTS comes from
 * ../runtime.h (a no-op: the backend stops the helper with SIGKILL).
 */
#include "runtime.h"
