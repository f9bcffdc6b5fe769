/*
 * worker_launcher.c
 *		The launcher of eoswath's background workers, their shared memory,
 *		and the hooks that keep them out of the way of DROP DATABASE.
 *
 * With shared_preload_libraries = 'eoswath' the postmaster starts one
 * launcher.  It connects to no database (as the autovacuum launcher does)
 * and reads pg_database every eoswath.launcher_naptime, or when woken: for
 * every database that allows connections and is not a template it starts a
 * maintenance worker, which looks for the extension; a database without it
 * is marked absent and left alone until CREATE EXTENSION (or ALTER
 * EXTENSION ... UPDATE) eoswath commits there.  Where the extension is, the
 * launcher also keeps eoswath.subset_workers subset workers running.
 * Workers that stop are started again, at most once per naptime.
 *
 * A worker connected to a database would make DROP DATABASE fail ("being
 * accessed by other users"), and CREATE DATABASE with it as the template, and
 * ALTER DATABASE RENAME or SET TABLESPACE.  A utility hook pauses the
 * database (the launcher starts nothing there), stops its workers and waits
 * for them before such a statement, and lifts the pause after it.
 */
#include "eoswath.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "worker.h"

#define MAX_DATABASES	256
#define MAX_SLOTS		256

typedef enum DbState
{
	DB_PROBE,					/* start a maintenance worker to look */
	DB_ACTIVE,					/* the extension is there */
	DB_ABSENT					/* no extension: wait for CREATE EXTENSION */
} DbState;

typedef struct DbEntry
{
	Oid			dboid;			/* InvalidOid: free */
	DbState		state;
	int			paused;			/* statements that need the database to themselves */
} DbEntry;

/* a running worker, claimed by the worker itself */
typedef struct WorkerSlot
{
	Oid			dboid;			/* InvalidOid: free */
	int			kind;
	int			index;
	int			pid;
	Latch	   *latch;
	char		state[64];
	TimestampTz since;
} WorkerSlot;

typedef struct WorkerShared
{
	LWLock	   *lock;
	int			launcher_pid;
	Latch	   *launcher_latch;
	DbEntry		dbs[MAX_DATABASES];
	WorkerSlot	slots[MAX_SLOTS];
} WorkerShared;

bool		eoswath_workers_preloaded = false;

static WorkerShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ProcessUtility_hook_type prev_ProcessUtility_hook = NULL;

/* this backend's requests, carried out at commit */
static int	wake_kinds = 0;		/* bit per worker kind */
static bool extension_created = false;

/* this worker's slot */
static int	my_slot = -1;

static void
worker_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WorkerShared)));
	RequestNamedLWLockTranche("eoswath workers", 1);
}

