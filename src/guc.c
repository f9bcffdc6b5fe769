/*
 * guc.c
 *		Every eoswath.* setting, in one place.
 */
#include "eoswath.h"

#include <limits.h>

#include "utils/guc.h"

#include "granule_client.h"
#include "guard.h"
#include "granule_file.h"
#include "object.h"
#include "s3.h"
#include "sites.h"
#include "worker.h"

char	   *eoswath_default_policy = NULL;
int			eoswath_io_block_size = 1024 * 1024;
int			eoswath_block_size = 4 * 1024 * 1024;
bool		eoswath_hash_thread = true;
int			eoswath_gzip_level = 6;
int			eoswath_site_min_free = 0;
int			eoswath_site_direct_after = 1024;
char	   *eoswath_default_site_path = NULL;
int			eoswath_s3_part_size = 8 * 1024 * 1024;
int			eoswath_s3_read_ahead = 64 * 1024 * 1024;
int			eoswath_s3_retries = 4;
int			eoswath_s3_retry_delay = 100;
int			eoswath_s3_retry_max_delay = 5000;
int			eoswath_s3_connect_timeout = 5000;
int			eoswath_s3_io_timeout = 30;
int			eoswath_s3_max_rate = 0;
bool		eoswath_s3_allow_http = false;
char	   *eoswath_s3_ca_file = NULL;
char	   *eoswath_s3_ca_path = NULL;
char	   *eoswath_s3_credentials_file = NULL;
int			eoswath_granule_memory_limit = 1024;
int			eoswath_granule_cpu_limit = 600;
int			eoswath_granule_output_limit = 16 * 1024;
int			eoswath_granule_max_inflated = 16 * 1024;
bool		eoswath_granule_allow_unconfined = false;
char	   *eoswath_stac_asset_href = NULL;
bool		eoswath_deferred_deletes = true;
int			eoswath_sweep_interval = 24 * 3600;
int			eoswath_heartbeat_interval = 60;
int			eoswath_scrub_interval = 7 * 24 * 3600;
int			eoswath_scrub_rate = 20;
int			eoswath_subset_workers = 1;
int			eoswath_subset_max_attempts = 5;
int			eoswath_subset_retry_delay = 30;
int			eoswath_launcher_naptime = 10;

/* eoswath.block_size: 0 (no block checksums) or at least 64 kB */
static bool
check_block_size(int *newval, void **extra, GucSource source)
{
	if (*newval != 0 && *newval < 64 * 1024)
	{
		GUC_check_errdetail("eoswath.block_size must be 0 or at least 64kB.");
		return false;
	}
	return true;
}

