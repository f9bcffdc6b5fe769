/*
 * region_sphere.c
 *		Geography polygons of any size.
 *
 * A ring on the sphere splits it in two; which side is the polygon's
 * interior is a convention.  PostGIS geography's (ST_Covers, ST_Intersects)
 * is: take the geocentric box of the polygon's edges (the end points and
 * every axis extreme an arc passes), widen it to a pole when it surrounds
 * that axis (to the pole on the side of the box's centre), and pick a point
 * outside that box from its corners grown step by step (when the box is the
 * whole globe: a point just right of the middle of the first edge); the
 * interior is the side of the rings without that point, and nothing outside
 * the box.  So a
 * band, a hemisphere drawn with a cut to its pole or "everything north of
 * 10 S" are what they look like, whatever their size and ring orientation.
 * region.c keeps its gnomonic test for parts that lie in a hemisphere and
 * whose interior is their small side; every other part is tested here: the
 * parity of the crossings of the arc from the point to the outside point
 * with the rings' edges, with a vertex on that arc's great circle counted
 * on one fixed side so that each crossing is counted once.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "region_sphere.h"

bool
sphere_on_arc(const double *a, const double *b, const double *n, const double *q)
{
	double		t[3];

	if (fabs(dot3(n, q)) > TOUCH_EPS)
		return false;
	/* between a and b along the short way: (a x q).n >= 0 and (q x b).n >= 0 */
	cross3(a, q, t);
	if (dot3(t, n) < -TOUCH_EPS)
		return false;
	cross3(q, b, t);
	if (dot3(t, n) < -TOUCH_EPS)
		return false;
	/* and not near the antipode of the arc (possible only within the eps) */
	return dot3(q, a) + dot3(q, b) > 0;
}

static inline void
box_add(double *box, const double *p)
{
	for (int d = 0; d < 3; d++)
	{
		box[d] = Min(box[d], p[d]);
		box[3 + d] = Max(box[3 + d], p[d]);
	}
}

/* the arc a-b (normal n, unit) and the axis extremes it passes, into box */
static void
arc_box(double *box, const double *a, const double *b, const double *n)
{
	box_add(box, a);
	box_add(box, b);
	for (int axis = 0; axis < 3; axis++)
		for (int sgn = -1; sgn <= 1; sgn += 2)
		{
			double		t[3],
						c1[3],
						c2[3];

			/* the point of the arc's circle farthest along sgn * axis */
			for (int d = 0; d < 3; d++)
				t[d] = (d == axis ? sgn : 0) - sgn * n[axis] * n[d];
			if (!normalize3(t))
				continue;
			cross3(a, t, c1);
			cross3(t, b, c2);
			if (dot3(c1, n) > 0 && dot3(c2, n) > 0)
				box_add(box, t);
		}
}

/*
 * A box around an axis reaches that axis's pole: the pole on the side of
 * the box, both poles when the box straddles the plane across the axis.
 */
static void
box_check_poles(double *box)
{
	for (int axis = 2; axis >= 0; axis--)
	{
		int			u = (axis + 1) % 3,
					w = (axis + 2) % 3;

		if (box[u] < 0 && box[3 + u] > 0 && box[w] < 0 && box[3 + w] > 0)
		{
			if (box[axis] > 0 && box[3 + axis] > 0)
				box[3 + axis] = 1.0;
			else if (box[axis] < 0 && box[3 + axis] < 0)
				box[axis] = -1.0;
			else
			{
				box[axis] = -1.0;
				box[3 + axis] = 1.0;
			}
		}
	}
}

static inline bool
box_contains(const double *box, const double *p)
{
	return p[0] >= box[0] && p[0] <= box[3] &&
		p[1] >= box[1] && p[1] <= box[4] &&
		p[2] >= box[2] && p[2] <= box[5];
}

/* single precision, rounded down (up) */
static double
float_down(double d)
{
	float		f = (float) d;

	if ((double) f > d)
		f = nextafterf(f, -FLT_MAX);
	return f;
}

