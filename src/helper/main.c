/*
 * main.c
 *		eoswath-granule: the process that parses granules for the backend.
 *
 * Started by a backend (granule_client.c) with a pipe on its standard
 * input (requests) and one on its standard output (replies), and nothing
 * else open.  It never parses anything itself: for each request it forks a
 * child, which confines itself (sandbox.c: limits, Landlock so that it can
 * read only the granule and write only the output file, seccomp) and then
 * serves the request with the granule library (granule.h), writing reply
 * frames into a pipe of its own.  This process relays the child's frames
 * whole, checking only their lengths, and then reports how the child ended
 * (GP_STATUS).  A child is never reused: whatever a hostile granule did to
 * it ends with it.  The fork costs well under a millisecond, while starting
 * this program (dynamic linking of netCDF-C and HDF5) costs about ten, so
 * the backend keeps one running.
 *
 * It exits when its standard input closes (the backend went away) or when
 * the backend dies (PR_SET_PDEATHSIG).
 *
 * Run by hand: --bench (below) times the granule library in one process;
 * --sandbox-probe READ OTHER WRITE (sandbox.c) confines itself as a child
 * is confined and reports what it may still do.
 */
#include "postgres.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include <hdf5.h>
#include <netcdf.h>

#include "granule.h"
#include "granule_proto.h"
#include "quicklook.h"
#include "hdf5_check.h"
#include "sandbox.h"

/* a request's common fields */
typedef struct Request
{
	GpType		type;
	char	   *label;
	char	   *path;
	char	   *out_path;		/* GP_SUBSET only */
	SandboxLimits limits;
	bool		allow_unconfined;
} Request;

/* write all of len bytes; false if the reader is gone */
static bool
write_all(int fd, const char *p, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* read exactly len bytes; 0 at a clean end of file before any, -1 short */
static int
read_all(int fd, char *p, size_t len)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = read(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return done == 0 ? 0 : -1;
		done += n;
	}
	return 1;
}

/* ---- the child ---- */

static int	reply_fd = -1;
static StringInfoData frame;

static void
send_frame(void)
{
	gp_end(&frame);
	if (!write_all(reply_fd, frame.data, frame.len))
		_exit(3);
}

static void
send_error(const RtError *e)
{
	gp_begin(&frame, GP_ERROR);
	gp_put_int64(&frame, e->sqlerrcode);
	gp_put_string(&frame, e->message);
	gp_put_string(&frame, e->detail[0] ? e->detail : NULL);
	gp_put_string(&frame, e->hint[0] ? e->hint : NULL);
	send_frame();
}

static void
put_pair(const GranulePair *p)
{
	gp_put_string(&frame, p->group);
	gp_put_string(&frame, p->lat_var);
	gp_put_string(&frame, p->lon_var);
	gp_put_int64(&frame, p->ndims);
	for (int d = 0; d < p->ndims; d++)
	{
		gp_put_string(&frame, p->dim_names[d]);
		gp_put_int64(&frame, p->shape[d]);
	}
	gp_put_int64(&frame, p->nrows);
	gp_put_int64(&frame, p->ncols);
	gp_put_int64(&frame, p->has_time);
	gp_put_string(&frame, p->has_time ? p->time_var : NULL);
	gp_put_double(&frame, p->time_start);
	gp_put_double(&frame, p->time_end);
}

/* GP_INFO: the swaths, then the pairs set aside with the reason */
static void
serve_describe(Granule *g)
{
	GranuleInfo *info = granule_describe(g);

	gp_begin(&frame, GP_INFO);
	gp_put_int64(&frame, info->npairs);
	for (int i = 0; i < info->npairs; i++)
		put_pair(&info->pairs[i]);
	gp_put_int64(&frame, info->nskipped);
	for (int i = 0; i < info->nskipped; i++)
	{
		put_pair(&info->skipped[i]);
		gp_put_string(&frame, info->skipped[i].skip_reason);
	}
	send_frame();
}

