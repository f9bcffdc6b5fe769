/*
 * cli.h
 *		Shared declarations of the eoswath command-line client: exit codes,
 *		errors, the connection, the progress bar, streaming transfers, output
 *		formats and the commands.
 *
 * Files: eoswath.c (main, global options, help, version), connect.c
 * (connection options, password prompt, extension check, errors),
 * progress.c, transfer.c (streaming put and query-to-file, shared by every
 * command that moves data), print.c (psql-style tables, JSON), objects.c
 * (put, get, stat, rm, ls, verify), ingest.c, swaths.c (search, subset).
 */
#ifndef EOSWATH_CLI_H
#define EOSWATH_CLI_H

#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

/* Exit codes (a script can rely on them; README lists them) */
#define EXIT_OK			0
#define EXIT_USAGE		1		/* bad arguments, unknown command, malformed id */
#define EXIT_CONNECT	2		/* could not connect, connection lost */
#define EXIT_NOTFOUND	3		/* the object or swath does not exist */
#define EXIT_SERVER		4		/* other server error */
#define EXIT_LOCAL		5		/* local file error */
#define EXIT_NOEXT		6		/* extension eoswath not installed in the database */
#define EXIT_PARTIAL	7		/* a batch finished, but some items failed */

#define INT4OID			23
#define BYTEAOID		17

#define DEFAULT_BLOCK	(1024 * 1024)	/* put: bytes per wos_stream_write */
#define DEFAULT_CHUNK	(64 * 1024)		/* get: bytes per row; measured fastest */

#ifndef EOSWATH_VERSION
#error "EOSWATH_VERSION must be defined (from eoswath.control, by the Makefile)"
#endif

extern const char *progname;
extern bool quiet;
extern bool id_command;			/* 42704 means "no such object" (exit 3) */
extern PGconn *conn;			/* the connection of one-connection commands */

/* ---- errors (connect.c) ---- */

/* A failure that a batch command records and goes on after. */
typedef struct Failure
{
	int			code;			/* one of the exit codes */
	char		msg[4096];		/* PostgreSQL style, server message included */
} Failure;

extern void die(int code, const char *fmt,...) __attribute__((format(printf, 2, 3), noreturn));
extern void die_failure(const Failure *f) __attribute__((noreturn));
extern void fail_set(Failure *f, int code, const char *fmt,...) __attribute__((format(printf, 3, 4)));
extern bool result_ok(PGconn *c, PGresult *res, ExecStatusType want, const char *what, Failure *f);
extern void check(PGresult *res, ExecStatusType want, const char *what);
extern void exec_ok(const char *sql);

/* ---- connection (connect.c) ---- */

#define CONN_SHORT_OPTIONS "h:p:U:d:wWq?"
#define OPT_HELP		1000	/* --help; commands number their own from 1001 */
#define CONN_LONG_OPTIONS \
	{"host", required_argument, NULL, 'h'}, \
	{"port", required_argument, NULL, 'p'}, \
	{"username", required_argument, NULL, 'U'}, \
	{"dbname", required_argument, NULL, 'd'}, \
	{"no-password", no_argument, NULL, 'w'}, \
	{"password", no_argument, NULL, 'W'}, \
	{"quiet", no_argument, NULL, 'q'}, \
	{"help", no_argument, NULL, OPT_HELP}

extern bool conn_option(int c, const char *arg);
extern int	common_option(int c, char **argv, void (*usage) (FILE *));
extern void usage_connection(FILE *f);
extern void try_help(const char *cmd);
extern PGconn *connect_db(void);
extern bool session_setup(PGconn *c, Failure *f);
extern void restore_terminal(void);

/* ---- progress bar on a terminal (progress.c) ---- */

typedef struct Progress
{
	bool		on;
	int64_t		total;			/* bytes; -1: unknown */
	int64_t		done;
	int			items_total;	/* > 0: show "[done/total]" items */
	int			items_done;
	double		start;
	double		last;
	pthread_mutex_t lock;		/* ingest's workers share one bar */
} Progress;

extern void progress_init(Progress *p, int64_t total, int items);
extern void progress_add(Progress *p, int64_t bytes);
extern void progress_item_done(Progress *p);
extern void progress_finish(Progress *p);
extern void progress_print(Progress *p, FILE *out, const char *fmt,...) __attribute__((format(printf, 3, 4)));

/* ---- streaming transfers (transfer.c) ---- */

typedef struct PutSpec
{
	const char *policy;
	const char *meta;			/* JSON object */
	bool		gzip;
	long		block;
} PutSpec;

extern bool put_stream(PGconn *c, int fd, const char *path, const PutSpec *spec,
					   char *buf, Progress *prog, char *id, size_t idlen, Failure *f);

/* An output file written as PATH.eoswath-part and renamed at the end */
typedef struct OutFile
{
	int			fd;
	const char *name;			/* for messages */
	char	   *path;			/* NULL: standard output */
	char	   *part;
	int64_t		written;		/* bytes written to part */
	int64_t		flushed;		/* bytes handed to writeback */
	bool		direct;			/* part is open with O_DIRECT */
	char	   *block;			/* NULL, or the aligned block of a direct part */
	size_t		block_len;		/* bytes in block */
} OutFile;

extern bool out_open(OutFile *o, const char *path, bool force, Failure *f);
extern bool out_commit(OutFile *o, Failure *f);
extern void out_abort(OutFile *o);
extern int64_t query_to_file(PGconn *c, const char *what, const char *sql, int nparams,
							 const char *const *vals, OutFile *o, Progress *prog, bool *null,
							 Failure *f);
extern void cleanup_part(void);

/* ---- options shared by commands (objects.c) ---- */

extern bool parse_size_option(const char *arg, const char *option, long *out);
extern bool meta_option(char **json, const char *arg, const char *option);
extern void json_string(char **buf, size_t *len, size_t *cap, const char *s);

/* ---- output (print.c) ---- */

typedef enum OutputFormat
{
	FORMAT_TABLE,
	FORMAT_JSON
} OutputFormat;

extern bool parse_format(const char *arg, OutputFormat *fmt);
extern char *format_query(const char *sql, OutputFormat fmt);
extern void print_result(PGresult *res, OutputFormat fmt, FILE *out);

/* ---- commands ---- */

extern int	cmd_put(int argc, char **argv);
extern int	cmd_get(int argc, char **argv);
extern int	cmd_stat(int argc, char **argv);
extern int	cmd_rm(int argc, char **argv);
extern int	cmd_ls(int argc, char **argv);
extern int	cmd_verify(int argc, char **argv);
extern int	cmd_ingest(int argc, char **argv);
extern int	cmd_search(int argc, char **argv);
extern int	cmd_subset(int argc, char **argv);

extern void usage_put(FILE *f);
extern void usage_get(FILE *f);
extern void usage_stat(FILE *f);
extern void usage_rm(FILE *f);
extern void usage_ls(FILE *f);
extern void usage_verify(FILE *f);
extern void usage_ingest(FILE *f);
extern void usage_search(FILE *f);
extern void usage_subset(FILE *f);

#endif							/* EOSWATH_CLI_H */
