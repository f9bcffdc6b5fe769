# Background workers (shared_preload_libraries = 'eoswath'): the launcher
# starts a maintenance worker per database with the extension and follows
# databases as they come and go; deletes are queued by the deleting
# transaction and removed by the worker only (a crash loses none); the scrub
# repairs a damaged and a removed copy, counts them in wos_health, and
# resumes its pass after a restart; a queued subset is made without anyone
# calling swath_subset_drain(), a failing one is retried and given up on
# with its error kept; settings change on SIGHUP and every task can be
# switched off.  No timing is asserted: every wait polls with the
# harness's generous timeout.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;
use File::Find ();

my $node = PostgreSQL::Test::Cluster->new('workers');
$node->init;
$node->append_conf('postgresql.conf', q{
fsync = on
restart_after_crash = on
shared_preload_libraries = 'eoswath'
max_worker_processes = 24
eoswath.launcher_naptime = 1
eoswath.sweep_interval = 0
eoswath.scrub_interval = 0
eoswath.subset_workers = 1
eoswath.subset_retry_delay = 1
eoswath.subset_max_attempts = 2
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION eoswath CASCADE');
add_sites($node, 2);

# Change settings in postgresql.conf and reload; wait until a new session sees them.
sub set_conf
{
	my (%set) = @_;
	$node->append_conf('postgresql.conf', join('', map { "eoswath.$_ = $set{$_}\n" } sort keys %set));
	$node->reload;
	for my $k (sort keys %set)
	{
		$node->poll_query_until('postgres',
			"SELECT current_setting('eoswath.$k') = '$set{$k}' OR setting = '$set{$k}' FROM pg_settings WHERE name = 'eoswath.$k'")
		  or die "eoswath.$k did not become $set{$k}";
	}
}

# every file under a directory
sub copy_files_raw
{
	my ($dir) = @_;
	my @files;
	File::Find::find(sub { push @files, $File::Find::name if -f $_ && $_ !~ /^\.eoswath-site$/ }, $dir);
	return @files;
}

sub workers_in
{
	my ($db, $type) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = '$type' AND datname = '$db'");
}

# ---- the worker is there
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity
	   WHERE backend_type = 'eoswath worker' AND application_name = 'eoswath worker' AND datname = 'postgres'}),
	'a maintenance worker runs in the database with the extension, named in pg_stat_activity');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'eoswath launcher'}),
	'one launcher');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'eoswath subset worker' AND datname = 'postgres'}),
	'one subset worker (eoswath.subset_workers = 1)');
like($node->safe_psql('postgres', 'SELECT workers FROM wos_health WHERE site IS NULL'),
	qr/^launcher \(pid \d+\): running; maintenance \(pid \d+\): \w+.*; subset 1 \(pid \d+\)/,
	'wos_health names the launcher and the workers with their pids');
is($node->safe_psql('postgres', 'SELECT workers_running FROM wos_health_summary'), 't',
	'wos_health_summary: workers run');

# ---- deferred deletes
set_conf(deferred_deletes => 'off');
my @ids = split /\n/, $node->safe_psql('postgres',
	q{SELECT wos_put(convert_to('object ' || i, 'UTF8'), '{}', 'replicate') FROM generate_series(1, 3) i});
is(scalar(object_files($node, $ids[0])), 2, 'a replicated object has two copy files');
$node->safe_psql('postgres', "SELECT wos_delete('$ids[0]')");
is($node->safe_psql('postgres', "SELECT count(*) FROM eoswath.delete_queue WHERE oid = '$ids[0]'"), '2',
	'the committed delete queued both copies');
is(scalar(object_files($node, $ids[0])), 2, 'COMMIT removed no copy: the files are still there');
$node->safe_psql('postgres', "BEGIN; SELECT wos_delete('$ids[1]'); ROLLBACK");
is($node->safe_psql('postgres', "SELECT count(*) FROM eoswath.delete_queue WHERE oid = '$ids[1]'"), '0',
	'a rolled back delete queues nothing');
is($node->safe_psql('postgres', 'SELECT pending_deletes FROM wos_health WHERE site IS NULL'), '2',
	'wos_health counts the pending deletes');

# a crash with deletes pending loses none
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', "SELECT count(*) FROM eoswath.delete_queue WHERE oid = '$ids[0]'"), '2',
	'the queued deletes survive a crash');
is(scalar(object_files($node, $ids[0])), 2, 'and the copies are still there');

# switched on again (SIGHUP): the worker removes them
set_conf(deferred_deletes => 'on');
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM eoswath.delete_queue'),
	'with eoswath.deferred_deletes on after a reload, the worker empties the queue');
