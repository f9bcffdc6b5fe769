/*
 * objbench.c: time one object operation in one process, the way a real
 * client does it (libpq, binary parameters and results), or the plain-file
 * peer of it, so that no process start-up is inside a timed figure.
 *
 *   objbench CONNINFO MODE ARG [ARG2] REPS
 *
 * Client path (the bytes travel through libpq):
 *   put-wos FILE      wos_put($1), FILE's bytes as a bytea parameter
 *   put-lo FILE       lo_from_bytea(0, $1)
 *   put-wire FILE     length($1): the same bytes sent and dropped
 *   get-wos ID        wos_get(ID) into client memory
 *   get-lo OID        lo_get(OID)
 *   get-wire PATH     pg_read_binary_file(PATH): a plain file sent back
 * Server path (the server reads or writes a file):
 *   put-file-wos PATH wos_put_file(PATH)
 *   put-file-lo PATH  lo_import(PATH) (durable at commit through the WAL)
 *   get-file-wos ID PATH   wos_get_file(ID, PATH) (fsynced)
 *   get-file-lo OID PATH   lo_export(OID, PATH), then fsync of PATH and
 *                          its directory here, as wos_get_file does
 *                          (durable_rename)
 * Large objects from a client file, the strongest way libpq offers (psql's
 * \lo_import / \lo_export move 8 KiB per round trip):
 *   lo-client-put FILE     lo_creat, lo_write in 1 MiB blocks, one transaction
 *   lo-client-get OID PATH lo_read in 1 MiB blocks to PATH, fsync
 * The wire alone, moved as the command-line client moves a stream (chunks
 * of CHUNK bytes, binary), with no store, no hashing and no client file:
 *   stream-put-wire FILE CHUNK  FILE's chunks as pipelined prepared
 *                     length($1) calls, 8 in flight (eoswath put's window)
 *   stream-get-wire PATH CHUNK  pg_read_binary_file(PATH, offset, CHUNK) per
 *                     row in single-row mode (as eoswath get), rows dropped
 * Plain files (no database):
 *   cp-fsync SRC DST  read SRC, write DST in 1 MiB blocks, starting the
 *                     writeback of every 8 MiB written (sync_file_range,
 *                     as a put's directory copy does: without it the loop
 *                     leaves all to the fsync and is no ceiling), fsync
 *                     DST and its directory (as a put makes its copy durable)
 *   cp-direct SRC DST the same with O_DIRECT writes of 4 MiB from an
 *                     aligned buffer (the last short block through the page
 *                     cache), which skips the page cache's cost of fresh
 *                     pages; the disk's limit is the faster of the two
 *                     loops (where the file system takes no O_DIRECT, this
 *                     is cp-fsync)
 *   read-file PATH    read PATH into memory
 *
 * With OBJBENCH_SETTLE=N in the environment, each run waits N seconds
 * before its clock starts (after the previous run's output is removed): on
 * a VM that hands freed memory back to its host (free page reporting), a
 * file written into pages freed a moment ago runs 2-3 times faster than
 * one written into pages freed seconds ago, so peers that remove their
 * output just before writing again would be flattered.
 *
 * The SQL modes (put-*, get-*, put-file-*, get-file-*) run once more
 * before the timed runs, untimed: the first call of a session loads
 * eoswath's library and warms the catalog caches (30-40 ms, where
 * lo_export() is built in), which a client of a connection pool pays once,
 * not per object.  (The second call still pays about 10 ms for the heap
 * growing to hold the 4 MiB I/O block; with three or more runs the median
 * is past it.)
 *
 * put-* print the new id on stderr (of the last repetition); every mode
 * prints the median seconds of REPS runs on stdout.  With OBJBENCH_CPU set
 * in the environment, a second figure follows on the same line: the
 * median CPU seconds (user + system) the server backend spent on the
 * statement, from /proc (server on this machine, same kernel).  Files written (PATH,
 * DST) are removed after each run, outside the timing.
 */
#define _GNU_SOURCE				/* sync_file_range, O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>
#include <libpq/libpq-fs.h>

#define BLOCK (1024 * 1024)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* CPU seconds (user + system) process pid has used, from /proc/PID/stat */
static double
proc_cpu(int pid)
{
	char		path[64];
	char		line[1024];
	char	   *p;
	unsigned long utime,
				stime;
	FILE	   *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof(line), f) == NULL)
		die(path);
	fclose(f);
	/* fields after the command name, which ends with the last ')' */
	if ((p = strrchr(line, ')')) == NULL ||
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			   &utime, &stime) != 2)
		die(path);
	return (double) (utime + stime) / sysconf(_SC_CLK_TCK);
}

