/*
 * object_file.c
 *		Objects from and to files on the database server (wos_put_file and
 *		wos_get_file; the privilege checks are theirs).  Both stream through
 *		one I/O block at a time.
 *
 * object_get_file() writes <path>.eoswath-tmp<pid> in the target's
 * directory, fsyncs it and links it into place, which fails if the target
 * exists (rename replaces it when overwrite is asked), so a reader of the
 * target never sees a partial file and an existing file is never clobbered
 * by surprise.  The temporary file is removed on every error path; only a
 * crash of the server can leave one behind.
 */
#include "eoswath.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "object.h"

/* Store the file at path (absolute) as a new object; returns its id. */
WosOid
object_put_file(const char *path, Policy *policy, Jsonb *meta, bool compress)
{
	MemoryContext cxt,
				old;
	ObjectPut  *put;
	struct stat st;
	char	   *buf;
	int			fd;
	WosOid		oid;

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
	buf = eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	put = object_put_begin(policy, meta, compress, -1);
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
		object_put_write(put, buf, n);
	}
	oid = object_put_finish(put);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	CloseTransientFile(fd);
	return oid;
}

/* Write the whole object to fd; returns the bytes written. */
static int64
copy_object_to_fd(ObjectRecord *rec, bool decompress, int fd, const char *tmppath)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath get file",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	char	   *buf = eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	ObjectStream *os = object_stream_open(rec, decompress);
	int64		total = 0;
	size_t		n;

	while ((n = object_stream_read(os, buf, eoswath_io_block_size)) > 0)
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
	object_stream_close(os);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return total;
}

/*
 * Write the object (inflated if asked) to the file at path (absolute);
 * returns the bytes written.
 */
int64
object_get_file(ObjectRecord *rec, const char *path, bool decompress, bool overwrite)
{
	char	   *tmppath;
	char	   *dir;
	struct stat st;
	volatile int fd;
	volatile int64 total = 0;

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
	return total;
}
