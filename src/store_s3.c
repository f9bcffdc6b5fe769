/*
 * store_s3.c
 *		S3 sites: copies as objects in a bucket of an S3-compatible store
 *		(Ceph RGW, MinIO, AWS S3), spoken to through libcurl.
 *
 * A copy of object X is the S3 object "<prefix>/<X>" in the site's bucket;
 * "<prefix>/.eoswath-site" is the marker written when the site was added
 * (available() checks it).  Requests are signed with AWS SigV4 by libcurl
 * itself (CURLOPT_AWS_SIGV4) with an unsigned payload; integrity is checked
 * end to end by the object layer's SHA-256.  One curl handle per backend is
 * reused for every request, so connections to the endpoints stay open.
 *
 * Writes: a copy up to eoswath.s3_part_size bytes is buffered and sent with
 * one PUT when it finishes; a larger one becomes a multipart upload whose
 * parts are sent as the buffer fills, and completed in finish_write().  An
 * object is therefore invisible under its key until finish_write() returns,
 * and durable when it returns (the server's 200).  Uploads in progress are
 * listed in this process so that remove() (the transaction callbacks) can
 * abort them; what a crash or an unreachable server leaves behind is found
 * by the sweep, which lists incomplete multipart uploads too.
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

#include <curl/curl.h>

#include "common/pg_prng.h"
#include "nodes/pg_list.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "s3.h"
#include "store.h"

#define S3_MARKER			".eoswath-site"
#define S3_MAX_ENDPOINTS	8
#define S3_MAX_PARTS		10000
#define S3_MAX_XML			(32 * 1024 * 1024)	/* a listing page is ~1 MB */
#define S3_MAX_ERROR_BODY	(64 * 1024)
#define S3_AVAILABLE_TTL_MS 5000
#define S3_SITE_SLOTS		64

/* A site's settings, parsed from its location and options. */
typedef struct S3Site
{
	char	   *bucket;
	char	   *region;
	char	   *prefix;			/* keys are "<prefix>/<oid>" */
	bool		virtual_host;	/* bucket in the host name, not the path */
	bool		creds_from_file;	/* eoswath.s3_credentials_file */
	char	   *profile;		/* its section */
	char	   *cred_problem;	/* why there are no credentials */
	char	   *broken;			/* why the stored options are unusable */
	int			nendpoints;
	char	   *endpoints[S3_MAX_ENDPOINTS];	/* "scheme://host[:port]" */
	char	   *sigv4;			/* "aws:amz:<region>:s3" */
} S3Site;

/* One request and, after s3_perform(), its outcome. */
typedef struct S3Call
{
	/* the request */
	const char *method;			/* GET, HEAD, PUT, POST, DELETE */
	const char *key;			/* NULL: the bucket */
	const char *query;			/* signed as given: sorted and encoded */
	int64		range_start;
	int64		range_len;		/* > 0: a Range request */
	const char *upload;			/* PUT/POST body */
	size_t		upload_len;
	char	   *dest;			/* GET: the data goes here ... */
	size_t		dest_cap;		/* ... at most this much */
	bool		want_body;		/* keep the (XML) body in 'xml' */
	int			max_rounds;		/* 0: 1 + eoswath.s3_retries */

	/* transfer state, touched by the callbacks only */
	size_t		upload_pos;
	size_t		dest_len;
	char	   *body;			/* malloc'd, freed before s3_perform returns */
	size_t		body_len;
	size_t		body_cap;
	bool		overflow;
	bool		interrupted;

	/* the outcome */
	long		status;			/* HTTP status of the last attempt, 0: none */
	CURLcode	cc;
	char		errbuf[CURL_ERROR_SIZE];
	char		etag[132];
	int64		length;			/* Content-Length of the response, -1 */
	char	   *xml;			/* palloc'd body: want_body, or an error */
	char		code[64];		/* S3 error code, or "" */
	int			endpoint;		/* endpoint of the last attempt */
	int			attempts;
	const char *problem;		/* a local reason the request could not be made */
} S3Call;

typedef enum S3Outcome
{
	S3_DONE,					/* an answer (maybe an error status) */
	S3_RETRY,					/* worth another attempt */
	S3_FATAL,					/* no point retrying */
	S3_INTERRUPTED				/* a cancel is pending */
} S3Outcome;

typedef struct S3Writer
{
	StoreSite  *site;
	WosOid		oid;
	char	   *key;
	char	   *buf;			/* one part */
	size_t		buflen;
	size_t		bufcap;
	size_t		part_size;
	char	   *upload_id;		/* NULL until a multipart upload begins */
	int			nparts;
	StringInfoData parts;		/* <Part> elements of the completion */
	int64		total;
} S3Writer;

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

/* A multipart upload this process has begun and not completed or aborted. */
typedef struct S3Upload
{
	int32		site_id;
	WosOid		oid;
	char	   *upload_id;
} S3Upload;

/* per-site memory of this process: the endpoint that last worked, health */
typedef struct S3SiteSlot
{
	int32		site_id;
	int			endpoint;
	TimestampTz available_until;
} S3SiteSlot;

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
	bool		bad;			/* not a 206, or too much at once */
	bool		done;			/* the transfer has ended */
	CURLcode	result;
} S3Stream;

static CURL *s3_curl = NULL;
static CURL *s3_stream_curl = NULL;
static CURLM *s3_multi = NULL;
static S3Stream s3_stream;
static List *s3_uploads = NIL;	/* S3Upload *, in TopMemoryContext */
static S3SiteSlot s3_slots[S3_SITE_SLOTS];

/* ---------------------------------------------------------------- helpers */

static S3SiteSlot *
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
static char *
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

