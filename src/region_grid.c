/*
 * region_grid.c
 *		A grid of cells over each pre-filter box of a region, each cell
 *		certainly inside, certainly outside, or crossed by the region's
 *		boundary: region_grid_test() answers most points with one lookup,
 *		and only points in boundary cells need region_contains().
 *
 * A cell is certain when every edge of every ring (and, for great-circle
 * edges, every face of each part's geocentric box, which bounds the part
 * as PostGIS bounds it) stays more than a margin away from it.  Then
 * region_contains() cannot change its answer inside the cell (the answer
 * changes only across an edge or a box face, and the margin is far above
 * the tests' own tolerances and rounding), so the answer at the cell's
 * centre is the cell's; it is taken at two points of the cell and a cell
 * where they disagree stays uncertain.
 *
 * Planar edges are tested as segments against the cell widened by the
 * margin, in each of the longitude shifts region_contains() tries.
 * Great-circle edges are tested against a cap holding the cell: the
 * distance from the cell's centre to any point of it is at most half its
 * latitude span plus half its longitude span times the largest cosine of
 * its latitudes (along the meridian, then along the parallel, which is no
 * shorter than the great circle).
 *
 * The grid is built top down: a cell crossed by the boundary is split in
 * four, and only the edges near it are tried on its quarters, so the cost
 * follows the boundary's length in cells, not the number of cells.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "region.h"
#include "region_sphere.h"

#define GRID_MAX_SHIFT	9		/* at most 512 x 512 cells per box (256 KiB) */
#define GRID_MIN_SHIFT	3
#define GRID_BUDGET		(1 << 20)	/* cells of all boxes together */
#define GRID_MARGIN_RAD 1e-8	/* great-circle edges: radians (6 cm) */
#define GRID_MARGIN_DEG 1e-7	/* planar edges: degrees */
#define GRID_MAX_EDGES	100000	/* beyond: no grid, every point gets the exact test */

typedef struct GridEdge
{
	/* great-circle: end points and the unit normal of the arc */
	double		a[3],
				b[3],
				n[3];
	bool		point;			/* too short to have a normal */
	/* planar: the segment, in the ring's own longitudes */
	double		x1,
				y1,
				x2,
				y2;
} GridEdge;

typedef struct GridBuild
{
	const Region *r;
	const RegionBox *box;
	int8	   *cells;
	int			shift;
	double		dlat,			/* of a leaf cell, degrees */
				dlon;
	int			nedges;
	GridEdge   *edges;
	int		   *lists;			/* per level, the edges near the cell */
	bool		interrupts;		/* CHECK_FOR_INTERRUPTS(): not on a thread */
} GridBuild;

/* a grid build, from region_grids_prepare() to region_grids_install() */
struct RegionGridBuild
{
	GridBuild	g;
	int		   *all;			/* every edge */
	int8	  **cells;			/* per box, NULL for a degenerate box */
	double	   *scale;			/* per box, cells per degree (lat, lon) */
};

/* does segment (x1 y1)-(x2 y2) come into the box [x0, x1] x [y0, y1]? */
static bool
segment_meets_box(double ax, double ay, double bx, double by,
				  double x0, double y0, double x1, double y1)
{
	double		dx = bx - ax,
				dy = by - ay;
	int			pos = 0,
				neg = 0;
	double		cx[4] = {x0, x1, x1, x0},
				cy[4] = {y0, y0, y1, y1};

	if (Max(ax, bx) < x0 || Min(ax, bx) > x1 || Max(ay, by) < y0 || Min(ay, by) > y1)
		return false;
	for (int k = 0; k < 4; k++)
	{
		double		c = dx * (cy[k] - ay) - dy * (cx[k] - ax);

		pos += c > 0;
		neg += c < 0;
	}
	/* every corner strictly on one side: the line misses the box */
	return !(pos == 4 || neg == 4);
}

/* is a planar edge near the cell, in any shift region_contains() tries? */
static bool
planar_edge_near(const GridEdge *e, double lat0, double lat1, double lon0, double lon1)
{
	for (int k = -2; k <= 2; k++)
	{
		double		s = 360.0 * k;	/* pixel lon + s is tested against the ring */

		if (segment_meets_box(e->x1, e->y1, e->x2, e->y2,
							  lon0 + s - GRID_MARGIN_DEG, lat0 - GRID_MARGIN_DEG,
							  lon1 + s + GRID_MARGIN_DEG, lat1 + GRID_MARGIN_DEG))
			return true;
	}
	return false;
}

