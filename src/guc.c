/*
 * guc.c
 *		Every eoswath.* setting, in one place.
 */
#include "eoswath.h"

#include "utils/guc.h"

char	   *eoswath_default_policy = NULL;
int			eoswath_io_block_size = 1024 * 1024;
int			eoswath_gzip_level = 6;

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

	DefineCustomIntVariable("eoswath.gzip_level",
							"zlib compression level of objects stored with compress => true.",
							"1 is fastest, 9 smallest; 6 is gzip's default.",
							&eoswath_gzip_level,
							6,
							1,
							9,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("eoswath");
}
