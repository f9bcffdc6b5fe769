/*
 * objects.c
 *		The object commands: put, get, stat, rm (one object each), ls (the
 *		wos_objects view) and verify (wos_verify), and the option parsers
 *		they share with the other commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- shared option parsers ---- */

/* A size option in 1..256 MiB; false (with a message) if it is not one. */
bool
parse_size_option(const char *arg, const char *option, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 1 || v > 256L * 1024 * 1024)
	{
		fprintf(stderr, "%s: %s must be between 1 and 268435456\n", progname, option);
		return false;
	}
	*out = v;
	return true;
}

/* append s to buf as a JSON string */
void
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

/* s as a JSON string, malloc'd */
static char *
json_quote(const char *s)
{
	char	   *buf = NULL;
	size_t		len = 0,
				cap = 0;

	json_string(&buf, &len, &cap, s);
	return buf;
}

/*
 * Add a KEY=VALUE option to the JSON object *json (NULL: none yet);
 * false (with a message) if arg is not KEY=VALUE.
 */
bool
meta_option(char **json, const char *arg, const char *option)
{
	const char *eq = strchr(arg, '=');
	char	   *key,
			   *k,
			   *v,
			   *obj;
	size_t		oldlen = *json ? strlen(*json) - 1 : 0;	/* without the brace */

	if (eq == NULL || eq == arg)
	{
		fprintf(stderr, "%s: %s wants KEY=VALUE, not \"%s\"\n", progname, option, arg);
		return false;
	}
	if ((key = strndup(arg, eq - arg)) == NULL)
		die(EXIT_LOCAL, "out of memory");
	k = json_quote(key);
	v = json_quote(eq + 1);
	if ((obj = malloc(oldlen + strlen(k) + strlen(v) + 8)) == NULL)
		die(EXIT_LOCAL, "out of memory");
	if (*json)
		sprintf(obj, "%.*s, %s: %s}", (int) oldlen, *json, k, v);
	else
		sprintf(obj, "{%s: %s}", k, v);
	free(*json);
	free(key);
	free(k);
	free(v);
	*json = obj;
	return true;
}

/* ---- put ---- */

void
usage_put(FILE *f)
{
	fprintf(f,
			"Usage: %s put FILE [OPTION]...\n"
			"Store FILE (\"-\": standard input) as a new object and print its id.\n\n"
			"Options:\n"
			"  --policy=P            replication policy (default: eoswath.default_policy)\n"
			"  --meta=KEY=VALUE      a metadata entry (repeatable)\n"
			"  --gzip                store the data gzip-compressed (encoding 'gzip')\n"
			"  --block-size=N        bytes per write (default %d)\n",
			progname, DEFAULT_BLOCK);
	usage_connection(f);
}

int
cmd_put(int argc, char **argv)
{
	enum
	{
		OPT_POLICY = 1001, OPT_META, OPT_GZIP, OPT_BLOCK
	};
	static struct option opts[] = {
		CONN_LONG_OPTIONS,
		{"policy", required_argument, NULL, OPT_POLICY},
		{"meta", required_argument, NULL, OPT_META},
		{"gzip", no_argument, NULL, OPT_GZIP},
		{"block-size", required_argument, NULL, OPT_BLOCK},
		{NULL, 0, NULL, 0}
	};
	PutSpec		spec = {NULL, NULL, false, DEFAULT_BLOCK};
	char	   *meta = NULL;
	const char *path;
	int			fd;
	struct stat st;
	char	   *buf;
	char		id[32];
	int			c,
				rc;
	Progress	prog;
	Failure		f;

	while ((c = getopt_long(argc, argv, CONN_SHORT_OPTIONS, opts, NULL)) != -1)
	{
		switch (c)
		{
			case OPT_POLICY:
				spec.policy = optarg;
				break;
			case OPT_META:
				if (!meta_option(&meta, optarg, "--meta"))
					return EXIT_USAGE;
				break;
			case OPT_GZIP:
				spec.gzip = true;
				break;
			case OPT_BLOCK:
				if (!parse_size_option(optarg, "--block-size", &spec.block))
					return EXIT_USAGE;
				break;
			default:
				if ((rc = common_option(c, argv, usage_put)) >= 0)
					return rc;
		}
	}
	if (optind != argc - 1)
	{
		fprintf(stderr, "%s: put wants one FILE (\"-\" for standard input)\n", progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	spec.meta = meta ? meta : "{}";
	path = argv[optind];
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY)) < 0)
		die(EXIT_LOCAL, "could not open \"%s\": %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		die(EXIT_LOCAL, "could not stat \"%s\": %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die(EXIT_LOCAL, "\"%s\" is a directory", path);
	if ((buf = malloc(spec.block)) == NULL)
		die(EXIT_LOCAL, "out of memory");

	conn = connect_db();
	exec_ok("BEGIN");
	progress_init(&prog, S_ISREG(st.st_mode) ? (int64_t) st.st_size : -1, 0);
	if (!put_stream(conn, fd, path, &spec, buf, &prog, id, sizeof(id), &f))
		die_failure(&f);
	exec_ok("COMMIT");
	if (fd != STDIN_FILENO)
		close(fd);
	progress_finish(&prog);
	printf("%s\n", id);
	PQfinish(conn);
	free(buf);
	free(meta);
	return EXIT_OK;
}

