/*
 * s3_request.c
 *		The request engine of S3 sites: one libcurl handle per backend,
 *		reused for every request so that connections to the endpoints stay
 *		open; URLs; request setup, signed with AWS SigV4 by libcurl itself
 *		(CURLOPT_AWS_SIGV4) with an unsigned payload; one attempt; retries
 *		and endpoint failover; cancel; and the report of a failed request.
 *
 * Faults: connection errors, timeouts, 5xx, 429 and SlowDown are retried
 * with exponential backoff and jitter, each attempt on the next endpoint of
 * the site, so that a site with several endpoints fails over.  A query
 * cancel or statement_timeout aborts a transfer from the progress callback;
 * after curl returns, CHECK_FOR_INTERRUPTS() raises the real error.  No
 * callback ever raises an error: it records the failure and returns curl's
 * "abort" code.  Nothing here ever prints a secret: requests carry no
 * credentials in their URLs, and messages name only endpoints and keys.
 */
#include "eoswath.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "s3.h"

#define S3_MAX_XML			(32 * 1024 * 1024)	/* a listing page is ~1 MB */
#define S3_MAX_ERROR_BODY	(64 * 1024)
#define S3_SITE_SLOTS		64

typedef enum S3Outcome
{
	S3_DONE,					/* an answer (maybe an error status) */
	S3_RETRY,					/* worth another attempt */
	S3_FATAL,					/* no point retrying */
	S3_INTERRUPTED				/* a cancel is pending */
} S3Outcome;

static CURL *s3_curl = NULL;
static S3SiteSlot s3_slots[S3_SITE_SLOTS];

/* ---------------------------------------------------------------- helpers */

/* This process's memory of a site (NULL: a site not in the catalog). */
S3SiteSlot *
s3_slot(StoreSite *site)
{
	int			i;

	if (site->id <= 0)
		return NULL;
	for (i = 0; i < S3_SITE_SLOTS; i++)
		if (s3_slots[i].site_id == site->id)
			return &s3_slots[i];
	for (i = 0; i < S3_SITE_SLOTS; i++)
		if (s3_slots[i].site_id == 0)
			break;
	if (i == S3_SITE_SLOTS)
		i = site->id % S3_SITE_SLOTS;	/* many sites: forget one */
	memset(&s3_slots[i], 0, sizeof(S3SiteSlot));
	s3_slots[i].site_id = site->id;
	return &s3_slots[i];
}

/* Percent-encode as SigV4 wants it: all but A-Z a-z 0-9 - . _ ~ */
char *
s3_uri_encode(const char *s)
{
	StringInfoData out;

	initStringInfo(&out);
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			appendStringInfoChar(&out, c);
		else
			appendStringInfo(&out, "%%%02X", c);
	}
	return out.data;
}

/* ---------------------------------------------------------------- libcurl */

static void
s3_curl_cleanup(int code, Datum arg)
{
	if (s3_curl)
		curl_easy_cleanup(s3_curl);
	s3_curl = NULL;
}

/* The process's curl handle, made once; NULL if curl cannot start. */
CURL *
s3_handle(void)
{
	if (s3_curl == NULL)
	{
		static bool global_done = false;

		if (!global_done)
		{
			if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
				return NULL;
			global_done = true;
		}
		s3_curl = curl_easy_init();
		if (s3_curl)
			on_proc_exit(s3_curl_cleanup, (Datum) 0);
	}
	return s3_curl;
}

/*
 * The sockets of this process's S3 connections, for s3_ack_now(); libcurl
 * tells which it opens and closes through the callbacks below.  A socket
 * not recorded (more than S3_MAX_SOCKETS) only misses the early ACKs.
 */
#define S3_MAX_SOCKETS		16
static curl_socket_t s3_sockets[S3_MAX_SOCKETS];
static int	s3_nsockets = 0;

/* libcurl: a new connection's socket. */
static int
s3_sockopt_cb(void *arg, curl_socket_t sock, curlsocktype purpose)
{
	if (purpose == CURLSOCKTYPE_IPCXN && s3_nsockets < S3_MAX_SOCKETS)
		s3_sockets[s3_nsockets++] = sock;
	return CURL_SOCKOPT_OK;
}

/* libcurl: close a connection's socket. */
static int
s3_close_socket_cb(void *arg, curl_socket_t sock)
{
	for (int i = 0; i < s3_nsockets; i++)
		if (s3_sockets[i] == sock)
		{
			s3_sockets[i] = s3_sockets[--s3_nsockets];
			break;
		}
	return close(sock);
}

