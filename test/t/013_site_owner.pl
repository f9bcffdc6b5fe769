# Sites have owners: a restored copy of the database (or a new install) on
# the same disks reads there but never writes, deletes, repairs or sweeps
# there until it adopts the site; DROP EXTENSION does not silently drop the
# catalog of stored objects; a re-created archive adopts the old sites and
# continues ids above theirs; verify tells missing from unreachable copies.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy ();
use File::Find ();
use File::Path ();
use File::Spec;
use EoswathTest;

my $node = eoswath_node('owner', sites => 2);
my $site1 = $node->safe_psql('postgres', "SELECT location FROM eoswath.sites WHERE name = 's1'");
$node->safe_psql('postgres', "SELECT wos_policy_add('both', 2, ARRAY['s1', 's2'])");
$node->safe_psql('postgres', q{
	CREATE TABLE kept AS
		SELECT wos_put(decode(repeat(md5(g::text), 20000), 'hex'), '{}', 'both') AS id
		  FROM generate_series(1, 5) g;
});
# objects whose only copy is on the default site (inside the data directory)
$node->safe_psql('postgres', q{
	SELECT wos_policy_add('localonly', 1, ARRAY['local']);
	CREATE TABLE onlocal AS
		SELECT wos_put(decode(repeat(md5(g::text), 1000), 'hex'), '{}', 'localonly') AS id
		  FROM generate_series(1, 3) g;
});
my $localsums = sub {
	my ($db) = @_;
	return $node->safe_psql($db,
		"SELECT string_agg(id::text || ':' || encode(sha256(wos_get(id)), 'hex'), ',' ORDER BY id) FROM onlocal");
};
my $localbefore = $localsums->('postgres');
my $sums = sub {
	my ($db) = @_;
	return $node->safe_psql($db,
		"SELECT string_agg(id::text || ':' || encode(sha256(wos_get(id)), 'hex'), ',' ORDER BY id) FROM kept");
};
my $before = $sums->('postgres');
my %files_before = map { $_ => sha256_file($_) } copy_files($node);

is($node->safe_psql('postgres', "SELECT owner || '|' || available FROM wos_sites WHERE name = 's1'"),
	'this database|true', 'wos_sites: s1 is this database\'s and available');
like(slurp_file("$site1/.eoswath-site"),
	qr/archive [0-9a-f-]{36}\nsystem_identifier \d+\ndatabase \d+\nsite_id \d+/,
	'the marker names the archive and the owning instance');

# ---- a restored copy on the same host ----
my $dump = $node->basedir . '/owner.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('postgres') ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE copy');
$node->command_ok([ 'pg_restore', '-1', '-e', '-d', $node->connstr('copy'), $dump ],
	'pg_restore -1 -e into a second database');
is($sums->('copy'), $before, 'the copy reads every object');

# the copy has its own default site: the objects that were only on the
# original's are not there, and the error says exactly what to copy where
my $lid = $node->safe_psql('copy', 'SELECT id FROM onlocal ORDER BY id LIMIT 1');
my ($rc, $out, $err) = $node->psql('copy', "SELECT wos_get('$lid')");
my $olddir = $node->data_dir . '/' . $node->safe_psql('postgres', 'SELECT location FROM eoswath.sites WHERE site_id = 1');
my $newdir = $node->data_dir . '/' . $node->safe_psql('copy', 'SELECT location FROM eoswath.sites WHERE site_id = 1');
isnt($olddir, $newdir, 'the copy\'s default site is a directory of its own');
like($err, qr/HINT:  This catalog came from database "postgres" \(system identifier \d+\), whose default site was "\Q$olddir\E"\. Copy what that directory holds, except its marker file \.eoswath-site, into "\Q$newdir\E"/,
	'a copy missing from the restored default site: the hint names the original\'s directory and the new one');
# following the hint makes them readable, and the copy owns them
copy_site_contents($olddir, $newdir);
is($localsums->('copy'), $localbefore, 'after copying the directory the copy reads those objects');
is($node->safe_psql('copy', "SELECT count(*) FROM wos_verify() WHERE site = 'local'"), '0', 'and they verify');
is($localsums->('postgres'), $localbefore, 'the original still reads its own');

