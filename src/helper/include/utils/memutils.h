/*
 * utils/memutils.h (eoswath-granule helper): memory contexts come from
 * ../runtime.h.
 */
#include "runtime.h"