/* The text of <tag>...</tag> in [p, end), XML entities decoded; NULL if absent. */
static char *
xml_value(const char *p, const char *end, const char *tag, const char **after)
{
	char	   *open = psprintf("<%s>", tag);
	char	   *close = psprintf("</%s>", tag);
	const char *s;
	const char *e;
	StringInfoData out;

	s = strstr(p, open);
	if (s == NULL || s >= end)
		return NULL;
	s += strlen(open);
	e = strstr(s, close);
	if (e == NULL || e > end)
		return NULL;
	if (after)
		*after = e + strlen(close);
	initStringInfo(&out);
	while (s < e)
	{
		if (*s == '&')
		{
			static const struct
			{
				const char *ent;
				char		c;
			}			ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
			{"&quot;", '"'}, {"&apos;", '\''}};
			bool		done = false;

			for (int i = 0; i < lengthof(ents); i++)
				if (strncmp(s, ents[i].ent, strlen(ents[i].ent)) == 0)
				{
					appendStringInfoChar(&out, ents[i].c);
					s += strlen(ents[i].ent);
					done = true;
					break;
				}
			if (!done && s[1] == '#')
			{
				char	   *stop;
				long		v = (s[2] == 'x') ? strtol(s + 3, &stop, 16) : strtol(s + 2, &stop, 10);

				if (*stop == ';' && v > 0 && v < 128)
				{
					appendStringInfoChar(&out, (char) v);
					s = stop + 1;
					done = true;
				}
			}
			if (done)
				continue;
		}
		appendStringInfoChar(&out, *s++);
	}
	return out.data;
}

/* ---------------------------------------------------------------- settings */

static bool
valid_bucket(const char *b)
{
	size_t		n = strlen(b);

	if (n < 3 || n > 63 || !isalnum((unsigned char) b[0]) || !isalnum((unsigned char) b[n - 1]))
		return false;
	for (; *b; b++)
		if (!(islower((unsigned char) *b) || isdigit((unsigned char) *b) || *b == '-' || *b == '.'))
			return false;
	return true;
}

static bool
valid_prefix(const char *p)
{
	size_t		n = strlen(p);

	if (n < 1 || n > 200 || p[0] == '/' || p[n - 1] == '/' || strstr(p, "//") != NULL)
		return false;
	for (; *p; p++)
		if (!(isalnum((unsigned char) *p) || strchr("-._/", *p)))
			return false;
	return true;
}

/*
 * An endpoint URL, checked: http(s), a host and maybe a port, nothing else
 * (no user info, path, query or fragment).  Returns it without a trailing
 * slash.  http is refused unless eoswath.s3_allow_http is on.  elevel ERROR
 * when a site is added; a lower one when a stored site is used (the request
 * is then refused, without breaking everything that reads the sites).
 */
static char *
check_endpoint(const char *url, int elevel, bool *ok)
{
	const char *host;
	char	   *u = pstrdup(url);
	size_t		n = strlen(u);

	*ok = false;
	if (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
	{
		host = u + 7;
		if (!eoswath_s3_allow_http)
		{
			ereport(elevel,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("S3 endpoint \"%s\" uses plain http", u),
					 errhint("Use https, or have a superuser set eoswath.s3_allow_http.")));
			return u;
		}
	}
	else
	{
		ereport(elevel,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 endpoint \"%s\" is not an http or https URL", u)));
		return u;
	}
	if (*host == '\0' || n > 400 || strpbrk(host, "@/?#\\ \t\r\n") != NULL)
	{
		ereport(elevel,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 endpoint \"%s\" must be scheme://host[:port] and nothing more",
						strpbrk(host, "@") ? "(URL with user info)" : u)));
		return u;
	}
	*ok = true;
	return u;
}

/* Parse and check a site's options; ERROR on anything wrong. */
static S3Site *
s3_parse(StoreSite *site, bool strict)
{
	S3Site	   *cfg = palloc0(sizeof(S3Site));
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	char	   *addressing = "path";
	char	   *credentials = "stored";
	char	   *profile = NULL;
	bool		ok;

	cfg->region = "us-east-1";
	cfg->prefix = "eoswath";
	cfg->endpoints[cfg->nendpoints++] = check_endpoint(site->location, strict ? ERROR : DEBUG1, &ok);

	if (site->options == NULL || !JB_ROOT_IS_OBJECT(site->options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 site options must be a JSON object with at least \"bucket\"")));
	it = JsonbIteratorInit(&site->options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		if (strcmp(key, "endpoints") == 0)
		{
			JsonbIterator *ai;
			JsonbValue	e;
			JsonbIteratorToken at;

			if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("S3 site option \"endpoints\" must be an array of URLs")));
			ai = JsonbIteratorInit(v.val.binary.data);
			while ((at = JsonbIteratorNext(&ai, &e, true)) != WJB_DONE)
			{
				if (at != WJB_ELEM)
					continue;
				if (e.type != jbvString)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("S3 site option \"endpoints\" must be an array of URLs")));
				if (cfg->nendpoints == S3_MAX_ENDPOINTS)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("an S3 site has at most %d endpoints", S3_MAX_ENDPOINTS)));
				cfg->endpoints[cfg->nendpoints++] =
					check_endpoint(pnstrdup(e.val.string.val, e.val.string.len),
								   strict ? ERROR : DEBUG1, &ok);
			}
			continue;
		}
		if (v.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("S3 site option \"%s\" must be a string", key)));
		if (strcmp(key, "bucket") == 0)
			cfg->bucket = pnstrdup(v.val.string.val, v.val.string.len);
		else if (strcmp(key, "region") == 0)
			cfg->region = pnstrdup(v.val.string.val, v.val.string.len);
		else if (strcmp(key, "prefix") == 0)
			cfg->prefix = pnstrdup(v.val.string.val, v.val.string.len);
		else if (strcmp(key, "addressing") == 0)
			addressing = pnstrdup(v.val.string.val, v.val.string.len);
		else if (strcmp(key, "credentials") == 0)
			credentials = pnstrdup(v.val.string.val, v.val.string.len);
		else if (strcmp(key, "profile") == 0)
			profile = pnstrdup(v.val.string.val, v.val.string.len);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown S3 site option \"%s\"", key),
					 errhint("S3 sites take \"bucket\", \"region\", \"prefix\", \"addressing\", \"endpoints\", \"credentials\", \"profile\", \"access_key\" and \"secret_key\".")));
	}

	if (cfg->bucket == NULL || !valid_bucket(cfg->bucket))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 site needs a valid \"bucket\" option"),
				 errdetail("Bucket names have 3 to 63 lower-case letters, digits, dots and hyphens.")));
	if (!valid_prefix(cfg->prefix))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid S3 key prefix \"%s\"", cfg->prefix),
				 errdetail("A prefix has letters, digits, '-', '.', '_' and inner '/'.")));
	for (const char *r = cfg->region; *r; r++)
		if (!(isalnum((unsigned char) *r) || *r == '-' || *r == '_'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid S3 region \"%s\"", cfg->region)));
	if (cfg->region[0] == '\0' || strlen(cfg->region) > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid S3 region \"%s\"", cfg->region)));
	if (strcmp(addressing, "virtual") == 0)
		cfg->virtual_host = true;
	else if (strcmp(addressing, "path") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 site option \"addressing\" must be \"path\" or \"virtual\"")));
	if (strcmp(credentials, "file") == 0)
		cfg->creds_from_file = true;
	else if (strcmp(credentials, "stored") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 site option \"credentials\" must be \"stored\" or \"file\"")));
	cfg->profile = profile ? profile : "default";
	if (profile && !cfg->creds_from_file)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 site option \"profile\" goes with \"credentials\": \"file\"")));
	if (strlen(cfg->profile) < 1 || strlen(cfg->profile) > 64 ||
		strspn(cfg->profile, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(cfg->profile))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid S3 credentials profile name \"%s\"", cfg->profile)));
	cfg->sigv4 = psprintf("aws:amz:%s:s3", cfg->region);
	return cfg;
}