static void
worker_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("eoswath workers", sizeof(WorkerShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(WorkerShared));
		shared->lock = &(GetNamedLWLockTranche("eoswath workers"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* the database's entry (created if asked and there is room), lock held */
static DbEntry *
db_entry(Oid dboid, bool create)
{
	DbEntry    *free_entry = NULL;

	for (int i = 0; i < MAX_DATABASES; i++)
	{
		if (shared->dbs[i].dboid == dboid)
			return &shared->dbs[i];
		if (free_entry == NULL && shared->dbs[i].dboid == InvalidOid)
			free_entry = &shared->dbs[i];
	}
	if (create && free_entry != NULL)
	{
		free_entry->dboid = dboid;
		free_entry->state = DB_PROBE;
		free_entry->paused = 0;
		return free_entry;
	}
	return NULL;
}

/* ---- what backends and workers call ---- */

int
worker_launcher_pid(void)
{
	int			pid;

	if (shared == NULL)
		return 0;
	LWLockAcquire(shared->lock, LW_SHARED);
	pid = shared->launcher_pid;
	LWLockRelease(shared->lock);
	return pid;
}

int
worker_list(Oid dboid, WorkerInfo *out, int max)
{
	int			n = 0;

	if (shared == NULL)
		return 0;
	LWLockAcquire(shared->lock, LW_SHARED);
	for (int i = 0; i < MAX_SLOTS && n < max; i++)
	{
		WorkerSlot *s = &shared->slots[i];

		if (s->dboid != dboid || s->pid == 0)
			continue;
		out[n].kind = s->kind;
		out[n].index = s->index;
		out[n].pid = s->pid;
		strlcpy(out[n].state, s->state, sizeof(out[n].state));
		out[n].since = s->since;
		n++;
	}
	LWLockRelease(shared->lock);
	return n;
}

void
worker_wake_at_commit(int kind)
{
	wake_kinds |= (1 << kind);
}

void
worker_extension_created(void)
{
	extension_created = true;
}

/* At commit: wake the workers asked for; never raises an error. */
void
AtCommit_WakeWorkers(void)
{
	if (shared != NULL && (wake_kinds != 0 || extension_created))
	{
		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		for (int i = 0; i < MAX_SLOTS; i++)
		{
			WorkerSlot *s = &shared->slots[i];

			if (s->dboid == MyDatabaseId && s->pid != 0 && s->latch != NULL &&
				(wake_kinds & (1 << s->kind)))
				SetLatch(s->latch);
		}
		if (extension_created)
		{
			DbEntry    *e = db_entry(MyDatabaseId, true);

			if (e != NULL && e->state == DB_ABSENT)
				e->state = DB_PROBE;
			if (shared->launcher_latch != NULL)
				SetLatch(shared->launcher_latch);
		}
		LWLockRelease(shared->lock);
	}
	wake_kinds = 0;
	extension_created = false;
}

void
AtAbort_WakeWorkers(void)
{
	wake_kinds = 0;
	extension_created = false;
}

static void
worker_detach(int code, Datum arg)
{
	if (my_slot < 0)
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	memset(&shared->slots[my_slot], 0, sizeof(WorkerSlot));
	LWLockRelease(shared->lock);
	my_slot = -1;
}

/*
 * A worker claims its slot before it connects.  Returns false (the worker
 * must exit) if the database is paused or a worker of the same kind and
 * index already runs there.
 */
bool
worker_attach(Oid dboid, int kind, int index)
{
	DbEntry    *e;
	int			slot = -1;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = db_entry(dboid, false);
	if (e == NULL || e->paused > 0)
	{
		LWLockRelease(shared->lock);
		return false;
	}
	for (int i = 0; i < MAX_SLOTS; i++)
	{
		WorkerSlot *s = &shared->slots[i];

		if (s->dboid == dboid && s->kind == kind && s->index == index)
		{
			LWLockRelease(shared->lock);
			return false;
		}
		if (slot < 0 && s->dboid == InvalidOid)
			slot = i;
	}
	if (slot >= 0)
	{
		WorkerSlot *s = &shared->slots[slot];

		s->dboid = dboid;
		s->kind = kind;
		s->index = index;
		s->pid = MyProcPid;
		s->latch = MyLatch;
		strlcpy(s->state, "starting", sizeof(s->state));
		s->since = GetCurrentTimestamp();
		my_slot = slot;
	}
	LWLockRelease(shared->lock);
	if (slot < 0)
		return false;
	on_shmem_exit(worker_detach, (Datum) 0);
	return true;
}

/* What this worker is doing, for wos_health and pg_stat_activity. */
void
worker_set_state(const char *state)
{
	if (my_slot < 0)
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (strcmp(shared->slots[my_slot].state, state) != 0)
	{
		strlcpy(shared->slots[my_slot].state, state, sizeof(shared->slots[my_slot].state));
		shared->slots[my_slot].since = GetCurrentTimestamp();
	}
	LWLockRelease(shared->lock);
}

/* The maintenance worker found the extension missing: start nothing there. */
void
worker_database_absent(Oid dboid)
{
	DbEntry    *e;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = db_entry(dboid, false);
	if (e != NULL)
		e->state = DB_ABSENT;
	LWLockRelease(shared->lock);
}

/* The maintenance worker found the extension: the launcher adds subset workers. */
void
worker_database_active(Oid dboid)
{
	DbEntry    *e;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = db_entry(dboid, false);
	if (e != NULL && e->state != DB_ACTIVE)
	{
		e->state = DB_ACTIVE;
		if (shared->launcher_latch)
			SetLatch(shared->launcher_latch);
	}
	LWLockRelease(shared->lock);
}

/* ---- pausing a database for DROP DATABASE and friends ---- */

static void
pause_database(Oid dboid)
{
	int			pids[MAX_SLOTS];
	int			n = 0;
	DbEntry    *e;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = db_entry(dboid, true);
	if (e != NULL)
		e->paused++;
	for (int i = 0; i < MAX_SLOTS; i++)
		if (shared->slots[i].dboid == dboid && shared->slots[i].pid != 0)
			pids[n++] = shared->slots[i].pid;
	LWLockRelease(shared->lock);
	if (e == NULL)
		return;

	for (int i = 0; i < n; i++)
		(void) kill(pids[i], SIGTERM);
	/* wait for them (DROP DATABASE itself waits 5 s for the rest of the exit) */
	for (int tries = 0; n > 0 && tries < 300; tries++)
	{
		CHECK_FOR_INTERRUPTS();
		pg_usleep(100 * 1000L);
		n = 0;
		LWLockAcquire(shared->lock, LW_SHARED);
		for (int i = 0; i < MAX_SLOTS; i++)
			if (shared->slots[i].dboid == dboid && shared->slots[i].pid != 0)
				n++;
		LWLockRelease(shared->lock);
	}
}

static void
unpause_database(Oid dboid)
{
	DbEntry    *e;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	e = db_entry(dboid, false);
	if (e != NULL && e->paused > 0)
		e->paused--;
	/* a template's workers, or a renamed database's: start them again */
	if (e != NULL && e->paused == 0 && e->state == DB_ACTIVE)
		e->state = DB_PROBE;
	if (shared->launcher_latch)
		SetLatch(shared->launcher_latch);
	LWLockRelease(shared->lock);
}

/* The database a utility statement needs without other connections, if any. */
static Oid
statement_database(Node *stmt)
{
	const char *name = NULL;
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			name = ((DropdbStmt *) stmt)->dbname;
			break;
		case T_CreatedbStmt:
			name = "template1";
			foreach(lc, ((CreatedbStmt *) stmt)->options)
			{
				DefElem    *d = lfirst(lc);

				if (strcmp(d->defname, "template") == 0 && d->arg != NULL)
					name = defGetString(d);
			}
			break;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
				name = ((RenameStmt *) stmt)->subname;
			break;
		case T_AlterDatabaseStmt:
			foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
			{
				DefElem    *d = lfirst(lc);

				if (strcmp(d->defname, "tablespace") == 0)
					name = ((AlterDatabaseStmt *) stmt)->dbname;
			}
			break;
		case T_CreateExtensionStmt:
			if (strcmp(((CreateExtensionStmt *) stmt)->extname, "eoswath") == 0)
				worker_extension_created();
			break;
		case T_DropStmt:
			/* the workers notice at once that the extension is gone */
			if (((DropStmt *) stmt)->removeType == OBJECT_EXTENSION)
				foreach(lc, ((DropStmt *) stmt)->objects)
					if (IsA(lfirst(lc), String) && strcmp(strVal(lfirst(lc)), "eoswath") == 0)
					{
						worker_wake_at_commit(WORKER_MAINTENANCE);
						worker_wake_at_commit(WORKER_SUBSET);
					}
			break;
		case T_AlterExtensionStmt:
			if (strcmp(((AlterExtensionStmt *) stmt)->extname, "eoswath") == 0)
				worker_extension_created();
			break;
		default:
			break;
	}
	return name ? get_database_oid(name, true) : InvalidOid;
}

static void
worker_ProcessUtility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Oid			dboid = shared ? statement_database(pstmt->utilityStmt) : InvalidOid;

	if (!OidIsValid(dboid))
	{
		if (prev_ProcessUtility_hook)
			prev_ProcessUtility_hook(pstmt, queryString, readOnlyTree, context, params,
									 queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
									queryEnv, dest, qc);
		return;
	}
	pause_database(dboid);
	PG_TRY();
	{
		if (prev_ProcessUtility_hook)
			prev_ProcessUtility_hook(pstmt, queryString, readOnlyTree, context, params,
									 queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
									queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		unpause_database(dboid);
	}
	PG_END_TRY();
}

/* ---- the launcher ---- */

/* what the launcher started (its own memory) */
typedef struct Launched
{
	Oid			dboid;
	int			kind;
	int			index;
	BackgroundWorkerHandle *handle; /* NULL: not running */
	TimestampTz last_start;
} Launched;

#define MAX_LAUNCHED	MAX_SLOTS
static Launched launched[MAX_LAUNCHED];
static int	nlaunched = 0;

static Launched *
launched_entry(Oid dboid, int kind, int index)
{
	for (int i = 0; i < nlaunched; i++)
		if (launched[i].dboid == dboid && launched[i].kind == kind && launched[i].index == index)
			return &launched[i];
	if (nlaunched == MAX_LAUNCHED)
		return NULL;
	memset(&launched[nlaunched], 0, sizeof(Launched));
	launched[nlaunched].dboid = dboid;
	launched[nlaunched].kind = kind;
	launched[nlaunched].index = index;
	return &launched[nlaunched++];
}

static bool
launched_running(Launched *l)
{
	pid_t		pid;

	if (l->handle == NULL)
		return false;
	if (GetBackgroundWorkerPid(l->handle, &pid) == BGWH_STOPPED)
	{
		pfree(l->handle);
		l->handle = NULL;
		return false;
	}
	return true;
}

static void
launch(Launched *l)
{
	BackgroundWorker bgw;
	TimestampTz now = GetCurrentTimestamp();

	if (launched_running(l))
		return;
	if (l->last_start != 0 &&
		!TimestampDifferenceExceeds(l->last_start, now, eoswath_launcher_naptime * 1000))
		return;
	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "eoswath", BGW_MAXLEN);
	if (l->kind == WORKER_MAINTENANCE)
	{
		strlcpy(bgw.bgw_function_name, "eoswath_maintenance_main", BGW_MAXLEN);
		snprintf(bgw.bgw_name, BGW_MAXLEN, "eoswath worker for database %u", l->dboid);
		strlcpy(bgw.bgw_type, "eoswath worker", BGW_MAXLEN);
	}
	else
	{
		strlcpy(bgw.bgw_function_name, "eoswath_subset_main", BGW_MAXLEN);
		snprintf(bgw.bgw_name, BGW_MAXLEN, "eoswath subset worker %d for database %u",
				 l->index, l->dboid);
		strlcpy(bgw.bgw_type, "eoswath subset worker", BGW_MAXLEN);
	}
	bgw.bgw_main_arg = ObjectIdGetDatum(l->dboid);
	memcpy(bgw.bgw_extra, &l->index, sizeof(int));
	bgw.bgw_notify_pid = MyProcPid;
	l->last_start = now;
	if (!RegisterDynamicBackgroundWorker(&bgw, &l->handle))
	{
		l->handle = NULL;
		ereport(LOG,
				(errmsg("eoswath launcher: could not start a worker for database %u", l->dboid),
				 errhint("Raise max_worker_processes.")));
	}
}

static void
stop_launched(Launched *l)
{
	if (launched_running(l))
		TerminateBackgroundWorker(l->handle);
}

/* The databases a worker may connect to, from pg_database. */
static int
database_list(Oid *out, int max)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	int			n = 0;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL && n < max)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (!db->datallowconn || db->datistemplate || database_is_invalid_form(db))
			continue;
		out[n++] = db->oid;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return n;
}

