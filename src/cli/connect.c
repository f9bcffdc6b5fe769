/*
 * connect.c
 *		The client's connection and its errors: the psql connection options
 *		(-h -p -U -d -w -W), the password prompt on the terminal, the check
 *		that the database has the extension, and the exit code of a failure.
 *
 * Connecting follows psql: libpq's environment (PGHOST, ...) and
 * ~/.pgpass apply; -d may be a database name or a connection string or URI;
 * if the server asks for a password that libpq does not have, prompt for it
 * on the terminal (no echo) and connect once more.  -w never prompts, -W
 * prompts before connecting.  Standard input is never read for a password:
 * it may be the data of "put -".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

typedef enum
{
	PROMPT_AUTO,				/* when the server asks and a terminal exists */
	PROMPT_NEVER,				/* -w */
	PROMPT_FORCE				/* -W */
} PromptMode;

static const char *opt_host = NULL;
static const char *opt_port = NULL;
static const char *opt_user = NULL;
static const char *opt_dbname = NULL;
static PromptMode prompt_mode = PROMPT_AUTO;
static char *password = NULL;	/* typed at the prompt; reused by every connection */

/* the terminal while echo is off, restored on every exit path */
static int	tty_fd = -1;
static struct termios tty_saved;

/* ---- errors ---- */

static void
print_message(const char *msg)
{
	size_t		len = strlen(msg);

	fprintf(stderr, "%s: %s", progname, msg);
	if (len == 0 || msg[len - 1] != '\n')
		fputc('\n', stderr);
}

/* Print a message in PostgreSQL style ("eoswath: could not ...") and exit. */
void
die(int code, const char *fmt,...)
{
	va_list		ap;
	char		msg[4096];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message(msg);
	cleanup_part();
	if (conn)
		PQfinish(conn);
	exit(code);
}

void
die_failure(const Failure *f)
{
	die(f->code, "%s", f->msg);
}

void
fail_set(Failure *f, int code, const char *fmt,...)
{
	va_list		ap;

	f->code = code;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

/* The exit code of a failed result. */
static int
result_code(PGconn *c, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(c) == CONNECTION_BAD || state == NULL || strncmp(state, "08", 2) == 0)
		return EXIT_CONNECT;
	if (id_command && strcmp(state, "42704") == 0)
		return EXIT_NOTFOUND;	/* no such object */
	if (id_command && strcmp(state, "22P02") == 0)
		return EXIT_USAGE;		/* a malformed object id */
	return EXIT_SERVER;
}

/*
 * True if res has status want.  Otherwise fill f with "what: " and the
 * server's message (ERROR, DETAIL, HINT lines as the server sent them),
 * free res and return false.
 */
bool
result_ok(PGconn *c, PGresult *res, ExecStatusType want, const char *what, Failure *f)
{
	const char *msg;
	size_t		len;

	if (res != NULL && PQresultStatus(res) == want)
		return true;
	msg = res ? PQresultErrorMessage(res) : "";
	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(c);
	if (msg == NULL || msg[0] == '\0')
		msg = "unexpected result from the server";
	fail_set(f, result_code(c, res), "%s: %s", what, msg);
	len = strlen(f->msg);
	while (len > 0 && f->msg[len - 1] == '\n')
		f->msg[--len] = '\0';
	PQclear(res);
	return false;
}

/* On the global connection: exit with the failure's code unless res is want. */
void
check(PGresult *res, ExecStatusType want, const char *what)
{
	Failure		f;

	if (!result_ok(conn, res, want, what, &f))
		die_failure(&f);
}

void
exec_ok(const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	check(res, PGRES_COMMAND_OK, sql);
	PQclear(res);
}

/* ---- options ---- */

/* A connection option (or -q) of any command; false if c is none. */
bool
conn_option(int c, const char *arg)
{
	switch (c)
	{
		case 'h':
			opt_host = arg;
			return true;
		case 'p':
			opt_port = arg;
			return true;
		case 'U':
			opt_user = arg;
			return true;
		case 'd':
			opt_dbname = arg;
			return true;
		case 'w':
			prompt_mode = PROMPT_NEVER;
			return true;
		case 'W':
			prompt_mode = PROMPT_FORCE;
			return true;
		case 'q':
			quiet = true;
			return true;
	}
	return false;
}

void
try_help(const char *cmd)
{
	fprintf(stderr, "Try \"%s --help\" for more information.\n", cmd);
}

/*
 * An option that is not the command's own: a connection option (-1: go on
 * parsing), --help or -? (print usage, EXIT_OK) or an error (EXIT_USAGE;
 * getopt has said what was wrong).  argv[0] is "eoswath COMMAND".
 */
int
common_option(int c, char **argv, void (*usage) (FILE *))
{
	if (conn_option(c, optarg))
		return -1;
	if (c == OPT_HELP || (c == '?' && optind > 0 && strcmp(argv[optind - 1], "-?") == 0))
	{
		usage(stdout);
		return EXIT_OK;
	}
	try_help(argv[0]);
	return EXIT_USAGE;
}

void
usage_connection(FILE *f)
{
	fprintf(f,
			"\nConnection options (as psql; libpq's PGHOST, PGPORT, PGUSER, PGDATABASE,\n"
			"PGPASSWORD, ~/.pgpass, ... apply):\n"
			"  -h, --host=HOSTNAME      database server host or socket directory\n"
			"  -p, --port=PORT          database server port\n"
			"  -U, --username=USERNAME  database user name\n"
			"  -d, --dbname=DBNAME      database name, or a connection string or URI\n"
			"  -w, --no-password        never prompt for a password\n"
			"  -W, --password           prompt for a password before connecting\n"
			"  -q, --quiet              no progress bar (shown only on a terminal)\n"
			"  -?, --help               show this help, then exit\n");
}