static S3Site *
s3_cfg(StoreSite *site)
{
	if (site->private == NULL)
		site->private = s3_parse(site, false);
	return (S3Site *) site->private;
}

static char *
s3_key(StoreSite *site, WosOid oid)
{
	char		name[WOSOID_TEXT_LEN + 1];

	wosoid_format(oid, name);
	return psprintf("%s/%s", s3_cfg(site)->prefix, name);
}

/* ---------------------------------------------------------------- libcurl */

static void
s3_curl_cleanup(int code, Datum arg)
{
	if (s3_stream.reader)
		curl_multi_remove_handle(s3_multi, s3_stream_curl);
	s3_stream.reader = NULL;
	if (s3_stream_curl)
		curl_easy_cleanup(s3_stream_curl);
	if (s3_multi)
		curl_multi_cleanup(s3_multi);
	if (s3_curl)
		curl_easy_cleanup(s3_curl);
	s3_curl = s3_stream_curl = NULL;
	s3_multi = NULL;
}

/* The process's curl handle, made once; NULL if curl cannot start. */
static CURL *
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

	curl_easy_getinfo(s3_curl, CURLINFO_RESPONSE_CODE, &status);
	if (c->dest && status >= 200 && status < 300)
	{
		if (c->dest_len + n > c->dest_cap)
		{
			c->overflow = true;
			return 0;
		}
		memcpy(c->dest + c->dest_len, ptr, n);
		c->dest_len += n;
		return n;
	}
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
 * Set up handle h for request c on one endpoint: everything but the
 * transfer.  False (and c->problem) if the request cannot be made.  The
 * caller frees *headers after the transfer.  Raises no error.
 */
static bool
s3_setup(CURL *h, StoreSite *site, S3Call *c, int endpoint, struct curl_slist **headers_out)
{
	S3Site	   *cfg = site->private;
	struct curl_slist *headers = NULL;
	const char *ak;
	const char *sk;
	char	   *url;
	char		range[64];
	bool		ok;

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

	if (h == NULL)
	{
		c->problem = "libcurl could not be initialised";
		return false;
	}
	if (cfg->broken)
	{
		c->problem = cfg->broken;
		return false;
	}
	(void) check_endpoint(cfg->endpoints[endpoint], DEBUG1, &ok);
	if (!ok)
	{
		c->problem = "the endpoint uses plain http and eoswath.s3_allow_http is off";
		return false;
	}
	ak = site->access_key;
	sk = site->secret_key;
	if (ak == NULL || sk == NULL || ak[0] == '\0' || sk[0] == '\0')
	{
		c->problem = cfg->cred_problem ? cfg->cred_problem : "the site has no credentials";
		return false;
	}

	url = s3_url(cfg, endpoint, c->key, c->query);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, eoswath_s3_allow_http ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, cfg->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, ak);
	curl_easy_setopt(h, CURLOPT_PASSWORD, sk);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) eoswath_s3_connect_timeout);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long) eoswath_s3_io_timeout);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (eoswath_s3_max_rate == 0)
	{
		curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
	}
	if (eoswath_s3_ca_file && eoswath_s3_ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, eoswath_s3_ca_file);
	if (eoswath_s3_ca_path && eoswath_s3_ca_path[0])
		curl_easy_setopt(h, CURLOPT_CAPATH, eoswath_s3_ca_path);
	if (eoswath_s3_max_rate > 0)
	{
		curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t) eoswath_s3_max_rate);
		curl_easy_setopt(h, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t) eoswath_s3_max_rate);
	}
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, s3_progress_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s3_header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	headers = curl_slist_append(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");

	if (strcmp(c->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(c->method, "PUT") == 0)
	{
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, s3_read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, c);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, s3_seek_cb);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, c);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) c->upload_len);
	}
	else if (strcmp(c->method, "POST") == 0)
	{
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->upload ? c->upload : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) c->upload_len);
		headers = curl_slist_append(headers, "Content-Type: application/xml");
	}
	else if (strcmp(c->method, "DELETE") == 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	if (c->range_len > 0)
	{
		snprintf(range, sizeof(range), INT64_FORMAT "-" INT64_FORMAT,
				 c->range_start, c->range_start + c->range_len - 1);
		curl_easy_setopt(h, CURLOPT_RANGE, range);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);

	*headers_out = headers;
	pfree(url);
	return true;
}

