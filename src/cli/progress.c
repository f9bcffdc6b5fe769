/*
 * progress.c
 *		The progress bar on a terminal: bytes, percentage, rate and ETA on one
 *		line of stderr, redrawn at most five times a second, and a final line
 *		"... in M:SS".  Batches (ingest, subset) add "[done/total]" items.
 *		Nothing is drawn when stderr is not a terminal or with -q.
 *
 * The bar may be shared by threads (ingest's workers): every call takes the
 * bar's lock, and messages of the workers go through progress_print() so
 * that a line is never written into the middle of the bar.
 */
#include <stdarg.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"

static double
now_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void
human(char *buf, size_t len, double bytes)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int			u = 0;

	while (bytes >= 1024 && u < 4)
	{
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

/* total: bytes to move (-1: unknown); items: files of a batch (0: none) */
void
progress_init(Progress *p, int64_t total, int items)
{
	p->on = !quiet && isatty(STDERR_FILENO);
	p->total = total;
	p->done = 0;
	p->items_total = items;
	p->items_done = 0;
	p->start = p->last = now_seconds();
	pthread_mutex_init(&p->lock, NULL);
}

/* Draw the bar; the caller holds the lock. */
static void
draw(Progress *p, bool final, bool force)
{
	double		t = now_seconds();
	double		rate;
	char		done[32],
				total[32],
				speed[32],
				eta[32] = "",
				items[32] = "";

	if (!p->on || (!final && !force && t - p->last < 0.2))
		return;
	p->last = t;
	rate = t > p->start ? p->done / (t - p->start) : 0;
	human(done, sizeof(done), p->done);
	human(speed, sizeof(speed), rate);
	if (p->items_total > 0)
		snprintf(items, sizeof(items), "[%d/%d] ", p->items_done, p->items_total);
	if (final)
	{
		long		s = (long) (t - p->start);

		snprintf(eta, sizeof(eta), " in %ld:%02ld", s / 60, s % 60);
	}
	else if (p->total > 0 && rate > 0 && p->done < p->total)
	{
		long		s = (long) ((p->total - p->done) / rate);

		snprintf(eta, sizeof(eta), " ETA %ld:%02ld", s / 60, s % 60);
	}
	/* ESC [ K: erase the rest of the previous, possibly longer, line */
	if (p->total > 0)
	{
		human(total, sizeof(total), p->total);
		fprintf(stderr, "\r%s%s / %s %3d%% %s/s%s\033[K", items, done, total,
				(int) (100.0 * p->done / p->total), speed, eta);
	}
	else
		fprintf(stderr, "\r%s%s %s/s%s\033[K", items, done, speed, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

void
progress_add(Progress *p, int64_t bytes)
{
	pthread_mutex_lock(&p->lock);
	p->done += bytes;
	draw(p, false, false);
	pthread_mutex_unlock(&p->lock);
}

void
progress_item_done(Progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->items_done++;
	draw(p, false, true);
	pthread_mutex_unlock(&p->lock);
}

/* The final line, kept on the screen. */
void
progress_finish(Progress *p)
{
	pthread_mutex_lock(&p->lock);
	draw(p, true, true);
	pthread_mutex_unlock(&p->lock);
}

/* A line on out (stdout or stderr) above the bar, which is then redrawn. */
void
progress_print(Progress *p, FILE *out, const char *fmt,...)
{
	va_list		ap;

	pthread_mutex_lock(&p->lock);
	if (p->on)
	{
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
	draw(p, false, true);
	pthread_mutex_unlock(&p->lock);
}
