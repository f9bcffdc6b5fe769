/*
 * eoswath.c
 *		The eoswath command-line client: put, get, stat and rm objects of
 *		any size from the shell, streaming, over libpq.
 *
 * put:	BEGIN; wos_put_stream(); wos_stream_write() per block, pipelined
 *		(binary parameters, a bounded number of writes in flight);
 *		wos_stream_close(); COMMIT.  Memory: a few blocks.
 * get:	SELECT wos_stream_get() in single-row mode with binary results;
 *		to a file: written to FILE.eoswath-part and renamed at the end.
 *
 * Exit codes (a script can rely on them):
 *	0 ok, 1 usage (bad arguments, malformed id), 2 connection,
 *	3 object not found, 4 other server error, 5 local file error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libpq-fe.h>

#define EXIT_OK			0
#define EXIT_USAGE		1
#define EXIT_CONNECT	2
#define EXIT_NOTFOUND	3
#define EXIT_SERVER		4
#define EXIT_LOCAL		5

#define INT4OID			23
#define BYTEAOID		17

#define DEFAULT_BLOCK	(1024 * 1024)	/* put: bytes per wos_stream_write */
#define DEFAULT_CHUNK	(64 * 1024)		/* get: bytes per row; measured fastest */
#define WINDOW			8		/* writes in flight */

static const char *progname = "eoswath";
static const char *conninfo = NULL;
static bool quiet = false;
static PGconn *conn = NULL;
static char *part_path = NULL;	/* removed if get fails */
static bool id_command = false; /* get, stat, rm: the only id is the argument */

static void
cleanup_part(void)
{
	if (part_path)
		unlink(part_path);
	part_path = NULL;
}

/* Ctrl-C or a kill during get -o: leave no partial file (the server rolls
 * back an interrupted put by itself when the connection drops) */
static void
on_signal(int sig)
{
	if (part_path)
		unlink(part_path);
	_exit(128 + sig);
}

static void
die(int code, const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup_part();
	if (conn)
		PQfinish(conn);
	exit(code);
}

/* The exit code for a failed result, after printing the server's message. */
static int
server_error(PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : "";
	int			code;

	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(conn);
	if (PQstatus(conn) == CONNECTION_BAD || state == NULL || strncmp(state, "08", 2) == 0)
		code = EXIT_CONNECT;
	else if (id_command && strcmp(state, "42704") == 0)
		code = EXIT_NOTFOUND;	/* no such object */
	else if (id_command && strcmp(state, "22P02") == 0)
		code = EXIT_USAGE;		/* a malformed object id */
	else
		code = EXIT_SERVER;
	fprintf(stderr, "%s: %s: %s", progname, what, msg);
	if (msg[0] && msg[strlen(msg) - 1] != '\n')
		fputc('\n', stderr);
	return code;
}

static void
check(PGresult *res, ExecStatusType want, const char *what)
{
	if (res == NULL || PQresultStatus(res) != want)
	{
		int			code = server_error(res, what);

		PQclear(res);
		cleanup_part();
		PQfinish(conn);
		exit(code);
	}
}

static void
connect_db(void)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {conninfo, "eoswath", NULL};

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		die(EXIT_CONNECT, "could not connect: %s", conn ? PQerrorMessage(conn) : "out of memory");
}

static void
exec_ok(const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	check(res, PGRES_COMMAND_OK, sql);
	PQclear(res);
}

/* ---- progress on a terminal ---- */

typedef struct Progress
{
	bool		on;
	int64_t		total;			/* -1: unknown */
	int64_t		done;
	double		start;
	double		last;
} Progress;

