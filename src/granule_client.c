/*
 * granule_client.c
 *		The backend's side of the granule helper: starting it, sending a
 *		request, reading the replies, and turning whatever happened to the
 *		helper into an ordinary error.
 *
 * One helper process runs per backend, started on first use with
 * posix_spawn() (its standard input and output are pipes to this backend,
 * standard error is /dev/null, nothing else is inherited).  It forks a
 * confined child per request (see helper/main.c), so no parse ever shares a
 * process with another.  The helper is stopped (SIGKILL to its process
 * group, which holds the child too) when anything goes wrong: an error
 * reply, a crash of the child, a malformed frame, or an error in this
 * backend while waiting (a query cancel, statement_timeout, terminate),
 * and when the current role changes; the next call starts a new one.  So a
 * cancel returns as soon as the latch is set, however long the parse would
 * have taken, and nothing of one role's requests survives into another's.
 *
 * Replies are untrusted: the child parsed hostile bytes.  Frames are
 * bounded (GP_MAX_FRAME), every field is checked as it is read
 * (granule_proto.c), and counts and sizes are checked against what the
 * request can produce.
 */
#include "eoswath.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/wait.h>

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "granule_client.h"
#include "granule_proto.h"
#include "quicklook.h"

#define HELPER_NAME		"eoswath-granule"

typedef struct Helper
{
	pid_t		pid;			/* 0: none running */
	int			to_fd;			/* its standard input */
	int			from_fd;		/* its standard output */
	Oid			role;			/* the role it was started for */
} Helper;

static Helper helper;
static bool exit_hook = false;

/* Stop the helper and its child, if any; never fails. */
static void
helper_stop(void)
{
	int			status;

	if (helper.pid <= 0)
		return;
	(void) kill(-helper.pid, SIGKILL);	/* its process group: the child too */
	(void) kill(helper.pid, SIGKILL);
	close(helper.to_fd);
	close(helper.from_fd);
	while (waitpid(helper.pid, &status, 0) < 0 && errno == EINTR)
		;
	helper.pid = 0;
}

static void
helper_exit_hook(int code, Datum arg)
{
	helper_stop();
}

static void
helper_start(void)
{
	char	   *path = psprintf("%s/%s", pkglib_path, HELPER_NAME);
	char	   *argv[] = {HELPER_NAME, NULL};
	/*
	 * Each request's child fills a fresh heap, and on a VM whose freed
	 * memory goes back to the host every first touch of a 4 kB page is a
	 * fault that costs microseconds (README, Performance).  So malloc asks
	 * for transparent huge pages (glibc.malloc.hugetlb=1: madvise, which
	 * matters where THP is "madvise"), and takes blocks up to 64 MB from
	 * its heap rather than from an mmap() each (mmap_threshold): a child
	 * lives for one request, so its heap is never left fragmented.
	 */
	char	   *envp[] = {"LC_ALL=C",
		"GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=67108864",
	NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t	all,
				none;
	int			in[2],
				out[2];
	pid_t		pid;
	int			rc;

	if (access(path, X_OK) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not run the granule helper \"%s\": %m", path),
				 errhint("It is installed with the extension (make install).")));
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not create a pipe for the granule helper: %m")));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);

	/*
	 * Default signal handling, nothing blocked: the backend ignores SIGXFSZ
	 * and SIGPIPE, and an ignored signal stays ignored across exec.  With
	 * SIGXFSZ ignored, the child's RLIMIT_FSIZE (granule_output_limit) made
	 * its writes fail with EFBIG deep in HDF5 instead of ending it.
	 */
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (rc != 0)
	{
		close(in[1]);
		close(out[0]);
		errno = rc;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the granule helper \"%s\": %m", path)));
	}
	/* non-blocking: waits go through the latch, so that a cancel is seen */
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) != 0)
		elog(ERROR, "could not make the granule helper's pipes non-blocking: %m");
	helper.pid = pid;
	helper.to_fd = in[1];
	helper.from_fd = out[0];
	helper.role = GetUserId();
	if (!exit_hook)
	{
		before_shmem_exit(helper_exit_hook, (Datum) 0);
		exit_hook = true;
	}
}