static void
serve_footprint(Granule *g, GpReader *r)
{
	int			pair = (int) gp_get_int64(r);
	bool		has_opts = gp_get_int64(r) != 0;
	FootprintOptions opts;
	Footprint  *fp;

	opts.corridor_km = gp_get_double(r);
	opts.max_segment_km = gp_get_double(r);
	opts.simplify_km = gp_get_double(r);
	fp = granule_footprint(g, pair, has_opts ? &opts : NULL);

	gp_begin(&frame, GP_FOOTPRINT_REPLY);
	gp_put_int64(&frame, fp->npixels);
	gp_put_int64(&frame, fp->nrings);
	for (int i = 0; i < fp->nrings; i++)
	{
		gp_put_int64(&frame, fp->rings[i].npoints);
		gp_put_doubles(&frame, fp->rings[i].lon, fp->rings[i].npoints);
		gp_put_doubles(&frame, fp->rings[i].lat, fp->rings[i].npoints);
	}
	send_frame();
}

/* pixel blocks of at most this many bytes in a frame */
#define PIXEL_FRAME_BYTES	(16 * 1024 * 1024)

static void
serve_pixels(Granule *g, GpReader *r)
{
	int			pair = (int) gp_get_int64(r);
	GranuleInfo *info = granule_describe(g);
	int64		ncols;
	GranulePixels *it;
	GranuleBlock *b;

	if (pair < 0 || pair >= info->npairs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("geolocation pair %d does not exist", pair)));
	ncols = Max(info->pairs[pair].ncols, 1);
	it = granule_pixels_begin(g, pair, Max(PIXEL_FRAME_BYTES / 16 / ncols, 1));
	while ((b = granule_pixels_next(it)) != NULL)
	{
		int64		n = b->nrows * b->ncols;

		gp_begin(&frame, GP_PIXEL_BLOCK);
		gp_put_int64(&frame, b->row0);
		gp_put_int64(&frame, b->nrows);
		gp_put_int64(&frame, b->ncols);
		gp_put_doubles(&frame, b->lat, n);
		gp_put_doubles(&frame, b->lon, n);
		send_frame();
	}
	granule_pixels_end(it);
}

static void
serve_subset(Granule *g, GpReader *r, const char *out_path)
{
	GranuleSubsetRequest req = {0};
	GranuleSubsetStats stats = {0};
	GranuleSubsetStatus st;
	const char **vars;

	req.region_wkb = gp_get_bytes(r, &req.region_len);
	req.spherical = gp_get_int64(r) != 0;
	req.nvariables = (int) gp_get_count(r, 100000);
	vars = palloc0(sizeof(char *) * Max(req.nvariables, 1));
	for (int i = 0; i < req.nvariables; i++)
		vars[i] = gp_get_string(r);
	req.variables = vars;
	req.request = gp_get_string(r);
	req.max_output_bytes = gp_get_int64(r);
	req.out_path = out_path;
	gp_reader_done(r);

	st = granule_subset(g, &req, &stats);
	gp_begin(&frame, GP_SUBSET_REPLY);
	gp_put_int64(&frame, st);
	gp_put_int64(&frame, stats.npairs_hit);
	gp_put_int64(&frame, stats.pixels);
	gp_put_int64(&frame, stats.size);
	send_frame();
}

/* the PNG goes out in frames of at most this many bytes */
#define PNG_FRAME_BYTES		(1024 * 1024)

static StringInfoData png_buf;

static void
flush_png(void)
{
	if (png_buf.len == 0)
		return;
	gp_begin(&frame, GP_QUICKLOOK_DATA);
	gp_put_bytes(&frame, png_buf.data, png_buf.len);
	send_frame();
	resetStringInfo(&png_buf);
}

static void
png_sink(void *arg, const char *data, size_t len)
{
	while (len > 0)
	{
		size_t		n = Min(len, (size_t) (PNG_FRAME_BYTES - png_buf.len));

		appendBinaryStringInfo(&png_buf, data, n);
		data += n;
		len -= n;
		if (png_buf.len >= PNG_FRAME_BYTES)
			flush_png();
	}
}

static void
serve_quicklook(Granule *g, GpReader *r)
{
	GranuleQuicklookRequest req = {0};
	GranuleQuicklookInfo info;

	req.variable = gp_get_string(r);
	req.region_wkb = gp_get_bytes(r, &req.region_len);
	req.spherical = gp_get_int64(r) != 0;
	req.width = (int) gp_get_int64(r);
	req.colormap = gp_get_string(r);
	req.has_range = gp_get_int64(r) != 0;
	req.range_lo = gp_get_double(r);
	req.range_hi = gp_get_double(r);
	req.projection = (int) gp_get_int64(r);
	req.source = gp_get_string(r);
	req.max_grid_bytes = gp_get_int64(r);
	gp_reader_done(r);
	if (req.variable == NULL || req.colormap == NULL)
		gp_protocol_error("A quicklook request names no variable or colormap.");

	initStringInfo(&png_buf);
	granule_quicklook(g, &req, &info, png_sink, NULL);
	flush_png();
	gp_begin(&frame, GP_QUICKLOOK_REPLY);
	gp_put_int64(&frame, info.empty);
	gp_put_int64(&frame, info.width);
	gp_put_int64(&frame, info.height);
	gp_put_int64(&frame, info.projection);
	gp_put_doubles(&frame, info.bbox, 4);
	gp_put_double(&frame, info.range_lo);
	gp_put_double(&frame, info.range_hi);
	gp_put_double(&frame, info.radius_m);
	gp_put_int64(&frame, info.cells);
	gp_put_string(&frame, info.units);
	send_frame();
}

