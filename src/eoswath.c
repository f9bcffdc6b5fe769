/*
 * eoswath.c
 *		Module initialisation.
 */
#include "eoswath.h"

#include "guard.h"
#include "worker.h"
#include "xact.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Define settings, install the transaction hooks; when preloaded, the workers. */
void
_PG_init(void)
{
	eoswath_define_gucs();
	eoswath_xact_init();
	eoswath_guard_init();
	eoswath_workers_init();
}
