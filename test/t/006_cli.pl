# The eoswath command-line client: round trips, gzip interoperability with
# gzip(1), stat/rm, and the exit codes scripts rely on; psql's connection
# options and password handling, -V, help, a database without the extension;
# ingest (twice, a changed file), search (equal to swath_search in psql),
# subset (valid netCDF), ls, verify; the link on PATH made by make install.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use Fcntl qw(O_WRONLY O_CREAT O_DIRECT);
use File::Basename qw(basename dirname);
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Spec;
use IPC::Run;
use JSON::PP qw(decode_json);
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $repo = dirname(dirname(dirname(File::Spec->rel2abs(__FILE__))));

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

# does the file system of $tmp (and of the data directory) take O_DIRECT?
sub takes_direct
{
	my $probe = "$tmp/direct-probe";
	return 0 unless sysopen(my $fh, $probe, O_WRONLY | O_CREAT | O_DIRECT);
	close $fh;
	unlink $probe;
	return 1;
}

# bytes of a file in the page cache
sub cached_bytes
{
	my ($path) = @_;
	my $cached = `fincore --bytes --noheadings --output RES '$path'`;
	die "fincore: $?" if $?;
	$cached =~ s/\s+//g;
	return $cached;
}

# a file of 5 MiB + 7 bytes: several blocks and a short last one
my $n = 5 * 1024 * 1024 + 7;
system("head -c $n /dev/urandom > '$tmp/in'") == 0 or die;
my $sum = sha256_file("$tmp/in");

# the server writes its copy with O_DIRECT from the start
# (eoswath.site_direct_after = 0; by default after 1 GB)
my ($rc, $out, $err);
{
	local $ENV{PGOPTIONS} = '-c eoswath.site_direct_after=0';
	($rc, $out, $err) = cli('put', "$tmp/in", '-d', $connstr, '--meta', 'mission=Jason-1',
		'--meta', 'note=a "quoted" = value', '--block-size', '1000000');
}
is($rc, 0, 'put exits 0') or diag($err);
chomp(my $id = $out);
like($id, qr/^[0-9A-Z]{13}$/, 'put prints the id only');
# so only the last 1 MiB + 7 bytes, after the whole 4 MiB blocks, went
# through the page cache
SKIP:
{
	skip 'the temporary directory takes no O_DIRECT', 2 unless takes_direct();
	my @copy = split /\n/, `find '${\$node->data_dir}/eoswath' -name '$id'`;
	is(scalar(@copy), 1, 'one copy on the default site');
	my $cached = cached_bytes($copy[0]);
	cmp_ok($cached, '<=', 1024 * 1024 + 4096, "put: $cached bytes of the copy in the page cache");
}
is($err, '', 'no progress output when stderr is not a terminal');

($rc, $out, $err) = cli('stat', $id, '-d', $connstr);
is($rc, 0, 'stat exits 0');
like($out, qr/^size: $n$/m, 'stat: size');
like($out, qr/^sha256: $sum$/m, 'stat: checksum equals the source');
like($out, qr/^encoding: identity$/m, 'stat: encoding');
like($out, qr/^meta: \{"note": "a \\"quoted\\" = value", "mission": "Jason-1"\}$/m, 'stat: metadata');