/* In the child: confine, then serve one request.  Never returns. */
static void
child_main(const char *payload, size_t len, GpType type, int fd)
{
	sigjmp_buf	jump;
	GpReader	r;
	Request		req = {0};
	const char *why;
	bool		confined;

	reply_fd = fd;
	/* dies with the helper, whose group the backend kills on a cancel */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		_exit(1);
	initStringInfo(&frame);
	if (RT_TRY(jump))
	{
		Granule    *g;

		gp_reader_init(&r, payload, len);
		req.type = type;
		req.label = gp_get_string(&r);
		req.path = gp_get_string(&r);
		req.out_path = gp_get_string(&r);
		req.limits.memory = (uint64_t) gp_get_int64(&r);
		req.limits.cpu_seconds = (uint64_t) gp_get_int64(&r);
		req.limits.output = (uint64_t) gp_get_int64(&r);
		req.allow_unconfined = gp_get_int64(&r) != 0;
		if (req.label == NULL || req.path == NULL)
			gp_protocol_error("A request names no granule.");

		why = sandbox_enter(&req.limits, req.path, req.out_path,
							req.allow_unconfined, &confined);
		if (why != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("granule parsing cannot be confined on this server"),
					 errdetail("%s.", why),
					 errhint("Granules are parsed only in a process confined with Landlock and seccomp (Linux 5.13 or later).  A superuser may accept unconfined parsing with eoswath.granule_allow_unconfined = on.")));

		hdf5_check(req.path, req.label);
		g = granule_open(req.path, req.label);
		switch (type)
		{
			case GP_DESCRIBE:
				gp_reader_done(&r);
				serve_describe(g);
				break;
			case GP_FOOTPRINT:
				serve_footprint(g, &r);
				break;
			case GP_PIXELS:
				serve_pixels(g, &r);
				break;
			case GP_SUBSET:
				serve_subset(g, &r, req.out_path);
				break;
			case GP_QUICKLOOK:
				serve_quicklook(g, &r);
				break;
			default:
				gp_protocol_error("Unknown request.");
		}
		granule_close(g);
		gp_begin(&frame, GP_DONE);
		send_frame();
		_exit(0);
	}
	send_error(&rt_last_error);
	_exit(1);
}

/* ---- the parent: relay a child's frames, then report how it ended ---- */

static void
send_status(GpEnd end, int code)
{
	StringInfoData buf;

	initStringInfo(&buf);
	gp_begin(&buf, GP_STATUS);
	gp_put_int64(&buf, end);
	gp_put_int64(&buf, code);
	gp_end(&buf);
	if (!write_all(STDOUT_FILENO, buf.data, buf.len))
		_exit(0);				/* the backend is gone */
	pfree(buf.data);
}

static uint32
frame_len(const char *header)
{
	const unsigned char *h = (const unsigned char *) header;

	return (uint32) h[0] | ((uint32) h[1] << 8) | ((uint32) h[2] << 16) | ((uint32) h[3] << 24);
}

/*
 * Relay whole frames from the child to the backend.  Returns false if the
 * child broke the frame format (then it is killed) or ended mid-frame (the
 * partial frame is dropped).
 */
static bool
relay(int from, pid_t child)
{
	static char *buf = NULL;
	static size_t cap = 0;
	char		header[GP_HEADER_SIZE];

	for (;;)
	{
		uint32		len;
		int			rc = read_all(from, header, GP_HEADER_SIZE);

		if (rc == 0)
			return true;		/* a clean end */
		if (rc < 0)
			return false;
		len = frame_len(header);
		if (len < 1 || len > GP_MAX_FRAME)
		{
			kill(child, SIGKILL);
			return false;
		}
		if (len - 1 > cap)
		{
			free(buf);
			cap = len - 1;
			buf = malloc(cap);
			if (buf == NULL)
			{
				kill(child, SIGKILL);
				cap = 0;
				return false;
			}
		}
		if (len > 1 && read_all(from, buf, len - 1) != 1)
			return false;
		if (!write_all(STDOUT_FILENO, header, GP_HEADER_SIZE) ||
			!write_all(STDOUT_FILENO, buf, len - 1))
			_exit(0);			/* the backend is gone */
	}
}

