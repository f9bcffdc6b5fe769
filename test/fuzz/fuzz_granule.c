/*
 * fuzz_granule.c
 *		libFuzzer target over the granule helper's parsing entry points.
 *
 * Each input is a would-be granule.  It is written to a file in a
 * per-process temporary directory and served as the helper's child serves
 * a request (src/helper/main.c), minus the sandbox: hdf5_check(), then
 * granule_open(), granule_describe(), granule_footprint() of all pairs,
 * the pixel iterator over every pair, granule_subset() of a small box
 * into an output file bounded by max_output_bytes and granule_quicklook()
 * of the latitude (whole, or in the box: bit 8 of the length), all inside
 * RT_TRY().
 * Four bits of the input's length vary the requests: great-circle or
 * straight box edges, the default footprint options or short parts
 * without simplification, every variable or one, the quicklook's region.
 * An ereport(ERROR) longjmps back here; the per-input memory context is
 * then reset, which closes the netCDF ids through their reset callbacks,
 * and the next input comes.
 *
 * Besides the sanitizers, the target checks what the backend would refuse
 * as a protocol violation (granule_client.c) and what granule.h promises:
 * footprint rings of four points or more on the Earth, pixel blocks in
 * order with latitudes in [-90, 90] and longitudes in [-180, 180) (or NaN
 * in both), acquisition times a timestamptz can hold, and no netCDF id
 * or file descriptor left open once the input's memory context is gone.  A broken promise aborts with a line starting "eoswath-fuzz: " (see
 * test/fuzz/triage.py).
 *
 * Built with clang and -fsanitize=fuzzer,address,undefined together with
 * the parsing sources and the helper runtime ("make fuzz-build").
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include <hdf5.h>
#include <netcdf.h>

#include "granule.h"
#include "hdf5_check.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmpdir[MAXPGPATH];
static char in_path[MAXPGPATH];
static char out_path[MAXPGPATH];
static MemoryContext input_cxt;
static int	base_fds;
static bool verbose;

/* the subset's output bound: the helper's default is 16 MB */
#define FUZZ_MAX_OUTPUT		(4 * 1024 * 1024)

/*
 * The sanitizers' settings, built in so that a replay by hand behaves as
 * the fuzzing did (the environment's ASAN_OPTIONS still override them).
 *
 * An allocation larger than the helper's address space
 * (eoswath.granule_memory_limit, 1 GB by default, RLIMIT_AS in sandbox.c)
 * fails there: malloc returns NULL, palloc reports "out of memory" (54000)
 * and netCDF-C NC_ENOMEM.  max_allocation_size_mb with
 * allocator_may_return_null does the same here, so that such a granule is
 * the clean error it is in the helper, not an out-of-memory "crash";
 * libFuzzer's -rss_limit_mb bounds the total.  Leaks are not checked (the
 * libraries keep global state; what matters, open files, is checked after
 * every input below).
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=1024:"
		"handle_abort=1:print_summary=1";
}

const char *
__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1";
}

static void
broken(const char *fmt,...) pg_attribute_printf(1, 2);

/* a broken promise of our code: report it as a crash */
static void
broken(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "eoswath-fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static void
remove_tmpdir(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(tmpdir);
}

/* open file descriptors of this process */
static int
count_fds(void)
{
	DIR		   *d = opendir("/proc/self/fd");
	struct dirent *e;
	int			n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;				/* the directory's own */
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("TMPDIR");

	rt_init();
	verbose = getenv("EOSWATH_FUZZ_VERBOSE") != NULL;
	snprintf(tmpdir, sizeof(tmpdir), "%s/eoswath-fuzz.XXXXXX",
			 base && base[0] ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
	{
		perror("mkdtemp");
		exit(1);
	}
	snprintf(in_path, sizeof(in_path), "%s/granule", tmpdir);
	snprintf(out_path, sizeof(out_path), "%s/subset", tmpdir);
	atexit(remove_tmpdir);
	input_cxt = AllocSetContextCreate(TopMemoryContext, "fuzz input",
									  ALLOCSET_DEFAULT_SIZES);
	/* the libraries' own one-time set-up, before the first count */
	H5open();
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	return 0;
}

/* a new file (new inode: nothing a leaked handle holds can see it) */
static void
write_file(const char *path, const uint8_t *data, size_t size)
{
	int			fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t) size) ||
		close(fd) != 0)
	{
		perror(path);
		exit(1);
	}
}

