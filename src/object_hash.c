/*
 * object_hash.c
 *		SHA-256 contexts for the object library (OpenSSL's EVP interface),
 *		and the hash thread.
 *
 * A context lives in the memory context current when it is made and is
 * freed through a reset callback on it, so it goes on every path,
 * including errors.
 *
 * A put hashes its bytes twice: the object's digest and each block's.  With
 * eoswath.hash_thread on, the object's digest is computed on a second thread
 * of the backend while the backend's own thread hashes the blocks and writes
 * the copies (hash_thread_run, then hash_thread_wait), so that on a machine
 * with a core to spare the second SHA-256 pass costs CPU but not time.  The
 * job the thread runs makes OpenSSL calls only (sha256_update_nothrow), on a
 * context and bytes the backend leaves alone until the wait: it calls no
 * PostgreSQL code, allocates nothing, and blocks every signal, so that
 * signals reach the backend's thread as always (PostgreSQL's own server-side
 * zstd compression runs library threads in a backend the same way).  The
 * thread is started on first use and lives as long as the process; the
 * process waits for it to be idle before it exits. If it cannot be started,
 * jobs run inline.
 */
#include "eoswath.h"

#include <pthread.h>
#include <signal.h>

#include <openssl/evp.h>

#include "storage/ipc.h"
#include "utils/memutils.h"

#include "object.h"

static void
sha256_free_callback(void *arg)
{
	EVP_MD_CTX_free((EVP_MD_CTX *) arg);
}

/* A new SHA-256 context, freed with the current memory context. */
Sha256Ctx *
sha256_begin(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	MemoryContextCallback *cb;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
	{
		EVP_MD_CTX_free(md);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialise a SHA-256 context")));
	}
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = sha256_free_callback;
	cb->arg = md;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return md;
}

/* Start over (a reader that moved to another copy). */
void
sha256_restart(Sha256Ctx *md)
{
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		elog(ERROR, "SHA-256 initialisation failed");
}

void
sha256_update(Sha256Ctx *md, const void *data, size_t len)
{
	if (EVP_DigestUpdate(md, data, len) != 1)
		elog(ERROR, "SHA-256 update failed");
}

void
sha256_final(Sha256Ctx *md, uint8 *out)
{
	unsigned int len;

	if (EVP_DigestFinal_ex(md, out, &len) != 1 || len != WOS_SHA256_LEN)
		elog(ERROR, "SHA-256 finalisation failed");
}

/* The digest as 64 lower-case hex digits. */
char *
sha256_hex(const uint8 *digest)
{
	char	   *s = palloc(WOS_SHA256_LEN * 2 + 1);

	for (int i = 0; i < WOS_SHA256_LEN; i++)
		sprintf(s + 2 * i, "%02x", digest[i]);
	return s;
}

/* For the hash thread: no error is raised, failure is false. */
bool
sha256_update_nothrow(Sha256Ctx *md, const void *data, size_t len)
{
	return EVP_DigestUpdate(md, data, len) == 1;
}

/* ---- the hash thread ---- */

static struct
{
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pid_t		pid;			/* the process that tried to start it */
	bool		running;		/* started in that process */
	bool		handed_over;	/* a job is the thread's (backend's view) */
	bool		busy;			/* a job is handed over, not yet done */
	void		(*job) (void *);
	void	   *arg;
}			hasher = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void *
hasher_main(void *unused)
{
	pthread_mutex_lock(&hasher.lock);
	for (;;)
	{
		while (!hasher.busy)
			pthread_cond_wait(&hasher.cond, &hasher.lock);
		pthread_mutex_unlock(&hasher.lock);
		hasher.job(hasher.arg);
		pthread_mutex_lock(&hasher.lock);
		hasher.busy = false;
		pthread_cond_broadcast(&hasher.cond);
	}
	return NULL;
}

/* wait until no job is in progress (also at process exit) */
static void
hasher_idle(int code, Datum arg)
{
	pthread_mutex_lock(&hasher.lock);
	while (hasher.busy)
		pthread_cond_wait(&hasher.cond, &hasher.lock);
	pthread_mutex_unlock(&hasher.lock);
}

/* Is the thread running in this process?  Starts it the first time. */
static bool
hasher_start(void)
{
	pthread_attr_t attr;
	pthread_t	tid;
	sigset_t	all;
	sigset_t	old;
	int			rc;

	if (hasher.pid == getpid())
		return hasher.running;
	/* first use in this process (a forked process has no thread) */
	pthread_mutex_init(&hasher.lock, NULL);
	pthread_cond_init(&hasher.cond, NULL);
	hasher.pid = getpid();
	hasher.busy = false;
	hasher.handed_over = false;
	hasher.running = false;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, &attr, hasher_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
	{
		ereport(LOG,
				(errmsg("could not start the eoswath hash thread: %s", strerror(rc)),
				 errdetail("Puts hash on the backend's own thread.")));
		return false;
	}
	on_proc_exit(hasher_idle, (Datum) 0);
	hasher.running = true;
	return true;
}

/*
 * Run job(arg) on the hash thread (inline if eoswath.hash_thread is off or
 * the thread cannot run).  job may make OpenSSL calls only.  Until
 * hash_thread_wait() returns, what job reads and writes is the thread's:
 * the caller waits on every path, errors included (PG_FINALLY).
 */
void
hash_thread_run(void (*job) (void *), void *arg)
{
	Assert(!hasher.handed_over);
	if (!eoswath_hash_thread || !hasher_start())
	{
		job(arg);
		return;
	}
	hasher.handed_over = true;
	pthread_mutex_lock(&hasher.lock);
	hasher.job = job;
	hasher.arg = arg;
	hasher.busy = true;
	pthread_cond_broadcast(&hasher.cond);
	pthread_mutex_unlock(&hasher.lock);
}

/* Wait for the job hash_thread_run() handed over to be done. */
void
hash_thread_wait(void)
{
	if (!hasher.handed_over)
		return;
	hasher_idle(0, (Datum) 0);
	hasher.handed_over = false;
}