/*
 * One attempt of a request on one endpoint.  Everything curl allocated for
 * it is released before this returns; nothing in here raises an error.
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
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	{
		curl_off_t	len = -1;

		if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) == CURLE_OK)
			c->length = len;
	}
	/* no pointers into our memory stay in the handle */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(headers);

	if (c->cc == CURLE_ABORTED_BY_CALLBACK && c->interrupted)
		return S3_INTERRUPTED;
	if (c->overflow)
	{
		c->problem = "the server sent more data than asked for";
		return S3_FATAL;
	}
	if (c->cc != CURLE_OK)
		return curl_retryable(c->cc) ? S3_RETRY : S3_FATAL;

	/* an error document, or a 200 that is an error (CompleteMultipartUpload) */
	if (c->body_len > 0 && (c->status >= 300 || strstr(c->body, "<Error>") != NULL))
	{
		const char *p = strstr(c->body, "<Code>");

		if (p)
		{
			const char *e = strstr(p, "</Code>");

			if (e && e - p - 6 < (long) sizeof(c->code))
			{
				memcpy(c->code, p + 6, e - p - 6);
				c->code[e - p - 6] = '\0';
			}
		}
		if (c->status < 300)
			c->status = 500;	/* an error after all: treat it as one */
	}
	if (c->status == 429 || c->status == 500 || c->status == 502 ||
		c->status == 503 || c->status == 504 ||
		strcmp(c->code, "SlowDown") == 0 || strcmp(c->code, "RequestTimeout") == 0)
		return S3_RETRY;
	return S3_DONE;
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

/*
 * Make a request, with retries and failover over the site's endpoints.
 * True if the answer is a 2xx; otherwise the caller looks at c->status
 * (a 404 can be an answer) or reports the failure with s3_report().
 * Never raises an error, except the one of a pending query cancel.
 */
