/*
 * s3_reader.c
 *		Reading copies on S3 sites: open_read (a HEAD), ranged GETs with
 *		retries, a read-ahead window for sequential reads, and the streaming
 *		GET that feeds a sequential reader through a multi handle.
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/memutils.h"

#include "s3.h"

/* One copy being read. */
typedef struct S3Reader
{
	StoreSite  *site;
	char	   *key;
	int64		size;
	char	   *ahead;			/* read-ahead window for sequential reads */
	int64		ahead_off;
	size_t		ahead_len;
	size_t		ahead_cap;
	size_t		window;			/* size of the next read-ahead */
	int64		next_off;		/* where the last read ended */
	bool		streaming;		/* a streaming GET feeds sequential reads */
	int64		stream_pos;		/* offset of the next byte it delivers */
	char	   *left;			/* its bytes beyond a caller's buffer */
	bool		cleanup_registered;
} S3Reader;

#define S3_STREAM_BUFSIZE	(512 * 1024)	/* curl's receive buffer */

/*
 * The streaming GET of a sequential reader: one open-ended Range request
 * on its own handle, driven through a multi handle and paused whenever the
 * caller's buffer is full, so that the server keeps sending while the
 * caller hashes what it got.  One stream at a time per process.
 */
typedef struct S3Stream
{
	S3Reader   *reader;			/* owner; NULL: no stream */
	S3Call		call;			/* setup, progress and error state */
	struct curl_slist *headers;
	char	   *dst;			/* the caller's buffer during a read */
	size_t		dst_len;
	size_t		dst_cap;
	size_t		left_off;		/* reader->left[left_off, +left_len) */
	size_t		left_len;
	bool		full;			/* dst is full: pause */
	bool		paused;			/* the callback paused the transfer */
	bool		bad;			/* not a 206, or too much at once */
	bool		done;			/* the transfer has ended */
	CURLcode	result;
} S3Stream;

static CURL *s3_stream_curl = NULL;
static CURLM *s3_multi = NULL;
static S3Stream s3_stream;

/* HEAD the copy: NULL if it is not there (or the site cannot be reached). */
void *
s3_open_read(StoreSite *site, WosOid oid, int64 *size)
{
	S3Reader   *r;
	S3Call		c = {0};
	char	   *key = s3_key(site, oid);

	c.method = "HEAD";
	c.key = key;
	if (!s3_perform(site, &c))
	{
		if (c.status != 404)
			s3_report(LOG, site, &c,
					  psprintf("could not look up object %s on site \"%s\"",
							   wosoid_to_cstring(oid), site->name));
		return NULL;
	}
	r = palloc0(sizeof(S3Reader));
	r->site = site;
	r->key = key;
	r->size = c.length;
	*size = c.length;
	return r;
}

/* GET [offset, offset + len) into buf; returns the bytes received. */
static size_t
s3_get_range(S3Reader *r, char *buf, size_t len, int64 offset)
{
	S3Call		c = {0};

	c.method = "GET";
	c.key = r->key;
	c.range_start = offset;
	c.range_len = len;
	c.dest = buf;
	c.dest_cap = len;
	if (!s3_perform(r->site, &c))
		s3_report(ERROR, r->site, &c,
				  psprintf("could not read \"%s\" from site \"%s\"", r->key, r->site->name));
	return c.dest_len;
}

/* ---------------------------------------------------------------- streams */

/* libcurl: data of the stream into the caller's buffer; never raises. */
static size_t
stream_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	S3Stream   *st = arg;
	size_t		n = size * nmemb;
	size_t		fit;
	long		status = 0;
	CURLcode	rc = curl_easy_getinfo(s3_stream_curl, CURLINFO_RESPONSE_CODE, &status);

	if (rc != CURLE_OK)
	{
		st->call.cb_rc = rc;
		st->bad = true;
		return 0;
	}
	if (status != 206 || st->reader == NULL)
	{
		st->bad = true;
		return 0;
	}
	if (st->reader->size - (st->reader->stream_pos + (int64) st->dst_len) <= S3_ACK_TAIL)
		s3_ack_now();			/* the object's end is near */
	if (st->full || st->dst == NULL)
	{
		st->paused = true;
		return CURL_WRITEFUNC_PAUSE;	/* delivered again after unpausing */
	}
	fit = Min(n, st->dst_cap - st->dst_len);
	memcpy(st->dst + st->dst_len, ptr, fit);
	st->dst_len += fit;
	if (fit < n)
	{
		if (n - fit > S3_STREAM_BUFSIZE)
		{
			st->bad = true;
			return 0;
		}
		memcpy(st->reader->left, ptr + fit, n - fit);
		st->left_off = 0;
		st->left_len = n - fit;
	}
	if (st->dst_len == st->dst_cap)
		st->full = true;
	return n;
}