is(scalar(object_files($node, $ids[0])), 0, 'the deleted object\'s copies are gone from disk');
is(scalar(object_files($node, $ids[1])), 2, 'the other objects keep theirs');
$node->safe_psql('postgres', "SELECT wos_delete('$ids[1]')");
ok($node->poll_query_until('postgres', 'SELECT count(*) = 0 FROM eoswath.delete_queue'),
	'a delete made while the worker runs is worked off');
is(scalar(object_files($node, $ids[1])), 0, 'its copies are gone');
is($node->safe_psql('postgres', "SELECT convert_from(wos_get('$ids[2]'), 'UTF8')"), 'object 3',
	'the remaining object reads back');
# an aborted put leaves nothing, as before
my $files_before = scalar(copy_files($node));
$node->safe_psql('postgres', "BEGIN; SELECT wos_put('\\x0102'::bytea, '{}', 'replicate'); ROLLBACK");
is($node->safe_psql('postgres', 'SELECT count(*) FROM eoswath.delete_queue'), '0', 'an aborted put queues nothing');
is(scalar(copy_files($node)), $files_before, 'and its copies were removed at the abort');

# ---- scrub
my @obj = split /\n/, $node->safe_psql('postgres',
	q{SELECT wos_put(decode(repeat(md5(i::text), 20000), 'hex'), '{}', 'replicate') FROM generate_series(1, 12) i});
my ($bad) = object_files($node, $obj[3]);
my ($gone) = object_files($node, $obj[7]);
my ($bad_site) = $bad =~ m{/(site\d|eoswath/[^/]+)/};
open(my $fh, '+<', $bad) or die "open $bad: $!";
binmode $fh;
seek($fh, 1000, 0);
print $fh "X";
close $fh;
unlink $gone or die "unlink $gone: $!";
my $sum = sub {
	$node->safe_psql('postgres', q{SELECT concat_ws('/', corrupt_found, missing_found, repaired, repair_failed)
	   FROM wos_health WHERE site IS NULL})
};
is($sum->(), '0/0/0/0', 'wos_health: nothing found before the scrub');

# a slow pass, to restart it in the middle
set_conf(scrub_interval => '3600', scrub_rate => '1');
ok($node->poll_query_until('postgres',
	q{SELECT pass_started IS NOT NULL AND objects_checked >= 3 FROM eoswath.scrub_state}),
	'the scrub runs a pass');
my ($started, $pos) = split /\|/, $node->safe_psql('postgres',
	'SELECT pass_started, position::bigint FROM eoswath.scrub_state');
$node->restart;
ok($node->poll_query_until('postgres',
	"SELECT pass_started = '$started' AND position::bigint > $pos FROM eoswath.scrub_state"),
	'after a restart the scrub goes on from where it was, in the same pass');
set_conf(scrub_rate => '0');
ok($node->poll_query_until('postgres',
	'SELECT last_pass_finished IS NOT NULL FROM eoswath.scrub_state'),
	'the pass completes');
is($sum->(), '1/1/2/0', 'wos_health: one corrupt and one missing copy found, both repaired');
is(sha256_file($bad), sha256_file((grep { $_ ne $bad } object_files($node, $obj[3]))[0]),
	'the damaged copy was rewritten from the intact one');
is(scalar(object_files($node, $obj[7])), 2, 'the removed copy is back');
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_verify()'), '0', 'wos_verify finds every copy intact');
my $log = slurp_file($node->logfile);
like($log, qr/eoswath object $obj[3]: repaired copy on site "[^"]+" from site/,
	'the repair of the damaged copy is logged with the object and site');
like($log, qr/eoswath scrub: object $obj[7]: copy on site "[^"]+": missing, repaired/,
	'the missing copy is logged with the object and site');
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_health_objects'), '0',
	'no object is under-replicated');

# a copy lost with its site: the scrub re-replicates onto the third site
my $lost = $node->safe_psql('postgres', q{
	SELECT o.oid FROM eoswath.objects o JOIN eoswath.sites s ON s.site_id = ANY (o.sites)
	 WHERE s.name = 's2' AND o.state = 'stored' AND o.policy = 'replicate' ORDER BY o.oid LIMIT 1});
my $s2 = $node->data_dir . '/../site2';
rename($s2, "$s2.dead") or die "rename: $!";
$node->safe_psql('postgres', q{UPDATE eoswath.scrub_state SET last_pass_started = now() - interval '2 hours'});
ok($node->poll_query_until('postgres', q{
	SELECT last_pass_finished > last_pass_started AND last_pass_started > now() - interval '1 hour'
	  FROM eoswath.scrub_state}),
	'a new pass ran with site s2 gone');
