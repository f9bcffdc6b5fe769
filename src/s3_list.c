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
 * The query of one page of a listing, signed as given (sorted, encoded):
 * ListObjectsV2 after a continuation token, or ListMultipartUploads after
 * a key marker and an upload id marker.
 */
static char *
list_query(bool uploads, const char *prefix, const char *marker, const char *id_marker)
{
	if (!uploads)
		return marker ?
			psprintf("continuation-token=%s&list-type=2&prefix=%s", s3_uri_encode(marker), prefix) :
			psprintf("list-type=2&prefix=%s", prefix);
	return psprintf("%s%sprefix=%s%s%s&uploads=",
					marker ? "key-marker=" : "",
					marker ? psprintf("%s&", s3_uri_encode(marker)) : "",
					prefix,
					id_marker ? "&upload-id-marker=" : "",
					id_marker ? s3_uri_encode(id_marker) : "");
}

/*
 * Page through one listing of the site's prefix, the objects or the
 * multipart uploads in progress, and hand cb every entry that names an
 * object.  Memory: one page at a time.
 */
static void
list_pages(StoreSite *site, bool uploads, store_list_cb cb, void *arg)
{
	S3Site	   *cfg = s3_cfg(site);
	char	   *prefix = s3_uri_encode(psprintf("%s/", cfg->prefix));
	MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath s3 list",
												   ALLOCSET_DEFAULT_SIZES);
	char	   *marker = NULL;
	char	   *id_marker = NULL;
	bool		more;

	do
	{
		MemoryContext old = MemoryContextSwitchTo(page_cxt);
		S3Call		c = {0};
		S3ListPage	page;

		c.method = "GET";
		c.query = list_query(uploads, prefix, marker, id_marker);
		c.want_body = true;
		if (!s3_perform(site, &c) || c.xml == NULL)
			s3_report(ERROR, site, &c, uploads ?
					  psprintf("could not list the uploads in progress on site \"%s\"", site->name) :
					  psprintf("could not list site \"%s\"", site->name));
		s3_xml_list_page(c.xml, uploads, &page);
		MemoryContextSwitchTo(old);
		marker = page.next_marker ? pstrdup(page.next_marker) : NULL;
		id_marker = page.next_id_marker ? pstrdup(page.next_id_marker) : NULL;
		more = page.truncated && marker != NULL;

		for (int i = 0; i < list_length(page.keys); i++)
		{
			WosOid		oid;
			const char *name;

			CHECK_FOR_INTERRUPTS();
			if ((name = s3_entry_oid(cfg, list_nth(page.keys, i), &oid)) == NULL)
				continue;
			if (uploads)
			{
				char	   *entry = psprintf("%s?uploadId=%s", name,
											 (char *) list_nth(page.upload_ids, i));

				cb(site, oid, entry, true, arg);
				pfree(entry);
			}
			else
				cb(site, oid, name, false, arg);
		}
		MemoryContextReset(page_cxt);
	} while (more);
	MemoryContextDelete(page_cxt);
}

/*
 * Everything under the prefix: the objects (ListObjectsV2, page by page)
 * and the multipart uploads in progress (ListMultipartUploads), which the
 * sweep sees as partial writes ("<oid>?uploadId=<id>").
 */
void
s3_list(StoreSite *site, store_list_cb cb, void *arg)
{
	list_pages(site, false, cb, arg);
	list_pages(site, true, cb, arg);
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