/* A libcurl call of the stream of r failed: report it at elevel. */
static void
stream_report(int elevel, S3Reader *r, const char *call, const char *why)
{
	ereport(elevel,
			(errcode(ERRCODE_SYSTEM_ERROR),
			 errmsg("could not read \"%s\" from site \"%s\"", r->key, r->site->name),
			 errdetail("libcurl: %s failed: %s.", call, why)));
}

/*
 * Let go of the stream's handles; the next stream makes new ones.  The
 * multi handle goes first: it lets go of the easy handle still in it.
 */
static CURLMcode
stream_drop_handles(void)
{
	CURLMcode	mc = CURLM_OK;

	if (s3_multi)
		mc = curl_multi_cleanup(s3_multi);
	if (s3_stream_curl)
		curl_easy_cleanup(s3_stream_curl);
	s3_multi = NULL;
	s3_stream_curl = NULL;
	return mc;
}

/*
 * End the stream, if any; the connection is dropped.  A libcurl failure is
 * reported at elevel once the stream is gone (its handles with it): ERROR
 * in a read, WARNING where no error may be raised.
 */
static void
stream_stop(int elevel)
{
	S3Reader   *r = s3_stream.reader;
	CURLMcode	mc;

	if (r == NULL)
		return;
	mc = curl_multi_remove_handle(s3_multi, s3_stream_curl);
	if (mc == CURLM_OK)
		curl_easy_reset(s3_stream_curl);	/* no pointer into our memory stays */
	else
		(void) stream_drop_handles();	/* the first failure is reported */
	curl_slist_free_all(s3_stream.headers);
	s3_stream.headers = NULL;
	r->streaming = false;
	s3_stream.reader = NULL;
	s3_stream.dst = NULL;
	if (mc != CURLM_OK)
		stream_report(elevel, r, "curl_multi_remove_handle", curl_multi_strerror(mc));
}

/* A read cannot go on with the stream: stop it and raise libcurl's failure. */
static void
stream_failed(S3Reader *r, const char *call, const char *why)
{
	stream_stop(ERROR);
	stream_report(ERROR, r, call, why);
}

/* The reader's memory goes (an error, or the end of the query): stop its stream. */
static void
stream_reader_gone(void *arg)
{
	if (s3_stream.reader == (S3Reader *) arg)
		stream_stop(WARNING);
}

/* At exit: the stream's handles. */
static void
stream_cleanup(int code, Datum arg)
{
	CURLMcode	mc;

	s3_stream.reader = NULL;
	mc = stream_drop_handles();
	if (mc != CURLM_OK)
		ereport(LOG,
				(errmsg("could not release the handles of S3 streams"),
				 errdetail("libcurl: curl_multi_cleanup failed: %s.", curl_multi_strerror(mc))));
}

/* stream_start() cannot go on: free what it made, then raise. */
static void
stream_start_failed(S3Reader *r, const char *call, const char *why)
{
	curl_easy_reset(s3_stream_curl);
	curl_slist_free_all(s3_stream.headers);
	s3_stream.headers = NULL;
	stream_report(ERROR, r, call, why);
}

