/*
 * worker.h
 *		Background workers (shared_preload_libraries = 'eoswath' only): a
 *		launcher that follows the databases with the extension, and per
 *		database one maintenance worker (deferred deletes, sweep, scrub) and
 *		eoswath.subset_workers subset workers.
 *
 *	worker_launcher.c	shared memory, the launcher, waking workers, and the
 *						utility hook that stops a database's workers before
 *						DROP DATABASE (and CREATE DATABASE from it as template)
 *	worker_main.c		the maintenance and subset workers' loops
 */
#ifndef EOSWATH_WORKER_H
#define EOSWATH_WORKER_H

#include "eoswath.h"

#include "datatype/timestamp.h"

/* settings (guc.c) */
extern bool eoswath_deferred_deletes;	/* the maintenance worker empties the delete queue */
extern int	eoswath_sweep_interval;		/* s; 0: no scheduled sweep */
extern int	eoswath_scrub_interval;		/* s between the starts of full passes; 0: off */
extern int	eoswath_scrub_rate;			/* MB/s; 0: unlimited */
extern int	eoswath_subset_workers;		/* per database; 0: off */
extern int	eoswath_subset_max_attempts;
extern int	eoswath_subset_retry_delay; /* s, doubled per attempt */
extern int	eoswath_launcher_naptime;	/* s between the launcher's scans */

/* set in _PG_init when loaded by shared_preload_libraries */
extern bool eoswath_workers_preloaded;

/* kinds of worker */
#define WORKER_MAINTENANCE	0
#define WORKER_SUBSET		1

/* what a worker shows in eoswath.worker_status() */
typedef struct WorkerInfo
{
	int			kind;
	int			index;
	int			pid;
	char		state[64];
	TimestampTz since;
} WorkerInfo;

/* _PG_init: register the launcher, request shared memory, install hooks */
extern void eoswath_workers_init(void);

/* the workers of database dboid (at most max), for wos_health */
extern int	worker_list(Oid dboid, WorkerInfo *out, int max);
/* the launcher's pid, 0 if none */
extern int	worker_launcher_pid(void);

/* wake the workers of this database at commit (deletes, subset queue) */
extern void worker_wake_at_commit(int kind);
/* xact.c at commit: set the latches asked for */
extern void AtCommit_WakeWorkers(void);
extern void AtAbort_WakeWorkers(void);
/* CREATE EXTENSION eoswath committed: let the launcher look again */
extern void worker_extension_created(void);

/* worker_launcher.c <-> worker_main.c */
extern bool worker_attach(Oid dboid, int kind, int index);
extern void worker_database_active(Oid dboid);
extern void worker_set_state(const char *state);
extern void worker_database_absent(Oid dboid);

/* entry points (bgw_function_name) */
extern PGDLLEXPORT void eoswath_launcher_main(Datum arg);
extern PGDLLEXPORT void eoswath_maintenance_main(Datum arg);
extern PGDLLEXPORT void eoswath_subset_main(Datum arg);

#endif							/* EOSWATH_WORKER_H */
