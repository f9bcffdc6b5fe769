/*
 * s3_xml.c
 *		Parsing of the XML replies of S3 servers: the text of an element,
 *		the code of an error document, and the pages of listings.  Replies are small and of a known
 *		shape, so a few string searches do; nothing here needs a full XML
 *		parser.
 */
#include "eoswath.h"

#include "lib/stringinfo.h"

#include "s3.h"

/* The text of <tag>...</tag> in [p, end), XML entities decoded; NULL if absent. */
char *
s3_xml_value(const char *p, const char *end, const char *tag, const char **after)
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

/* Is a reply body an error document (even with a 200)? */
bool
s3_xml_is_error(const char *body)
{
	return strstr(body, "<Error>") != NULL;
}

/*
 * The <Code> of an error document into code (size bytes), left as it is
 * if absent or too long.  Allocates nothing: it runs where no error may be
 * raised.
 */
void
s3_xml_error_code(const char *body, char *code, size_t size)
{
	const char *p = strstr(body, "<Code>");

	if (p)
	{
		const char *e = strstr(p, "</Code>");

		if (e && e - p - 6 < (long) size)
		{
			memcpy(code, p + 6, e - p - 6);
			code[e - p - 6] = '\0';
		}
	}
}

/*
 * One page of a listing: the keys of ListObjectsV2's <Contents>, or the
 * keys and upload ids of ListMultipartUploads' <Upload>, and where the next
 * page starts if the listing is truncated.
 */
void
s3_xml_list_page(const char *xml, bool uploads, S3ListPage *page)
{
	const char *open = uploads ? "<Upload>" : "<Contents>";
	const char *close = uploads ? "</Upload>" : "</Contents>";
	const char *end = xml + strlen(xml);
	const char *p = xml;
	char	   *t;

	memset(page, 0, sizeof(S3ListPage));
	while ((p = strstr(p, open)) != NULL)
	{
		const char *e = strstr(p, close);
		char	   *key;
		char	   *id = NULL;

		if (e == NULL)
			break;
		key = s3_xml_value(p, e, "Key", NULL);
		if (uploads)
			id = s3_xml_value(p, e, "UploadId", NULL);
		if (key && (id || !uploads))
		{
			page->keys = lappend(page->keys, key);
			if (uploads)
				page->upload_ids = lappend(page->upload_ids, id);
		}
		p = e;
	}
	t = s3_xml_value(xml, end, "IsTruncated", NULL);
	page->truncated = t && strcmp(t, "true") == 0;
	if (page->truncated)
	{
		page->next_marker = s3_xml_value(xml, end, uploads ? "NextKeyMarker" : "NextContinuationToken", NULL);
		if (uploads)
			page->next_id_marker = s3_xml_value(xml, end, "NextUploadIdMarker", NULL);
	}
}
