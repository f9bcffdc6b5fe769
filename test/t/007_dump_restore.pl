# The catalog survives pg_dump and pg_restore: objects, added sites and
# policies, swaths, and the id sequence (no id is handed out twice after a
# restore).  Object bytes are not in the dump: they stay on the sites.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $granules = $ENV{EOSWATH_GRANULES} or plan skip_all => 'EOSWATH_GRANULES not set';
my $node = eoswath_node('dump', sites => 1);
my $gpm = "$granules/GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5";
$node->safe_psql('postgres', "SELECT wos_policy_add('onsite', 1, ARRAY['s1'])");
my $oid = $node->safe_psql('postgres',
	"SELECT wos_put(pg_read_binary_file('$gpm'), '{\"mission\": \"GPM\"}', 'onsite')");
$node->safe_psql('postgres', "SELECT swath_register('$oid', 'gpm.HDF5', 'GPM', 'V07A', 39665)");
my $reserved = $node->safe_psql('postgres', "SELECT wos_reserve()");
my $before = $node->safe_psql('postgres',
	"SELECT oid || ' ' || filename || ' ' || source || ' ' || version || ' ' || orbit || ' ' || overpass || ' ' || md5(ST_AsBinary(shape)) FROM swaths");
my $last = $node->safe_psql('postgres', "SELECT last_value FROM eoswath.oid_seq");

my $dump = $node->basedir . '/eoswath.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('postgres'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ], 'pg_restore');

is($node->safe_psql('restored',
	"SELECT oid || ' ' || filename || ' ' || source || ' ' || version || ' ' || orbit || ' ' || overpass || ' ' || md5(ST_AsBinary(shape)) FROM swaths"),
	$before, 'swath rows restored identically');
is($node->safe_psql('restored', "SELECT wos_meta('$oid')->>'mission'"), 'GPM', 'object catalog restored');
is($node->safe_psql('restored', "SELECT state FROM wos_stat('$reserved')"), 'reserved', 'reservation restored');
is($node->safe_psql('restored', "SELECT string_agg(name, ',' ORDER BY site_id) FROM eoswath.sites"),
	'local,s1', 'sites restored, default site not doubled');
is($node->safe_psql('restored', "SELECT copies FROM eoswath.policies WHERE name = 'onsite'"), '1',
	'added policy restored');
is($node->safe_psql('restored', "SELECT encode(sha256(wos_get('$oid')), 'hex') = sha256 FROM wos_stat('$oid')"),
	't', 'object on a shared site readable from the restored catalog');
# the restored database shares s1 with the original: it reads there but
# writes only into its own sites until it adopts s1
my ($rc, $out, $err) = $node->psql('restored', "SELECT wos_put('new', '{}', 'onsite')");
like($err, qr/cannot write copies to site "s1": it is not this database's/,
	'the restored database does not write into the original\'s site');
$node->safe_psql('restored', "SELECT wos_policy_add('mine', 1, ARRAY['local'])");
cmp_ok($node->safe_psql('restored', "SELECT wos_put('new', '{}', 'mine')::bigint"), '>', $last,
	'ids after the restore continue past every id handed out before');
$node->stop;
done_testing();