static double
float_up(double d)
{
	float		f = (float) d;

	if ((double) f < d)
		f = nextafterf(f, FLT_MAX);
	return f;
}

/* a unit vector outside box: a corner of the box grown until one is */
static bool
box_outside_point(const double *box, double *out)
{
	/* corner order: x, y, z from the minimum (0) or maximum (1) */
	static const int corners[8][3] = {
		{0, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0},
		{1, 1, 0}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}
	};

	for (double grow = M_PI / 180.0 / 60.0; grow < M_PI; grow *= 2.0)
	{
		double		g[6];

		for (int d = 0; d < 3; d++)
		{
			g[d] = box[d] > -1 ? box[d] - grow : box[d];
			g[3 + d] = box[3 + d] < 1 ? box[3 + d] + grow : box[3 + d];
		}
		for (int i = 0; i < 8; i++)
		{
			double		p[3];

			for (int d = 0; d < 3; d++)
				p[d] = g[3 * corners[i][d] + d];
			if (!normalize3(p))
				continue;
			if (!box_contains(box, p))
			{
				double		lon = atan2(p[1], p[0]) * 180.0 / M_PI,
							lat = asin(Max(-1.0, Min(1.0, p[2]))) * 180.0 / M_PI;

				/* through degrees, as PostGIS passes it */
				vec_from_lonlat(lon, lat, out);
				return true;
			}
		}
	}
	return false;
}

bool
sphere_prepare_part(RegionPart *part, bool float_box)
{
	double	   *box = part->gbox;

	for (int d = 0; d < 3; d++)
	{
		box[d] = HUGE_VAL;
		box[3 + d] = -HUGE_VAL;
	}
	for (int i = 0; i < part->nrings; i++)
	{
		RegionRing *ring = &part->rings[i];

		ring->n = palloc0(sizeof(double) * 3 * Max(1, ring->npoints - 1));
		box_add(box, &ring->v[0]);
		for (int k = 0; k < ring->npoints - 1; k++)
		{
			const double *a = &ring->v[3 * k],
					   *b = &ring->v[3 * (k + 1)];
			double	   *n = &ring->n[3 * k];

			cross3(a, b, n);
			/* a zero-length edge (e.g. between two spellings of a pole) */
			if (!normalize3(n))
			{
				n[0] = n[1] = n[2] = 0;
				box_add(box, b);
				continue;
			}
			arc_box(box, a, b, n);
		}
	}
	box_check_poles(box);
	if (float_box)
		for (int d = 0; d < 3; d++)
		{
			box[d] = float_down(box[d]);
			box[3 + d] = float_up(box[3 + d]);
		}
	if (box_outside_point(box, part->outside))
		return true;

	/*
	 * The box is the whole globe (a band, a hemisphere's rim, a ring along
	 * the equator): the outside point is a little to the right of the
	 * middle of the shell's first edge, so that the interior is on the left
	 * of a ring drawn counter-clockwise (as RFC 7946 draws rings).
	 */
	{
		const RegionRing *shell = &part->rings[0];
		double		m[3],
					n[3],
					q[3];

		for (int d = 0; d < 3; d++)
			m[d] = shell->v[d] + shell->v[3 + d];
		/* (an empty first edge leaves the sides undefined: refused) */
		cross3(&shell->v[0], &shell->v[3], n);
		if (!normalize3(m) || !normalize3(n))
			return false;
		for (int d = 0; d < 3; d++)
			q[d] = m[d] - 0.2 * n[d];
		normalize3(q);
		vec_from_lonlat(atan2(q[1], q[0]) * 180.0 / M_PI,
						asin(Max(-1.0, Min(1.0, q[2]))) * 180.0 / M_PI, part->outside);
		return true;
	}
}

/*
 * Crossings of the arc p-o (under 180 degrees, po = p x o) with the ring's
 * edges; -1 when p is on an edge.  A vertex on the great circle of p-o
 * counts as on its positive side, for both edges that share it.
 */
