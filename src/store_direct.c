/*
 * store_direct.c
 *		A directory site's copy written with O_DIRECT, by a thread of its
 *		own, while the backend goes on receiving.
 *
 * The backend copies the bytes it is given into aligned blocks of
 * DIRECT_BLOCK bytes; a full block goes to the writer thread, which writes
 * it with pwrite() and takes the next, DIRECT_DEPTH - 1 blocks at most in
 * flight.  The bytes go from the block to the disk: no copy into the page
 * cache, no page cache to fill (on a VM that prices fresh memory by the
 * page, a buffered 1 GiB write costs seconds of system time), and a granule
 * larger than memory does not push the database's pages out of it.  The
 * last, partial block is written through the page cache at the end.
 *
 * A synchronous O_DIRECT write, one block at a time from the backend's
 * thread, was measured slower than a buffered write on 2026-12-01: the
 * backend then waits for the disk between receives.  Here it waits only
 * when every block is in flight.
 *
 * The thread makes system calls only (pwrite, fcntl, close) on a dup() of
 * the copy's descriptor and blocks every signal, as the hash threads do
 * (object_hash.c): PostgreSQL closes its transient files at the end of the
 * transaction, possibly while the thread still writes, and its own
 * descriptor keeps the file open until the thread is done.  A failed write
 * is kept (its errno) and reported by the next direct_write() or by
 * direct_finish(); the blocks after it are dropped.  A direct write the
 * file system refuses with EINVAL is written again through the page cache,
 * as is the rest of the copy.  A reset callback on the memory context
 * stops and joins the thread before the blocks are freed, so that it goes
 * on every path, errors included.
 */
#include "eoswath.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "utils/memutils.h"

#include "store.h"

#define DIRECT_BLOCK	(4 * 1024 * 1024)
#define DIRECT_DEPTH	4		/* blocks: one filling, the rest in flight */


struct DirectWriter
{
	int			fd;				/* the thread's own descriptor */
	char	   *blocks[DIRECT_DEPTH];
	size_t		fill_len;		/* bytes in the block being filled */
	off_t		offset;			/* file offset of the block being filled */

	/* shared with the thread, under lock */
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* a block was queued or written, or stop set */
	int			head;			/* oldest queued block */
	int			queued;			/* blocks queued, not yet written */
	off_t		head_offset;	/* file offset of blocks[head] */
	int			err;			/* errno of a failed write, or 0 */
	bool		stop;			/* no more blocks will come */

	pthread_t	thread;
	bool		running;
};

/*
 * A file system that took the O_DIRECT flag but refuses a direct write
 * (EINVAL: the block or offset is not aligned for it, as after a short
 * write): clear the flag, shared by every descriptor of the copy, and write
 * on through the page cache.  False if it was clear already.
 */
static bool
direct_off(int fd)
{
	int			flags = fcntl(fd, F_GETFL);

	return flags >= 0 && (flags & O_DIRECT) != 0 &&
		fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0;
}

/*
 * Write len bytes at off: 0, or the errno of the failure (a write of
 * nothing counts as a full disk).  A direct write refused with EINVAL is
 * tried again through the page cache (direct_off()).
 */
static int
write_at(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0)
	{
		ssize_t		n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && direct_off(fd))
			continue;			/* the rest through the page cache */
		if (n <= 0)
			return n == 0 ? ENOSPC : errno;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* The thread: write queued blocks in order until stopped and drained. */
static void *
direct_main(void *arg)
{
	DirectWriter *d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;)
	{
		const char *p;
		off_t		off;
		int			err;

		while (d->queued == 0 && !d->stop)
			pthread_cond_wait(&d->changed, &d->lock);
		if (d->queued == 0)
			break;
		p = d->blocks[d->head];
		off = d->head_offset;
		pthread_mutex_unlock(&d->lock);

		err = write_at(d->fd, p, DIRECT_BLOCK, off);

		pthread_mutex_lock(&d->lock);
		if (err != 0 && d->err == 0)
			d->err = err;
		if (d->err != 0)
			d->queued = 0;		/* drop the rest: the copy is lost */
		else
		{
			d->head = (d->head + 1) % DIRECT_DEPTH;
			d->head_offset += DIRECT_BLOCK;
			d->queued--;
		}
		pthread_cond_broadcast(&d->changed);
	}
	pthread_mutex_unlock(&d->lock);
	close(d->fd);
	return NULL;
}

