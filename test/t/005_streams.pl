# Streams beyond 1 GB, bounded backend memory, cancel and statement_timeout
# mid-transfer, streams from other sessions, crash sweep of an open stream.
use strict;
use warnings;
use IPC::Run;
use Time::HiRes qw(time);
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

# fsync off keeps the 1.1 GiB part quick; the transfer paths are the same
my $node = eoswath_node('streams', conf => "fsync = off\n");
my $connstr = $node->connstr('postgres');
my $tmp = PostgreSQL::Test::Utils::tempdir;
my $size = 1181116006;    # 1.1 GiB

# generate the data on the fly: a pseudo-random stream, hashed as it passes
my $gen = "(openssl enc -aes-128-ctr -pass pass:eoswath -nosalt -pbkdf2 < /dev/zero 2>/dev/null; true)"
  . " | head -c $size";
my $ok = IPC::Run::run(
	[ 'bash', '-o', 'pipefail', '-c',
		"$gen | tee >(sha256sum > '$tmp/src.sum') | eoswath put - -q -d \"\$1\" --meta size=1.1GiB",
		'-', $connstr ],
	'>', \my $out, '2>', \my $err);
ok($ok, '1.1 GiB put through the CLI from a pipe') or diag($err);
chomp(my $id = $out);
like($id, qr/^[0-9A-Z]{13}$/, 'put printed an id');
sleep 1 until -s "$tmp/src.sum";
my ($src_sum) = split /\s+/, slurp_file("$tmp/src.sum");

is($node->safe_psql('postgres', "SELECT size || ' ' || sha256 FROM wos_stat('$id')"),
	"$size $src_sum", 'catalog size and SHA-256 equal the source');

# back through the CLI to a file, then compare
$ok = IPC::Run::run([ 'eoswath', 'get', $id, '-q', '-d', $connstr, '-o', "$tmp/big" ],
	'2>', \$err);
ok($ok, 'get to a file') or diag($err);
is(-s "$tmp/big", $size, 'file has every byte');
is(sha256_file("$tmp/big"), $src_sum, 'file checksum equals the source');

# whole-object bytea reads refuse; chunked reads stay within memory bounds
my ($rc, $stdout, $stderr) = $node->psql('postgres', "SELECT length(wos_get('$id'))");
like($stderr, qr/too large for a bytea/, 'wos_get refuses an object above 1 GB');
my $res = $node->safe_psql('postgres', qq{
	SELECT count(*) || ' ' || sum(length(c)) FROM (SELECT wos_stream_get('$id', 4194304)) t(c);
	SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\\s+(\\d+) kB');
});
my ($counts, $hwm_kb) = split /\n/, $res;
is($counts, int(($size + 4194303) / 4194304) . " $size", 'wos_stream_get returned every byte in 4 MiB chunks');
cmp_ok($hwm_kb, '<', 160 * 1024, "backend peak RSS after streaming 1.1 GiB: $hwm_kb kB");
is($node->safe_psql('postgres', qq{
	SELECT encode(sha256(string_agg(c, '')), 'hex') FROM
	  (SELECT wos_stream_get('$id', 1048576)) t(c) WHERE false}), '',
	'an unconsumed stream ends cleanly');