/* One round: follow the databases, start and stop workers. */
static void
launcher_round(void)
{
	Oid			dbs[MAX_DATABASES];
	DbEntry		state[MAX_DATABASES];
	int			ndbs = database_list(dbs, MAX_DATABASES);

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	/* forget databases that are gone */
	for (int i = 0; i < MAX_DATABASES; i++)
	{
		bool		there = false;

		if (shared->dbs[i].dboid == InvalidOid || shared->dbs[i].paused > 0)
			continue;
		for (int j = 0; j < ndbs; j++)
			there |= (dbs[j] == shared->dbs[i].dboid);
		if (!there)
			memset(&shared->dbs[i], 0, sizeof(DbEntry));
	}
	for (int j = 0; j < ndbs; j++)
	{
		DbEntry    *e = db_entry(dbs[j], true);

		if (e != NULL)
			state[j] = *e;
		else
			state[j].dboid = InvalidOid;
	}
	LWLockRelease(shared->lock);

	/* workers of databases that are gone or paused, or extra subset workers */
	for (int i = 0; i < nlaunched; i++)
	{
		Launched   *l = &launched[i];
		bool		keep = false;

		for (int j = 0; j < ndbs; j++)
			if (state[j].dboid == l->dboid && state[j].paused == 0 &&
				(l->kind == WORKER_MAINTENANCE ||
				 (state[j].state == DB_ACTIVE && l->index <= eoswath_subset_workers)))
				keep = true;
		if (!keep)
			stop_launched(l);
		if (!keep && !launched_running(l))
		{
			launched[i] = launched[--nlaunched];
			i--;
		}
	}

	for (int j = 0; j < ndbs; j++)
	{
		Launched   *l;

		if (state[j].dboid == InvalidOid || state[j].paused > 0 || state[j].state == DB_ABSENT)
			continue;
		l = launched_entry(state[j].dboid, WORKER_MAINTENANCE, 0);
		if (l != NULL)
		{
			/* a new probe after CREATE EXTENSION: now, not after the naptime */
			if (state[j].state == DB_PROBE && !launched_running(l))
				l->last_start = 0;
			launch(l);
		}
		if (state[j].state != DB_ACTIVE)
			continue;
		for (int k = 1; k <= eoswath_subset_workers; k++)
			if ((l = launched_entry(state[j].dboid, WORKER_SUBSET, k)) != NULL)
				launch(l);
	}
}

