/*
 * wos_objects.c
 *		SQL entry points of the object API: wos_put, wos_get, wos_meta,
 *		wos_stat, wos_exists, wos_delete, wos_reserve, wos_putoid; the owner
 *		of new objects (eoswath.outer_user).
 *
 * Argument checks and results only; every operation is a call into the
 * object library (object.h).
 */
#include "eoswath.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "object.h"

/* The policy named by a nullable text argument, or the default one. */
static Policy *
policy_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() > argno && !PG_ARGISNULL(argno))
		return object_policy(text_to_cstring(PG_GETARG_TEXT_PP(argno)));
	return object_policy(NULL);
}

static Jsonb *
meta_arg(FunctionCallInfo fcinfo, int argno)
{
	Jsonb	   *meta = NULL;

	if (PG_NARGS() > argno && !PG_ARGISNULL(argno))
		meta = PG_GETARG_JSONB_P(argno);
	object_check_meta(meta);
	return meta;
}

PG_FUNCTION_INFO_V1(wos_put);
Datum
wos_put(PG_FUNCTION_ARGS)
{
	bytea	   *data;
	Jsonb	   *meta;
	Policy	   *policy;
	ObjectPut  *put;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("object data must not be null")));
	data = PG_GETARG_BYTEA_PP(0);
	meta = meta_arg(fcinfo, 1);
	policy = policy_arg(fcinfo, 2);
	put = object_put_begin(policy, meta, false, VARSIZE_ANY_EXHDR(data));
	object_put_write(put, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	PG_RETURN_WOSOID(object_put_finish(put));
}

PG_FUNCTION_INFO_V1(wos_reserve);
Datum
wos_reserve(PG_FUNCTION_ARGS)
{
	PG_RETURN_WOSOID(object_reserve(policy_arg(fcinfo, 0)));
}

