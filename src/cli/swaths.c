/*
 * swaths.c
 *		The swath catalog from the shell: eoswath search (swath_search as a
 *		table or JSON) and eoswath subset (swath_subset of one swath, several,
 *		or every result of a search, each into a netCDF file of its own).
 *
 * Regions: --region takes WKT or EWKT, read as geography (great-circle
 * edges), for both commands.  --bbox W,S,E,N is a longitude/latitude box:
 * subset cuts it with straight lon/lat edges (swath_subset's geometry
 * form, as l2ss-py's bbox); search searches the same box as a geography
 * built here with its edges densified to 1 degree, split into pieces at
 * most 90 degrees wide (PostGIS wants every polygon inside a hemisphere
 * and no edge of 180 degrees).  W > E crosses the antimeridian.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "cli.h"

typedef struct Region
{
	const char *wkt;			/* --region, as given */
	bool		bbox;			/* --bbox */
	double		w,
				s,
				e,
				n;				/* e > w (e may exceed 180) */
	char		num[4][32];		/* the box's numbers for SQL */
	char		tag[160];		/* for file names: W_S_E_N as given, or a hash */
	char	   *geog;			/* WKT of the region for swath_search */
} Region;

/* ---- regions ---- */

/* One number of --bbox: plain decimal notation only (it goes into file names). */
static bool
bbox_number(const char *text, double *v)
{
	char	   *end;

	if (text[0] == '\0' || strspn(text, "0123456789.+-eE") != strlen(text))
		return false;
	errno = 0;
	*v = strtod(text, &end);
	return errno == 0 && *end == '\0' && isfinite(*v);
}

/* Append a formatted point to a growing string. */
static void
append(char **buf, size_t *len, size_t *cap, const char *fmt, double x, double y)
{
	char		pt[64];
	int			n;

	/* longitudes into [-180, 180): a geography edge takes the short way */
	x = x - 360.0 * floor((x + 180.0) / 360.0);
	n = snprintf(pt, sizeof(pt), fmt, x, y);
	if (*len + n + 1 > *cap)
	{
		*cap = (*cap + n + 1) * 2;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			die(EXIT_LOCAL, "out of memory");
	}
	memcpy(*buf + *len, pt, n + 1);
	*len += n;
}

static void
append_text(char **buf, size_t *len, size_t *cap, const char *text)
{
	size_t		n = strlen(text);

	if (*len + n + 1 > *cap)
	{
		*cap = (*cap + n + 1) * 2;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			die(EXIT_LOCAL, "out of memory");
	}
	memcpy(*buf + *len, text, n + 1);
	*len += n;
}

/*
 * The box as a geography MULTIPOLYGON: columns at most 90 degrees wide,
 * vertices every degree or less along every edge (parallels are not great
 * circles), one vertex for an edge on a pole.
 */
static char *
bbox_geography(const Region *r)
{
	char	   *buf = NULL;
	size_t		len = 0,
				cap = 0;
	int			ncols = (int) ceil((r->e - r->w) / 90.0);

	append_text(&buf, &len, &cap, "SRID=4326;MULTIPOLYGON(");
	for (int c = 0; c < ncols; c++)
	{
		double		x0 = r->w + (r->e - r->w) * c / ncols;
		double		x1 = r->w + (r->e - r->w) * (c + 1) / ncols;
		int			nx = (int) ceil(x1 - x0);
		int			ny = (int) ceil(r->n - r->s);

		append_text(&buf, &len, &cap, c ? ",((" : "((");
		/* south edge, west to east */
		append(&buf, &len, &cap, "%.10g %.10g", x0, r->s);
		for (int i = 1; i <= nx && r->s > -90; i++)
			append(&buf, &len, &cap, ",%.10g %.10g", x0 + (x1 - x0) * i / nx, r->s);
		/* east edge, south to north */
		for (int i = 1; i < ny; i++)
			append(&buf, &len, &cap, ",%.10g %.10g", x1, r->s + (r->n - r->s) * i / ny);
		/* north edge, east to west */
		if (r->n < 90)
			for (int i = 0; i <= nx; i++)
				append(&buf, &len, &cap, ",%.10g %.10g", x1 - (x1 - x0) * i / nx, r->n);
		else
			append(&buf, &len, &cap, ",%.10g %.10g", x1, r->n);
		/* west edge, north to south, and close */
		for (int i = 1; i < ny; i++)
			append(&buf, &len, &cap, ",%.10g %.10g", x0, r->n - (r->n - r->s) * i / ny);
		append(&buf, &len, &cap, ",%.10g %.10g", x0, r->s);
		append_text(&buf, &len, &cap, "))");
	}
	append_text(&buf, &len, &cap, ")");
	return buf;
}