/* Serve one request read from standard input. */
static void
serve_one(GpType type, char *payload, size_t len)
{
	int			p[2];
	pid_t		child;
	int			status;
	bool		whole;

	if (pipe(p) != 0)
	{
		send_status(GP_END_START, errno);
		return;
	}
	child = fork();
	if (child < 0)
	{
		close(p[0]);
		close(p[1]);
		send_status(GP_END_START, errno);
		return;
	}
	if (child == 0)
	{
		/*
		 * Nothing of the backend's pipes in the child, and /dev/null in
		 * their place: closed, descriptors 0 and 1 went to the next files
		 * opened (the granule, the subset file), and anything a library
		 * printed to stdout landed in the subset.
		 */
		int			devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
			dup2(devnull, STDOUT_FILENO) < 0)
			_exit(4);
		close(devnull);
		close(p[0]);
		child_main(payload, len, type, p[1]);
	}
	close(p[1]);
	whole = relay(p[0], child);
	close(p[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		send_status(GP_END_SIGNAL, WTERMSIG(status));
	else if (!whole)
		send_status(GP_END_PROTOCOL, 0);
	else
		send_status(GP_END_EXIT, WEXITSTATUS(status));
}

/*
 * eoswath-granule --bench describe|footprint|pixels|subset PATH N: the same
 * parse N times in this process, with neither fork, sandbox nor protocol:
 * the in-process path, for test/bench/granule.sh to compare the helper's
 * overhead against.  Prints the mean milliseconds per call.  The subset
 * is of the whole Earth (a lon/lat box; EOSWATH_BENCH_BOX="W S E N" gives
 * another, EOSWATH_BENCH_RING="x y x y ..." a closed ring of up to 32
 * points, with great-circle edges if EOSWATH_BENCH_SPHERE is set), written
 * to PATH.subset.
 */
static int
bench(const char *what, const char *path, int n)
{
	sigjmp_buf	jump;
	struct timespec t0,
				t1;

	if (!RT_TRY(jump))
	{
		fprintf(stderr, "eoswath-granule: %s\n", rt_last_error.message);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
	{
		MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "bench", ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		Granule    *g;

		hdf5_check(path, "bench");
		g = granule_open(path, "bench");
		if (strcmp(what, "describe") == 0)
			(void) granule_describe(g);
		else if (strcmp(what, "footprint") == 0)
			(void) granule_footprint(g, -1, NULL);
		else if (strcmp(what, "pixels") == 0)
		{
			GranuleInfo *info = granule_describe(g);

			for (int p = 0; p < info->npairs; p++)
			{
				GranulePixels *it = granule_pixels_begin(g, p, 0);

				while (granule_pixels_next(it) != NULL)
					;
				granule_pixels_end(it);
			}
		}
		else if (strcmp(what, "subset") == 0)
		{
			double		box[64] = {-180, -90, 180, -90, 180, 90, -180, 90, -180, -90};
			const char *env = getenv("EOSWATH_BENCH_BOX");	/* "W S E N" */
			const char *ring = getenv("EOSWATH_BENCH_RING");	/* "x y x y ..." */
			double		w, so, e, no;
			StringInfoData wkb;
			GranuleSubsetRequest req = {0};
			GranuleSubsetStats stats;
			uint32		hdr[3] = {3, 1, 5};	/* POLYGON, one ring, five points */

			if (ring)
			{
				char	   *end;
				int			k = 0;

				while (k < lengthof(box) && (box[k] = strtod(ring, &end), end != ring))
				{
					ring = end;
					k++;
				}
				if (k < 8 || k % 2 != 0)
				{
					fprintf(stderr, "eoswath-granule: EOSWATH_BENCH_RING needs closed x y pairs\n");
					return 1;
				}
				hdr[2] = k / 2;
			}
			else if (env && sscanf(env, "%lf %lf %lf %lf", &w, &so, &e, &no) == 4)
			{
				box[0] = box[6] = box[8] = w;
				box[2] = box[4] = e;
				box[1] = box[3] = box[9] = so;
				box[5] = box[7] = no;
			}
			initStringInfo(&wkb);
			appendStringInfoChar(&wkb, 1);	/* little endian (x86, arm) */
			appendBinaryStringInfo(&wkb, (const char *) hdr, sizeof(hdr));
			appendBinaryStringInfo(&wkb, (const char *) box, sizeof(double) * 2 * hdr[2]);
			req.spherical = getenv("EOSWATH_BENCH_SPHERE") != NULL;
			req.region_wkb = wkb.data;
			req.region_len = wkb.len;
			req.request = "benchmark";
			req.out_path = psprintf("%s.subset", path);
			req.max_output_bytes = -1;
			(void) granule_subset(g, &req, &stats);
		}
		else
		{
			fprintf(stderr, "eoswath-granule: unknown benchmark \"%s\"\n", what);
			return 1;
		}
		granule_close(g);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.3f\n", ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / n);
	return 0;
}

static void
bench_sink(void *arg, const char *data, size_t len)
{
	*(int64 *) arg += len;
}

/*
 * eoswath-granule --bench quicklook PATH N VARIABLE WIDTH [PROJECTION]:
 * granule_quicklook() of the whole swath N times in this process
 * (test/bench/quicklook.sh measures its time and peak memory); prints the
 * mean milliseconds.
 */
static int
bench_quicklook(const char *path, int n, const char *variable, int width,
				const char *projection)
{
	sigjmp_buf	jump;
	struct timespec t0,
				t1;

	if (!RT_TRY(jump))
	{
		fprintf(stderr, "eoswath-granule: %s\n", rt_last_error.message);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++)
	{
		MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "bench", ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		GranuleQuicklookRequest req = {0};
		GranuleQuicklookInfo info;
		int64		bytes = 0;
		Granule    *g;

		req.variable = variable;
		req.width = width;
		req.colormap = "viridis";
		req.source = "benchmark";
		if (projection && !ql_projection_parse(projection, (QlProjection *) &req.projection))
		{
			fprintf(stderr, "eoswath-granule: unknown projection \"%s\"\n", projection);
			return 1;
		}
		hdf5_check(path, "bench");
		g = granule_open(path, "bench");
		granule_quicklook(g, &req, &info, bench_sink, &bytes);
		granule_close(g);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.3f\n", ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / n);
	return 0;
}

int
main(int argc, char **argv)
{
	char		header[GP_HEADER_SIZE];
	char	   *payload = NULL;
	size_t		cap = 0;

	rt_init();
	if ((argc == 7 || argc == 8) && strcmp(argv[1], "--bench") == 0 &&
		strcmp(argv[2], "quicklook") == 0)
		return bench_quicklook(argv[3], atoi(argv[4]), argv[5], atoi(argv[6]),
							   argc == 8 ? argv[7] : NULL);
	if (argc == 5 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "--sandbox-probe") == 0)
		return sandbox_probe(argv[2], argv[3], argv[4]);

	/* die with the backend; let it kill the whole group on a cancel */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		return 1;
	(void) setpgid(0, 0);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Initialise netCDF-C and HDF5 once, here, where nothing hostile has
	 * been read yet: every child inherits the initialised libraries instead
	 * of paying for it on each request.  netCDF-C's run-control files
	 * ($HOME/.ncrc and the like: DAP settings and credentials) are not read:
	 * granules are local files, and nothing a child inherits may hold a
	 * secret of the server's user.
	 */
	setenv("NCRCENV_IGNORE", "1", 1);
	unsetenv("HOME");
	if (nc_initialize() != NC_NOERR || H5open() < 0)
		return 1;

	for (;;)
	{
		uint32		len;
		int			rc = read_all(STDIN_FILENO, header, GP_HEADER_SIZE);

		if (rc == 0)
			return 0;			/* the backend closed the pipe */
		if (rc < 0)
			return 1;
		len = frame_len(header);
		if (len < 1 || len > GP_MAX_FRAME)
			return 1;
		if (len - 1 > cap)
		{
			free(payload);
			cap = len - 1;
			payload = malloc(cap);
			if (payload == NULL)
				return 1;
		}
		if (len > 1 && read_all(STDIN_FILENO, payload, len - 1) != 1)
			return 1;
		serve_one((GpType) (unsigned char) header[4], payload, len - 1);
	}
}