/* fsync the directory holding path, as a durable rename or create does */
static void
fsync_dir(const char *path)
{
	char		dir[4096];
	char	   *slash;
	int			fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY);
	if (fd < 0 || fsync(fd) != 0)
		die(dir);
	close(fd);
}

static void
exec_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
		exit(3);
	}
	PQclear(res);
}

/* a large object from a client file; returns its oid */
static Oid
lo_client_put(PGconn *conn, const char *path, char *buf)
{
	int			in = open(path, O_RDONLY);
	Oid			lo;
	int			fd;
	ssize_t		n;

	if (in < 0)
		die(path);
	exec_ok(conn, "BEGIN");
	lo = lo_creat(conn, INV_READ | INV_WRITE);
	fd = lo_open(conn, lo, INV_WRITE);
	if (lo == InvalidOid || fd < 0)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		exit(3);
	}
	while ((n = read(in, buf, BLOCK)) > 0)
		if (lo_write(conn, fd, buf, n) != n)
		{
			fprintf(stderr, "%s", PQerrorMessage(conn));
			exit(3);
		}
	lo_close(conn, fd);
	exec_ok(conn, "COMMIT");
	close(in);
	return lo;
}

/* a large object to a durable client file */
static void
lo_client_get(PGconn *conn, Oid lo, const char *path, char *buf)
{
	int			out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int			fd;
	int			n;

	if (out < 0)
		die(path);
	exec_ok(conn, "BEGIN");
	fd = lo_open(conn, lo, INV_READ);
	if (fd < 0)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		exit(3);
	}
	while ((n = lo_read(conn, fd, buf, BLOCK)) > 0)
		if (write(out, buf, n) != n)
			die("write");
	if (n < 0)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		exit(3);
	}
	lo_close(conn, fd);
	exec_ok(conn, "COMMIT");
	if (fsync(out) != 0 || close(out) != 0)
		die(path);
}

/* one pipelined length($1)'s result, then the NULL that ends its results */
static void
wire_result(PGconn *conn)
{
	PGresult   *res = PQgetResult(conn);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		exit(3);
	}
	PQclear(res);
	PQclear(PQgetResult(conn));
}

/* FILE's chunks sent as eoswath put sends them, each dropped by the server */
static void
stream_put_wire(PGconn *conn, const char *path, int chunk)
{
	int			in = open(path, O_RDONLY);
	char	   *buf = malloc(chunk);
	const Oid	types[1] = {17};	/* bytea */
	int			inflight = 0;
	ssize_t		n;
	PGresult   *res;

	if (in < 0 || buf == NULL)
		die(path);
	res = PQprepare(conn, "wire", "SELECT length($1)", 1, types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		exit(3);
	}
	PQclear(res);
	if (!PQenterPipelineMode(conn))
		die("pipeline");
	for (;;)
	{
		ssize_t		got = 0;
		const char *pv[1] = {buf};
		int			pl[1];
		const int	pf[1] = {1};

		while (got < chunk && (n = read(in, buf + got, chunk - got)) > 0)
			got += n;
		if (got == 0)
			break;
		for (; inflight >= 8; inflight--)
			wire_result(conn);
		pl[0] = (int) got;
		if (!PQsendQueryPrepared(conn, "wire", 1, pv, pl, pf, 1) ||
			!PQsendFlushRequest(conn) || PQflush(conn) != 0)
			die("send");
		inflight++;
	}
	if (!PQpipelineSync(conn))
		die("sync");
	for (; inflight > 0; inflight--)
		wire_result(conn);
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		die("sync");
	PQclear(res);
	PQexitPipelineMode(conn);
	exec_ok(conn, "DEALLOCATE wire");
	free(buf);
	close(in);
}

/* a server file sent back in rows of chunk bytes, as eoswath get reads a stream */
static void
stream_get_wire(PGconn *conn, const char *path, const char *chunk)
{
	const char *vals[2] = {path, chunk};
	PGresult   *res;
	long		rows = 0;

	if (!PQsendQueryParams(conn,
						   "SELECT pg_read_binary_file($1::text, o, $2::bigint)"
						   " FROM generate_series(0::bigint, (pg_stat_file($1::text)).size - 1, $2::bigint) o",
						   2, NULL, vals, NULL, NULL, 1) ||
		!PQsetSingleRowMode(conn))
		die("send");
	while ((res = PQgetResult(conn)) != NULL)
	{
		if (PQresultStatus(res) == PGRES_SINGLE_TUPLE)
			rows++;
		else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "%s", PQerrorMessage(conn));
			exit(3);
		}
		PQclear(res);
	}
	if (rows == 0)
	{
		fprintf(stderr, "no rows from %s\n", path);
		exit(3);
	}
}

