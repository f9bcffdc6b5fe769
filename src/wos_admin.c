/*
 * wos_admin.c
 *		SQL entry points for the archive's administration: adding sites and
 *		setting their credentials (catalog.c), and keeping the store honest:
 *		wos_verify() checks (and repairs) copies against the catalog,
 *		wos_sweep() removes bytes that no committed catalog row owns
 *		(object_copies.c does both).
 */
#include "eoswath.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "commands/event_trigger.h"

#include "guard.h"
#include "object.h"
#include "sites.h"

/* wos_site_add(name, location, kind, options): see catalog_add_site(). */
PG_FUNCTION_INFO_V1(wos_site_add);
Datum
wos_site_add(PG_FUNCTION_ARGS)
{
	Jsonb	   *options;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("site name, location and kind must not be null")));
	options = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	if (options == NULL)
		options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	PG_RETURN_INT32(catalog_add_site(text_to_cstring(PG_GETARG_TEXT_PP(0)),
									 text_to_cstring(PG_GETARG_TEXT_PP(2)),
									 text_to_cstring(PG_GETARG_TEXT_PP(1)),
									 options));
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
	char	   *base = eoswath_default_site_path && eoswath_default_site_path[0] ?
		eoswath_default_site_path : "eoswath";

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s/db%u-ext%u", base, MyDatabaseId,
											  PG_GETARG_OID(0))));
}

/* a row of wos_verify() */
static void
verify_row(void *arg, WosOid oid, const char *site, const char *status, const char *action)
{
	ReturnSetInfo *rsinfo = arg;
	Datum		values[4];
	bool		nulls[4] = {0};

	values[0] = WosOidGetDatum(oid);
	values[1] = CStringGetTextDatum(site);
	values[2] = CStringGetTextDatum(status);
	values[3] = CStringGetTextDatum(action);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * wos_verify(oid DEFAULT NULL, repair DEFAULT true): with an id, a row per
 * copy; without, a row per copy that is not intact, over every object.
 */
PG_FUNCTION_INFO_V1(wos_verify);
Datum
wos_verify(PG_FUNCTION_ARGS)
{
	bool		repair = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);

	InitMaterializedSRF(fcinfo, 0);
	if (!PG_ARGISNULL(0))
		object_verify(PG_GETARG_WOSOID(0), repair, true, verify_row, fcinfo->resultinfo);
	else
		object_verify_all(repair, verify_row, fcinfo->resultinfo);
	return (Datum) 0;
}

/* a row of wos_sweep() */
static void
sweep_row(void *arg, StoreSite *site, const char *name, WosOid oid, const char *what)
{
	ReturnSetInfo *rsinfo = arg;
	Datum		values[4];
	bool		nulls[4] = {0};

	values[0] = CStringGetTextDatum(site->name);
	values[1] = CStringGetTextDatum(name);
	values[2] = WosOidGetDatum(oid);
	values[3] = CStringGetTextDatum(what);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * wos_sweep(dry_run DEFAULT false): remove what no committed row owns; the
 * copies queued by committed deletes go first (wos_delete_pending()).
 */
PG_FUNCTION_INFO_V1(wos_sweep);
Datum
wos_sweep(PG_FUNCTION_ARGS)
{
	bool		dry_run = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	int64		removed;

	InitMaterializedSRF(fcinfo, 0);
	if (!dry_run)
		(void) object_delete_pending(0, true, &removed);
	object_sweep(dry_run, sweep_row, fcinfo->resultinfo);
	return (Datum) 0;
}

/* wos_site_adopt(name): see site_adopt(). */
PG_FUNCTION_INFO_V1(wos_site_adopt);
Datum
wos_site_adopt(PG_FUNCTION_ARGS)
{
	site_adopt(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

/* eoswath.site_status(site_id): the live columns of wos_sites. */
PG_FUNCTION_INFO_V1(wos_site_status);
Datum
wos_site_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {0};
	bool		available,
				free_known;
	char	   *owner,
			   *why;
	int64		free_bytes = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	site_status(PG_GETARG_INT32(0), &available, &owner, &free_bytes, &free_known, &why);
	values[0] = BoolGetDatum(available);
	values[1] = owner ? CStringGetTextDatum(owner) : (Datum) 0;
	nulls[1] = owner == NULL;
	values[2] = Int64GetDatum(free_bytes);
	nulls[2] = !free_known;
	values[3] = why ? CStringGetTextDatum(why) : (Datum) 0;
	nulls[3] = why == NULL;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* the event trigger before DROPs: see guard.c */
PG_FUNCTION_INFO_V1(wos_drop_guard);
Datum
wos_drop_guard(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "wos_drop_guard() must be called as an event trigger");
	guard_note_sites();
	PG_RETURN_NULL();
}

/* eoswath.object_place(oid): see object_place(). */
PG_FUNCTION_INFO_V1(wos_object_place);
Datum
wos_object_place(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(object_place(PG_GETARG_WOSOID(0)));
}

/* wos_site_relocate(name, location): see site_relocate(). */
PG_FUNCTION_INFO_V1(wos_site_relocate);
Datum
wos_site_relocate(PG_FUNCTION_ARGS)
{
	site_relocate(text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}