/* does a great-circle edge come within the cap (centre c; cos, sin of its radius)? */
static bool
sphere_edge_near(const GridEdge *e, const double *c, double cosr, double sinr)
{
	double		t,
				q[3],
				w[3];

	if (dot3(c, e->a) >= cosr || dot3(c, e->b) >= cosr)
		return true;
	if (e->point)
		return false;
	t = dot3(c, e->n);
	if (fabs(t) >= sinr)
		return false;			/* the whole great circle is farther */
	/* nearest point of the great circle: on the arc? */
	q[0] = c[0] - t * e->n[0];
	q[1] = c[1] - t * e->n[1];
	q[2] = c[2] - t * e->n[2];
	cross3(e->a, q, w);
	if (dot3(w, e->n) < 0)
		return false;
	cross3(q, e->b, w);
	return dot3(w, e->n) >= 0;
}

/*
 * Is each part's geocentric box test the same over the cap (centre c,
 * radius rho, a chord bound on each coordinate)?
 */
static bool
gboxes_certain(const Region *r, const double *c, double rho)
{
	double		m = rho + GRID_MARGIN_RAD + TOUCH_EPS;

	for (int i = 0; i < r->nparts; i++)
	{
		const double *box = r->parts[i].gbox;
		bool		out = false,
					in = true;

		for (int k = 0; k < 3; k++)
		{
			if (c[k] + m < box[k] || c[k] - m > box[k + 3])
				out = true;
			if (!(c[k] - m > box[k] && c[k] + m < box[k + 3]))
				in = false;
		}
		if (!out && !in)
			return false;
	}
	return true;
}

/* fill the leaf cells of cell (level, ci, cj) with v */
static void
grid_fill(GridBuild *g, int level, int ci, int cj, int8 v)
{
	int			span = 1 << (g->shift - level),
				n = 1 << g->shift;

	for (int i = ci * span; i < (ci + 1) * span; i++)
		memset(g->cells + (size_t) i * n + cj * span, v, span);
}

static void
grid_classify(GridBuild *g, int level, int ci, int cj, const int *cand, int ncand)
{
	int			span = 1 << (g->shift - level);
	double		lat0 = g->box->lat_lo + ci * span * g->dlat,
				lat1 = Min(g->box->lat_hi, lat0 + span * g->dlat),
				lon0 = g->box->lon_lo + cj * span * g->dlon,
				lon1 = Min(g->box->lon_hi, lon0 + span * g->dlon),
				clat = (lat0 + lat1) / 2,
				clon = (lon0 + lon1) / 2;
	int		   *near = g->lists + (size_t) level * g->nedges;
	int			nnear = 0;
	bool		certain;

	if (g->interrupts)
		CHECK_FOR_INTERRUPTS();
	if (g->r->spherical)
	{
		double		c[3],
					maxcos = (lat0 <= 0 && lat1 >= 0) ? 1.0 :
			cos(Min(fabs(lat0), fabs(lat1)) * DEG2RAD),
					rho = ((lat1 - lat0) / 2 + maxcos * (lon1 - lon0) / 2) * DEG2RAD,
					rm = rho + GRID_MARGIN_RAD;

		vec_from_lonlat(clon, clat, c);
		if (rm >= M_PI / 2)
		{
			/* too large for the cap test: every edge stays a candidate */
			memcpy(near, cand, sizeof(int) * ncand);
			nnear = ncand;
			certain = false;
		}
		else
		{
			double		cosr = cos(rm),
						sinr = sin(rm);

			for (int k = 0; k < ncand; k++)
				if (sphere_edge_near(&g->edges[cand[k]], c, cosr, sinr))
					near[nnear++] = cand[k];
			certain = nnear == 0 && gboxes_certain(g->r, c, rho);
		}
	}
	else
	{
		for (int k = 0; k < ncand; k++)
			if (planar_edge_near(&g->edges[cand[k]], lat0, lat1, lon0, lon1))
				near[nnear++] = cand[k];
		certain = nnear == 0;
	}
	if (certain)
	{
		bool		in = region_contains(g->r, clat, clon);

		/* a second opinion, in case the first point is degenerate for the test */
		if (in == region_contains(g->r, (3 * lat0 + lat1) / 4, (lon0 + 3 * lon1) / 4))
		{
			grid_fill(g, level, ci, cj, in ? 1 : -1);
			return;
		}
	}
	if (level == g->shift)
	{
		grid_fill(g, level, ci, cj, 0);
		return;
	}
	for (int di = 0; di < 2; di++)
		for (int dj = 0; dj < 2; dj++)
			grid_classify(g, level + 1, 2 * ci + di, 2 * cj + dj, near, nnear);
}

