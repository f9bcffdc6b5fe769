# pg_upgrade (15 -> 15, --link and --copy) of a cluster with eoswath, then
# the documented steps (README "Backup, restore, upgrade and replication"):
# move the default sites' directory into the new data directory, adopt the
# sites (the new cluster has a new system identifier), run the old
# cluster's cleanup script.  Every object stays readable and writable.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy qw(move);
use Cwd;
use EoswathTest;

# (PostgreSQL 15's pg_upgrade copies unless told --link; it has no --copy)
for my $mode ('--link', '')
{
	my $name = $mode ? 'link' : 'copy';
	my $old = PostgreSQL::Test::Cluster->new("old_$name");
	$old->init;
	$old->append_conf('postgresql.conf', "fsync = on\n");
	$old->start;
	$old->safe_psql('postgres', 'CREATE EXTENSION eoswath CASCADE');
	my $s1 = $old->basedir . '/../shared_site_' . $name;
	$old->safe_psql('postgres', qq{
		SELECT wos_site_add('s1', '$s1');
		SELECT wos_policy_add('both', 2, ARRAY['local', 's1']);
		CREATE TABLE kept AS
			SELECT wos_put(decode(repeat(md5(g::text), 100 * g), 'hex'), '{}', 'both') AS id
			  FROM generate_series(1, 20) g;
		CREATE TABLE sums AS SELECT id, encode(sha256(wos_get(id)), 'hex') AS sum FROM kept;
	});
	my $last = $old->safe_psql('postgres', 'SELECT max(id::text) FROM kept');
	$old->stop;

	my $new = PostgreSQL::Test::Cluster->new("new_$name");
	$new->init;
	$new->append_conf('postgresql.conf', "fsync = on\n");
	my $cwd = getcwd();
	my $work = $new->basedir . '/upgrade';
	mkdir $work;
	chdir $work;
	command_ok(
		[
			'pg_upgrade', '--no-sync', ($mode ? ($mode) : ()),
			'-d', $old->data_dir, '-D', $new->data_dir,
			'-b', $old->config_data('--bindir'), '-B', $new->config_data('--bindir'),
			'-p', $old->port, '-P', $new->port, '-s', $new->host
		],
		"pg_upgrade ($name)");
	chdir $cwd;

	# the documented step: the default sites go with the data directory
	ok(move($old->data_dir . '/eoswath', $new->data_dir . '/eoswath'),
		'move the default sites into the new data directory');
	$new->start;
	my ($rc, $out, $err) = $new->psql('postgres', "SELECT wos_put('x', '{}', 'both')");
	like($err, qr/it is not this database's/, 'before adopting, the upgraded cluster does not write');
	$new->safe_psql('postgres', "SELECT wos_site_adopt(name) FROM wos_sites");
	is($new->safe_psql('postgres', "SELECT string_agg(DISTINCT owner, ',') FROM wos_sites"),
		'this database', 'every site adopted');

	# the old cluster's cleanup script
	my $script = "$work/delete_old_cluster.sh";
	ok(-f $script, 'pg_upgrade wrote the cleanup script');
	system('sh', $script) == 0 or die "cleanup script failed";
	ok(!-d $old->data_dir, 'the old data directory is gone');

	is($new->safe_psql('postgres',
		"SELECT count(*) FROM sums WHERE encode(sha256(wos_get(id)), 'hex') <> sum"), '0',
		"every object reads back its bytes after pg_upgrade ($name) and the cleanup");
	is($new->safe_psql('postgres', 'SELECT count(*) FROM wos_verify()'), '0', 'and verifies');
	my $id = $new->safe_psql('postgres', "SELECT wos_put('after the upgrade', '{}', 'both')");
	ok($id gt $last, "puts work, with new ids ($id > $last)");
	is($new->safe_psql('postgres', "SELECT count(*) FROM wos_sweep()"), '0', 'nothing for the sweep');
	$new->stop;
}

done_testing();
