/*
 * wos_health.c
 *		SQL entry points of the background workers and the health views:
 *		eoswath.worker_status() (the workers of this database, from shared
 *		memory), the trigger that wakes the subset workers when the queue
 *		gets rows, and wos_delete_pending() for archives run without workers.
 */
#include "eoswath.h"

#include "commands/trigger.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "object.h"
#include "worker.h"

/*
 * eoswath.worker_status(): a row per worker of this database (worker, pid,
 * state, since), the launcher first; without shared_preload_libraries one
 * row that says no worker runs.
 */
PG_FUNCTION_INFO_V1(wos_worker_status);
Datum
wos_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[4];
	bool		nulls[4];
	WorkerInfo	workers[64];
	int			n;
	int			launcher;

	InitMaterializedSRF(fcinfo, 0);
	memset(nulls, 0, sizeof(nulls));
	if (!eoswath_workers_preloaded)
	{
		values[0] = CStringGetTextDatum("none");
		nulls[1] = true;
		values[2] = CStringGetTextDatum("no worker runs: eoswath is not in shared_preload_libraries");
		nulls[3] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		return (Datum) 0;
	}
	launcher = worker_launcher_pid();
	values[0] = CStringGetTextDatum("launcher");
	values[1] = Int32GetDatum(launcher);
	nulls[1] = (launcher == 0);
	values[2] = CStringGetTextDatum(launcher ? "running" : "not running");
	nulls[3] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);

	n = worker_list(MyDatabaseId, workers, lengthof(workers));
	for (int i = 0; i < n; i++)
	{
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(workers[i].kind == WORKER_MAINTENANCE ?
										pstrdup("maintenance") :
										psprintf("subset %d", workers[i].index));
		values[1] = Int32GetDatum(workers[i].pid);
		values[2] = CStringGetTextDatum(workers[i].state);
		values[3] = TimestampTzGetDatum(workers[i].since);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Trigger on swath_subset_queue: wake this database's subset workers at commit. */
PG_FUNCTION_INFO_V1(wos_wake_subset_workers);
Datum
wos_wake_subset_workers(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("eoswath.wake_subset_workers() must be called as a trigger")));
	worker_wake_at_commit(WORKER_SUBSET);
	return PointerGetDatum(NULL);
}

/*
 * wos_delete_pending(): remove every copy in the delete queue now (also
 * those waiting for a retry); returns how many were removed.  Failures stay
 * queued with their error.
 */
PG_FUNCTION_INFO_V1(wos_delete_pending);
Datum
wos_delete_pending(PG_FUNCTION_ARGS)
{
	int64		removed;

	(void) object_delete_pending(0, true, &removed);
	PG_RETURN_INT64(removed);
}