/* every edge of the region */
static GridEdge *
grid_edges(const Region *r, int *n)
{
	int			total = 0,
				k = 0;
	GridEdge   *edges;

	for (int i = 0; i < r->nparts; i++)
		for (int j = 0; j < r->parts[i].nrings; j++)
			total += Max(0, r->parts[i].rings[j].npoints - 1);
	edges = palloc0(sizeof(GridEdge) * Max(1, total));
	for (int i = 0; i < r->nparts; i++)
		for (int j = 0; j < r->parts[i].nrings; j++)
		{
			const RegionRing *ring = &r->parts[i].rings[j];

			for (int p = 0; p + 1 < ring->npoints; p++)
			{
				GridEdge   *e = &edges[k++];

				e->x1 = ring->x[p];
				e->y1 = ring->y[p];
				e->x2 = ring->x[p + 1];
				e->y2 = ring->y[p + 1];
				if (r->spherical)
				{
					memcpy(e->a, &ring->v[3 * p], sizeof(e->a));
					memcpy(e->b, &ring->v[3 * (p + 1)], sizeof(e->b));
					cross3(e->a, e->b, e->n);
					e->point = !normalize3(e->n);
				}
			}
		}
	*n = total;
	return edges;
}

/*
 * Everything a grid build allocates, allocated here: NULL when the region
 * gets no grid (too many parts or edges; every point gets the exact test).
 */
RegionGridBuild *
region_grids_prepare(Region *r)
{
	RegionGridBuild *b;
	GridBuild  *g;
	int			shift = GRID_MAX_SHIFT;

	if (r->grids != NULL || r->nboxes == 0)
		return NULL;
	while (shift > GRID_MIN_SHIFT && (size_t) r->nboxes << (2 * shift) > GRID_BUDGET)
		shift--;
	if ((size_t) r->nboxes << (2 * shift) > GRID_BUDGET)
		return NULL;
	b = palloc0(sizeof(RegionGridBuild));
	g = &b->g;
	g->r = r;
	g->shift = shift;
	g->edges = grid_edges(r, &g->nedges);
	if (g->nedges > GRID_MAX_EDGES)
	{
		pfree(g->edges);
		pfree(b);
		return NULL;
	}
	g->lists = palloc(sizeof(int) * Max(1, g->nedges) * (shift + 1));
	b->all = palloc(sizeof(int) * Max(1, g->nedges));
	for (int k = 0; k < g->nedges; k++)
		b->all[k] = k;
	b->cells = palloc0(sizeof(int8 *) * r->nboxes);
	b->scale = palloc0(sizeof(double) * 2 * r->nboxes);
	for (int i = 0; i < r->nboxes; i++)
	{
		const RegionBox *box = &r->boxes[i];

		if (!(box->lat_hi > box->lat_lo && box->lon_hi > box->lon_lo))
			continue;			/* degenerate: no grid, the exact test */
		b->scale[2 * i] = (1 << shift) / (box->lat_hi - box->lat_lo);
		b->scale[2 * i + 1] = (1 << shift) / (box->lon_hi - box->lon_lo);
		b->cells[i] = palloc((size_t) 1 << (2 * shift));
	}
	return b;
}

/*
 * Classify the cells of a prepared build.  Only reads the region and
 * writes the build's cells: no allocation, no error, so that it may run on
 * a thread of its own (interrupts false) while the region is only read.
 */
void
region_grids_classify(RegionGridBuild *b, bool interrupts)
{
	GridBuild  *g = &b->g;

	g->interrupts = interrupts;
	for (int i = 0; i < g->r->nboxes; i++)
	{
		const RegionBox *box = &g->r->boxes[i];

		if (b->cells[i] == NULL)
			continue;
		g->box = box;
		g->dlat = (box->lat_hi - box->lat_lo) / (1 << g->shift);
		g->dlon = (box->lon_hi - box->lon_lo) / (1 << g->shift);
		g->cells = b->cells[i];
		grid_classify(g, 0, 0, 0, b->all, g->nedges);
	}
}

/* hand a classified build's grids to the region; the rest is freed */
void
region_grids_install(Region *r, RegionGridBuild *b)
{
	r->grid_shift = b->g.shift;
	r->grids = b->cells;
	r->grid_scale = b->scale;
	pfree(b->all);
	pfree(b->g.lists);
	pfree(b->g.edges);
	pfree(b);
}

void
region_build_grids(Region *r)
{
	RegionGridBuild *b = region_grids_prepare(r);

	if (b == NULL)
		return;
	region_grids_classify(b, true);
	region_grids_install(r, b);
}