PG_FUNCTION_INFO_V1(wos_putoid);
Datum
wos_putoid(PG_FUNCTION_ARGS)
{
	WosOid		oid;
	bytea	   *data;
	Jsonb	   *meta;
	ObjectRecord *rec;
	ObjectPut  *put;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("object id and data must not be null")));
	oid = PG_GETARG_WOSOID(0);
	data = PG_GETARG_BYTEA_PP(1);
	meta = meta_arg(fcinfo, 2);

	/* the row lock makes racing putoids on one id wait for each other */
	rec = catalog_lookup(oid, true);
	if (rec == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("object id %s was not reserved", wosoid_to_cstring(oid)),
				 errhint("Reserve an id with wos_reserve() first.")));
	if (rec->state == OBJECT_STORED)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("object %s already holds data", wosoid_to_cstring(oid)),
				 errdetail("wos_putoid() stores data into a reserved id exactly once.")));
	put = object_put_reserved(rec, meta, VARSIZE_ANY_EXHDR(data));
	object_put_write(put, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	(void) object_put_finish(put);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(wos_get);
Datum
wos_get(PG_FUNCTION_ARGS)
{
	ObjectRecord *rec = catalog_fetch(PG_GETARG_WOSOID(0), false);

	PG_RETURN_BYTEA_P(object_read_all(rec));
}

PG_FUNCTION_INFO_V1(wos_get_range);
Datum
wos_get_range(PG_FUNCTION_ARGS)
{
	ObjectRecord *rec = catalog_fetch(PG_GETARG_WOSOID(0), false);
	int64		offset = PG_GETARG_INT64(1);
	int64		length = PG_GETARG_INT64(2);
	ObjectReader *r;
	bytea	   *result;
	size_t		n;

	if (offset < 0 || length < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset and length must not be negative")));
	if (length > (int64) (MaxAllocSize - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("length %lld is too large for a bytea", (long long) length),
				 errhint("Read at most 1 GB at a time, or use wos_stream_get().")));
	object_require_stored(rec);
	if (offset >= rec->size)
		length = 0;
	else
		length = Min(length, rec->size - offset);

	result = eoswath_alloc_big(CurrentMemoryContext, VARHDRSZ + length);
	if (length > 0)
	{
		r = object_open(rec, false);
		n = object_pread(r, VARDATA(result), length, offset);
		object_close(r);
		if ((int64) n != length)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("copy of object %s is shorter than recorded", wosoid_to_cstring(rec->oid))));
	}
	SET_VARSIZE(result, VARHDRSZ + length);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(wos_meta);
Datum
wos_meta(PG_FUNCTION_ARGS)
{
	ObjectRecord *rec = catalog_fetch(PG_GETARG_WOSOID(0), false);

	object_require_stored(rec);
	PG_RETURN_JSONB_P(rec->meta);
}

PG_FUNCTION_INFO_V1(wos_exists);
Datum
wos_exists(PG_FUNCTION_ARGS)
{
	ObjectRecord *rec = catalog_lookup(PG_GETARG_WOSOID(0), false);

	PG_RETURN_BOOL(rec != NULL && rec->state == OBJECT_STORED);
}

PG_FUNCTION_INFO_V1(wos_stat);
Datum
wos_stat(PG_FUNCTION_ARGS)
{
	ObjectRecord *rec = catalog_fetch(PG_GETARG_WOSOID(0), false);
	TupleDesc	tupdesc;
	Datum		values[10];
	bool		nulls[10] = {0};
	List	   *sites;
	ListCell   *lc;
	Datum	   *names;
	int			present = 0;
	int			i = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	sites = object_sites(rec);
	names = palloc(sizeof(Datum) * Max(list_length(sites), 1));
	foreach(lc, sites)
	{
		StoreSite  *s = lfirst(lc);

		if (object_copy_presence(rec, s) == COPY_OK)
			present++;
		names[i++] = CStringGetTextDatum(s->name);
	}

	values[0] = WosOidGetDatum(rec->oid);
	values[1] = CStringGetTextDatum(rec->state == OBJECT_STORED ? "stored" : "reserved");
	values[2] = Int64GetDatum(rec->size);
	nulls[2] = rec->state != OBJECT_STORED;
	values[3] = CStringGetTextDatum(rec->policy);
	values[4] = CStringGetTextDatum(sha256_hex(rec->sha256));
	nulls[4] = rec->state != OBJECT_STORED;
	values[5] = CStringGetTextDatum(rec->encoding);
	values[6] = TimestampTzGetDatum(rec->created);
	values[7] = Int32GetDatum(catalog_get_policy(rec->policy)->copies);
	values[8] = Int32GetDatum(present);
	values[9] = PointerGetDatum(construct_array(names, list_length(sites), TEXTOID, -1, false, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * wos_delete(oid): delete an object.  When a row still refers to it (a
 * catalogued swath, a stored subset), the foreign key refuses the delete;
 * the error gets a hint saying which rows to delete first.
 */
PG_FUNCTION_INFO_V1(wos_delete);
Datum
wos_delete(PG_FUNCTION_ARGS)
{
	WosOid		oid = PG_GETARG_WOSOID(0);
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		object_delete(oid);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_FOREIGN_KEY_VIOLATION || edata->hint != NULL)
			PG_RE_THROW();
		FlushErrorState();
		if (edata->table_name && strcmp(edata->table_name, "swaths") == 0)
			edata->hint = psprintf("The object is catalogued in table \"swaths\": delete its row first "
								   "(DELETE FROM swaths WHERE oid = '%s'), then the object.",
								   wosoid_to_cstring(oid));
		else
			edata->hint = psprintf("Rows of table \"%s\" refer to the object: delete them first.",
								   edata->table_name ? edata->table_name : "?");
		ReThrowError(edata);
	}
	PG_END_TRY();
	PG_RETURN_VOID();
}

/*
 * eoswath.outer_user(): the role the caller is (after SET ROLE), also inside
 * SECURITY DEFINER code and the catalog's own SPI calls, which run as the
 * extension's owner; the default of eoswath.objects.owner.
 */
PG_FUNCTION_INFO_V1(wos_outer_user);
Datum
wos_outer_user(PG_FUNCTION_ARGS)
{
	char	   *name = GetUserNameFromId(GetOuterUserId(), true);

	if (name == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall1(namein, CStringGetDatum(name)));
}