# statement_timeout in the middle of a long read: 57014 within about a second
sub timed_error
{
	my ($sql) = @_;
	my $t0 = time;
	my ($rc, $out, $err) = $node->psql('postgres', $sql, on_error_stop => 1,
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	return ($err, time - $t0);
}

my $files_before = join ',', copy_files($node);
my $objects_before = $node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects');

my ($e, $secs) = timed_error("SET statement_timeout = '1s';
	SELECT count(*) FROM (SELECT wos_stream_get('$id', 1)) t");
like($e, qr/57014.*statement timeout/s, 'timeout stops a long wos_stream_get with 57014');
cmp_ok($secs, '<', 3, "... within ${\ sprintf('%.2f', $secs)} s");

($e, $secs) = timed_error("SET statement_timeout = '1s';
	SELECT wos_put_file('$tmp/big', compress => true)");
like($e, qr/57014.*statement timeout/s, 'timeout stops wos_put_file (gzip) with 57014');
cmp_ok($secs, '<', 3, "... within ${\ sprintf('%.2f', $secs)} s");

($e, $secs) = timed_error("SET statement_timeout = '1s';
	SELECT wos_get_file('$id', '$tmp/copy', decompress => false)");
if ($e =~ /57014/)
{
	pass('timeout stops wos_get_file with 57014');
	cmp_ok($secs, '<', 3, "... within ${\ sprintf('%.2f', $secs)} s");
}
else
{
	# a fast disk may write 1.1 GiB within the second: then it must be whole
	is(-s "$tmp/copy", $size, 'wos_get_file finished within the timeout, whole');
	unlink "$tmp/copy";
}
ok(!-e "$tmp/copy", 'no target file after a cancelled wos_get_file');
my @partial = glob("$tmp/copy.eoswath-tmp*");
is(scalar(@partial), 0, 'no temporary file after a cancelled wos_get_file');

# a cancel from another session mid-transfer
my ($in, $cout, $cerr) = ('', '', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-v', 'VERBOSITY=verbose', '-d', $connstr, '-c',
		"SELECT wos_put_file('$tmp/big', compress => true)" ],
	'<', \$in, '>', \$cout, '2>', \$cerr);
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE 'SELECT wos_put_file%' AND state = 'active'")
  or die 'put never started';
sleep 1;
my $t0 = time;
$node->safe_psql('postgres',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT wos_put_file%'");
$h->finish;
$secs = time - $t0;
like($cerr, qr/57014.*canceling statement due to user request/s, 'pg_cancel_backend stops wos_put_file');
cmp_ok($secs, '<', 3, "... within ${\ sprintf('%.2f', $secs)} s");

is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects'), $objects_before,
	'no object left by the cancelled operations');
is(join(',', copy_files($node)), $files_before, 'no bytes left on the sites either');

# an error just after a write, while that write's last bytes are still
# being hashed on a hash thread: the abort waits for the thread before the
# put's memory goes (freed under the thread, the backend crashes: seen with
# the wait taken out).  With eoswath.site_direct_after = 0 the copy's
# writer thread has a 4 MiB block in flight as well.
for my $after (1024, 0)
{
	for my $i (1 .. 10)
	{
		($rc, $stdout, $stderr) = $node->psql('postgres', qq{
			SET eoswath.site_direct_after = $after;
			DO \$\$ DECLARE s int := wos_put_stream(); BEGIN
			  PERFORM wos_stream_write(s, decode(repeat('ab', 6 * 1048576), 'hex'));
			  RAISE EXCEPTION 'abort while hashing';
			END \$\$});
		last unless $stderr =~ /abort while hashing/ && $stderr !~ /terminated|connection/;
	}
	like($stderr, qr/ERROR:  abort while hashing/,
		"errors just after a write abort the put cleanly (site_direct_after $after)");
}
unlike(slurp_file($node->logfile), qr/was terminated by signal/,
	'no backend crashed on those aborts');
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects'), $objects_before,
	'no object left by the aborted puts');
is(join(',', copy_files($node)), $files_before, 'no bytes left by them either');

# a stream belongs to its session
my $bg = $node->background_psql('postgres');
$bg->query_safe('BEGIN');
my $s = $bg->query_safe('SELECT wos_put_stream()');
chomp $s;
$bg->query_safe("SELECT wos_stream_write($s, 'partial data of an open stream')");
($rc, $stdout, $stderr) = $node->psql('postgres', "SELECT wos_stream_write($s, 'intruder')");
like($stderr, qr/put stream $s does not exist in this session/, 'another session cannot use the stream');
is(scalar(grep { /\.tmp\d+$/ } copy_files($node)), 1, 'the open stream has a temporary copy');

# a crash with the stream open: nothing visible, the sweep removes the bytes
$node->stop('immediate');
$bg->{run}->kill_kill;    # the session is gone
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects'), $objects_before,
	'no object from the stream open at the crash');
is($node->safe_psql('postgres', "SELECT count(*) FROM wos_sweep()"), '1',
	'sweep removes the open stream\'s copy');
is(join(',', copy_files($node)), $files_before, 'sites back to the committed objects only');

$node->stop;
done_testing();
