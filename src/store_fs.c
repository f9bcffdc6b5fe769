/*
 * store_fs.c
 *		Directory sites: the embedded store.  Each site is a directory,
 *		typically on its own disk.
 *
 * A copy of object X lives at <site>/<lo>/<hi>/<X> where lo and hi are the
 * id's two low bytes in hex (65536 directories hold any number of objects
 * without huge directories).  A write goes to <X>.tmp<pid> and is renamed
 * into place after fsync, and the directory is fsynced after the rename, so
 * a copy is either absent or complete and durable.  The site's root holds
 * a marker file written when the site was added: a missing marker means the
 * disk is not mounted, and nothing is written there.
 *
 * A new site must be a new or empty directory, and never one of the
 * server's own: not inside (or above) the data directory, the WAL directory
 * or a tablespace, and not inside or above another site, whatever symlinks
 * lead there.  Admins who are not superusers add sites, and a site inside
 * e.g. pg_replslot stops the server from starting.  The one exception is
 * the default site, which lives in the data directory by design
 * (wos_default_site_location()).
 */
#include "eoswath.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "commands/extension.h"
#include "commands/tablespace.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "store.h"

#define SITE_MARKER		".eoswath-site"

typedef struct FsWriter
{
	StoreSite  *site;
	WosOid		oid;
	int			fd;
	char	   *tmppath;
	char	   *path;
	off_t		written;		/* bytes written */
	off_t		flushed;		/* bytes handed to writeback */
	DirectWriter *direct;		/* writing with O_DIRECT, or NULL */
	bool		direct_tried;
} FsWriter;

/*
 * A copy's writeback starts every FLUSH_AFTER bytes (Linux's
 * sync_file_range, as checkpoint_flush_after does for PostgreSQL's own
 * files), so that the disk writes while the bytes arrive and the fsync at
 * the end has little left; without it an object smaller than the kernel's
 * dirty threshold reaches the disk only at the fsync, after the whole
 * transfer.  Not pg_flush_data(): it PANICs on an error (data_sync_retry),
 * right for the server's own files, wrong for a site's disk, whose errors
 * are the put's.  An error here is only advice; the fsync reports it.
 *
 * Once eoswath.site_direct_after (1 GB) of a copy is written, the rest goes
 * with O_DIRECT, from a writer thread of the copy's own (store_direct.c),
 * where the file system takes it: a granule of many GB then neither fills
 * the page cache with bytes nobody reads soon, pushing the database's pages
 * out, nor waits for the kernel to find fresh pages for it.  Measured on
 * 2026-12-01 on the 2-core VM, alternating on one cluster: a 4 GiB put
 * took 4.7-5.4 s direct from its first 32 MiB against 16.0-17.2 s
 * buffered; a 1 GiB put 2.09-2.40 s direct against 1.77-2.80 s buffered
 * (the copy into the aligned blocks costs the backend's thread more than
 * the page cache's copy costs the kernel while the page cache has room),
 * hence the threshold.  A direct write from the backend's own thread, one
 * block at a time, lost at 1 GiB too (2.48-2.70 s against 2.33-2.39 s):
 * it then waits for the disk between receives.
 */
#define FLUSH_AFTER		(8 * 1024 * 1024)

static bool fs_unlink(const char *path);

/*
 * The site's directory.  A relative location is relative to the data
 * directory: the default sites (eoswath/db<database>-ext<extension>) stay
 * with the cluster's files when the data directory moves, is restored from
 * a base backup or is upgraded.
 */
static char *
fs_root(StoreSite *site)
{
	if (site->location[0] == '/')
		return site->location;
	if (site->private == NULL)
		site->private = MemoryContextStrdup(GetMemoryChunkContext(site),
										   psprintf("%s/%s", DataDir, site->location));
	return site->private;
}


typedef struct FsReader
{
	int			fd;
	char	   *path;
} FsReader;

/* <site>/<lo>/<hi> */
static char *
fs_dir(StoreSite *site, WosOid oid)
{
	return psprintf("%s/%02x/%02x", fs_root(site),
					(unsigned) (oid & 0xff), (unsigned) ((oid >> 8) & 0xff));
}