/*
 * Acknowledge what the connections received so far, now, and leave the
 * kernel's delayed-ACK ("interactive") mode.  A request sent on a reused
 * connection right after the previous answer puts the connection in that
 * mode, in which Linux holds ACKs for up to 40 ms; a server with Nagle's
 * algorithm on (Ceph RGW) then holds the last, short segment of its answer
 * (a small object after the headers, the tail of a range) until the ACK
 * comes: 40 ms lost per request.  The callbacks call this at the end of
 * the headers and in the last S3_ACK_TAIL bytes of a body (more often
 * would only add ACKs to a bulk transfer).  Best effort: a failure only
 * costs that delay.
 */
void
s3_ack_now(void)
{
#ifdef TCP_QUICKACK
	int			one = 1;

	for (int i = 0; i < s3_nsockets; i++)
		(void) setsockopt(s3_sockets[i], IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
}

/* Keep a body: a listing, or an error.  Never raises an error. */
static bool
body_append(S3Call *c, const char *p, size_t n, size_t limit)
{
	if (c->body_len + n > limit)
		return false;
	if (c->body_len + n + 1 > c->body_cap)
	{
		size_t		cap = Max(c->body_cap * 2, c->body_len + n + 1);
		char	   *nb;

		cap = Max(cap, 8192);
		nb = realloc(c->body, cap);
		if (nb == NULL)
			return false;
		c->body = nb;
		c->body_cap = cap;
	}
	memcpy(c->body + c->body_len, p, n);
	c->body_len += n;
	c->body[c->body_len] = '\0';
	return true;
}

/* libcurl: response data.  Records trouble and returns 0 (abort). */
static size_t
s3_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	S3Call	   *c = arg;
	size_t		n = size * nmemb;
	long		status = 0;
	CURLcode	rc = curl_easy_getinfo(c->handle, CURLINFO_RESPONSE_CODE, &status);

	if (rc != CURLE_OK)
	{
		c->cb_rc = rc;
		return 0;
	}
	if (c->dest && status >= 200 && status < 300)
	{
		if (c->dest_len + n > c->dest_cap)
		{
			c->overflow = true;
			return 0;
		}
		memcpy(c->dest + c->dest_len, ptr, n);
		c->dest_len += n;
		if (c->dest_cap - c->dest_len <= S3_ACK_TAIL)
			s3_ack_now();
		return n;
	}
	s3_ack_now();				/* a listing or an error: short answers */
	if (c->want_body && status >= 200 && status < 300)
	{
		if (!body_append(c, ptr, n, S3_MAX_XML))
		{
			c->overflow = true;
			return 0;
		}
		return n;
	}
	/* an error document: keep the start, enough for its code */
	(void) body_append(c, ptr, Min(n, S3_MAX_ERROR_BODY - Min(c->body_len, S3_MAX_ERROR_BODY)),
					   S3_MAX_ERROR_BODY);
	return n;
}

/* libcurl: request body from memory. */
static size_t
s3_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	S3Call	   *c = arg;
	size_t		n = Min(size * nitems, c->upload_len - c->upload_pos);

	memcpy(buf, c->upload + c->upload_pos, n);
	c->upload_pos += n;
	return n;
}

/* libcurl: rewind the request body (a resend). */
static int
s3_seek_cb(void *arg, curl_off_t offset, int origin)
{
	S3Call	   *c = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t) offset > c->upload_len)
		return CURL_SEEKFUNC_CANTSEEK;
	c->upload_pos = (size_t) offset;
	return CURL_SEEKFUNC_OK;
}

/* libcurl: response headers; we want the ETag. */
static size_t
s3_header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	S3Call	   *c = arg;
	size_t		n = size * nitems;

	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0)
		c->etag[0] = '\0';		/* a new response (after 100 Continue) */
	else if (n <= 2 && (buf[0] == '\r' || buf[0] == '\n'))
		s3_ack_now();	/* the headers' end: the body may be short */
	else if (n > 5 && pg_strncasecmp(buf, "etag:", 5) == 0)
	{
		const char *v = buf + 5;
		size_t		len = n - 5;

		while (len > 0 && (*v == ' ' || *v == '\t'))
			v++, len--;
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
			len--;
		if (len < sizeof(c->etag))
		{
			memcpy(c->etag, v, len);
			c->etag[len] = '\0';
		}
	}
	return n;
}

/*
 * libcurl: progress.  A pending query cancel (statement_timeout included)
 * or termination aborts the transfer, if PostgreSQL would act on it now;
 * the caller raises the error after curl has returned.
 */
