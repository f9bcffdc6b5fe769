/*
 * ingest.c
 *		eoswath ingest: store granules and catalogue them in swaths, N at a
 *		time on N connections, resumably.
 *
 * Each file is one transaction: an advisory lock on its catalogue name
 * (two ingests of the same name wait for each other), a look-up of the
 * name in swaths, then either nothing (catalogued already with the same
 * SHA-256: skipped; with another: reported, never duplicated) or a
 * streamed put (put_stream(), as "eoswath put") and swath_register().  A
 * failure rolls the file's transaction back, so nothing half-ingested is
 * left, and the run goes on with the next file.
 *
 * The local SHA-256 is computed only for names found in the catalogue.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"

#define MAX_JOBS		64

typedef struct IngestFile
{
	char	   *path;			/* to open */
	char	   *name;			/* swaths.filename: relative to DIR, or basename */
	int64_t		size;
} IngestFile;

typedef struct Ingest
{
	IngestFile *files;
	int			nfiles;
	int			cap;
	const char *source;			/* NULL: from each file name */
	PutSpec		spec;
	Progress	prog;
	pthread_mutex_t lock;		/* next and the counts */
	int			next;
	int			stored;
	int			skipped;
	int			failed;
	int			lost;			/* workers whose connection was lost */
} Ingest;

typedef struct Worker
{
	Ingest	   *in;
	PGconn	   *conn;
	char	   *buf;
	pthread_t	thread;
} Worker;

typedef enum
{
	INGEST_STORED,
	INGEST_SKIPPED,
	INGEST_FAILED
} IngestResult;

void
usage_ingest(FILE *f)
{
	fprintf(f,
			"Usage: %s ingest DIR|FILE... [OPTION]...\n"
			"Store each file (the files of each DIR) as an object and catalogue it in\n"
			"swaths (swath_register), several at a time.  A file already catalogued under\n"
			"its name with the same SHA-256 is skipped, so a run can be repeated; one\n"
			"catalogued with another checksum is reported, not stored.  The catalogue\n"
			"name is the path below DIR, or a FILE's base name.  Exit code 7 if a file\n"
			"failed.\n\n"
			"Options:\n"
			"  --source=NAME         the swaths' source (default: a file name's first\n"
			"                        \"_\"-separated word, e.g. \"GPM\")\n"
			"  --policy=P            replication policy (default: eoswath.default_policy)\n"
			"  --meta=KEY=VALUE      a metadata entry of every object (repeatable)\n"
			"  -j, --jobs=N          files at a time, each on its own connection (default 1)\n"
			"  -r, --recursive       also the files in DIR's subdirectories\n"
			"  --block-size=N        bytes per write (default %d)\n",
			progname, DEFAULT_BLOCK);
	usage_connection(f);
}

/* ---- the list of files ---- */

static char *
join_path(const char *a, const char *b)
{
	char	   *p = malloc(strlen(a) + strlen(b) + 2);

	if (p == NULL)
		die(EXIT_LOCAL, "out of memory");
	sprintf(p, "%s/%s", a, b);
	return p;
}

static void
add_file(Ingest *in, char *path, char *name, int64_t size)
{
	if (in->nfiles == in->cap)
	{
		in->cap = in->cap ? in->cap * 2 : 64;
		in->files = realloc(in->files, in->cap * sizeof(IngestFile));
		if (in->files == NULL)
			die(EXIT_LOCAL, "out of memory");
	}
	in->files[in->nfiles].path = path;
	in->files[in->nfiles].name = name;
	in->files[in->nfiles].size = size;
	in->nfiles++;
}

/*
 * The regular files of dir in name order (hidden ones left out), named
 * prefix/name; subdirectories too if recursive (symbolic links to
 * directories are not followed).
 */
