/*
 * worker_main.c
 *		The loops of eoswath's per-database background workers (started by
 *		worker_launcher.c): the maintenance worker empties the delete queue,
 *		sweeps on a schedule and scrubs at a bandwidth limit; subset workers
 *		make the queued regional subsets as rows arrive.
 *
 * Every piece of work runs in its own short transaction; an error is logged
 * and the loop goes on (after a pause), a SIGTERM (die) ends the worker at
 * the next CHECK_FOR_INTERRUPTS, a SIGHUP reloads the eoswath.* settings.
 * The scrub keeps its position and counters in eoswath.scrub_state and
 * eoswath.scrub_counters, so a restart resumes where it stopped.
 */
#include "eoswath.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "object.h"
#include "worker.h"

#define IDLE_WAIT_MS		(60 * 1000L)	/* look again at least this often */
#define ERROR_WAIT_MS		(10 * 1000L)	/* after a failed piece of work */

static MemoryContext work_cxt = NULL;	/* reset after every piece of work */
static char *ext_schema = NULL;		/* quoted, in TopMemoryContext */

typedef void (*work_fn) (void *arg);

/* Run fn in a transaction of its own; false (logged) if it failed. */
static bool
run_work(const char *what, work_fn fn, void *arg)
{
	volatile bool ok = true;

	worker_set_state(what);
	pgstat_report_activity(STATE_RUNNING, what);
	MemoryContextSwitchTo(work_cxt);
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		MemoryContextSwitchTo(work_cxt);
		fn(arg);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(work_cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextReset(work_cxt);
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	worker_set_state("idle");
	return ok;
}

/* Is the extension installed here with the workers' tables (0.2.0 on)? */
static void
check_extension(void *arg)
{
	bool	   *ready = arg;
	Oid			ext = get_extension_oid("eoswath", true);
	Oid			nsp = get_namespace_oid("eoswath", true);

	*ready = OidIsValid(ext) && OidIsValid(nsp) &&
		OidIsValid(get_relname_relid("delete_queue", nsp));
	if (*ready && ext_schema == NULL)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute("SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
						"  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
						" WHERE e.extname = 'eoswath'", true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not find the schema of extension eoswath");
		ext_schema = MemoryContextStrdup(TopMemoryContext,
										 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		SPI_finish();
	}
}

static bool
extension_ready(void)
{
	bool		ready = false;

	if (!run_work("checking the extension", check_extension, &ready))
		return false;
	return ready;
}

static void
reload_settings(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/* Common start: signals, slot, connection, names. */
static void
worker_start(Datum arg, int kind, int *index)
{
	Oid			dboid = DatumGetObjectId(arg);

	memcpy(index, MyBgworkerEntry->bgw_extra, sizeof(int));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (!worker_attach(dboid, kind, *index))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname(kind == WORKER_MAINTENANCE ? "eoswath worker" : "eoswath subset worker");
	work_cxt = AllocSetContextCreate(TopMemoryContext, "eoswath worker",
									 ALLOCSET_DEFAULT_SIZES);
	if (!extension_ready())
	{
		worker_database_absent(dboid);
		proc_exit(0);
	}
	if (kind == WORKER_MAINTENANCE)
		worker_database_active(dboid);
}

/* Wait for the latch, a timeout (ms) or the postmaster's death. */
static void
worker_wait(long timeout)
{
	int			rc;

	if (timeout <= 0)
	{
		CHECK_FOR_INTERRUPTS();
		return;
	}
	rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
				   timeout, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/* ---- the maintenance worker ---- */

typedef struct DeleteWork
{
	int64		done;
	int64		removed;
} DeleteWork;

static void
work_deletes(void *arg)
{
	DeleteWork *w = arg;

	w->done = object_delete_pending(64, false, &w->removed);
}

static void
sweep_logged(void *arg, StoreSite *site, const char *name, WosOid oid, const char *what)
{
	int64	   *n = arg;

	(*n)++;
	ereport(LOG,
			(errmsg("eoswath sweep: object %s: entry \"%s\" on site \"%s\" %s",
					wosoid_to_cstring(oid), name, site->name, what)));
}

/* Run a SPI command as part of the worker's state keeping. */
static void
state_exec(const char *sql, int nargs, Oid *types, Datum *values)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0) < 0)
		elog(ERROR, "could not update the eoswath worker state: %s", sql);
	SPI_finish();
}

static void
work_sweep(void *arg)
{
	int64		removed = 0;
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	object_sweep(false, sweep_logged, &removed);
	values[0] = Int64GetDatum(removed);
	state_exec("UPDATE eoswath.scrub_state SET last_sweep = now(), sweep_removed = sweep_removed + $1",
			   1, types, values);
}

/* When is the next sweep due (ms from now, 0: now)?  -1: never. */
typedef struct Due
{
	long		sweep_ms;
	long		scrub_ms;
	bool		in_pass;
	int64		position;
} Due;

static void
work_due(void *arg)
{
	Due		   *d = arg;
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2];
	bool		isnull;

	values[0] = Int32GetDatum(eoswath_sweep_interval);
	values[1] = Int32GetDatum(eoswath_scrub_interval);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT greatest(0, 1000 * extract(epoch FROM"
							  "         coalesce(last_sweep + $1 * interval '1 second', now()) - now()))::bigint,"
							  "       greatest(0, 1000 * extract(epoch FROM"
							  "         coalesce(last_pass_started + $2 * interval '1 second', now()) - now()))::bigint,"
							  "       pass_started IS NOT NULL, coalesce(position::bigint, 0)"
							  "  FROM eoswath.scrub_state",
							  2, types, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read eoswath.scrub_state");
	d->sweep_ms = (long) Min(DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)), LONG_MAX);
	d->scrub_ms = (long) Min(DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)), LONG_MAX);
	d->in_pass = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	d->position = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	SPI_finish();
}