/*
 * A WKB polygon (little-endian): a box of +-1.5 degrees around (lon, lat),
 * clipped to the Earth.
 */
static size_t
box_wkb(char *buf, double lon, double lat)
{
	double		x0 = Max(lon - 1.5, -180.0),
				x1 = Min(lon + 1.5, 180.0),
				y0 = Max(lat - 1.5, -90.0),
				y1 = Min(lat + 1.5, 90.0);
	double		pts[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
	uint32		v;
	size_t		o = 0;

	buf[o++] = 1;				/* little-endian */
	v = 3;						/* Polygon */
	memcpy(buf + o, &v, 4);
	o += 4;
	v = 1;						/* rings */
	memcpy(buf + o, &v, 4);
	o += 4;
	v = 5;						/* points */
	memcpy(buf + o, &v, 4);
	o += 4;
	memcpy(buf + o, pts, sizeof(pts));
	o += sizeof(pts);
	return o;
}

/* what granule_client.c's footprint_cb accepts */
static void
check_footprint(const Footprint *fp)
{
	if (fp->nrings < 0 || fp->nrings > 1000000 || fp->npixels < 0)
		broken("footprint with %d rings, %lld pixels", fp->nrings,
			   (long long) fp->npixels);
	for (int i = 0; i < fp->nrings; i++)
	{
		const FootprintRing *r = &fp->rings[i];

		if (r->npoints < 4)
			broken("footprint ring %d has %d points", i, r->npoints);
		for (int k = 0; k < r->npoints; k++)
			if (!(r->lat[k] >= -90 && r->lat[k] <= 90 &&
				  r->lon[k] >= -540 && r->lon[k] <= 540))
				broken("footprint vertex (%g, %g) off the Earth",
					   r->lon[k], r->lat[k]);
		if (r->lat[0] != r->lat[r->npoints - 1] ||
			r->lon[0] != r->lon[r->npoints - 1])
			broken("footprint ring %d is not closed", i);
	}
}

/* what granule_describe() and the backend's describe_cb promise */
static void
check_info(const GranuleInfo *info)
{
	if (info->npairs < 1 || info->npairs > 10000)
		broken("%d geolocation pairs", info->npairs);
	for (int i = 0; i < info->npairs; i++)
	{
		const GranulePair *p = &info->pairs[i];

		if (p->group == NULL || p->lat_var == NULL || p->lon_var == NULL ||
			(p->has_time && p->time_var == NULL))
			broken("pair %d lacks a name", i);
		if (p->ndims < 1 || p->ndims > GRANULE_MAX_DIMS)
			broken("pair %d has %d dimensions", i, p->ndims);
		for (int d = 0; d < p->ndims; d++)
			if (p->dim_names[d] == NULL || p->shape[d] < 0)
				broken("pair %d: dimension %d", i, d);
		if (p->nrows < 0 || p->ncols < 0)
			broken("pair %d has %lld x %lld pixels", i,
				   (long long) p->nrows, (long long) p->ncols);
		/*
		 * two finite numbers in order; swath_sql.c refuses (22008) a range
		 * beyond PostgreSQL's timestamps before it makes one of it
		 */
		if (p->has_time &&
			!(isfinite(p->time_start) && isfinite(p->time_end) &&
			  p->time_start <= p->time_end))
			broken("pair %d has the time range %g .. %g", i, p->time_start,
				   p->time_end);
	}
}

/* every pixel of one pair, checking the blocks; the first valid one out */
static void
read_pixels(Granule *g, const GranuleInfo *info, int pair, bool *found,
			double *lon0, double *lat0)
{
	int64		ncols = Max(info->pairs[pair].ncols, 1);
	int64		next_row = 0;
	/* blocks as the helper's serve_pixels() asks for them */
	GranulePixels *it = granule_pixels_begin(g, pair,
											 Max(16 * 1024 * 1024 / 16 / ncols, 1));
	GranuleBlock *b;

	while ((b = granule_pixels_next(it)) != NULL)
	{
		int64		n = b->nrows * b->ncols;

		if (b->row0 != next_row || b->nrows < 1 ||
			b->ncols != info->pairs[pair].ncols)
			broken("pixel block at row %lld of %lld x %lld, expected row %lld",
				   (long long) b->row0, (long long) b->nrows,
				   (long long) b->ncols, (long long) next_row);
		for (int64 k = 0; k < n; k++)
		{
			double		lat = b->lat[k],
						lon = b->lon[k];

			if (isnan(lat) != isnan(lon))
				broken("pixel %lld: one of lat %g, lon %g is NaN",
					   (long long) k, lat, lon);
			if (isnan(lat))
				continue;
			if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon < 180))
				broken("pixel %lld at lat %g, lon %g", (long long) k, lat, lon);
			if (!*found)
			{
				*found = true;
				*lon0 = lon;
				*lat0 = lat;
			}
		}
		next_row += b->nrows;
	}
	if (next_row != info->pairs[pair].nrows)
		broken("pixels ended at row %lld of %lld", (long long) next_row,
			   (long long) info->pairs[pair].nrows);
	granule_pixels_end(it);
}