static double
now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void
human(char *buf, size_t len, double bytes)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int			u = 0;

	while (bytes >= 1024 && u < 4)
	{
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

static void
progress_init(Progress *p, int64_t total)
{
	p->on = !quiet && isatty(STDERR_FILENO);
	p->total = total;
	p->done = 0;
	p->start = p->last = now_seconds();
}

static void
progress_show(Progress *p, bool final)
{
	double		t = now_seconds();
	double		rate;
	char		done[32],
				total[32],
				speed[32],
				eta[32] = "";

	if (!p->on || (!final && t - p->last < 0.2))
		return;
	p->last = t;
	rate = t > p->start ? p->done / (t - p->start) : 0;
	human(done, sizeof(done), p->done);
	human(speed, sizeof(speed), rate);
	if (final)
	{
		long		s = (long) (t - p->start);

		snprintf(eta, sizeof(eta), " in %ld:%02ld", s / 60, s % 60);
	}
	else if (p->total > 0 && rate > 0)
	{
		long		s = (long) ((p->total - p->done) / rate);

		snprintf(eta, sizeof(eta), " ETA %ld:%02ld", s / 60, s % 60);
	}
	/* ESC [ K: erase the rest of the previous, possibly longer, line */
	if (p->total > 0)
	{
		human(total, sizeof(total), p->total);
		fprintf(stderr, "\r%s / %s %3d%% %s/s%s\033[K", done, total,
				(int) (100.0 * p->done / p->total), speed, eta);
	}
	else
		fprintf(stderr, "\r%s %s/s%s\033[K", done, speed, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* A size option in 1..256 MiB; false (with a message) if it is not one. */
static bool
parse_size_option(const char *arg, const char *option, long *out)
{
	long		v = atol(arg);

	if (v < 1 || v > 256L * 1024 * 1024)
	{
		fprintf(stderr, "%s: %s must be between 1 and 268435456\n", progname, option);
		return false;
	}
	*out = v;
	return true;
}

/* ---- put ---- */

static void
usage_put(FILE *f)
{
	fprintf(f,
			"Usage: %s put FILE [--policy P] [--meta KEY=VALUE ...] [--gzip] [-d CONNINFO] [-q]\n"
			"Store FILE (\"-\": standard input) as a new object and print its id.\n"
			"  --policy P         replication policy (default: eoswath.default_policy)\n"
			"  --meta KEY=VALUE   a metadata entry (repeatable)\n"
			"  --gzip             store the data gzip-compressed (encoding 'gzip')\n"
			"  --block-size N     bytes per write (default %d)\n",
			progname, DEFAULT_BLOCK);
}

/* append s to buf as a JSON string */
static void
json_string(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t		need = *len + strlen(s) * 6 + 3;

	if (need > *cap)
	{
		*cap = need * 2;
		*buf = realloc(*buf, *cap);
		if (*buf == NULL)
			die(EXIT_LOCAL, "out of memory");
	}
	(*buf)[(*len)++] = '"';
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			(*buf)[(*len)++] = '\\';
			(*buf)[(*len)++] = c;
		}
		else if (c < 0x20)
			*len += sprintf(*buf + *len, "\\u%04x", c);
		else
			(*buf)[(*len)++] = c;
	}
	(*buf)[(*len)++] = '"';
	(*buf)[*len] = '\0';
}

/* Read one result of a pipelined write and the NULL that ends it. */
static void
pipeline_result(void)
{
	PGresult   *res = PQgetResult(conn);

	check(res, PGRES_TUPLES_OK, "wos_stream_write");
	PQclear(res);
	res = PQgetResult(conn);
	if (res != NULL)
		die(EXIT_SERVER, "unexpected extra result in the pipeline");
}

static size_t
read_full(int fd, char *buf, size_t len, const char *path)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_LOCAL, "could not read \"%s\": %s", path, strerror(errno));
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static int
cmd_put(int argc, char **argv)
{
	static struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"meta", required_argument, NULL, 'm'},
		{"gzip", no_argument, NULL, 'z'},
		{"block-size", required_argument, NULL, 'b'},
		{"dbname", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *policy = NULL;
	bool		gzip = false;
	long		block = DEFAULT_BLOCK;
	char	   *meta = NULL;
	size_t		metalen = 0,
				metacap = 0;
	int			nmeta = 0;
	const char *path;
	int			fd;
	struct stat st;
	PGresult   *res;
	const char *vals[3];
	char	   *buf;
	int			c,
				inflight = 0;
	uint32_t	stream_be;
	Progress	prog;

	json_string(&meta, &metalen, &metacap, "");
	metalen = 0;
	meta[metalen++] = '{';
	meta[metalen] = '\0';
	while ((c = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'p':
				policy = optarg;
				break;
			case 'm':
				{
					char	   *eq = strchr(optarg, '=');

					if (eq == NULL || eq == optarg)
					{
						fprintf(stderr, "%s: --meta wants KEY=VALUE, not \"%s\"\n", progname, optarg);
						return EXIT_USAGE;
					}
					*eq = '\0';
					if (nmeta++)
						meta[metalen++] = ',';
					json_string(&meta, &metalen, &metacap, optarg);
					meta[metalen++] = ':';
					json_string(&meta, &metalen, &metacap, eq + 1);
					break;
				}
			case 'z':
				gzip = true;
				break;
			case 'b':
				if (!parse_size_option(optarg, "--block-size", &block))
					return EXIT_USAGE;
				break;
			case 'd':
				conninfo = optarg;
				break;
			case 'q':
				quiet = true;
				break;
			case 'h':
				usage_put(stdout);
				return EXIT_OK;
			default:
				usage_put(stderr);
				return EXIT_USAGE;
		}
	}
	meta[metalen++] = '}';
	meta[metalen] = '\0';
	if (optind != argc - 1)
	{
		usage_put(stderr);
		return EXIT_USAGE;
	}
	path = argv[optind];
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY)) < 0)
		die(EXIT_LOCAL, "could not open \"%s\": %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		die(EXIT_LOCAL, "could not stat \"%s\": %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die(EXIT_LOCAL, "\"%s\" is a directory", path);
	if ((buf = malloc(block)) == NULL)
		die(EXIT_LOCAL, "out of memory");

	connect_db();
	exec_ok("BEGIN");
	vals[0] = policy;
	vals[1] = meta;
	vals[2] = gzip ? "true" : "false";
	res = PQexecParams(conn, "SELECT wos_put_stream($1, $2::jsonb, $3::boolean)",
					   3, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "wos_put_stream");
	stream_be = htonl((uint32_t) atoi(PQgetvalue(res, 0, 0)));
	PQclear(res);
	res = PQprepare(conn, "w", "SELECT wos_stream_write($1, $2)", 2,
					(Oid[]) {INT4OID, BYTEAOID});
	check(res, PGRES_COMMAND_OK, "prepare");
	PQclear(res);

	/*
	 * Pipelined writes: up to WINDOW in flight (libpq copies each into its
	 * output buffer, so one read buffer does).  A flush request after each
	 * makes the server send its result at once, so the window slides.
	 */
	progress_init(&prog, S_ISREG(st.st_mode) ? (int64_t) st.st_size : -1);
	if (!PQenterPipelineMode(conn))
		die(EXIT_CONNECT, "could not enter pipeline mode: %s", PQerrorMessage(conn));
	for (;;)
	{
		size_t		n = read_full(fd, buf, block, path);
		const char *pv[2];
		int			pl[2];
		int			pf[2] = {1, 1};

		if (n == 0)
			break;
		if (inflight == WINDOW)
		{
			pipeline_result();
			inflight--;
		}
		pv[0] = (const char *) &stream_be;
		pl[0] = 4;
		pv[1] = buf;
		pl[1] = (int) n;
		if (!PQsendQueryPrepared(conn, "w", 2, pv, pl, pf, 1) ||
			!PQsendFlushRequest(conn) || PQflush(conn) != 0)
			die(EXIT_CONNECT, "could not send data: %s", PQerrorMessage(conn));
		inflight++;
		prog.done += n;
		progress_show(&prog, false);
	}
	if (!PQpipelineSync(conn))
		die(EXIT_CONNECT, "could not send data: %s", PQerrorMessage(conn));
	while (inflight-- > 0)
		pipeline_result();
	res = PQgetResult(conn);
	check(res, PGRES_PIPELINE_SYNC, "pipeline sync");
	PQclear(res);
	if (!PQexitPipelineMode(conn))
		die(EXIT_CONNECT, "could not leave pipeline mode: %s", PQerrorMessage(conn));
	if (fd != STDIN_FILENO)
		close(fd);

	{
		char		idbuf[16];

		snprintf(idbuf, sizeof(idbuf), "%u", ntohl(stream_be));
		vals[0] = idbuf;
		res = PQexecParams(conn, "SELECT wos_stream_close($1::integer)", 1, NULL, vals, NULL, NULL, 0);
	}
	check(res, PGRES_TUPLES_OK, "wos_stream_close");
	exec_ok("COMMIT");
	progress_show(&prog, true);
	printf("%s\n", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(conn);
	free(buf);
	free(meta);
	return EXIT_OK;
}

