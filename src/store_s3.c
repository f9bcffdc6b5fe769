/*
 * store_s3.c
 *		S3 sites: copies as objects in a bucket of an S3-compatible store
 *		(Ceph RGW, MinIO, AWS S3), spoken to through libcurl.  This file
 *		holds a site's settings (options, endpoints, the credentials file),
 *		adding and checking a site, writes, removal and the method table;
 *		requests are made by s3_request.c, replies parsed by s3_xml.c,
 *		copies read by s3_reader.c and sites listed by s3_list.c.
 *
 * A copy of object X is the S3 object "<prefix>/<X>" in the site's bucket;
 * "<prefix>/.eoswath-site" is the marker written when the site was added
 * (available() checks it).  Integrity is checked end to end by the object
 * layer's SHA-256.
 *
 * Writes: a copy up to eoswath.s3_part_size bytes is buffered and sent with
 * one PUT when it finishes; a larger one becomes a multipart upload whose
 * parts are sent as the buffer fills, and completed in finish_write().  A
 * part is sent in the background (s3_async_start()) while the next one
 * fills another buffer, so that reading the client and sending to the
 * server overlap; up to S3_PARTS_IN_FLIGHT (2) parts per copy are in
 * flight, each on its own connection, so a copy buffers at most three parts.  An
 * object is therefore invisible under its key until finish_write() returns,
 * and durable when it returns (the server's 200).  Uploads in progress are
 * listed in this process so that remove() (the transaction callbacks) can
 * abort them; what a crash or an unreachable server leaves behind is found
 * by the sweep, which lists incomplete multipart uploads too.
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "s3.h"

#define S3_MARKER			".eoswath-site"
#define S3_MAX_PARTS		10000
#define S3_MB				(1024 * 1024)
#define S3_MAX_PART_SIZE	(512 * S3_MB)	/* eoswath.s3_part_size's largest value */
#define S3_AVAILABLE_TTL_MS 5000

/*
 * Parts of one copy in flight at once, at most: each is a request on its own
 * connection, so the server receives (and checksums) them side by side.
 * A copy buffers one part more than this: the one filling.
 */
#define S3_PARTS_IN_FLIGHT	2

/*
 * A put of unknown size (a stream) doubles its part size every
 * S3_GROW_EVERY parts, up to S3_GROW_MAX times eoswath.s3_part_size, so
 * that S3's 10000 parts hold 867 GiB at the default 8 MB (78 GiB without):
 * 1000 parts each of 8, 16, 32 and 64 MB, then 6000 of 128 MB.
 */
#ifndef S3_GROW_EVERY			/* -DS3_GROW_EVERY=2 to check it by hand */
#define S3_GROW_EVERY		1000
#endif
#define S3_GROW_MAX			16

/* A part being sent. */
typedef struct S3Part
{
	S3Call		call;			/* its request (its body is a part buffer) */
	S3Async    *async;			/* its background slot, or NULL */
	int			number;			/* its part number */
	size_t		bufsize;		/* its buffer's size */
} S3Part;

/* One copy being written. */
typedef struct S3Writer
{
	StoreSite  *site;
	WosOid		oid;
	char	   *key;
	char	   *buf;			/* the part being filled */
	size_t		buflen;
	size_t		bufcap;
	size_t		part_size;
	size_t		part_size_max;	/* it grows up to this (size unknown) */
	char	   *upload_id;		/* NULL until a multipart upload begins */
	int			nparts;			/* parts sent and acknowledged, in order */
	int			nsent;			/* parts started: nparts + those in flight */
	StringInfoData parts;		/* <Part> elements of the completion */
	int64		total;
	/* parts in flight, oldest first: sending[(first + i) % N], i < nsending */
	S3Part		sending[S3_PARTS_IN_FLIGHT];
	int			first;
	int			nsending;
	/* part buffers not in use (each part_size bytes) */
	char	   *spare[S3_PARTS_IN_FLIGHT];
	int			nspare;
} S3Writer;

/* A multipart upload this process has begun and not completed or aborted. */
typedef struct S3Upload
{
	int32		site_id;
	WosOid		oid;
	char	   *upload_id;
} S3Upload;

static List *s3_uploads = NIL;	/* S3Upload *, in TopMemoryContext */

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

/* An endpoint URL as a message may show it: never with user info (a password). */
static const char *
endpoint_shown(const char *url)
{
	return strchr(url, '@') ? "(URL with user info)" : url;
}