static void
scan_dir(Ingest *in, const char *dir, const char *prefix, bool recursive)
{
	struct dirent **list;
	int			n = scandir(dir, &list, NULL, alphasort);

	if (n < 0)
		die(EXIT_LOCAL, "could not read directory \"%s\": %s", dir, strerror(errno));
	for (int i = 0; i < n; i++)
	{
		const char *entry = list[i]->d_name;
		char	   *path;
		char	   *name;
		struct stat st;

		if (entry[0] == '.')
		{
			free(list[i]);
			continue;
		}
		path = join_path(dir, entry);
		name = prefix ? join_path(prefix, entry) : strdup(entry);
		if (name == NULL)
			die(EXIT_LOCAL, "out of memory");
		if (lstat(path, &st) != 0)
			die(EXIT_LOCAL, "could not stat \"%s\": %s", path, strerror(errno));
		if (S_ISDIR(st.st_mode) && recursive)
		{
			scan_dir(in, path, name, true);
			free(path);
			free(name);
		}
		else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
				 stat(path, &st) == 0 && S_ISREG(st.st_mode))
			add_file(in, path, name, st.st_size);
		else
		{
			free(path);
			free(name);
		}
		free(list[i]);
	}
	free(list);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(IngestFile *const *) a)->name, (*(IngestFile *const *) b)->name);
}

/* No two files may be catalogued under one name in a run. */
static void
check_names(Ingest *in)
{
	IngestFile **sorted = malloc((in->nfiles + 1) * sizeof(IngestFile *));

	if (sorted == NULL)
		die(EXIT_LOCAL, "out of memory");
	for (int i = 0; i < in->nfiles; i++)
		sorted[i] = &in->files[i];
	qsort(sorted, in->nfiles, sizeof(IngestFile *), by_name);
	for (int i = 1; i < in->nfiles; i++)
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
			die(EXIT_USAGE, "\"%s\" and \"%s\" would both be catalogued as \"%s\"",
				sorted[i - 1]->path, sorted[i]->path, sorted[i]->name);
	free(sorted);
}

/* ---- one file ---- */

/* The SHA-256 of fd's contents in hex (65 bytes); false with f set on error. */
static bool
sha256_fd(int fd, const char *path, char *buf, size_t buflen, Progress *prog,
		  char *hex, Failure *f)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	bool		ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	while (ok)
	{
		ssize_t		n = read(fd, buf, buflen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			fail_set(f, EXIT_LOCAL, "could not read \"%s\": %s", path, strerror(errno));
			EVP_MD_CTX_free(ctx);
			return false;
		}
		if (n == 0)
			break;
		ok = EVP_DigestUpdate(ctx, buf, n) == 1;
		progress_add(prog, n);
	}
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
	{
		fail_set(f, EXIT_LOCAL, "could not compute the SHA-256 of \"%s\" (libcrypto)", path);
		return false;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return true;
}

static bool
exec_cmd(PGconn *c, const char *sql, Failure *f)
{
	PGresult   *res = PQexec(c, sql);

	if (!result_ok(c, res, PGRES_COMMAND_OK, sql, f))
		return false;
	PQclear(res);
	return true;
}

