/*
 * store.c
 *		Sites and the registry of storage backends.
 */
#include "eoswath.h"

#include "store.h"

static const StoreMethods *const backends[] = {
	&store_fs_methods,
#ifdef EOSWATH_S3
	&store_s3_methods,
#endif
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

/* A site description in the current memory context, with its backend. */
StoreSite *
store_site_make(int32 id, const char *name, const char *kind,
				const char *location, Jsonb *options, bool enabled)
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
	s->methods = store_methods_for(kind);
	s->cost = s->methods->cost;
	return s;
}