static void
fuzz_png_sink(void *arg, const char *data, size_t len)
{
	appendBinaryStringInfo((StringInfo) arg, data, len);
}

/* the requests of the helper, one after another, on one granule */
static void
serve(const uint8_t *data, size_t size)
{
	Granule    *g;
	GranuleInfo *info;
	Footprint  *fp;
	bool		found = false;
	double		lon0 = 12.5,
				lat0 = 41.9;
	char		wkb[128];
	GranuleSubsetRequest req = {0};
	GranuleSubsetStats stats;
	GranuleSubsetStatus st;
	const char *vars[1];
	FootprintOptions short_parts = {5.0, 50.0, 0.0};

	hdf5_check(in_path, "object 0000000000001");
	g = granule_open(in_path, "object 0000000000001");
	info = granule_describe(g);
	check_info(info);

	/* the defaults, or short parts and no simplification (more rings) */
	fp = granule_footprint(g, -1, (size & 2) ? &short_parts : NULL);
	check_footprint(fp);

	for (int i = 0; i < info->npairs; i++)
		read_pixels(g, info, i, &found, &lon0, &lat0);

	req.region_len = box_wkb(wkb, lon0, lat0);
	req.region_wkb = wkb;
	req.spherical = (size & 1) != 0;
	/* every variable, or one (the geolocation and its coordinates come too) */
	req.nvariables = (size & 4) ? 1 : 0;
	req.variables = vars;
	vars[0] = info->pairs[info->npairs - 1].lat_var;
	req.request = "fuzz";
	req.out_path = out_path;
	req.max_output_bytes = FUZZ_MAX_OUTPUT;
	st = granule_subset(g, &req, &stats);
	if ((st != GRANULE_SUBSET_WRITTEN && st != GRANULE_SUBSET_EMPTY &&
		 st != GRANULE_SUBSET_TOO_LARGE) ||
		stats.npairs_hit < 0 || stats.npairs_hit > info->npairs ||
		stats.pixels < 0 || stats.size < 0 ||
		(st == GRANULE_SUBSET_EMPTY) != (stats.pixels == 0))
		broken("subset status %d, %d pairs hit, %lld pixels, %lld bytes",
			   (int) st, stats.npairs_hit, (long long) stats.pixels,
			   (long long) stats.size);

	/* a quicklook of the latitude: of the whole swath, or in the box */
	{
		GranuleQuicklookRequest ql = {0};
		GranuleQuicklookInfo qi;
		StringInfoData png;

		initStringInfo(&png);
		ql.variable = psprintf("%s/%s", strcmp(info->pairs[0].group, "/") == 0 ? "" :
							   info->pairs[0].group, info->pairs[0].lat_var);
		if (size & 8)
		{
			ql.region_wkb = wkb;
			ql.region_len = req.region_len;
			ql.spherical = req.spherical;
		}
		ql.width = 64;
		ql.colormap = "viridis";
		ql.max_grid_bytes = 64 * 1024 * 1024;
		granule_quicklook(g, &ql, &qi, fuzz_png_sink, &png);
		if (qi.empty ? png.len != 0 :
			(png.len < 8 || memcmp(png.data, "\x89PNG\r\n\x1a\n", 8) != 0 ||
			 qi.width != 64 || qi.height < 1 || qi.height > 54000))
			broken("quicklook: %d bytes, %d x %d, empty %d", png.len, qi.width,
				   qi.height, (int) qi.empty);
	}
	granule_close(g);
}

