/*
 * s3_list.c
 *		Listing an S3 site for the sweep: the objects under the site's
 *		prefix and the multipart uploads in progress there, and removing one
 *		entry found that way.
 */
#include "eoswath.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "s3.h"

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
void
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
			char	   *k = s3_xml_value(p, end, "Key", &next);

			if (k == NULL)
				break;
			keys = lappend(keys, k);
			p = next;
		}
		t = s3_xml_value(c.xml, end, "IsTruncated", NULL);
		more = t && strcmp(t, "true") == 0;
		t = more ? s3_xml_value(c.xml, end, "NextContinuationToken", NULL) : NULL;
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
			k = s3_xml_value(p, uend, "Key", NULL);
			id = s3_xml_value(p, uend, "UploadId", NULL);
			if (k && id)
				ups = lappend(ups, list_make2(k, id));
			p = uend;
		}
		t = s3_xml_value(c.xml, end, "IsTruncated", NULL);
		more = t && strcmp(t, "true") == 0;
		MemoryContextSwitchTo(old);
		if (more)
		{
			char	   *km = s3_xml_value(c.xml, end, "NextKeyMarker", NULL);
			char	   *im = s3_xml_value(c.xml, end, "NextUploadIdMarker", NULL);

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
bool
s3_remove_entry(StoreSite *site, const char *name)
{
	S3Site	   *cfg = s3_cfg(site);
	const char *q = strstr(name, "?uploadId=");
	S3Call		c = {0};

	if (q)
		return s3_upload_abort(site, psprintf("%s/%.*s", cfg->prefix, (int) (q - name), name),
							q + strlen("?uploadId="));
	c.method = "DELETE";
	c.key = psprintf("%s/%s", cfg->prefix, name);
	if (s3_perform(site, &c) || c.status == 404)
		return true;
	s3_report(WARNING, site, &c,
			  psprintf("could not remove \"%s\" from site \"%s\"", c.key, site->name));
	return false;
}
