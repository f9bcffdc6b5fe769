/*
 * admin.c
 *		Configuring sites: the admin's act of telling eoswath where copies
 *		may live.
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "store.h"

/*
 * wos_site_add(name, location, kind, options): check and prepare the site
 * (a directory must be new or empty), then record it.  The catalog insert
 * comes last; if it fails (a duplicate name) the prepared directory stays
 * empty but for its marker.
 */
PG_FUNCTION_INFO_V1(wos_site_add);
Datum
wos_site_add(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *location;
	char	   *kind;
	Jsonb	   *options;
	StoreSite  *site;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("site name, location and kind must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	location = text_to_cstring(PG_GETARG_TEXT_PP(1));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(2));
	options = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	if (options == NULL)
		options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));

	site = store_site_make(0, name, kind, location, options, true);
	site->methods->validate(site, true);
	PG_RETURN_INT32(catalog_add_site(name, kind, location, options));
}

/* The directory of the default site: one per database, under the data directory. */
PG_FUNCTION_INFO_V1(wos_default_site_location);
Datum
wos_default_site_location(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s/eoswath/db%u-ext%u", DataDir, MyDatabaseId,
											  PG_GETARG_OID(0))));
}
