/*
 * granule.c
 *		A granule object as a file for netCDF-C.
 *
 * An uncompressed object with a copy on a directory site is read in place:
 * the copy is the object's raw bytes.  Anything else (a gzip object, an
 * object with copies only on remote sites) is spooled to a temporary file
 * (inflated on the way if it is gzip) through PostgreSQL's temporary-file
 * machinery, so it counts against
 * temp_file_limit and is removed at transaction end whatever happens.
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "granule.h"
#include "object.h"

/* the path of an intact-size local copy of an uncompressed object, or NULL */
static char *
local_copy(ObjectRecord *rec)
{
	ListCell   *lc;

	if (strcmp(rec->encoding, "identity") != 0)
		return NULL;
	foreach(lc, object_sites(rec))
	{
		StoreSite  *s = lfirst(lc);
		char	   *path;

		if (s->methods->local_path == NULL ||
			object_copy_presence(rec, s) != COPY_OK)
			continue;
		path = s->methods->local_path(s, rec->oid);
		if (path)
			return path;
	}
	return NULL;
}

/* append bytes to the spool file */
static void
spool_write(File file, const char *buf, size_t len, off_t *pos)
{
	int			n = FileWrite(file, (char *) buf, len, *pos, WAIT_EVENT_BUFFILE_WRITE);

	if (n != (int) len)
	{
		if (n >= 0)
			errno = ENOSPC;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write to temporary file \"%s\": %m", FilePathName(file))));
	}
	*pos += len;
}

/* Close (and so delete) the spool file when the caller's memory goes. */
static void
spool_close_callback(void *arg)
{
	FileClose((File) (intptr_t) arg);
}

/* Do the object's bytes start with the gzip magic (a client put a .gz)? */
static bool
looks_gzipped(ObjectRecord *rec)
{
	ObjectReader *r;
	unsigned char magic[2] = {0, 0};
	size_t		n;

	if (rec->size < 2)
		return false;
	r = object_open(rec, false);
	n = object_pread(r, (char *) magic, 2, 0);
	object_close(r);
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/*
 * Path of a file holding the object's (decoded) bytes; valid until the end
 * of the transaction.  Gzip objects (stored with compress => true, or put
 * already gzipped by a client) are inflated on the way.
 */
char *
granule_file(ObjectRecord *rec)
{
	char	   *path;
	File		file;
	ObjectStream *gs;
	char	   *buf;
	off_t		pos = 0;
	size_t		n;
	bool		gzip;
	MemoryContextCallback *cb;

	object_require_stored(rec);
	gzip = strcmp(rec->encoding, "gzip") == 0 || looks_gzipped(rec);
	if (!gzip && (path = local_copy(rec)) != NULL)
		return path;

	/*
	 * The file lives until the caller's memory context goes (after the
	 * netCDF file opened on it, whose close callback is registered later and
	 * so runs first); on error the resource owner closes it.
	 */
	file = OpenTemporaryFile(false);
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = spool_close_callback;
	cb->arg = (void *) (intptr_t) file;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	buf = palloc(eoswath_io_block_size);
	gs = object_stream_open(rec, gzip);
	while ((n = object_stream_read(gs, buf, eoswath_io_block_size)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		spool_write(file, buf, n, &pos);
	}
	object_stream_close(gs);
	pfree(buf);
	return pstrdup(FilePathName(file));
}