static int
s3_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
			   curl_off_t ultotal, curl_off_t ulnow)
{
	S3Call	   *c = arg;

	if (InterruptPending && (QueryCancelPending || ProcDiePending) &&
		INTERRUPTS_CAN_BE_PROCESSED())
	{
		c->interrupted = true;
		return 1;
	}
	return 0;
}

static bool
curl_retryable(CURLcode cc)
{
	switch (cc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_WEIRD_SERVER_REPLY:
			return true;
		default:
			return false;
	}
}

/*
 * Record why request c could not be made, or failed on this side.  The
 * kind, not the words, decides the SQLSTATE of its report.  Allocates
 * nothing: callbacks may use it.
 */
void
s3_problem(S3Call *c, S3ProblemKind kind, const char *why)
{
	c->problem_kind = kind;
	c->problem = why;
}

/* The URL of a request on one endpoint (no credentials in it, ever). */
static char *
s3_url(S3Site *cfg, int endpoint, const char *key, const char *query)
{
	const char *ep = cfg->endpoints[endpoint];
	StringInfoData url;

	initStringInfo(&url);
	if (cfg->virtual_host)
	{
		const char *host = strstr(ep, "://") + 3;

		appendBinaryStringInfo(&url, ep, host - ep);
		appendStringInfo(&url, "%s.%s/", cfg->bucket, host);
	}
	else
		appendStringInfo(&url, "%s/%s/", ep, cfg->bucket);
	if (key)
		appendStringInfoString(&url, key);
	if (query)
		appendStringInfo(&url, "?%s", query);
	return url.data;
}

/*
 * An option of s3_setup(), checked: on failure, leave through its "fail"
 * label with the option's name and libcurl's code.
 */
#define SETUP_OPT(opt, val) \
	do { \
		if ((rc = curl_easy_setopt(h, opt, val)) != CURLE_OK) \
		{ \
			failed = #opt; \
			goto fail; \
		} \
	} while (0)

/* A request header of s3_setup(); curl_slist_append fails for memory only. */
#define SETUP_HEADER(text) \
	do { \
		struct curl_slist *more_ = curl_slist_append(headers, text); \
		\
		if (more_ == NULL) \
		{ \
			rc = CURLE_OUT_OF_MEMORY; \
			failed = "a request header"; \
			goto fail; \
		} \
		headers = more_; \
	} while (0)

/*
 * Set up handle h for request c on one endpoint: everything but the
 * transfer.  False (and c->problem) if the request cannot be made, or if
 * libcurl refuses an option.  The caller frees *headers after the
 * transfer.  Raises no error.
 */
