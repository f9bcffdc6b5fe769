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
 * eoswath.hash_thread on, the two are computed by two threads of the backend
 * while the backend's own thread writes the copies (hash_thread_run, then
 * hash_thread_wait), so that on a machine with cores to spare hashing costs
 * CPU but little time.  The jobs the threads run make OpenSSL calls only
 * (the sha256_*_nothrow functions), on contexts, bytes and room the backend
 * prepared and leaves alone until the wait: they call no PostgreSQL code,
 * allocate nothing, and block every signal, so that signals reach the
 * backend's thread as always (PostgreSQL's own server-side zstd compression
 * runs library threads in a backend the same way).  The threads are started
 * on first use and live as long as the process; the process waits for them
 * to be idle before it exits.  A job no thread can take runs inline.
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
	if (!sha256_update_nothrow(md, data, len))
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

/* the digest into out, and md started over for the next block */
bool
sha256_next_nothrow(Sha256Ctx *md, uint8 *out)
{
	unsigned int len;

	return EVP_DigestFinal_ex(md, out, &len) == 1 && len == WOS_SHA256_LEN &&
		EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
}

/* ---- the hash threads ---- */

#define HASH_THREADS 2

typedef struct Hasher
{
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool		busy;			/* a job is handed over, not yet done */
	void		(*job) (void *);
	void	   *arg;
} Hasher;

static Hasher hashers[HASH_THREADS];
static pid_t hashers_pid;		/* the process that tried to start them */
static int	hashers_running;	/* how many run in that process */
static int	handed_over;		/* jobs given out since the last wait */

static void *
hasher_main(void *arg)
{
	Hasher	   *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;)
	{
		while (!h->busy)
			pthread_cond_wait(&h->cond, &h->lock);
		pthread_mutex_unlock(&h->lock);
		h->job(h->arg);
		pthread_mutex_lock(&h->lock);
		h->busy = false;
		pthread_cond_broadcast(&h->cond);
	}
	return NULL;
}

/* wait until no job is in progress (also at process exit) */
static void
hashers_idle(int code, Datum arg)
{
	for (int i = 0; i < hashers_running; i++)
	{
		Hasher	   *h = &hashers[i];

		pthread_mutex_lock(&h->lock);
		while (h->busy)
			pthread_cond_wait(&h->cond, &h->lock);
		pthread_mutex_unlock(&h->lock);
	}
}

/* Start the threads the first time in this process; how many run. */
static int
hashers_start(void)
{
	pthread_attr_t attr;
	sigset_t	all;
	sigset_t	old;

	if (hashers_pid == getpid())
		return hashers_running;
	/* first use in this process (a forked process has no threads) */
	hashers_pid = getpid();
	hashers_running = 0;
	handed_over = 0;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < HASH_THREADS; i++)
	{
		Hasher	   *h = &hashers[i];
		pthread_t	tid;
		int			rc;

		pthread_mutex_init(&h->lock, NULL);
		pthread_cond_init(&h->cond, NULL);
		h->busy = false;
		rc = pthread_create(&tid, &attr, hasher_main, h);
		if (rc != 0)
		{
			ereport(LOG,
					(errmsg("could not start an eoswath hash thread: %s", strerror(rc)),
					 errdetail("Puts run the hash jobs of the missing threads on the backend's own thread.")));
			break;
		}
		hashers_running++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (hashers_running > 0)
		on_proc_exit(hashers_idle, (Datum) 0);
	return hashers_running;
}

/*
 * Run job(arg) on the next free hash thread: inline if eoswath.hash_thread
 * is off or every thread has a job since the last wait.  job may make
 * OpenSSL calls only.  Until hash_thread_wait() returns, what a job reads
 * and writes is its thread's: the caller waits on every path, errors
 * included (PG_FINALLY).
 */
void
hash_thread_run(void (*job) (void *), void *arg)
{
	int			running = eoswath_hash_thread ? hashers_start() : 0;
	Hasher	   *h;

	if (handed_over >= running)
	{
		job(arg);
		return;
	}
	h = &hashers[handed_over++];
	pthread_mutex_lock(&h->lock);
	h->job = job;
	h->arg = arg;
	h->busy = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* Wait for every job hash_thread_run() handed over to be done. */
void
hash_thread_wait(void)
{
	if (handed_over == 0)
		return;
	hashers_idle(0, (Datum) 0);
	handed_over = 0;
}
