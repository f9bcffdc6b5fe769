/*
 * s3_xml.c
 *		Parsing of the XML replies of S3 servers: the text of an element,
 *		and the code of an error document.  Replies are small and of a known
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