($rc, $out, $err) = $node->psql('copy', "SELECT wos_put('written by the copy', '{}', 'both')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/55000: cannot write copies to site "s\d": it is not this database's/,
	'the copy cannot write into the original\'s sites (55000)');
like($err, qr/HINT:  .*wos_site_adopt\('s\d'\)/, '... and is told about wos_site_adopt');
($rc, $out, $err) = $node->psql('copy', "SELECT wos_delete(id) FROM kept LIMIT 1");
like($err, qr/cannot delete copies from site "s\d": it is not this database's/,
	'nor delete the original\'s objects');
($rc, $out, $err) = $node->psql('copy', 'SELECT count(*) FROM wos_sweep()');
is($out, '0', 'its sweep removes nothing');
like($err, qr/skipping site "s1": owned by another instance/, '... and says why it skips the sites');
like($node->safe_psql('copy', "SELECT owner || '|' || available || '|' || why FROM wos_sites WHERE name = 's1'"),
	qr/^system identifier \d+, database \d+\|false\|owned by another instance.*wos_site_adopt/,
	'wos_sites in the copy: owner, not available, why');
is($sums->('postgres'), $before, 'the original reads the same bytes');
my %files_after = map { $_ => sha256_file($_) } copy_files($node);
is_deeply(\%files_after, \%files_before, 'not one file on the sites changed');

($rc, $out, $err) = $node->psql('copy', "SELECT wos_site_adopt('s1')");
like($err, qr/its owner, database "postgres" of this cluster, still exists/,
	'adopting is refused while the owner still exists in this cluster');
my $id_in_orig = $node->safe_psql('postgres', "SELECT wos_put('the original goes on', '{}', 'both')");
ok($id_in_orig, 'the original still writes');

# the original goes away (say the copy replaces it): the copy adopts
$node->safe_psql('postgres', 'CREATE DATABASE spare');
$node->safe_psql('spare', 'DROP DATABASE postgres');
$node->safe_psql('copy', "SELECT wos_site_adopt('s1'); SELECT wos_site_adopt('s2')");
is($node->safe_psql('copy', "SELECT owner FROM wos_sites WHERE name = 's1'"), 'this database', 'adopted');
my $new = $node->safe_psql('copy', "SELECT wos_put('written by the new owner', '{}', 'both')");
ok($new gt $id_in_orig, "ids continue above every id on the sites ($new > $id_in_orig)");
is($node->safe_psql('copy', 'SELECT count(*) FROM wos_verify()'), '0', 'the adopted sites verify clean');
is($node->safe_psql('copy', 'SELECT count(*) FROM wos_sweep(dry_run => true)'), '2',
	'the sweep of the new owner finds the two copies of the object the original wrote after the dump (no row here)');

# ---- DROP EXTENSION ----
($rc, $out, $err) = $node->psql('copy', 'DROP EXTENSION eoswath CASCADE');
like($err, qr/cannot drop the eoswath object catalog while it lists \d+ objects/,
	'DROP EXTENSION is refused while objects exist');
like($err, qr/"s1" \(\Q$site1\E\)/, '... naming the sites that hold their bytes');
ok($node->safe_psql('copy', "SELECT count(*) > 0 FROM wos_objects"), 'the catalog is still there');
($rc, $out, $err) = $node->psql('copy',
	'SET eoswath.allow_drop_with_objects = on; DROP TABLE kept; DROP EXTENSION eoswath CASCADE');
is($rc, 0, 'a superuser may drop it with eoswath.allow_drop_with_objects');
like($err, qr/WARNING:  dropping the eoswath catalog of \d+ objects; their bytes stay on the sites/,
	'... with a warning');
like($err, qr/Sites left with bytes: .*"s1" \(\Q$site1\E\)/, '... naming the sites');