static char *
fs_path(StoreSite *site, WosOid oid)
{
	char		name[WOSOID_TEXT_LEN + 1];

	wosoid_format(oid, name);
	return psprintf("%s/%s", fs_dir(site, oid), name);
}

/* mkdir one level, fsyncing the parent if it was created */
static void
fs_mkdir(const char *dir, const char *parent)
{
	if (mkdir(dir, S_IRWXU) == 0)
		fsync_fname(parent, true);
	else if (errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", dir)));
}

/*
 * The path location names once its directories exist: each existing
 * component with its symlinks resolved (realpath), "." and ".." applied as
 * the kernel applies them, components that do not exist yet appended as
 * they are.  A symlink that leads nowhere is an error.
 */
static char *
fs_resolve(const char *location)
{
	char	   *copy = pstrdup(location);
	char	   *save = NULL;
	char		cur[PATH_MAX] = "/";

	for (char *c = strtok_r(copy, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save))
	{
		char		cand[PATH_MAX];
		struct stat st;

		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
		{
			/* cur has no symlinks in it: its parent is its last "/" */
			char	   *slash = strrchr(cur, '/');

			if (slash == cur)
				cur[1] = '\0';
			else
				*slash = '\0';
			continue;
		}
		if (snprintf(cand, sizeof(cand), "%s%s%s", cur, strcmp(cur, "/") == 0 ? "" : "/", c) >= PATH_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NAME_TOO_LONG),
					 errmsg("site location \"%s\" is too long", location)));
		if (lstat(cand, &st) != 0)
		{
			if (errno != ENOENT && errno != ENOTDIR)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not check site location \"%s\": could not stat \"%s\": %m",
								location, cand)));
			strcpy(cur, cand);	/* made by pg_mkdir_p() later */
			continue;
		}
		if (realpath(cand, cur) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("site location \"%s\" cannot be resolved", location),
					 errdetail("Resolving \"%s\" failed: %m.", cand),
					 errhint("A symlink in a site location must lead to an existing directory.")));
	}
	pfree(copy);
	return pstrdup(cur);
}

/* is the resolved path child dir itself or below it? */
static bool
fs_within(const char *dir, const char *child)
{
	size_t		n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(dir, child, n) == 0 && (child[n] == '/' || child[n] == '\0');
}

/* a place a site may not be in or above */
typedef struct FsForbidden
{
	char	   *path;			/* resolved */
	char	   *what;			/* "the data directory", "tablespace \"x\"" */
} FsForbidden;

/* the server's own directories, resolved: data, WAL, every tablespace */
static List *
fs_forbidden_places(void)
{
	List	   *places = NIL;
	char		buf[PATH_MAX];
	char	   *tblspc = psprintf("%s/pg_tblspc", DataDir);
	DIR		   *d;
	struct dirent *de;

#define FORBID(p, w) \
	do { \
		FsForbidden *f_ = palloc(sizeof(FsForbidden)); \
		f_->path = pstrdup(p); \
		f_->what = (w); \
		places = lappend(places, f_); \
	} while (0)

	if (realpath(DataDir, buf) == NULL)
		elog(ERROR, "could not resolve the data directory \"%s\": %m", DataDir);
	FORBID(buf, "the data directory");
	if (realpath(psprintf("%s/pg_wal", DataDir), buf) != NULL)
		FORBID(buf, "the WAL directory");
	d = AllocateDir(tblspc);
	while ((de = ReadDir(d, tblspc)) != NULL)
	{
		char	   *name;

		if (strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		if (realpath(psprintf("%s/%s", tblspc, de->d_name), buf) == NULL)
			continue;			/* dropped meanwhile */
		name = get_tablespace_name(atooid(de->d_name));
		FORBID(buf, psprintf("tablespace \"%s\"", name ? name : de->d_name));
	}
	FreeDir(d);
	return places;
}

/* the resolved directory of this database's default site */
static char *
fs_default_site(void)
{
	Oid			ext = get_extension_oid("eoswath", true);
	char		buf[PATH_MAX];

	if (!OidIsValid(ext) || realpath(DataDir, buf) == NULL)
		return NULL;
	return psprintf("%s/eoswath/db%u-ext%u", buf, MyDatabaseId, ext);
}

#define FS_HINT "A site is a new or empty directory, best on a disk of its own: outside the data directory, the WAL directory and every tablespace, and neither inside nor above another site."

static void
fs_refuse(const char *location, const char *real, const char *msg,
		  const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("site directory \"%s\" %s", location, msg),
			 strcmp(location, real) == 0 ? errdetail("%s", detail) :
			 errdetail("It resolves to \"%s\".  %s", real, detail),
			 errhint(FS_HINT)));
}

