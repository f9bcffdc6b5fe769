# Two sessions racing to putoid the same reserved id: exactly one wins.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $node = eoswath_node('race', sites => 1);

for my $loser_outcome ('COMMIT', 'ROLLBACK')
{
	my $id = $node->safe_psql('postgres', "SELECT wos_reserve('replicate')");
	my $a = $node->background_psql('postgres');
	my $b = $node->background_psql('postgres', on_error_stop => 0);
	$a->query_safe('BEGIN');
	$a->query_safe("SELECT wos_putoid('$id', 'from a')");

	# b blocks on a's row lock
	$b->query_until(qr/started/, "\\echo started\nSELECT wos_putoid('$id', 'from b');\n\\echo done\n");
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%wos_putoid%'")
	  or die 'b did not block';

	$a->query_safe($loser_outcome);
	my $res = $b->query_until(qr/done/, '');
	$b->quit;
	$a->quit;
	my $stderr = $b->{stderr};

	if ($loser_outcome eq 'COMMIT')
	{
		like($stderr, qr/object $id already holds data/, 'second putoid refused after the first commits');
		is($node->safe_psql('postgres', "SELECT encode(wos_get('$id'), 'escape')"), 'from a', 'first writer won');
	}
	else
	{
		unlike($stderr // '', qr/ERROR/, 'second putoid succeeds after the first rolls back');
		is($node->safe_psql('postgres', "SELECT encode(wos_get('$id'), 'escape')"), 'from b', 'second writer won');
	}
	is($node->safe_psql('postgres', "SELECT count(*) FROM wos_verify('$id') WHERE status = 'ok'"),
		'2', 'both copies of the winner intact');
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_sweep()'), '0', 'no stray copies');
$node->stop;
done_testing();
