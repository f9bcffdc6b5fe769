/*-------------------------------------------------------------------------
 *
 * granule_file.c
 *	  Granule objects as files for the granule library, and the files of
 *	  subsets coming back from it.
 *
 * An uncompressed object with a copy on a directory site is read in place:
 * the copy is the object's raw bytes.  Anything else (a gzip object, an
 * object with copies only on remote sites) is spooled to a temporary file
 * (inflated on the way if it is gzip) through PostgreSQL's temporary-file
 * machinery, so it counts against temp_file_limit and is removed whatever
 * happens.  The spool file has one owner, the resource owner current at
 * open: granule_file_close() closes it on success, the resource owner at
 * (sub)transaction abort on error.  (A memory context callback closing it
 * too made two owners: after an error both closed it, and the second close
 * failed with "temporary file N is not owned by resource owner Portal",
 * even in ROLLBACK.)
 *
 * A subset is written by the library to a temporary file created here,
 * bounded by temp_file_limit, then read back block by block into a bytea
 * or a new object.
 *
 *-------------------------------------------------------------------------
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "granule_client.h"
#include "granule_file.h"
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
 * The object's (decoded) bytes in a new temporary file.  Gzip objects
 * (stored with compress => true, or put already gzipped by a client) are
 * inflated on the way.
 */
static File
spool(ObjectRecord *rec, bool gzip, const char *label)
{
	File		file = OpenTemporaryFile(false);
	ObjectStream *gs;
	char	   *buf = eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	off_t		pos = 0;
	size_t		n;
	int64		max = (int64) eoswath_granule_max_inflated * 1024 * 1024;

	gs = object_stream_open(rec, gzip);
	while ((n = object_stream_read(gs, buf, eoswath_io_block_size)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (pos + (int64) n > max)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s inflates to more than eoswath.granule_max_inflated (%d MB)",
							label, eoswath_granule_max_inflated),
					 errdetail("It is stored as %lld bytes of gzip.", (long long) rec->size),
					 errhint("A superuser may raise eoswath.granule_max_inflated for genuine granules this large.")));
		spool_write(file, buf, n, &pos);
	}
	object_stream_close(gs);
	pfree(buf);
	return file;
}

/*
 * Does the local copy at path start with the gzip magic?  -1 when it cannot
 * be read (then the caller asks object_pread()).  The copy is read as it
 * is, unverified, as the granule helper reads it: verifying its first block
 * (4 MiB of SHA-256) for two bytes that only choose the decoder bought
 * nothing (a spool, for a gzip object, verifies all it reads).
 */
static int
local_looks_gzipped(const char *path)
{
	unsigned char magic[2] = {0, 0};
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	ssize_t		n;

	if (fd < 0)
		return -1;
	n = pg_pread(fd, magic, 2, 0);
	CloseTransientFile(fd);
	if (n < 0)
		return -1;
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

/* the object's granule, opened on a local copy or a spool file */
GranuleFile *
granule_file_open(WosOid oid)
{
	ObjectRecord *rec = catalog_fetch(oid, false);
	GranuleFile *gf = palloc0(sizeof(GranuleFile));
	bool		gzip;

	object_require_stored(rec);
	gf->label = psprintf("object %s", wosoid_to_cstring(oid));
	gf->spool = -1;
	gzip = strcmp(rec->encoding, "gzip") == 0;
	if (!gzip)
	{
		int			local;

		gf->path = local_copy(rec);
		local = gf->path ? local_looks_gzipped(gf->path) : -1;
		gzip = local < 0 ? looks_gzipped(rec) : local == 1;
	}
	if (gzip || gf->path == NULL)
	{
		gf->spool = spool(rec, gzip, gf->label);
		gf->path = pstrdup(FilePathName(gf->spool));
	}
	return gf;
}

/* close the granule, then the spool file (which removes it) */
void
granule_file_close(GranuleFile *gf)
{
	if (gf->spool >= 0)
		FileClose(gf->spool);
	gf->spool = -1;
}

/* ---------- subsets ---------- */

typedef void (*subset_sink) (void *arg, const char *data, size_t len);

/*
 * Write the subset of the object's granule to a new temporary file; its
 * size in *size.  false (and no file) when no pixel is inside.
 */
static bool
subset_to_file(WosOid oid, const GranuleSubsetRequest *req, File *out,
			   int64 *size)
{
	GranuleFile *gf = granule_file_open(oid);
	GranuleSubsetRequest r = *req;
	GranuleSubsetStats stats;
	GranuleSubsetStatus status;

	/* interXact = false: closed and deleted at transaction end whatever happens */
	*out = OpenTemporaryFile(false);
	r.out_path = FilePathName(*out);
	/* HDF5 writes the file through its own descriptor: bound it as ours */
	r.max_output_bytes = temp_file_limit < 0 ? -1 : (int64) temp_file_limit * 1024;
	status = granule_remote_subset(gf->path, gf->label, &r, &stats);
	granule_file_close(gf);
	if (status == GRANULE_SUBSET_EMPTY)
	{
		FileClose(*out);
		*out = -1;
		return false;
	}
	if (status == GRANULE_SUBSET_TOO_LARGE)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("temporary file size exceeds temp_file_limit (%dkB)",
						temp_file_limit),
				 errdetail("The subset of %s being written is %lld bytes.",
						   gf->label, (long long) stats.size)));
	*size = FileSize(*out);
	if (*size <= 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read the subset written to \"%s\": %m", FilePathName(*out))));
	return true;
}