/* ---- get ---- */

void
usage_get(FILE *f)
{
	fprintf(f,
			"Usage: %s get ID [OPTION]...\n"
			"Write object ID to a file (default: standard output).\n\n"
			"Options:\n"
			"  -o, --output=FILE     write here (via FILE.eoswath-part, renamed at the end)\n"
			"  --decompress          inflate gzip data (as gzip -d)\n"
			"  --force               replace FILE if it exists\n"
			"  --chunk-size=N        bytes per row from the server (default %d)\n",
			progname, DEFAULT_CHUNK);
	usage_connection(f);
}

int
cmd_get(int argc, char **argv)
{
	enum
	{
		OPT_DECOMPRESS = 1001, OPT_FORCE, OPT_CHUNK
	};
	static struct option opts[] = {
		CONN_LONG_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"decompress", no_argument, NULL, OPT_DECOMPRESS},
		{"force", no_argument, NULL, OPT_FORCE},
		{"chunk-size", required_argument, NULL, OPT_CHUNK},
		{NULL, 0, NULL, 0}
	};
	const char *out = NULL;
	bool		decompress = false,
				force = false;
	long		chunk = DEFAULT_CHUNK;
	char		chunkbuf[16];
	const char *vals[3];
	int			c,
				rc;
	PGresult   *res;
	Progress	prog;
	int64_t		size;
	OutFile		o;
	Failure		f;

	while ((c = getopt_long(argc, argv, "o:" CONN_SHORT_OPTIONS, opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'o':
				out = optarg;
				break;
			case OPT_DECOMPRESS:
				decompress = true;
				break;
			case OPT_FORCE:
				force = true;
				break;
			case OPT_CHUNK:
				if (!parse_size_option(optarg, "--chunk-size", &chunk))
					return EXIT_USAGE;
				break;
			default:
				if ((rc = common_option(c, argv, usage_get)) >= 0)
					return rc;
		}
	}
	if (optind != argc - 1)
	{
		fprintf(stderr, "%s: get wants one object ID\n", progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	vals[0] = argv[optind];

	conn = connect_db();
	res = PQexecParams(conn, "SELECT size FROM wos_stat($1::wosoid) WHERE state = 'stored'",
					   1, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "get");
	if (PQntuples(res) != 1)
		die(EXIT_NOTFOUND, "object %s holds no data yet", vals[0]);
	size = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	if (!out_open(&o, out, force, &f))
		die_failure(&f);
	snprintf(chunkbuf, sizeof(chunkbuf), "%ld", chunk);
	vals[1] = chunkbuf;
	vals[2] = decompress ? "true" : "false";
	progress_init(&prog, decompress ? -1 : size, 0);
	if (query_to_file(conn, "get", "SELECT wos_stream_get($1::wosoid, $2::integer, $3::boolean)",
					  3, vals, &o, &prog, NULL, &f) < 0 ||
		!out_commit(&o, &f))
		die_failure(&f);
	progress_finish(&prog);
	PQfinish(conn);
	return EXIT_OK;
}

/* ---- stat, rm ---- */

void
usage_stat(FILE *f)
{
	fprintf(f,
			"Usage: %s stat ID [OPTION]...\n"
			"Print an object's size, checksum, encoding, copies and metadata.\n",
			progname);
	usage_connection(f);
}

void
usage_rm(FILE *f)
{
	fprintf(f,
			"Usage: %s rm ID [OPTION]...\n"
			"Delete an object from every site.\n",
			progname);
	usage_connection(f);
}

/* the one argument of a command that takes an object id, or exit */
static const char *
one_id(int argc, char **argv, void (*usage) (FILE *), int *rc)
{
	static struct option opts[] = {CONN_LONG_OPTIONS, {NULL, 0, NULL, 0}};
	int			c;

	*rc = -1;
	while ((c = getopt_long(argc, argv, CONN_SHORT_OPTIONS, opts, NULL)) != -1)
		if ((*rc = common_option(c, argv, usage)) >= 0)
			return NULL;
	if (optind != argc - 1)
	{
		fprintf(stderr, "%s: %s wants one object ID\n", progname, argv[0] + strlen(progname) + 1);
		try_help(argv[0]);
		*rc = EXIT_USAGE;
		return NULL;
	}
	return argv[optind];
}

int
cmd_stat(int argc, char **argv)
{
	static const char *labels[] = {"id", "state", "size", "encoding", "policy", "sha256",
		"created", "copies_wanted", "copies_present", "sites", "meta"};
	const char *vals[1];
	int			rc;
	PGresult   *res;

	if ((vals[0] = one_id(argc, argv, usage_stat, &rc)) == NULL)
		return rc;
	conn = connect_db();
	res = PQexecParams(conn,
					   "SELECT oid, state, size, encoding, policy, sha256, created, copies_wanted,"
					   "       copies_present, array_to_string(sites, ','),"
					   "       CASE WHEN state = 'stored' THEN wos_meta(oid)::text END"
					   "  FROM wos_stat($1::wosoid)",
					   1, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "stat");
	for (int i = 0; i < PQnfields(res) && PQntuples(res) == 1; i++)
		printf("%s: %s\n", labels[i], PQgetisnull(res, 0, i) ? "" : PQgetvalue(res, 0, i));
	PQclear(res);
	PQfinish(conn);
	return EXIT_OK;
}

int
cmd_rm(int argc, char **argv)
{
	const char *vals[1];
	int			rc;
	PGresult   *res;

	if ((vals[0] = one_id(argc, argv, usage_rm, &rc)) == NULL)
		return rc;
	conn = connect_db();
	res = PQexecParams(conn, "SELECT wos_delete($1::wosoid)", 1, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "rm");
	PQclear(res);
	PQfinish(conn);
	return EXIT_OK;
}

/* ---- ls ---- */

void
usage_ls(FILE *f)
{
	fprintf(f,
			"Usage: %s ls [OPTION]...\n"
			"List objects (the wos_objects view), newest first.\n\n"
			"Options:\n"
			"  --limit=N             at most N objects\n"
			"  --meta=KEY=VALUE      only objects with this metadata entry (repeatable: all)\n"
			"  --since=TIMESTAMP     only objects created at or after this time\n"
			"  --format=table|json   output format (default: table, as psql)\n",
			progname);
	usage_connection(f);
}

int
cmd_ls(int argc, char **argv)
{
	enum
	{
		OPT_LIMIT = 1001, OPT_META, OPT_SINCE, OPT_FORMAT
	};
	static struct option opts[] = {
		CONN_LONG_OPTIONS,
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"meta", required_argument, NULL, OPT_META},
		{"since", required_argument, NULL, OPT_SINCE},
		{"format", required_argument, NULL, OPT_FORMAT},
		{NULL, 0, NULL, 0}
	};
	const char *vals[3] = {NULL, NULL, NULL};
	char	   *meta = NULL;
	OutputFormat fmt = FORMAT_TABLE;
	char	   *sql;
	int			c,
				rc;

	while ((c = getopt_long(argc, argv, CONN_SHORT_OPTIONS, opts, NULL)) != -1)
	{
		switch (c)
		{
			case OPT_LIMIT:
				{
					char	   *end;
					long long	n = strtoll(optarg, &end, 10);

					if (end == optarg || *end != '\0' || n < 0)
					{
						fprintf(stderr, "%s: --limit must be a number of 0 or more\n", progname);
						return EXIT_USAGE;
					}
					vals[2] = optarg;
					break;
				}
			case OPT_META:
				if (!meta_option(&meta, optarg, "--meta"))
					return EXIT_USAGE;
				break;
			case OPT_SINCE:
				vals[1] = optarg;
				break;
			case OPT_FORMAT:
				if (!parse_format(optarg, &fmt))
					return EXIT_USAGE;
				break;
			default:
				if ((rc = common_option(c, argv, usage_ls)) >= 0)
					return rc;
		}
	}
	if (optind != argc)
	{
		fprintf(stderr, "%s: ls takes no arguments\n", progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	vals[0] = meta;
	conn = connect_db();
	sql = format_query("SELECT oid AS id, state, size, policy, created FROM wos_objects"
					   " WHERE ($1::jsonb IS NULL OR meta @> $1::jsonb)"
					   "   AND ($2::timestamptz IS NULL OR created >= $2::timestamptz)"
					   " ORDER BY created DESC, oid DESC LIMIT $3::bigint", fmt);
	{
		PGresult   *res = PQexecParams(conn, sql, 3, NULL, vals, NULL, NULL, 0);

		check(res, PGRES_TUPLES_OK, "ls");
		print_result(res, fmt, stdout);
		PQclear(res);
	}
	free(sql);
	free(meta);
	PQfinish(conn);
	return EXIT_OK;
}

/* ---- verify ---- */

void
usage_verify(FILE *f)
{
	fprintf(f,
			"Usage: %s verify [ID] [OPTION]...\n"
			"Check the copies of object ID (default: every object) against their\n"
			"checksums and repair bad ones (wos_verify).  With an ID, a row per copy;\n"
			"without, a row per bad copy.  Exit code 7 if a copy could not be repaired.\n\n"
			"Options:\n"
			"  --no-repair           report only\n"
			"  --format=table|json   output format (default: table, as psql)\n",
			progname);
	usage_connection(f);
}

int
cmd_verify(int argc, char **argv)
{
	enum
	{
		OPT_NO_REPAIR = 1001, OPT_FORMAT
	};
	static struct option opts[] = {
		CONN_LONG_OPTIONS,
		{"no-repair", no_argument, NULL, OPT_NO_REPAIR},
		{"format", required_argument, NULL, OPT_FORMAT},
		{NULL, 0, NULL, 0}
	};
	const char *vals[2] = {NULL, "true"};
	OutputFormat fmt = FORMAT_TABLE;
	PGresult   *res;
	char	   *sql;
	int			c,
				rc,
				col,
				bad = 0;

	while ((c = getopt_long(argc, argv, CONN_SHORT_OPTIONS, opts, NULL)) != -1)
	{
		switch (c)
		{
			case OPT_NO_REPAIR:
				vals[1] = "false";
				break;
			case OPT_FORMAT:
				if (!parse_format(optarg, &fmt))
					return EXIT_USAGE;
				break;
			default:
				if ((rc = common_option(c, argv, usage_verify)) >= 0)
					return rc;
		}
	}
	if (optind < argc - 1)
	{
		fprintf(stderr, "%s: verify takes at most one object ID\n", progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	if (optind == argc - 1)
	{
		vals[0] = argv[optind];
		id_command = true;
	}
	conn = connect_db();
	sql = format_query("SELECT oid AS id, site, status, action"
					   "  FROM wos_verify($1::wosoid, $2::boolean)", fmt);
	res = PQexecParams(conn, sql, 2, NULL, vals, NULL, NULL, 0);
	check(res, PGRES_TUPLES_OK, "verify");
	print_result(res, fmt, stdout);
	col = PQfnumber(res, "action");
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *action = PQgetvalue(res, i, col);

		if (strcmp(action, "unrecoverable") == 0 || strcmp(action, "repair failed") == 0)
			bad++;
	}
	PQclear(res);
	free(sql);
	PQfinish(conn);
	if (bad > 0)
	{
		fprintf(stderr, "%s: verify: %d cop%s could not be repaired\n", progname, bad,
				bad == 1 ? "y" : "ies");
		return EXIT_PARTIAL;
	}
	return EXIT_OK;
}
