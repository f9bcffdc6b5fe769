# The life of sites and policies, online: drain a site under concurrent puts
# and gets, drop it, add one and rebalance, relocate a site whose disk moved,
# alter a policy and re-replicate; every object byte-identical throughout.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use EoswathTest;

my $node = eoswath_node('lifecycle', sites => 3);
my $db = 'postgres';
$node->safe_psql($db, q{
	SELECT wos_policy_add('p2', 2, ARRAY['s1', 's2', 's3', 's4']::text[]) FROM (SELECT wos_site_add('s4', current_setting('data_directory') || '/../site4')) s;
});
$node->safe_psql($db, "SELECT wos_site_enable('s4', false)");
$node->safe_psql($db, q{
	CREATE TABLE ledger (id wosoid PRIMARY KEY, sum text);
	INSERT INTO ledger
		SELECT id, encode(sha256(wos_get(id)), 'hex') FROM (
			SELECT wos_put(decode(repeat(md5(g::text), 1 + (g * 997) % 6000), 'hex'), '{}', 'p2') AS id
			  FROM generate_series(1, 60) g) s;
});

sub ledger_ok
{
	return $node->safe_psql($db,
		"SELECT count(*) FROM ledger WHERE encode(sha256(wos_get(id)), 'hex') <> sum");
}
sub copies_per_object
{
	return $node->safe_psql($db,
		"SELECT string_agg(DISTINCT cardinality(sites)::text, ',') FROM wos_objects WHERE policy = 'p2'");
}

# a concurrent writer and reader: puts into the ledger, gets of random objects
my $load_sql = q{
DO $$
DECLARE id wosoid; s text;
BEGIN
	FOR i IN 1..150 LOOP
		id := wos_put(decode(repeat(md5(i::text || 'load'), 1 + i * 37 % 3000), 'hex'), '{}', 'p2');
		INSERT INTO ledger VALUES (id, encode(sha256(wos_get(id)), 'hex'));
		SELECT l.id, l.sum INTO id, s FROM ledger l ORDER BY random() LIMIT 1;
		IF encode(sha256(wos_get(id)), 'hex') <> s THEN
			RAISE EXCEPTION 'object % read wrong bytes', id;
		END IF;
		COMMIT;
	END LOOP;
END $$;
};
my ($in, $out, $err) = ('', '', '');
my $load = IPC::Run::start([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($db), '-c', $load_sql ],
	'<', \$in, '>', \$out, '2>', \$err);

# ---- drain ----
my ($rc, $dout, $derr) = $node->psql($db, "CALL wos_site_drain('s1')");
is($rc, 0, 'wos_site_drain runs while others put and get') or diag($derr);
like($derr, qr/wos_site_drain: \d+ objects moved off site "s1"/, 'it reports what it moved');
$load->finish;
is($?, 0, 'the concurrent puts and gets all succeeded') or diag($err);
# what the load put while the drain ran may have gone to s1 before it was disabled: drain again
$node->safe_psql($db, "CALL wos_site_drain('s1')");
is($node->safe_psql($db, "SELECT copies FROM wos_sites WHERE name = 's1'"), '0', 's1 holds no copy');
is(scalar(grep { m{/site1/} } copy_files($node)), 0, 'and no file');
is(ledger_ok(), '0', 'every object reads back its bytes');
is(copies_per_object(), '2', 'every object still has its two copies');
is($node->safe_psql($db, 'SELECT count(*) FROM wos_verify()'), '0', 'verify finds all copies intact');
ok($node->safe_psql($db, 'SELECT count(*) FROM ledger') > 60, 'the ledger grew during the drain');

($rc, $dout, $derr) = $node->psql($db, "SELECT wos_site_drop('s2')");
like($derr, qr/site "s2" still holds \d+ copies.*\n.*HINT:  Move them to other sites first: CALL wos_site_drain\('s2'\)/,
	'a site with copies cannot be dropped');
($rc, $dout, $derr) = $node->psql($db, "SELECT wos_site_drop('s1')");
like($derr, qr/site "s1" is named by policies "p2"/, 'nor one a policy names');
$node->safe_psql($db, "CALL wos_policy_alter('p2', 2, ARRAY['s2', 's3', 's4'])");
$node->safe_psql($db, "SELECT wos_site_drop('s1')");
is($node->safe_psql($db, "SELECT count(*) FROM wos_sites WHERE name = 's1'"), '0', 'the drained site is dropped');

# ---- a new site and a rebalance ----
$node->safe_psql($db, "SELECT wos_site_enable('s4', true)");
($rc, $dout, $derr) = $node->psql($db, 'CALL wos_rebalance(max_rate => 200)');
like($derr, qr/wos_rebalance: \d+ objects looked at, (\d+) moved/, 'wos_rebalance reports');
my ($moved) = $derr =~ /looked at, (\d+) moved/;
ok($moved > 0, "copies moved to the new site ($moved objects)");
ok($node->safe_psql($db, "SELECT copies FROM wos_sites WHERE name = 's4'") > 0, 's4 holds copies now');
($rc, $dout, $derr) = $node->psql($db, 'CALL wos_rebalance()');
like($derr, qr/looked at, 0 moved/, 'a second rebalance moves nothing');
is(ledger_ok(), '0', 'every object reads back its bytes after the rebalance');
is($node->safe_psql($db, 'SELECT count(*) FROM wos_verify()'), '0', 'and verifies');
is($node->safe_psql($db, 'SELECT count(*) FROM wos_sweep()'), '0', 'nothing is left behind for the sweep');

# ---- relocate: the disk of s3 is mounted elsewhere ----
my $s3 = $node->safe_psql($db, "SELECT location FROM eoswath.sites WHERE name = 's3'");
rename($s3, "$s3.moved") or die "rename: $!";
like($node->safe_psql($db, "SELECT why FROM wos_sites WHERE name = 's3'"), qr/marker file .* is missing/,
	'wos_sites says why s3 is not available');
is(ledger_ok(), '0', 'reads go on from the other copies');
($rc, $dout, $derr) = $node->psql($db, "SELECT wos_site_relocate('s3', '${\ $node->data_dir}/../site2')");
like($derr, qr/the site there is another one/, 'relocating onto another site\'s directory is refused');
$node->safe_psql($db, "SELECT wos_site_relocate('s3', '$s3.moved')");
is($node->safe_psql($db, "SELECT available FROM wos_sites WHERE name = 's3'"), 't', 's3 is back');
is($node->safe_psql($db, 'SELECT count(*) FROM wos_verify()'), '0', 'every copy there verifies');

# ---- alter a policy: three copies ----
$node->safe_psql($db, "CALL wos_policy_alter('p2', 3, ARRAY['s2', 's3', 's4'])");
is(copies_per_object(), '3', 'wos_policy_alter re-replicates to three copies');
is(ledger_ok(), '0', 'every object reads back its bytes');
($rc, $dout, $derr) = $node->psql($db, "SELECT wos_policy_drop('p2')");
like($derr, qr/replication policy "p2" is used by \d+ objects/, 'a used policy cannot be dropped');
$node->safe_psql($db, "SELECT wos_policy_add('unused', 1); SELECT wos_policy_drop('unused')");
is($node->safe_psql($db, "SELECT count(*) FROM eoswath.policies WHERE name = 'unused'"), '0', 'an unused one can');

$node->stop;
done_testing();
