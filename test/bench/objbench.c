/*
 * objbench.c: time one object operation through libpq with binary
 * parameters and results, the way a real client does it.
 *
 *   objbench CONNINFO put-wos|put-lo|put-wire|get-wos|get-lo|get-wire FILE|ID REPS
 *
 * put-*: sends FILE's bytes as a bytea parameter (wos_put or
 * lo_from_bytea), prints the new id on stderr; get-*: reads object ID
 * (wos_get or lo_get).  The -wire modes measure the protocol alone: the
 * same bytes sent and dropped (length($1)) or read from a file by the server
 * and returned (pg_read_binary_file, ID is then a path).  Prints the median seconds of REPS runs on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	const char *mode;
	int			reps;
	char	   *data = NULL;
	long		len = 0;
	double	   *t;

	if (argc != 5)
	{
		fprintf(stderr, "usage: objbench CONNINFO put-wos|put-lo|put-wire|get-wos|get-lo|get-wire FILE|ID REPS\n");
		return 1;
	}
	mode = argv[2];
	reps = atoi(argv[4]);
	t = calloc(reps, sizeof(double));
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		return 2;
	}
	if (strncmp(mode, "put", 3) == 0)
	{
		FILE	   *f = fopen(argv[3], "rb");

		if (!f)
		{
			perror(argv[3]);
			return 1;
		}
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		data = malloc(len);
		if (fread(data, 1, len, f) != (size_t) len)
			return 1;
		fclose(f);
	}
	for (int i = 0; i < reps; i++)
	{
		const char *sql;
		const char *values[1];
		int			lengths[1];
		int			formats[1] = {1};
		double		t0 = now();
		PGresult   *res;

		if (strcmp(mode, "put-wos") == 0)
			sql = "SELECT wos_put($1::bytea)::text";
		else if (strcmp(mode, "put-lo") == 0)
			sql = "SELECT lo_from_bytea(0, $1::bytea)::text";
		else if (strcmp(mode, "put-wire") == 0)
			sql = "SELECT length($1::bytea)::text";
		else if (strcmp(mode, "get-wire") == 0)
			sql = "SELECT pg_read_binary_file($1::text)";
		else if (strcmp(mode, "get-wos") == 0)
			sql = "SELECT wos_get($1::wosoid)";
		else
			sql = "SELECT lo_get($1::oid)";
		if (data)
		{
			values[0] = data;
			lengths[0] = (int) len;
			res = PQexecParams(conn, sql, 1, NULL, values, lengths, formats, 1);
		}
		else
		{
			values[0] = argv[3];
			res = PQexecParams(conn, sql, 1, NULL, values, NULL, NULL, 1);
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "%s", PQerrorMessage(conn));
			return 3;
		}
		t[i] = now() - t0;
		if (data)
			fprintf(stderr, "%.*s\n", PQgetlength(res, 0, 0), PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	qsort(t, reps, sizeof(double), cmp);
	printf("%.4f\n", t[reps / 2]);
	PQfinish(conn);
	return 0;
}
