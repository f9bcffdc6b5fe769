/*
 * transfer.c
 *		The client's two ways of moving bytes, used by every command that
 *		moves data (put and ingest; get and subset):
 *
 * put_stream():	wos_put_stream(); wos_stream_write() per block, pipelined
 *		(libpq pipeline mode, binary parameters, up to WINDOW writes in
 *		flight); wos_stream_close().  Runs in the caller's transaction, and
 *		on failure leaves the connection usable for a ROLLBACK.  Memory: one
 *		block plus what libpq buffers.
 * query_to_file():	a query returning bytea rows, read in single-row mode
 *		with binary results and written by a writer thread as they come
 *		(at most QUEUE_BYTES waiting); to a file through FILE.eoswath-part,
 *		renamed at the end (out_open/out_commit), written with O_DIRECT
 *		where the file system takes it.
 */
#define _GNU_SOURCE				/* sync_file_range, O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cli.h"

#define WINDOW			8		/* writes in flight */
#define FLUSH_AFTER		(8 * 1024 * 1024)	/* see out_write() */
#define DIRECT_BLOCK	(4 * 1024 * 1024)	/* see out_write() */
#define DIRECT_ALIGN	4096

/* the partial output file, removed by die() and the signal handlers */
static char *volatile part_path = NULL;

void
cleanup_part(void)
{
	char	   *p = part_path;

	if (p)
		unlink(p);
}

