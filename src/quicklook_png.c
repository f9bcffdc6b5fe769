/*-------------------------------------------------------------------------
 *
 * quicklook_png.c
 *	  PNG encoding with libpng for quicklooks and their legends: 8-bit
 *	  indexed pictures (index 0 transparent) or RGBA, text chunks, rows
 *	  streamed to a sink as they are compressed, so that a picture is never
 *	  held whole in memory as PNG or as pixels.
 *
 * libpng allocates in a memory context of ours (released with it on any
 * error) and reports its errors by longjmp to the function that called it,
 * which turns them into an ereport once libpng's frames are gone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <png.h>

#include "utils/memutils.h"

#include "quicklook.h"

struct QlPng
{
	png_structp png;
	png_infop	info;
	MemoryContext cxt;			/* libpng's allocations */
	int			width;
	int			height;
	int			rows_done;
	ql_sink		sink;
	void	   *arg;
	char		error[256];
};

static void
png_error_cb(png_structp png, png_const_charp msg)
{
	QlPng	   *p = png_get_error_ptr(png);

	strlcpy(p->error, msg ? msg : "unknown error", sizeof(p->error));
	png_longjmp(png, 1);
}

static void
png_warning_cb(png_structp png, png_const_charp msg)
{
	/* warnings (such as a text chunk it shortened) are not errors here */
}

static png_voidp
png_malloc_cb(png_structp png, png_alloc_size_t size)
{
	QlPng	   *p = png_get_mem_ptr(png);

	return MemoryContextAllocExtended(p->cxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
png_free_cb(png_structp png, png_voidp ptr)
{
	if (ptr)
		pfree(ptr);
}

static void
png_write_cb(png_structp png, png_bytep data, size_t len)
{
	QlPng	   *p = png_get_io_ptr(png);

	p->sink(p->arg, (const char *) data, len);
}

static void
png_flush_cb(png_structp png)
{
}

static void
png_failed(QlPng *p) pg_attribute_noreturn();
static void
png_failed(QlPng *p)
{
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not encode a PNG picture"),
			 errdetail("libpng: %s.", p->error)));
}

/* is s printable ASCII (a tEXt chunk), else it goes in an iTXt chunk */
static bool
is_latin_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
			return false;
	return true;
}

