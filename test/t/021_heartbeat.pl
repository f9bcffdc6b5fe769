# An owner on another host: while its maintenance worker runs it writes a
# heartbeat beside the marker of each site it owns, and another instance
# (here a second cluster, with its own system identifier, restored from a
# dump) refuses to adopt such a site while the heartbeat is fresh.  A stale
# heartbeat (the owner stopped long ago; simulated by ageing the file, not
# by waiting) or none at all (no workers: nothing can be told) allows it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $a = PostgreSQL::Test::Cluster->new('owner');
$a->init;
$a->append_conf('postgresql.conf', q{
fsync = on
shared_preload_libraries = 'eoswath'
eoswath.launcher_naptime = 1
eoswath.heartbeat_interval = 1
eoswath.sweep_interval = 0
eoswath.scrub_interval = 0
eoswath.subset_workers = 0
});
$a->start;
$a->safe_psql('postgres', 'CREATE EXTENSION eoswath CASCADE');
my $shared = $a->basedir . '/../shared_site';
$a->safe_psql('postgres', "SELECT wos_site_add('s1', '$shared')");
$a->safe_psql('postgres', "SELECT wos_policy_add('on1', 1, ARRAY['s1'])");
my $id = $a->safe_psql('postgres', "SELECT wos_put('kept on the shared site', '{}', 'on1')");

my $alive = "$shared/.eoswath-alive";
ok($a->poll_query_until('postgres', "SELECT (pg_stat_file('$alive', true)).size IS NOT NULL"),
	'the owner\'s worker writes a heartbeat beside the marker');
my $sysid = $a->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
like(slurp_file($alive), qr/^eoswath heartbeat\nsystem_identifier $sysid\ndatabase \d+\ntime \d+\ninterval 1\n/,
	'it names the owner, the time and the interval');

my $dump = $a->basedir . '/owner.dump';
$a->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $a->connstr('postgres') ], 'pg_dump');

# another host: a cluster of its own
my $b = PostgreSQL::Test::Cluster->new('other');
$b->init;
$b->append_conf('postgresql.conf', "fsync = on\n");
$b->start;
$b->command_ok([ 'pg_restore', '-1', '-e', '-d', $b->connstr('postgres'), $dump ], 'restored on another cluster');
is($b->safe_psql('postgres', "SELECT convert_from(wos_get('$id'), 'UTF8')"), 'kept on the shared site', 'it reads the shared site');

my ($rc, $out, $err) = $b->psql('postgres', "SELECT wos_site_adopt('s1')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/55006: cannot adopt site "s1": its owner is still running/,
	'adopting is refused while the owner on another host writes heartbeats (55006)');
like($err, qr/DETAIL:  The owner \(system identifier $sysid, database \d+\) wrote its heartbeat -?\d+ seconds ago; it writes one every 1 seconds\./,
	'... the detail names the owner and the heartbeat\'s age');
like($err, qr/HINT:  Stop the owning server first/, '... with a hint');

# the owner stops; its last heartbeat is then old (aged by hand here)
$a->stop;
my $text = slurp_file($alive);
my $old = time() - 3600;
$text =~ s/^time \d+$/time $old/m or die "no time line";
open my $fh, '>', $alive or die;
print $fh $text;
close $fh;
$b->safe_psql('postgres', "SELECT wos_site_adopt('s1')");
is($b->safe_psql('postgres', "SELECT owner FROM wos_sites WHERE name = 's1'"), 'this database',
	'a stale heartbeat: the site is adopted');
my $new = $b->safe_psql('postgres', "SELECT wos_put('written by the new owner', '{}', 'on1')");
ok($new gt $id, "and the new owner writes, ids above the old ($new > $id)");

# no heartbeat at all (an owner without workers): nothing can be told, so
# adoption goes ahead as before
my $c = PostgreSQL::Test::Cluster->new('third');
$c->init;
$c->append_conf('postgresql.conf', "fsync = on\n");
$c->start;
my $dump2 = $b->basedir . '/other.dump';
$b->command_ok([ 'pg_dump', '-Fc', '-f', $dump2, '-d', $b->connstr('postgres') ], 'pg_dump of the new owner');
$c->command_ok([ 'pg_restore', '-1', '-e', '-d', $c->connstr('postgres'), $dump2 ], 'restored on a third cluster');
ok(!-e "$shared/.eoswath-alive" || slurp_file("$shared/.eoswath-alive") !~ /system_identifier @{[ $b->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()') ]}\n/,
	'the new owner (no workers) writes no heartbeat');
$c->safe_psql('postgres', "SELECT wos_site_adopt('s1')");
is($c->safe_psql('postgres', "SELECT owner FROM wos_sites WHERE name = 's1'"), 'this database',
	'without a heartbeat the site can be adopted');

$b->stop;
$c->stop;
done_testing();