static int
ring_crossings(const RegionRing *ring, const double *p, const double *o,
			   const double *po)
{
	int			count = 0;
	bool		s_prev = dot3(po, &ring->v[0]) >= 0;

	for (int k = 0; k < ring->npoints - 1; k++)
	{
		const double *a = &ring->v[3 * k],
				   *b = &ring->v[3 * (k + 1)],
				   *n = &ring->n[3 * k];
		bool		s_a = s_prev,
					s_b;
		double		np;

		if (n[0] == 0 && n[1] == 0 && n[2] == 0)
		{
			/* a zero-length edge: its end is its start (p on it?) */
			double		c[3];

			cross3(a, p, c);
			if (dot3(c, c) <= TOUCH_EPS * TOUCH_EPS && dot3(a, p) > 0)
				return -1;
			continue;
		}
		s_b = dot3(po, b) >= 0;
		s_prev = s_b;
		np = dot3(n, p);
		if (fabs(np) <= TOUCH_EPS && sphere_on_arc(a, b, n, p))
			return -1;
		if (s_a == s_b)
			continue;
		/* p and o on opposite sides of the edge's circle, on the same crossing */
		{
			bool		s_p = np >= 0,
						s_o = dot3(n, o) >= 0;

			if (s_p != s_o && s_p == s_b)
				count++;
		}
	}
	return count;
}

/* crossings of the arc p-o with the ring; -1 when p is on it */
static int
crossings_to(const RegionRing *ring, const double *p, const double *o)
{
	double		po[3];

	cross3(p, o, po);
	if (!normalize3(po))
	{
		/* p is (nearly) the antipode of o: go by a point between them */
		double		m[3],
					axis[3] = {0, 0, 0};
		int			c1,
					c2;

		axis[fabs(o[0]) < 0.5 ? 0 : fabs(o[1]) < 0.5 ? 1 : 2] = 1;
		cross3(o, axis, m);
		normalize3(m);
		c1 = crossings_to(ring, p, m);
		if (c1 < 0)
			return -1;
		c2 = crossings_to(ring, m, o);
		return c2 < 0 ? c1 + 1 : c1 + c2;	/* m on the ring: as though just past it */
	}
	return ring_crossings(ring, p, o, po);
}

bool
sphere_part_contains(const RegionPart *part, const double *p)
{
	if (!sphere_in_box(part, p))
		return false;
	for (int i = 0; i < part->nrings; i++)
	{
		int			c = crossings_to(&part->rings[i], p, part->outside);

		if (c < 0)
			return true;	/* on a ring (a hole's too), as region_contains() counts it */
		if (i == 0 && c % 2 == 0)
			return false;
		if (i > 0 && c % 2 == 1)
			return false;
	}
	return true;
}

void
sphere_part_lonlat_box(const RegionPart *part, double *lat_lo, double *lat_hi,
					   double *lon_lo, double *lon_hi)
{
	const double *box = part->gbox;

	*lat_lo = asin(Max(-1.0, Min(1.0, box[2]))) / DEG2RAD;
	*lat_hi = asin(Max(-1.0, Min(1.0, box[5]))) / DEG2RAD;
	*lon_lo = -180.0;
	*lon_hi = 180.0;
	/* a box clear of the polar axis spans the angles of its x-y corners */
	if (!(box[0] <= 0 && box[3] >= 0 && box[1] <= 0 && box[4] >= 0))
	{
		double		ang[4],
					ref,
					lo = 0,
					hi = 0;

		ang[0] = atan2(box[1], box[0]);
		ang[1] = atan2(box[4], box[0]);
		ang[2] = atan2(box[1], box[3]);
		ang[3] = atan2(box[4], box[3]);
		ref = ang[0];
		for (int i = 1; i < 4; i++)
		{
			double		d = remainder(ang[i] - ref, 2 * M_PI);

			lo = Min(lo, d);
			hi = Max(hi, d);
		}
		*lon_lo = (ref + lo) / DEG2RAD;
		*lon_hi = (ref + hi) / DEG2RAD;
	}
}