($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', "$tmp/out");
is($rc, 0, 'get -o exits 0') or diag($err);
# where the file system takes O_DIRECT, the output's whole 4 MiB blocks go
# past the page cache: only the short last block (1 MiB + 7) is cached
# (looked at before anything reads the file)
SKIP:
{
	skip 'the temporary directory takes no O_DIRECT', 1 unless takes_direct();
	my $cached = cached_bytes("$tmp/out");
	cmp_ok($cached, '<=', 1024 * 1024 + 4096, "get -o: $cached bytes of the output in the page cache");
}
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
# a FIFO (like /dev/null, a device) is written in place, never replaced by a
# file (as root a rename over /dev/null would replace the device)
system('mkfifo', "$tmp/fifo") == 0 or die "mkfifo: $!";
{
	my $reader = IPC::Run::start([ 'cat', "$tmp/fifo" ], '>', "$tmp/from_fifo");
	($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', "$tmp/fifo");
	$reader->finish;
	is($rc, 0, 'get -o FIFO exits 0 (no --force needed)') or diag($err);
	ok(-p "$tmp/fifo", 'the FIFO is still a FIFO');
	is(sha256_file("$tmp/from_fifo"), $sum, 'its reader got every byte');
	ok(!-e "$tmp/fifo.eoswath-part", 'no partial file beside it');
}
($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', $tmp);
is($rc, 5, 'a directory as the output: exit 5');
# a local write that fails: at once (/dev/full), and in the middle of the
# object, while rows wait for the writer (a reader that leaves after 100000
# bytes: EPIPE); either way exit 5 with the write's own error, not the
# cancel it causes, and the server goes on serving
($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', '/dev/full', '--chunk-size', '65536');
is($rc, 5, 'get -o /dev/full: exit 5');
like($err, qr{could not write "/dev/full": No space left on device}, 'get -o /dev/full: the write error');
{
	my $reader = IPC::Run::start([ 'head', '-c', '100000', "$tmp/fifo" ], '>', "$tmp/from_fifo");
	($rc, $out, $err) = cli('get', $id, '-d', $connstr, '-o', "$tmp/fifo", '--chunk-size', '8192');
	$reader->finish;
	is($rc, 5, 'get into a pipe its reader leaves: exit 5');
	like($err, qr{could not write "\Q$tmp\E/fifo": Broken pipe}, 'the broken pipe is the error');
	unlike($err, qr/canceling statement/, 'not the cancel it caused');
	is(-s "$tmp/from_fifo", 100000, 'the reader got its 100000 bytes');
}
($rc, $out, $err) = cli('stat', $id, '-d', $connstr);
is($rc, 0, 'the server serves the next command');
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

# ---- connection options as psql's: -h -p -U -d, before or after the command ----
my ($host, $port) = ($node->host, $node->port);
my $osuser = (getpwuid($<))[0];
($rc, $out, $err) = cli('stat', $gz, '-h', $host, '-p', $port, '-d', 'postgres');
ok($rc == 0 && $out =~ /^id: $gz$/m, '-h -p -d after the command') or diag($err);
($rc, $out, $err) = cli('-h', $host, '-p', $port, '-U', $osuser, '-d', 'postgres', 'stat', $gz);
ok($rc == 0 && $out =~ /^id: $gz$/m, '-h -p -U -d before the command') or diag($err);
($rc, $out, $err) = cli('stat', $gz, '--host', $host, '--port', $port, '--username', $osuser,
	'--dbname', 'postgres');
is($rc, 0, 'long forms --host --port --username --dbname');
($rc, $out, $err) = cli('stat', $gz, '-d', "postgresql:///postgres?host=$host&port=$port");
is($rc, 0, '-d takes a URI');
($rc, $out, $err) = cli('stat', $gz, '-d', "host=$host port=$port dbname=postgres");
is($rc, 0, '-d takes a connection string');
($rc, $out, $err) = cli('stat', $gz, '-h', $host, '-p', $port, '-d', 'postgres', '-U', 'nosuchrole');
ok($rc == 2 && $err =~ /role "nosuchrole" does not exist/, '-U of an unknown role: exit 2, the server says why');
($rc, $out, $err) = cli('stat', $gz, '-h', $host, '-p', $port, '-d', 'nosuchdb');
ok($rc == 2 && $err =~ /database "nosuchdb" does not exist/, '-d of an unknown database: exit 2');
($rc, $out, $err) = cli('put', '-h');
is($rc, 1, '-h wants a host (as psql), not help');

# ---- -V, --help of the program and of each command ----
open(my $cfh, '<', "$repo/eoswath.control") or die "eoswath.control: $!";
my ($version) = join('', <$cfh>) =~ /^default_version\s*=\s*'([^']+)'/m;
close $cfh;
for my $v ('-V', '--version')
{
	($rc, $out, $err) = cli($v);
	ok($rc == 0 && $out =~ /\Aeoswath \(eoswath\) \Q$version\E\nlibpq \d+\.\d+\n\z/,
		"$v: 'eoswath (eoswath) $version' and libpq's version") or diag($out);
}
for my $cmd (qw(put get stat rm ls verify ingest search subset))
{
	($rc, $out, $err) = cli($cmd, '--help');
	ok($rc == 0 && $out =~ /^Usage: eoswath $cmd / && $out =~ /--host=HOSTNAME/,
		"$cmd --help: usage with the connection options");
	my $help = $out;
	($rc, $out, $err) = cli('help', $cmd);
	ok($rc == 0 && $out eq $help, "help $cmd: the same");
	($rc, $out, $err) = cli($cmd, '-?');
	ok($rc == 0 && $out eq $help, "$cmd -?: the same");
}
($rc, $out, $err) = cli('-?');
ok($rc == 0 && $out =~ /^  ingest /m && $out =~ /6 extension not installed/, '-? lists commands and exit codes');

# ---- a database without the extension: exit 6 before the command runs ----
$node->safe_psql('postgres', 'CREATE DATABASE noext');
for my $args (['stat', $gz], ['get', $gz], ['ls'], ['search'], ['ingest', "$tmp/in"], ['put', "$tmp/in"])
{
	($rc, $out, $err) = cli(@$args, '-h', $host, '-p', $port, '-d', 'noext');
	ok($rc == 6 && $err =~ /^eoswath: extension "eoswath" is not installed in database "noext"$/m
		  && $err !~ /wosoid/,
		"$args->[0] in a database without the extension: exit 6 and says so") or diag($err);
}

# ---- passwords: the server asks, the client prompts only on a terminal ----
$node->safe_psql('postgres', "CREATE ROLE pwuser LOGIN PASSWORD 'secret' IN ROLE eoswath_admin");
{
	my $hba = $node->data_dir . '/pg_hba.conf';
	my $old = slurp_file($hba);
	open(my $fh, '>', $hba) or die;
	print $fh "local all pwuser scram-sha-256\n$old";
	close $fh;
	$node->reload;
}
my @pw = ('-h', $host, '-p', $port, '-d', 'postgres', '-U', 'pwuser');
($rc, $out, $err) = cli('stat', $gz, @pw, '-w');
ok($rc == 2 && $err =~ /no password supplied/, '-w: no prompt, exit 2') or diag($err);
{
	# no controlling terminal: no prompt (standard input is never read), a hint
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'setsid', '-w', 'eoswath', 'stat', $gz, @pw ], '<', \"secret\n", '>', \$o, '2>', \$e);
	ok($? >> 8 == 2 && $e =~ /HINT:  There is no terminal to prompt for the password on/,
		'no terminal: exit 2 with a hint, standard input not read') or diag($e);
}
{
	local $ENV{PGPASSWORD} = 'secret';
	($rc, $out, $err) = cli('stat', $gz, @pw);
	is($rc, 0, 'PGPASSWORD: connects');
	local $ENV{PGPASSWORD} = 'wrong';
	($rc, $out, $err) = cli('stat', $gz, @pw, '-w');
	ok($rc == 2 && $err =~ /password authentication failed for user "pwuser"/, 'wrong password: exit 2');
}
{
	append_to_file("$tmp/pgpass", "*:*:*:pwuser:secret\n");
	chmod 0600, "$tmp/pgpass";
	local $ENV{PGPASSFILE} = "$tmp/pgpass";
	($rc, $out, $err) = cli('stat', $gz, @pw, '-w');
	is($rc, 0, '~/.pgpass (PGPASSFILE): connects');
}