/* Wait until fd is ready (WL_SOCKET_READABLE or _WRITEABLE), or an interrupt. */
static void
wait_fd(int fd, int event)
{
	int			rc = WaitLatchOrSocket(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | event,
									   fd, -1L, PG_WAIT_EXTENSION);

	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
send_all(const char *p, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = write(helper.to_fd, p, len);

		if (n > 0)
		{
			p += n;
			len -= n;
		}
		else if (n < 0 && (errno == EAGAIN || errno == EINTR))
			wait_fd(helper.to_fd, WL_SOCKET_WRITEABLE);
		else
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not send a request to the granule helper: %m")));
	}
}

static void
recv_all(char *p, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = read(helper.from_fd, p, len);

		if (n > 0)
		{
			p += n;
			len -= n;
		}
		else if (n < 0 && (errno == EAGAIN || errno == EINTR))
			wait_fd(helper.from_fd, WL_SOCKET_READABLE);
		else
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("the granule helper ended unexpectedly"),
					 n == 0 ? 0 : errdetail("%m")));
	}
}

/* Read one frame into buf (payload only); returns its type. */
static GpType
recv_frame(StringInfo buf)
{
	unsigned char h[GP_HEADER_SIZE];
	uint32		len;

	recv_all((char *) h, GP_HEADER_SIZE);
	len = (uint32) h[0] | ((uint32) h[1] << 8) | ((uint32) h[2] << 16) | ((uint32) h[3] << 24);
	if (len < 1 || len > GP_MAX_FRAME)
		gp_protocol_error(psprintf("A frame claims %u bytes.", len));
	resetStringInfo(buf);
	enlargeStringInfo(buf, len - 1);
	recv_all(buf->data, len - 1);
	buf->len = len - 1;
	return (GpType) h[4];
}

/* the start of every request: what, where, and the child's limits */
static void
request_begin(StringInfo f, GpType type, const char *path, const char *label,
			  const char *out_path)
{
	gp_begin(f, type);
	gp_put_string(f, label);
	gp_put_string(f, path);
	gp_put_string(f, out_path);
	gp_put_int64(f, (int64) eoswath_granule_memory_limit * 1024 * 1024);
	gp_put_int64(f, eoswath_granule_cpu_limit);
	gp_put_int64(f, (int64) eoswath_granule_output_limit * 1024 * 1024);
	gp_put_int64(f, eoswath_granule_allow_unconfined);
}

/* receives every data frame of a reply */
typedef void (*reply_cb) (void *arg, GpType type, GpReader *r);

/* an error reply, kept until the helper's status has been read */
typedef struct ReplyError
{
	int			sqlerrcode;
	char	   *message;
	char	   *detail;
	char	   *hint;
} ReplyError;

static char *
clip(char *s)
{
	if (s && strlen(s) > 2000)
		s[2000] = '\0';
	return s;
}

static const char *
signal_name(int sig)
{
	const char *name = pg_strsignal(sig);

	return name ? name : "unknown signal";
}

/*
 * Send a request and read its replies up to the helper's status.  Any
 * error, here or reported, stops the helper before it is raised.
 */
