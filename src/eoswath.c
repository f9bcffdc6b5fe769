/*
 * eoswath.c
 *		Module initialisation.
 */
#include "eoswath.h"

#include "guard.h"
#include "xact.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Define settings and install the transaction hooks. */
void
_PG_init(void)
{
	eoswath_define_gucs();
	eoswath_xact_init();
	eoswath_guard_init();
}