/* Define the settings; called once from _PG_init. */
void
eoswath_define_gucs(void)
{
	DefineCustomStringVariable("eoswath.default_policy",
							   "Replication policy used when a put names none.",
							   NULL,
							   &eoswath_default_policy,
							   "default",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	/* read by SQL only (swath_stac_item()), through current_setting() */
	DefineCustomStringVariable("eoswath.stac_asset_href",
							   "Template of the href of a STAC asset: {oid} and {filename} are replaced.",
							   "A web site maps it to a download URL, e.g. https://data.example.org/objects/{oid}/{filename}.",
							   &eoswath_stac_asset_href,
							   "/objects/{oid}/{filename}",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.io_block_size",
							"Size of the blocks eoswath reads and writes objects in.",
							NULL,
							&eoswath_io_block_size,
							1024 * 1024,
							64 * 1024,
							64 * 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.block_size",
							"Size of the blocks that new objects get a SHA-256 for.",
							"Fixed per object when it is put; every read verifies whole blocks. "
							"0 stores the whole-object checksum only (the 0.1.0 rule).",
							&eoswath_block_size,
							4 * 1024 * 1024,
							0,
							64 * 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_BYTE,
							check_block_size, NULL, NULL);

	DefineCustomIntVariable("eoswath.gzip_level",
							"zlib compression level of objects stored with compress => true.",
							"1 is fastest, 9 smallest; 6 is gzip's default.",
							&eoswath_gzip_level,
							6,
							1,
							9,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("eoswath.hash_thread",
							 "Compute a put's checksums on two threads of the backend.",
							 "On: the whole-object and the block checksums are computed while the backend writes the copies. Off: all on the backend's thread.",
							 &eoswath_hash_thread,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("eoswath.allow_drop_with_objects",
							 "Let DROP EXTENSION drop the catalog of objects whose bytes stay on the sites.",
							 "Off: dropping the object catalog while it lists objects is an error.",
							 &eoswath_allow_drop_with_objects,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	/* ---- granule parsing (granule_client.c, granule_file.c) ---- */
	DefineCustomIntVariable("eoswath.granule_memory_limit",
							"Address space of the process that parses a granule.",
							"Granules are parsed in a confined helper process; a parse "
							"that needs more memory fails with 54000.",
							&eoswath_granule_memory_limit,
							1024,
							64,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.granule_cpu_limit",
							"CPU time one granule parse may take.",
							"The helper is stopped after this (54000), whatever "
							"statement_timeout says; 0: no limit.",
							&eoswath_granule_cpu_limit,
							600,
							0,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.granule_output_limit",
							"Largest file a granule parse may write (a subset).",
							"0: no limit but temp_file_limit.",
							&eoswath_granule_output_limit,
							16 * 1024,
							0,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.granule_max_inflated",
							"Largest size a gzip'd granule is inflated to for parsing.",
							"A granule that inflates to more is refused (54000); the "
							"inflated copy also counts against temp_file_limit.",
							&eoswath_granule_max_inflated,
							16 * 1024,
							1,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("eoswath.granule_allow_unconfined",
							 "Parse granules even where Landlock or seccomp is unavailable.",
							 "Off: a kernel without them makes every granule function fail.",
							 &eoswath_granule_allow_unconfined,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("eoswath.default_site_path",
							   "Directory under which CREATE EXTENSION makes a database's default site.",
							   "Empty: eoswath/ in the data directory, recorded relative to it so that "
							   "the site follows the data directory (base backups, pg_upgrade).",
							   &eoswath_default_site_path,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.site_min_free",
							"Space a directory site keeps free: no new copy is placed on a site with less.",
							"A copy of known size needs its size plus this; the next site in "
							"placement order takes it instead.",
							&eoswath_site_min_free,
							0,
							0,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.site_direct_after",
							"A directory site's copy is written with O_DIRECT once this much of it is written.",
							"The rest goes from the backend to the disk by a writer thread, "
							"without filling the page cache. -1: never; 0: from the start.",
							&eoswath_site_direct_after,
							1024,
							-1,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	/* ---- S3 sites ---- */
	DefineCustomIntVariable("eoswath.s3_part_size",
							"Part size of multipart uploads to S3 sites.",
							"Objects larger than this are uploaded in parts of this size; "
							"up to three parts per copy are buffered in memory, one filling while two are sent.",
							&eoswath_s3_part_size,
							8 * 1024 * 1024,
							5 * 1024 * 1024,
							512 * 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.s3_read_ahead",
							"Largest read-ahead of sequential reads from S3 sites.",
							"A sequential reader's window starts at 4 MB and doubles up to this; "
							"one window per open copy is buffered in memory.",
							&eoswath_s3_read_ahead,
							64 * 1024 * 1024,
							1024 * 1024,
							1024 * 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.s3_retries",
							"How often a failed S3 request is retried.",
							"Connection errors, timeouts, 5xx and 429/SlowDown are retried "
							"with exponential backoff and jitter, on the next endpoint of the site.",
							&eoswath_s3_retries,
							4, 0, 20,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.s3_retry_delay",
							"Backoff before the first retry of an S3 request.",
							"Doubles with every retry, up to eoswath.s3_retry_max_delay; "
							"each wait is randomised between half and all of it.",
							&eoswath_s3_retry_delay,
							100, 1, 60 * 1000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.s3_retry_max_delay",
							"Longest backoff between retries of an S3 request.",
							NULL,
							&eoswath_s3_retry_max_delay,
							5000, 1, 10 * 60 * 1000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.s3_connect_timeout",
							"Time allowed to connect to an S3 endpoint.",
							NULL,
							&eoswath_s3_connect_timeout,
							5000, 100, 10 * 60 * 1000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.s3_io_timeout",
							"An S3 transfer that moves no data for this long fails (and is retried).",
							NULL,
							&eoswath_s3_io_timeout,
							30, 1, 3600,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.s3_max_rate",
							"Bandwidth limit of each S3 transfer, in bytes per second (0: none).",
							NULL,
							&eoswath_s3_max_rate,
							0, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("eoswath.s3_allow_http",
							 "Allow S3 sites reached over plain http.",
							 "Off: S3 endpoints must be https with a verified certificate.",
							 &eoswath_s3_allow_http,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("eoswath.s3_ca_file",
							   "File of CA certificates that verify S3 endpoints (empty: the system's).",
							   NULL,
							   &eoswath_s3_ca_file,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("eoswath.s3_ca_path",
							   "Directory of CA certificates that verify S3 endpoints (empty: the system's).",
							   NULL,
							   &eoswath_s3_ca_path,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	/*
	 * Credentials for S3 sites added with "credentials": "file": the path of
	 * a file in the format of AWS's shared credentials file.  The secret is
	 * never a setting's value (a reload logs changed values).
	 */
	DefineCustomStringVariable("eoswath.s3_credentials_file",
							   "File holding the access keys of S3 sites whose credentials come from a file.",
							   "In the format of AWS's shared credentials file: [profile] sections with "
							   "aws_access_key_id and aws_secret_access_key.",
							   &eoswath_s3_credentials_file,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	/* ---- background workers (worker_*.c): shared_preload_libraries only ---- */
	DefineCustomBoolVariable("eoswath.deferred_deletes",
							 "Let the maintenance worker remove the copies that committed deletes queued.",
							 "Off: the copies stay queued in eoswath.delete_queue until this is on "
							 "again or wos_delete_pending() runs.",
							 &eoswath_deferred_deletes,
							 true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.sweep_interval",
							"Time between the maintenance worker's sweeps (wos_sweep()).",
							"0: the worker never sweeps.",
							&eoswath_sweep_interval,
							24 * 3600, 0, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.heartbeat_interval",
							"Time between the maintenance worker's heartbeats on the sites this database owns.",
							"Another instance refuses to adopt a site whose owner wrote one lately "
							"(within three intervals and a minute).  0: no heartbeat.",
							&eoswath_heartbeat_interval,
							60, 0, 24 * 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.scrub_interval",
							"Time between the starts of the scrub's full passes over every copy.",
							"0: the worker does not scrub.",
							&eoswath_scrub_interval,
							7 * 24 * 3600, 0, INT_MAX / 1000,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.scrub_rate",
							"Bandwidth limit of the scrub, in megabytes per second (0: none).",
							"Averaged over the objects: after each object the worker waits as long "
							"as its copies' bytes take at this rate.",
							&eoswath_scrub_rate,
							20, 0, INT_MAX / 2,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.subset_workers",
							"Workers per database that make the subsets queued in swath_subset_queue.",
							"0: none; the queue is then drained by swath_subset_drain().",
							&eoswath_subset_workers,
							1, 0, 16,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.subset_max_attempts",
							"Attempts a subset worker makes at a queued subset before it leaves it to swath_subset_drain().",
							NULL,
							&eoswath_subset_max_attempts,
							5, 1, 1000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.subset_retry_delay",
							"Wait before a subset worker retries a failed subset; doubles with each attempt, up to an hour.",
							NULL,
							&eoswath_subset_retry_delay,
							30, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("eoswath.launcher_naptime",
							"Time between the launcher's looks at the databases; also the least time between restarts of a worker.",
							NULL,
							&eoswath_launcher_naptime,
							10, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("eoswath");
}
