/*
 * object_hash.c
 *		SHA-256 contexts for the object library (OpenSSL's EVP interface),
 *		and the hash thread.
 *
 * A context lives in the memory context current when it is made and is
 * freed through a reset callback on it, so it goes on every path,
 * including errors.
 *
 * A put hashes its bytes twice: the object's digest and each block's.  On a
 * CPU with the x86 SHA extensions, and blocks of a multiple of 64 bytes, the
 * two are computed in one pass (sha256_pair_*: one message schedule, the
 * rounds of the two interleaved), which costs about 40% less CPU than two
 * passes of OpenSSL; elsewhere by OpenSSL's EVP interface.  With
 * eoswath.hash_thread on, the two are computed by threads of the backend
 * while the backend's own thread writes the copies and receives the next
 * bytes (hash_thread_run, then hash_thread_wait at the next put_copies()),
 * so that on a machine with cores to spare hashing costs CPU but little
 * time.  The jobs the threads run make OpenSSL calls only (the
 * sha256_*_nothrow functions) or sha256_pair_* calls, on contexts, bytes
 * and room the backend prepared and leaves alone until the wait (a reset
 * callback on their memory context waits on the error paths, before they
 * go): they call no PostgreSQL code,
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

/* ---- two digests in one pass: SHA-NI ---- */

/*
 * The object's digest and its current block's cover the same bytes, at the
 * same offsets modulo 64 when the block size is a multiple of 64: the
 * message schedule of each 64-byte chunk is then the same for both, and
 * is computed once.  The rounds of the two states are interleaved, which
 * keeps the SHA unit busy where one state alone waits on its own results.
 * With the x86 SHA extensions only; elsewhere the put hashes each digest
 * with OpenSSL, as before.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SHA_PAIR 1
#include <cpuid.h>
#include <immintrin.h>

static const uint32 sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

/*
 * nchunks 64-byte chunks of data into both states a and b (h0..h7 each).
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void
sha256_x2(uint32 *a, uint32 *b, const uint8 *data, size_t nchunks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i		a0,
				a1,
				b0,
				b1,
				t;

	/* h0..h7 into the ABEF, CDGH order the instructions use */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &a[0]), 0xB1);
	a1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &a[4]), 0x1B);
	a0 = _mm_alignr_epi8(t, a1, 8);
	a1 = _mm_blend_epi16(a1, t, 0xF0);
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &b[0]), 0xB1);
	b1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &b[4]), 0x1B);
	b0 = _mm_alignr_epi8(t, b1, 8);
	b1 = _mm_blend_epi16(b1, t, 0xF0);

	for (; nchunks > 0; nchunks--, data += 64)
	{
		__m128i		w[16];
		__m128i		sa0 = a0,
					sa1 = a1,
					sb0 = b0,
					sb1 = b1;

		/* the message schedule, four words at a time, once for both */
		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (data + 16 * i)), mask);
		/* unrolled: the w[] stay in registers */
#pragma GCC unroll 12
		for (int i = 4; i < 16; i++)
			w[i] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
													  _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
										w[i - 1]);
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++)
		{
			__m128i		wk = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *) &sha256_k[4 * i]));
			__m128i		wk2 = _mm_shuffle_epi32(wk, 0x0E);

			a1 = _mm_sha256rnds2_epu32(a1, a0, wk);
			b1 = _mm_sha256rnds2_epu32(b1, b0, wk);
			a0 = _mm_sha256rnds2_epu32(a0, a1, wk2);
			b0 = _mm_sha256rnds2_epu32(b0, b1, wk2);
		}
		a0 = _mm_add_epi32(a0, sa0);
		a1 = _mm_add_epi32(a1, sa1);
		b0 = _mm_add_epi32(b0, sb0);
		b1 = _mm_add_epi32(b1, sb1);
	}

	/* back to h0..h7 */
	t = _mm_shuffle_epi32(a0, 0x1B);
	a1 = _mm_shuffle_epi32(a1, 0xB1);
	_mm_storeu_si128((__m128i *) &a[0], _mm_blend_epi16(t, a1, 0xF0));
	_mm_storeu_si128((__m128i *) &a[4], _mm_alignr_epi8(a1, t, 8));
	t = _mm_shuffle_epi32(b0, 0x1B);
	b1 = _mm_shuffle_epi32(b1, 0xB1);
	_mm_storeu_si128((__m128i *) &b[0], _mm_blend_epi16(t, b1, 0xF0));
	_mm_storeu_si128((__m128i *) &b[4], _mm_alignr_epi8(b1, t, 8));
}