/*
 * A site marker below dir (not following symlinks), looking at no more
 * than *budget entries; NULL if none was found.
 */
static char *
fs_find_marker(const char *dir, int depth, int *budget)
{
	DIR		   *d;
	struct dirent *de;
	char	   *found = NULL;

	if (depth > 8 || *budget <= 0)
		return NULL;
	d = AllocateDir(dir);
	if (d == NULL)
		return NULL;
	while (found == NULL && (de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		char	   *path;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (--(*budget) <= 0)
			break;
		path = psprintf("%s/%s", dir, de->d_name);
		if (strcmp(de->d_name, SITE_MARKER) == 0)
			found = pstrdup(dir);
		else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			found = fs_find_marker(path, depth + 1, budget);
		pfree(path);
	}
	FreeDir(d);
	return found;
}

/*
 * Refuse a new site's location if it lies inside or above the server's own
 * directories or another site's (found by its marker).
 */
static void
fs_check_place(const char *location)
{
	char	   *real = fs_resolve(location);
	char	   *dflt = fs_default_site();
	ListCell   *lc;
	char	   *up;

	foreach(lc, fs_forbidden_places())
	{
		FsForbidden *f = lfirst(lc);

		if (fs_within(f->path, real))
		{
			if (dflt && strcmp(real, dflt) == 0 && strcmp(f->what, "the data directory") == 0)
				continue;		/* the default site: inside by design */
			fs_refuse(location, real,
					  psprintf("%s %s", strcmp(f->path, real) == 0 ? "is" : "is inside", f->what),
					  psprintf("\"%s\" is %s; its files belong to PostgreSQL, and a site there can stop the server from starting.",
							   f->path, f->what));
		}
		if (fs_within(real, f->path))
			fs_refuse(location, real, psprintf("contains %s", f->what),
					  psprintf("\"%s\" is %s.", f->path, f->what));
	}

	/* another site above: a marker in a parent directory */
	up = pstrdup(real);
	while (strcmp(up, "/") != 0)
	{
		char	   *slash = strrchr(up, '/');
		struct stat st;

		if (slash == up)
			up[1] = '\0';
		else
			*slash = '\0';
		if (stat(psprintf("%s%s%s", up, strcmp(up, "/") == 0 ? "" : "/", SITE_MARKER), &st) == 0)
			fs_refuse(location, real, "is inside another site's directory",
					  psprintf("\"%s\" is the directory of an eoswath site (it holds the marker file \"%s\").",
							   up, SITE_MARKER));
	}
}

/* Replace the marker durably: a new file, fsynced, renamed over the old. */
/* Replace the small file name in the site's directory, durably. */
static void
fs_write_note(StoreSite *site, const char *name, const char *text)
{
	char	   *marker = psprintf("%s/%s", fs_root(site), name);
	char	   *tmp = psprintf("%s.tmp%d", marker, MyProcPid);
	int			fd = OpenTransientFile(tmp, O_CREAT | O_WRONLY | O_TRUNC | PG_BINARY);

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	errno = 0;
	if (write(fd, text, strlen(text)) != (ssize_t) strlen(text) || pg_fsync(fd) != 0)
	{
		int			save = errno ? errno : ENOSPC;

		CloseTransientFile(fd);
		unlink(tmp);
		errno = save;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", tmp)));
	}
	CloseTransientFile(fd);
	(void) durable_rename(tmp, marker, ERROR);
}

static void
fs_write_marker(StoreSite *site, const char *text)
{
	fs_write_note(site, SITE_MARKER, text);
}

/* The text of the small file name (at most 4 kB), or NULL and why. */
static char *
fs_read_note(StoreSite *site, const char *name, char **why)
{
	char	   *marker = psprintf("%s/%s", fs_root(site), name);
	char	   *buf = palloc(4097);
	int			fd = OpenTransientFile(marker, O_RDONLY | PG_BINARY);
	ssize_t		n;

	if (fd < 0)
	{
		*why = psprintf("%s \"%s\" is missing: %s",
						   strcmp(name, SITE_MARKER) == 0 ? "marker file" : "file",
						   marker, strerror(errno));
		return NULL;
	}
	n = read(fd, buf, 4096);
	CloseTransientFile(fd);
	if (n < 0)
	{
		*why = psprintf("could not read %s \"%s\": %s",
						   strcmp(name, SITE_MARKER) == 0 ? "marker file" : "file",
						   marker, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static char *
fs_read_marker(StoreSite *site, char **why)
{
	return fs_read_note(site, SITE_MARKER, why);
}

static bool
fs_free_space(StoreSite *site, int64 *bytes)
{
	struct statvfs sv;

	if (statvfs(fs_root(site), &sv) != 0)
		return false;
	*bytes = (int64) sv.f_bavail * (int64) sv.f_frsize;
	return true;
}

static void
fs_validate(StoreSite *site, bool create)
{
	struct stat st;
	char	   *marker = psprintf("%s/%s", fs_root(site), SITE_MARKER);

	if (site->location[0] != '/' && strncmp(site->location, "eoswath/", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("site directory must be an absolute path: \"%s\"", site->location),
				 errhint("Only the default sites live at relative paths (under eoswath/ in the data directory).")));
	if (!create)
		return;

	fs_check_place(fs_root(site));
	if (stat(fs_root(site), &st) == 0)
	{
		DIR		   *d;
		struct dirent *de;

		if (!S_ISDIR(st.st_mode))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("site location \"%s\" is not a directory", fs_root(site))));
		d = AllocateDir(fs_root(site));
		while ((de = ReadDir(d, fs_root(site))) != NULL)
		{
			int			budget = 10000;
			char	   *below;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			FreeDir(d);
			if (stat(marker, &st) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("site directory \"%s\" is already the directory of a site", fs_root(site)),
						 errdetail("It holds the marker file \"%s\".", SITE_MARKER),
						 errhint(FS_HINT)));
			below = fs_find_marker(fs_root(site), 0, &budget);
			if (below)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("site directory \"%s\" contains another site's directory", fs_root(site)),
						 errdetail("\"%s\" is the directory of an eoswath site (it holds the marker file \"%s\").",
								   below, SITE_MARKER),
						 errhint(FS_HINT)));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("site directory \"%s\" is not empty", fs_root(site)),
					 errhint("Give a new or empty directory; eoswath only writes into directories it owns.")));
		}
		FreeDir(d);
	}
	else if (pg_mkdir_p(fs_root(site), S_IRWXU) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", fs_root(site))));

	fs_write_marker(site, site->marker);
}