bool
s3_setup(CURL *h, StoreSite *site, S3Call *c, int endpoint, struct curl_slist **headers_out)
{
	S3Site	   *cfg = site->private;
	struct curl_slist *headers = NULL;
	const char *ak;
	const char *sk;
	char	   *url;
	char		range[64];
	bool		ok;
	CURLcode	rc = CURLE_OK;
	const char *failed = NULL;

	*headers_out = NULL;
	c->handle = h;
	c->endpoint = endpoint;
	c->status = 0;
	c->cc = CURLE_OK;
	c->errbuf[0] = '\0';
	c->etag[0] = '\0';
	c->length = -1;
	c->code[0] = '\0';
	c->upload_pos = 0;
	c->dest_len = 0;
	c->body_len = 0;
	c->overflow = false;
	c->interrupted = false;
	c->cb_rc = CURLE_OK;

	if (h == NULL)
	{
		s3_problem(c, S3_PROBLEM_LOCAL, "libcurl could not be initialised");
		return false;
	}
	if (cfg->broken)
	{
		s3_problem(c, S3_PROBLEM_OPTIONS, cfg->broken);
		return false;
	}
	(void) s3_check_endpoint(cfg->endpoints[endpoint], DEBUG1, &ok);
	if (!ok)
	{
		s3_problem(c, S3_PROBLEM_PLAIN_HTTP,
				   "the endpoint uses plain http and eoswath.s3_allow_http is off");
		return false;
	}
	ak = site->access_key;
	sk = site->secret_key;
	if (ak == NULL || sk == NULL || ak[0] == '\0' || sk[0] == '\0')
	{
		s3_problem(c, S3_PROBLEM_CREDENTIALS,
				   cfg->cred_problem ? cfg->cred_problem : "the site has no credentials");
		return false;
	}

	url = s3_url(cfg, endpoint, c->key, c->query);
	curl_easy_reset(h);
	SETUP_OPT(CURLOPT_URL, url);
	SETUP_OPT(CURLOPT_PROTOCOLS_STR, eoswath_s3_allow_http ? "http,https" : "https");
	SETUP_OPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETUP_OPT(CURLOPT_NOSIGNAL, 1L);
	SETUP_OPT(CURLOPT_ERRORBUFFER, c->errbuf);
	SETUP_OPT(CURLOPT_AWS_SIGV4, cfg->sigv4);
	SETUP_OPT(CURLOPT_USERNAME, ak);
	SETUP_OPT(CURLOPT_PASSWORD, sk);
	SETUP_OPT(CURLOPT_CONNECTTIMEOUT_MS, (long) eoswath_s3_connect_timeout);
	SETUP_OPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETUP_OPT(CURLOPT_LOW_SPEED_TIME, (long) eoswath_s3_io_timeout);
	SETUP_OPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETUP_OPT(CURLOPT_SOCKOPTFUNCTION, s3_sockopt_cb);
	SETUP_OPT(CURLOPT_CLOSESOCKETFUNCTION, s3_close_socket_cb);
	if (eoswath_s3_max_rate == 0)
	{
		SETUP_OPT(CURLOPT_BUFFERSIZE, 512L * 1024);
		SETUP_OPT(CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
	}
	if (eoswath_s3_ca_file && eoswath_s3_ca_file[0])
		SETUP_OPT(CURLOPT_CAINFO, eoswath_s3_ca_file);
	if (eoswath_s3_ca_path && eoswath_s3_ca_path[0])
		SETUP_OPT(CURLOPT_CAPATH, eoswath_s3_ca_path);
	if (eoswath_s3_max_rate > 0)
	{
		SETUP_OPT(CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t) eoswath_s3_max_rate);
		SETUP_OPT(CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t) eoswath_s3_max_rate);
	}
	SETUP_OPT(CURLOPT_NOPROGRESS, 0L);
	SETUP_OPT(CURLOPT_XFERINFOFUNCTION, s3_progress_cb);
	SETUP_OPT(CURLOPT_XFERINFODATA, c);
	SETUP_OPT(CURLOPT_WRITEFUNCTION, s3_write_cb);
	SETUP_OPT(CURLOPT_WRITEDATA, c);
	SETUP_OPT(CURLOPT_HEADERFUNCTION, s3_header_cb);
	SETUP_OPT(CURLOPT_HEADERDATA, c);
	SETUP_HEADER("x-amz-content-sha256: UNSIGNED-PAYLOAD");

	if (strcmp(c->method, "HEAD") == 0)
		SETUP_OPT(CURLOPT_NOBODY, 1L);
	else if (strcmp(c->method, "PUT") == 0)
	{
		SETUP_OPT(CURLOPT_UPLOAD, 1L);
		/*
		 * Send the body at once: libcurl sends "Expect: 100-continue" with
		 * a PUT's body and waits for the server's 100, which a part in the
		 * background only sees when the backend next drives it.  (An
		 * empty "Expect:" header would remove it, but libcurl 7.88 signs
		 * that header all the same and the signature no longer matches.)
		 */
		SETUP_OPT(CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
		SETUP_OPT(CURLOPT_READFUNCTION, s3_read_cb);
		SETUP_OPT(CURLOPT_READDATA, c);
		SETUP_OPT(CURLOPT_SEEKFUNCTION, s3_seek_cb);
		SETUP_OPT(CURLOPT_SEEKDATA, c);
		SETUP_OPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t) c->upload_len);
	}
	else if (strcmp(c->method, "POST") == 0)
	{
		SETUP_OPT(CURLOPT_POST, 1L);
		SETUP_OPT(CURLOPT_POSTFIELDS, c->upload ? c->upload : "");
		SETUP_OPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) c->upload_len);
		SETUP_HEADER("Content-Type: application/xml");
	}
	else if (strcmp(c->method, "DELETE") == 0)
		SETUP_OPT(CURLOPT_CUSTOMREQUEST, "DELETE");
	if (c->range_len > 0)
	{
		snprintf(range, sizeof(range), INT64_FORMAT "-" INT64_FORMAT,
				 c->range_start, c->range_start + c->range_len - 1);
		SETUP_OPT(CURLOPT_RANGE, range);
	}
	SETUP_OPT(CURLOPT_HTTPHEADER, headers);

	*headers_out = headers;
	pfree(url);
	return true;

fail:
	curl_slist_free_all(headers);
	curl_easy_reset(h);			/* no pointer into our memory stays behind */
	pfree(url);
	s3_problem(c, S3_PROBLEM_LIBCURL,
			   psprintf("libcurl could not set %s: %s", failed, curl_easy_strerror(rc)));
	return false;
}