/* An option of the stream's handle in stream_start(), checked. */
#define STREAM_OPT(opt, val) \
	do { \
		CURLcode	rc_ = curl_easy_setopt(s3_stream_curl, opt, val); \
		\
		if (rc_ != CURLE_OK) \
			stream_start_failed(r, "curl_easy_setopt(" #opt ")", curl_easy_strerror(rc_)); \
	} while (0)

/*
 * Start streaming r from offset on; false if no stream can be had now (the
 * caller's ranged GET then reports what stands in the way).
 */
static bool
stream_start(S3Reader *r, int64 offset)
{
	S3Stream   *st = &s3_stream;
	S3SiteSlot *slot = s3_slot(r->site);
	S3Site	   *cfg = s3_cfg(r->site);
	char		range[64];
	CURLMcode	mc;
	static bool exit_registered = false;

	if (st->reader != NULL)
		return false;			/* another reader streams */
	if (s3_handle() == NULL)
		return false;
	if (!exit_registered)
	{
		on_proc_exit(stream_cleanup, (Datum) 0);
		exit_registered = true;
	}
	if (s3_stream_curl == NULL && (s3_stream_curl = curl_easy_init()) == NULL)
		return false;
	if (s3_multi == NULL && (s3_multi = curl_multi_init()) == NULL)
		return false;
	/* in the reader's context, whatever context the read runs in */
	if (r->left == NULL)
		r->left = MemoryContextAlloc(GetMemoryChunkContext(r), S3_STREAM_BUFSIZE);
	if (!r->cleanup_registered)
	{
		MemoryContext rcxt = GetMemoryChunkContext(r);
		MemoryContextCallback *cb = MemoryContextAlloc(rcxt, sizeof(MemoryContextCallback));

		cb->func = stream_reader_gone;
		cb->arg = r;
		MemoryContextRegisterResetCallback(rcxt, cb);
		r->cleanup_registered = true;
	}

	memset(st, 0, sizeof(S3Stream));
	st->call.method = "GET";
	st->call.key = r->key;
	curl_easy_reset(s3_stream_curl);
	if (!s3_setup(s3_stream_curl, r->site, &st->call,
				  slot ? slot->endpoint % cfg->nendpoints : 0, &st->headers))
	{
		curl_slist_free_all(st->headers);
		st->headers = NULL;
		return false;
	}
	snprintf(range, sizeof(range), INT64_FORMAT "-", offset);
	STREAM_OPT(CURLOPT_RANGE, range);
	if (eoswath_s3_max_rate == 0)	/* curl's rate limit needs small buffers */
		STREAM_OPT(CURLOPT_BUFFERSIZE, (long) S3_STREAM_BUFSIZE);
	/* a paused stream moves no data: the caller's pace is not a stall */
	STREAM_OPT(CURLOPT_LOW_SPEED_TIME, 0L);
	STREAM_OPT(CURLOPT_WRITEFUNCTION, stream_write_cb);
	STREAM_OPT(CURLOPT_WRITEDATA, st);
	if ((mc = curl_multi_add_handle(s3_multi, s3_stream_curl)) != CURLM_OK)
		stream_start_failed(r, "curl_multi_add_handle", curl_multi_strerror(mc));
	st->reader = r;
	r->streaming = true;
	r->stream_pos = offset;
	return true;
}

/*
 * Fill buf from the stream; returns the bytes delivered, fewer than len if
 * the stream ended or failed (the caller gets the rest another way).  A
 * pending cancel stops the stream and raises its error.
 */
static size_t
stream_read(char *buf, size_t len)
{
	S3Stream   *st = &s3_stream;
	size_t		n;

	st->dst = buf;
	st->dst_cap = len;
	st->dst_len = 0;
	if (st->left_len > 0)
	{
		n = Min(st->left_len, len);
		memcpy(buf, st->reader->left + st->left_off, n);
		st->left_off += n;
		st->left_len -= n;
		st->dst_len = n;
	}
	if (st->dst_len < len && !st->done && !st->bad)
	{
		CURLcode	rc;

		st->full = false;

		/*
		 * Only a paused transfer is unpaused (libcurl refuses a transfer
		 * that has no connection yet).  Unpausing hands over what curl
		 * kept: the callback may refuse it (bad).
		 */
		if (st->paused)
		{
			st->paused = false;
			rc = curl_easy_pause(s3_stream_curl, CURLPAUSE_CONT);
			if (rc != CURLE_OK && !st->bad)
				stream_failed(st->reader, "curl_easy_pause", curl_easy_strerror(rc));
		}
	}
	while (st->dst_len < len && !st->done && !st->bad)
	{
		int			running = 0;
		int			msgs;
		CURLMsg    *msg;
		CURLMcode	mc;

		if ((mc = curl_multi_perform(s3_multi, &running)) != CURLM_OK)
			stream_failed(st->reader, "curl_multi_perform", curl_multi_strerror(mc));
		while ((msg = curl_multi_info_read(s3_multi, &msgs)) != NULL)
			if (msg->msg == CURLMSG_DONE)
			{
				st->done = true;
				st->result = msg->data.result;
			}
		if (st->dst_len >= len || st->done || st->bad)
			break;
		if (InterruptPending && (QueryCancelPending || ProcDiePending) &&
			INTERRUPTS_CAN_BE_PROCESSED())
		{
			stream_stop(ERROR);
			CHECK_FOR_INTERRUPTS();
			return 0;			/* nothing raised: go on without the stream */
		}
		if ((mc = curl_multi_poll(s3_multi, NULL, 0, 1000, NULL)) != CURLM_OK)
			stream_failed(st->reader, "curl_multi_poll", curl_multi_strerror(mc));
	}
	if (st->call.cb_rc != CURLE_OK)
		stream_failed(st->reader, "curl_easy_getinfo", curl_easy_strerror(st->call.cb_rc));
	n = st->dst_len;
	st->dst = NULL;
	if (n < len && (st->bad || (st->done && st->result != CURLE_OK)))
		ereport(DEBUG1,
				(errmsg("eoswath site \"%s\": stream of \"%s\" ended: %s",
						st->reader->site->name, st->reader->key,
						st->bad ? "unexpected answer" : curl_easy_strerror(st->result))));
	return n;
}

/*
 * Read a range.  A read that continues where the last one ended is served
 * from a read-ahead window that doubles with every refill up to
 * eoswath.s3_read_ahead, so a sequential reader makes few large requests
 * (each costs the server's first-byte latency); other reads fetch exactly
 * what they ask for.
 */
size_t
s3_read(void *handle, char *buf, size_t len, int64 offset)
{
	S3Reader   *r = handle;
	size_t		n;

	if (offset >= r->size || len == 0)
		return 0;
	len = Min((int64) len, r->size - offset);

	/* sequential: from the stream, started at the second read in a row */
	if (r->streaming && offset != r->stream_pos)
		stream_stop(ERROR);
	if (!r->streaming && offset > 0 && offset == r->next_off &&
		!(r->ahead_len > 0 && offset >= r->ahead_off &&
		  offset + (int64) len <= r->ahead_off + (int64) r->ahead_len))
		(void) stream_start(r, offset);
	if (r->streaming)
	{
		n = stream_read(buf, len);
		if (r->streaming)
			r->stream_pos += n;
		if (n < len)
		{
			/* the stream ended or failed: the rest with retries */
			stream_stop(ERROR);
			n += s3_get_range(r, buf + n, len - n, offset + n);
		}
		r->next_off = offset + n;
		return n;
	}

	if (r->ahead_len > 0 && offset >= r->ahead_off &&
		offset + (int64) len <= r->ahead_off + (int64) r->ahead_len)
	{
		memcpy(buf, r->ahead + (offset - r->ahead_off), len);
		n = len;
	}
	else if (offset > 0 && offset == r->next_off && len < (size_t) eoswath_s3_read_ahead)
	{
		size_t		want;

		r->window = r->window == 0 ? 4 * 1024 * 1024 : r->window * 2;
		r->window = Max(Min(r->window, (size_t) eoswath_s3_read_ahead), len);
		want = Min((int64) r->window, r->size - offset);

		if (r->ahead_cap < want)
		{
			if (r->ahead)
				pfree(r->ahead);
			r->ahead = eoswath_alloc_big(GetMemoryChunkContext(r), want);
			r->ahead_cap = want;
		}
		r->ahead_len = 0;
		r->ahead_off = offset;
		r->ahead_len = s3_get_range(r, r->ahead, want, offset);
		n = Min(len, r->ahead_len);
		memcpy(buf, r->ahead, n);
	}
	else
		n = s3_get_range(r, buf, len, offset);
	r->next_off = offset + n;
	return n;
}

void
s3_close_read(void *handle)
{
	S3Reader   *r = handle;

	if (s3_stream.reader == r)
		stream_stop(ERROR);
	if (r->ahead)
		pfree(r->ahead);
	r->ahead = NULL;
}
