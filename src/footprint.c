/*-------------------------------------------------------------------------
 *
 * footprint.c
 *	  Footprint polygon of a swath from streamed pixel centres.
 *
 * Algorithm
 * ---------
 * All geometry is done on the unit sphere with 3-D vectors, so longitude
 * conventions (0..360, -180..180), antimeridian crossings and poles need no
 * special cases.  The result is a MULTIPOLYGON whose parts are small
 * (at most max_segment_km along track, one swath wide), so every part is far
 * smaller than a hemisphere and its great-circle edges stay close to the
 * true swath edge.  Parts of consecutive segments overlap by about one scan
 * line (the boundary row is shared and each part is padded outward), so a
 * pixel centre on a segment boundary is strictly inside at least one part.
 * The parts leave here as planar lon/lat rings (see "planar rings" below:
 * unwrapped past +-180, densified, polar rings closed along the pole), and
 * the SQL side (eoswath.footprint_from_parts) unions them into one valid
 * (Multi)Polygon split at the antimeridian: no part overlaps another.
 *
 * 1. A sample of row pairs spread over the granule gives the typical
 *    along-track spacing (between scan lines), the typical across-track
 *    spacing between each pair of adjacent columns, and the geometry mode:
 *    - "track" when the variable is 1-D, has one column or one row, or the
 *      pixels of a row run parallel to the track (Jason-1 20 Hz: (time,
 *      meas_ind)); all valid pixels are then taken in storage order as one
 *      polyline;
 *    - "swath" otherwise.  A column gap wider than 30 km and than 3 times
 *      the neighbouring column spacings (ASCAT's ~700 km nadir gap between
 *      its two sub-swaths; GPM V07 HS, whose 24 rays are two 12-ray halves
 *      at the two FS edges) splits the columns into sub-swaths, each
 *      outlined on its own.
 * 2. Swath mode streams the rows (nc_swath_iter) and keeps a window of at
 *    most K+1 rows (K = max_segment_km / along spacing, bounded so the
 *    window stays a few MB).  For each row only its valid extent counts: the
 *    first (L) and last (R) valid pixel of the sub-swath (fill pixels at the
 *    ends of a row are thus excluded).  A segment is closed when the window
 *    is full (the last row is kept as the first row of the next segment),
 *    when a row has no valid pixel, or when the track jumps (data gap: the
 *    same pixel in consecutive rows, or the row centres if no pixel is valid
 *    in both, farther apart than max(4 * along spacing, 50 km)).
 *    The segment's ring is: left-edge pixels of rows first..last, the valid
 *    pixels of the last row from L to R, right-edge pixels back to the
 *    first row, the valid pixels of the first row from R to L.  Every vertex
 *    is moved outward on the sphere: edge pixels across track (away from
 *    the neighbouring pixel of the row) by half the across spacing + 1 km,
 *    first/last-row pixels along track (away from the neighbouring row) by
 *    half the along spacing + 1 km, corners both ways.  A ring around a pole
 *    is a proper small ring: PostGIS geography handles it (gbox_check_poles).
 * 3. Track mode builds corridor parts: the polyline offset by +-corridor_km
 *    perpendicular to the local track direction, with end caps extended by
 *    corridor_km, in pieces of at most max_segment_km.
 * 4. Each ring is simplified with Douglas-Peucker on the sphere (cross-track
 *    distance to the great circle through the kept vertices, tolerance
 *    simplify_km, at most a quarter of the padding), so removed vertices
 *    stay covered.
 *
 * Limits: fill pixels inside a row (between L and R) are covered (holes are
 * not cut out); a single row wider than a hemisphere is not split.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "footprint.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"

#define EARTH_KM	6371.0088
#define FP_SAMPLE_POS	24
#define FP_MAX_WINDOW_VALUES	(1 << 19)

typedef struct Vec3
{
	double		x,
				y,
				z;
} Vec3;

static inline Vec3
v3(double x, double y, double z)
{
	Vec3		r = {x, y, z};

	return r;
}

static inline Vec3
vadd(Vec3 a, Vec3 b)
{
	return v3(a.x + b.x, a.y + b.y, a.z + b.z);
}

static inline Vec3
vsub(Vec3 a, Vec3 b)
{
	return v3(a.x - b.x, a.y - b.y, a.z - b.z);
}

static inline Vec3
vscale(Vec3 a, double s)
{
	return v3(a.x * s, a.y * s, a.z * s);
}

static inline double
vdot(Vec3 a, Vec3 b)
{
	return a.x * b.x + a.y * b.y + a.z * b.z;
}

static inline Vec3
vcross(Vec3 a, Vec3 b)
{
	return v3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z,
			  a.x * b.y - a.y * b.x);
}

static inline double
vlen(Vec3 a)
{
	return sqrt(vdot(a, a));
}

static inline bool
vnormalize(Vec3 *a)
{
	double		l = vlen(*a);

	if (l < 1e-15)
		return false;
	*a = vscale(*a, 1.0 / l);
	return true;
}

static inline Vec3
ll2v(double lat, double lon)
{
	double		la = lat * M_PI / 180.0,
				lo = lon * M_PI / 180.0;

	return v3(cos(la) * cos(lo), cos(la) * sin(lo), sin(la));
}

static inline void
v2ll(Vec3 v, double *lat, double *lon)
{
	*lat = atan2(v.z, sqrt(v.x * v.x + v.y * v.y)) * 180.0 / M_PI;
	*lon = atan2(v.y, v.x) * 180.0 / M_PI;
	if (fabs(*lat) > 89.9999999)
		*lon = 0.0;
}

/* great-circle distance, km */
static inline double
gc_km(Vec3 a, Vec3 b)
{
	return atan2(vlen(vcross(a, b)), vdot(a, b)) * EARTH_KM;
}

