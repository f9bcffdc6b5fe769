/*
 * store.c
 *		Sites and the registry of storage backends.
 */
#include "eoswath.h"

#include "store.h"

static const StoreMethods *const backends[] = {
	&store_fs_methods,
	&store_s3_methods,
};

/* The backend for a kind of site; an unknown kind is an error. */
const StoreMethods *
store_methods_for(const char *kind)
{
	for (int i = 0; i < lengthof(backends); i++)
		if (strcmp(backends[i]->kind, kind) == 0)
			return backends[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown site kind \"%s\"", kind)));
	return NULL;				/* keep compiler quiet */
}

/*
 * A site description in the current memory context, with its backend
 * attached.  The caller passes everything the backend may need, the stored
 * credentials included (NULL: none): backends never read the catalog.
 */
StoreSite *
store_site_make(int32 id, const char *name, const char *kind,
				const char *location, Jsonb *options, bool enabled,
				const char *access_key, const char *secret_key)
{
	StoreSite  *s = palloc0(sizeof(StoreSite));

	s->id = id;
	s->name = pstrdup(name);
	s->kind = pstrdup(kind);
	s->location = pstrdup(location);
	if (options)
	{
		s->options = palloc(VARSIZE(options));
		memcpy(s->options, options, VARSIZE(options));
	}
	s->enabled = enabled;
	s->access_key = access_key ? pstrdup(access_key) : NULL;
	s->secret_key = secret_key ? pstrdup(secret_key) : NULL;
	s->methods = store_methods_for(kind);
	s->cost = s->methods->cost;
	if (s->methods->attach)
		s->methods->attach(s);
	return s;
}

/*
 * Split the credentials ("access_key", "secret_key") off a site's options:
 * they are stored apart from the options, which admins can read.  Returns
 * the options without them; NULL into *access_key / *secret_key if absent.
 */
Jsonb *
store_take_credentials(Jsonb *options, char **access_key, char **secret_key)
{
	JsonbParseState *state = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue *res = NULL;
	char	  **target = NULL;

	*access_key = *secret_key = NULL;
	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return options;
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			target = NULL;
			if (v.val.string.len == 10 && strncmp(v.val.string.val, "access_key", 10) == 0)
				target = access_key;
			else if (v.val.string.len == 10 && strncmp(v.val.string.val, "secret_key", 10) == 0)
				target = secret_key;
			if (target)
				continue;
		}
		else if (tok == WJB_VALUE && target != NULL)
		{
			/* no value in the message: it may be the secret */
			if (v.type != jbvString || v.val.string.len == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("site credentials must be non-empty strings")));
			*target = pnstrdup(v.val.string.val, v.val.string.len);
			target = NULL;
			continue;
		}
		res = pushJsonbValue(&state, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	if ((*access_key == NULL) != (*secret_key == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("site credentials need both \"access_key\" and \"secret_key\"")));
	return JsonbValueToJsonb(res);
}