/* ---- the password prompt ---- */

/* Turn echo back on if the prompt turned it off (also from a signal handler). */
void
restore_terminal(void)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
}

/*
 * Prompt on the terminal and read a line without echo, as psql's
 * simple_prompt() does.  NULL if there is no terminal (the connection then
 * fails with libpq's "no password supplied").
 */
static char *
prompt_password(const char *user)
{
	struct termios t;
	char		line[1024];
	size_t		len = 0;
	int			fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	char		prompt[256];

	if (fd < 0)
		return NULL;
	if (user && user[0])
		snprintf(prompt, sizeof(prompt), "Password for user %s: ", user);
	else
		snprintf(prompt, sizeof(prompt), "Password: ");
	if (tcgetattr(fd, &tty_saved) != 0)
	{
		close(fd);
		return NULL;
	}
	t = tty_saved;
	t.c_lflag &= ~ECHO;
	tty_fd = fd;
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0)
	{
		tty_fd = -1;
		close(fd);
		return NULL;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		len = 0;				/* a prompt that did not show; read anyway */
	for (;;)
	{
		char		ch;
		ssize_t		n = read(fd, &ch, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || ch == '\n' || ch == '\r')
			break;
		if (len < sizeof(line) - 1)
			line[len++] = ch;
	}
	line[len] = '\0';
	restore_terminal();
	tty_fd = -1;
	if (write(fd, "\n", 1) < 0)
		len = strlen(line);		/* nothing to do about a lost newline */
	close(fd);
	return strdup(line);
}

/* ---- connecting ---- */

static PGconn *
connect_once(void)
{
	const char *keys[8];
	const char *vals[8];
	int			n = 0;

#define PARAM(k, v) do { if (v) { keys[n] = (k); vals[n] = (v); n++; } } while (0)
	PARAM("host", opt_host);
	PARAM("port", opt_port);
	PARAM("user", opt_user);
	PARAM("password", password);
	/* last: a connection string in dbname overrides the options above */
	PARAM("dbname", opt_dbname);
	PARAM("fallback_application_name", "eoswath");
#undef PARAM
	keys[n] = vals[n] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

/*
 * Check that the database has the extension (exit 6 otherwise, before the
 * command runs into "type wosoid does not exist"), and put its schema on
 * the search path if it is not there.  Again after a PQreset().
 */
bool
session_setup(PGconn *c, Failure *f)
{
	PGresult   *res;

	res = PQexec(c,
				 "SELECT n.nspname,"
				 "       pg_catalog.set_config('search_path',"
				 "           CASE WHEN n.nspname = ANY (pg_catalog.current_schemas(false))"
				 "                THEN pg_catalog.current_setting('search_path')"
				 "                ELSE pg_catalog.quote_ident(n.nspname) || ', ' ||"
				 "                     pg_catalog.current_setting('search_path') END, false)"
				 "  FROM pg_catalog.pg_extension e"
				 "  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
				 " WHERE e.extname = 'eoswath'");
	if (!result_ok(c, res, PGRES_TUPLES_OK, "could not look up the extension", f))
		return false;
	if (PQntuples(res) == 0)
	{
		fail_set(f, EXIT_NOEXT,
				 "extension \"eoswath\" is not installed in database \"%s\"\n"
				 "HINT:  A superuser can install it with CREATE EXTENSION eoswath CASCADE.",
				 PQdb(c));
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}

/*
 * Connect as psql does, with the password prompt; exit 2 on failure and 6
 * if the database lacks the extension.  Called once per connection (ingest
 * opens several): a password typed once serves them all.
 */
PGconn *
connect_db(void)
{
	PGconn	   *c;

	if (prompt_mode == PROMPT_FORCE && password == NULL)
	{
		password = prompt_password(opt_user);
		if (password == NULL)
			die(EXIT_CONNECT, "could not prompt for a password: no terminal");
	}
	for (;;)
	{
		c = connect_once();
		if (c == NULL)
			die(EXIT_CONNECT, "could not connect: out of memory");
		if (PQstatus(c) == CONNECTION_BAD && PQconnectionNeedsPassword(c) &&
			password == NULL && prompt_mode != PROMPT_NEVER)
		{
			char	   *pw = prompt_password(PQuser(c));

			if (pw != NULL)
			{
				PQfinish(c);
				password = pw;
				continue;		/* once: password is set now */
			}
		}
		break;
	}
	if (PQstatus(c) != CONNECTION_OK)
	{
		char		msg[4096];
		bool		needs = PQconnectionNeedsPassword(c) && password == NULL;
		size_t		len;

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
		len = strlen(msg);
		while (len > 0 && msg[len - 1] == '\n')
			msg[--len] = '\0';
		PQfinish(c);
		if (needs && prompt_mode == PROMPT_NEVER)
			die(EXIT_CONNECT, "could not connect: %s", msg);
		if (needs)
			die(EXIT_CONNECT, "could not connect: %s\n"
				"HINT:  There is no terminal to prompt for the password on: use ~/.pgpass or PGPASSWORD.",
				msg);
		die(EXIT_CONNECT, "could not connect: %s", msg);
	}
	{
		Failure		f;

		if (!session_setup(c, &f))
		{
			PQfinish(c);
			die_failure(&f);
		}
	}
	return c;
}
