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
 */
#include "eoswath.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

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
} FsWriter;

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

/* Replace the marker durably: a new file, fsynced, renamed over the old. */
static void
fs_write_marker(StoreSite *site, const char *text)
{
	char	   *marker = psprintf("%s/%s", fs_root(site), SITE_MARKER);
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

/* The marker's text (at most 4 kB), or NULL and why. */
static char *
fs_read_marker(StoreSite *site, char **why)
{
	char	   *marker = psprintf("%s/%s", fs_root(site), SITE_MARKER);
	char	   *buf = palloc(4097);
	int			fd = OpenTransientFile(marker, O_RDONLY | PG_BINARY);
	ssize_t		n;

	if (fd < 0)
	{
		*why = psprintf("marker file \"%s\" is missing: %s", marker, strerror(errno));
		return NULL;
	}
	n = read(fd, buf, 4096);
	CloseTransientFile(fd);
	if (n < 0)
	{
		*why = psprintf("could not read marker file \"%s\": %s", marker, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	return buf;
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

	if (site->location[0] != '/' && strncmp(site->location, "eoswath/", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("site directory must be an absolute path: \"%s\"", site->location),
				 errhint("Only the default sites live at relative paths (under eoswath/ in the data directory).")));
	if (!create)
		return;

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
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			FreeDir(d);
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

static void
fs_write(void *handle, const char *data, size_t len)
{
	FsWriter   *w = handle;

	while (len > 0)
	{
		ssize_t		n = write(w->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			if (n == 0)
				errno = ENOSPC;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write to file \"%s\": %m", w->tmppath)));
		}
		data += n;
		len -= n;
	}
}

static void
fs_finish_write(void *handle)
{
	FsWriter   *w = handle;

	if (pg_fsync(w->fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", w->tmppath)));
	CloseTransientFile(w->fd);
	w->fd = -1;
	/* fsyncs the file again and then the directory */
	(void) durable_rename(w->tmppath, w->path, ERROR);
}

static void
fs_abort_write(void *handle)
{
	FsWriter   *w = handle;

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