static bool
fs_available(StoreSite *site, char **why)
{
	struct stat st;
	char	   *marker = psprintf("%s/%s", fs_root(site), SITE_MARKER);

	if (stat(marker, &st) != 0)
	{
		if (why)
			*why = psprintf("marker file \"%s\" is missing: %s", marker, strerror(errno));
		return false;
	}
	return true;
}

static void *
fs_begin_write(StoreSite *site, WosOid oid, int64 size_hint)
{
	FsWriter   *w = palloc0(sizeof(FsWriter));
	char	   *dir = fs_dir(site, oid);
	char	   *lo = pnstrdup(dir, strlen(dir) - 3);

	fs_mkdir(lo, fs_root(site));
	fs_mkdir(dir, lo);

	w->site = site;
	w->oid = oid;
	w->path = fs_path(site, oid);
	w->tmppath = psprintf("%s.tmp%d", w->path, MyProcPid);
	w->fd = OpenTransientFile(w->tmppath, O_CREAT | O_WRONLY | O_TRUNC | PG_BINARY);
	if (w->fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", w->tmppath)));
	return w;
}

/* out of space: the disk is full, or a quota is reached */
static bool
fs_out_of_space(int err)
{
	return err == ENOSPC || err == EDQUOT;
}

/*
 * A write of the copy failed with err: false if the site is out of space
 * (the put makes the copy elsewhere), otherwise an ERROR.
 */
static bool
fs_write_failed(FsWriter *w, int err)
{
	errno = err;
	if (fs_out_of_space(err))
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("could not write to file \"%s\": %m", w->tmppath)));
		return false;
	}
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not write to file \"%s\": %m", w->tmppath)));
	return false;				/* keep the compiler quiet */
}