static bool
parse_bbox(const char *arg, Region *r)
{
	char	   *copy = strdup(arg);
	char	   *parts[4];
	double		v[4];
	char	   *save = NULL;
	int			n = 0;

	if (copy == NULL)
		die(EXIT_LOCAL, "out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		if (n == 4 || !bbox_number(tok, &v[n]))
		{
			n = -1;
			break;
		}
		parts[n++] = tok;
	}
	if (n != 4)
	{
		fprintf(stderr, "%s: --bbox wants four numbers W,S,E,N, not \"%s\"\n", progname, arg);
		free(copy);
		return false;
	}
	if (v[1] < -90 || v[3] > 90 || v[1] >= v[3])
	{
		fprintf(stderr, "%s: --bbox latitudes must be -90 <= S < N <= 90\n", progname);
		free(copy);
		return false;
	}
	if (v[0] < -360 || v[0] > 360 || v[2] < -360 || v[2] > 360 || v[0] == v[2])
	{
		fprintf(stderr, "%s: --bbox longitudes must differ and lie in -360..360\n", progname);
		free(copy);
		return false;
	}
	r->bbox = true;
	r->w = v[0];
	r->s = v[1];
	r->e = v[2] < v[0] ? v[2] + 360 : v[2];	/* across the antimeridian */
	r->n = v[3];
	if (r->e - r->w > 360)
	{
		fprintf(stderr, "%s: --bbox is wider than 360 degrees\n", progname);
		free(copy);
		return false;
	}
	snprintf(r->num[0], sizeof(r->num[0]), "%.17g", r->w);
	snprintf(r->num[1], sizeof(r->num[1]), "%.17g", r->s);
	snprintf(r->num[2], sizeof(r->num[2]), "%.17g", r->e);
	snprintf(r->num[3], sizeof(r->num[3]), "%.17g", r->n);
	snprintf(r->tag, sizeof(r->tag), "%s_%s_%s_%s", parts[0], parts[1], parts[2], parts[3]);
	r->geog = bbox_geography(r);
	free(copy);
	return true;
}

