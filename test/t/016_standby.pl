# A streaming standby reads objects on sites both servers reach (a shared
# directory here; S3 in the S3 suite), repairs nothing, says clearly when an
# object's copies are only on the primary's local default site, and after
# promotion writes, deletes and sweeps with nothing committed lost.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "fsync = on\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION eoswath CASCADE');
my $shared1 = $primary->basedir . '/../shared1';
my $shared2 = $primary->basedir . '/../shared2';
$primary->safe_psql('postgres', qq{
	SELECT wos_site_add('s1', '$shared1');
	SELECT wos_site_add('s2', '$shared2');
	SELECT wos_policy_add('shared', 2, ARRAY['s1', 's2']);
	SELECT wos_policy_add('localonly', 1, ARRAY['local']);
	CREATE TABLE kept (id wosoid, sum text);
});
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

# written after the base backup
$primary->safe_psql('postgres', q{
	INSERT INTO kept SELECT id, encode(sha256(wos_get(id)), 'hex') FROM (
		SELECT wos_put(decode(repeat(md5(g::text), 500 * g), 'hex'), '{}', 'shared') AS id
		  FROM generate_series(1, 10) g) s;
});
my $local = $primary->safe_psql('postgres', "SELECT wos_put('only on the primary''s default site', '{}', 'localonly')");
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres',
	"SELECT count(*) FROM kept WHERE encode(sha256(wos_get(id)), 'hex') <> sum"), '0',
	'the standby reads every object on the shared sites');
my $one = $standby->safe_psql('postgres', 'SELECT id FROM kept ORDER BY id LIMIT 1');
is($standby->safe_psql('postgres', "SELECT length(wos_get('$one', 10, 100))"), '100', 'ranged gets');
is($standby->safe_psql('postgres',
	"SELECT sum(length(c)) = (SELECT size FROM wos_stat('$one')) FROM wos_stream_get('$one', 4096) c"), 't',
	'streamed gets');
my ($rc, $out, $err) = $standby->psql('postgres', "SELECT wos_get('$local')");
like($err, qr/no copy of object $local is reachable from this standby/, 'an object only on the primary\'s default site: a clear error');
like($err, qr/HINT:  A standby reads copies on sites both servers reach/, '... with a hint');
($rc, $out, $err) = $standby->psql('postgres', "SELECT wos_put('x', '{}', 'shared')");
like($err, qr/read-only transaction|recovery/, 'no puts on the standby');

# a lost copy: the standby reports it and writes nothing
my ($f2) = grep { m{/shared2/} } object_files($primary, $one);
unlink $f2 or die;
is($standby->safe_psql('postgres', "SELECT status FROM wos_verify('$one') WHERE site = 's2'"), 'missing',
	'verify on the standby reports the missing copy');
ok(!-e $f2, 'and does not repair it (read-only)');
is($standby->safe_psql('postgres', "SELECT encode(sha256(wos_get('$one')), 'hex') = (SELECT sum FROM kept WHERE id = '$one')"),
	't', 'reads use the remaining copy');
ok(!-e $f2, 'a read on the standby repairs nothing either');

# failover
$primary->stop('immediate');
$standby->promote;
is($standby->safe_psql('postgres', "SELECT string_agg(DISTINCT owner, ',') FROM wos_sites WHERE name IN ('s1', 's2')"),
	'this database', 'the promoted standby owns the sites (same system identifier)');
is($standby->safe_psql('postgres',
	"SELECT count(*) FROM kept WHERE encode(sha256(wos_get(id)), 'hex') <> sum"), '0',
	'nothing committed on the old primary is lost');
ok(-e $f2, 'the promoted standby repaired the lost copy while reading');
is($standby->safe_psql('postgres', "SELECT status FROM wos_verify('$one') WHERE site = 's2'"), 'ok',
	'and it verifies');
my $new = $standby->safe_psql('postgres', "SELECT wos_put('after failover', '{}', 'shared')");
ok($new gt $one, 'puts work after promotion');
$standby->safe_psql('postgres', "SELECT wos_delete('$new')");
is($standby->safe_psql('postgres', "SELECT wos_exists('$new')"), 'f', 'deletes work');
is($standby->safe_psql('postgres', "SELECT count(*) FROM wos_sweep() WHERE site IN ('s1', 's2')"), '0',
	'the sweep finds nothing on the shared sites');

$standby->stop;
done_testing();
