# pg_restore -1 -e of a database with swaths, regions, a non-empty subset
# queue and stored subsets: the extension's triggers do not fire for the
# restored rows, so the queue and the subsets come back exactly as dumped
# (no duplicate key, nothing re-queued, no granule re-read).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $granules = $ENV{EOSWATH_GRANULES}
  or plan skip_all => 'EOSWATH_GRANULES is not set';

my $node = eoswath_node('restoreq');
$node->safe_psql('postgres', qq{
	INSERT INTO swath_regions (name, shape)
	SELECT 'drake' || i, ST_Buffer('POINT(-60 -60)'::geography, 300000 + 100000 * i) FROM generate_series(1, 4) i;
	SELECT swath_register(wos_put(pg_read_binary_file('$granules/ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc')), 'ascat.nc', 'ASCAT');
	SELECT swath_register(wos_put(pg_read_binary_file('$granules/GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5')), 'gpm.h5', 'GPM');
});
my $queued = $node->safe_psql('postgres', 'SELECT count(*) FROM swath_subset_queue');
cmp_ok($queued, '>=', 3, "$queued subsets queued");
# make some of them, leave the rest queued
$node->safe_psql('postgres', 'SELECT count(*) FROM swath_subset_drain(2)');
my $state_sql = q{
	SELECT (SELECT string_agg(swath || ':' || region, ',' ORDER BY swath, region) FROM swath_subset_queue) || ' / ' ||
	       (SELECT string_agg(swath || ':' || region || ':' || coalesce(subset::text, '-'), ',' ORDER BY swath, region) FROM swath_subsets)
};
my $before = $node->safe_psql('postgres', $state_sql);
like($before, qr{^.+ / .+$}, "a queue and subsets to dump: $before");

my $dump = $node->basedir . '/q.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-1', '-e', '-d', $node->connstr('restored'), $dump ],
	'pg_restore --single-transaction --exit-on-error');
is($node->safe_psql('restored', $state_sql), $before, 'queue and subsets come back exactly');

# a plain dump run by psql, too
my $plain = $node->basedir . '/q.sql';
$node->command_ok([ 'pg_dump', '-f', $plain, '-d', $node->connstr('postgres') ], 'pg_dump (plain)');
$node->safe_psql('postgres', 'CREATE DATABASE restored2');
$node->command_ok([ 'psql', '-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', $plain, '-d', $node->connstr('restored2') ],
	'psql -1 -f of a plain dump');
is($node->safe_psql('restored2', $state_sql), $before, 'queue and subsets come back exactly from a plain dump');

# an ordinary insert still queues
$node->safe_psql('restored', q{
	INSERT INTO swath_regions (name, shape) VALUES ('everywhere', ST_MakeEnvelope(-180, -89, 180, 89, 4326)::geography);
	INSERT INTO swaths (filename, source, oid, overpass, overpass_end, shape)
	SELECT 'again.nc', 'ASCAT', wos_put('not a granule'), now(), now(), shape FROM swaths WHERE source = 'ASCAT';
});
is($node->safe_psql('restored', "SELECT count(*) FROM swath_subset_queue q JOIN swaths s ON s.id = q.swath WHERE s.filename = 'again.nc'"),
	$node->safe_psql('restored', "SELECT count(*) FROM swath_regions r, swaths s WHERE s.filename = 'again.nc' AND ST_Intersects(r.shape, s.shape)"),
	'a new swath inserted after the restore is queued for every region it meets');

$node->stop;
done_testing();
