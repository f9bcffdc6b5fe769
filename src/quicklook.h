/*-------------------------------------------------------------------------
 *
 * quicklook.h
 *	  Quicklooks: pictures of a swath variable.  The resampling onto a grid
 *	  (quicklook_grid.c) reads granules and runs only in the granule helper;
 *	  the colormaps (quicklook_cmap.c), the PNG encoder (quicklook_png.c,
 *	  libpng) and the legend with its bitmap font (quicklook_font.c) read
 *	  nothing and are built into both the helper and the backend.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EOSWATH_QUICKLOOK_H
#define EOSWATH_QUICKLOOK_H

#include "postgres.h"

#include "granule.h"

/* the largest width or height of a picture */
#define QL_MAX_SIDE		54000

/* sphere radius of the projections and distances (pyresample's) */
#define QL_EARTH_RADIUS 6370997.0

typedef enum QlProjection
{
	QL_PROJ_AUTO = 0,			/* chosen from the extent */
	QL_PROJ_EQUIRECT = 1,		/* plate carree: longitude, latitude degrees */
	QL_PROJ_NORTH = 2,			/* polar stereographic, north pole */
	QL_PROJ_SOUTH = 3			/* polar stereographic, south pole */
} QlProjection;

/* a projection by name ("equirectangular", "north", "EPSG:4326", ...); false: unknown */
extern bool ql_projection_parse(const char *name, QlProjection *proj);
extern const char *ql_projection_name(QlProjection proj);
/* the PROJ definition of a projection */
extern const char *ql_projection_proj4(QlProjection proj);
#define QL_PROJECTION_NAMES "equirectangular (or EPSG:4326), north_polar_stereographic (or north), south_polar_stereographic (or south)"

/* ---- colormaps (quicklook_cmap.c) ---- */

/*
 * The palette of an indexed PNG for a colormap: entry 0 is transparent
 * (fill, outside the swath), entries 1..255 run from the low to the high
 * end of the value range.  A name ending in "_r" reverses the map.  false
 * when the name is unknown.
 */
extern bool ql_palette(const char *name, uint8 palette[256][3]);
#define QL_COLORMAP_NAMES "viridis, cividis, RdBu, greys (each also reversed with \"_r\", such as RdBu_r)"

/* colour index 1..255 of a value in [lo, hi] (clamped); lo == hi: the middle */
static inline uint8
ql_colour_index(double v, double lo, double hi)
{
	double		t;

	if (!(hi > lo))
		return 128;
	t = (v - lo) / (hi - lo) * 255.0;
	if (!(t >= 0))
		t = 0;
	if (t > 254)
		t = 254;
	return (uint8) (1 + (int) t);
}

/* ---- PNG (quicklook_png.c) ---- */

typedef void (*ql_sink) (void *arg, const char *data, size_t len);

/* one text chunk: tEXt when the value is printable ASCII, else iTXt (UTF-8) */
typedef struct QlText
{
	const char *key;
	const char *value;
} QlText;

typedef struct QlPng QlPng;

/*
 * An 8-bit indexed PNG of width x height, its rows written one at a time
 * (top first) and its bytes given to sink as libpng produces them; index 0
 * is transparent when transparent0.
 */
extern QlPng *ql_png_begin(int width, int height, const uint8 palette[256][3],
						   bool transparent0, const QlText *texts, int ntexts,
						   ql_sink sink, void *arg);
extern void ql_png_row(QlPng *png, const uint8 *row);
extern void ql_png_end(QlPng *png);

/* ---- legend (quicklook_png.c, quicklook_font.c) ---- */

#define QL_LEGEND_MIN_WIDTH		64
#define QL_LEGEND_MAX_WIDTH		4096

/*
 * A colour bar of a colormap from lo to hi, with the values of its ends
 * and middle and the units written under it, as a PNG of the given width.
 */
extern void ql_legend(const char *colormap, double lo, double hi,
					  const char *units, int width, ql_sink sink, void *arg);

/* the bitmap font: 5 x 7 glyphs in 6 x 9 cells, printable ASCII */
#define QL_FONT_W	6
#define QL_FONT_H	9
/* the 7 rows of a glyph, bit 4 the leftmost column; '?' for others */
extern const uint8 *ql_glyph(unsigned char c);

/* ---- resampling (quicklook_grid.c, parsing side only) ---- */

struct NcSwath;
extern void quicklook_run(struct NcSwath *sw, const GranuleQuicklookRequest *req,
						  GranuleQuicklookInfo *info, granule_bytes_cb sink,
						  void *arg);

#endif							/* EOSWATH_QUICKLOOK_H */