static void
request_run(StringInfo f, const char *label, reply_cb cb, void *arg)
{
	StringInfoData buf;
	ReplyError	err = {0};
	volatile bool done = false;
	volatile int64 end = -1,
				code = 0;

	gp_end(f);
	if (helper.pid > 0 && helper.role != GetUserId())
		helper_stop();			/* never shared across roles */
	PG_TRY();
	{
		if (helper.pid <= 0)
			helper_start();
		send_all(f->data, f->len);
		initStringInfo(&buf);
		for (;;)
		{
			GpType		type = recv_frame(&buf);
			GpReader	r;

			gp_reader_init(&r, buf.data, buf.len);
			if (type == GP_STATUS)
			{
				end = gp_get_int64(&r);
				code = gp_get_int64(&r);
				gp_reader_done(&r);
				break;
			}
			if (done || err.message)
				gp_protocol_error("A frame follows the end of a reply.");
			if (type == GP_DONE)
				done = true;
			else if (type == GP_ERROR)
			{
				err.sqlerrcode = (int) gp_get_int64(&r);
				err.message = clip(gp_get_string(&r));
				err.detail = clip(gp_get_string(&r));
				err.hint = clip(gp_get_string(&r));
				if (err.message == NULL)
					gp_protocol_error("An error reply has no message.");
				/* an error it is, whatever class a broken child claims */
				if (ERRCODE_TO_CATEGORY(err.sqlerrcode) == ERRCODE_SUCCESSFUL_COMPLETION ||
					ERRCODE_TO_CATEGORY(err.sqlerrcode) == ERRCODE_WARNING ||
					ERRCODE_TO_CATEGORY(err.sqlerrcode) == ERRCODE_NO_DATA)
					err.sqlerrcode = ERRCODE_DATA_CORRUPTED;
			}
			else
				cb(arg, type, &r);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		helper_stop();
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (done && end == GP_END_EXIT && code == 0)
		return;
	helper_stop();				/* never reused after an error */
	if (err.message)
		ereport(ERROR,
				(errcode(err.sqlerrcode),
				 errmsg_internal("%s", err.message),
				 err.detail ? errdetail_internal("%s", err.detail) : 0,
				 err.hint ? errhint("%s", err.hint) : 0));
	if (end == GP_END_SIGNAL && (code == SIGXCPU || code == SIGKILL))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("parsing %s took too long", label),
				 errdetail("The granule helper was stopped by %s after eoswath.granule_cpu_limit (%d s) of CPU time.",
						   signal_name((int) code), eoswath_granule_cpu_limit)));
	if (end == GP_END_SIGNAL && code == SIGXFSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the output of %s is too large", label),
				 errdetail("It exceeded eoswath.granule_output_limit (%d MB).",
						   eoswath_granule_output_limit)));
	if (end == GP_END_SIGNAL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not parse %s", label),
				 errdetail("The granule helper crashed (%s) on it; the granule is damaged or hostile.",
						   signal_name((int) code))));
	if (end == GP_END_START)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a granule parser for %s", label),
				 errdetail("fork failed: %s.", strerror((int) code))));
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("could not parse %s", label),
			 errdetail("The granule helper broke its protocol (%s).",
					   end == GP_END_PROTOCOL ? "a malformed frame" :
					   psprintf("exit status %d without a reply", (int) code))));
}

/* ---- the calls ---- */

/* one pair of a GP_INFO frame, every field checked */
static void
get_pair(GpReader *r, GranulePair *p)
{
	p->group = gp_get_string(r);
	p->lat_var = gp_get_string(r);
	p->lon_var = gp_get_string(r);
	p->ndims = (int) gp_get_count(r, GRANULE_MAX_DIMS);
	for (int d = 0; d < p->ndims; d++)
	{
		p->dim_names[d] = gp_get_string(r);
		p->shape[d] = gp_get_count(r, PG_INT64_MAX);
		if (p->dim_names[d] == NULL)
			gp_protocol_error("A dimension has no name.");
	}
	p->nrows = gp_get_count(r, PG_INT64_MAX);
	p->ncols = gp_get_count(r, PG_INT64_MAX);
	p->has_time = gp_get_int64(r) != 0;
	p->time_var = gp_get_string(r);
	p->time_start = gp_get_double(r);
	p->time_end = gp_get_double(r);
	if (p->group == NULL || p->lat_var == NULL || p->lon_var == NULL ||
		(p->has_time && p->time_var == NULL))
		gp_protocol_error("A geolocation pair lacks a name.");
	if (p->has_time && !(isfinite(p->time_start) && isfinite(p->time_end) &&
						 p->time_start <= p->time_end))
		gp_protocol_error("A geolocation pair has a bad time range.");
}

static void
describe_cb(void *arg, GpType type, GpReader *r)
{
	GranuleInfo **out = arg;
	GranuleInfo *info;

	if (type != GP_INFO || *out != NULL)
		gp_protocol_error("An unexpected frame in a description.");
	info = palloc0(sizeof(GranuleInfo));
	info->npairs = (int) gp_get_count(r, 10000);
	info->pairs = palloc0(sizeof(GranulePair) * Max(info->npairs, 1));
	for (int i = 0; i < info->npairs; i++)
		get_pair(r, &info->pairs[i]);
	info->nskipped = (int) gp_get_count(r, 10000);
	info->skipped = palloc0(sizeof(GranulePair) * Max(info->nskipped, 1));
	for (int i = 0; i < info->nskipped; i++)
	{
		get_pair(r, &info->skipped[i]);
		info->skipped[i].skip_reason = gp_get_string(r);
		if (info->skipped[i].skip_reason == NULL)
			gp_protocol_error("A pair set aside lacks a reason.");
	}
	gp_reader_done(r);
	*out = info;
}

