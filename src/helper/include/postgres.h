/*
 * postgres.h (eoswath-granule helper)
 *		The granule parsing code is PostgreSQL-style C and begins, as backend
 *		code does, with #include "postgres.h".  Built into the helper, which
 *		is not a backend, it gets this file instead: PostgreSQL's frontend
 *		base (postgres_fe.h) and the small runtime of ../runtime.h.
 */
#ifndef EOSWATH_HELPER_POSTGRES_H
#define EOSWATH_HELPER_POSTGRES_H

#include "runtime.h"

#endif