# ---- ingest: real granules, in parallel; again (all skipped); a changed file ----
my $granules = $ENV{EOSWATH_GRANULES} // "$repo/../shared/data/swaths";
my @granules = sort grep { !/MANIFEST/ } glob("$granules/*");
ok(@granules >= 6, "granules found in $granules") or BAIL_OUT('no granules');
make_path("$tmp/granules");
for my $g (@granules)
{
	copy($g, "$tmp/granules/" . basename($g)) or die "$g: $!";
	chmod 0644, "$tmp/granules/" . basename($g);
}
my $nobj = $node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects');
($rc, $out, $err) = cli('ingest', "$tmp/granules", '--jobs', '3', '-d', $connstr);
is($rc, 0, 'ingest of a directory: exit 0') or diag($err);
like($out, qr/^ingest: 6 stored, 0 skipped, 0 failed$/m, 'ingest: summary');
is(scalar(() = $out =~ /^stored \S+: object [0-9A-Z]{13}, swath \d+$/mg), 6, 'ingest: a line per file');
is($node->safe_psql('postgres', 'SELECT count(*) FROM swaths'), '6', 'ingest: six swaths catalogued');
for my $g (@granules)
{
	my $name = basename($g);
	my ($sum, $source) = split /\|/, $node->safe_psql('postgres',
		"SELECT st.sha256, s.source FROM swaths s, wos_stat(s.oid) st WHERE s.filename = '$name'");
	is($sum, sha256_file($g), "ingest: $name stored whole");
	is($source, (split /[_.]/, $name)[0], "ingest: ${name}'s source from its name");
}
my $nobj_after = $node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects');
is($nobj_after, $nobj + 6, 'ingest: six objects');
($rc, $out, $err) = cli('ingest', "$tmp/granules", '-j', '2', '-d', $connstr);
is($rc, 0, 'ingest again: exit 0');
like($out, qr/^ingest: 0 stored, 6 skipped, 0 failed$/m, 'ingest again: every file skipped');
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects'), $nobj_after, 'ingest again: no new object');

