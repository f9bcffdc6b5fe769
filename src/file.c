/*
 * file.c
 *		Server-side files: wos_put_file() stores a file on the database host
 *		as an object, wos_get_file() writes an object to a file there.
 *
 * Like COPY FROM/TO a file, these run as the server's operating-system user,
 * so they are allowed only to roles with the privileges of
 * pg_read_server_files (put) or pg_write_server_files (get); superusers
 * have both.  Both stream through one I/O block at a time.
 *
 * wos_get_file() writes <path>.eoswath-tmp<pid> in the target's directory,
 * fsyncs it and links it into place, which fails if the target exists
 * (rename replaces it when overwrite is asked), so a reader of the target
 * never sees a partial file and an existing file is never clobbered by
 * surprise.  The temporary file is removed on every error path; only a
 * crash of the server can leave one behind.
 */
#include "eoswath.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "stream.h"

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
	MemoryContext cxt,
				old;
	PutStream  *ps;
	struct stat st;
	char	   *buf;
	int			fd;
	WosOid		oid;

	check_file_privilege(ROLE_PG_READ_SERVER_FILES, "pg_read_server_files", "wos_put_file()");
	path = path_arg(fcinfo, 0, "wos_put_file()");
	policy = catalog_get_policy(PG_ARGISNULL(1) ? eoswath_default_policy :
								text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (!PG_ARGISNULL(2))
		meta = PG_GETARG_JSONB_P(2);
	check_meta(meta);

	/* closed at transaction end if an error comes first */
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory", path)));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath put file",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	buf = palloc(eoswath_io_block_size);
	ps = put_stream_begin(policy, meta, compress);
	for (;;)
	{
		ssize_t		n;

		CHECK_FOR_INTERRUPTS();
		n = read(fd, buf, eoswath_io_block_size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		if (n == 0)
			break;
		put_stream_write(ps, buf, n);
	}
	oid = put_stream_finish(ps);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	CloseTransientFile(fd);
	PG_RETURN_WOSOID(oid);
}

/* Write the whole object to fd; returns the bytes written. */
static int64
copy_object_to_fd(ObjectRecord *rec, bool decompress, int fd, const char *tmppath)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath get file",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	char	   *buf = palloc(eoswath_io_block_size);
	GetStream  *gs = get_stream_begin(rec, decompress);
	int64		total = 0;
	size_t		n;

	while ((n = get_stream_read(gs, buf, eoswath_io_block_size)) > 0)
	{
		char	   *p = buf;

		while (n > 0)
		{
			ssize_t		w = write(fd, p, n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
			{
				if (w == 0)
					errno = ENOSPC;
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not write to file \"%s\": %m", tmppath)));
			}
			p += w;
			n -= w;
			total += w;
		}
	}
	get_stream_end(gs);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return total;
}

PG_FUNCTION_INFO_V1(wos_get_file);
Datum
wos_get_file(PG_FUNCTION_ARGS)
{
	WosOid		oid;
	char	   *path;
	bool		decompress = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	bool		overwrite = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	ObjectRecord *rec;
	char	   *tmppath;
	char	   *dir;
	struct stat st;
	volatile int fd;
	volatile int64 total = 0;

	check_file_privilege(ROLE_PG_WRITE_SERVER_FILES, "pg_write_server_files", "wos_get_file()");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("object id must not be null")));
	oid = PG_GETARG_WOSOID(0);
	path = path_arg(fcinfo, 1, "wos_get_file()");
	rec = catalog_fetch(oid, false);
	object_require_stored(rec);

	if (!overwrite && lstat(path, &st) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_FILE),
				 errmsg("file \"%s\" already exists", path),
				 errhint("Pass overwrite => true to replace it.")));
	dir = pstrdup(path);
	get_parent_directory(dir);
	if (dir[0] == '\0')
		dir = pstrdup("/");
	tmppath = psprintf("%s.eoswath-tmp%d", path, MyProcPid);
	fd = OpenTransientFilePerm(tmppath, O_CREAT | O_EXCL | O_WRONLY | PG_BINARY,
							   S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmppath)));
	/* as COPY TO does: readable by other users of the host */
	(void) fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);

	PG_TRY();
	{
		total = copy_object_to_fd(rec, decompress, fd, tmppath);
		if (pg_fsync(fd) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not fsync file \"%s\": %m", tmppath)));
		CloseTransientFile(fd);
		fd = -1;
		if (overwrite)
			(void) durable_rename(tmppath, path, ERROR);
		else
		{
			/* link() fails if the target appeared meanwhile: never clobber */
			if (link(tmppath, path) != 0)
			{
				if (errno == EEXIST)
					ereport(ERROR,
							(errcode(ERRCODE_DUPLICATE_FILE),
							 errmsg("file \"%s\" already exists", path),
							 errhint("Pass overwrite => true to replace it.")));
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not link file \"%s\" to \"%s\": %m", tmppath, path)));
			}
			if (unlink(tmppath) != 0)
				ereport(WARNING,
						(errcode_for_file_access(),
						 errmsg("could not remove file \"%s\": %m", tmppath)));
			fsync_fname(dir, true);
		}
	}
	PG_CATCH();
	{
		if (fd >= 0)
			CloseTransientFile(fd);
		if (unlink(tmppath) != 0 && errno != ENOENT)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\": %m", tmppath)));
		PG_RE_THROW();
	}
	PG_END_TRY();
	PG_RETURN_INT64(total);
}