/*
 * An endpoint URL, checked: http(s), a host and maybe a port, nothing else
 * (no user info, path, query or fragment).  Returns it without a trailing
 * slash.  http is refused unless eoswath.s3_allow_http is on.  elevel ERROR
 * when a site is added; a lower one when a stored site is used (the request
 * is then refused, without breaking everything that reads the sites).
 */
char *
s3_check_endpoint(const char *url, int elevel, bool *ok)
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
					 errmsg("S3 endpoint \"%s\" uses plain http", endpoint_shown(u)),
					 errhint("Use https, or have a superuser set eoswath.s3_allow_http.")));
			return u;
		}
	}
	else
	{
		ereport(elevel,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 endpoint \"%s\" is not an http or https URL", endpoint_shown(u))));
		return u;
	}
	if (*host == '\0' || n > 400 || strpbrk(host, "@/?#\\ \t\r\n") != NULL)
	{
		ereport(elevel,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 endpoint \"%s\" must be scheme://host[:port] and nothing more",
						endpoint_shown(u))));
		return u;
	}
	*ok = true;
	return u;
}

/* An option with two values: false for the first, true for the second. */
static bool
option_choice(const char *option, const char *value, const char *no, const char *yes)
{
	if (strcmp(value, yes) == 0)
		return true;
	if (strcmp(value, no) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("S3 site option \"%s\" must be \"%s\" or \"%s\"", option, no, yes)));
	return false;
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
	cfg->endpoints[cfg->nendpoints++] = s3_check_endpoint(site->location, strict ? ERROR : DEBUG1, &ok);

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
					s3_check_endpoint(pnstrdup(e.val.string.val, e.val.string.len),
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
	cfg->virtual_host = option_choice("addressing", addressing, "path", "virtual");
	cfg->creds_from_file = option_choice("credentials", credentials, "stored", "file");
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

/* A site's settings, parsed when first needed (attach() parses them). */
S3Site *
s3_cfg(StoreSite *site)
{
	if (site->private == NULL)
		site->private = s3_parse(site, false);
	return (S3Site *) site->private;
}

/* The key of a copy: "<prefix>/<oid>". */
char *
s3_key(StoreSite *site, WosOid oid)
{
	char		name[WOSOID_TEXT_LEN + 1];

	wosoid_format(oid, name);
	return psprintf("%s/%s", s3_cfg(site)->prefix, name);
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
bool
s3_upload_abort(StoreSite *site, const char *key, const char *upload_id)
{
	S3Call		c = {0};

	/* a part still in flight would otherwise land after the abort */
	s3_async_stop_key(key);
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

static void s3_write_marker(StoreSite *site, const char *text);
static char *s3_read_note(StoreSite *site, const char *name, char **why);

static void
s3_validate(StoreSite *site, bool create)
{
	S3Site	   *cfg = s3_parse(site, true);
	S3Call		c = {0};

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

	s3_write_marker(site, site->marker);
}

/* Replace the marker object (a PUT is atomic on S3). */
static void
s3_write_note(StoreSite *site, const char *name, const char *text)
{
	S3Site	   *cfg = s3_cfg(site);
	S3Call		c = {0};

	c.method = "PUT";
	c.key = psprintf("%s/%s", cfg->prefix, name);
	c.upload = text;
	c.upload_len = strlen(text);
	if (!s3_perform(site, &c))
		s3_report(ERROR, site, &c,
				  psprintf("could not write \"%s\" of S3 site \"%s\"", c.key, site->name));
}

static void
s3_write_marker(StoreSite *site, const char *text)
{
	s3_write_note(site, S3_MARKER, text);
}

static char *
s3_read_marker(StoreSite *site, char **why)
{
	return s3_read_note(site, S3_MARKER, why);
}

/* The text of a small object beside the marker, or NULL and why. */
static char *
s3_read_note(StoreSite *site, const char *name, char **why)
{
	S3Site	   *cfg = s3_cfg(site);
	S3Call		c = {0};
	const char *kind = strcmp(name, S3_MARKER) == 0 ? "marker" : "file";

	if (cfg->broken)
	{
		*why = pstrdup(cfg->broken);
		return NULL;
	}
	c.method = "GET";
	c.key = psprintf("%s/%s", cfg->prefix, name);
	c.want_body = true;
	c.max_rounds = 1 + Min(eoswath_s3_retries, 1);
	if (s3_perform(site, &c) && c.xml != NULL)
		return c.xml;
	*why = c.status == 404 ? psprintf("%s \"%s\" is missing", kind, c.key) :
		c.status == 0 ? pstrdup("no answer from the S3 service") :
		psprintf("reading %s \"%s\" answered HTTP %ld", kind, c.key, c.status);
	return NULL;
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

/*
 * The writer's memory goes (an error, the end of the query): stop its parts
 * in flight.  Their buffers go with the memory.
 */
static void
s3_writer_gone(void *arg)
{
	S3Writer   *w = arg;

	for (int i = 0; i < w->nsending; i++)
	{
		S3Part	   *p = &w->sending[(w->first + i) % S3_PARTS_IN_FLIGHT];

		s3_async_stop(p->async, &p->call);
		p->async = NULL;
	}
	w->nsending = 0;
}

static void *
s3_begin_write(StoreSite *site, WosOid oid, int64 size_hint)
{
	S3Writer   *w = palloc0(sizeof(S3Writer));
	MemoryContextCallback *cb = palloc(sizeof(MemoryContextCallback));

	(void) s3_cfg(site);
	w->site = site;
	w->oid = oid;
	w->key = s3_key(site, oid);
	w->part_size = eoswath_s3_part_size;
	/*
	 * A known size that needs more parts than S3 allows: larger parts, in
	 * whole MBs, up to the setting's largest value (then the part count
	 * check in s3_flush_part() says so).
	 */
	if (size_hint > (int64) w->part_size * S3_MAX_PARTS)
		w->part_size = Min(((size_hint + S3_MAX_PARTS - 1) / S3_MAX_PARTS + S3_MB - 1) & ~((int64) S3_MB - 1),
						   (int64) S3_MAX_PART_SIZE);
	w->part_size_max = w->part_size;
	if (size_hint < 0)
		w->part_size_max = Min(w->part_size * S3_GROW_MAX, (size_t) S3_MAX_PART_SIZE);
	/* the buffer grows to one part: small objects take little memory */
	w->bufcap = size_hint > 0 ? Min((size_t) size_hint, w->part_size) : Min(w->part_size, 1024 * 1024);
	w->buf = palloc(w->bufcap);
	initStringInfo(&w->parts);
	cb->func = s3_writer_gone;
	cb->arg = w;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
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
		(w->upload_id = s3_xml_value(c.xml, c.xml + strlen(c.xml), "UploadId", NULL)) == NULL)
	{
		if (c.status >= 200 && c.status < 300)
			s3_problem(&c, S3_PROBLEM_ANSWER, "the answer has no UploadId");
		s3_report(ERROR, w->site, &c,
				  psprintf("could not start the upload of object %s to site \"%s\"",
						   wosoid_to_cstring(w->oid), w->site->name));
	}
	upload_register(w->site, w->oid, w->upload_id);
}

/*
 * Wait for the oldest part in flight and note its ETag; its buffer becomes
 * a spare one.  False: the site is out of space.
 */
static bool
s3_part_wait(S3Writer *w)
{
	S3Part	   *p = &w->sending[w->first];
	S3Call	   *c = &p->call;
	bool		ok;

	Assert(w->nsending > 0);
	ok = p->async ? s3_async_finish(p->async, w->site, c) : s3_perform(w->site, c);
	p->async = NULL;
	w->first = (w->first + 1) % S3_PARTS_IN_FLIGHT;
	w->nsending--;
	if (p->bufsize == w->part_size)
		w->spare[w->nspare++] = (char *) c->upload;
	else
		pfree((char *) c->upload);	/* smaller: the part size grew since */
	if (!ok || c->etag[0] == '\0')
	{
		if (s3_out_of_space(c))
		{
			s3_report(LOG, w->site, c,
					  psprintf("could not upload part %d of object %s to site \"%s\"",
							   p->number, wosoid_to_cstring(w->oid), w->site->name));
			return false;
		}
		if (c->status >= 200 && c->status < 300)
			s3_problem(c, S3_PROBLEM_ANSWER, "the answer has no ETag");
		s3_report(ERROR, w->site, c,
				  psprintf("could not upload part %d of object %s to site \"%s\"",
						   p->number, wosoid_to_cstring(w->oid), w->site->name));
	}
	Assert(p->number == w->nparts + 1);
	w->nparts++;
	appendStringInfo(&w->parts, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
					 w->nparts, c->etag);
	return true;
}

/* Wait for every part in flight; false: the site is out of space. */
static bool
s3_part_wait_all(S3Writer *w)
{
	while (w->nsending > 0)
		if (!s3_part_wait(w))
			return false;
	return true;
}

/*
 * Send the buffered bytes as the next part, in the background; the buffer
 * is then a spare one, empty.  With S3_PARTS_IN_FLIGHT parts in flight, the
 * oldest is waited for first.  False: the site is out of space.
 */
static bool
s3_flush_part(S3Writer *w)
{
	S3Part	   *p;
	S3Call	   *c;
	char	   *full = w->buf;
	size_t		fullsize = w->bufcap;
	MemoryContext cxt = GetMemoryChunkContext(w);

	if (w->upload_id == NULL)
		s3_initiate(w);
	if (w->nsending == S3_PARTS_IN_FLIGHT && !s3_part_wait(w))
		return false;
	if (w->nsent == S3_MAX_PARTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("object %s needs more than %d parts", wosoid_to_cstring(w->oid), S3_MAX_PARTS),
				 errhint("Raise eoswath.s3_part_size.")));
	/* at most S3_PARTS_IN_FLIGHT + 1 buffers, all of part_size bytes */
	w->buf = w->nspare > 0 ? w->spare[--w->nspare] : eoswath_alloc_big(cxt, w->part_size);
	w->bufcap = w->part_size;

	p = &w->sending[(w->first + w->nsending) % S3_PARTS_IN_FLIGHT];
	c = &p->call;
	/* in the writer's memory: a retry, later, signs the query again */
	if (c->query)
		pfree((char *) c->query);
	memset(p, 0, sizeof(S3Part));
	p->number = ++w->nsent;
	p->bufsize = fullsize;
	c->method = "PUT";
	c->key = w->key;
	c->query = MemoryContextStrdup(cxt, psprintf("partNumber=%d&uploadId=%s", p->number,
												 s3_uri_encode(w->upload_id)));
	c->upload = full;
	c->upload_len = w->buflen;
	w->buflen = 0;
	w->nsending++;
	if (w->nsent % S3_GROW_EVERY == 0 && w->part_size < w->part_size_max)
	{
		/* a stream of unknown size: larger parts from here on */
		w->part_size = Min(w->part_size * 2, w->part_size_max);
		while (w->nspare > 0)
			pfree(w->spare[--w->nspare]);
	}
	p->async = s3_async_start(w->site, c);
	if (p->async == NULL)
		return s3_part_wait_all(w); /* in the foreground, then, in order */
	s3_async_progress();
	return true;
}

static bool
s3_write(void *handle, const char *data, size_t len)
{
	S3Writer   *w = handle;

	while (len > 0)
	{
		size_t		n;

		if (w->buflen == w->part_size && !s3_flush_part(w))
			return false;
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
	if (w->nsending > 0)
		s3_async_progress();	/* the parts in flight go on meanwhile */
	return true;
}

/* Free the writer's part buffers (none is in flight). */
static void
s3_writer_free(S3Writer *w)
{
	if (w->buf)
		pfree(w->buf);
	w->buf = NULL;
	while (w->nspare > 0)
		pfree(w->spare[--w->nspare]);
}

static bool
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
		{
			s3_report(s3_out_of_space(&c) ? LOG : ERROR, w->site, &c,
					  psprintf("could not write object %s to site \"%s\"",
							   wosoid_to_cstring(w->oid), w->site->name));
			return false;
		}
	}
	else
	{
		char	   *body;

		if (w->buflen > 0 && !s3_flush_part(w))
			return false;
		if (!s3_part_wait_all(w))
			return false;
		body = psprintf("<CompleteMultipartUpload>%s</CompleteMultipartUpload>", w->parts.data);
		c.method = "POST";
		c.key = w->key;
		c.query = psprintf("uploadId=%s", s3_uri_encode(w->upload_id));
		c.upload = body;
		c.upload_len = strlen(body);
		c.want_body = true;
		if (!s3_perform(w->site, &c))
		{
			s3_report(s3_out_of_space(&c) ? LOG : ERROR, w->site, &c,
					  psprintf("could not complete the upload of object %s to site \"%s\"",
							   wosoid_to_cstring(w->oid), w->site->name));
			return false;
		}
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
	s3_writer_free(w);
	return true;
}

static void
s3_abort_write(void *handle)
{
	S3Writer   *w = handle;

	s3_writer_gone(w);
	if (w->upload_id)
	{
		(void) s3_upload_abort(w->site, w->key, w->upload_id);
		upload_forget(w->site, w->oid, w->upload_id);
		w->upload_id = NULL;
	}
	s3_writer_free(w);
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
		ok = s3_upload_abort(site, key, u->upload_id) && ok;
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

const StoreMethods store_s3_methods = {
	.kind = "s3",
	.cost = 10,					/* a network away: directories first */
	.attach = s3_attach,
	.validate = s3_validate,
	.available = s3_available,
	.read_marker = s3_read_marker,
	.write_marker = s3_write_marker,
	.read_note = s3_read_note,
	.write_note = s3_write_note,
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