make_path("$tmp/changed");
my $changed = basename($granules[0]);
copy($granules[0], "$tmp/changed/$changed") or die;
chmod 0644, "$tmp/changed/$changed";
append_to_file("$tmp/changed/$changed", 'x');
($rc, $out, $err) = cli('ingest', "$tmp/changed", '-d', $connstr);
is($rc, 7, 'ingest of a changed file under a catalogued name: exit 7');
like($err, qr/could not ingest "\Q$changed\E": it is catalogued with a different checksum/,
	'the changed file is reported');
like($out, qr/^ingest: 0 stored, 0 skipped, 1 failed$/m, 'the changed file counts as failed');
is($node->safe_psql('postgres', "SELECT count(*) FROM swaths WHERE filename = '$changed'"), '1',
	'the changed file is not catalogued twice');

make_path("$tmp/notswath");
append_to_file("$tmp/notswath/notes.txt", "not a granule\n");
($rc, $out, $err) = cli('ingest', "$tmp/notswath", '-d', $connstr);
ok($rc == 7 && $err =~ /could not ingest "notes.txt": swath_register: ERROR:/,
	'a file that is not a swath: exit 7 with the server\'s message') or diag($err);
is($node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects'), $nobj_after,
	'a file that could not be catalogued leaves no object behind');

make_path("$tmp/tree/sub");
copy($granules[0], "$tmp/tree/sub/copy.nc") or die;
($rc, $out, $err) = cli('ingest', "$tmp/tree", '--source', 'TREE', '-d', $connstr);
like($out, qr/^ingest: 0 stored, 0 skipped, 0 failed$/m, 'without --recursive a subdirectory is left out');
($rc, $out, $err) = cli('ingest', "$tmp/tree", '--recursive', '--source', 'TREE', '-d', $connstr);
ok($rc == 0 && $out =~ /^stored sub\/copy.nc: /m, '--recursive: the file below, named by its path');
is($node->safe_psql('postgres', "SELECT filepath || ' ' || source FROM swaths WHERE filename = 'sub/copy.nc'"),
	'sub TREE', '--recursive: filepath and --source');
($rc, $out, $err) = cli('ingest', "$tmp/changed/$changed", $granules[0], '-d', $connstr);
ok($rc == 1 && $err =~ /would both be catalogued as/, 'two files of one name in a run: exit 1');