GranuleInfo *
granule_remote_describe(const char *path, const char *label)
{
	StringInfoData f;
	GranuleInfo *info = NULL;

	initStringInfo(&f);
	request_begin(&f, GP_DESCRIBE, path, label, NULL);
	request_run(&f, label, describe_cb, &info);
	if (info == NULL)
		gp_protocol_error("A description is missing.");
	return info;
}

static void
footprint_cb(void *arg, GpType type, GpReader *r)
{
	Footprint **out = arg;
	Footprint  *fp;

	if (type != GP_FOOTPRINT_REPLY || *out != NULL)
		gp_protocol_error("An unexpected frame in a footprint.");
	fp = palloc0(sizeof(Footprint));
	fp->npixels = gp_get_count(r, PG_INT64_MAX);
	fp->nrings = (int) gp_get_count(r, 1000000);
	fp->cap = Max(fp->nrings, 1);
	fp->rings = palloc0(sizeof(FootprintRing) * fp->cap);
	for (int i = 0; i < fp->nrings; i++)
	{
		FootprintRing *ring = &fp->rings[i];

		ring->npoints = (int) gp_get_count(r, r->left / 16);
		if (ring->npoints < 4)
			gp_protocol_error("A footprint ring has fewer than four points.");
		ring->lon = palloc(sizeof(double) * ring->npoints);
		ring->lat = palloc(sizeof(double) * ring->npoints);
		gp_get_doubles(r, ring->lon, ring->npoints);
		gp_get_doubles(r, ring->lat, ring->npoints);
		for (int k = 0; k < ring->npoints; k++)
			if (!(ring->lat[k] >= -90 && ring->lat[k] <= 90 &&
				  ring->lon[k] >= -540 && ring->lon[k] <= 540))
				gp_protocol_error("A footprint vertex lies off the Earth.");
	}
	gp_reader_done(r);
	*out = fp;
}

Footprint *
granule_remote_footprint(const char *path, const char *label, int pair,
						 const FootprintOptions *opts)
{
	StringInfoData f;
	Footprint  *fp = NULL;

	initStringInfo(&f);
	request_begin(&f, GP_FOOTPRINT, path, label, NULL);
	gp_put_int64(&f, pair);
	gp_put_int64(&f, opts != NULL);
	gp_put_double(&f, opts ? opts->corridor_km : 0);
	gp_put_double(&f, opts ? opts->max_segment_km : 0);
	gp_put_double(&f, opts ? opts->simplify_km : 0);
	request_run(&f, label, footprint_cb, &fp);
	if (fp == NULL)
		gp_protocol_error("A footprint is missing.");
	return fp;
}

typedef struct PixelsState
{
	granule_block_cb cb;
	void	   *arg;
	int64		next_row;
	MemoryContext cxt;			/* reset after every block */
} PixelsState;

static void
pixels_cb(void *arg, GpType type, GpReader *r)
{
	PixelsState *st = arg;
	MemoryContext old;
	GranuleBlock b;
	int64		n;

	if (type != GP_PIXEL_BLOCK)
		gp_protocol_error("An unexpected frame among pixel blocks.");
	old = MemoryContextSwitchTo(st->cxt);
	b.row0 = gp_get_int64(r);
	b.nrows = gp_get_count(r, r->left / 16);
	b.ncols = gp_get_count(r, r->left / 16);
	if (b.row0 != st->next_row || (b.ncols > 0 && b.nrows > (int64) (r->left / 16) / b.ncols))
		gp_protocol_error("A pixel block is out of order or too short.");
	n = b.nrows * b.ncols;
	b.lat = palloc(sizeof(double) * Max(n, 1));
	b.lon = palloc(sizeof(double) * Max(n, 1));
	gp_get_doubles(r, b.lat, n);
	gp_get_doubles(r, b.lon, n);
	gp_reader_done(r);
	st->next_row += b.nrows;
	MemoryContextSwitchTo(old);
	st->cb(st->arg, &b);
	MemoryContextReset(st->cxt);
}

