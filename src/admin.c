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
 * (a directory must be new or empty, a bucket prefix unused), then record
 * it.  The catalog insert comes last; if it fails (a duplicate name) the
 * prepared place stays empty but for its marker.  Credentials in the options
 * ("access_key", "secret_key") are split off and stored where only the
 * extension's owner can read them.
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
	char	   *access_key;
	char	   *secret_key;
	int32		id;

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

	options = store_take_credentials(options, &access_key, &secret_key);

	site = store_site_make(0, name, kind, location, options, true,
						   access_key, secret_key);
	site->methods->validate(site, true);
	id = catalog_add_site(name, kind, location, options);
	if (access_key)
		catalog_set_credentials(id, access_key, secret_key);
	PG_RETURN_INT32(id);
}

/*
 * wos_site_credentials(name, access_key, secret_key): set a site's access
 * key, or remove it with NULLs.  No message here ever shows a value.
 */
PG_FUNCTION_INFO_V1(wos_site_credentials);
Datum
wos_site_credentials(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *access_key = NULL;
	char	   *secret_key = NULL;
	int32		id;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("site name must not be null")));
	if (PG_ARGISNULL(1) != PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("give both the access key and the secret key, or neither")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
	{
		access_key = text_to_cstring(PG_GETARG_TEXT_PP(1));
		secret_key = text_to_cstring(PG_GETARG_TEXT_PP(2));
		if (access_key[0] == '\0' || secret_key[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("site credentials must be non-empty strings")));
	}
	id = catalog_site_id(name);
	catalog_set_credentials(id, access_key, secret_key);
	PG_RETURN_VOID();
}

/* The directory of the default site: one per database, under the data directory. */
PG_FUNCTION_INFO_V1(wos_default_site_location);
Datum
wos_default_site_location(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s/eoswath/db%u-ext%u", DataDir, MyDatabaseId,
											  PG_GETARG_OID(0))));
}