/*
 * The outcome of a transfer on handle h that has ended with c->cc.  The
 * handle is reset and the request's headers freed: no pointer into our
 * memory stays in it, its connections do.  Raises no error.
 */
static S3Outcome
s3_attempt_end(CURL *h, S3Call *c, struct curl_slist *headers)
{
	CURLcode	rc;
	curl_off_t	len = -1;

	rc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	if (rc == CURLE_OK)
		rc = curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	c->length = len;
	if (rc == CURLE_OK)
		rc = c->cb_rc;
	curl_easy_reset(h);
	curl_slist_free_all(headers);

	if (c->cc == CURLE_ABORTED_BY_CALLBACK && c->interrupted)
		return S3_INTERRUPTED;
	if (rc != CURLE_OK)
	{
		c->status = 0;			/* no answer to go by */
		s3_problem(c, S3_PROBLEM_LIBCURL,
				   psprintf("libcurl could not tell the response's status: %s",
							curl_easy_strerror(rc)));
		return S3_FATAL;
	}
	if (c->overflow)
	{
		s3_problem(c, S3_PROBLEM_ANSWER, "the server sent more data than asked for");
		return S3_FATAL;
	}
	if (c->cc != CURLE_OK)
		return curl_retryable(c->cc) ? S3_RETRY : S3_FATAL;

	/* an error document, or a 200 that is an error (CompleteMultipartUpload) */
	if (c->body_len > 0 && (c->status >= 300 || s3_xml_is_error(c->body)))
	{
		s3_xml_error_code(c->body, c->code, sizeof(c->code));
		if (c->status < 300)
			c->status = 500;	/* an error after all: treat it as one */
	}
	if (c->status == 429 || c->status == 500 || c->status == 502 ||
		c->status == 503 || c->status == 504 ||
		strcmp(c->code, "SlowDown") == 0 || strcmp(c->code, "RequestTimeout") == 0)
		return S3_RETRY;
	return S3_DONE;
}

/*
 * One attempt of a request on one endpoint, on the process's handle.
 * Everything curl allocated for it is released before this returns;
 * nothing in here raises an error.
 */
static S3Outcome
s3_attempt(StoreSite *site, S3Call *c, int endpoint)
{
	CURL	   *h = s3_handle();
	struct curl_slist *headers = NULL;

	c->attempts++;
	if (!s3_setup(h, site, c, endpoint, &headers))
		return S3_FATAL;
	c->cc = curl_easy_perform(h);
	return s3_attempt_end(h, c, headers);
}