/*
 * A netCDF id still open, or -1.  netCDF-C numbers its files (slot << 16),
 * slots from 1, reused once free; ours are few at a time.
 */
static int
open_ncid(void)
{
	for (int slot = 1; slot < 4096; slot++)
	{
		int			format;

		if (nc_inq_format(slot << 16, &format) == NC_NOERR)
			return slot << 16;
	}
	return -1;
}

/*
 * Close what the libraries left open after a failed open: netCDF-C's
 * nc_open of a damaged HDF5 file may return an error and leave the HDF5
 * file and some of its objects open (its own leak: no netCDF id came back,
 * so nothing of ours can close them).  In the helper that ends with the
 * child; here it would pile up.  Returns how many were closed.
 */
static ssize_t
close_library_leftovers(void)
{
	ssize_t		n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
	hid_t	   *ids;

	if (n <= 0)
		return 0;
	ids = malloc(sizeof(hid_t) * n);
	n = H5Fget_obj_ids(H5F_OBJ_ALL, H5F_OBJ_ALL, n, ids);
	/* objects first, then their files */
	for (int pass = 0; pass < 2; pass++)
		for (ssize_t i = 0; i < n; i++)
		{
			H5I_type_t	t = H5Iget_type(ids[i]);

			if ((t == H5I_FILE) != (pass == 1) || t == H5I_BADID)
				continue;
			if (t == H5I_ATTR)
				H5Aclose(ids[i]);
			else if (t == H5I_FILE)
				H5Fclose(ids[i]);
			else
				H5Oclose(ids[i]);
		}
	free(ids);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigjmp_buf	jump;
	ssize_t		nobj;
	int			fds;
	int			ncid;

	if (base_fds == 0)
		base_fds = count_fds();
	write_file(in_path, data, size);
	write_file(out_path, NULL, 0);

	MemoryContextSwitchTo(input_cxt);
	if (RT_TRY(jump))
		serve(data, size);
	else if (verbose)
		fprintf(stderr, "ERROR: %s (%s)\n", rt_last_error.message,
				rt_last_error.detail);
	rt_error_jump = NULL;
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextReset(input_cxt);

	/*
	 * Nothing of the input may stay open.  A netCDF id still open is ours:
	 * every id our code gets is closed by its memory context.  HDF5 objects
	 * left without one are netCDF-C's (see above).
	 */
	if ((ncid = open_ncid()) >= 0)
		broken("netCDF id %d still open after the input", ncid);
	nobj = close_library_leftovers();
	if (nobj > 0 && verbose)
		fprintf(stderr, "eoswath-fuzz note: closed %zd HDF5 objects a failed nc_open left open\n",
				nobj);
	fds = count_fds();
	if (fds != base_fds)
		broken("%d file descriptors open after the input, %d before",
			   fds, base_fds);
	return 0;
}