/* through the page cache */
static bool
fs_write_buffered(FsWriter *w, const char *data, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = write(w->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fs_write_failed(w, n == 0 ? ENOSPC : errno);
		data += n;
		len -= n;
		w->written += n;
	}
#ifdef HAVE_SYNC_FILE_RANGE
	if (w->written - w->flushed >= FLUSH_AFTER)
	{
		(void) sync_file_range(w->fd, w->flushed, w->written - w->flushed,
							   SYNC_FILE_RANGE_WRITE);
		w->flushed = w->written;
	}
#endif
	return true;
}

static bool
fs_write(void *handle, const char *data, size_t len)
{
	FsWriter   *w = handle;
	off_t		after = (off_t) eoswath_site_direct_after * 1024 * 1024;
	int			err;

	if (w->direct == NULL && !w->direct_tried && after >= 0 &&
		w->written + (off_t) len > after)
	{
		/* through the page cache up to the threshold, aligned; then directly */
		off_t		start = Max(after, w->written);
		size_t		head;

		start = (start + DIRECT_ALIGN - 1) / DIRECT_ALIGN * DIRECT_ALIGN;
		head = start - w->written;
		if (head >= len)
			return fs_write_buffered(w, data, len);
		if (!fs_write_buffered(w, data, head))
			return false;
		data += head;
		len -= head;
		w->direct_tried = true;
		{
			MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(w));

			w->direct = direct_begin(w->fd, w->written);
			MemoryContextSwitchTo(old);
		}
	}
	if (w->direct == NULL)
		return fs_write_buffered(w, data, len);
	if ((err = direct_write(w->direct, data, len)) != 0)
		return fs_write_failed(w, err);
	w->written += len;
	return true;
}

static bool
fs_finish_write(void *handle)
{
	FsWriter   *w = handle;
	int			err;

	if (w->direct != NULL && (err = direct_finish(w->direct, w->fd)) != 0)
		return fs_write_failed(w, err);
	if (pg_fsync(w->fd) != 0)
	{
		/* delayed allocation, NFS: the disk may fill only now */
		if (fs_out_of_space(errno))
		{
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not fsync file \"%s\": %m", w->tmppath)));
			return false;
		}
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", w->tmppath)));
	}
	CloseTransientFile(w->fd);
	w->fd = -1;
	/* fsyncs the file again and then the directory */
	(void) durable_rename(w->tmppath, w->path, ERROR);
	return true;
}

static void
fs_abort_write(void *handle)
{
	FsWriter   *w = handle;

	if (w->direct != NULL)
		direct_abort(w->direct);
	if (w->fd >= 0)
		CloseTransientFile(w->fd);
	w->fd = -1;
	(void) fs_unlink(w->tmppath);
}

static void *
fs_open_read(StoreSite *site, WosOid oid, int64 *size)
{
	FsReader   *r = palloc0(sizeof(FsReader));
	struct stat st;

	r->path = fs_path(site, oid);
	r->fd = OpenTransientFile(r->path, O_RDONLY | PG_BINARY);
	if (r->fd < 0)
	{
		if (errno != ENOENT && errno != ENOTDIR)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not open file \"%s\": %m", r->path)));
		pfree(r->path);
		pfree(r);
		return NULL;
	}
	if (fstat(r->fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", r->path)));
	*size = st.st_size;
	return r;
}

static size_t
fs_read(void *handle, char *buf, size_t len, int64 offset)
{
	FsReader   *r = handle;
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pg_pread(r->fd, buf + done, len - done, offset + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", r->path)));
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static void
fs_close_read(void *handle)
{
	FsReader   *r = handle;

	if (r->fd >= 0)
		CloseTransientFile(r->fd);
	r->fd = -1;
}

static bool
fs_unlink(const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not remove file \"%s\": %m", path)));
		return false;
	}
	return true;
}