/* unit tangent at p pointing towards q; false if q ~ p or antipodal */
static inline bool
tangent_to(Vec3 p, Vec3 q, Vec3 *t)
{
	*t = vsub(q, vscale(p, vdot(p, q)));
	return vnormalize(t);
}

/* move p by tangent vector off (km) */
static Vec3
offset_km(Vec3 p, Vec3 off)
{
	double		l = vlen(off);
	double		d;
	Vec3		t;
	Vec3		r;

	if (l < 1e-12)
		return p;
	/* re-project on the tangent plane at p */
	t = vsub(off, vscale(p, vdot(p, off)));
	if (!vnormalize(&t))
		return p;
	d = l / EARTH_KM;
	r = vadd(vscale(p, cos(d)), vscale(t, sin(d)));
	(void) vnormalize(&r);
	return r;
}

static inline bool
valid_ll(double lat, double lon)
{
	return !isnan(lat) && !isnan(lon);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

static double
median(double *v, int n, double dflt)
{
	if (n <= 0)
		return dflt;
	qsort(v, n, sizeof(double), cmp_double);
	return v[n / 2];
}

/* ---------- ring collection ---------- */

typedef struct RingBuf
{
	Vec3	   *v;
	int			n;
	int			cap;
} RingBuf;

static void
ring_push(RingBuf *rb, Vec3 p)
{
	if (rb->n == rb->cap)
	{
		rb->cap = rb->cap ? rb->cap * 2 : 256;
		rb->v = rb->v ? repalloc(rb->v, rb->cap * sizeof(Vec3))
			: palloc(rb->cap * sizeof(Vec3));
	}
	rb->v[rb->n++] = p;
}

/* Douglas-Peucker on the sphere over the open polyline v[0..n-1] */
static void
simplify_mark(const Vec3 *v, int n, double tol_km, bool *keep)
{
	int		   *stack = palloc(2 * (n + 1) * sizeof(int));
	int			sp = 0;
	int			i;

	for (i = 0; i < n; i++)
		keep[i] = false;
	keep[0] = keep[n - 1] = true;
	stack[sp++] = 0;
	stack[sp++] = n - 1;
	while (sp > 0)
	{
		int			b = stack[--sp];
		int			a = stack[--sp];
		Vec3		nrm = vcross(v[a], v[b]);
		bool		degenerate = !vnormalize(&nrm);
		double		worst = -1;
		int			wi = -1;

		for (i = a + 1; i < b; i++)
		{
			double		d;

			if (degenerate)
				d = gc_km(v[a], v[i]);
			else
			{
				d = fabs(asin(Max(-1.0, Min(1.0, vdot(v[i], nrm))))) * EARTH_KM;
				/* also beyond the arc ends counts */
				if (vdot(v[i], v[a]) < vdot(v[b], v[a]) - 1e-12 &&
					vdot(v[i], v[b]) < vdot(v[a], v[b]) - 1e-12)
					d = Max(d, Min(gc_km(v[i], v[a]), gc_km(v[i], v[b])));
			}
			if (d > worst)
			{
				worst = d;
				wi = i;
			}
		}
		if (wi >= 0 && worst > tol_km)
		{
			keep[wi] = true;
			stack[sp++] = a;
			stack[sp++] = wi;
			stack[sp++] = wi;
			stack[sp++] = b;
		}
	}
	pfree(stack);
}

/* ---------- planar rings ---------- */

/*
 * A ring on the sphere becomes a ring of planar lon/lat vertices that
 * PostGIS can union (swath_footprint() in SQL): longitudes are unwrapped
 * (each step is the short way, so a ring crossing the antimeridian goes
 * past +-180 instead of jumping), edges are split until the straight
 * lon/lat segment and the great-circle arc between its ends are never more
 * than FP_PLANAR_TOL_KM apart, and a ring around a pole (its longitudes
 * wind once round) is closed along the pole: down the last longitude to the
 * pole, along it, and back.  The SQL side wraps longitudes beyond +-180
 * back (ST_WrapX) and unions the parts, so the stored footprint is an
 * OGC-valid (Multi)Polygon split at the antimeridian whose planar and
 * great-circle readings differ by at most this tolerance.
 */
#define FP_PLANAR_TOL_KM	0.25
#define FP_PLANAR_DEPTH		14

typedef struct PlanarBuf
{
	double	   *lon;
	double	   *lat;
	int			n;
	int			cap;
} PlanarBuf;

static void
planar_push(PlanarBuf *pb, double lon, double lat)
{
	if (pb->n == pb->cap)
	{
		pb->cap = pb->cap ? pb->cap * 2 : 256;
		pb->lon = pb->lon ? repalloc(pb->lon, pb->cap * sizeof(double))
			: palloc(pb->cap * sizeof(double));
		pb->lat = pb->lat ? repalloc(pb->lat, pb->cap * sizeof(double))
			: palloc(pb->cap * sizeof(double));
	}
	pb->lon[pb->n] = lon;
	pb->lat[pb->n] = lat;
	pb->n++;
}

/* longitude of v unwrapped to within 180 degrees of ref (ref at a pole: v's) */
static double
unwrap_lon(Vec3 v, double ref, double *lat)
{
	double		lon;

	v2ll(v, lat, &lon);
	if (fabs(*lat) > 89.9999999)
		return ref;				/* at a pole every longitude is right */
	lon += 360.0 * round((ref - lon) / 360.0);
	return lon;
}

/*
 * Push the vertices of the arc from a (at planar alon, alat) to b, b
 * included, splitting it until the planar segments follow the arc.
 */
static void
planar_arc(PlanarBuf *pb, Vec3 a, double alon, double alat, Vec3 b, int depth)
{
	double		blat,
				blon = unwrap_lon(b, alon, &blat);
	Vec3		m = vadd(a, b);

	if (depth < FP_PLANAR_DEPTH && vnormalize(&m) &&
		gc_km(m, ll2v((alat + blat) / 2, (alon + blon) / 2)) > FP_PLANAR_TOL_KM)
	{
		double		mlat,
					mlon = unwrap_lon(m, alon, &mlat);

		planar_arc(pb, a, alon, alat, m, depth + 1);
		planar_arc(pb, m, mlon, mlat, b, depth + 1);
		return;
	}
	planar_push(pb, blon, blat);
}

/* the planar ring of the spherical ring v[0..n-1] (not closed) */
static void
planar_ring(const Vec3 *v, int n, PlanarBuf *pb)
{
	double		lat0,
				lon0,
				wind;
	int			i;

	pb->n = 0;
	v2ll(v[0], &lat0, &lon0);
	planar_push(pb, lon0, lat0);
	for (i = 0; i < n; i++)
	{
		int			k = pb->n - 1;

		planar_arc(pb, v[i], pb->lon[k], pb->lat[k], v[(i + 1) % n], 0);
	}
	/* the closing vertex is v[0] again, maybe 360 degrees further */
	wind = pb->lon[pb->n - 1] - lon0;
	if (fabs(wind) > 180.0)
	{
		Vec3		c = v3(0, 0, 0);
		double		pole;

		for (i = 0; i < n; i++)
			c = vadd(c, v[i]);
		pole = c.z >= 0 ? 90.0 : -90.0;
		planar_push(pb, pb->lon[pb->n - 1], pole);
		planar_push(pb, lon0, pole);
		planar_push(pb, lon0, lat0);
	}
	else
		pb->lon[pb->n - 1] = lon0;	/* exactly closed */
}

static void
fp_add_ring(Footprint *fp, RingBuf *rb, double tol_km)
{
	bool	   *keep;
	FootprintRing *r;
	Vec3	   *kept;
	PlanarBuf	pb = {0};
	int			i,
				k = 0,
				nkeep = 0;
	int			n = rb->n;

	if (n < 3)
	{
		rb->n = 0;
		return;
	}
	keep = palloc0(n * sizeof(bool));
	/* simplify the two halves so both stay proper */
	simplify_mark(rb->v, n / 2 + 1, tol_km, keep);
	{
		bool	   *keep2 = palloc((n - n / 2 + 1) * sizeof(bool));
		Vec3	   *tail = palloc((n - n / 2 + 1) * sizeof(Vec3));

		for (i = n / 2; i < n; i++)
			tail[i - n / 2] = rb->v[i];
		tail[n - n / 2] = rb->v[0];
		simplify_mark(tail, n - n / 2 + 1, tol_km, keep2);
		for (i = n / 2; i < n; i++)
			keep[i] = keep[i] || keep2[i - n / 2];
		pfree(keep2);
		pfree(tail);
	}
	for (i = 0; i < n; i++)
		if (keep[i])
			nkeep++;
	if (nkeep < 3)
	{
		for (i = 0; i < n; i++)
			keep[i] = true;
		nkeep = n;
	}
	kept = palloc(nkeep * sizeof(Vec3));
	for (i = 0; i < n; i++)
		if (keep[i])
			kept[k++] = rb->v[i];
	planar_ring(kept, nkeep, &pb);

	if (fp->nrings == fp->cap)
	{
		fp->cap = fp->cap ? fp->cap * 2 : 16;
		fp->rings = fp->rings ?
			repalloc(fp->rings, fp->cap * sizeof(FootprintRing)) :
			palloc(fp->cap * sizeof(FootprintRing));
	}
	r = &fp->rings[fp->nrings++];
	r->lon = pb.lon;
	r->lat = pb.lat;
	r->npoints = pb.n;
	pfree(kept);
	pfree(keep);
	rb->n = 0;
}

/* ---------- sampling ---------- */

typedef struct PairGeom
{
	bool		track;
	double		along_km;		/* typical spacing between rows */
	double		across_km;		/* typical spacing between columns */
	int			nsub;			/* sub-swaths (column ranges) */
	int		   *sub_lo;
	int		   *sub_hi;
} PairGeom;

static void
analyse_pair(NcSwath *sw, int pair, PairGeom *g)
{
	NcGeoPair  *p = &sw->pairs[pair];
	size_t		nc = p->ncols;
	int			npos = (int) Min((size_t) FP_SAMPLE_POS, p->nrows);

	/* two rows of a swath, and arrays per column: sizes checked (and so nc < INT_MAX) */
	double	   *lat = nc_alloc_array(&sw->what, nc_size_mul(&sw->what, 2, nc), sizeof(double));
	double	   *lon = nc_alloc_array(&sw->what, 2 * nc, sizeof(double));
	Vec3	   *vec = nc_alloc_array(&sw->what, 2 * nc, sizeof(Vec3)); /* of valid pixels */
	double	   *alongs = palloc(npos * sizeof(double));
	double	   *coss = palloc(npos * sizeof(double));
	double	  **gaps = nc_alloc_array(&sw->what, Max(1, nc), sizeof(double *));
	int		   *ngaps = nc_alloc_array(&sw->what, Max(1, nc), sizeof(int));
	double	   *gapmed = nc_alloc_array(&sw->what, Max(1, nc), sizeof(double));
	int			nalong = 0,
				ncos = 0;
	int			s;
	size_t		c;

	memset(ngaps, 0, Max(1, nc) * sizeof(int));
	for (c = 0; c + 1 < nc; c++)
	{
		CHECK_FOR_INTERRUPTS();
		gaps[c] = palloc(npos * sizeof(double));
	}

	for (s = 0; s < npos && p->nrows >= 2; s++)
	{
		size_t		r = (p->nrows - 2) * s / Max(1, npos - 1);
		int			l0 = -1,
					r0 = -1;
		Vec3		c0 = v3(0, 0, 0),
					dsum = v3(0, 0, 0);
		double		dist = 0;
		int			nboth = 0;

		CHECK_FOR_INTERRUPTS();
		nc_swath_read_rows(sw, pair, r, 2, lat, lon);
		/* each valid pixel's vector once (sin/cos are most of the work) */
		for (c = 0; c < 2 * nc; c++)
			if (valid_ll(lat[c], lon[c]))
				vec[c] = ll2v(lat[c], lon[c]);
		for (c = 0; c < nc; c++)
		{
			bool		v0 = valid_ll(lat[c], lon[c]);

			if (v0)
			{
				if (l0 < 0)
					l0 = c;
				r0 = c;
				c0 = vadd(c0, vec[c]);
			}
			/* same pixel in consecutive rows: along-track step */
			if (v0 && valid_ll(lat[nc + c], lon[nc + c]))
			{
				Vec3		a = vec[c];
				Vec3		b = vec[nc + c];

				dsum = vadd(dsum, vsub(b, a));
				dist += gc_km(a, b);
				nboth++;
			}
			if (c + 1 < nc && v0 && valid_ll(lat[c + 1], lon[c + 1]))
				gaps[c][ngaps[c]++] = gc_km(vec[c], vec[c + 1]);
		}
		if (nboth == 0 || !vnormalize(&c0))
			continue;
		if (dist > 0)
			alongs[nalong++] = dist / nboth;
		if (l0 >= 0 && r0 > l0)
		{
			Vec3		pl = vec[l0];
			Vec3		pr = vec[r0];
			Vec3		ta,
						tb;

			if (tangent_to(c0, vadd(c0, dsum), &ta) &&
				tangent_to(c0, vadd(c0, vsub(pr, pl)), &tb))
				coss[ncos++] = fabs(vdot(ta, tb));
		}
	}

	g->along_km = median(alongs, nalong, 10.0);
	g->track = (nc == 1 || p->nrows == 1 ||
				(ncos > 0 && median(coss, ncos, 0) > 0.7));

	g->nsub = 1;
	g->sub_lo = palloc(Max(1, nc) * sizeof(int));
	g->sub_hi = palloc(Max(1, nc) * sizeof(int));
	g->sub_lo[0] = 0;
	g->sub_hi[0] = (int) nc - 1;
	g->across_km = g->along_km;
	if (!g->track && nc > 1)
	{
		double	   *all = palloc(nc * sizeof(double));
		int			nall = 0;

		for (c = 0; c + 1 < nc; c++)
		{
			gapmed[c] = median(gaps[c], ngaps[c], -1);
			if (gapmed[c] >= 0)
				all[nall++] = gapmed[c];
		}
		g->across_km = median(all, nall, g->along_km);
		for (c = 0; c + 1 < nc; c++)
		{
			/* compare with the neighbouring column spacings */
			double		local = 0;
			size_t		j;

			for (j = (c >= 2 ? c - 2 : 0); j <= c + 2 && j + 1 < nc; j++)
				if (j != c && gapmed[j] > local)
					local = gapmed[j];
			if (local <= 0)
				local = g->across_km;
			if (gapmed[c] > 3.0 * local && gapmed[c] > 30.0)
			{
				g->sub_hi[g->nsub - 1] = (int) c;
				g->sub_lo[g->nsub] = (int) c + 1;
				g->sub_hi[g->nsub] = (int) nc - 1;
				g->nsub++;
			}
		}
		pfree(all);
	}
	pfree(lat);
	pfree(lon);
	pfree(vec);
	pfree(alongs);
	pfree(coss);
	for (c = 0; c + 1 < nc; c++)
		pfree(gaps[c]);
	pfree(gaps);
	pfree(ngaps);
	pfree(gapmed);
}

/* ---------- track mode ---------- */

typedef struct TrackState
{
	Footprint  *fp;
	const FootprintOptions *o;
	Vec3	   *pts;
	int			n;
	int			cap;			/* max points per part */
	double		len_km;
	double		gap_km;
	RingBuf		rb;
} TrackState;

static void
track_flush(TrackState *ts)
{
	int			n = ts->n;
	double		w = ts->o->corridor_km;
	Vec3	   *left = palloc(n * sizeof(Vec3));
	Vec3	   *along = palloc(n * sizeof(Vec3));
	Vec3		prev = v3(0, 0, 0);
	bool		have_prev = false;
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		Vec3		t = v3(0, 0, 0),
					a;

		if (i + 1 < n && tangent_to(ts->pts[i], ts->pts[i + 1], &a))
			t = vadd(t, a);
		if (i > 0 && tangent_to(ts->pts[i], ts->pts[i - 1], &a))
			t = vsub(t, a);
		if (!vnormalize(&t))
		{
			if (have_prev)
				t = prev;
			else
			{
				/* lone point: any direction */
				Vec3		z = v3(0, 0, 1);

				if (!tangent_to(ts->pts[i], z, &t))
					t = v3(1, 0, 0);
			}
		}
		t = vsub(t, vscale(ts->pts[i], vdot(t, ts->pts[i])));
		(void) vnormalize(&t);
		prev = t;
		have_prev = true;
		along[i] = t;
		left[i] = vcross(ts->pts[i], t);
		(void) vnormalize(&left[i]);
	}
	for (i = 0; i < n; i++)
	{
		Vec3		o = vscale(left[i], w);

		if (i == 0)
			ring_push(&ts->rb, offset_km(ts->pts[i], vadd(o, vscale(along[i], -w))));
		if (i == n - 1)
			ring_push(&ts->rb, offset_km(ts->pts[i], vadd(o, vscale(along[i], w))));
		if (i != 0 && i != n - 1)
			ring_push(&ts->rb, offset_km(ts->pts[i], o));
	}
	for (i = n - 1; i >= 0; i--)
	{
		Vec3		o = vscale(left[i], -w);

		if (i == n - 1)
			ring_push(&ts->rb, offset_km(ts->pts[i], vadd(o, vscale(along[i], w))));
		if (i == 0)
			ring_push(&ts->rb, offset_km(ts->pts[i], vadd(o, vscale(along[i], -w))));
		if (i != 0 && i != n - 1)
			ring_push(&ts->rb, offset_km(ts->pts[i], o));
	}
	fp_add_ring(ts->fp, &ts->rb, Min(ts->o->simplify_km, w / 4));
	pfree(left);
	pfree(along);
}