static QlPng *
png_start(int width, int height, int colour_type, const uint8 palette[256][3],
		  bool transparent0, const QlText *texts, int ntexts,
		  ql_sink sink, void *arg)
{
	QlPng	   *p = palloc0(sizeof(QlPng));
	png_textp	tx = palloc0(sizeof(png_text) * Max(ntexts, 1));
	int			nt = 0;

	p->cxt = AllocSetContextCreate(CurrentMemoryContext, "eoswath PNG",
								   ALLOCSET_DEFAULT_SIZES);
	p->width = width;
	p->height = height;
	p->sink = sink;
	p->arg = arg;
	p->png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, p, png_error_cb,
									   png_warning_cb, p, png_malloc_cb,
									   png_free_cb);
	if (p->png == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not start a PNG picture")));
	if (setjmp(png_jmpbuf(p->png)))
		png_failed(p);
	p->info = png_create_info_struct(p->png);
	if (p->info == NULL)
		png_error(p->png, "out of memory");
	png_set_write_fn(p->png, p, png_write_cb, png_flush_cb);
	png_set_IHDR(p->png, p->info, width, height, 8, colour_type,
				 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
				 PNG_FILTER_TYPE_DEFAULT);
	if (colour_type == PNG_COLOR_TYPE_PALETTE)
	{
		png_color	pal[256];
		png_byte	trns[1] = {0};

		for (int i = 0; i < 256; i++)
		{
			pal[i].red = palette[i][0];
			pal[i].green = palette[i][1];
			pal[i].blue = palette[i][2];
		}
		png_set_PLTE(p->png, p->info, pal, 256);
		if (transparent0)
			png_set_tRNS(p->png, p->info, trns, 1, NULL);
		/* filters rarely help an indexed picture (PNG specification, 12.8) */
		png_set_filter(p->png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	}
	for (int i = 0; i < ntexts; i++)
	{
		if (texts[i].value == NULL)
			continue;
		tx[nt].key = (png_charp) texts[i].key;
		tx[nt].text = (png_charp) texts[i].value;
		tx[nt].compression = is_latin_ascii(texts[i].value) ?
			PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
		nt++;
	}
	if (nt > 0)
		png_set_text(p->png, p->info, tx, nt);
	png_set_compression_level(p->png, 6);
	png_write_info(p->png, p->info);
	return p;
}

QlPng *
ql_png_begin(int width, int height, const uint8 palette[256][3],
			 bool transparent0, const QlText *texts, int ntexts,
			 ql_sink sink, void *arg)
{
	return png_start(width, height, PNG_COLOR_TYPE_PALETTE, palette,
					 transparent0, texts, ntexts, sink, arg);
}

/* one row: width bytes (indexed) or 4 * width (RGBA) */
void
ql_png_row(QlPng *p, const uint8 *row)
{
	if (p->rows_done >= p->height)
		elog(ERROR, "too many rows for a PNG picture");
	if (setjmp(png_jmpbuf(p->png)))
		png_failed(p);
	png_write_row(p->png, (png_const_bytep) row);
	p->rows_done++;
}

void
ql_png_end(QlPng *p)
{
	if (p->rows_done != p->height)
		elog(ERROR, "a PNG picture lacks rows");
	if (setjmp(png_jmpbuf(p->png)))
		png_failed(p);
	png_write_end(p->png, p->info);
	png_destroy_write_struct(&p->png, &p->info);
	MemoryContextDelete(p->cxt);
	pfree(p);
}

/* ---- legend ---- */

#define LEGEND_MARGIN	8
#define LEGEND_BAR_TOP	3
#define LEGEND_BAR_H	16
#define LEGEND_TICK_H	3
#define LEGEND_LABELS	(LEGEND_BAR_TOP + LEGEND_BAR_H + LEGEND_TICK_H + 2)
#define LEGEND_UNITS	(LEGEND_LABELS + QL_FONT_H + 1)
#define LEGEND_HEIGHT	(LEGEND_UNITS + QL_FONT_H + 2)

/* draw text into an RGBA canvas with its left edge at x, clipped */
static void
draw_text(uint8 *canvas, int width, int height, int x, int y, const char *s)
{
	for (; *s; s++, x += QL_FONT_W)
	{
		const uint8 *g = ql_glyph((unsigned char) *s);

		for (int r = 0; r < 7; r++)
			for (int c = 0; c < 5; c++)
			{
				int			px = x + c,
							py = y + r;
				uint8	   *d;

				if (!(g[r] & (0x10 >> c)) || px < 0 || px >= width || py < 0 || py >= height)
					continue;
				d = canvas + ((size_t) py * width + px) * 4;
				d[0] = d[1] = d[2] = 0;
				d[3] = 255;
			}
	}
}

/* text centred on x, kept inside the picture */
static void
draw_label(uint8 *canvas, int width, int height, int x, int y, const char *s)
{
	int			w = (int) strlen(s) * QL_FONT_W - 1;
	int			left = x - w / 2;

	left = Min(left, width - w - 1);
	left = Max(left, 1);
	draw_text(canvas, width, height, left, y, s);
}

void
ql_legend(const char *colormap, double lo, double hi, const char *units,
		  int width, ql_sink sink, void *arg)
{
	uint8		palette[256][3];
	int			height = LEGEND_HEIGHT;
	uint8	   *canvas;
	int			bar0 = LEGEND_MARGIN,
				bar1 = width - LEGEND_MARGIN - 1;	/* inclusive */
	int			ticks[3];
	double		values[3];
	char		text[128];
	QlText		texts[4];
	QlPng	   *p;

	if (!ql_palette(colormap, palette))
		elog(ERROR, "unknown colormap \"%s\"", colormap);
	canvas = palloc(sizeof(uint8) * 4 * (size_t) width * height);
	memset(canvas, 255, sizeof(uint8) * 4 * (size_t) width * height);

	/* the bar: colour k at x from left to right, framed in black */
	for (int x = bar0; x <= bar1; x++)
	{
		double		t = (bar1 > bar0) ? (double) (x - bar0) / (bar1 - bar0) : 0.5;
		uint8		k = ql_colour_index(lo + t * (hi - lo), lo, hi);

		for (int y = LEGEND_BAR_TOP; y < LEGEND_BAR_TOP + LEGEND_BAR_H; y++)
		{
			uint8	   *d = canvas + ((size_t) y * width + x) * 4;
			bool		frame = x == bar0 || x == bar1 || y == LEGEND_BAR_TOP ||
				y == LEGEND_BAR_TOP + LEGEND_BAR_H - 1;

			d[0] = frame ? 0 : palette[k][0];
			d[1] = frame ? 0 : palette[k][1];
			d[2] = frame ? 0 : palette[k][2];
		}
	}

	/* ticks and labels at both ends and the middle */
	ticks[0] = bar0;
	ticks[1] = (bar0 + bar1) / 2;
	ticks[2] = bar1;
	values[0] = lo;
	values[1] = (lo + hi) / 2;
	values[2] = hi;
	for (int i = 0; i < 3; i++)
	{
		for (int y = LEGEND_BAR_TOP + LEGEND_BAR_H; y < LEGEND_BAR_TOP + LEGEND_BAR_H + LEGEND_TICK_H; y++)
		{
			uint8	   *d = canvas + ((size_t) y * width + ticks[i]) * 4;

			d[0] = d[1] = d[2] = 0;
		}
		snprintf(text, sizeof(text), "%.4g", values[i]);
		if (i == 1 && width < 24 * QL_FONT_W)
			continue;			/* no room for three labels */
		draw_label(canvas, width, height, ticks[i], LEGEND_LABELS, text);
	}
	if (units && units[0])
		draw_label(canvas, width, height, width / 2, LEGEND_UNITS, units);

	texts[0].key = "Software";
	texts[0].value = "eoswath";
	texts[1].key = "colormap";
	texts[1].value = colormap;
	texts[2].key = "value_range";
	texts[2].value = psprintf("%.9g,%.9g", lo, hi);
	texts[3].key = "units";
	texts[3].value = units;
	p = png_start(width, height, PNG_COLOR_TYPE_RGB_ALPHA, NULL, false,
				  texts, 4, sink, arg);
	for (int y = 0; y < height; y++)
		ql_png_row(p, canvas + (size_t) y * width * 4);
	ql_png_end(p);
	pfree(canvas);
}