/* --region: its tag is the first 8 hex digits of the text's SHA-256 */
static void
set_region(const char *wkt, Region *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	r->wkt = wkt;
	r->geog = strdup(wkt);
	if (r->geog == NULL)
		die(EXIT_LOCAL, "out of memory");
	if (EVP_Digest(wkt, strlen(wkt), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 4)
		die(EXIT_LOCAL, "could not compute a SHA-256 (libcrypto)");
	snprintf(r->tag, sizeof(r->tag), "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
}

/* ---- search ---- */

/* The options search and subset share; false if c is none of them. */
typedef struct SearchOpts
{
	Region		region;
	bool		have_region;
	const char *from;
	const char *to;
	const char *source;
} SearchOpts;

enum
{
	OPT_REGION = 1001, OPT_BBOX, OPT_FROM, OPT_TO, OPT_SOURCE, OPT_FORMAT,
	OPT_SEARCH, OPT_FORCE, OPT_VARIABLE
};

#define SEARCH_LONG_OPTIONS \
	{"region", required_argument, NULL, OPT_REGION}, \
	{"bbox", required_argument, NULL, OPT_BBOX}, \
	{"from", required_argument, NULL, OPT_FROM}, \
	{"to", required_argument, NULL, OPT_TO}, \
	{"source", required_argument, NULL, OPT_SOURCE}

/* 1: handled, 0: not a search option, -1: a bad value (message printed) */
static int
search_option(int c, const char *arg, SearchOpts *o)
{
	switch (c)
	{
		case OPT_REGION:
		case OPT_BBOX:
			if (o->have_region)
			{
				fprintf(stderr, "%s: give one --region or --bbox\n", progname);
				return -1;
			}
			o->have_region = true;
			if (c == OPT_REGION)
				set_region(arg, &o->region);
			else if (!parse_bbox(arg, &o->region))
				return -1;
			return 1;
		case OPT_FROM:
			o->from = arg;
			return 1;
		case OPT_TO:
			o->to = arg;
			return 1;
		case OPT_SOURCE:
			o->source = arg;
			return 1;
	}
	return 0;
}

/*
 * Run the search (swath_search, or without a region the same time and
 * source test on swaths) with columns cols, ordered by overpass and id.
 */
static PGresult *
run_search(PGconn *c, const SearchOpts *o, const char *cols, OutputFormat fmt)
{
	char		sql[1024];
	char	   *q;
	const char *vals[4];
	PGresult   *res;

	if (o->have_region)
	{
		snprintf(sql, sizeof(sql),
				 "SELECT %s FROM swath_search(ST_GeogFromText($1), $2::timestamptz,"
				 " $3::timestamptz, $4::text) ORDER BY overpass, id", cols);
		vals[0] = o->region.geog;
		vals[1] = o->from;
		vals[2] = o->to;
		vals[3] = o->source;
	}
	else
	{
		snprintf(sql, sizeof(sql),
				 "SELECT %s FROM swaths"
				 " WHERE tstzrange(overpass, coalesce(overpass_end, overpass), '[]')"
				 "       && tstzrange($1::timestamptz, $2::timestamptz, '[)')"
				 "   AND ($3::text IS NULL OR source = $3::text)"
				 " ORDER BY overpass, id", cols);
		vals[0] = o->from;
		vals[1] = o->to;
		vals[2] = o->source;
	}
	q = format_query(sql, fmt);
	res = PQexecParams(c, q, o->have_region ? 4 : 3, NULL, vals, NULL, NULL, 0);
	free(q);
	check(res, PGRES_TUPLES_OK, "search");
	return res;
}

void
usage_search(FILE *f)
{
	fprintf(f,
			"Usage: %s search [OPTION]...\n"
			"Catalogued swaths whose footprint meets a region and whose acquisition\n"
			"overlaps [FROM, TO) (swath_search), by overpass time.\n\n"
			"Options:\n"
			"  --region=WKT          a region as (E)WKT, read as geography (great-circle edges)\n"
			"  --bbox=W,S,E,N        a longitude/latitude box (W > E: across the antimeridian)\n"
			"                        without a region: every swath of the time and source\n"
			"  --from=TIMESTAMP      acquisition ends at or after this time\n"
			"  --to=TIMESTAMP        acquisition starts before this time\n"
			"  --source=NAME         only swaths of this source\n"
			"  --format=table|json   output format (default: table, as psql)\n",
			progname);
	usage_connection(f);
}

int
cmd_search(int argc, char **argv)
{
	static struct option opts[] = {
		CONN_LONG_OPTIONS,
		SEARCH_LONG_OPTIONS,
		{"format", required_argument, NULL, OPT_FORMAT},
		{NULL, 0, NULL, 0}
	};
	SearchOpts	o = {0};
	OutputFormat fmt = FORMAT_TABLE;
	PGresult   *res;
	int			c,
				rc;

	while ((c = getopt_long(argc, argv, CONN_SHORT_OPTIONS, opts, NULL)) != -1)
	{
		if ((rc = search_option(c, optarg, &o)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		if (c == OPT_FORMAT)
		{
			if (!parse_format(optarg, &fmt))
				return EXIT_USAGE;
		}
		else if ((rc = common_option(c, argv, usage_search)) >= 0)
			return rc;
	}
	if (optind != argc)
	{
		fprintf(stderr, "%s: search takes no arguments (a region is --region or --bbox)\n", progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	conn = connect_db();
	res = run_search(conn, &o, "id, filename, source, overpass, oid", fmt);
	print_result(res, fmt, stdout);
	PQclear(res);
	PQfinish(conn);
	return EXIT_OK;
}

/* ---- subset ---- */

typedef struct Target
{
	char	   *oid;
	char	   *file;			/* output file name */
} Target;

void
usage_subset(FILE *f)
{
	fprintf(f,
			"Usage: %s subset [ID]... [--search] (--region=WKT | --bbox=W,S,E,N) -o DIR [OPTION]...\n"
			"Cut swaths to a region (swath_subset), each into a netCDF-4 file in DIR named\n"
			"<granule>_subset_<W>_<S>_<E>_<N>.nc (--bbox) or <granule>_subset_<hash>.nc\n"
			"(--region: the first 8 hex digits of the WKT's SHA-256).  A swath with no\n"
			"pixel inside the region is reported and skipped.  ID is a swath id (a number)\n"
			"or an object id (13 characters).  Exit code 7 if a swath failed.\n\n"
			"Options:\n"
			"  --region=WKT          region as (E)WKT, great-circle edges (as search)\n"
			"  --bbox=W,S,E,N        longitude/latitude box, straight lon/lat edges (as l2ss-py)\n"
			"  --search              also every swath the search finds (the region, and\n"
			"                        --from, --to, --source as in \"%s search\")\n"
			"  -o, --output=DIR      directory of the files (made if missing)\n"
			"  --variable=NAME       only this variable (repeatable; geolocation is kept)\n"
			"  --force               replace files that exist\n",
			progname, progname);
	usage_connection(f);
}

/* <basename of filename without extension>_subset_<tag>.nc */
static char *
subset_name(const char *filename, const char *oid, const char *tag)
{
	const char *base = filename ? filename : oid;
	const char *slash = strrchr(base, '/');
	const char *dot;
	size_t		len;
	char	   *name;

	base = slash ? slash + 1 : base;
	dot = filename ? strrchr(base, '.') : NULL;
	len = dot && dot != base ? (size_t) (dot - base) : strlen(base);
	if ((name = malloc(len + strlen(tag) + 16)) == NULL)
		die(EXIT_LOCAL, "out of memory");
	sprintf(name, "%.*s_subset_%s.nc", (int) len, base, tag);
	return name;
}

static void
add_target(Target **t, int *n, const char *oid, const char *filename, const char *tag)
{
	for (int i = 0; i < *n; i++)
		if (strcmp((*t)[i].oid, oid) == 0)
			return;				/* given twice */
	if ((*t = realloc(*t, (*n + 1) * sizeof(Target))) == NULL ||
		((*t)[*n].oid = strdup(oid)) == NULL)
		die(EXIT_LOCAL, "out of memory");
	(*t)[*n].file = subset_name(filename, oid, tag);
	(*n)++;
}

/* An ID argument: a swath id (up to 12 digits) or an object id; exit 3 if unknown. */
static void
resolve_id(const char *arg, const char *tag, Target **t, int *n)
{
	const char *vals[1] = {arg};
	PGresult   *res;
	bool		swath = strlen(arg) <= 12 && strspn(arg, "0123456789") == strlen(arg);

	id_command = true;			/* a malformed id is a usage error */
	if (swath)
		res = PQexecParams(conn, "SELECT oid, filename FROM swaths WHERE id = $1::bigint",
						   1, NULL, vals, NULL, NULL, 0);
	else
		res = PQexecParams(conn,
						   "SELECT $1::wosoid, (SELECT filename FROM swaths WHERE oid = $1::wosoid"
						   "                     ORDER BY id LIMIT 1)"
						   " WHERE wos_exists($1::wosoid)",
						   1, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "subset");
	id_command = false;
	if (PQntuples(res) == 0)
		die(EXIT_NOTFOUND, "%s %s does not exist", swath ? "swath" : "object", arg);
	add_target(t, n, PQgetvalue(res, 0, 0),
			   PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1), tag);
	PQclear(res);
}

/* --variable values as a text[] literal */
static void
add_variable(char **array, const char *name)
{
	size_t		old = *array ? strlen(*array) - 1 : 0;	/* without the brace */
	char	   *a = malloc(old + 2 * strlen(name) + 8);
	char	   *p;

	if (a == NULL)
		die(EXIT_LOCAL, "out of memory");
	if (*array)
		memcpy(a, *array, old);
	else
		a[old++] = '{';
	p = a + old;
	if (*array)
		*p++ = ',';
	*p++ = '"';
	for (const char *s = name; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	strcpy(p, "\"}");
	free(*array);
	*array = a;
}

int
cmd_subset(int argc, char **argv)
{
	static struct option opts[] = {
		CONN_LONG_OPTIONS,
		SEARCH_LONG_OPTIONS,
		{"search", no_argument, NULL, OPT_SEARCH},
		{"output", required_argument, NULL, 'o'},
		{"variable", required_argument, NULL, OPT_VARIABLE},
		{"force", no_argument, NULL, OPT_FORCE},
		{NULL, 0, NULL, 0}
	};
	SearchOpts	o = {0};
	bool		search = false,
				force = false;
	const char *dir = NULL;
	char	   *variables = NULL;
	Target	   *targets = NULL;
	int			ntargets = 0;
	int			written = 0,
				empty = 0,
				failed = 0;
	bool		lost = false;
	const char *sql;
	const char *vals[6];
	int			nvals;
	struct stat st;
	Progress	prog;
	int			c,
				rc;

	while ((c = getopt_long(argc, argv, "o:" CONN_SHORT_OPTIONS, opts, NULL)) != -1)
	{
		if ((rc = search_option(c, optarg, &o)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c)
		{
			case OPT_SEARCH:
				search = true;
				break;
			case 'o':
				dir = optarg;
				break;
			case OPT_VARIABLE:
				add_variable(&variables, optarg);
				break;
			case OPT_FORCE:
				force = true;
				break;
			default:
				if ((rc = common_option(c, argv, usage_subset)) >= 0)
					return rc;
		}
	}
	if (!o.have_region || dir == NULL || (optind == argc && !search))
	{
		fprintf(stderr, "%s: subset wants swaths (IDs or --search), a region (--region or --bbox) and -o DIR\n",
				progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	if ((o.from || o.to || o.source) && !search)
	{
		fprintf(stderr, "%s: --from, --to and --source go with --search\n", progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	if (stat(dir, &st) != 0)
	{
		if (errno != ENOENT || mkdir(dir, 0777) != 0)
			die(EXIT_LOCAL, "could not create directory \"%s\": %s", dir, strerror(errno));
	}
	else if (!S_ISDIR(st.st_mode))
		die(EXIT_LOCAL, "\"%s\" is not a directory", dir);

	conn = connect_db();
	for (int i = optind; i < argc; i++)
		resolve_id(argv[i], o.region.tag, &targets, &ntargets);
	if (search)
	{
		PGresult   *res = run_search(conn, &o, "oid, filename, overpass, id", FORMAT_TABLE);

		for (int i = 0; i < PQntuples(res); i++)
			add_target(&targets, &ntargets, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
					   o.region.tag);
		PQclear(res);
	}

	if (o.region.bbox)
	{
		sql = "SELECT swath_subset($1::wosoid, ST_MakeEnvelope($2::float8, $3::float8,"
			" $4::float8, $5::float8, 4326), $6::text[])";
		for (int k = 0; k < 4; k++)
			vals[1 + k] = o.region.num[k];
		vals[5] = variables;
		nvals = 6;
	}
	else
	{
		sql = "SELECT swath_subset($1::wosoid, ST_GeogFromText($2), $3::text[])";
		vals[1] = o.region.wkt;
		vals[2] = variables;
		nvals = 3;
	}
	progress_init(&prog, -1, ntargets);
	for (int i = 0; i < ntargets && !lost; i++)
	{
		char	   *path = malloc(strlen(dir) + strlen(targets[i].file) + 2);
		OutFile		out;
		Failure		f;
		bool		null = false;
		int64_t		n;

		if (path == NULL)
			die(EXIT_LOCAL, "out of memory");
		sprintf(path, "%s/%s", dir, targets[i].file);
		vals[0] = targets[i].oid;
		if (!out_open(&out, path, force, &f))
			n = -1;
		else if ((n = query_to_file(conn, "swath_subset", sql, nvals, vals, &out, &prog,
									&null, &f)) < 0 || null)
			out_abort(&out);
		else if (!out_commit(&out, &f))
			n = -1;
		if (n < 0)
		{
			progress_print(&prog, stderr, "%s: could not subset object %s: %s",
						   progname, targets[i].oid, f.msg);
			failed++;
			lost = PQstatus(conn) == CONNECTION_BAD;
		}
		else if (null)
		{
			progress_print(&prog, stdout, "skipped %s: no pixel of object %s is inside the region",
						   targets[i].file, targets[i].oid);
			empty++;
		}
		else
		{
			progress_print(&prog, stdout, "wrote %s", path);
			written++;
		}
		progress_item_done(&prog);
		free(path);
	}
	if (ntargets > 0)
		progress_finish(&prog);
	if (lost)
		failed = ntargets - written - empty;
	printf("subset: %d written, %d empty, %d failed\n", written, empty, failed);
	PQfinish(conn);
	conn = NULL;
	if (lost)
		return EXIT_CONNECT;
	return failed > 0 ? EXIT_PARTIAL : EXIT_OK;
}