# ---- search: the same rows as swath_search, as psql prints them, or JSON ----
sub psql_table
{
	my ($sql) = @_;
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-d', $connstr, '-c', $sql ], '<', \'', '>', \$o, '2>', \$e)
	  or die "psql: $e";
	return $o;
}
my $cols = 'id, filename, source, overpass, oid';
my $guinea = 'POLYGON((-5 -2, 10 -2, 10 6, 5 7, -5 6, -5 -2))';
for my $case ([ [ '--region', $guinea ], "swath_search('$guinea'::geography)" ],
	[ [ '--region', 'POINT(20 -30)', '--from', '2015-01-01', '--to', '2020-01-01' ],
		"swath_search('POINT(20 -30)'::geography, '2015-01-01', '2020-01-01')" ],
	[ [ '--region', "SRID=4326;$guinea", '--source', 'ascat' ],
		"swath_search('$guinea'::geography, NULL, NULL, 'ascat')" ])
{
	my ($args, $from) = @$case;
	my $sql = "SELECT $cols FROM $from ORDER BY overpass, id";
	($rc, $out, $err) = cli('search', @$args, '-d', $connstr);
	is($rc, 0, "search @$args: exit 0") or diag($err);
	is($out, psql_table($sql), "search @$args: the table psql prints for swath_search");
	my $want = $node->safe_psql('postgres', "SELECT coalesce(json_agg(t), '[]') FROM ($sql) t");
	($rc, $out, $err) = cli('search', @$args, '--format', 'json', '-d', $connstr);
	is_deeply(decode_json($out), decode_json($want), "search @$args --format json: the same rows");
}
($rc, $out, $err) = cli('search', '-d', $connstr, '--format', 'json');
is(scalar(@{ decode_json($out) }), $node->safe_psql('postgres', 'SELECT count(*) FROM swaths'),
	'search without a region: every swath');
($rc, $out, $err) = cli('search', '--bbox', '-180,-90,180,90', '-d', $connstr, '--format', 'json');
is(scalar(@{ decode_json($out) }), $node->safe_psql('postgres', 'SELECT count(*) FROM swaths'),
	'search --bbox of the whole globe: every swath');
for my $box ('-20,-40,20,0', '150,-20,210,20', '100,60,140,90', '-10,-90,10,-60')
{
	my $ids = join(',', map { $_->{id} } @{ decode_json((cli('search', '--bbox', $box, '-d', $connstr,
		'--format', 'json'))[1]) });
	# PostGIS, without its polygon-polygon ST_Intersects: for the full-orbit
	# S5P footprint, whose parts reach every side of the globe, and this
	# box's two-column MultiPolygon across the antimeridian, PostGIS 3.3's
	# ST_Intersects answers true (varying with its per-query tree cache)
	# while its ST_Distance is 5,079 km and no part meets the box;
	# swath_search answers false.  Two closed regions meet iff their
	# boundaries meet or a vertex of one is covered by the other.
	my $b = "ST_Segmentize(ST_MakeEnvelope($box, 4326), 0.5)";
	my $want = $node->safe_psql('postgres', "SELECT string_agg(id::text, ',' ORDER BY overpass, id) FROM swaths s"
		  . " WHERE EXISTS (SELECT 1 FROM ST_Dump(s.shape::geometry) d"
		  . " WHERE ST_Intersects(ST_Boundary(d.geom)::geography, ST_Boundary($b)::geography)"
		  . " OR ST_Covers(${b}::geography, ST_PointN(ST_ExteriorRing(d.geom), 1)::geography)"
		  . " OR ST_Covers(d.geom::geography, ST_PointN(ST_ExteriorRing($b), 1)::geography))");
	is($ids, $want, "search --bbox $box: the swaths PostGIS finds the lon/lat box meets");
	$want = $node->safe_psql('postgres', "SELECT string_agg(id::text, ',' ORDER BY overpass, id)"
		  . " FROM swath_search(${b}::geography)");
	is($ids, $want, "search --bbox $box: as swath_search");
}
is((cli('search', '--bbox', '150,-20,-150,20', '-d', $connstr))[1],
	(cli('search', '--bbox', '150,-20,210,20', '-d', $connstr))[1], '--bbox W > E crosses the antimeridian');
($rc, $out, $err) = cli('search', '--bbox', '1,2,3', '-d', $connstr);
is($rc, 1, 'a malformed --bbox: exit 1');
($rc, $out, $err) = cli('search', '--region', 'POLYGON((', '-d', $connstr);
ok($rc == 4 && $err =~ /parse error/, 'malformed WKT: exit 4 with the server\'s message');

# ---- subset: netCDF files named after the granule and the region ----
my ($s5p, $s5p_oid, $s5p_name) = split /\|/, $node->safe_psql('postgres',
	"SELECT id, oid, filename FROM swaths WHERE filename LIKE 'S5P%'");
