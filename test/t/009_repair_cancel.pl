# A query cancel or statement_timeout during a repair stops the statement
# (57014): the repair's subtransaction must not turn it into a WARNING and
# let the read go on.  The repair's partial copy is removed, and a later
# read repairs the copy.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use IPC::Run;
use EoswathTest;

my $node = eoswath_node('repair_cancel', sites => 2);
$node->safe_psql('postgres', "SELECT wos_policy_add('two', 2, ARRAY['s1', 's2'])");
my $connstr = $node->connstr('postgres');

# a 768 MiB object (a sparse file: quick to read, real bytes on the sites)
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $src = "$tmp/big";
open(my $fh, '>', $src) or die;
truncate($fh, 768 * 1024 * 1024) or die;
print $fh 'x';
close $fh;
my $id = $node->safe_psql('postgres', "SELECT wos_put_file('$src', 'two')");
my $sum = $node->safe_psql('postgres', "SELECT sha256 FROM wos_stat('$id')");
my @files = object_files($node, $id);
is(scalar(@files), 2, 'two copies');

# wos_verify(id) checks both copies, then rewrites the missing one from the
# other: cancel it while the repair's temporary copy is being written
# (the timeout case times out half a second after the cancel case saw the
# repair begin)
my $until_repair;

sub cancel_during_repair
{
	my ($missing, $how) = @_;
	unlink $missing if -e $missing;
	my ($in, $out, $err) = ('', '', '');
	my $sql = $how eq 'timeout'
	  ? sprintf("SET statement_timeout = '%dms'; SELECT * FROM wos_verify('$id')",
		1000 * $until_repair + 500)
	  : "SELECT * FROM wos_verify('$id')";
	my $start = time;
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-v', 'VERBOSITY=verbose', '-d', $connstr, '-c', $sql ],
		'<', \$in, '>', \$out, '2>', \$err);
	my $seen = 0;
	my $deadline = time + 120;
	while (time < $deadline && $h->pumpable)
	{
		if (grep { /\.tmp\d+$/ } glob("$missing.tmp*"))
		{
			$seen = 1;
			last;
		}
		usleep(2000);
	}
	my $t0 = time;
	$until_repair //= $t0 - $start;
	if ($how eq 'cancel' && $seen)
	{
		$node->safe_psql('postgres',
			"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%wos_verify(''$id'')%' AND pid <> pg_backend_pid()");
	}
	$h->finish;
	my $secs = time - $t0;
	ok($seen, "$how: the repair began writing the missing copy");
	like($err, qr/ERROR:  57014: canceling statement due to (user request|statement timeout)/,
		"$how: the statement is cancelled (57014), not finished with a WARNING");
	unlike($err, qr/could not repair/, "$how: no repair WARNING");
	unlike($out, qr/repair/, "$how: no report rows");
	cmp_ok($secs, '<', 5, "$how: returns in ${\ sprintf('%.2f', $secs)} s");
	# (on a loaded machine the timeout may come just after the repair's
	# rename: then the copy is whole, which is just as right)
	ok(!-e $missing || sha256_file($missing) eq $sum, "$how: no partial copy under the object's name");
	is(scalar(grep { /\.tmp\d+$/ } copy_files($node)), 0, "$how: the repair's temporary copy is removed");
}

cancel_during_repair($files[1], 'cancel');
cancel_during_repair($files[1], 'timeout');

# the session and the object are fine: an uncancelled verify repairs
my $still_missing = !-e $files[1];
is($node->safe_psql('postgres',
	"SELECT string_agg(status || ':' || action, ',' ORDER BY site) FROM wos_verify('$id') WHERE status <> 'ok'"),
	$still_missing ? 'missing:repaired' : '', 'a later verify repairs the copy if it is still missing');
is(sha256_file($_), $sum, "copy $_ intact") for @files;

$node->stop;
done_testing();