static void
track_pair(NcSwath *sw, int pair, const PairGeom *g, Footprint *fp,
		   const FootprintOptions *o)
{
	TrackState	ts;
	NcSwathIter *it;
	NcSwathBlock *b;

	memset(&ts, 0, sizeof(ts));
	ts.fp = fp;
	ts.o = o;
	ts.gap_km = Max(4.0 * g->along_km, 50.0);
	/* parts end by length; cap only bounds memory (dense 20 Hz tracks) */
	ts.cap = 65536;
	ts.pts = palloc(ts.cap * sizeof(Vec3));

	it = nc_swath_iter_begin(sw, pair, 0);
	while ((b = nc_swath_iter_next(it)) != NULL)
	{
		size_t		k,
					n = b->nrows * b->ncols;

		for (k = 0; k < n; k++)
		{
			Vec3		p;

			if (!valid_ll(b->lat[k], b->lon[k]))
				continue;
			fp->npixels++;
			p = ll2v(b->lat[k], b->lon[k]);
			if (ts.n > 0)
			{
				double		d = gc_km(ts.pts[ts.n - 1], p);

				if (d < 0.001)
					continue;	/* duplicate position */
				if (d > ts.gap_km)
				{
					track_flush(&ts);
					ts.n = 0;
					ts.len_km = 0;
				}
				else
					ts.len_km += d;
			}
			ts.pts[ts.n++] = p;
			if (ts.n == ts.cap || ts.len_km >= o->max_segment_km)
			{
				track_flush(&ts);
				ts.pts[0] = ts.pts[ts.n - 1];
				ts.n = 1;
				ts.len_km = 0;
			}
		}
	}
	if (ts.n > 0)
		track_flush(&ts);
	nc_swath_iter_end(it);
	pfree(ts.pts);
}