(my $s5p_base = $s5p_name) =~ s/\.[^.]*$//;
($rc, $out, $err) = cli('subset', $s5p, '--bbox', '-20,-40,20,0', '-o', "$tmp/sub", '-d', $connstr);
my $file = "$tmp/sub/${s5p_base}_subset_-20_-40_20_0.nc";
ok($rc == 0 && -s $file, 'subset of a swath id: the file, named after the granule and the box') or diag($err);
like($out, qr/^subset: 1 written, 0 empty, 0 failed$/m, 'subset: summary');
my $header = `ncdump -h '$file'`;
ok($? == 0 && $header =~ /^netcdf /, 'subset: ncdump -h reads the file');
my ($latmin) = $header =~ /:geospatial_lat_min = (\S+?)f? ;/;
my ($latmax) = $header =~ /:geospatial_lat_max = (\S+?)f? ;/;
ok(defined $latmin && $latmin >= -40 && $latmax <= 0, 'subset: the pixels kept are inside the box');

my $hash = substr(sha256_hex($guinea), 0, 8);
my ($asc_oid, $asc_name) = split /\|/, $node->safe_psql('postgres',
	"SELECT oid, filename FROM swaths WHERE filename LIKE 'ascat%'");
(my $asc_base = $asc_name) =~ s/\.[^.]*$//;
($rc, $out, $err) = cli('subset', $asc_oid, '--region', $guinea, '-o', "$tmp/sub", '-d', $connstr);
$file = "$tmp/sub/${asc_base}_subset_$hash.nc";
ok($rc == 0 && -s $file && system("ncdump -h '$file' >/dev/null") == 0,
	'subset of an object id with --region: a netCDF file named with the WKT\'s hash') or diag($err);

my ($s6_id, $s6_name) = split /\|/, $node->safe_psql('postgres',
	"SELECT id, filename FROM swaths WHERE filename LIKE 'S6A%'");
($rc, $out, $err) = cli('subset', $s6_id, '--region', $guinea, '-o', "$tmp/empty", '-d', $connstr);
ok($rc == 0 && $out =~ /^skipped \S+: no pixel of object \S+ is inside the region$/m
	  && $out =~ /^subset: 0 written, 1 empty, 0 failed$/m, 'no pixel inside: reported and skipped');
is(scalar(() = glob("$tmp/empty/*")), 0, 'no pixel inside: no file, not even a partial one');

my $nsearch = scalar(@{ decode_json((cli('search', '--bbox', '-20,-40,20,0', '--format', 'json',
	'-d', $connstr))[1]) });
($rc, $out, $err) = cli('subset', '--search', '--bbox', '-20,-40,20,0', '-o', "$tmp/sub2", '-d', $connstr);
is($rc, 0, 'subset --search: exit 0') or diag($err);
my @files = glob("$tmp/sub2/*_subset_-20_-40_20_0.nc");
ok(@files == $nsearch && $nsearch >= 2, "subset --search: a file per swath found ($nsearch)");
is(scalar(grep { system("ncdump -h '$_' >/dev/null") == 0 } @files), $nsearch, 'subset --search: all valid netCDF');
($rc, $out, $err) = cli('subset', '--search', '--bbox', '-20,-40,20,0', '-o', "$tmp/sub2", '-d', $connstr);
ok($rc == 7 && $err =~ /exists \(use --force to replace it\)/, 'subset onto existing files: exit 7');
($rc, $out, $err) = cli('subset', '--search', '--bbox', '-20,-40,20,0', '-o', "$tmp/sub2", '--force',
	'-d', $connstr);
is($rc, 0, 'subset --force replaces them');
($rc, $out, $err) = cli('subset', '99999', '--bbox', '0,0,1,1', '-o', "$tmp/sub3", '-d', $connstr);
ok($rc == 3 && $err =~ /swath 99999 does not exist/, 'subset of an unknown swath: exit 3');
($rc, $out, $err) = cli('subset', 'not-an-id', '--bbox', '0,0,1,1', '-o', "$tmp/sub3", '-d', $connstr);
is($rc, 1, 'subset of a malformed object id: exit 1');
($rc, $out, $err) = cli('subset', $s5p, '-o', "$tmp/sub3", '-d', $connstr);
is($rc, 1, 'subset without a region: exit 1');