static bool
fs_remove(StoreSite *site, WosOid oid)
{
	char	   *path = fs_path(site, oid);
	char	   *tmp = psprintf("%s.tmp%d", path, MyProcPid);
	bool		ok = fs_unlink(path);

	ok = fs_unlink(tmp) && ok;

	pfree(tmp);
	pfree(path);
	return ok;
}

static bool
is_hex2(const char *s)
{
	return strlen(s) == 2 && isxdigit((unsigned char) s[0]) && isxdigit((unsigned char) s[1]);
}

static void
fs_list(StoreSite *site, store_list_cb cb, void *arg)
{
	DIR		   *d1;
	struct dirent *e1;

	d1 = AllocateDir(fs_root(site));
	while ((e1 = ReadDir(d1, fs_root(site))) != NULL)
	{
		char	   *p1;
		DIR		   *d2;
		struct dirent *e2;

		if (!is_hex2(e1->d_name))
			continue;
		p1 = psprintf("%s/%s", fs_root(site), e1->d_name);
		d2 = AllocateDir(p1);
		while ((e2 = ReadDir(d2, p1)) != NULL)
		{
			char	   *p2;
			DIR		   *d3;
			struct dirent *e3;

			if (!is_hex2(e2->d_name))
				continue;
			p2 = psprintf("%s/%s", p1, e2->d_name);
			d3 = AllocateDir(p2);
			while ((e3 = ReadDir(d3, p2)) != NULL)
			{
				char		idtext[WOSOID_TEXT_LEN + 1];
				WosOid		oid;
				bool		is_temp;
				char	   *rel;

				CHECK_FOR_INTERRUPTS();
				if (strlen(e3->d_name) < WOSOID_TEXT_LEN)
					continue;
				memcpy(idtext, e3->d_name, WOSOID_TEXT_LEN);
				idtext[WOSOID_TEXT_LEN] = '\0';
				if (!wosoid_parse(idtext, &oid))
					continue;
				is_temp = strncmp(e3->d_name + WOSOID_TEXT_LEN, ".tmp", 4) == 0;
				if (!is_temp && e3->d_name[WOSOID_TEXT_LEN] != '\0')
					continue;
				rel = psprintf("%s/%s/%s", e1->d_name, e2->d_name, e3->d_name);
				cb(site, oid, rel, is_temp, arg);
				pfree(rel);
			}
			FreeDir(d3);
			pfree(p2);
		}
		FreeDir(d2);
		pfree(p1);
	}
	FreeDir(d1);
}

static bool
fs_remove_entry(StoreSite *site, const char *name)
{
	char	   *path = psprintf("%s/%s", fs_root(site), name);
	bool		ok = fs_unlink(path);

	pfree(path);
	return ok;
}

static char *
fs_local_path(StoreSite *site, WosOid oid)
{
	return fs_path(site, oid);
}

const StoreMethods store_fs_methods = {
	.kind = "dir",
	.cost = 0,
	.validate = fs_validate,
	.available = fs_available,
	.read_marker = fs_read_marker,
	.write_marker = fs_write_marker,
	.read_note = fs_read_note,
	.write_note = fs_write_note,
	.free_space = fs_free_space,
	.begin_write = fs_begin_write,
	.write = fs_write,
	.finish_write = fs_finish_write,
	.abort_write = fs_abort_write,
	.open_read = fs_open_read,
	.read = fs_read,
	.close_read = fs_close_read,
	.remove = fs_remove,
	.list = fs_list,
	.remove_entry = fs_remove_entry,
	.local_path = fs_local_path,
};