/* ---------- swath mode ---------- */

typedef struct SwathState
{
	Footprint  *fp;
	const FootprintOptions *o;
	int			ncs;			/* columns of the sub-swath */
	int			cap;			/* max rows in the window */
	int			n;				/* rows in the window */
	double	   *lat;			/* cap * ncs pixel centres, lat = NAN when */
	double	   *lon;			/* invalid; vectors made when needed */
	int		   *L;
	int		   *R;
	Vec3	   *ctr;
	double		pad_across;
	double		pad_along;
	double		gap_km;
	double		len_km;
	bool		carried;		/* window holds only the already-flushed row */
	RingBuf		rb;
} SwathState;

/*
 * The window keeps the pixels' latitudes and longitudes, and a pixel's unit
 * vector is made only when the ring or the gap test needs it: the edge
 * pixels of each row, the first and last rows.  Converting every pixel
 * (sin/cos of each) was most of the time of a wide imager (VIIRS).
 */
#define PXI(st, i, c) ((size_t) (i) * (st)->ncs + (c))
#define PX(st, i, c) ll2v((st)->lat[PXI(st, i, c)], (st)->lon[PXI(st, i, c)])
#define PXVALID(st, i, c) (!isnan((st)->lat[PXI(st, i, c)]))

/* outward across-track unit tangents at L and R of row i */
static void
row_across(SwathState *st, int i, Vec3 *outL, Vec3 *outR, const Vec3 *prevL)
{
	int			L = st->L[i],
				R = st->R[i];
	Vec3		pl = PX(st, i, L);
	Vec3		t;

	if (L < R)
	{
		int			c;
		Vec3		pr = PX(st, i, R);

		for (c = L + 1; c <= R && !PXVALID(st, i, c); c++)
			;
		if (!tangent_to(pl, PX(st, i, c), &t))
			t = v3(1, 0, 0);
		*outL = vscale(t, -1);
		for (c = R - 1; c >= L && !PXVALID(st, i, c); c--)
			;
		if (!tangent_to(pr, PX(st, i, c), &t))
			t = v3(1, 0, 0);
		*outR = vscale(t, -1);
		return;
	}
	/* single valid pixel: perpendicular to the track */
	{
		Vec3		a = v3(0, 0, 0),
					u;

		if (i + 1 < st->n && tangent_to(st->ctr[i], st->ctr[i + 1], &u))
			a = vadd(a, u);
		if (i > 0 && tangent_to(st->ctr[i], st->ctr[i - 1], &u))
			a = vsub(a, u);
		if (!vnormalize(&a) && !tangent_to(pl, v3(0, 0, 1), &a))
			a = v3(1, 0, 0);
		t = vcross(pl, a);
		(void) vnormalize(&t);
		if (prevL && vdot(t, *prevL) < 0)
			t = vscale(t, -1);
		*outL = t;
		*outR = vscale(t, -1);
	}
}

