# The eoswath command-line client: round trips, gzip interoperability with
# gzip(1), stat/rm, and the exit codes scripts rely on.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $node = eoswath_node('cli');
my $connstr = $node->connstr('postgres');
my $tmp = PostgreSQL::Test::Utils::tempdir;

# run the client; returns (exit code, stdout, stderr)
sub cli
{
	my @args = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'eoswath', @args ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# a file of 5 MiB + 7 bytes: several blocks and a short last one
my $n = 5 * 1024 * 1024 + 7;
system("head -c $n /dev/urandom > '$tmp/in'") == 0 or die;
my $sum = sha256_file("$tmp/in");

my ($rc, $out, $err) = cli('put', "$tmp/in", '-d', $connstr, '--meta', 'mission=Jason-1',
	'--meta', 'note=a "quoted" = value', '--block-size', '1000000');
is($rc, 0, 'put exits 0') or diag($err);
chomp(my $id = $out);
like($id, qr/^[0-9A-Z]{13}$/, 'put prints the id only');
is($err, '', 'no progress output when stderr is not a terminal');

($rc, $out, $err) = cli('stat', $id, '-d', $connstr);
is($rc, 0, 'stat exits 0');
like($out, qr/^size: $n$/m, 'stat: size');
like($out, qr/^sha256: $sum$/m, 'stat: checksum equals the source');
like($out, qr/^encoding: identity$/m, 'stat: encoding');
like($out, qr/^meta: \{"note": "a \\"quoted\\" = value", "mission": "Jason-1"\}$/m, 'stat: metadata');

($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', "$tmp/out");
is($rc, 0, 'get -o exits 0') or diag($err);
is(sha256_file("$tmp/out"), $sum, 'get -o: same bytes');
ok(!-e "$tmp/out.eoswath-part", 'no partial file left');
($rc, $out, $err) = cli('get', $id, '-d', $connstr, '--chunk-size', '65536');
is($rc, 0, 'get to stdout exits 0');
is(length($out), $n, 'get to stdout: every byte');

# gzip: --gzip stores gzip that gzip(1) reads; --decompress reads what gzip(1) wrote
($rc, $out, $err) = cli('put', "$tmp/in", '--gzip', '-d', $connstr);
chomp(my $gz = $out);
($rc, $out, $err) = cli('stat', $gz, '-d', $connstr);
like($out, qr/^encoding: gzip$/m, '--gzip records encoding gzip');
cli('get', $gz, '-d', $connstr, '-o', "$tmp/out.gz");
is(system("gzip -t '$tmp/out.gz'"), 0, 'stored gzip passes gzip -t');
is(`gzip -dc '$tmp/out.gz' | sha256sum | cut -d' ' -f1`, "$sum\n", 'gzip -d restores the source');
($rc, $out, $err) = cli('get', $gz, '-d', $connstr, '--decompress', '-o', "$tmp/out2");
is($rc, 0, 'get --decompress exits 0');
is(sha256_file("$tmp/out2"), $sum, 'get --decompress restores the source');

system("printf 'first\\n' | gzip > '$tmp/multi.gz' && printf 'second\\n' | gzip >> '$tmp/multi.gz'") == 0
  or die;
($rc, $out, $err) = cli('put', "$tmp/multi.gz", '-d', $connstr);
chomp(my $multi = $out);
($rc, $out, $err) = cli('get', $multi, '-d', $connstr, '--decompress');
is($out, "first\nsecond\n", 'multi-member gzip made by gzip(1) inflates whole');
system("head -c 1000 '$tmp/out.gz' > '$tmp/trunc.gz'");
($rc, $out, $err) = cli('put', "$tmp/trunc.gz", '-d', $connstr);
chomp(my $trunc = $out);
($rc, $out, $err) = cli('get', $trunc, '-d', $connstr, '--decompress', '-o', "$tmp/trunc.out");
is($rc, 4, 'truncated gzip: exit 4');
like($err, qr/is truncated/, 'truncated gzip: says so');
ok(!-e "$tmp/trunc.out" && !-e "$tmp/trunc.out.eoswath-part", 'truncated gzip: no output file');
($rc, $out, $err) = cli('get', $id, '-d', $connstr, '--decompress', '-o', "$tmp/notgz");
is($rc, 4, 'not gzip: exit 4');
like($err, qr/is not gzip data/, 'not gzip: says so');

# from standard input, with a policy
($rc, $out, $err) = cli('put', '-', '--policy', 'default', '-d', $connstr);
is($rc, 4, 'empty standard input: server refuses an empty object (exit 4)');
like($err, qr/cannot store an empty object/, '... with the server\'s message');

# exit codes
($rc, $out, $err) = cli();
is($rc, 1, 'no command: exit 1');
($rc, $out, $err) = cli('frobnicate');
is($rc, 1, 'unknown command: exit 1');
($rc, $out, $err) = cli('get', '--nosuchoption', $id);
is($rc, 1, 'unknown option: exit 1');
($rc, $out, $err) = cli('put');
is($rc, 1, 'missing argument: exit 1');
for my $cmd ('put', 'get', 'stat', 'rm')
{
	($rc, $out, $err) = cli($cmd, '--help');
	ok($rc == 0 && $out =~ /^Usage: eoswath $cmd /, "$cmd --help: exit 0 and usage");
}
($rc, $out, $err) = cli('--help');
ok($rc == 0 && $out =~ /Exit codes:/, '--help documents the exit codes');
($rc, $out, $err) = cli('get', 'not-an-id', '-d', $connstr);
is($rc, 1, 'malformed id: exit 1');
like($err, qr/invalid input syntax for type wosoid/, 'malformed id: says so');
($rc, $out, $err) = cli('get', '00000000ZZZZZ', '-d', $connstr, '-o', "$tmp/none");
is($rc, 3, 'unknown id: exit 3');
like($err, qr/object 00000000ZZZZZ does not exist/, 'unknown id: says so');
ok(!-e "$tmp/none", 'unknown id: no output file');
($rc, $out, $err) = cli('stat', '00000000ZZZZZ', '-d', $connstr);
is($rc, 3, 'stat of an unknown id: exit 3');
($rc, $out, $err) = cli('put', "$tmp/in", '--policy', 'nosuchpolicy', '-d', $connstr);
is($rc, 4, 'server error (unknown policy): exit 4');
($rc, $out, $err) = cli('put', "$tmp/nosuchfile", '-d', $connstr);
is($rc, 5, 'unreadable input file: exit 5');
($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', "$tmp/out");
is($rc, 5, 'existing output file: exit 5');
($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', "$tmp/out", '--force');
is($rc, 0, '--force replaces it');
($rc, $out, $err) = cli('stat', $id, '-d', "host=$tmp/nosocket port=1");
is($rc, 2, 'no server: exit 2');

# libpq environment instead of -d
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGDATABASE} = 'postgres';
	($rc, $out, $err) = cli('stat', $id);
	is($rc, 0, 'connection from PGHOST/PGPORT/PGDATABASE');
}

# rm: gone afterwards
($rc, $out, $err) = cli('rm', $id, '-d', $connstr);
is($rc, 0, 'rm exits 0');
($rc, $out, $err) = cli('get', $id, '-d', $connstr);
is($rc, 3, 'get after rm: exit 3');
($rc, $out, $err) = cli('rm', $id, '-d', $connstr);
is($rc, 3, 'rm twice: exit 3');

# a failed put leaves nothing behind
is($node->safe_psql('postgres', "SELECT count(*) FROM wos_objects"), '3',
	'only the three stored objects remain (gzip, multi-member, truncated)');

$node->stop;
done_testing();
