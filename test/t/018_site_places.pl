# Where a directory site may not be: inside or above the data directory
# (pg_replslot: the server would not start again), the WAL directory, a
# tablespace, or another site, whatever symlinks and ".." lead there.  An
# eoswath_admin who is not a superuser tries each, gets 22023 with a DETAIL
# naming the place and a HINT, nothing is created, and the server restarts.
use strict;
use warnings;
use Cwd 'realpath';
use File::Path 'make_path';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('places');
my $base = $node->basedir;
my $wal = "$base/wal";
$node->init(extra => [ '--waldir', $wal ]);
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION eoswath CASCADE;
	CREATE ROLE siteadm LOGIN;
	GRANT eoswath_admin TO siteadm;
});
my $pgdata = realpath($node->data_dir);
$wal = realpath($wal);

make_path("$base/tsp/ts");
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$base/tsp/ts'");
my $ts = realpath("$base/tsp/ts");

# wos_site_add as siteadm: (sqlstate, message, detail, hint) or () if it worked
sub add_site
{
	my ($name, $location) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT wos_site_add('$name', '$location')",
		extra_params => [ '-U', 'siteadm', '-v', 'VERBOSITY=verbose' ]);
	return () if $ret == 0;
	my ($state, $msg) = $err =~ /ERROR:\s+(\w{5}): (.*)/;
	my ($detail) = $err =~ /DETAIL:\s+(.*)/;
	my ($hint) = $err =~ /HINT:\s+(.*)/;
	return ($state // '', $msg // $err, $detail // '', $hint // '');
}

sub refused
{
	my ($what, $location, $msg_re, $detail_re) = @_;
	my ($state, $msg, $detail, $hint) = add_site('x' . int(rand(1e9)), $location);
	is($state, '22023', "$what: refused with 22023");
	like($msg, $msg_re, "$what: message") or diag "message: $msg";
	like($detail, $detail_re, "$what: detail names the place") or diag "detail: $detail";
	like($hint, qr/outside the data directory, the WAL directory and every tablespace/, "$what: hint");
}

# the data directory and what is in it
refused('pg_replslot', "$pgdata/pg_replslot/evil", qr/is inside the data directory/,
	qr/^"\Q$pgdata\E" is the data directory; its files belong to PostgreSQL/);
ok(!-e "$pgdata/pg_replslot/evil", 'pg_replslot/evil was not created');
refused('the data directory', $pgdata, qr/is the data directory/, qr/\Q$pgdata\E/);
refused('base/, new', "$pgdata/base/eoswath", qr/is inside the data directory/, qr/\Q$pgdata\E/);
refused('"..", back into the data directory', "$base/nowhere/../" . ($pgdata =~ s{.*/}{}r) . "/global/x",
	qr/is inside the data directory/, qr/It resolves to "\Q$pgdata\E\/global\/x"/);
refused('above the data directory', $base, qr/contains the data directory/, qr/\Q$pgdata\E/);

# symlinks to such places, resolved with realpath
symlink("$pgdata/pg_replslot", "$base/to_replslot") or die;
refused('a symlink to pg_replslot (empty)', "$base/to_replslot", qr/is inside the data directory/,
	qr/It resolves to "\Q$pgdata\E\/pg_replslot"/);
symlink($pgdata, "$base/to_data") or die;
refused('a new directory under a symlink to the data directory', "$base/to_data/pg_tblspc/x/y",
	qr/is inside the data directory/, qr/It resolves to "\Q$pgdata\E\/pg_tblspc\/x\/y"/);
ok(!-e "$pgdata/pg_tblspc/x", 'nothing was created through the symlink');
symlink("$base/does/not/exist", "$base/dangling") or die;
my ($state, $msg, $detail, $hint) = add_site('dangling', "$base/dangling/x");
is($state, '22023', 'a dangling symlink: 22023');
like($msg, qr/cannot be resolved/, 'a dangling symlink: message');

# the WAL directory (initdb --waldir) and a tablespace
refused('the WAL directory', "$wal/archive_status/x", qr/is inside the WAL directory/, qr/\Q$wal\E/);
refused('a tablespace', "$ts/x", qr/is inside tablespace "ts"/, qr/"\Q$ts\E" is tablespace "ts"/);
refused('above a tablespace', "$base/tsp", qr/contains tablespace "ts"/, qr/\Q$ts\E/);
symlink($ts, "$base/to_ts") or die;
refused('a symlink into a tablespace', "$base/to_ts/sub", qr/is inside tablespace "ts"/,
	qr/It resolves to "\Q$ts\E\/sub"/);

# other sites
is_deeply([ add_site('s1', "$base/sites/s1") ], [], 'a new directory beside the data directory is a site');
refused('inside another site', "$base/sites/s1/00/ab", qr/is inside another site's directory/,
	qr/"\Q$base\E\/sites\/s1" is the directory of an eoswath site/);
symlink("$base/sites/s1", "$base/to_s1") or die;
refused('a symlink into another site', "$base/to_s1/x", qr/is inside another site's directory/,
	qr/It resolves to "\Q$base\E\/sites\/s1\/x"/);
refused('above another site', "$base/sites", qr/contains another site's directory/,
	qr/"\Q$base\E\/sites\/s1" is the directory of an eoswath site/);
refused('another site itself', "$base/sites/s1", qr/is already the directory of a site/, qr/marker file/);

# the default site lives in the data directory by design; nobody may add
# another site there, nor take the default site's own directory
my $default = $node->safe_psql('postgres', "SELECT location FROM wos_sites WHERE name = 'local'");
like($default, qr{^eoswath/db\d+-ext\d+$}, 'the default site is in the data directory (recorded relative to it)');
$default = "$pgdata/$default";
refused('the default site', $default, qr/is already the directory of a site/, qr/marker file/);
refused('beside the default site', "$pgdata/eoswath/db1-ext1", qr/is inside the data directory/, qr/\Q$pgdata\E/);
$node->safe_psql('postgres', 'DROP EXTENSION eoswath; CREATE EXTENSION eoswath');
like($node->safe_psql('postgres', "SELECT location FROM wos_sites WHERE name = 'local'"),
	qr{^eoswath/db\d+-ext\d+$}, 'CREATE EXTENSION again makes a new default site');
$node->safe_psql('postgres', 'GRANT eoswath_admin TO siteadm');

# what is allowed still is: a symlink to a new place, a fresh directory
make_path("$base/disk2");
symlink("$base/disk2", "$base/to_disk2") or die;
is_deeply([ add_site('s2', "$base/to_disk2/eoswath") ], [], 'a site through a symlink to a new place');
ok(-e "$base/disk2/eoswath/.eoswath-site", 'its marker is where the symlink leads');

# the server starts again, and the store works
$node->restart;
$node->safe_psql('postgres', "SELECT wos_policy_add('two', 2, ARRAY['s2', 'local'])");
my $id = $node->safe_psql('postgres', q{SELECT wos_put('\x0102'::bytea, '{}', 'two')});
is($node->safe_psql('postgres', "SELECT length(wos_get('$id')) || ' ' || copies_present FROM wos_stat('$id')"),
	'2 2', 'after a restart the server runs and both sites hold a copy');

$node->stop;
done_testing();
