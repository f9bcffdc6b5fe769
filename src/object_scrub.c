/*
 * object_scrub.c
 *		One step of the scrub: the next stored object after a position is
 *		read on every copy and checked against its checksums (object_verify,
 *		which repairs bad copies from an intact one), and an object left
 *		with fewer intact copies than its policy asks (a copy lost with a
 *		disk that is gone) gets new copies where the policy places them now
 *		(object_place).  The maintenance worker calls it in a loop, one
 *		object per transaction, and keeps the position and the counters.
 *
 * Everything found, repaired or given up on is logged at LOG with the
 * object id and the site.
 */
#include "eoswath.h"

#include "miscadmin.h"

#include "object.h"
#include "xact.h"

typedef struct ScrubCollect
{
	ScrubResult *res;
	int			alloc;
} ScrubCollect;

/* object_verify's report: one per copy */
static void
scrub_report(void *arg, WosOid oid, const char *site, const char *status,
			 const char *action)
{
	ScrubCollect *c = arg;
	ScrubResult *res = c->res;
	ScrubCopy  *copy;
	ListCell   *lc;

	if (res->ncopies == c->alloc)
	{
		c->alloc *= 2;
		res->copies = repalloc(res->copies, sizeof(ScrubCopy) * c->alloc);
	}
	copy = &res->copies[res->ncopies++];
	copy->site_id = 0;
	foreach(lc, catalog_get_sites(false))
	{
		StoreSite  *s = lfirst(lc);

		if (strcmp(s->name, site) == 0)
			copy->site_id = s->id;
	}
	copy->site = pstrdup(site);
	copy->status = pstrdup(status);
	copy->action = pstrdup(action);
	if (strcmp(status, "ok") != 0)
		ereport(LOG,
				(errmsg("eoswath scrub: object %s: copy on site \"%s\": %s, %s",
						wosoid_to_cstring(oid), site, status, action)));
}

/*
 * Give the object copies on the sites its policy picks now (in a
 * subtransaction: a failure is logged and the scrub goes on).
 */
typedef struct PlaceArgs
{
	WosOid		oid;
	int64		copied;
} PlaceArgs;

static void
place_object(void *arg)
{
	PlaceArgs  *p = arg;

	p->copied = object_place(p->oid);
}

static bool
rereplicate(ObjectRecord *rec, int intact, int wanted)
{
	PlaceArgs	p = {rec->oid, 0};
	ErrorData  *edata = xact_try(place_object, &p);

	if (edata != NULL)
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(edata);
		ereport(LOG,
				(errmsg("eoswath scrub: object %s has %d intact copies of %d and could not get more: %s",
						wosoid_to_cstring(rec->oid), intact, wanted, edata->message)));
		FreeErrorData(edata);
		return false;
	}
	ereport(LOG,
			(errmsg("eoswath scrub: object %s had %d intact copies of %d: %lld bytes copied to new sites",
					wosoid_to_cstring(rec->oid), intact, wanted, (long long) p.copied)));
	return true;
}

/*
 * object_verify() with repair, in a subtransaction: false if the object was
 * deleted by a transaction that committed after it was looked up (any other
 * error is raised again).
 */
typedef struct VerifyArgs
{
	WosOid		oid;
	ScrubCollect *c;
} VerifyArgs;

static void
verify_repairing(void *arg)
{
	VerifyArgs *v = arg;

	object_verify(v->oid, true, true, scrub_report, v->c);
}

static bool
verify_unless_deleted(WosOid oid, ScrubCollect *c)
{
	VerifyArgs	v = {oid, c};
	ErrorData  *edata = xact_try(verify_repairing, &v);

	if (edata == NULL)
		return true;
	if (edata->sqlerrcode != ERRCODE_UNDEFINED_OBJECT)
		ReThrowError(edata);
	FreeErrorData(edata);
	c->res->ncopies = 0;
	return false;
}

/*
 * Scrub the first stored object after 'after'.  Returns false if there is
 * none (the pass is complete); otherwise fills res (in the current memory
 * context).
 */
bool
object_scrub_next(WosOid after, ScrubResult *res)
{
	WosOid		oid;
	ObjectRecord *rec;
	ScrubCollect c;
	int			intact = 0;
	Policy	   *policy;

	memset(res, 0, sizeof(ScrubResult));
	if (catalog_next_batch(after, 1, &oid) == 0)
		return false;
	res->oid = oid;
	rec = catalog_lookup(oid, false);
	if (rec == NULL || rec->state != OBJECT_STORED)
		return true;			/* deleted meanwhile */

	c.res = res;
	c.alloc = 4;
	res->copies = palloc(sizeof(ScrubCopy) * c.alloc);
	if (!verify_unless_deleted(oid, &c))
		return true;			/* deleted meanwhile */

	for (int i = 0; i < res->ncopies; i++)
	{
		ScrubCopy  *copy = &res->copies[i];

		if (strcmp(copy->status, "ok") == 0 || strcmp(copy->action, "repaired") == 0)
			intact++;
		if (strcmp(copy->status, "ok") == 0 || strcmp(copy->status, "checksum mismatch") == 0)
			res->bytes_read += rec->size;
		if (strcmp(copy->action, "repaired") == 0)
			res->bytes_read += rec->size;
	}

	policy = catalog_get_policy(rec->policy);
	if (intact > 0 && intact < policy->copies)
	{
		res->rereplicated = rereplicate(rec, intact, policy->copies);
		if (res->rereplicated)
		{
			ObjectRecord *now = catalog_lookup(oid, false);

			/* copies dropped from the object's sites are no concern any more */
			for (int i = 0; now != NULL && i < res->ncopies; i++)
			{
				bool		listed = false;

				for (int j = 0; j < now->nsites; j++)
					listed |= (now->sites[j] == res->copies[i].site_id);
				if (!listed)
					res->copies[i].action = "replaced";
			}
			res->bytes_read += rec->size;
		}
	}
	else if (intact == 0 && res->ncopies > 0)
		ereport(LOG,
				(errmsg("eoswath scrub: object %s has no intact copy: unrecoverable",
						wosoid_to_cstring(oid))));
	return true;
}