static bool
s3_perform(StoreSite *site, S3Call *c)
{
	S3Site	   *cfg = s3_cfg(site);
	S3SiteSlot *slot = s3_slot(site);
	int			rounds = c->max_rounds > 0 ? c->max_rounds : 1 + eoswath_s3_retries;
	int			e = slot ? slot->endpoint % cfg->nendpoints : 0;
	int			interrupts = 0;
	S3Outcome	outcome = S3_FATAL;

	c->attempts = 0;
	c->problem = NULL;
	c->xml = NULL;
	for (int round = 0; round < rounds; round++)
	{
		if (round > 0)
			s3_backoff(round - 1);
		/* a round: each endpoint once, from the one that worked last */
		for (int k = 0; k < cfg->nendpoints; k++)
		{
			outcome = s3_attempt(site, c, e);
			if (outcome == S3_INTERRUPTED)
			{
				/* the error of the cancel, raised outside curl */
				if (c->body)
					free(c->body);
				c->body = NULL;
				c->body_cap = c->body_len = 0;
				CHECK_FOR_INTERRUPTS();
				/* nothing raised: an interrupt PostgreSQL had no error for */
				if (++interrupts < 100)
				{
					k--;
					continue;
				}
				c->problem = "the transfer was interrupted";
				outcome = S3_FATAL;
			}
			if (outcome != S3_RETRY)
				break;
			ereport(LOG,
					(errmsg("eoswath site \"%s\": %s %s on endpoint %s failed: %s",
							site->name, c->method, c->key ? c->key : "(bucket)",
							cfg->endpoints[e],
							c->status ? psprintf("HTTP %ld %s", c->status, c->code) :
							c->errbuf[0] ? c->errbuf : curl_easy_strerror(c->cc)),
					 errhidestmt(true)));
			e = (e + 1) % cfg->nendpoints;	/* the next attempt: the next endpoint */
		}
		if (outcome != S3_RETRY)
			break;
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

/* Report a failed request at elevel, with the SQLSTATE its cause calls for. */
static void
s3_report(int elevel, StoreSite *site, S3Call *c, const char *what)
{
	S3Site	   *cfg = site->private;
	int			sqlstate;
	char	   *detail;
	const char *hint = NULL;

	if (c->problem && c->status == 0 && c->cc == CURLE_OK)
	{
		detail = psprintf("Cause: %s.", c->problem);
		if (strstr(c->problem, "credentials"))
		{
			sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
			hint = "Set them with wos_site_credentials(), or for sites with \"credentials\": \"file\" in the file named by eoswath.s3_credentials_file.";
		}
		else if (strstr(c->problem, "http"))
			sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
		else
			sqlstate = ERRCODE_IO_ERROR;
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
		if (c->status == 401 || c->status == 403 ||
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

/* ---------------------------------------------------------------- uploads */

static void
upload_register(StoreSite *site, WosOid oid, const char *upload_id)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	S3Upload   *u = palloc(sizeof(S3Upload));

	u->site_id = site->id;
	u->oid = oid;
	u->upload_id = pstrdup(upload_id);
	s3_uploads = lappend(s3_uploads, u);
	MemoryContextSwitchTo(old);
}

static void
upload_forget(StoreSite *site, WosOid oid, const char *upload_id)
{
	ListCell   *lc;

	foreach(lc, s3_uploads)
	{
		S3Upload   *u = lfirst(lc);

		if (u->site_id == site->id && u->oid == oid &&
			strcmp(u->upload_id, upload_id) == 0)
		{
			s3_uploads = foreach_delete_current(s3_uploads, lc);
			pfree(u->upload_id);
			pfree(u);
		}
	}
}

/* Abort a multipart upload on the server; WARNING on failure, never ERROR. */
static bool
upload_abort(StoreSite *site, const char *key, const char *upload_id)
{
	S3Call		c = {0};

	c.method = "DELETE";
	c.key = key;
	c.query = psprintf("uploadId=%s", s3_uri_encode(upload_id));
	c.max_rounds = 1 + Min(eoswath_s3_retries, 1);	/* the sweep does the rest */
	if (s3_perform(site, &c) || c.status == 404)
		return true;
	s3_report(WARNING, site, &c,
			  psprintf("could not abort the upload of \"%s\" on site \"%s\"", key, site->name));
	return false;
}

/* ---------------------------------------------------------------- methods */

/* strip blanks at both ends, in place */
static char *
trim(char *s)
{
	char	   *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/*
 * Credentials from eoswath.s3_credentials_file, a file in the format of
 * AWS's shared credentials file:
 *		[profile]
 *		aws_access_key_id = ...
 *		aws_secret_access_key = ...
 * Never raises an error and never quotes the file: a failure is recorded in
 * cfg->cred_problem, reported when a request needs the credentials.
 */
static void
s3_read_credentials_file(StoreSite *site, S3Site *cfg)
{
	FILE	   *f;
	char		line[1024];
	bool		in_profile = false;

	if (eoswath_s3_credentials_file == NULL || eoswath_s3_credentials_file[0] == '\0')
	{
		cfg->cred_problem = "the site's credentials come from a file, and eoswath.s3_credentials_file is not set";
		return;
	}
	f = AllocateFile(eoswath_s3_credentials_file, "r");
	if (f == NULL)
	{
		cfg->cred_problem = psprintf("could not open the credentials file \"%s\": %s",
									 eoswath_s3_credentials_file, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *l = trim(line);
		char	   *eq;

		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[')
		{
			char	   *name = l + 1;
			char	   *close = strchr(name, ']');

			if (close)
				*close = '\0';
			name = trim(name);
			if (strncmp(name, "profile ", 8) == 0)
				name = trim(name + 8);
			in_profile = strcmp(name, cfg->profile) == 0;
			continue;
		}
		if (!in_profile || (eq = strchr(l, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(trim(l), "aws_access_key_id") == 0)
			site->access_key = pstrdup(trim(eq + 1));
		else if (strcmp(trim(l), "aws_secret_access_key") == 0)
			site->secret_key = pstrdup(trim(eq + 1));
	}
	explicit_bzero(line, sizeof(line));
	FreeFile(f);
	if (site->access_key == NULL || site->secret_key == NULL)
	{
		site->access_key = site->secret_key = NULL;
		cfg->cred_problem = psprintf("the credentials file \"%s\" has no aws_access_key_id and aws_secret_access_key in profile \"%s\"",
									 eoswath_s3_credentials_file, cfg->profile);
	}
}

/*
 * Parse the options when a site is made, and get its credentials: stored
 * ones from the catalog, or from the credentials file.  Done here, in a
 * normal transaction state, because remove() may later run in a
 * transaction callback, where neither can be read.
 */
static void
s3_attach(StoreSite *site)
{
	MemoryContext cxt = CurrentMemoryContext;
	S3Site	   *cfg;

	/*
	 * Options were checked when the site was added; should they no longer
	 * parse (a setting or an upgrade changed the rules), only this site's
	 * requests fail, not everything that reads the site list.  Parsing
	 * takes nothing but memory, so the error can be caught here.
	 */
	PG_TRY();
	{
		cfg = s3_parse(site, false);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		cfg = palloc0(sizeof(S3Site));
		cfg->broken = psprintf("its options are unusable: %s", edata->message);
		cfg->prefix = "eoswath";
		cfg->endpoints[cfg->nendpoints++] = site->location;
		FreeErrorData(edata);
	}
	PG_END_TRY();
	site->private = cfg;
	if (cfg->broken)
		return;
	if (cfg->creds_from_file)
		s3_read_credentials_file(site, cfg);
}

static void
s3_validate(StoreSite *site, bool create)
{
	S3Site	   *cfg = s3_parse(site, true);
	S3Call		c = {0};
	char	   *marker;
	char	   *text;

	cfg->cred_problem = ((S3Site *) site->private)->cred_problem;
	site->private = cfg;
	if (!create)
		return;
	/* the server's own keys sign requests only to endpoints a superuser chose */
	if (cfg->creds_from_file && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may add an S3 site whose credentials come from eoswath.s3_credentials_file"),
				 errhint("Give the site its own \"access_key\" and \"secret_key\".")));
	if (site->access_key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("S3 site \"%s\" has no credentials", site->name),
				 cfg->cred_problem ? errdetail("Cause: %s.", cfg->cred_problem) : 0,
				 errhint("Give \"access_key\" and \"secret_key\" in the options, or \"credentials\": \"file\" to read them from the file named by eoswath.s3_credentials_file.")));

	/* the bucket: there, or made */
	c.method = "HEAD";
	if (!s3_perform(site, &c))
	{
		if (c.status != 404)
			s3_report(ERROR, site, &c,
					  psprintf("could not reach bucket \"%s\" of S3 site \"%s\"", cfg->bucket, site->name));
		memset(&c, 0, sizeof(c));
		c.method = "PUT";
		if (!s3_perform(site, &c) && strcmp(c.code, "BucketAlreadyOwnedByYou") != 0)
			s3_report(ERROR, site, &c,
					  psprintf("could not create bucket \"%s\" of S3 site \"%s\"", cfg->bucket, site->name));
	}

	/* the prefix: unused, as a directory site must be empty */
	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.query = psprintf("list-type=2&max-keys=1&prefix=%s", s3_uri_encode(psprintf("%s/", cfg->prefix)));
	c.want_body = true;
	if (!s3_perform(site, &c))
		s3_report(ERROR, site, &c,
				  psprintf("could not list bucket \"%s\" of S3 site \"%s\"", cfg->bucket, site->name));
	if (c.xml && strstr(c.xml, "<Key>") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 location \"%s/%s/\" is not empty", cfg->bucket, cfg->prefix),
				 errhint("Give a new or empty prefix; eoswath only writes where it owns everything.")));

	/* the marker */
	marker = psprintf("%s/%s", cfg->prefix, S3_MARKER);
	text = psprintf("eoswath site \"%s\"\n", site->name);
	memset(&c, 0, sizeof(c));
	c.method = "PUT";
	c.key = marker;
	c.upload = text;
	c.upload_len = strlen(text);
	if (!s3_perform(site, &c))
		s3_report(ERROR, site, &c,
				  psprintf("could not write the marker of S3 site \"%s\"", site->name));
}

/* Is the marker there?  One quick round over the endpoints; never ERRORs. */
static bool
s3_available(StoreSite *site, char **why)
{
	S3Site	   *cfg = s3_cfg(site);
	S3SiteSlot *slot = s3_slot(site);
	TimestampTz now = GetCurrentTimestamp();
	S3Call		c = {0};

	if (slot && slot->available_until > now)
		return true;
	c.method = "HEAD";
	c.key = psprintf("%s/%s", cfg->prefix, S3_MARKER);
	c.max_rounds = 1;
	if (s3_perform(site, &c))
	{
		if (slot)
			slot->available_until = TimestampTzPlusMilliseconds(now, S3_AVAILABLE_TTL_MS);
		return true;
	}
	if (why)
	{
		if (c.problem && c.status == 0)
			*why = pstrdup(c.problem);
		else if (c.status == 404)
			*why = psprintf("marker \"%s/%s\" is missing", cfg->bucket, c.key);
		else if (c.status == 401 || c.status == 403)
			*why = psprintf("endpoint %s refused the site's credentials (HTTP %ld)",
							cfg->endpoints[c.endpoint], c.status);
		else if (c.status)
			*why = psprintf("endpoint %s answered HTTP %ld", cfg->endpoints[c.endpoint], c.status);
		else
			*why = psprintf("no answer from endpoint %s: %s", cfg->endpoints[c.endpoint],
							c.errbuf[0] ? c.errbuf : curl_easy_strerror(c.cc));
	}
	return false;
}

static void *
s3_begin_write(StoreSite *site, WosOid oid, int64 size_hint)
{
	S3Writer   *w = palloc0(sizeof(S3Writer));

	(void) s3_cfg(site);
	w->site = site;
	w->oid = oid;
	w->key = s3_key(site, oid);
	w->part_size = eoswath_s3_part_size;
	/* the buffer grows to one part: small objects take little memory */
	w->bufcap = size_hint > 0 ? Min((size_t) size_hint, w->part_size) : Min(w->part_size, 1024 * 1024);
	w->buf = palloc(w->bufcap);
	initStringInfo(&w->parts);
	return w;
}

/* Start the multipart upload of a writer. */
static void
s3_initiate(S3Writer *w)
{
	S3Call		c = {0};

	c.method = "POST";
	c.key = w->key;
	c.query = "uploads=";		/* curl 7.88 signs a bare "uploads" wrongly */
	c.want_body = true;
	if (!s3_perform(w->site, &c) || c.xml == NULL ||
		(w->upload_id = xml_value(c.xml, c.xml + strlen(c.xml), "UploadId", NULL)) == NULL)
	{
		if (c.status >= 200 && c.status < 300)
			c.problem = "the answer has no UploadId";
		s3_report(ERROR, w->site, &c,
				  psprintf("could not start the upload of object %s to site \"%s\"",
						   wosoid_to_cstring(w->oid), w->site->name));
	}
	upload_register(w->site, w->oid, w->upload_id);
}

/* Send the buffered bytes as the next part. */
static void
s3_flush_part(S3Writer *w)
{
	S3Call		c = {0};

	if (w->upload_id == NULL)
		s3_initiate(w);
	if (w->nparts == S3_MAX_PARTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("object %s needs more than %d parts", wosoid_to_cstring(w->oid), S3_MAX_PARTS),
				 errhint("Raise eoswath.s3_part_size.")));
	c.method = "PUT";
	c.key = w->key;
	c.query = psprintf("partNumber=%d&uploadId=%s", w->nparts + 1, s3_uri_encode(w->upload_id));
	c.upload = w->buf;
	c.upload_len = w->buflen;
	if (!s3_perform(w->site, &c) || c.etag[0] == '\0')
	{
		if (c.status >= 200 && c.status < 300)
			c.problem = "the answer has no ETag";
		s3_report(ERROR, w->site, &c,
				  psprintf("could not upload part %d of object %s to site \"%s\"",
						   w->nparts + 1, wosoid_to_cstring(w->oid), w->site->name));
	}
	w->nparts++;
	appendStringInfo(&w->parts, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
					 w->nparts, c.etag);
	w->buflen = 0;
}

static void
s3_write(void *handle, const char *data, size_t len)
{
	S3Writer   *w = handle;

	while (len > 0)
	{
		size_t		n;

		if (w->buflen == w->part_size)
			s3_flush_part(w);
		if (w->buflen == w->bufcap)
		{
			w->bufcap = Min(w->bufcap * 2, w->part_size);
			w->buf = repalloc(w->buf, w->bufcap);
		}
		n = Min(len, w->bufcap - w->buflen);
		memcpy(w->buf + w->buflen, data, n);
		w->buflen += n;
		w->total += n;
		data += n;
		len -= n;
	}
}

static void
s3_finish_write(void *handle)
{
	S3Writer   *w = handle;
	S3Call		c = {0};

	if (w->upload_id == NULL)
	{
		/* one PUT: the object appears whole or not at all */
		c.method = "PUT";
		c.key = w->key;
		c.upload = w->buf;
		c.upload_len = w->buflen;
		if (!s3_perform(w->site, &c))
			s3_report(ERROR, w->site, &c,
					  psprintf("could not write object %s to site \"%s\"",
							   wosoid_to_cstring(w->oid), w->site->name));
	}
	else
	{
		char	   *body;

		if (w->buflen > 0)
			s3_flush_part(w);
		body = psprintf("<CompleteMultipartUpload>%s</CompleteMultipartUpload>", w->parts.data);
		c.method = "POST";
		c.key = w->key;
		c.query = psprintf("uploadId=%s", s3_uri_encode(w->upload_id));
		c.upload = body;
		c.upload_len = strlen(body);
		c.want_body = true;
		if (!s3_perform(w->site, &c))
			s3_report(ERROR, w->site, &c,
					  psprintf("could not complete the upload of object %s to site \"%s\"",
							   wosoid_to_cstring(w->oid), w->site->name));
		upload_forget(w->site, w->oid, w->upload_id);
		w->upload_id = NULL;

		/* check what the server made of the parts */
		memset(&c, 0, sizeof(c));
		c.method = "HEAD";
		c.key = w->key;
		if (!s3_perform(w->site, &c))
			s3_report(ERROR, w->site, &c,
					  psprintf("could not check object %s on site \"%s\"",
							   wosoid_to_cstring(w->oid), w->site->name));
		if (c.length != w->total)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("object %s on site \"%s\" has %lld bytes after its upload, not %lld",
							wosoid_to_cstring(w->oid), w->site->name,
							(long long) c.length, (long long) w->total)));
	}
	pfree(w->buf);
	w->buf = NULL;
}

static void
s3_abort_write(void *handle)
{
	S3Writer   *w = handle;

	if (w->upload_id)
	{
		(void) upload_abort(w->site, w->key, w->upload_id);
		upload_forget(w->site, w->oid, w->upload_id);
		w->upload_id = NULL;
	}
	if (w->buf)
		pfree(w->buf);
	w->buf = NULL;
}

/* HEAD the copy: NULL if it is not there (or the site cannot be reached). */
static void *
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

	curl_easy_getinfo(s3_stream_curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 206 || st->reader == NULL)
	{
		st->bad = true;
		return 0;
	}
	if (st->full || st->dst == NULL)
		return CURL_WRITEFUNC_PAUSE;	/* delivered again after unpausing */
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

/* End the stream, if any; the connection is dropped.  Never raises. */
static void
stream_stop(void)
{
	if (s3_stream.reader == NULL)
		return;
	curl_multi_remove_handle(s3_multi, s3_stream_curl);
	curl_easy_setopt(s3_stream_curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(s3_stream.headers);
	s3_stream.headers = NULL;
	s3_stream.reader->streaming = false;
	s3_stream.reader = NULL;
	s3_stream.dst = NULL;
}

/* The reader's memory goes (an error, or the end of the query): stop its stream. */
static void
stream_reader_gone(void *arg)
{
	if (s3_stream.reader == (S3Reader *) arg)
		stream_stop();
}

/* Start streaming r from offset on; false if no stream can be had now. */
static bool
stream_start(S3Reader *r, int64 offset)
{
	S3Stream   *st = &s3_stream;
	S3SiteSlot *slot = s3_slot(r->site);
	S3Site	   *cfg = s3_cfg(r->site);
	char		range[64];

	if (st->reader != NULL)
		return false;			/* another reader streams */
	if (s3_handle() == NULL)
		return false;
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
	curl_easy_setopt(s3_stream_curl, CURLOPT_RANGE, range);
	if (eoswath_s3_max_rate == 0)	/* curl's rate limit needs small buffers */
		curl_easy_setopt(s3_stream_curl, CURLOPT_BUFFERSIZE, (long) S3_STREAM_BUFSIZE);
	/* a paused stream moves no data: the caller's pace is not a stall */
	curl_easy_setopt(s3_stream_curl, CURLOPT_LOW_SPEED_TIME, 0L);
	curl_easy_setopt(s3_stream_curl, CURLOPT_WRITEFUNCTION, stream_write_cb);
	curl_easy_setopt(s3_stream_curl, CURLOPT_WRITEDATA, st);
	if (curl_multi_add_handle(s3_multi, s3_stream_curl) != CURLM_OK)
	{
		curl_slist_free_all(st->headers);
		st->headers = NULL;
		return false;
	}
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
		st->full = false;
		curl_easy_pause(s3_stream_curl, CURLPAUSE_CONT);
	}
	while (st->dst_len < len && !st->done && !st->bad)
	{
		int			running = 0;
		int			msgs;
		CURLMsg    *msg;

		if (curl_multi_perform(s3_multi, &running) != CURLM_OK)
			st->bad = true;
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
			stream_stop();
			CHECK_FOR_INTERRUPTS();
			return 0;			/* nothing raised: go on without the stream */
		}
		(void) curl_multi_poll(s3_multi, NULL, 0, 1000, NULL);
	}
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
static size_t
s3_read(void *handle, char *buf, size_t len, int64 offset)
{
	S3Reader   *r = handle;
	size_t		n;

	if (offset >= r->size || len == 0)
		return 0;
	len = Min((int64) len, r->size - offset);

	/* sequential: from the stream, started at the second read in a row */
	if (r->streaming && offset != r->stream_pos)
		stream_stop();
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
			stream_stop();
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
			r->ahead = MemoryContextAlloc(GetMemoryChunkContext(r), want);
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

static void
s3_close_read(void *handle)
{
	S3Reader   *r = handle;

	if (s3_stream.reader == r)
		stream_stop();
	if (r->ahead)
		pfree(r->ahead);
	r->ahead = NULL;
}

/*
 * Remove a copy and any upload of it this process left unfinished.  Runs
 * in transaction callbacks: WARNING and false on failure, never ERROR.
 */
static bool
s3_remove(StoreSite *site, WosOid oid)
{
	char	   *key = s3_key(site, oid);
	S3Call		c = {0};
	ListCell   *lc;
	bool		ok = true;

	foreach(lc, s3_uploads)
	{
		S3Upload   *u = lfirst(lc);

		if (u->site_id != site->id || u->oid != oid)
			continue;
		ok = upload_abort(site, key, u->upload_id) && ok;
		s3_uploads = foreach_delete_current(s3_uploads, lc);
		pfree(u->upload_id);
		pfree(u);
	}
	c.method = "DELETE";
	c.key = key;
	c.max_rounds = 1 + Min(eoswath_s3_retries, 1);
	if (s3_perform(site, &c) || c.status == 404)
		return ok;
	s3_report(WARNING, site, &c,
			  psprintf("could not remove object %s from site \"%s\"",
					   wosoid_to_cstring(oid), site->name));
	return false;
}

/* The part of a key after "<prefix>/", if it names an object; else NULL. */
static const char *
s3_entry_oid(S3Site *cfg, const char *key, WosOid *oid)
{
	size_t		plen = strlen(cfg->prefix);
	char		idtext[WOSOID_TEXT_LEN + 1];

	if (strncmp(key, cfg->prefix, plen) != 0 || key[plen] != '/')
		return NULL;
	key += plen + 1;
	if (strlen(key) != WOSOID_TEXT_LEN)
		return NULL;
	memcpy(idtext, key, WOSOID_TEXT_LEN + 1);
	return wosoid_parse(idtext, oid) ? key : NULL;
}

/*
 * Everything under the prefix: the objects (ListObjectsV2, page by page)
 * and the multipart uploads in progress (ListMultipartUploads), which the
 * sweep sees as partial writes ("<oid>?uploadId=<id>").
 */
static void
s3_list(StoreSite *site, store_list_cb cb, void *arg)
{
	S3Site	   *cfg = s3_cfg(site);
	char	   *prefix = s3_uri_encode(psprintf("%s/", cfg->prefix));
	MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath s3 list",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	char	   *token = NULL;
	char	   *key_marker = NULL;
	char	   *id_marker = NULL;
	bool		more;

	/* objects */
	do
	{
		S3Call		c = {0};
		List	   *keys = NIL;
		const char *p;
		const char *end;
		char	   *t;
		ListCell   *lc;

		old = MemoryContextSwitchTo(page_cxt);
		c.method = "GET";
		c.query = token ?
			psprintf("continuation-token=%s&list-type=2&prefix=%s", s3_uri_encode(token), prefix) :
			psprintf("list-type=2&prefix=%s", prefix);
		c.want_body = true;
		if (!s3_perform(site, &c) || c.xml == NULL)
			s3_report(ERROR, site, &c,
					  psprintf("could not list site \"%s\"", site->name));
		end = c.xml + strlen(c.xml);
		p = c.xml;
		while ((p = strstr(p, "<Contents>")) != NULL)
		{
			const char *next;
			char	   *k = xml_value(p, end, "Key", &next);

			if (k == NULL)
				break;
			keys = lappend(keys, k);
			p = next;
		}
		t = xml_value(c.xml, end, "IsTruncated", NULL);
		more = t && strcmp(t, "true") == 0;
		t = more ? xml_value(c.xml, end, "NextContinuationToken", NULL) : NULL;
		MemoryContextSwitchTo(old);
		token = t ? pstrdup(t) : NULL;
		more = more && token != NULL;

		foreach(lc, keys)
		{
			WosOid		oid;
			const char *name;

			CHECK_FOR_INTERRUPTS();
			if ((name = s3_entry_oid(cfg, lfirst(lc), &oid)) != NULL)
				cb(site, oid, name, false, arg);
		}
		MemoryContextReset(page_cxt);
	} while (more);

	/* multipart uploads in progress */
	do
	{
		S3Call		c = {0};
		List	   *ups = NIL;
		const char *p;
		const char *end;
		char	   *t;
		ListCell   *lc;

		old = MemoryContextSwitchTo(page_cxt);
		c.method = "GET";
		c.query = psprintf("%s%sprefix=%s%s%s&uploads=",
						   key_marker ? "key-marker=" : "",
						   key_marker ? psprintf("%s&", s3_uri_encode(key_marker)) : "",
						   prefix,
						   id_marker ? "&upload-id-marker=" : "",
						   id_marker ? s3_uri_encode(id_marker) : "");
		c.want_body = true;
		if (!s3_perform(site, &c) || c.xml == NULL)
			s3_report(ERROR, site, &c,
					  psprintf("could not list the uploads in progress on site \"%s\"", site->name));
		end = c.xml + strlen(c.xml);
		p = c.xml;
		while ((p = strstr(p, "<Upload>")) != NULL)
		{
			const char *uend = strstr(p, "</Upload>");
			char	   *k;
			char	   *id;

			if (uend == NULL)
				break;
			k = xml_value(p, uend, "Key", NULL);
			id = xml_value(p, uend, "UploadId", NULL);
			if (k && id)
				ups = lappend(ups, list_make2(k, id));
			p = uend;
		}
		t = xml_value(c.xml, end, "IsTruncated", NULL);
		more = t && strcmp(t, "true") == 0;
		MemoryContextSwitchTo(old);
		if (more)
		{
			char	   *km = xml_value(c.xml, end, "NextKeyMarker", NULL);
			char	   *im = xml_value(c.xml, end, "NextUploadIdMarker", NULL);

			key_marker = km ? pstrdup(km) : NULL;
			id_marker = im ? pstrdup(im) : NULL;
			more = key_marker != NULL;
		}

		foreach(lc, ups)
		{
			List	   *u = lfirst(lc);
			WosOid		oid;
			const char *name;

			CHECK_FOR_INTERRUPTS();
			if ((name = s3_entry_oid(cfg, linitial(u), &oid)) != NULL)
			{
				char	   *entry = psprintf("%s?uploadId=%s", name, (char *) lsecond(u));

				cb(site, oid, entry, true, arg);
				pfree(entry);
			}
		}
		MemoryContextReset(page_cxt);
	} while (more);
	MemoryContextDelete(page_cxt);
}

/* Remove one entry found by s3_list(): an object, or an upload to abort. */
static bool
s3_remove_entry(StoreSite *site, const char *name)
{
	S3Site	   *cfg = s3_cfg(site);
	const char *q = strstr(name, "?uploadId=");
	S3Call		c = {0};

	if (q)
		return upload_abort(site, psprintf("%s/%.*s", cfg->prefix, (int) (q - name), name),
							q + strlen("?uploadId="));
	c.method = "DELETE";
	c.key = psprintf("%s/%s", cfg->prefix, name);
	if (s3_perform(site, &c) || c.status == 404)
		return true;
	s3_report(WARNING, site, &c,
			  psprintf("could not remove \"%s\" from site \"%s\"", c.key, site->name));
	return false;
}

const StoreMethods store_s3_methods = {
	.kind = "s3",
	.cost = 10,					/* a network away: directories first */
	.attach = s3_attach,
	.validate = s3_validate,
	.available = s3_available,
	.begin_write = s3_begin_write,
	.write = s3_write,
	.finish_write = s3_finish_write,
	.abort_write = s3_abort_write,
	.open_read = s3_open_read,
	.read = s3_read,
	.close_read = s3_close_read,
	.remove = s3_remove,
	.list = s3_list,
	.remove_entry = s3_remove_entry,
	.local_path = NULL,
};
