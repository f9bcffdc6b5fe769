/*
 * s3.h
 *		Private header of the S3 backend, included only by its files:
 *		store_s3.c (site settings, writes, the method table), s3_request.c
 *		(the libcurl request engine), s3_xml.c (parsing replies), s3_list.c
 *		(listing for the sweep) and s3_reader.c (reading copies).
 *
 * Nothing else includes this: the rest of eoswath sees S3 sites only
 * through store_s3_methods (store.h).
 */
#ifndef EOSWATH_S3_H
#define EOSWATH_S3_H

#include "eoswath.h"

#include "nodes/pg_list.h"
#include "utils/timestamp.h"

#include <curl/curl.h>

#include "store.h"

/* ---- settings (guc.c) ---- */

extern int	eoswath_s3_part_size;	/* bytes */
extern int	eoswath_s3_read_ahead;	/* bytes */
extern int	eoswath_s3_retries;
extern int	eoswath_s3_retry_delay; /* ms, first backoff */
extern int	eoswath_s3_retry_max_delay; /* ms */
extern int	eoswath_s3_connect_timeout; /* ms */
extern int	eoswath_s3_io_timeout;	/* s without progress */
extern int	eoswath_s3_max_rate;	/* bytes/s per transfer, 0: unlimited */
extern bool eoswath_s3_allow_http;
extern char *eoswath_s3_ca_file;
extern char *eoswath_s3_ca_path;
extern char *eoswath_s3_credentials_file;

/* ---- store_s3.c: a site's settings ---- */

#define S3_MAX_ENDPOINTS	8

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

extern S3Site *s3_cfg(StoreSite *site);
extern char *s3_key(StoreSite *site, WosOid oid);
extern char *s3_check_endpoint(const char *url, int elevel, bool *ok);
extern bool s3_upload_abort(StoreSite *site, const char *key, const char *upload_id);

/* ---- s3_request.c: requests ---- */

/*
 * Why a request could not be made, or failed on this side; the SQLSTATE of
 * its report follows from the kind, never from the words of the message.
 */
typedef enum S3ProblemKind
{
	S3_PROBLEM_NONE,
	S3_PROBLEM_LOCAL,			/* curl would not start, endless interrupts */
	S3_PROBLEM_LIBCURL,			/* a libcurl call failed (a bug, or no memory) */
	S3_PROBLEM_OPTIONS,			/* the site's stored options are unusable */
	S3_PROBLEM_PLAIN_HTTP,		/* http endpoint, eoswath.s3_allow_http off */
	S3_PROBLEM_CREDENTIALS,		/* no credentials for the site */
	S3_PROBLEM_ANSWER			/* the server's answer lacks what it must have */
} S3ProblemKind;

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
	CURL	   *handle;			/* the handle of the attempt */
	size_t		upload_pos;
	size_t		dest_len;
	char	   *body;			/* malloc'd, freed before s3_perform returns */
	size_t		body_len;
	size_t		body_cap;
	bool		overflow;
	bool		interrupted;
	CURLcode	cb_rc;			/* a libcurl call in a callback failed */

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
	S3ProblemKind problem_kind;
	const char *problem;		/* a local reason the request could not be made */
} S3Call;

/* per-site memory of this process: the endpoint that last worked, health */
typedef struct S3SiteSlot
{
	int32		site_id;
	int			endpoint;
	TimestampTz available_until;
} S3SiteSlot;

extern S3SiteSlot *s3_slot(StoreSite *site);
extern CURL *s3_handle(void);
extern char *s3_uri_encode(const char *s);
extern void s3_problem(S3Call *c, S3ProblemKind kind, const char *why);
extern void s3_ack_now(void);

#define S3_ACK_TAIL		(1024 * 1024)	/* see s3_ack_now() */
extern bool s3_setup(CURL *h, StoreSite *site, S3Call *c, int endpoint,
					 struct curl_slist **headers_out);
extern bool s3_perform(StoreSite *site, S3Call *c);
extern void s3_report(int elevel, StoreSite *site, S3Call *c, const char *what);
extern bool s3_out_of_space(S3Call *c);

/* a request made in the background: a part sent while the next one fills */
typedef struct S3Async S3Async;

extern S3Async *s3_async_start(StoreSite *site, S3Call *c);
extern void s3_async_progress(void);
extern bool s3_async_finish(S3Async *a, StoreSite *site, S3Call *c);
extern void s3_async_stop(S3Async *a, S3Call *c);
extern void s3_async_stop_key(const char *key);

/* ---- s3_xml.c: replies ---- */

/* One page of a listing of objects or of multipart uploads. */
typedef struct S3ListPage
{
	List	   *keys;			/* char *: the keys of the entries */
	List	   *upload_ids;		/* char *: uploads only, one per key */
	bool		truncated;		/* more pages follow */
	char	   *next_marker;	/* NextContinuationToken, or NextKeyMarker */
	char	   *next_id_marker; /* NextUploadIdMarker (uploads) */
} S3ListPage;

extern char *s3_xml_value(const char *p, const char *end, const char *tag,
						  const char **after);
extern bool s3_xml_is_error(const char *body);
extern void s3_xml_error_code(const char *body, char *code, size_t size);
extern void s3_xml_list_page(const char *xml, bool uploads, S3ListPage *page);

/* ---- s3_list.c: listing for the sweep ---- */

extern void s3_list(StoreSite *site, store_list_cb cb, void *arg);
extern bool s3_remove_entry(StoreSite *site, const char *name);

/* ---- s3_reader.c: reading copies ---- */

extern void *s3_open_read(StoreSite *site, WosOid oid, int64 *size);
extern size_t s3_read(void *handle, char *buf, size_t len, int64 offset);
extern void s3_close_read(void *handle);

#endif							/* EOSWATH_S3_H */