/* read/write loop with fsync, the work of "cp SRC DST && sync DST" */
static void
cp_fsync(const char *src, const char *dst, char *buf)
{
	int			in = open(src, O_RDONLY);
	int			out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t		n;
	off_t		written = 0,
				flushed = 0;

	if (in < 0 || out < 0)
		die("open");
	while ((n = read(in, buf, BLOCK)) > 0)
	{
		if (write(out, buf, n) != n)
			die("write");
		written += n;
		if (written - flushed >= 8 * 1024 * 1024)
		{
			(void) sync_file_range(out, flushed, written - flushed, SYNC_FILE_RANGE_WRITE);
			flushed = written;
		}
	}
	if (n < 0 || fsync(out) != 0 || close(out) != 0)
		die(dst);
	close(in);
	fsync_dir(dst);
}

/* cp_fsync() with O_DIRECT writes of DIRECT_BLOCK bytes */
#define DIRECT_BLOCK (4 * 1024 * 1024)
static void
cp_direct(const char *src, const char *dst, char *fsync_buf)
{
	static char *buf = NULL;
	int			in;
	int			out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	ssize_t		n = 0;
	size_t		len = 0;

	if (out < 0 && errno == EINVAL)
	{
		cp_fsync(src, dst, fsync_buf);
		return;
	}
	in = open(src, O_RDONLY);
	if (buf == NULL && posix_memalign((void **) &buf, 4096, DIRECT_BLOCK) != 0)
		die("posix_memalign");
	if (in < 0 || out < 0)
		die("open");
	for (;;)
	{
		while (len < DIRECT_BLOCK && (n = read(in, buf + len, DIRECT_BLOCK - len)) > 0)
			len += n;
		if (n < 0)
			die(src);
		if (len < DIRECT_BLOCK)
			break;
		if (write(out, buf, len) != (ssize_t) len)
			die("write");
		len = 0;
	}
	if (len > 0 && (fcntl(out, F_SETFL, fcntl(out, F_GETFL) & ~O_DIRECT) != 0 ||
					write(out, buf, len) != (ssize_t) len))
		die("write");
	if (fsync(out) != 0 || close(out) != 0)
		die(dst);
	close(in);
	fsync_dir(dst);
}

static long
read_file(const char *path, char **data)
{
	int			fd = open(path, O_RDONLY);
	off_t		len;
	long		done = 0;
	ssize_t		n;

	if (fd < 0)
		die(path);
	len = lseek(fd, 0, SEEK_END);
	*data = malloc(len + 1);
	if (*data == NULL)
		die("malloc");
	while (done < len && (n = pread(fd, *data + done, len - done, done)) > 0)
		done += n;
	close(fd);
	return done;
}