/* outward along-track unit tangent at pixel (i, c), i first or last row */
static Vec3
row_along(SwathState *st, int i, int c, bool first, Vec3 across)
{
	Vec3		p = PX(st, i, c);
	Vec3		t;
	int			j = first ? i + 1 : i - 1;

	if (j >= 0 && j < st->n)
	{
		Vec3		q = PXVALID(st, j, c) ? PX(st, j, c) : st->ctr[j];

		if (tangent_to(p, q, &t))
			return vscale(t, -1);
	}
	/* one-row segment: perpendicular to the row */
	t = vcross(p, across);
	if (!vnormalize(&t))
		t = v3(0, 0, 1);
	return first ? t : vscale(t, -1);
}

static void
swath_flush(SwathState *st)
{
	int			n = st->n;
	int			i,
				c;
	Vec3	   *outL,
			   *outR;
	Vec3		a0,
				a1;
	double		pa = st->pad_across,
				pl = st->pad_along;

	if (n == 0 || st->carried)
		return;
	CHECK_FOR_INTERRUPTS();
	outL = palloc(n * sizeof(Vec3));
	outR = palloc(n * sizeof(Vec3));
	for (i = 0; i < n; i++)
		row_across(st, i, &outL[i], &outR[i], i > 0 ? &outL[i - 1] : NULL);

	/* left edge, first row to last row */
	for (i = 0; i < n; i++)
	{
		Vec3		p = PX(st, i, st->L[i]);
		Vec3		o = vscale(outL[i], pa);

		if (i == 0)
		{
			a0 = row_along(st, 0, st->L[0], true, outL[0]);
			ring_push(&st->rb, offset_km(p, vadd(o, vscale(a0, pl))));
		}
		if (i == n - 1)
		{
			a1 = row_along(st, i, st->L[i], false, outL[i]);
			ring_push(&st->rb, offset_km(p, vadd(o, vscale(a1, pl))));
		}
		if (i != 0 && i != n - 1)
			ring_push(&st->rb, offset_km(p, o));
	}
	/* last row, L to R */
	i = n - 1;
	for (c = st->L[i] + 1; c < st->R[i]; c++)
		if (PXVALID(st, i, c))
			ring_push(&st->rb,
					  offset_km(PX(st, i, c),
								vscale(row_along(st, i, c, false, outL[i]), pl)));
	/* right edge, last row to first row */
	for (i = n - 1; i >= 0; i--)
	{
		Vec3		p = PX(st, i, st->R[i]);
		Vec3		o = vscale(outR[i], pa);

		if (i == n - 1)
		{
			a1 = row_along(st, i, st->R[i], false, outL[i]);
			ring_push(&st->rb, offset_km(p, vadd(o, vscale(a1, pl))));
		}
		if (i == 0)
		{
			a0 = row_along(st, 0, st->R[0], true, outL[0]);
			ring_push(&st->rb, offset_km(p, vadd(o, vscale(a0, pl))));
		}
		if (i != 0 && i != n - 1)
			ring_push(&st->rb, offset_km(p, o));
	}
	/* first row, R to L */
	for (c = st->R[0] - 1; c > st->L[0]; c--)
		if (PXVALID(st, 0, c))
			ring_push(&st->rb,
					  offset_km(PX(st, 0, c),
								vscale(row_along(st, 0, c, true, outL[0]), pl)));

	fp_add_ring(st->fp, &st->rb,
				Min(st->o->simplify_km, Min(pa, pl) / 4));
	pfree(outL);
	pfree(outR);
}