/* Stop the thread after the queued blocks (or, if discard, at once) and join it. */
static void
direct_stop(DirectWriter *d, bool discard)
{
	if (!d->running)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	if (discard && d->err == 0)
		d->err = ECANCELED;
	pthread_cond_broadcast(&d->changed);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	d->running = false;
}

static void
direct_reset_callback(void *arg)
{
	direct_stop((DirectWriter *) arg, true);
}

/*
 * Write fd's file with O_DIRECT from offset on (a multiple of 4096; what
 * is before it was written through the page cache).  NULL if its file
 * system takes no O_DIRECT or the thread cannot start: the caller writes
 * through the page cache then.  Lives in the current memory context.
 */
DirectWriter *
direct_begin(int fd, off_t offset)
{
	DirectWriter *d;
	MemoryContextCallback *cb;
	pthread_attr_t attr;
	sigset_t	all;
	sigset_t	old;
	int			flags;
	int			rc;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_DIRECT) != 0)
		return NULL;			/* EINVAL: the file system takes none */

	Assert(offset % DIRECT_ALIGN == 0);
	d = palloc0(sizeof(DirectWriter));
	d->offset = offset;
	for (int i = 0; i < DIRECT_DEPTH; i++)
		d->blocks[i] = (char *) TYPEALIGN(DIRECT_ALIGN,
										  palloc(DIRECT_BLOCK + DIRECT_ALIGN));
	d->fd = dup(fd);
	if (d->fd < 0)
	{
		(void) fcntl(fd, F_SETFL, flags);
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->changed, NULL);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&d->thread, &attr, direct_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
	{
		close(d->fd);
		(void) fcntl(fd, F_SETFL, flags);
		return NULL;
	}
	d->running = true;

	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = direct_reset_callback;
	cb->arg = d;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return d;
}

/*
 * Append len bytes.  Returns 0, or the errno of an earlier block's write
 * that failed (the copy is lost then: nothing more is written).
 */
int
direct_write(DirectWriter *d, const char *data, size_t len)
{
	while (len > 0)
	{
		size_t		k = Min(len, DIRECT_BLOCK - d->fill_len);
		int			fill;
		int			err;

		pthread_mutex_lock(&d->lock);
		err = d->err;
		fill = (d->head + d->queued) % DIRECT_DEPTH;
		pthread_mutex_unlock(&d->lock);
		if (err != 0)
			return err;

		memcpy(d->blocks[fill] + d->fill_len, data, k);
		d->fill_len += k;
		data += k;
		len -= k;
		if (d->fill_len < DIRECT_BLOCK)
			break;

		/* hand the block over; wait for one to fill if none is free */
		pthread_mutex_lock(&d->lock);
		if (d->queued == 0)
			d->head_offset = d->offset;
		d->queued++;
		pthread_cond_broadcast(&d->changed);
		while (d->queued == DIRECT_DEPTH && d->err == 0)
			pthread_cond_wait(&d->changed, &d->lock);
		pthread_mutex_unlock(&d->lock);
		d->offset += DIRECT_BLOCK;
		d->fill_len = 0;
	}
	return 0;
}

/*
 * Write what is queued, then the last partial block through the page cache
 * (on the caller's descriptor fd, which shares O_DIRECT with the thread's).
 * Returns 0 or an errno; the caller fsyncs.
 */
int
direct_finish(DirectWriter *d, int fd)
{
	direct_stop(d, false);
	if (d->err != 0)
		return d->err;
	(void) direct_off(fd);		/* the short block; if it fails, write_at() does */
	return write_at(fd, d->blocks[(d->head + d->queued) % DIRECT_DEPTH],
					d->fill_len, d->offset);
}

/* Stop writing: the copy is being thrown away. */
void
direct_abort(DirectWriter *d)
{
	direct_stop(d, true);
}
