# A replica deleted or bit-flipped: reads stay correct and the bad copy is
# repaired; wos_verify reports and repairs; unrecoverable objects are errors.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $node = eoswath_node('repair', sites => 2);
my $id = $node->safe_psql('postgres',
	"SELECT wos_put(decode(string_agg(md5(g::text), ''), 'hex'), '{}', 'copy3') FROM generate_series(1, 200000) g");
my $sum = $node->safe_psql('postgres', "SELECT sha256 FROM wos_stat('$id')");
# the copies in the order reads try them
my @files = copies_of($node, $id);
is(scalar(@files), 3, 'three copies');

sub read_sum
{
	return $node->safe_psql('postgres', "SELECT encode(sha256(wos_get('$id')), 'hex')");
}

# 1. a copy deleted, the first a read tries or a later one: the read is
# right and the copy comes back
for my $i (0, 2)
{
	unlink $files[$i] or die;
	is(read_sum(), $sum, "read correct with copy $i missing");
	ok(-e $files[$i], "missing copy $i restored by the read");
	is(sha256_file($files[$i]), $sum, "restored copy $i is intact");
}

# 2. one bit flipped in each of the two copies a read tries first: the read
# falls back to the third and repairs both
flip_byte($files[0], 1000);
flip_byte($files[1], 3199999);
isnt(sha256_file($files[0]), $sum, 'copy 1 corrupted');
is(read_sum(), $sum, 'read correct with two corrupt copies');
is(sha256_file($_), $sum, "corrupt copy $_ repaired by the read") for @files;

# 3. wos_verify finds and repairs without a read
flip_byte($files[2], 77);
unlink $files[1];
my $report = $node->safe_psql('postgres',
	"SELECT string_agg(status || ':' || action, ',' ORDER BY status) FROM wos_verify('$id') WHERE status <> 'ok'");
is($report, 'checksum mismatch:repaired,missing:repaired', 'verify reports and repairs both bad copies');
is(sha256_file($_), $sum, "verify repaired $_") for @files;
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_verify()'), '0',
	'verify over all objects finds nothing more');

# 4. verify without repair only reports
flip_byte($files[0], 5);
is($node->safe_psql('postgres',
	"SELECT action FROM wos_verify('$id', repair => false) WHERE status <> 'ok'"),
	'needs repair', 'verify(repair => false) reports only');
isnt(sha256_file($files[0]), $sum, 'and leaves the copy alone');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM wos_verify() WHERE action = 'repaired'"), '1',
	'verify over all objects repairs it');

# 5. a range read falls back to another copy when one is missing
unlink $files[0];
unlink $files[1];
is($node->safe_psql('postgres', "SELECT length(wos_get('$id', 100, 50))"), '50',
	'range read served by the remaining copy');
# it verified its block and repaired the copies it found missing
is(sha256_file($_), $sum, "range read restored $_") for @files[0, 1];
unlink $files[0];
unlink $files[1];

# 6. every copy bad: a clear error, never wrong data
flip_byte($files[2], 10);
my ($ret, $out, $err) = $node->psql('postgres', "SELECT wos_get('$id')");
like($err, qr/no intact copy of object $id is available/, 'all copies bad: clear error');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM wos_verify('$id') WHERE action = 'unrecoverable'"), '3',
	'verify calls it unrecoverable');

# 7. a site whose disk is not mounted (marker gone) is skipped for writes
my $site1 = $node->safe_psql('postgres', "SELECT location FROM eoswath.sites WHERE name = 's1'");
rename "$site1/.eoswath-site", "$site1/.moved" or die;
my $id2 = $node->safe_psql('postgres', "SELECT wos_put('avoid s1', '{}', 'replicate')");
is($node->safe_psql('postgres', "SELECT 's1' = ANY (sites) FROM wos_stat('$id2')"), 'f',
	'unavailable site not used');
($ret, $out, $err) = $node->psql('postgres', "SELECT wos_put('x', '{}', 'copy3')");
like($err, qr/needs 3 copies on distinct sites, but only 2 sites are available/, 'copy3 refused');
like($err, qr/Not available: "s1" \(marker file/, 'error names the missing site');
rename "$site1/.moved", "$site1/.eoswath-site" or die;
$node->stop;
done_testing();