$node->safe_psql('copy', 'CREATE EXTENSION eoswath');
($rc, $out, $err) = $node->psql('copy', "SELECT wos_site_add('old1', '$site1')");
like($err, qr/is already the directory of a site|is not empty/, 'a new install cannot add the old site as a new one');
($rc, $out, $err) = $node->psql('copy', "SELECT wos_site_add('old1', '$site1', 'dir', '{\"adopt\": true}')");
is($rc, 0, 'it adopts it explicitly');
like($err, qr/site "old1" adopted; new object ids continue above (\w+)/, '... and ids continue above the old ones');
my $after_recreate = $node->safe_psql('copy', "SELECT wos_put('first object of the new archive', '{}', 'default')");
ok($after_recreate gt $new, "no id handed out twice for the same sites ($after_recreate > $new)");

# ---- verify: missing or unreachable ----
$node->safe_psql('copy', "SELECT wos_site_add('s3', '${\ $node->basedir}/site3')");
$node->safe_psql('copy', "SELECT wos_site_add('s4', '${\ $node->basedir}/site4')");
$node->safe_psql('copy', "SELECT wos_policy_add('two', 2, ARRAY['s3', 's4'])");
my $v = $node->safe_psql('copy', "SELECT wos_put('verified', '{}', 'two')");
my ($f3) = grep { m{/site3/} } object_files($node, $v, 'copy');
unlink $f3 or die;
is($node->safe_psql('copy', "SELECT status FROM wos_verify('$v', false) WHERE site = 's3'"), 'missing',
	'a copy gone from a mounted site is missing');
rename($node->basedir . '/site4/.eoswath-site', $node->basedir . '/site4.marker') or die;
is($node->safe_psql('copy', "SELECT status FROM wos_verify('$v', false) WHERE site = 's4'"), 'ok',
	'an unmounted site... (its copy file is still readable here)');
my ($f4) = grep { m{/site4/} } object_files($node, $v, 'copy');
unlink $f4 or die;
is($node->safe_psql('copy', "SELECT status FROM wos_verify('$v', false) WHERE site = 's4'"), 'unreachable',
	'a copy not found on a site whose marker is gone is unreachable, not missing');

# ---- unknown site names ----
($rc, $out, $err) = $node->psql('copy', "SELECT wos_policy_add('bad', 1, ARRAY['nosuchsite'])",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/42704: policy "bad" names sites that do not exist: "nosuchsite"/, 'wos_policy_add: unknown site');
($rc, $out, $err) = $node->psql('copy', "SELECT wos_site_enable('nosuchsite', false)",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/42704: site "nosuchsite" does not exist/, 'wos_site_enable: unknown site');

# ---- a 0.1.0 marker is claimed by the first writer ----
$node->safe_psql('copy', "SELECT wos_site_add('s5', '${\ $node->basedir}/site5')");
open(my $fh, '>', $node->basedir . '/site5/.eoswath-site') or die;
print $fh "eoswath site \"s5\"\n";
close $fh;
is($node->safe_psql('copy', "SELECT owner FROM wos_sites WHERE name = 's5'"),
	'unclaimed (a marker of eoswath 0.1.0)', 'a 0.1.0 marker is unclaimed');
$node->safe_psql('copy', "SELECT wos_policy_add('on5', 1, ARRAY['s5']); SELECT wos_put('claims s5', '{}', 'on5')");
like(slurp_file($node->basedir . '/site5/.eoswath-site'), qr/^archive /m, 'the first put claims it');

$node->stop;
done_testing();

# what a DBA does with cp -a: every file below $from except the marker, to
# the same relative place below $to
sub copy_site_contents
{
	my ($from, $to) = @_;
	File::Find::find(
		{
			no_chdir => 1,
			wanted => sub {
				my $rel = File::Spec->abs2rel($File::Find::name, $from);
				return if $rel eq '.' || $rel eq '.eoswath-site';
				if (-d $File::Find::name) { File::Path::make_path("$to/$rel"); }
				else { File::Copy::copy($File::Find::name, "$to/$rel") or die "copy $rel: $!"; }
			}
		},
		$from);
}
