# ALTER EXTENSION eoswath UPDATE from every earlier version: the updated
# extension equals a fresh install of the current version, object by object
# (test/extension_objects.sql), and what was stored before is still there.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename;
use EoswathTest;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "fsync = on\n");
$node->start;

my $repo = dirname(__FILE__) . '/../..';
my $objects_sql = slurp_file("$repo/test/extension_objects.sql");
my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'eoswath'");
my @old = split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'eoswath' AND version <> '$current' ORDER BY version");
ok(scalar(@old) >= 1, "earlier versions installed beside $current: @old");

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION eoswath CASCADE');
my $fresh = $node->safe_psql('fresh', $objects_sql);
like($fresh, qr/function wos_put\(bytea,jsonb,text\)/, 'the listing names the functions');

my $granule = ($ENV{EOSWATH_GRANULES} // "$repo/../shared/data/swaths")
  . '/ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc';

for my $v (@old)
{
	my $db = "from_$v";
	$db =~ s/\./_/g;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION eoswath VERSION '$v' CASCADE");
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'eoswath'"),
		$v, "installed $v");

	# objects of every kind, a catalogued granule, a region and its subset
	$node->safe_psql($db, qq{
		SELECT wos_site_add('s1', '${\ $node->data_dir}/../site_$db');
		CREATE TABLE kept AS
			SELECT wos_put(convert_to('small object ' || g, 'UTF8'), jsonb_build_object('n', g::text)) AS id
			  FROM generate_series(1, 5) g;
		INSERT INTO kept SELECT wos_put(decode(repeat('ab', 300000), 'hex'), '{}', 'replicate');
		INSERT INTO kept SELECT wos_reserve();
		SELECT wos_putoid(id, 'reserved then stored') FROM kept WHERE NOT wos_exists(id);
	});
	if (-f $granule)
	{
		$node->safe_psql($db, qq{
			INSERT INTO kept SELECT wos_put(pg_read_binary_file('$granule'));
			SELECT swath_register(max(id::text)::wosoid, 'ascat.nc', 'ASCAT') FROM kept;
		});
	}
	my $before = $node->safe_psql($db,
		"SELECT string_agg(id::text || ':' || encode(sha256(wos_get(id)), 'hex'), ',' ORDER BY id) FROM kept");

	$node->safe_psql($db, 'ALTER EXTENSION eoswath UPDATE');
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'eoswath'"),
		$current, "$v updated to $current");
	my $updated = $node->safe_psql($db, $objects_sql);
	is($updated, $fresh, "$v + update has exactly the objects of a fresh $current")
	  or diag(join("\n", grep { my $l = $_; index("\n$fresh\n", "\n$l\n") < 0 } split /\n/, $updated));
	is($node->safe_psql($db,
		"SELECT string_agg(id::text || ':' || encode(sha256(wos_get(id)), 'hex'), ',' ORDER BY id) FROM kept"),
		$before, "every object stored under $v reads back the same");
	is($node->safe_psql($db, 'SELECT count(*) FROM wos_verify()'), '0',
		"verify finds every copy intact after the update from $v");
	my $n = $node->safe_psql($db, 'SELECT count(*) FROM kept');
	my $id = $node->safe_psql($db, "SELECT wos_put('written after the update')");
	like($id, qr/^[0-9A-Z]{13}$/, 'puts work after the update');
	if (-f $granule)
	{
		is($node->safe_psql($db, 'SELECT count(*) FROM swaths WHERE shape IS NOT NULL'), '1',
			'the catalogued granule is still there');
	}
}

# An object catalogued twice under 0.1.0 (swath_register called twice): the
# update to a unique swaths.oid is refused, naming the object and its rows,
# and goes through once the extra row is deleted as the hint says.
if (-f $granule && grep { $_ eq '0.1.0' } @old)
{
	$node->safe_psql('postgres', 'CREATE DATABASE dups');
	$node->safe_psql('dups', "CREATE EXTENSION eoswath VERSION '0.1.0' CASCADE");
	my $oid = $node->safe_psql('dups', qq{
		SELECT wos_put(pg_read_binary_file('$granule')) AS id \\gset
		SELECT swath_register(:'id', 'ascat.nc', 'ASCAT');
		SELECT swath_register(:'id', 'ascat-again.nc', 'ASCAT');
		SELECT :'id';
	});
	$oid = (split /\n/, $oid)[-1];
	my ($rc, $out, $err) = $node->psql('dups', 'ALTER EXTENSION eoswath UPDATE');
	isnt($rc, 0, 'update refused while an object is catalogued twice');
	like($err, qr/objects are catalogued more than once in table "swaths"/, 'the error says why');
	like($err, qr/\Q$oid\E \(rows 1 2\)/, 'the detail names the object and its rows');
	like($err, qr/HINT:  Keep one row per object/, 'the hint says what to do');
	is($node->safe_psql('dups', "SELECT extversion FROM pg_extension WHERE extname = 'eoswath'"),
		'0.1.0', 'still 0.1.0');
	$node->safe_psql('dups',
		'DELETE FROM swaths s USING swaths t WHERE s.oid = t.oid AND s.id > t.id');
	$node->safe_psql('dups', 'ALTER EXTENSION eoswath UPDATE');
	is($node->safe_psql('dups', "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'eoswath') || ' ' || count(*) FROM swaths"),
		"$current 1", 'after the hint, the update goes through with one row');
}

$node->stop;
done_testing();