typedef struct ScrubWork
{
	bool		in_pass;
	WosOid		position;
	int64		bytes;
	bool		finished;
} ScrubWork;

/* One scrub step: the next object, the counters, the findings, the position. */
static void
work_scrub(void *arg)
{
	ScrubWork  *w = arg;
	ScrubResult res;
	Oid			types[6] = {INT4OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID};
	Datum		values[6];

	if (!w->in_pass)
	{
		state_exec("UPDATE eoswath.scrub_state SET pass_started = now(), position = NULL,"
				   " objects_checked = 0, bytes_checked = 0", 0, NULL, NULL);
		ereport(LOG, (errmsg("eoswath scrub: a new pass starts")));
		w->position = InvalidWosOid;
	}
	if (!object_scrub_next(w->position, &res))
	{
		state_exec("UPDATE eoswath.scrub_state SET last_pass_started = pass_started,"
				   " last_pass_finished = now(), pass_started = NULL, position = NULL", 0, NULL, NULL);
		ereport(LOG, (errmsg("eoswath scrub: pass complete")));
		w->finished = true;
		return;
	}
	w->bytes = res.bytes_read;
	for (int i = 0; i < res.ncopies; i++)
	{
		ScrubCopy  *c = &res.copies[i];
		bool		ok = strcmp(c->status, "ok") == 0;
		bool		corrupt = strcmp(c->status, "checksum mismatch") == 0 ||
			strcmp(c->status, "wrong size") == 0;
		bool		missing = strcmp(c->status, "missing") == 0;
		bool		fixed = strcmp(c->action, "repaired") == 0 ||
			strcmp(c->action, "replaced") == 0;

		if (c->site_id == 0)
			continue;
		values[0] = Int32GetDatum(c->site_id);
		values[1] = Int64GetDatum(1);
		values[2] = Int64GetDatum(corrupt ? 1 : 0);
		values[3] = Int64GetDatum(missing ? 1 : 0);
		values[4] = Int64GetDatum(!ok && strcmp(c->action, "repaired") == 0 ? 1 : 0);
		values[5] = Int64GetDatum(!ok && !fixed ? 1 : 0);
		state_exec("INSERT INTO eoswath.scrub_counters AS k"
				   " (site_id, copies_checked, corrupt_found, missing_found, repaired, repair_failed)"
				   " SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM eoswath.sites WHERE site_id = $1)"
				   " ON CONFLICT (site_id) DO UPDATE SET"
				   " copies_checked = k.copies_checked + $2, corrupt_found = k.corrupt_found + $3,"
				   " missing_found = k.missing_found + $4, repaired = k.repaired + $5,"
				   " repair_failed = k.repair_failed + $6",
				   6, types, values);
	}
	/* the findings: what is still wrong with the object's copies */
	{
		Oid			ftypes[4] = {INT8OID, INT4OID, TEXTOID, TEXTOID};
		Datum		fvalues[4];

		fvalues[0] = Int64GetDatum((int64) res.oid);
		state_exec("DELETE FROM eoswath.scrub_findings WHERE oid::bigint = $1", 1, ftypes, fvalues);
		for (int i = 0; i < res.ncopies; i++)
		{
			ScrubCopy  *c = &res.copies[i];

			if (strcmp(c->status, "ok") == 0 || strcmp(c->action, "repaired") == 0 ||
				strcmp(c->action, "replaced") == 0)
				continue;
			fvalues[1] = Int32GetDatum(c->site_id);
			fvalues[2] = CStringGetTextDatum(c->status);
			fvalues[3] = CStringGetTextDatum(c->action);
			state_exec(psprintf("INSERT INTO eoswath.scrub_findings (oid, site_id, status, action)"
								" SELECT o.oid, $2, $3, $4 FROM eoswath.objects o WHERE o.oid::bigint = $1"
								" ON CONFLICT (oid, site_id) DO UPDATE SET status = excluded.status,"
								" action = excluded.action"),
					   4, ftypes, fvalues);
		}
	}
	{
		Oid			stypes[2] = {INT8OID, INT8OID};
		Datum		svalues[2];

		svalues[0] = Int64GetDatum((int64) res.oid);
		svalues[1] = Int64GetDatum(res.bytes_read);
		state_exec(psprintf("UPDATE eoswath.scrub_state SET position = $1::bigint::%s.wosoid,"
							" checked_at = now(), objects_checked = objects_checked + 1,"
							" bytes_checked = bytes_checked + $2", ext_schema),
				   2, stypes, svalues);
	}
	w->position = res.oid;
}