/* row "from" of the window becomes row "to" */
static void
swath_move_row(SwathState *st, int from, int to)
{
	memmove(&st->lat[PXI(st, to, 0)], &st->lat[PXI(st, from, 0)],
			st->ncs * sizeof(double));
	memmove(&st->lon[PXI(st, to, 0)], &st->lon[PXI(st, from, 0)],
			st->ncs * sizeof(double));
}

static void
swath_keep_last(SwathState *st)
{
	int			last = st->n - 1;

	swath_move_row(st, last, 0);
	st->L[0] = st->L[last];
	st->R[0] = st->R[last];
	st->ctr[0] = st->ctr[last];
	st->n = 1;
	st->len_km = 0;
	st->carried = true;
}

static void
swath_sub(NcSwath *sw, int pair, const PairGeom *g, int lo, int hi,
		  Footprint *fp, const FootprintOptions *o)
{
	SwathState	st;
	NcSwathIter *it;
	NcSwathBlock *b;
	int			ncs = hi - lo + 1;
	double		k;

	memset(&st, 0, sizeof(st));
	st.fp = fp;
	st.o = o;
	st.ncs = ncs;
	k = o->max_segment_km / Max(0.001, g->along_km);
	k = Min(k, (double) FP_MAX_WINDOW_VALUES / ncs);
	st.cap = (int) Max(2.0, Min(k, 100000.0)) + 1;
	st.lat = nc_alloc_array(&sw->what, (size_t) st.cap * ncs, sizeof(double));
	st.lon = nc_alloc_array(&sw->what, (size_t) st.cap * ncs, sizeof(double));
	st.L = palloc(st.cap * sizeof(int));
	st.R = palloc(st.cap * sizeof(int));
	st.ctr = palloc(st.cap * sizeof(Vec3));
	st.pad_across = Min(30.0, Max(2.0, 0.5 * g->across_km + 1.0));
	st.pad_along = Min(30.0, Max(2.0, 0.5 * g->along_km + 1.0));
	st.gap_km = Max(4.0 * g->along_km, 50.0);

	it = nc_swath_iter_begin(sw, pair, 0);
	while ((b = nc_swath_iter_next(it)) != NULL)
	{
		size_t		r;

		for (r = 0; r < b->nrows; r++)
		{
			const double *la = b->lat + r * b->ncols + lo;
			const double *lon = b->lon + r * b->ncols + lo;
			int			L = -1,
						R = -1,
						c;
			int			i = st.n;
			double	   *wla = &st.lat[PXI(&st, i, 0)];
			double	   *wlo = &st.lon[PXI(&st, i, 0)];
			Vec3		ctr;

			for (c = 0; c < ncs; c++)
			{
				wlo[c] = lon[c];
				if (valid_ll(la[c], lon[c]))
				{
					wla[c] = la[c];
					if (L < 0)
						L = c;
					R = c;
					fp->npixels++;
				}
				else
					wla[c] = NAN;
			}
			if (L < 0)
			{
				/* no valid pixel: close the segment */
				swath_flush(&st);
				st.n = 0;
				st.len_km = 0;
				st.carried = false;
				continue;
			}
			ctr = vadd(PX(&st, i, L), PX(&st, i, R));
			if (!vnormalize(&ctr))
				ctr = PX(&st, i, L);
			if (i > 0)
			{
				double		d;
				int			cc;

				/* step between the rows at a pixel valid in both */
				for (cc = Max(L, st.L[i - 1]); cc <= Min(R, st.R[i - 1]); cc++)
					if (PXVALID(&st, i, cc) && PXVALID(&st, i - 1, cc))
						break;
				if (cc <= Min(R, st.R[i - 1]))
					d = gc_km(PX(&st, i - 1, cc), PX(&st, i, cc));
				else
					d = gc_km(st.ctr[i - 1], ctr);

				if (d > st.gap_km)
				{
					/* data gap: close the segment, this row starts a new one */
					swath_flush(&st);
					swath_move_row(&st, i, 0);
					i = 0;
					st.len_km = 0;
				}
				else
					st.len_km += d;
			}
			st.carried = false;
			st.L[i] = L;
			st.R[i] = R;
			st.ctr[i] = ctr;
			st.n = i + 1;
			if (st.n == st.cap || st.len_km >= o->max_segment_km)
			{
				swath_flush(&st);
				swath_keep_last(&st);
			}
		}
	}
	swath_flush(&st);
	nc_swath_iter_end(it);
	pfree(st.lat);
	pfree(st.lon);
	pfree(st.L);
	pfree(st.R);
	pfree(st.ctr);
}

