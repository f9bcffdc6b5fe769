# Rollback cleanup, delete at commit, delete + rollback, savepoints.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $node = eoswath_node('tx', sites => 2);

# a put inside a transaction writes its copies before commit ...
my $bg = $node->background_psql('postgres');
$bg->query_safe('BEGIN');
my $id = $bg->query_safe("SELECT wos_put('uncommitted', '{}', 'copy3')");
chomp $id;
is(scalar(object_files($node, $id)), 3, 'uncommitted put has written 3 copies');
# ... but no other session sees the object
is($node->safe_psql('postgres', "SELECT wos_exists('$id')"), 'f',
	'uncommitted object invisible to other sessions');
$bg->query_safe('ROLLBACK');
is(scalar(object_files($node, $id)), 0, 'rollback removed every copy');
is($node->safe_psql('postgres', "SELECT wos_exists('$id')"), 'f', 'rolled-back object unknown');

# commit: visible and whole
$bg->query_safe('BEGIN');
my $id2 = $bg->query_safe("SELECT wos_put(repeat('x', 100000)::bytea, '{}', 'replicate')");
chomp $id2;
$bg->query_safe('COMMIT');
is($node->safe_psql('postgres', "SELECT length(wos_get('$id2'))"), '100000', 'committed object visible');
my @files = object_files($node, $id2);
is(scalar(@files), 2, 'two copies on disk');

# delete then rollback: the object stays whole
$bg->query_safe('BEGIN');
$bg->query_safe("SELECT wos_delete('$id2')");
is($node->safe_psql('postgres', "SELECT wos_exists('$id2')"), 't',
	'uncommitted delete invisible to others');
is(scalar(object_files($node, $id2)), 2, 'copies stay until the delete commits');
$bg->query_safe('ROLLBACK');
is($node->safe_psql('postgres', "SELECT length(wos_get('$id2'))"), '100000',
	'rolled-back delete leaves the object readable');

# delete then commit: bytes go from every site
$bg->query_safe('BEGIN');
$bg->query_safe("SELECT wos_delete('$id2')");
$bg->query_safe('COMMIT');
is(scalar(object_files($node, $id2)), 0, 'committed delete removed every copy');
ok(!-e $_, "removed $_") for @files;

# savepoint rolled back: its copies go, the outer put stays
$bg->query_safe('BEGIN');
my $outer = $bg->query_safe("SELECT wos_put('outer', '{}', 'replicate')");
$bg->query_safe('SAVEPOINT a');
my $inner = $bg->query_safe("SELECT wos_put('inner', '{}', 'replicate')");
$bg->query_safe('ROLLBACK TO a');
chomp($outer, $inner);
is(scalar(object_files($node, $inner)), 0, 'savepoint rollback removed its copies');
$bg->query_safe('COMMIT');
is(scalar(object_files($node, $outer)), 2, 'outer put kept');

# an error mid-transaction (bad metadata after a good put) aborts and cleans up
my $err_session = $node->background_psql('postgres', on_error_stop => 0);
$err_session->query_safe('BEGIN');
my $good = $err_session->query_safe("SELECT wos_put('good', '{}', 'replicate')");
chomp $good;
$err_session->query("SELECT wos_put('bad', '{\"a\": 1}')");
like($err_session->{stderr}, qr/object metadata values must be strings/, 'bad metadata refused');
# the error aborted the transaction: its copies go at once, before ROLLBACK
is(scalar(object_files($node, $good)), 0, 'failed transaction removed its earlier puts');
$err_session->query('ROLLBACK');
is($node->safe_psql('postgres', "SELECT wos_exists('$good')"), 'f', 'and the object is unknown');
$err_session->quit;

is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_sweep()'), '0',
	'nothing left for the sweep');
$bg->quit;
$node->stop;
done_testing();