int
main(int argc, char **argv)
{
	PGconn	   *conn = NULL;
	const char *mode;
	const char *arg2 = NULL;
	int			reps;
	char	   *data = NULL;
	long		len = 0;
	double	   *t;
	double	   *cpu;
	int			backend = 0;
	int			warm;
	char	   *buf = malloc(BLOCK);
	int			settle = getenv("OBJBENCH_SETTLE") ? atoi(getenv("OBJBENCH_SETTLE")) : 0;

	if (argc != 5 && argc != 6)
	{
		fprintf(stderr, "usage: objbench CONNINFO MODE ARG [ARG2] REPS\n");
		return 1;
	}
	mode = argv[2];
	if (argc == 6)
		arg2 = argv[4];
	reps = atoi(argv[argc - 1]);
	t = calloc(reps, sizeof(double));
	cpu = calloc(reps, sizeof(double));
	if (strncmp(mode, "cp-", 3) != 0 && strcmp(mode, "read-file") != 0)
	{
		conn = PQconnectdb(argv[1]);
		if (PQstatus(conn) != CONNECTION_OK)
		{
			fprintf(stderr, "%s", PQerrorMessage(conn));
			return 2;
		}
		if (getenv("OBJBENCH_CPU"))
			backend = PQbackendPID(conn);
	}
	if (strcmp(mode, "put-wos") == 0 || strcmp(mode, "put-lo") == 0 || strcmp(mode, "put-wire") == 0)
		len = read_file(argv[3], &data);

	warm = strncmp(mode, "put-", 4) == 0 || strncmp(mode, "get-", 4) == 0;
	for (int i = warm ? -1 : 0; i < reps; i++)
	{
		const char *sql = NULL;
		const char *values[2] = {argv[3], arg2};
		int			lengths[2] = {0, 0};
		int			formats[2] = {0, 0};
		int			nparams = arg2 ? 2 : 1;
		double		t0;
		double		c0 = 0;
		PGresult   *res;

		if (arg2 && strncmp(mode, "cp-", 3) != 0 && strncmp(mode, "stream-", 7) != 0)
			unlink(arg2);
		if (settle > 0)
			sleep(settle);
		t0 = now();
		if (strncmp(mode, "cp-", 3) == 0)
		{
			if (strcmp(mode, "cp-fsync") == 0)
				cp_fsync(argv[3], arg2, buf);
			else if (strcmp(mode, "cp-direct") == 0)
				cp_direct(argv[3], arg2, buf);
			else
				die(mode);
			t[i] = now() - t0;
			unlink(arg2);
			continue;
		}
		if (strcmp(mode, "lo-client-put") == 0)
		{
			Oid			lo = lo_client_put(conn, argv[3], buf);

			t[i] = now() - t0;
			fprintf(stderr, "%u\n", lo);
			continue;
		}
		if (strcmp(mode, "lo-client-get") == 0)
		{
			lo_client_get(conn, (Oid) strtoul(argv[3], NULL, 10), arg2, buf);
			t[i] = now() - t0;
			unlink(arg2);
			continue;
		}
		if (strcmp(mode, "stream-put-wire") == 0 || strcmp(mode, "stream-get-wire") == 0)
		{
			if (arg2 == NULL || atoi(arg2) < 1)
			{
				fprintf(stderr, "%s needs a chunk size\n", mode);
				return 1;
			}
			if (strcmp(mode, "stream-put-wire") == 0)
				stream_put_wire(conn, argv[3], atoi(arg2));
			else
				stream_get_wire(conn, argv[3], arg2);
			t[i] = now() - t0;
			continue;
		}
		if (strcmp(mode, "read-file") == 0)
		{
			char	   *d;

			read_file(argv[3], &d);
			t[i] = now() - t0;
			free(d);
			continue;
		}
		if (strcmp(mode, "put-wos") == 0)
			sql = "SELECT wos_put($1::bytea)::text";
		else if (strcmp(mode, "put-lo") == 0)
			sql = "SELECT lo_from_bytea(0, $1::bytea)::text";
		else if (strcmp(mode, "put-wire") == 0)
			sql = "SELECT length($1::bytea)::text";
		else if (strcmp(mode, "get-wire") == 0)
			sql = "SELECT pg_read_binary_file($1::text)";
		else if (strcmp(mode, "get-wos") == 0)
			sql = "SELECT wos_get($1::wosoid)";
		else if (strcmp(mode, "get-lo") == 0)
			sql = "SELECT lo_get($1::oid)";
		else if (strcmp(mode, "put-file-wos") == 0)
			sql = "SELECT wos_put_file($1::text)::text";
		else if (strcmp(mode, "put-file-lo") == 0)
			sql = "SELECT lo_import($1::text)::text";
		else if (strcmp(mode, "get-file-wos") == 0)
			sql = "SELECT wos_get_file($1::wosoid, $2::text)";
		else if (strcmp(mode, "get-file-lo") == 0)
			sql = "SELECT lo_export($1::oid, $2::text)";
		else
		{
			fprintf(stderr, "unknown mode %s\n", mode);
			return 1;
		}
		if (backend)
			c0 = proc_cpu(backend);
		if (data)
		{
			values[0] = data;
			lengths[0] = (int) len;
			formats[0] = 1;
		}
		res = PQexecParams(conn, sql, nparams, NULL, values, lengths, formats, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "%s", PQerrorMessage(conn));
			return 3;
		}
		if (strcmp(mode, "get-file-lo") == 0)
		{
			int			fd = open(arg2, O_RDONLY);

			if (fd < 0 || fsync(fd) != 0)
				die(arg2);
			close(fd);
			fsync_dir(arg2);
		}
		if (i >= 0)				/* not the warm-up call */
		{
			t[i] = now() - t0;
			if (backend)
				cpu[i] = proc_cpu(backend) - c0;
		}
		if (strncmp(mode, "put", 3) == 0)
			fprintf(stderr, "%.*s\n", PQgetlength(res, 0, 0), PQgetvalue(res, 0, 0));
		PQclear(res);
		if (arg2)
			unlink(arg2);
	}
	qsort(t, reps, sizeof(double), cmp);
	qsort(cpu, reps, sizeof(double), cmp);
	if (backend)
		printf("%.4f %.2f\n", t[reps / 2], cpu[reps / 2]);
	else
		printf("%.4f\n", t[reps / 2]);
	if (conn)
		PQfinish(conn);
	return 0;
}