/* ---------- entry points ---------- */

Footprint *
footprint_compute(NcSwath *sw, int pair, const FootprintOptions *opts)
{
	FootprintOptions o = {10.0, 500.0, 0.5};
	Footprint  *fp = palloc0(sizeof(Footprint));
	int			p;

	if (opts)
		o = *opts;
	if (pair >= sw->npairs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("geolocation pair %d does not exist", pair),
				 errdetail("The file has %d geolocation pairs.", sw->npairs)));
	for (p = (pair < 0 ? 0 : pair); p < (pair < 0 ? sw->npairs : pair + 1); p++)
	{
		PairGeom	g;
		int			s;

		if (sw->pairs[p].nrows == 0 || sw->pairs[p].ncols == 0)
			continue;
		analyse_pair(sw, p, &g);
		elog(DEBUG1, "footprint of %s%s%s: %s, along %.2f km, across %.2f km, %d sub-swaths",
			 sw->pairs[p].group_path,
			 strcmp(sw->pairs[p].group_path, "/") == 0 ? "" : "/",
			 sw->pairs[p].lat_name,
			 g.track ? "track" : "swath", g.along_km, g.across_km, g.nsub);
		if (g.track)
			track_pair(sw, p, &g, fp, &o);
		else
			for (s = 0; s < g.nsub; s++)
				swath_sub(sw, p, &g, g.sub_lo[s], g.sub_hi[s], fp, &o);
		pfree(g.sub_lo);
		pfree(g.sub_hi);
	}
	return fp;
}