is($node->safe_psql('postgres', qq{
	SELECT array_length(sites, 1) = 2 AND NOT 's2' = ANY (sites) FROM wos_objects WHERE oid = '$lost'}),
	't', 'an object that had a copy on the lost site has two copies again, elsewhere');
like(slurp_file($node->logfile), qr/eoswath scrub: object $lost had 1 intact copies of 2/,
	'the re-replication is logged');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM eoswath.delete_queue q JOIN eoswath.sites s USING (site_id)
	 WHERE s.name = 's2' AND q.last_error IS NOT NULL}),
	'the copies moved off the unmounted site stay queued for deletion, with the error');
my @left = grep { m{/site2\.dead/} } copy_files_raw("$s2.dead");
cmp_ok(scalar(@left), '>', 0, 'nothing was unlinked on the unmounted site');
rename("$s2.dead", $s2) or die "rename back: $!";
set_conf(scrub_interval => '0');
$node->safe_psql('postgres', 'SELECT wos_delete_pending()');
is($node->safe_psql('postgres', 'SELECT count(*) FROM eoswath.delete_queue'), '0',
	'once the site is back, the queued deletes go');
is(scalar(object_files($node, $lost)), 2, 'and the object keeps exactly its two new copies');

# ---- subset queue
SKIP:
{
	my $granules = $ENV{EOSWATH_GRANULES};
	skip 'EOSWATH_GRANULES is not set', 6 unless $granules;
	my $f = 'GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5';
	$node->safe_psql('postgres',
		"SELECT swath_register(wos_put(pg_read_binary_file('$granules/$f')), '$f', 'tap')");
	$node->safe_psql('postgres', q{
		INSERT INTO swath_regions (name, shape)
		SELECT 'here', ST_Buffer(ST_PointOnSurface(shape::geometry)::geography, 200000) FROM swaths;
		SELECT swath_subset_requeue()});
	ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM swath_subset_queue}),
		'the queued subset is made without a call to swath_subset_drain()');
	is($node->safe_psql('postgres',
		q{SELECT count(*) FROM swath_subsets WHERE subset IS NOT NULL AND wos_exists(subset)}), '1',
		'the subset is a stored object');

	# a subset that fails: retried, then left with its error
	$node->safe_psql('postgres', q{
		INSERT INTO swath_regions (name, shape)
		SELECT 'there', ST_Buffer(ST_PointOnSurface(shape::geometry)::geography, 300000) FROM swaths});
	my $src = $node->safe_psql('postgres', 'SELECT oid FROM swaths');
	unlink $_ for object_files($node, $src);
	$node->safe_psql('postgres', 'SELECT swath_subset_requeue()');
	ok($node->poll_query_until('postgres',
		q{SELECT attempts = 2 AND last_error IS NOT NULL FROM swath_subset_queue WHERE region = 'there'}),
		'a failing subset is retried eoswath.subset_max_attempts times, its error kept on the row');
	like(slurp_file($node->logfile), qr/gave up on the subset of swath \d+ for region "there" after 2 attempts/,
		'giving up is logged');
	is($node->safe_psql('postgres', 'SELECT subset_queue, subset_failed FROM wos_health WHERE site IS NULL'),
		'1|1', 'wos_health shows the queue depth and the failed item');

	# off-switch: no subset worker
	set_conf(subset_workers => '0');
	ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'eoswath subset worker'}),
		'eoswath.subset_workers = 0 stops the subset workers');
}

# ---- databases come and go
$node->safe_psql('postgres', 'CREATE DATABASE later');
$node->safe_psql('later', 'CREATE EXTENSION eoswath CASCADE');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'eoswath worker' AND datname = 'later'}),
	'a database that gets the extension later gets a worker');
# the extension dropped and created again
$node->safe_psql('later', 'DROP EXTENSION eoswath');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type LIKE 'eoswath%worker' AND datname = 'later'}),
	'DROP EXTENSION: the database\'s workers stop');
$node->safe_psql('later', 'CREATE EXTENSION eoswath');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'eoswath worker' AND datname = 'later'}),
	'CREATE EXTENSION again: the worker is back');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'plain'}),
	'a database without the extension keeps no worker');
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE later');
is($ret, 0, 'DROP DATABASE succeeds while the database had a worker') or diag $err;
is(workers_in('later', 'eoswath worker'), '0', 'its worker is gone');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE plain');
is($ret, 0, 'a database without the extension drops too') or diag $err;
is(workers_in('postgres', 'eoswath worker'), '1', 'the first database keeps its worker');

unlike(slurp_file($node->logfile), qr/TRAP:|server process .* was terminated by signal 11/,
	'no assertion failure or crash in the log');
$node->stop;
done_testing();
