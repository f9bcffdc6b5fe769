/*
 * guc.c
 *		Every eoswath.* setting, in one place.
 */
#include "eoswath.h"

#include "utils/guc.h"

char	   *eoswath_default_policy = NULL;
int			eoswath_io_block_size = 1024 * 1024;

/* Define the settings; called once from _PG_init. */
void
eoswath_define_gucs(void)
{
	DefineCustomStringVariable("eoswath.default_policy",
							   "Replication policy used when a put names none.",
							   NULL,
							   &eoswath_default_policy,
							   "default",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.io_block_size",
							"Size of the blocks eoswath reads and writes objects in.",
							NULL,
							&eoswath_io_block_size,
							1024 * 1024,
							64 * 1024,
							64 * 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("eoswath");
}