static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	shared->launcher_pid = 0;
	shared->launcher_latch = NULL;
	LWLockRelease(shared->lock);
}

void
eoswath_launcher_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("eoswath launcher");

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	shared->launcher_pid = MyProcPid;
	shared->launcher_latch = MyLatch;
	/* after a restart, look at every database again */
	for (int i = 0; i < MAX_DATABASES; i++)
		if (shared->dbs[i].dboid != InvalidOid)
			shared->dbs[i].state = DB_PROBE;
	LWLockRelease(shared->lock);
	on_shmem_exit(launcher_detach, (Datum) 0);
	ereport(LOG, (errmsg("eoswath launcher started")));

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		launcher_round();
		pgstat_report_activity(STATE_IDLE, NULL);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 eoswath_launcher_naptime * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* _PG_init: with shared_preload_libraries, the launcher and its shared memory. */
void
eoswath_workers_init(void)
{
	BackgroundWorker bgw;

	/* pg_upgrade's servers (binary upgrade mode) run no workers */
	if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade)
		return;
	eoswath_workers_preloaded = true;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = worker_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = worker_shmem_startup;
	prev_ProcessUtility_hook = ProcessUtility_hook;
	ProcessUtility_hook = worker_ProcessUtility;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 10;
	strlcpy(bgw.bgw_library_name, "eoswath", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "eoswath_launcher_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, "eoswath launcher", BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "eoswath launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&bgw);
}