void
eoswath_maintenance_main(Datum arg)
{
	int			index;
	TimestampTz scrub_next = 0;	/* the rate limit's next step */

	worker_start(arg, WORKER_MAINTENANCE, &index);
	ereport(LOG, (errmsg("eoswath worker started")));

	for (;;)
	{
		Due			due;
		long		timeout = IDLE_WAIT_MS;
		bool		failed = false;

		CHECK_FOR_INTERRUPTS();
		reload_settings();
		if (!extension_ready())
		{
			ereport(LOG, (errmsg("eoswath worker: the extension is gone from this database")));
			worker_database_absent(MyDatabaseId);
			proc_exit(0);
		}

		if (eoswath_deferred_deletes)
		{
			DeleteWork	w;

			do
			{
				w.done = 0;
				if (!run_work("deleting copies", work_deletes, &w))
					failed = true;
				CHECK_FOR_INTERRUPTS();
			} while (!failed && w.done == 64);
		}

		memset(&due, 0, sizeof(due));
		if (!run_work("idle", work_due, &due))
			failed = true;
		else
		{
			if (eoswath_sweep_interval > 0)
			{
				if (due.sweep_ms == 0)
				{
					if (!run_work("sweeping", work_sweep, NULL))
						failed = true;
					due.sweep_ms = eoswath_sweep_interval * 1000L;
				}
				timeout = Min(timeout, due.sweep_ms);
			}
			if (eoswath_scrub_interval > 0 && (due.in_pass || due.scrub_ms == 0))
			{
				TimestampTz now = GetCurrentTimestamp();

				if (now >= scrub_next)
				{
					ScrubWork	w;
					TimestampTz until = now + 1000000;

					memset(&w, 0, sizeof(w));
					w.in_pass = due.in_pass;
					w.position = (WosOid) due.position;
					/* unlimited: objects for up to a second, then the other tasks */
					do
					{
						w.bytes = 0;
						if (!run_work("scrubbing", work_scrub, &w))
						{
							failed = true;
							break;
						}
						w.in_pass = true;
						CHECK_FOR_INTERRUPTS();
					} while (!w.finished && eoswath_scrub_rate == 0 &&
							 GetCurrentTimestamp() < until);
					/* the rate limit: this step's bytes at eoswath.scrub_rate MB/s */
					scrub_next = now;
					if (eoswath_scrub_rate > 0)
						scrub_next += (TimestampTz) ((double) w.bytes * 1000000.0 /
													 ((double) eoswath_scrub_rate * 1024 * 1024));
					if (!w.finished && !failed)
						timeout = 0;
				}
				if (scrub_next > now)
					timeout = Min(timeout, (long) ((scrub_next - now) / 1000) + 1);
			}
			else if (eoswath_scrub_interval > 0)
				timeout = Min(timeout, due.scrub_ms);
		}
		if (failed)
			timeout = ERROR_WAIT_MS;
		worker_wait(timeout);
	}
}