/* Sleep for a retry's backoff; a cancel meanwhile raises its error. */
static void
s3_backoff(int round)
{
	double		ms = eoswath_s3_retry_delay;

	for (int i = 0; i < round && ms < eoswath_s3_retry_max_delay; i++)
		ms *= 2;
	ms = Min(ms, eoswath_s3_retry_max_delay);
	ms *= 0.5 + 0.5 * pg_prng_double(&pg_global_prng_state);	/* jitter */
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 (long) ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/* A cancel ended an attempt: free its body, and raise the cancel's error. */
static void
s3_interrupted(S3Call *c)
{
	if (c->body)
		free(c->body);
	c->body = NULL;
	c->body_cap = c->body_len = 0;
	CHECK_FOR_INTERRUPTS();
}

/* An attempt on endpoint e is worth repeating: log why; the next endpoint. */
static int
s3_retry_note(StoreSite *site, S3Call *c, int e)
{
	S3Site	   *cfg = s3_cfg(site);

	ereport(LOG,
			(errmsg("eoswath site \"%s\": %s %s on endpoint %s failed: %s",
					site->name, c->method, c->key ? c->key : "(bucket)",
					cfg->endpoints[e],
					c->status ? psprintf("HTTP %ld %s", c->status, c->code) :
					c->errbuf[0] ? c->errbuf : curl_easy_strerror(c->cc)),
			 errhidestmt(true)));
	return (e + 1) % cfg->nendpoints;
}

/*
 * The attempts of request c from attempt number "first" on, on endpoint e
 * first, the one before (if any) having ended with "outcome": retries with
 * backoff, each on the next endpoint, a round being each endpoint once,
 * from the one that worked last.  Returns what s3_perform() returns.
 */
static bool
s3_rounds(StoreSite *site, S3Call *c, int e, int first, S3Outcome outcome)
{
	S3Site	   *cfg = s3_cfg(site);
	S3SiteSlot *slot = s3_slot(site);
	int			rounds = c->max_rounds > 0 ? c->max_rounds : 1 + eoswath_s3_retries;
	int			interrupts = 0;

	for (int i = first; i < rounds * cfg->nendpoints; i++)
	{
		if (i > 0 && i % cfg->nendpoints == 0)
			s3_backoff(i / cfg->nendpoints - 1);
		outcome = s3_attempt(site, c, e);
		while (outcome == S3_INTERRUPTED)
		{
			/* the error of the cancel, raised outside curl */
			s3_interrupted(c);
			/* nothing raised: an interrupt PostgreSQL had no error for */
			if (++interrupts == 100)
			{
				s3_problem(c, S3_PROBLEM_LOCAL, "the transfer was interrupted");
				outcome = S3_FATAL;
				break;
			}
			outcome = s3_attempt(site, c, e);
		}
		if (outcome != S3_RETRY)
			break;
		e = s3_retry_note(site, c, e);
	}
	if (outcome == S3_DONE && slot)
		slot->endpoint = c->endpoint;
	if (c->body)
	{
		if (c->body_len > 0)
			c->xml = pnstrdup(c->body, c->body_len);
		free(c->body);
		c->body = NULL;
		c->body_cap = c->body_len = 0;
	}
	return outcome == S3_DONE && c->status >= 200 && c->status < 300;
}

/*
 * Make a request, with retries and failover over the site's endpoints.
 * True if the answer is a 2xx; otherwise the caller looks at c->status
 * (a 404 can be an answer) or reports the failure with s3_report().
 * Never raises an error, except the one of a pending query cancel.
 */
bool
s3_perform(StoreSite *site, S3Call *c)
{
	S3Site	   *cfg = s3_cfg(site);
	S3SiteSlot *slot = s3_slot(site);

	c->attempts = 0;
	s3_problem(c, S3_PROBLEM_NONE, NULL);
	c->xml = NULL;
	return s3_rounds(site, c, slot ? slot->endpoint % cfg->nendpoints : 0, 0, S3_FATAL);
}

/* ---------------------------------------------------------------- background */

/*
 * Requests made in the background: a multipart upload's part is sent while
 * the backend reads the next one from its client.  Each runs on a handle of
 * its own slot (kept, with its connection, for the next one), all in one
 * multi handle that is driven from the caller's loop: s3_async_progress()
 * moves them on as far as the sockets take without waiting, and
 * s3_async_finish() waits for one.  Only the first attempt runs in the
 * background; a retry is made in the foreground by s3_rounds().  A slot's
 * call is NULL when it is free; otherwise its caller's memory is alive
 * (the caller stops its request before that memory goes).
 */
struct S3Async
{
	CURL	   *h;
	S3Call	   *call;			/* the request; NULL: the slot is free */
	struct curl_slist *headers;
	bool		done;			/* the transfer has ended ... */
	CURLcode	result;			/* ... thus */
};

#define S3_ASYNC_SLOTS		8	/* two parts of each of four copies */

static CURLM *s3_async_multi = NULL;
static S3Async s3_async[S3_ASYNC_SLOTS];

/* At exit: the handles of the background requests. */
static void
s3_async_cleanup(int code, Datum arg)
{
	if (s3_async_multi)
		(void) curl_multi_cleanup(s3_async_multi);
	s3_async_multi = NULL;
	for (int i = 0; i < S3_ASYNC_SLOTS; i++)
		if (s3_async[i].h)
		{
			curl_easy_cleanup(s3_async[i].h);
			s3_async[i].h = NULL;
		}
}

/*
 * Start request c (one attempt, in the background).  NULL if it cannot be
 * started so (every slot busy, libcurl will not set it up): the caller
 * then makes it with s3_perform(), which reports any problem.
 */
S3Async *
s3_async_start(StoreSite *site, S3Call *c)
{
	S3Site	   *cfg = s3_cfg(site);
	S3SiteSlot *slot = s3_slot(site);
	S3Async    *a = NULL;

	if (s3_handle() == NULL)	/* curl's global set-up */
		return NULL;
	if (s3_async_multi == NULL)
	{
		static bool exit_registered = false;

		if ((s3_async_multi = curl_multi_init()) == NULL)
			return NULL;
		if (!exit_registered)
			on_proc_exit(s3_async_cleanup, (Datum) 0);
		exit_registered = true;
	}
	for (int i = 0; i < S3_ASYNC_SLOTS && a == NULL; i++)
		if (s3_async[i].call == NULL)
			a = &s3_async[i];
	if (a == NULL)
		return NULL;
	if (a->h == NULL && (a->h = curl_easy_init()) == NULL)
		return NULL;

	c->attempts = 1;
	s3_problem(c, S3_PROBLEM_NONE, NULL);
	c->xml = NULL;
	if (!s3_setup(a->h, site, c, slot ? slot->endpoint % cfg->nendpoints : 0, &a->headers))
		return NULL;
	if (curl_multi_add_handle(s3_async_multi, a->h) != CURLM_OK)
	{
		curl_easy_reset(a->h);
		curl_slist_free_all(a->headers);
		a->headers = NULL;
		return NULL;
	}
	a->call = c;
	a->done = false;
	return a;
}

/* Note the transfers that have ended. */
static void
s3_async_collect(void)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(s3_async_multi, &left)) != NULL)
	{
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (int i = 0; i < S3_ASYNC_SLOTS; i++)
			if (s3_async[i].call && s3_async[i].h == msg->easy_handle)
			{
				s3_async[i].done = true;
				s3_async[i].result = msg->data.result;
			}
	}
}