void
granule_remote_pixels(const char *path, const char *label, int pair,
					  granule_block_cb cb, void *arg)
{
	StringInfoData f;
	PixelsState st = {cb, arg, 0, NULL};

	st.cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath pixel block",
								   ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&f);
	request_begin(&f, GP_PIXELS, path, label, NULL);
	gp_put_int64(&f, pair);
	request_run(&f, label, pixels_cb, &st);
	MemoryContextDelete(st.cxt);
}

typedef struct SubsetReply
{
	bool		got;
	GranuleSubsetStatus status;
	GranuleSubsetStats *stats;
} SubsetReply;

static void
subset_cb(void *arg, GpType type, GpReader *r)
{
	SubsetReply *reply = arg;
	int64		status;

	if (type != GP_SUBSET_REPLY || reply->got)
		gp_protocol_error("An unexpected frame in a subset reply.");
	status = gp_get_int64(r);
	if (status != GRANULE_SUBSET_WRITTEN && status != GRANULE_SUBSET_EMPTY &&
		status != GRANULE_SUBSET_TOO_LARGE)
		gp_protocol_error("A subset reply has an unknown status.");
	reply->status = (GranuleSubsetStatus) status;
	reply->stats->npairs_hit = (int) gp_get_count(r, 10000);
	reply->stats->pixels = gp_get_count(r, PG_INT64_MAX);
	reply->stats->size = gp_get_count(r, PG_INT64_MAX);
	gp_reader_done(r);
	reply->got = true;
}

GranuleSubsetStatus
granule_remote_subset(const char *path, const char *label,
					  const GranuleSubsetRequest *req, GranuleSubsetStats *stats)
{
	StringInfoData f;
	SubsetReply reply = {false, GRANULE_SUBSET_EMPTY, stats};

	initStringInfo(&f);
	request_begin(&f, GP_SUBSET, path, label, req->out_path);
	gp_put_bytes(&f, req->region_wkb, req->region_len);
	gp_put_int64(&f, req->spherical);
	gp_put_int64(&f, req->nvariables);
	for (int i = 0; i < req->nvariables; i++)
		gp_put_string(&f, req->variables[i]);
	gp_put_string(&f, req->request);
	gp_put_int64(&f, req->max_output_bytes);
	memset(stats, 0, sizeof(*stats));
	request_run(&f, label, subset_cb, &reply);
	if (!reply.got)
		gp_protocol_error("A subset reply is missing.");
	return reply.status;
}

typedef struct QuicklookReply
{
	StringInfoData png;			/* the PNG so far */
	bool		got;
	GranuleQuicklookInfo *info;
} QuicklookReply;

static void
quicklook_cb(void *arg, GpType type, GpReader *r)
{
	QuicklookReply *reply = arg;
	GranuleQuicklookInfo *info = reply->info;

	if (reply->got)
		gp_protocol_error("A frame follows a quicklook reply.");
	if (type == GP_QUICKLOOK_DATA)
	{
		size_t		len;
		const char *data = gp_get_bytes(r, &len);

		gp_reader_done(r);
		if (data == NULL)
			gp_protocol_error("A piece of a quicklook is missing.");
		if ((size_t) reply->png.len + len > MaxAllocSize - VARHDRSZ - 1)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the quicklook is larger than a bytea can be (1 GB)"),
					 errhint("Ask for a smaller width.")));
		appendBinaryStringInfo(&reply->png, data, len);
		return;
	}
	if (type != GP_QUICKLOOK_REPLY)
		gp_protocol_error("An unexpected frame in a quicklook reply.");
	info->empty = gp_get_int64(r) != 0;
	info->width = (int) gp_get_count(r, QL_MAX_SIDE);
	info->height = (int) gp_get_count(r, QL_MAX_SIDE);
	info->projection = (int) gp_get_count(r, QL_PROJ_SOUTH);
	gp_get_doubles(r, info->bbox, 4);
	info->range_lo = gp_get_double(r);
	info->range_hi = gp_get_double(r);
	info->radius_m = gp_get_double(r);
	info->cells = gp_get_count(r, (int64) QL_MAX_SIDE * QL_MAX_SIDE);
	info->units = gp_get_string(r);
	gp_reader_done(r);
	if (info->empty ? reply->png.len != 0 :
		(reply->png.len < 8 || memcmp(reply->png.data, "\x89PNG\r\n\x1a\n", 8) != 0 ||
		 info->width < 1 || info->height < 1))
		gp_protocol_error("A quicklook reply is not a PNG picture.");
	reply->got = true;
}

