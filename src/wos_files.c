/*
 * wos_files.c
 *		SQL entry points for server-side files: wos_put_file() stores a file
 *		on the database host as an object, wos_get_file() writes an object to
 *		a file there (object_file.c does the work).
 *
 * Like COPY FROM/TO a file, these run as the server's operating-system user,
 * so they are allowed only to roles with the privileges of
 * pg_read_server_files (put) or pg_write_server_files (get); superusers
 * have both.
 */
#include "eoswath.h"

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "object.h"

/* Refuse unless the current role has the privileges of role. */
static void
check_file_privilege(Oid role, const char *rolename, const char *func)
{
	if (!has_privs_of_role(GetUserId(), role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for %s", func),
				 errdetail("Only roles with privileges of the \"%s\" role may use %s.",
						   rolename, func),
				 errhint("Stream the data from the client with wos_put_stream() or the eoswath command instead.")));
}

static char *
path_arg(FunctionCallInfo fcinfo, int argno, const char *func)
{
	char	   *path;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("file path must not be null")));
	path = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("relative path not allowed for %s", func),
				 errhint("Give an absolute path on the database server.")));
	return path;
}

PG_FUNCTION_INFO_V1(wos_put_file);
Datum
wos_put_file(PG_FUNCTION_ARGS)
{
	char	   *path;
	Policy	   *policy;
	Jsonb	   *meta = NULL;
	bool		compress = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);

	check_file_privilege(ROLE_PG_READ_SERVER_FILES, "pg_read_server_files", "wos_put_file()");
	path = path_arg(fcinfo, 0, "wos_put_file()");
	policy = object_policy(PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (!PG_ARGISNULL(2))
		meta = PG_GETARG_JSONB_P(2);
	object_check_meta(meta);
	PG_RETURN_WOSOID(object_put_file(path, policy, meta, compress));
}

PG_FUNCTION_INFO_V1(wos_get_file);
Datum
wos_get_file(PG_FUNCTION_ARGS)
{
	char	   *path;
	bool		decompress = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	bool		overwrite = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	ObjectRecord *rec;

	check_file_privilege(ROLE_PG_WRITE_SERVER_FILES, "pg_write_server_files", "wos_get_file()");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("object id must not be null")));
	path = path_arg(fcinfo, 1, "wos_get_file()");
	rec = catalog_fetch(PG_GETARG_WOSOID(0), false);
	PG_RETURN_INT64(object_get_file(rec, path, decompress, overwrite));
}
