# Crash safety: a committed object survives kill -9 and an immediate stop;
# bytes of a transaction that never committed are found and removed by the
# sweep, which never touches a transaction still in progress; ids are never
# handed out twice, even across a crash.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $node = eoswath_node('crash', sites => 2, conf => "restart_after_crash = on\n");

my $committed = $node->safe_psql('postgres',
	"SELECT wos_put(repeat('committed', 50000)::bytea, '{\"k\": \"v\"}', 'copy3')");
my $sum = $node->safe_psql('postgres', "SELECT sha256 FROM wos_stat('$committed')");

# a backend killed in the middle of a transaction that has written copies
my $bg = $node->background_psql('postgres');
my $pid = $bg->query_safe('SELECT pg_backend_pid()');
$bg->query_safe('BEGIN');
my $orphan = $bg->query_safe("SELECT wos_put(repeat('orphan', 50000)::bytea, '{}', 'copy3')");
chomp $orphan;
is(scalar(object_files($node, $orphan)), 3, 'in-flight put wrote 3 copies');
kill 'KILL', $pid;
$bg->{run}->kill_kill;    # the session is gone
# wait for crash recovery to finish
wait_ready($node);

is($node->safe_psql('postgres', "SELECT wos_exists('$orphan')"), 'f',
	'object of the killed transaction does not exist');
is(scalar(object_files($node, $orphan)), 3, 'its bytes are still on the sites before the sweep');

# the sweep must not touch a transaction in progress
my $live = $node->background_psql('postgres');
$live->query_safe('BEGIN');
my $inflight = $live->query_safe("SELECT wos_put('still writing', '{}', 'replicate')");
chomp $inflight;

my $swept = $node->safe_psql('postgres',
	"SELECT string_agg(DISTINCT oid::text, ',') || ' ' || count(*) FROM wos_sweep()");
is($swept, "$orphan 3", 'sweep removed the 3 orphan copies and nothing else');
is(scalar(object_files($node, $orphan)), 0, 'orphan bytes gone');
is(scalar(object_files($node, $inflight)), 2, 'in-progress put untouched by the sweep');
$live->query_safe('COMMIT');
$live->quit;
is($node->safe_psql('postgres', "SELECT encode(wos_get('$inflight'), 'escape')"),
	'still writing', 'in-progress put committed intact after the sweep');

# an id seen by a client is never handed out again, even after a crash
my $bg2 = $node->background_psql('postgres');
$bg2->query_safe('BEGIN');
my $seen = $bg2->query_safe("SELECT wos_put('lost')::bigint");
$node->stop('immediate');
$bg2->{run}->kill_kill;
$node->start;
my $next = $node->safe_psql('postgres', "SELECT wos_put('after crash')::bigint");
cmp_ok($next, '>', $seen, 'id after crash is newer than any id handed out before');

# the committed object survived both crashes, bit for bit, on every copy
is($node->safe_psql('postgres', "SELECT sha256 FROM wos_stat('$committed')"), $sum,
	'catalog intact');
is($node->safe_psql('postgres', "SELECT encode(sha256(wos_get('$committed')), 'hex')"), $sum,
	'committed object reads back with its checksum');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM wos_verify('$committed') WHERE status = 'ok'"), '3',
	'all three copies intact');
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_sweep()'), '1',
	'sweep after the immediate stop removes only the lost transaction\'s copy');
$node->stop;
done_testing();