/*
 * A quicklook (granule_quicklook()) of a granule: the PNG, or NULL when no
 * pixel is inside the region; info tells what was drawn.
 */
bytea *
granule_remote_quicklook(const char *path, const char *label,
						 const GranuleQuicklookRequest *req,
						 GranuleQuicklookInfo *info)
{
	StringInfoData f;
	QuicklookReply reply = {{0}, false, info};
	bytea	   *result;

	initStringInfo(&f);
	request_begin(&f, GP_QUICKLOOK, path, label, NULL);
	gp_put_string(&f, req->variable);
	gp_put_bytes(&f, req->region_wkb, req->region_len);
	gp_put_int64(&f, req->spherical);
	gp_put_int64(&f, req->width);
	gp_put_string(&f, req->colormap);
	gp_put_int64(&f, req->has_range);
	gp_put_double(&f, req->range_lo);
	gp_put_double(&f, req->range_hi);
	gp_put_int64(&f, req->projection);
	gp_put_string(&f, req->source);
	gp_put_int64(&f, req->max_grid_bytes);
	memset(info, 0, sizeof(*info));
	initStringInfo(&reply.png);
	request_run(&f, label, quicklook_cb, &reply);
	if (!reply.got)
		gp_protocol_error("A quicklook reply is missing.");
	if (info->empty)
		return NULL;
	result = palloc(VARHDRSZ + reply.png.len);
	SET_VARSIZE(result, VARHDRSZ + reply.png.len);
	memcpy(VARDATA(result), reply.png.data, reply.png.len);
	pfree(reply.png.data);
	return result;
}

/* ---- what the backend makes of replies ---- */

/* first and last acquisition time over every pair; false when none has one */
bool
granule_info_time_range(const GranuleInfo *info, double *start, double *end)
{
	bool		found = false;

	for (int i = 0; i < info->npairs; i++)
	{
		const GranulePair *p = &info->pairs[i];

		if (!p->has_time)
			continue;
		if (!found || p->time_start < *start)
			*start = p->time_start;
		if (!found || p->time_end > *end)
			*end = p->time_end;
		found = true;
	}
	return found;
}

static void
put_u32(StringInfo s, uint32 v)
{
	unsigned char b[4];

	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = (v >> 24) & 0xff;
	appendBinaryStringInfo(s, (char *) b, 4);
}

static void
put_f64(StringInfo s, double d)
{
	uint64		u;
	unsigned char b[8];
	int			i;

	memcpy(&u, &d, 8);
	for (i = 0; i < 8; i++)
		b[i] = (u >> (8 * i)) & 0xff;
	appendBinaryStringInfo(s, (char *) b, 8);
}

/* the footprint as little-endian EWKB MULTIPOLYGON with SRID 4326 */
bytea *
footprint_to_ewkb(const Footprint *fp)
{
	StringInfoData s;
	bytea	   *res;
	int			r,
				i;

	initStringInfo(&s);
	appendStringInfoChar(&s, 1);	/* little endian */
	put_u32(&s, 6 | 0x20000000);	/* MULTIPOLYGON with SRID */
	put_u32(&s, 4326);
	put_u32(&s, fp->nrings);
	for (r = 0; r < fp->nrings; r++)
	{
		appendStringInfoChar(&s, 1);
		put_u32(&s, 3);			/* POLYGON */
		put_u32(&s, 1);			/* one ring */
		put_u32(&s, fp->rings[r].npoints);
		for (i = 0; i < fp->rings[r].npoints; i++)
		{
			put_f64(&s, fp->rings[r].lon[i]);
			put_f64(&s, fp->rings[r].lat[i]);
		}
	}
	res = palloc(VARHDRSZ + s.len);
	SET_VARSIZE(res, VARHDRSZ + s.len);
	memcpy(VARDATA(res), s.data, s.len);
	pfree(s.data);
	return res;
}