# ---- ls ----
($rc, $out, $err) = cli('put', "$tmp/multi.gz", '--meta', 'kind=ls-test', '-d', $connstr);
chomp(my $lsid = $out);
($rc, $out, $err) = cli('ls', '--limit', '2', '-d', $connstr);
ok($rc == 0 && $out =~ /\A\s+id\s+\|\s+state\s+\|\s+size\s+\|\s+policy\s+\|\s+created\s+\n-+\+/
	  && $out =~ /^ $lsid \| stored \|/m && $out =~ /^\(2 rows\)$/m, 'ls --limit 2: a table, newest first');
($rc, $out, $err) = cli('ls', '--format', 'json', '-d', $connstr);
my $ls = decode_json($out);
is(scalar(@$ls), $node->safe_psql('postgres', 'SELECT count(*) FROM wos_objects'), 'ls --format json: every object');
is($ls->[0]{id}, $lsid, 'ls: newest first');
($rc, $out, $err) = cli('ls', '--meta', 'kind=ls-test', '--format', 'json', '-d', $connstr);
is_deeply([ map { $_->{id} } @{ decode_json($out) } ], [$lsid], 'ls --meta: only objects with that entry');
($rc, $out, $err) = cli('ls', '--since', '2999-01-01', '-d', $connstr);
like($out, qr/^\(0 rows\)$/m, 'ls --since a future time: none');

# ---- verify ----
($rc, $out, $err) = cli('verify', '-d', $connstr);
ok($rc == 0 && $out =~ /^\(0 rows\)$/m, 'verify of every object: no bad copy, exit 0');
($rc, $out, $err) = cli('verify', $lsid, '-d', $connstr);
ok($rc == 0 && $out =~ /^ $lsid \| local \| ok     \| none$/m, 'verify ID: a row per copy');
($rc, $out, $err) = cli('verify', '00000000ZZZZZ', '-d', $connstr);
is($rc, 3, 'verify of an unknown id: exit 3');
{
	my ($copy) = object_files($node, $lsid);
	open(my $fh, '+<:raw', $copy) or die "$copy: $!";
	print $fh "X";
	close $fh;
}
($rc, $out, $err) = cli('verify', $lsid, '-d', $connstr);
ok($rc == 7 && $out =~ /^ $lsid \| local \| checksum mismatch \| unrecoverable$/m
	  && $err =~ /1 copy could not be repaired/, 'verify of an object with no intact copy: exit 7');
($rc, $out, $err) = cli('verify', '--format', 'json', '-d', $connstr);
ok($rc == 7 && decode_json($out)->[0]{action} eq 'unrecoverable', 'verify --format json: exit 7 too');

# ---- make install: a link on PATH only for the system tree, as root ----
my ($major) = `pg_config --version` =~ /PostgreSQL (\d+)/;
my $sys = "/usr/lib/postgresql/$major/bin";
SKIP:
{
	skip "no system PostgreSQL tree in $sys", 5 unless -x "$sys/pg_config";
	my $dry = sub { scalar `make -n -s -C '$repo/src/cli' @_ 2>&1` };
	like($dry->("install PG_CONFIG=$sys/pg_config INSTALL_UID=0"), qr{ln -sfn '\Q$sys\E/eoswath' '/usr/bin/eoswath'},
		'make install as root into the system tree links /usr/bin/eoswath');
	like($dry->("uninstall PG_CONFIG=$sys/pg_config INSTALL_UID=0"), qr{rm -f '/usr/bin/eoswath'},
		'make uninstall removes that link (if it is ours)');
	unlike($dry->("install PG_CONFIG=$sys/pg_config INSTALL_UID=0 DESTDIR=$tmp/dest"), qr{ln -s},
		'no link with DESTDIR');
	unlike($dry->("install PG_CONFIG=$sys/pg_config INSTALL_UID=1000"), qr{ln -s}, 'no link when not root');
	# a private tree: a pg_config whose bindir is elsewhere
	append_to_file("$tmp/pg_config",
		"#!/bin/sh\ncase \"\$1\" in --bindir) echo '$tmp/private/bin';; *) exec '$sys/pg_config' \"\$@\";; esac\n");
	chmod 0755, "$tmp/pg_config";
	unlike($dry->("install PG_CONFIG=$tmp/pg_config INSTALL_UID=0"), qr{ln -s}, 'no link for a private tree');
}

$node->stop;
done_testing();