/*
 * Read the subset file in blocks: into dst when it is not NULL (a bytea's
 * data, read in place), else into a buffer that sink gets each block of.
 */
static void
read_back(File file, int64 size, char *dst, subset_sink sink, void *arg)
{
	char	   *buf = dst ? NULL : eoswath_alloc_big(CurrentMemoryContext, eoswath_io_block_size);
	off_t		pos = 0;

	while (pos < size)
	{
		int			want = (int) Min((int64) eoswath_io_block_size, size - pos);
		char	   *into = dst ? dst + pos : buf;
		int			n;

		CHECK_FOR_INTERRUPTS();
		n = FileRead(file, into, want, pos, WAIT_EVENT_BUFFILE_READ);
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read temporary file \"%s\": %m", FilePathName(file))));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("temporary file \"%s\" ended early", FilePathName(file))));
		if (sink)
			sink(arg, into, n);
		pos += n;
	}
	if (buf)
		pfree(buf);
}

static void
sink_stream(void *arg, const char *data, size_t len)
{
	object_put_write((ObjectPut *) arg, data, len);
}

/* the subset as a bytea (allocated in the caller's context), or NULL */
bytea *
granule_file_subset(WosOid oid, const GranuleSubsetRequest *req)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(caller, "swath_subset",
											  ALLOCSET_DEFAULT_SIZES);
	File		out;
	int64		size;
	bytea	   *result = NULL;

	MemoryContextSwitchTo(cxt);
	if (subset_to_file(oid, req, &out, &size))
	{
		if (size > (int64) (MaxAllocSize - VARHDRSZ))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("subset of object %s is too large for a bytea", wosoid_to_cstring(oid)),
					 errdetail("The subset is %lld bytes; a bytea holds at most 1 GB.", (long long) size),
					 errhint("Store it as an object with swath_subset_store(), or pass fewer variables.")));
		result = eoswath_alloc_big(caller, size + VARHDRSZ);
		SET_VARSIZE(result, size + VARHDRSZ);
		read_back(out, size, VARDATA(result), NULL, NULL);
		FileClose(out);
	}
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(cxt);
	return result;
}

/* the subset stored as a new object, or InvalidWosOid */
WosOid
granule_file_subset_store(WosOid oid, const GranuleSubsetRequest *req,
						  Policy *policy, Jsonb *meta)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(caller, "swath_subset_store",
											  ALLOCSET_DEFAULT_SIZES);
	File		out;
	int64		size;
	WosOid		newoid = InvalidWosOid;

	MemoryContextSwitchTo(cxt);
	if (subset_to_file(oid, req, &out, &size))
	{
		ObjectPut  *put = object_put_begin(policy, meta, false, size);

		read_back(out, size, NULL, sink_stream, put);
		newoid = object_put_finish(put);
		FileClose(out);
	}
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(cxt);
	return newoid;
}
