# The queue of regional subsets survives a crash: a backend killed (kill -9)
# in the middle of swath_subset_drain_all() loses no queued item; the items
# it finished stay done (it commits after each batch); a second drain makes
# the rest; the sweep removes the bytes of the subset that was being written.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $granules = $ENV{EOSWATH_GRANULES}
  or plan skip_all => 'EOSWATH_GRANULES is not set';

my $node = eoswath_node('subsetq', conf => "restart_after_crash = on\n");

my @files = (
	'ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc',
	'JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc',
	'GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5',
	'SS_VIIRS_NPP-NAVO-L2P-v3.0.nc');

# regions along the passes, several per granule
$node->safe_psql('postgres', q{
	INSERT INTO swath_regions (name, shape)
	SELECT 'drake' || i, ST_Buffer('POINT(-60 -60)'::geography, 300000 + 50000 * i) FROM generate_series(1, 6) i;
	INSERT INTO swath_regions (name, shape)
	SELECT 'bering' || i, ST_Buffer('POINT(-160 68)'::geography, 300000 + 50000 * i) FROM generate_series(1, 6) i;
	INSERT INTO swath_regions (name, shape)
	SELECT 'pacific' || i, ST_Buffer(ST_MakePoint(-120 + 5 * i, -30)::geography, 800000) FROM generate_series(1, 6) i;
});
for my $f (@files)
{
	$node->safe_psql('postgres',
		"SELECT swath_register(wos_put(pg_read_binary_file('$granules/$f')), '$f', 'tap')");
}
my $queued = $node->safe_psql('postgres', 'SELECT count(*) FROM swath_subset_queue');
cmp_ok($queued, '>=', 20, "inserting the swaths queued $queued subsets");

# drain one item per transaction, and kill the backend mid-way
my $bg = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $bg->query_safe('SELECT pg_backend_pid()');
chomp $pid;
$bg->query_until(qr/started/, "\\echo started\nCALL swath_subset_drain_all(1);\n");
my $done = 0;
for (1 .. 600)
{
	$done = $node->safe_psql('postgres', 'SELECT count(*) FROM swath_subsets');
	last if $done >= 3;
	select(undef, undef, undef, 0.05);
}
cmp_ok($done, '>=', 3, 'some subsets were made before the kill');
kill 'KILL', $pid;
$bg->{run}->kill_kill;
wait_ready($node);

my ($left, $made) = split /\|/, $node->safe_psql('postgres',
	'SELECT (SELECT count(*) FROM swath_subset_queue), (SELECT count(*) FROM swath_subsets)');
cmp_ok($left, '>', 0, "the kill came mid-drain ($made made, $left still queued)");
is($left + $made, $queued, 'nothing queued was lost: every item is either done or still queued');
is($node->safe_psql('postgres',
	'SELECT count(*) FROM swath_subset_queue q JOIN swath_subsets s USING (swath, region)'),
	'0', 'no item is both done and queued');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM swath_subsets WHERE subset IS NOT NULL AND NOT wos_exists(subset)}),
	'0', 'every subset made before the crash is a stored object');

# the rest
my $second = $node->safe_psql('postgres',
	'SELECT count(*) FROM swath_subset_drain() WHERE error IS NULL');
is($second, $left, 'a second drain makes every remaining subset');
is($node->safe_psql('postgres', 'SELECT count(*) FROM swath_subset_queue'), '0', 'queue empty');
is($node->safe_psql('postgres', 'SELECT count(*) FROM swath_subsets'), $queued,
	'one subset row per queued item');
cmp_ok($node->safe_psql('postgres', 'SELECT count(DISTINCT oid) FROM wos_sweep()'), '<=', 1,
	'the sweep removes at most the subset that was being written at the kill');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM swath_subsets x JOIN swaths s ON s.id = x.swath
	 WHERE x.subset IS NOT NULL
	   AND (wos_meta(x.subset)->>'source_oid' <> s.oid::text OR substr(wos_get(x.subset), 1, 4) <> '\x89484446'::bytea)}),
	'0', 'every subset is a netCDF-4 file recording its source');
$node->stop;
done_testing();