/* The bytes the background requests have handed to libcurl so far. */
static size_t
s3_async_sent(void)
{
	size_t		n = 0;

	for (int i = 0; i < S3_ASYNC_SLOTS; i++)
		if (s3_async[i].call)
			n += s3_async[i].call->upload_pos;
	return n;
}

/*
 * Move the background requests on as far as their sockets take without
 * waiting.  Raises no error: a failure of libcurl here is met again, and
 * reported, by s3_async_finish().
 */
void
s3_async_progress(void)
{
	int			running = 0;
	size_t		sent;

	if (s3_async_multi == NULL)
		return;
	do
	{
		sent = s3_async_sent();
		if (curl_multi_perform(s3_async_multi, &running) != CURLM_OK)
			return;
		s3_async_collect();
	} while (running > 0 && s3_async_sent() != sent);
}

/*
 * Drop request c of slot a if it is still there: its transfer ends (its
 * connection is closed) and the slot is free.  Raises no error.
 */
void
s3_async_stop(S3Async *a, S3Call *c)
{
	if (a == NULL || a->call != c)
		return;
	if (curl_multi_remove_handle(s3_async_multi, a->h) == CURLM_OK)
		curl_easy_reset(a->h);	/* no pointer into c stays */
	else
	{
		curl_easy_cleanup(a->h);	/* a new one next time */
		a->h = NULL;
	}
	curl_slist_free_all(a->headers);
	a->headers = NULL;
	if (c->body)
		free(c->body);
	c->body = NULL;
	c->body_cap = c->body_len = 0;
	a->call = NULL;
}

/* Drop the background requests on key (an upload about to be aborted). */
void
s3_async_stop_key(const char *key)
{
	for (int i = 0; i < S3_ASYNC_SLOTS; i++)
		if (s3_async[i].call && s3_async[i].call->key &&
			strcmp(s3_async[i].call->key, key) == 0)
			s3_async_stop(&s3_async[i], s3_async[i].call);
}

/*
 * Wait for request c, started on slot a, to end, and free the slot; a
 * retry is made in the foreground.  Returns what s3_perform() returns; a
 * cancel meanwhile stops the request and raises its error.
 */
bool
s3_async_finish(S3Async *a, StoreSite *site, S3Call *c)
{
	S3Outcome	outcome;
	CURLMcode	mc = CURLM_OK;

	/* stopped (its upload was aborted): once more, in the foreground */
	if (a == NULL || a->call != c)
		return s3_perform(site, c);
	while (!a->done)
	{
		int			running = 0;

		if (InterruptPending && (QueryCancelPending || ProcDiePending) &&
			INTERRUPTS_CAN_BE_PROCESSED())
		{
			s3_async_stop(a, c);
			CHECK_FOR_INTERRUPTS();
			return s3_perform(site, c); /* nothing raised */
		}
		if ((mc = curl_multi_perform(s3_async_multi, &running)) != CURLM_OK)
			break;
		s3_async_collect();
		if (a->done)
			break;
		if ((mc = curl_multi_poll(s3_async_multi, NULL, 0, 1000, NULL)) != CURLM_OK)
			break;
	}
	if (mc == CURLM_OK)
		mc = curl_multi_remove_handle(s3_async_multi, a->h);
	if (mc != CURLM_OK)
	{
		s3_async_stop(a, c);
		c->status = 0;
		s3_problem(c, S3_PROBLEM_LIBCURL,
				   psprintf("libcurl could not make the request: %s", curl_multi_strerror(mc)));
		return false;
	}
	c->cc = a->result;
	outcome = s3_attempt_end(a->h, c, a->headers);
	a->headers = NULL;
	a->call = NULL;
	if (outcome == S3_INTERRUPTED)
	{
		s3_interrupted(c);
		return s3_rounds(site, c, c->endpoint, 0, S3_FATAL);	/* nothing raised */
	}
	if (outcome == S3_RETRY)
		return s3_rounds(site, c, s3_retry_note(site, c, c->endpoint), 1, outcome);
	return s3_rounds(site, c, c->endpoint, INT_MAX, outcome);
}

