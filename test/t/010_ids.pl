# Drawing an id never fails for an internal reason: 200,000 ids across many
# WAL page boundaries (rows of random sizes between them move the insert
# position around), in 200 transactions, with no error, all distinct.
# 0.1.0 flushed WAL to the insert position, which XLogFlush() refuses when it
# sits just after a page header ("xlog flush request ... is not satisfied").
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $node = eoswath_node('ids');
$node->safe_psql('postgres', 'CREATE TABLE filler (x text)');
my ($rc, $out, $err) = $node->psql('postgres', q{
DO $$
BEGIN
	FOR b IN 1..200 LOOP
		PERFORM wos_reserve() FROM generate_series(1, 1000);
		INSERT INTO filler
			SELECT repeat(md5(g::text), (random() * 200)::int)
			  FROM generate_series(1, (random() * 40)::int) g;
		COMMIT;
	END LOOP;
END
$$});
is($rc, 0, '200,000 ids drawn without an error');
is($err, '', 'no error message') or diag($err);
is($node->safe_psql('postgres',
	"SELECT count(*) || ' ' || count(DISTINCT oid) FROM eoswath.objects WHERE state = 'reserved'"),
	'200000 200000', 'every id recorded once');
like($node->safe_psql('postgres', "SELECT pg_size_pretty(pg_current_wal_lsn() - '0/0')"),
	qr/MB/, 'the WAL moved on by megabytes meanwhile');

$node->stop;
done_testing();