static ssize_t
read_full(int fd, char *buf, size_t len, const char *path, Failure *f)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			fail_set(f, EXIT_LOCAL, "could not read \"%s\": %s", path, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static bool
write_full(int fd, const char *p, size_t n, const char *path, Failure *f)
{
	while (n > 0)
	{
		ssize_t		w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
		{
			fail_set(f, EXIT_LOCAL, "could not write \"%s\": %s", path, strerror(errno));
			return false;
		}
		p += w;
		n -= w;
	}
	return true;
}

/* ---- put ---- */

/* Read one result of a pipelined write and the NULL that ends it. */
static bool
pipeline_result(PGconn *c, Failure *f)
{
	PGresult   *res = PQgetResult(c);

	if (!result_ok(c, res, PGRES_TUPLES_OK, "wos_stream_write", f))
		return false;
	PQclear(res);
	res = PQgetResult(c);
	if (res != NULL)
	{
		PQclear(res);
		fail_set(f, EXIT_SERVER, "unexpected extra result in the pipeline");
		return false;
	}
	return true;
}

/*
 * After a failure in pipeline mode: read what is left up to the sync (the
 * server skips the queued writes after an error) and leave pipeline mode,
 * so that the caller can roll back on the same connection.
 */
static void
pipeline_abort(PGconn *c, bool sync_sent)
{
	if (PQpipelineStatus(c) == PQ_PIPELINE_OFF)
		return;
	if (!sync_sent && !PQpipelineSync(c))
		return;
	while (PQstatus(c) == CONNECTION_OK)
	{
		PGresult   *res = PQgetResult(c);
		ExecStatusType s;

		if (res == NULL)
			continue;			/* the end of one query's results */
		s = PQresultStatus(res);
		PQclear(res);
		if (s == PGRES_PIPELINE_SYNC)
			break;
	}
	PQexitPipelineMode(c);
}

/*
 * Stream fd into a new object, in the caller's transaction; its id goes to
 * id.  buf holds spec->block bytes.  On failure, f says why and the
 * transaction is to be rolled back.
 */
bool
put_stream(PGconn *c, int fd, const char *path, const PutSpec *spec,
		   char *buf, Progress *prog, char *id, size_t idlen, Failure *f)
{
	PGresult   *res;
	const char *vals[3];
	const Oid	types[2] = {INT4OID, BYTEAOID};
	char		stream[16];
	char		stmt[64];
	char		sql[80];
	uint32_t	stream_be;
	int			inflight = 0;
	bool		sync_sent = false;

	vals[0] = spec->policy;
	vals[1] = spec->meta;
	vals[2] = spec->gzip ? "true" : "false";
	res = PQexecParams(c, "SELECT wos_put_stream($1, $2::jsonb, $3::boolean)",
					   3, NULL, vals, NULL, NULL, 0);
	if (!result_ok(c, res, PGRES_TUPLES_OK, "wos_put_stream", f))
		return false;
	snprintf(stream, sizeof(stream), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	stream_be = htonl((uint32_t) atoi(stream));

	/* stream numbers are never reused in a session: so is the statement's name */
	snprintf(stmt, sizeof(stmt), "eoswath_write_%s", stream);
	res = PQprepare(c, stmt, "SELECT wos_stream_write($1, $2)", 2, types);
	if (!result_ok(c, res, PGRES_COMMAND_OK, "prepare", f))
		return false;
	PQclear(res);

	/*
	 * Pipelined writes: up to WINDOW in flight (libpq copies each into its
	 * output buffer, so one read buffer does).  A flush request after each
	 * makes the server send its result at once, so the window slides.
	 */
	if (!PQenterPipelineMode(c))
	{
		fail_set(f, EXIT_CONNECT, "could not enter pipeline mode: %s", PQerrorMessage(c));
		return false;
	}
	for (;;)
	{
		ssize_t		n = read_full(fd, buf, spec->block, path, f);
		const char *pv[2];
		int			pl[2];
		const int	pf[2] = {1, 1};

		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		if (inflight == WINDOW)
		{
			if (!pipeline_result(c, f))
				goto fail;
			inflight--;
		}
		pv[0] = (const char *) &stream_be;
		pl[0] = 4;
		pv[1] = buf;
		pl[1] = (int) n;
		if (!PQsendQueryPrepared(c, stmt, 2, pv, pl, pf, 1) ||
			!PQsendFlushRequest(c) || PQflush(c) != 0)
		{
			fail_set(f, EXIT_CONNECT, "could not send data: %s", PQerrorMessage(c));
			goto fail;
		}
		inflight++;
		if (prog)
			progress_add(prog, n);
	}
	if (!PQpipelineSync(c))
	{
		fail_set(f, EXIT_CONNECT, "could not send data: %s", PQerrorMessage(c));
		goto fail;
	}
	sync_sent = true;
	for (; inflight > 0; inflight--)
		if (!pipeline_result(c, f))
			goto fail;
	res = PQgetResult(c);
	if (!result_ok(c, res, PGRES_PIPELINE_SYNC, "pipeline sync", f))
		goto fail;
	PQclear(res);
	if (!PQexitPipelineMode(c))
	{
		fail_set(f, EXIT_CONNECT, "could not leave pipeline mode: %s", PQerrorMessage(c));
		return false;
	}

	vals[0] = stream;
	res = PQexecParams(c, "SELECT wos_stream_close($1::integer)", 1, NULL, vals, NULL, NULL, 0);
	if (!result_ok(c, res, PGRES_TUPLES_OK, "wos_stream_close", f))
		return false;
	snprintf(id, idlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", stmt);
	res = PQexec(c, sql);
	if (!result_ok(c, res, PGRES_COMMAND_OK, "deallocate", f))
		return false;
	PQclear(res);
	return true;

fail:
	pipeline_abort(c, sync_sent);
	return false;
}

/* ---- output files ---- */

/* Write the rest of o's file through the page cache. */
static void
direct_off(OutFile *o)
{
#ifdef O_DIRECT
	int			flags = fcntl(o->fd, F_GETFL);

	if (flags >= 0)
		(void) fcntl(o->fd, F_SETFL, flags & ~O_DIRECT);
#endif
	o->direct = false;
}

/*
 * Open path for writing through path.eoswath-part (NULL or "-": standard
 * output).  An existing path is an error unless force.  A path that is
 * neither a file nor a directory (/dev/null, a FIFO, a terminal) is written
 * in place, as standard output is: renaming over it would replace a device
 * or a pipe with a file.
 */
bool
out_open(OutFile *o, const char *path, bool force, Failure *f)
{
	struct stat st;
	bool		exists;
	char	   *part;

	o->fd = STDOUT_FILENO;
	o->name = "standard output";
	o->path = o->part = NULL;
	o->written = o->flushed = 0;
	o->direct = false;
	o->block = NULL;
	o->block_len = 0;
	if (path == NULL || strcmp(path, "-") == 0)
		return true;
	exists = stat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
	{
		o->fd = open(path, O_WRONLY);
		if (o->fd < 0)
		{
			fail_set(f, EXIT_LOCAL, "could not open \"%s\": %s", path, strerror(errno));
			return false;
		}
		o->name = path;
		return true;
	}
	if (!force && exists)
	{
		fail_set(f, EXIT_LOCAL, "\"%s\" exists (use --force to replace it)", path);
		return false;
	}
	if ((o->path = strdup(path)) == NULL || (part = malloc(strlen(path) + 16)) == NULL)
	{
		free(o->path);
		o->path = NULL;
		fail_set(f, EXIT_LOCAL, "out of memory");
		return false;
	}
	sprintf(part, "%s.eoswath-part", path);
#ifdef O_DIRECT
	o->fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0666);
	if (o->fd < 0 && errno == EINVAL)	/* the file system takes no O_DIRECT */
#endif
		o->fd = open(part, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (o->fd < 0)
	{
		fail_set(f, EXIT_LOCAL, "could not create \"%s\": %s", part, strerror(errno));
		free(part);
		free(o->path);
		o->path = NULL;
		return false;
	}
	o->part = part;
	o->name = o->path;
	part_path = part;			/* complete before a signal handler sees it */
#ifdef O_DIRECT
	o->direct = (fcntl(o->fd, F_GETFL) & O_DIRECT) != 0;
#endif
	if (o->direct && posix_memalign((void **) &o->block, DIRECT_ALIGN, DIRECT_BLOCK) != 0)
	{
		o->block = NULL;
		direct_off(o);
	}
	return true;
}

/* A buffered file: start the writeback of what was written (see out_write()). */
static void
start_writeback(OutFile *o)
{
#ifdef SYNC_FILE_RANGE_WRITE
	if (o->part && !o->direct && o->written - o->flushed >= FLUSH_AFTER)
	{
		/* advice only: an error here shows again at the fsync */
		(void) sync_file_range(o->fd, o->flushed, o->written - o->flushed,
							   SYNC_FILE_RANGE_WRITE);
		o->flushed = o->written;
	}
#endif
}

/*
 * Write o's block out.  A direct write the file system refuses (EINVAL: the
 * block is not aligned for its device, or a short write left the rest
 * unaligned) is written again through the page cache, as is everything
 * after it.
 */
static bool
block_flush(OutFile *o, Failure *f)
{
	const char *p = o->block;
	size_t		n = o->block_len;

	while (n > 0)
	{
		ssize_t		w = write(o->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL && o->direct)
		{
			direct_off(o);
			continue;
		}
		if (w < 0)
		{
			fail_set(f, EXIT_LOCAL, "could not write \"%s\": %s", o->name, strerror(errno));
			return false;
		}
		p += w;
		n -= w;
	}
	o->block_len = 0;
	start_writeback(o);
	return true;
}

/*
 * Write to o.  A file opened with O_DIRECT is written in blocks of
 * DIRECT_BLOCK bytes, gathered in o's aligned block: the bytes go from
 * that block to the disk, with no copy into the page cache and no page
 * cache to fill (on the benchmark VM a buffered 1 GiB write cost 3 s of
 * system time, O_DIRECT 0.2 s), and a get of a granule larger than memory
 * does not push everything else out of the page cache.  The writer thread
 * waits for each block while the caller's thread receives the next rows.
 * Measured on 2026-12-01, alternating on one cluster: a 4 GiB get took
 * 6.3-6.6 s against 13.6-18.4 s through the page cache (14-19 s of system
 * time); at 1 GiB the two were level (1.88-2.25 s against 1.95-2.64 s).
 * An earlier trial lost at 1 GiB (3.37 s against 2.42 s, medians), when
 * the client still gave its heap back after every few rows
 * (malloc_for_streams() in eoswath.c).
 * Otherwise (standard output, a pipe, a file system without O_DIRECT)
 * writes go through the page cache, and the writeback of every
 * FLUSH_AFTER bytes starts as they are written (sync_file_range, as
 * PostgreSQL's *_flush_after settings do), so that the disk writes while
 * the bytes still arrive and the fsync in out_commit() finds little left.
 */
static bool
out_write(OutFile *o, const char *p, size_t n, Failure *f)
{
	while (o->block != NULL && n > 0)
	{
		size_t		k = DIRECT_BLOCK - o->block_len;

		if (k > n)
			k = n;

		memcpy(o->block + o->block_len, p, k);
		o->block_len += k;
		o->written += k;
		p += k;
		n -= k;
		if (o->block_len == DIRECT_BLOCK && !block_flush(o, f))
			return false;
	}
	if (n == 0)
		return true;
	if (!write_full(o->fd, p, n, o->name, f))
		return false;
	o->written += n;
	start_writeback(o);
	return true;
}

/* Make the file whole: fsync, close and rename into place. */
bool
out_commit(OutFile *o, Failure *f)
{
	bool		ok = true;

	if (o->part == NULL)
	{
		/* standard output, or a device or pipe written in place */
		if (o->fd != STDOUT_FILENO && close(o->fd) != 0)
		{
			fail_set(f, EXIT_LOCAL, "could not write \"%s\": %s", o->name, strerror(errno));
			ok = false;
		}
		o->fd = STDOUT_FILENO;
		return ok;
	}
	/* the last block is short: through the page cache */
	if (o->block_len > 0)
		direct_off(o);
	if (!block_flush(o, f))
	{
		close(o->fd);
		unlink(o->part);
		ok = false;
	}
	else if (fsync(o->fd) != 0 || close(o->fd) != 0)
	{
		fail_set(f, EXIT_LOCAL, "could not write \"%s\": %s", o->path, strerror(errno));
		unlink(o->part);
		ok = false;
	}
	else if (rename(o->part, o->path) != 0)
	{
		fail_set(f, EXIT_LOCAL, "could not rename \"%s\" to \"%s\": %s",
				 o->part, o->path, strerror(errno));
		unlink(o->part);
		ok = false;
	}
	part_path = NULL;
	free(o->block);
	free(o->part);
	free(o->path);
	o->block = o->part = o->path = NULL;
	return ok;
}

/* Leave no partial file. */
void
out_abort(OutFile *o)
{
	if (o->part == NULL)
	{
		if (o->fd != STDOUT_FILENO)
			close(o->fd);
		o->fd = STDOUT_FILENO;
		return;
	}
	close(o->fd);
	unlink(o->part);
	part_path = NULL;
	free(o->block);
	free(o->part);
	free(o->path);
	o->block = o->part = o->path = NULL;
}

/* ---- get ---- */

/*
 * query_to_file() receives rows on the caller's thread and hands each one,
 * still in its PGresult, to a writer thread that writes it out and frees
 * it.  Receiving and writing overlap: a write that waits for the disk (the
 * writeback started in out_write(), the kernel's dirty-page throttling) no
 * longer stops the server, whose sends would otherwise wait as soon as the
 * socket's buffer (a few hundred KiB) is full.  At most QUEUE_BYTES of rows
 * wait for the writer (any one row is taken, whatever its size).
 */
#define QUEUE_SLOTS		256
#define QUEUE_BYTES		(16 * 1024 * 1024)

typedef struct RowQueue
{
	pthread_t	writer;
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* a row was added or taken, or done set */
	PGresult   *rows[QUEUE_SLOTS];
	int			head;			/* oldest row */
	int			count;
	size_t		bytes;			/* bytes of the rows waiting */
	bool		done;			/* no more rows will come */
	bool		failed;			/* a write failed: wf says why */
	OutFile    *o;
	Failure		wf;
} RowQueue;

/* The writer thread: write rows in order until done; after a failure, only free them. */
static void *
writer_main(void *arg)
{
	RowQueue   *q = arg;
	bool		failed = false;

	for (;;)
	{
		PGresult   *res;
		size_t		n;

		pthread_mutex_lock(&q->lock);
		while (q->count == 0 && !q->done)
			pthread_cond_wait(&q->changed, &q->lock);
		if (q->count == 0)
		{
			pthread_mutex_unlock(&q->lock);
			break;
		}
		res = q->rows[q->head];
		pthread_mutex_unlock(&q->lock);

		n = PQgetlength(res, 0, 0);
		if (!failed && !out_write(q->o, PQgetvalue(res, 0, 0), n, &q->wf))
			failed = true;
		PQclear(res);

		pthread_mutex_lock(&q->lock);
		q->head = (q->head + 1) % QUEUE_SLOTS;
		q->count--;
		q->bytes -= n;
		q->failed = failed;
		pthread_cond_signal(&q->changed);
		pthread_mutex_unlock(&q->lock);
	}
	return NULL;
}

/*
 * Give res (one non-NULL row) to the writer, waiting while the queue is
 * full.  Returns false, and frees res, if the writer has failed.
 */
static bool
queue_row(RowQueue *q, PGresult *res)
{
	size_t		n = PQgetlength(res, 0, 0);
	bool		failed;

	pthread_mutex_lock(&q->lock);
	while (!q->failed &&
		   (q->count == QUEUE_SLOTS || (q->count > 0 && q->bytes + n > QUEUE_BYTES)))
		pthread_cond_wait(&q->changed, &q->lock);
	failed = q->failed;
	if (!failed)
	{
		q->rows[(q->head + q->count) % QUEUE_SLOTS] = res;
		q->count++;
		q->bytes += n;
		pthread_cond_signal(&q->changed);
	}
	pthread_mutex_unlock(&q->lock);
	if (failed)
		PQclear(res);
	return !failed;
}

/* Start the writer thread for rows to o. */
static void
queue_start(RowQueue *q, OutFile *o)
{
	memset(q, 0, sizeof(*q));
	q->o = o;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->changed, NULL);
	if ((errno = pthread_create(&q->writer, NULL, writer_main, q)) != 0)
		die(EXIT_LOCAL, "could not start a thread: %s", strerror(errno));
}

/* No more rows: wait for the writer to write (or free) those queued. */
static bool
queue_finish(RowQueue *q, Failure *f)
{
	pthread_mutex_lock(&q->lock);
	q->done = true;
	pthread_cond_signal(&q->changed);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->writer, NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->changed);
	if (q->failed)
		*f = q->wf;
	return !q->failed;
}

/*
 * Run a query whose rows are one bytea each, in single-row mode with
 * binary results, and write the rows to o in order (on the writer thread).
 * Returns the bytes written, or -1 (f says why; the connection stays
 * usable).  *null is set when the only row was NULL.  A local write error
 * cancels the query.
 */
int64_t
query_to_file(PGconn *c, const char *what, const char *sql, int nparams,
			  const char *const *vals, OutFile *o, Progress *prog, bool *null, Failure *f)
{
	RowQueue	q;
	PGresult   *res;
	int64_t		received = 0;
	int64_t		rows = 0;
	bool		ok = true;
	bool		was_null = false;

	if (!PQsendQueryParams(c, sql, nparams, NULL, vals, NULL, NULL, 1) ||
		!PQsetSingleRowMode(c))
	{
		fail_set(f, EXIT_CONNECT, "could not send the query: %s", PQerrorMessage(c));
		return -1;
	}
	queue_start(&q, o);

	while ((res = PQgetResult(c)) != NULL)
	{
		ExecStatusType s = PQresultStatus(res);

		if (s == PGRES_SINGLE_TUPLE && ok)
		{
			rows++;
			if (PQgetisnull(res, 0, 0))
				was_null = true;
			else
			{
				int			n = PQgetlength(res, 0, 0);

				if (queue_row(&q, res))
				{
					received += n;
					if (prog)
						progress_add(prog, n);
					continue;	/* the writer frees res */
				}
				else
				{
					/* the writer failed: stop the query, read what is left */
					PGcancel   *cancel = PQgetCancel(c);
					char		errbuf[256];

					ok = false;
					if (cancel)
					{
						PQcancel(cancel, errbuf, sizeof(errbuf));
						PQfreeCancel(cancel);
					}
					continue;	/* queue_row() freed res */
				}
			}
		}
		else if (s != PGRES_SINGLE_TUPLE && s != PGRES_TUPLES_OK && ok)
		{
			ok = false;
			result_ok(c, res, PGRES_TUPLES_OK, what, f);	/* fills f, frees res */
			continue;
		}
		PQclear(res);
	}
	if (!queue_finish(&q, f))
		ok = false;				/* f: the write that failed, not the cancel */
	if (PQstatus(c) == CONNECTION_BAD && ok)
	{
		fail_set(f, EXIT_CONNECT, "%s: %s", what, PQerrorMessage(c));
		ok = false;
	}
	if (null)
		*null = was_null && rows == 1;
	return ok ? received : -1;
}