/* ---- get ---- */

static void
usage_get(FILE *f)
{
	fprintf(f,
			"Usage: %s get ID [-o FILE] [--decompress] [--force] [-d CONNINFO] [-q]\n"
			"Write object ID to FILE (default: standard output).\n"
			"  -o, --output FILE  write here (via FILE.eoswath-part, renamed at the end)\n"
			"  --decompress       inflate gzip data (as gzip -d)\n"
			"  --force            replace FILE if it exists\n"
			"  --chunk-size N     bytes per row from the server (default %d)\n",
			progname, DEFAULT_CHUNK);
}

static void
write_full(int fd, const char *p, size_t n, const char *path)
{
	while (n > 0)
	{
		ssize_t		w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die(EXIT_LOCAL, "could not write \"%s\": %s", path, strerror(errno));
		p += w;
		n -= w;
	}
}

static int
cmd_get(int argc, char **argv)
{
	static struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"decompress", no_argument, NULL, 'x'},
		{"force", no_argument, NULL, 'f'},
		{"chunk-size", required_argument, NULL, 'c'},
		{"dbname", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *out = NULL;
	const char *outname = "standard output";
	bool		decompress = false,
				force = false;
	long		chunk = DEFAULT_CHUNK;
	char		chunkbuf[16];
	const char *vals[3];
	int			fd = STDOUT_FILENO;
	int			c;
	PGresult   *res;
	Progress	prog;
	int64_t		size;

	while ((c = getopt_long(argc, argv, "o:d:qh", opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'o':
				out = optarg;
				break;
			case 'x':
				decompress = true;
				break;
			case 'f':
				force = true;
				break;
			case 'c':
				if (!parse_size_option(optarg, "--chunk-size", &chunk))
					return EXIT_USAGE;
				break;
			case 'd':
				conninfo = optarg;
				break;
			case 'q':
				quiet = true;
				break;
			case 'h':
				usage_get(stdout);
				return EXIT_OK;
			default:
				usage_get(stderr);
				return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
	{
		usage_get(stderr);
		return EXIT_USAGE;
	}
	vals[0] = argv[optind];

	connect_db();
	res = PQexecParams(conn, "SELECT size FROM wos_stat($1::wosoid) WHERE state = 'stored'",
					   1, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "get");
	if (PQntuples(res) != 1)
		die(EXIT_NOTFOUND, "object %s holds no data yet", vals[0]);
	size = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	if (out && strcmp(out, "-") != 0)
	{
		struct stat st;

		if (!force && stat(out, &st) == 0)
			die(EXIT_LOCAL, "\"%s\" exists (use --force to replace it)", out);
		{
			char	   *p = malloc(strlen(out) + 16);

			if (p == NULL)
				die(EXIT_LOCAL, "out of memory");
			sprintf(p, "%s.eoswath-part", out);
			part_path = p;		/* complete before a signal handler sees it */
		}
		fd = open(part_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		if (fd < 0)
		{
			int			e = errno;

			free(part_path);
			part_path = NULL;
			die(EXIT_LOCAL, "could not create \"%s.eoswath-part\": %s", out, strerror(e));
		}
		outname = out;
	}

	snprintf(chunkbuf, sizeof(chunkbuf), "%ld", chunk);
	vals[1] = chunkbuf;
	vals[2] = decompress ? "true" : "false";
	if (!PQsendQueryParams(conn, "SELECT wos_stream_get($1::wosoid, $2::integer, $3::boolean)",
						   3, NULL, vals, NULL, NULL, 1) ||
		!PQsetSingleRowMode(conn))
		die(EXIT_CONNECT, "could not send the query: %s", PQerrorMessage(conn));
	progress_init(&prog, decompress ? -1 : size);
	while ((res = PQgetResult(conn)) != NULL)
	{
		ExecStatusType s = PQresultStatus(res);

		if (s == PGRES_SINGLE_TUPLE)
		{
			int			n = PQgetlength(res, 0, 0);

			write_full(fd, PQgetvalue(res, 0, 0), n, outname);
			prog.done += n;
			progress_show(&prog, false);
		}
		else if (s != PGRES_TUPLES_OK)
			check(res, PGRES_TUPLES_OK, "get");
		PQclear(res);
	}
	if (part_path)
	{
		if (fsync(fd) != 0 || close(fd) != 0)
			die(EXIT_LOCAL, "could not write \"%s\": %s", out, strerror(errno));
		if (rename(part_path, out) != 0)
			die(EXIT_LOCAL, "could not rename \"%s\" to \"%s\": %s", part_path, out, strerror(errno));
		free(part_path);
		part_path = NULL;
	}
	progress_show(&prog, true);
	PQfinish(conn);
	return EXIT_OK;
}

/* ---- stat, rm ---- */

static int
cmd_simple(int argc, char **argv, bool is_stat)
{
	static struct option opts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *usage = is_stat ?
		"Usage: %s stat ID [-d CONNINFO]\nPrint an object's size, checksum, encoding, copies and metadata.\n" :
		"Usage: %s rm ID [-d CONNINFO]\nDelete an object from every site.\n";
	const char *vals[1];
	int			c;
	PGresult   *res;

	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1)
	{
		if (c == 'd')
			conninfo = optarg;
		else if (c == 'h')
		{
			printf(usage, progname);
			return EXIT_OK;
		}
		else
		{
			fprintf(stderr, usage, progname);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
	{
		fprintf(stderr, usage, progname);
		return EXIT_USAGE;
	}
	vals[0] = argv[optind];
	connect_db();
	if (!is_stat)
	{
		res = PQexecParams(conn, "SELECT wos_delete($1::wosoid)", 1, NULL, vals, NULL, NULL, 0);
		check(res, PGRES_TUPLES_OK, "rm");
		PQclear(res);
		PQfinish(conn);
		return EXIT_OK;
	}
	res = PQexecParams(conn,
					   "SELECT oid, state, size, encoding, policy, sha256, created, copies_wanted,"
					   "       copies_present, array_to_string(sites, ','),"
					   "       CASE WHEN state = 'stored' THEN wos_meta(oid)::text END"
					   "  FROM wos_stat($1::wosoid)",
					   1, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "stat");
	for (int i = 0; i < PQnfields(res); i++)
	{
		static const char *labels[] = {"id", "state", "size", "encoding", "policy", "sha256",
			"created", "copies_wanted", "copies_present", "sites", "meta"};

		printf("%s: %s\n", labels[i], PQgetisnull(res, 0, i) ? "" : PQgetvalue(res, 0, i));
	}
	PQclear(res);
	PQfinish(conn);
	return EXIT_OK;
}

static void
usage(FILE *f)
{
	fprintf(f,
			"%s: store and fetch eoswath objects of any size, streaming.\n\n"
			"Usage:\n"
			"  %s put FILE [--policy P] [--meta KEY=VALUE ...] [--gzip]   prints the new id\n"
			"  %s get ID [-o FILE] [--decompress] [--force]\n"
			"  %s stat ID\n"
			"  %s rm ID\n"
			"  %s COMMAND --help\n\n"
			"Options of every command:\n"
			"  -d, --dbname CONNINFO  database or connection string (default: libpq's\n"
			"                         PGHOST, PGPORT, PGDATABASE, PGUSER, ...)\n"
			"  -q, --quiet            no progress bar (it is shown only on a terminal)\n\n"
			"Exit codes: 0 ok, 1 usage or malformed id, 2 connection, 3 object not found,\n"
			"4 other server error, 5 local file error.\n",
			progname, progname, progname, progname, progname, progname);
}

int
main(int argc, char **argv)
{
	const char *cmd;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (argc < 2)
	{
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
	{
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0)
	{
		printf("eoswath client (libpq %d)\n", PQlibVersion());
		return EXIT_OK;
	}
	/* the command's own arguments, as if it were the program */
	argc--;
	argv++;
	if (strcmp(cmd, "put") == 0)
		return cmd_put(argc, argv);
	id_command = true;
	if (strcmp(cmd, "get") == 0)
		return cmd_get(argc, argv);
	if (strcmp(cmd, "stat") == 0)
		return cmd_simple(argc, argv, true);
	if (strcmp(cmd, "rm") == 0)
		return cmd_simple(argc, argv, false);
	fprintf(stderr, "%s: unknown command \"%s\"\n", progname, cmd);
	usage(stderr);
	return EXIT_USAGE;
}