/* Ingest one file in one transaction on w's connection. */
static IngestResult
ingest_one(Worker *w, IngestFile *file, Failure *f)
{
	Ingest	   *in = w->in;
	PGconn	   *c = w->conn;
	PGresult   *res;
	const char *vals[3];
	char		source[101];
	char		id[32];
	int			fd;

	if ((fd = open(file->path, O_RDONLY)) < 0)
	{
		fail_set(f, EXIT_LOCAL, "could not open \"%s\": %s", file->path, strerror(errno));
		return INGEST_FAILED;
	}
	if (!exec_cmd(c, "BEGIN", f))
		goto fail;
	vals[0] = file->name;
	res = PQexecParams(c, "SELECT pg_catalog.pg_advisory_xact_lock("
					   "pg_catalog.hashtextextended('eoswath ingest ' || $1, 0))",
					   1, NULL, vals, NULL, NULL, 0);
	if (!result_ok(c, res, PGRES_TUPLES_OK, "lock", f))
		goto fail;
	PQclear(res);
	res = PQexecParams(c, "SELECT s.id, s.oid, st.sha256"
					   "  FROM swaths s CROSS JOIN LATERAL wos_stat(s.oid) st"
					   " WHERE s.filename = $1 ORDER BY s.id",
					   1, NULL, vals, NULL, NULL, 0);
	if (!result_ok(c, res, PGRES_TUPLES_OK, "swaths", f))
		goto fail;
	if (PQntuples(res) > 0)
	{
		char		sum[65];
		int			match = -1;
		int			row;
		bool		ok;

		ok = sha256_fd(fd, file->path, w->buf, in->spec.block, &in->prog, sum, f);
		for (int i = 0; ok && i < PQntuples(res) && match < 0; i++)
			if (strcmp(PQgetvalue(res, i, 2), sum) == 0)
				match = i;
		row = match >= 0 ? match : 0;
		if (ok && match >= 0)
			progress_print(&in->prog, stdout, "skipped %s: already catalogued (swath %s, object %s)",
						   file->name, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1));
		else if (ok)
			fail_set(f, EXIT_SERVER,
					 "it is catalogued with a different checksum (swath %s, object %s): not stored\n"
					 "DETAIL:  The file's SHA-256 is %s, the object's is %s.",
					 PQgetvalue(res, row, 0), PQgetvalue(res, row, 1), sum, PQgetvalue(res, row, 2));
		PQclear(res);
		if (!ok || match < 0)
			goto fail;
		close(fd);
		if (!exec_cmd(c, "ROLLBACK", f))
			return INGEST_FAILED;
		return INGEST_SKIPPED;
	}
	PQclear(res);

	if (!put_stream(c, fd, file->path, &in->spec, w->buf, &in->prog, id, sizeof(id), f))
		goto fail;
	if (in->source)
		vals[2] = in->source;
	else
	{
		const char *base = strrchr(file->name, '/');

		base = base ? base + 1 : file->name;
		snprintf(source, sizeof(source), "%.*s", (int) strcspn(base, "_."), base);
		vals[2] = source;
	}
	vals[0] = id;
	vals[1] = file->name;
	res = PQexecParams(c, "SELECT id FROM swath_register($1::wosoid, $2, $3)",
					   3, NULL, vals, NULL, NULL, 0);
	if (!result_ok(c, res, PGRES_TUPLES_OK, "swath_register", f))
		goto fail;
	if (!exec_cmd(c, "COMMIT", f))
	{
		PQclear(res);
		goto fail;
	}
	progress_print(&in->prog, stdout, "stored %s: object %s, swath %s",
				   file->name, id, PQgetvalue(res, 0, 0));
	PQclear(res);
	close(fd);
	return INGEST_STORED;

fail:
	close(fd);
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
	{
		Failure		ignored;

		exec_cmd(c, "ROLLBACK", &ignored);
	}
	return INGEST_FAILED;
}

/* A worker: take the next file until there is none or the connection is lost. */
static void *
worker_main(void *arg)
{
	Worker	   *w = arg;
	Ingest	   *in = w->in;

	for (;;)
	{
		IngestFile *file;
		IngestResult r;
		Failure		f;

		pthread_mutex_lock(&in->lock);
		file = in->next < in->nfiles ? &in->files[in->next++] : NULL;
		pthread_mutex_unlock(&in->lock);
		if (file == NULL)
			break;
		r = ingest_one(w, file, &f);
		if (r == INGEST_FAILED)
			progress_print(&in->prog, stderr, "%s: could not ingest \"%s\": %s",
						   progname, file->name, f.msg);
		pthread_mutex_lock(&in->lock);
		if (r == INGEST_STORED)
			in->stored++;
		else if (r == INGEST_SKIPPED)
			in->skipped++;
		else
			in->failed++;
		pthread_mutex_unlock(&in->lock);
		progress_item_done(&in->prog);
		if (PQstatus(w->conn) == CONNECTION_BAD)
		{
			PQreset(w->conn);	/* once, with the same parameters */
			if (PQstatus(w->conn) != CONNECTION_OK || !session_setup(w->conn, &f))
			{
				pthread_mutex_lock(&in->lock);
				in->lost++;
				pthread_mutex_unlock(&in->lock);
				break;
			}
		}
	}
	return NULL;
}