/* ---- subset workers ---- */

typedef struct SubsetWork
{
	bool		found;
	long		next_ms;		/* when the next retry is due */
} SubsetWork;

/* Make the next queued subset that is due, if any. */
static void
work_subset(void *arg)
{
	SubsetWork *w = arg;
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2];
	bool		isnull;
	int64		id;
	int64		swath;
	char	   *region;
	int			attempts;
	char	   *error;

	values[0] = Int32GetDatum(eoswath_subset_max_attempts);
	values[1] = Int32GetDatum(eoswath_subset_retry_delay);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(psprintf("SELECT q.id, q.swath, q.region, q.attempts FROM %s.swath_subset_queue q"
									   " WHERE q.attempts < $1 AND (q.last_attempt IS NULL OR"
									   "  q.last_attempt + least($2 * power(2, q.attempts - 1), 3600) * interval '1 second' <= now())"
									   " ORDER BY q.id LIMIT 1 FOR UPDATE SKIP LOCKED", ext_schema),
							  2, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the subset queue");
	w->found = SPI_processed == 1;
	if (!w->found)
	{
		/* nothing due: when is the next retry? */
		if (SPI_execute_with_args(psprintf("SELECT greatest(0, 1000 * extract(epoch FROM min("
										   "  q.last_attempt + least($2 * power(2, q.attempts - 1), 3600) * interval '1 second') - now()))::bigint"
										   "  FROM %s.swath_subset_queue q WHERE q.attempts < $1", ext_schema),
								  2, types, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the subset queue");
		w->next_ms = -1;
		if (SPI_processed == 1)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
				w->next_ms = (long) Min(DatumGetInt64(d), LONG_MAX);
		}
		SPI_finish();
		return;
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	swath = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	region = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	attempts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));

	{
		Oid			t[1] = {INT8OID};
		Datum		v[1];

		v[0] = Int64GetDatum(id);
		if (SPI_execute_with_args("SELECT eoswath.subset_make($1)", 1, t, v, NULL, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not make a subset");
		error = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}
	if (error != NULL)
	{
		if (attempts + 1 >= eoswath_subset_max_attempts)
			ereport(LOG,
					(errmsg("eoswath subset worker: gave up on the subset of swath %lld for region \"%s\" after %d attempts: %s",
							(long long) swath, region, attempts + 1, error),
					 errhint("The item stays in swath_subset_queue with its error; swath_subset_drain() tries it again.")));
		else
			ereport(LOG,
					(errmsg("eoswath subset worker: the subset of swath %lld for region \"%s\" failed (attempt %d of %d): %s",
							(long long) swath, region, attempts + 1, eoswath_subset_max_attempts, error)));
	}
	else
		ereport(DEBUG1,
				(errmsg("eoswath subset worker: made the subset of swath %lld for region \"%s\"",
						(long long) swath, region)));
	SPI_finish();
}

void
eoswath_subset_main(Datum arg)
{
	int			index;

	worker_start(arg, WORKER_SUBSET, &index);

	for (;;)
	{
		SubsetWork	w;
		long		timeout = IDLE_WAIT_MS;

		CHECK_FOR_INTERRUPTS();
		reload_settings();
		if (index > eoswath_subset_workers)
			proc_exit(0);		/* switched off, or fewer wanted */
		if (!extension_ready())
		{
			worker_database_absent(MyDatabaseId);
			proc_exit(0);
		}
		do
		{
			memset(&w, 0, sizeof(w));
			if (!run_work("making a subset", work_subset, &w))
			{
				timeout = ERROR_WAIT_MS;
				break;
			}
			CHECK_FOR_INTERRUPTS();
			reload_settings();
		} while (w.found && index <= eoswath_subset_workers);
		if (!w.found && w.next_ms >= 0)
			timeout = Min(timeout, w.next_ms + 1);
		worker_wait(timeout);
	}
}
