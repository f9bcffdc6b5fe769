/*
 * print.c
 *		Rows for people and for programs: a table aligned as psql aligns it
 *		(headers centred, numbers to the right, "(N rows)"), or a JSON array
 *		of objects built by the server (row_to_json: exact numbers, ISO 8601
 *		times, correct escaping).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* column types psql aligns to the right */
#define INT8OID			20
#define INT2OID			21
#define OIDOID			26
#define XIDOID			28
#define CIDOID			29
#define FLOAT4OID		700
#define FLOAT8OID		701
#define MONEYOID		790
#define NUMERICOID		1700

bool
parse_format(const char *arg, OutputFormat *fmt)
{
	if (strcmp(arg, "table") == 0)
		*fmt = FORMAT_TABLE;
	else if (strcmp(arg, "json") == 0)
		*fmt = FORMAT_JSON;
	else
	{
		fprintf(stderr, "%s: --format must be \"table\" or \"json\", not \"%s\"\n", progname, arg);
		return false;
	}
	return true;
}

/*
 * The query to run for a format: sql itself for a table; for JSON, one
 * row_to_json() text per row of sql, in sql's order, followed by sql's own
 * columns (so that a caller finds a column by name in either).  malloc'd.
 */
char *
format_query(const char *sql, OutputFormat fmt)
{
	const char *pre = "SELECT pg_catalog.row_to_json(t)::text, t.* FROM (";
	const char *post = ") t";
	char	   *q;

	if (fmt == FORMAT_TABLE)
		q = strdup(sql);
	else if ((q = malloc(strlen(pre) + strlen(sql) + strlen(post) + 1)) != NULL)
		sprintf(q, "%s%s%s", pre, sql, post);
	if (q == NULL)
		die(EXIT_LOCAL, "out of memory");
	return q;
}

/* characters of a UTF-8 string (psql counts display width; close enough) */
static int
text_width(const char *s)
{
	int			w = 0;

	for (; *s; s++)
		if (((unsigned char) *s & 0xC0) != 0x80)
			w++;
	return w;
}

static bool
right_aligned(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case XIDOID:
		case CIDOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case MONEYOID:
		case NUMERICOID:
			return true;
	}
	return false;
}

static void
pad(FILE *out, int n)
{
	while (n-- > 0)
		fputc(' ', out);
}

/* psql's default aligned format (border 1) */
static void
print_table(PGresult *res, FILE *out)
{
	int			ncols = PQnfields(res);
	int			nrows = PQntuples(res);
	int		   *width = calloc(ncols > 0 ? ncols : 1, sizeof(int));

	if (width == NULL)
		die(EXIT_LOCAL, "out of memory");
	for (int j = 0; j < ncols; j++)
	{
		width[j] = text_width(PQfname(res, j));
		for (int i = 0; i < nrows; i++)
		{
			int			w = text_width(PQgetvalue(res, i, j));

			if (w > width[j])
				width[j] = w;
		}
	}
	/* header: centred, padded to the end of the line */
	fputc(' ', out);
	for (int j = 0; j < ncols; j++)
	{
		int			w = text_width(PQfname(res, j));

		if (j > 0)
			fputs(" | ", out);
		pad(out, (width[j] - w) / 2);
		fputs(PQfname(res, j), out);
		pad(out, (width[j] - w + 1) / 2);
	}
	fputs(" \n", out);
	for (int j = 0; j < ncols; j++)
	{
		if (j > 0)
			fputc('+', out);
		for (int k = 0; k < width[j] + 2; k++)
			fputc('-', out);
	}
	fputc('\n', out);
	/* rows: numbers to the right, the last column not padded */
	for (int i = 0; i < nrows; i++)
	{
		fputc(' ', out);
		for (int j = 0; j < ncols; j++)
		{
			const char *v = PQgetvalue(res, i, j);
			int			fill = width[j] - text_width(v);

			if (j > 0)
				fputs(" | ", out);
			if (right_aligned(PQftype(res, j)))
			{
				pad(out, fill);
				fputs(v, out);
			}
			else
			{
				fputs(v, out);
				if (j < ncols - 1)
					pad(out, fill);
			}
		}
		fputc('\n', out);
	}
	fprintf(out, "(%d row%s)\n\n", nrows, nrows == 1 ? "" : "s");
	free(width);
}

/* one JSON object per row of a format_query() result, as an array */
static void
print_json(PGresult *res, FILE *out)
{
	int			nrows = PQntuples(res);

	if (nrows == 0)
	{
		fputs("[]\n", out);
		return;
	}
	fputs("[\n", out);
	for (int i = 0; i < nrows; i++)
		fprintf(out, "  %s%s\n", PQgetvalue(res, i, 0), i < nrows - 1 ? "," : "");
	fputs("]\n", out);
}

void
print_result(PGresult *res, OutputFormat fmt, FILE *out)
{
	if (fmt == FORMAT_JSON)
		print_json(res, out);
	else
		print_table(res, out);
	fflush(out);
}