int
cmd_ingest(int argc, char **argv)
{
	enum
	{
		OPT_SOURCE = 1001, OPT_POLICY, OPT_META, OPT_BLOCK
	};
	static struct option opts[] = {
		CONN_LONG_OPTIONS,
		{"source", required_argument, NULL, OPT_SOURCE},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"meta", required_argument, NULL, OPT_META},
		{"jobs", required_argument, NULL, 'j'},
		{"recursive", no_argument, NULL, 'r'},
		{"block-size", required_argument, NULL, OPT_BLOCK},
		{NULL, 0, NULL, 0}
	};
	Ingest		in = {0};
	char	   *meta = NULL;
	bool		recursive = false;
	long		jobs = 1;
	int			nworkers;
	Worker	   *workers;
	int64_t		total = 0;
	int			c,
				rc;

	in.spec.block = DEFAULT_BLOCK;
	while ((c = getopt_long(argc, argv, "j:r" CONN_SHORT_OPTIONS, opts, NULL)) != -1)
	{
		switch (c)
		{
			case OPT_SOURCE:
				in.source = optarg;
				break;
			case OPT_POLICY:
				in.spec.policy = optarg;
				break;
			case OPT_META:
				if (!meta_option(&meta, optarg, "--meta"))
					return EXIT_USAGE;
				break;
			case 'j':
				{
					char	   *end;

					jobs = strtol(optarg, &end, 10);
					if (end == optarg || *end != '\0' || jobs < 1 || jobs > MAX_JOBS)
					{
						fprintf(stderr, "%s: --jobs must be between 1 and %d\n", progname, MAX_JOBS);
						return EXIT_USAGE;
					}
					break;
				}
			case 'r':
				recursive = true;
				break;
			case OPT_BLOCK:
				if (!parse_size_option(optarg, "--block-size", &in.spec.block))
					return EXIT_USAGE;
				break;
			default:
				if ((rc = common_option(c, argv, usage_ingest)) >= 0)
					return rc;
		}
	}
	if (optind >= argc)
	{
		fprintf(stderr, "%s: ingest wants a directory or files\n", progname);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	in.spec.meta = meta ? meta : "{}";
	for (int i = optind; i < argc; i++)
	{
		struct stat st;
		const char *base;
		char	   *path,
				   *name;

		if (stat(argv[i], &st) != 0)
			die(EXIT_LOCAL, "could not stat \"%s\": %s", argv[i], strerror(errno));
		if (S_ISDIR(st.st_mode))
		{
			scan_dir(&in, argv[i], NULL, recursive);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			die(EXIT_LOCAL, "\"%s\" is not a regular file or a directory", argv[i]);
		base = strrchr(argv[i], '/');
		path = strdup(argv[i]);
		name = strdup(base ? base + 1 : argv[i]);
		if (path == NULL || name == NULL)
			die(EXIT_LOCAL, "out of memory");
		add_file(&in, path, name, st.st_size);
	}
	check_names(&in);
	for (int i = 0; i < in.nfiles; i++)
		total += in.files[i].size;

	/* every connection before any work: a password is asked for once */
	nworkers = in.nfiles < jobs ? (in.nfiles > 0 ? in.nfiles : 1) : (int) jobs;
	if ((workers = calloc(nworkers, sizeof(Worker))) == NULL)
		die(EXIT_LOCAL, "out of memory");
	for (int i = 0; i < nworkers; i++)
	{
		workers[i].in = &in;
		workers[i].conn = connect_db();
		if (i == 0)
			conn = workers[0].conn;
		if ((workers[i].buf = malloc(in.spec.block)) == NULL)
			die(EXIT_LOCAL, "out of memory");
	}

	pthread_mutex_init(&in.lock, NULL);
	progress_init(&in.prog, total, in.nfiles);
	for (int i = 0; i < nworkers; i++)
		if ((errno = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) != 0)
			die(EXIT_LOCAL, "could not start a thread: %s", strerror(errno));
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i].thread, NULL);
	if (in.nfiles > 0)
		progress_finish(&in.prog);

	if (in.next < in.nfiles)
	{
		fprintf(stderr, "%s: %d file%s not attempted: the connection to the server was lost\n",
				progname, in.nfiles - in.next, in.nfiles - in.next == 1 ? "" : "s");
		in.failed += in.nfiles - in.next;
	}
	printf("ingest: %d stored, %d skipped, %d failed\n", in.stored, in.skipped, in.failed);
	fflush(stdout);
	for (int i = 0; i < nworkers; i++)
	{
		PQfinish(workers[i].conn);
		free(workers[i].buf);
	}
	conn = NULL;
	if (in.lost > 0)
		return EXIT_CONNECT;
	return in.failed > 0 ? EXIT_PARTIAL : EXIT_OK;
}