/* The SQLSTATE of a problem found on this side, by its kind. */
static int
problem_sqlstate(S3ProblemKind kind)
{
	switch (kind)
	{
		case S3_PROBLEM_CREDENTIALS:
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case S3_PROBLEM_PLAIN_HTTP:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case S3_PROBLEM_LIBCURL:
			return ERRCODE_SYSTEM_ERROR;
		case S3_PROBLEM_NONE:
		case S3_PROBLEM_LOCAL:
		case S3_PROBLEM_OPTIONS:
		case S3_PROBLEM_ANSWER:
			break;
	}
	return ERRCODE_IO_ERROR;
}

/*
 * Did the server refuse the request for want of space: a quota (Ceph RGW,
 * AWS, MinIO's bucket quota) or a full cluster (507 Insufficient Storage)?
 * The caller can then place the copy on another site.
 */
bool
s3_out_of_space(S3Call *c)
{
	return c->status == 507 ||
		strcmp(c->code, "QuotaExceeded") == 0 ||
		strcmp(c->code, "InsufficientStorage") == 0 ||
		strcmp(c->code, "XMinioStorageFull") == 0 ||
		strcmp(c->code, "XMinioAdminBucketQuotaExceeded") == 0;
}

/* Report a failed request at elevel, with the SQLSTATE its cause calls for. */
void
s3_report(int elevel, StoreSite *site, S3Call *c, const char *what)
{
	S3Site	   *cfg = site->private;
	int			sqlstate;
	char	   *detail;
	const char *hint = NULL;

	/* a cause on this side: the request never went out, or libcurl failed */
	if (c->problem && (c->problem_kind == S3_PROBLEM_LIBCURL ||
					   (c->status == 0 && c->cc == CURLE_OK)))
	{
		detail = psprintf("Cause: %s.", c->problem);
		sqlstate = problem_sqlstate(c->problem_kind);
		if (c->problem_kind == S3_PROBLEM_CREDENTIALS)
			hint = "Set them with wos_site_credentials(), or for sites with \"credentials\": \"file\" in the file named by eoswath.s3_credentials_file.";
	}
	else if (c->status == 0)
	{
		detail = psprintf("No answer from endpoint %s after %d %s: %s.",
						  cfg->endpoints[c->endpoint], c->attempts,
						  c->attempts == 1 ? "attempt" : "attempts",
						  c->errbuf[0] ? c->errbuf : curl_easy_strerror(c->cc));
		sqlstate = ERRCODE_CONNECTION_FAILURE;
		if (c->cc == CURLE_PEER_FAILED_VERIFICATION || c->cc == CURLE_SSL_CACERT_BADFILE)
			hint = "Check the server's certificate, or give its CA in eoswath.s3_ca_file.";
		else if (c->cc != CURLE_ABORTED_BY_CALLBACK)
			hint = "Check that the S3 service is up and reachable; more endpoints for a site can be listed in its \"endpoints\" option.";
	}
	else
	{
		detail = psprintf("Endpoint %s answered HTTP %ld%s%s after %d %s.",
						  cfg->endpoints[c->endpoint], c->status,
						  c->code[0] ? ", S3 error code " : "", c->code,
						  c->attempts, c->attempts == 1 ? "attempt" : "attempts");
		if (s3_out_of_space(c))
		{
			/* before 403: Ceph RGW answers a quota with 403 QuotaExceeded */
			sqlstate = ERRCODE_DISK_FULL;
			hint = "The site's bucket quota or its cluster is full.";
		}
		else if (c->status == 401 || c->status == 403 ||
				 strcmp(c->code, "InvalidAccessKeyId") == 0 ||
				 strcmp(c->code, "SignatureDoesNotMatch") == 0)
		{
			sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
			hint = "Check the site's access key and secret key (wos_site_credentials()) and the bucket's permissions.";
		}
		else if (strcmp(c->code, "NoSuchBucket") == 0)
		{
			sqlstate = ERRCODE_UNDEFINED_OBJECT;
			hint = "The site's bucket is gone; re-create it or disable the site with wos_site_enable().";
		}
		else if (c->status >= 500 || c->status == 429)
			sqlstate = ERRCODE_CONNECTION_FAILURE;
		else
			sqlstate = ERRCODE_IO_ERROR;
	}
	ereport(elevel,
			(errcode(sqlstate),
			 errmsg("%s", what),
			 errdetail("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}
