/*
 * granule.c
 *		A granule object as a file for netCDF-C.
 *
 * An uncompressed object with a copy on a directory site is read in place:
 * the copy is the object's raw bytes.  Anything else (a gzip object, an
 * object with copies only on remote sites) is spooled to a temporary file
 * through PostgreSQL's temporary-file machinery, so it counts against
 * temp_file_limit and is removed at transaction end whatever happens.
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "granule.h"
#include "object.h"
#ifdef EOSWATH_HAVE_GZIP
#include "gzip.h"
#endif

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
		int64		size = -1;
		void	   *h;

		if (s->methods->local_path == NULL)
			continue;
		h = s->methods->open_read(s, rec->oid, &size);
		if (h == NULL)
			continue;
		s->methods->close_read(h);
		if (size != rec->size)
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

/* Path of a file holding the object's (decoded) bytes; valid until transaction end. */
char *
granule_file(ObjectRecord *rec)
{
	char	   *path = local_copy(rec);
	File		file;
	ObjectReader *r;
	char	   *buf;
	off_t		pos = 0;
	bool		gzip = (strcmp(rec->encoding, "gzip") == 0);
#ifdef EOSWATH_HAVE_GZIP
	GzipInflater *inf = NULL;
#endif

	if (path)
		return path;

	object_require_stored(rec);
#ifndef EOSWATH_HAVE_GZIP
	if (gzip)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("gzip objects are not supported by this build")));
#else
	if (gzip)
		inf = gzip_inflater_create();
#endif
	/* interXact = false: closed and deleted at the end of the transaction */
	file = OpenTemporaryFile(false);
	buf = palloc(eoswath_io_block_size);
	r = object_open(rec, true);
	for (;;)
	{
		size_t		n;

		CHECK_FOR_INTERRUPTS();
		n = object_read(r, buf, eoswath_io_block_size);
		if (n == 0)
			break;
		if (!gzip)
			spool_write(file, buf, n, &pos);
#ifdef EOSWATH_HAVE_GZIP
		else
			gzip_inflate_to(inf, buf, n, (gzip_sink) spool_write, file, &pos);
#endif
	}
#ifdef EOSWATH_HAVE_GZIP
	if (gzip)
		gzip_inflate_finish(inf);
#endif
	object_close(r);
	pfree(buf);
	if (FileSync(file, WAIT_EVENT_BUFFILE_WRITE) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not flush temporary file \"%s\": %m", FilePathName(file))));
	return pstrdup(FilePathName(file));
}