/* Does this CPU have the SHA extensions (and the SSE the code needs)? */
static bool
sha_ni_present(void)
{
	static int	present = -1;

	if (present < 0)
	{
		unsigned int eax,
					ebx,
					ecx,
					edx;

		present = __get_cpuid(1, &eax, &ebx, &ecx, &edx) &&
			(ecx & bit_SSSE3) && (ecx & bit_SSE4_1) &&
			__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) &&
			(ebx & bit_SHA);
	}
	return present;
}
#endif							/* x86-64 */

static const uint32 sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

/* Can the put of blocks of block_size bytes hash both digests in one pass? */
bool
sha256_pair_usable(int32 block_size)
{
#ifdef HAVE_SHA_PAIR
	return block_size > 0 && block_size % 64 == 0 && sha_ni_present();
#else
	return false;
#endif
}

/* Both digests start (sha256_pair_usable() said yes). */
void
sha256_pair_init(Sha256Pair *p)
{
	memcpy(p->whole, sha256_h0, sizeof(sha256_h0));
	memcpy(p->block, sha256_h0, sizeof(sha256_h0));
	p->whole_len = 0;
	p->block_len = 0;
	p->pend_len = 0;
}

/*
 * len more bytes of the object, none past the current block's end.  The
 * bytes short of a whole 64-byte chunk wait in p->pend; they are the same
 * for both digests, as a block ends on a chunk boundary.
 */
void
sha256_pair_update(Sha256Pair *p, const uint8 *data, size_t len)
{
#ifdef HAVE_SHA_PAIR
	p->whole_len += len;
	p->block_len += len;
	if (p->pend_len > 0)
	{
		size_t		n = Min(len, (size_t) (64 - p->pend_len));

		memcpy(p->pend + p->pend_len, data, n);
		p->pend_len += n;
		data += n;
		len -= n;
		if (p->pend_len < 64)
			return;
		sha256_x2(p->whole, p->block, p->pend, 1);
		p->pend_len = 0;
	}
	if (len >= 64)
		sha256_x2(p->whole, p->block, data, len / 64);
	data += len / 64 * 64;
	len %= 64;
	memcpy(p->pend, data, len);
	p->pend_len = len;
#endif
}

/* The padding and length of a digest of len bytes into out; h is spent. */
static void
sha256_pair_finish(uint32 *h, const uint8 *pend, int pend_len, uint64 len, uint8 *out)
{
#ifdef HAVE_SHA_PAIR
	uint8		tail[128] = {0};
	int			n = pend_len + 9 <= 64 ? 64 : 128;
	uint32		scratch[8];
	uint64		bits = len * 8;

	memcpy(tail, pend, pend_len);
	tail[pend_len] = 0x80;
	for (int i = 0; i < 8; i++)
		tail[n - 1 - i] = (uint8) (bits >> (8 * i));
	memcpy(scratch, h, sizeof(scratch));
	sha256_x2(h, scratch, tail, n / 64);
	for (int i = 0; i < 8; i++)
	{
		out[4 * i] = (uint8) (h[i] >> 24);
		out[4 * i + 1] = (uint8) (h[i] >> 16);
		out[4 * i + 2] = (uint8) (h[i] >> 8);
		out[4 * i + 3] = (uint8) h[i];
	}
#endif
}

/* The current block ends here: its digest into out; the next one starts. */
void
sha256_pair_next_block(Sha256Pair *p, uint8 *out)
{
	Assert(p->pend_len == 0);
	sha256_pair_finish(p->block, p->pend, 0, p->block_len, out);
	memcpy(p->block, sha256_h0, sizeof(sha256_h0));
	p->block_len = 0;
}

/* The object's digest into whole, and the last block's (if any bytes) into block. */
void
sha256_pair_final(Sha256Pair *p, uint8 *whole, uint8 *block)
{
	if (p->block_len > 0)
		sha256_pair_finish(p->block, p->pend, p->pend_len, p->block_len, block);
	sha256_pair_finish(p->whole, p->pend, p->pend_len, p->whole_len, whole);
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

/* If *running, wait for the jobs and clear it; whether it waited. */
bool
hash_thread_finish(bool *running)
{
	if (!*running)
		return false;
	hash_thread_wait();
	*running = false;
	return true;
}

static void
hash_guard_callback(void *arg)
{
	(void) hash_thread_finish((bool *) arg);
}

/*
 * For jobs left running when the call that started them returns (a put's
 * last bytes, a stream's next block): while *running is true, jobs run on
 * memory of cxt, and a reset or delete of cxt (the end of the query, an
 * aborted transaction) waits for them before anything is freed.  Register
 * it after the SHA-256 contexts the jobs use, which are freed by reset
 * callbacks of their own: the callbacks run newest first.
 */
void
hash_thread_guard(MemoryContext cxt, bool *running)
{
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));

	cb->func = hash_guard_callback;
	cb->arg = running;
	MemoryContextRegisterResetCallback(cxt, cb);
}
