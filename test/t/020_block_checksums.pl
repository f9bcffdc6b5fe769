# Block checksums: every byte a read returns is verified.  A copy with a
# flipped bit or cut short is left at the bad block for another copy, the
# client gets correct bytes (or XX001 when no copy holds the block intact,
# never wrong bytes), and the bad copy is repaired.  Objects without block
# checksums (0.1.0) keep the old rule until wos_verify() gives them some.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $B = 65536;
my $node = eoswath_node('blocks', sites => 2, conf => "eoswath.block_size = '64kB'\n");

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub slurp
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "$path: $!";
	local $/;
	my $d = <$fh>;
	close $fh;
	return $d;
}

sub spew
{
	my ($path, $data) = @_;
	open(my $fh, '>:raw', $path) or die "$path: $!";
	print $fh $data;
	close $fh;
}

# the block digests of some bytes, as the catalog keeps them (hex)
sub block_digests
{
	my ($data, $bs) = @_;
	my $hex = '';
	for (my $off = 0; $off < length($data); $off += $bs)
	{
		$hex .= sha256_hex(substr($data, $off, $bs));
	}
	return $hex;
}

# the SHA-256 of what wos_stream_get returns, in rows of $chunk
sub stream_sum
{
	my ($id, $chunk, $decompress) = @_;
	$decompress = $decompress ? 'true' : 'false';
	return sql("SELECT encode(sha256(string_agg(c, ''::bytea ORDER BY n)), 'hex')"
		  . " FROM wos_stream_get('$id', $chunk, $decompress) WITH ORDINALITY AS t(c, n)");
}

# bytea rows printed by psql (\x...) back to bytes
sub rows_bytes
{
	my ($out) = @_;
	return join('', map { s/^\\x//r } grep { /^\\x/ } split /\n/, $out // '') =~ s/(..)/chr(hex($1))/ger;
}

# ---- 1. the put records a digest per block of the stored bytes
my $id = sql("SELECT wos_put(decode(string_agg(md5(g::text), ''), 'hex'), '{}', 'copy3')"
	  . " FROM generate_series(1, 200000) g");
my @files = copies_of($node, $id);
is(scalar(@files), 3, 'three copies');
my $data = slurp($files[0]);
my $sum = sql("SELECT sha256 FROM wos_stat('$id')");
is(sha256_hex($data), $sum, 'the copy holds the object');
my $nblocks = int((length($data) + $B - 1) / $B);
is($nblocks, 49, '49 blocks of 64 kB');
is(sql("SELECT block_size || ' ' || length(block_sha256) FROM eoswath.objects WHERE oid = '$id'"),
	"$B " . (32 * $nblocks), 'block size and one digest per block recorded');
is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$id'"),
	block_digests($data, $B), 'each digest is the SHA-256 of its block');

# ---- 1b. the two digests at the edges of 64-byte chunks and of blocks, of
# objects put whole and streamed in uneven pieces: a block size of a
# multiple of 64 hashes both in one pass where the CPU has the SHA
# extensions, 65601 bytes (not a multiple) with OpenSSL
my $pattern = join('', map { pack('N', ($_ * 2654435761) % 4294967296) } 1 .. 50000);
for my $bs (65536, 65601)
{
	for my $len (1, 55, 56, 63, 64, 65, 127, 128, $bs - 1, $bs, $bs + 1, 3 * $bs + 100)
	{
		my $d = substr($pattern, 0, $len);
		my $oid = sql("SET eoswath.block_size = $bs; SELECT wos_put('\\x" . unpack('H*', $d) . "'::bytea)");
		is(sql("SELECT sha256 FROM wos_stat('$oid')"), sha256_hex($d), "block size $bs, put of $len bytes: object digest");
		is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$oid'"),
			block_digests($d, $bs), "block size $bs, put of $len bytes: block digests");
	}
	my $d = substr($pattern, 0, 3 * $bs + 100);
	my $script = "BEGIN; SET eoswath.block_size = $bs; SELECT wos_put_stream() AS s \\gset\n";
	my @pieces = (7, 57, 64, 1000, 65536, 33, 129);
	for (my ($off, $i) = (0, 0); $off < length($d); $i++)
	{
		my $n = $pieces[ $i % @pieces ];
		$script .= "SELECT FROM wos_stream_write(:s, '\\x" . unpack('H*', substr($d, $off, $n)) . "'::bytea);\n";
		$off += $n;
	}
	my $oid = (split /\n/, sql($script . "SELECT wos_stream_close(:s);\nCOMMIT;"))[-1];
	is(sql("SELECT sha256 FROM wos_stat('$oid')"), sha256_hex($d), "block size $bs, stream in uneven pieces: object digest");
	is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$oid'"),
		block_digests($d, $bs), "block size $bs, stream in uneven pieces: block digests");
}

# ---- 2. streamed reads with a bit flipped in one copy: 10 of 10 correct
for my $round (0 .. 9)
{
	my $copy = $round % 3;
	my $block = (7 * $round + 3) % $nblocks;
	flip_byte($files[$copy], $block * $B + 1000 + $round);
	my $chunk = $round % 2 ? 100000 : $B;    # rows across block edges too
	is(stream_sum($id, $chunk, 0), $sum, "round $round: stream correct, copy $copy bad in block $block");
	# the first copy is the one read: found bad and repaired at once
	is(sha256_file($files[0]), $sum, "round $round: copy 0 intact after the read") if $copy == 0;
}
# bad blocks the reads did not touch: wos_verify finds and repairs them
is(sql("SELECT count(*) FROM wos_verify('$id') WHERE status <> 'ok' AND action <> 'repaired'"), '0',
	'verify repairs whatever the reads left');
is(sha256_file($_), $sum, "copy $_ intact again") for @files;
flip_byte($files[2], 40 * $B + 3);
is(stream_sum($id, $B, 0), $sum, 'stream correct with the last copy bad');
isnt(sha256_file($files[2]), $sum, 'a copy the stream did not read stays as it was');
is(sql("SELECT string_agg(status || ':' || action, ',') FROM wos_verify('$id') WHERE status <> 'ok'"),
	'checksum mismatch:repaired', 'verify finds and repairs it');
is(sha256_file($files[2]), $sum, 'repaired');

# ---- 3. ranged reads verify the blocks they touch
flip_byte($files[0], 7 * $B + 300);
is(sql("SELECT encode(sha256(wos_get('$id', " . (7 * $B + 50) . ", 1000)), 'hex')"),
	sha256_hex(substr($data, 7 * $B + 50, 1000)), 'range inside a bad block: correct bytes');
is(sha256_file($files[0]), $sum, 'the bad copy repaired by the ranged read');
flip_byte($files[0], 8 * $B + 5);
flip_byte($files[1], 10 * $B + 5);
is(sql("SELECT encode(sha256(wos_get('$id', " . (6 * $B + 10) . ", " . (5 * $B) . ")), 'hex')"),
	sha256_hex(substr($data, 6 * $B + 10, 5 * $B)), 'range over blocks bad in two copies: correct bytes');
is(sha256_file($files[0]), $sum, 'copy 0 repaired');
is(sha256_file($files[1]), $sum, 'copy 1 repaired');

# ---- 4. a whole wos_get with a bad block
flip_byte($files[0], 20 * $B + 7);
is(sql("SELECT encode(sha256(wos_get('$id')), 'hex')"), $sum, 'whole get correct');
is(sha256_file($files[0]), $sum, 'and repaired');
# the blocks of a whole read are hashed three at a time (the hash threads and
# the backend; block 20 above was in the middle of a batch): a copy cut short
# (found so when it is opened), a bad block with the threads off, a range of
# whole blocks
truncate($files[0], 30 * $B + 5) or die "truncate: $!";
is(sql("SELECT encode(sha256(wos_get('$id')), 'hex')"), $sum, 'whole get over a truncated copy: correct');
is(sha256_file($files[0]), $sum, 'and repaired');
flip_byte($files[0], 46 * $B + 7);
is(sql("SET eoswath.hash_thread = off; SELECT encode(sha256(wos_get('$id')), 'hex')"), $sum,
	'whole get with the hash threads off, a bad block: correct');
is(sha256_file($files[0]), $sum, 'and repaired');
is(sql("SELECT encode(sha256(wos_get('$id', " . (3 * $B) . ", " . (40 * $B + 17) . ")), 'hex')"),
	sha256_hex(substr($data, 3 * $B, 40 * $B + 17)), 'range of 40 whole blocks and a part: correct');

# ---- 5. a copy cut short while a stream reads it: the stream goes on from another.
# Rows of whole blocks are read straight into the row; rows of half blocks go
# through the reader's buffer, which verifies the next block on a hash thread
# while the row is sent: there the block read ahead is the one cut short.
for my $chunk ($B, $B / 2)
{
	my $bg = $node->background_psql('postgres');
	$bg->query_safe('BEGIN');
	$bg->query_safe("DECLARE c NO SCROLL CURSOR FOR SELECT wos_stream_get('$id', $chunk)");
	my $head = $bg->query_safe('FETCH ' . (3 * $B / $chunk) . ' FROM c');
	truncate($files[0], 5 * $B) or die "truncate: $!";
	my $tail = $bg->query_safe('FETCH ALL FROM c');
	$bg->query_safe('COMMIT');
	$bg->quit;
	my $got = rows_bytes($head) . rows_bytes($tail);
	is(length($got), length($data), "stream over a truncated copy, rows of $chunk: every byte");
	is(sha256_hex($got), $sum, "stream over a truncated copy, rows of $chunk: correct bytes");
	is(sha256_file($files[0]), $sum, "the truncated copy repaired (rows of $chunk)");
}

# ---- 6. every copy bad in one block (not the first): an error, never bad bytes
flip_byte($_, 9 * $B + 10) for @files;
for my $chunk ($B, $B / 2)
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"BEGIN; DECLARE c NO SCROLL CURSOR FOR SELECT wos_stream_get('$id', $chunk);"
		  . ' FETCH ' . (9 * $B / $chunk) . ' FROM c; FETCH 1 FROM c;');
	isnt($ret, 0, "stream, rows of $chunk: error at the bad block");
	like($err, qr/no intact copy of object $id is available/, "stream, rows of $chunk: the error says so");
	like($err, qr/Block 9 \(bytes 589824 to 655359\)/, "stream, rows of $chunk: and names the block");
	my $got = rows_bytes($out);
	is(length($got), 9 * $B, "rows of $chunk: the 9 blocks before it were returned, nothing more");
	is(sha256_hex($got), sha256_hex(substr($data, 0, 9 * $B)), "rows of $chunk: and they are correct");
}
# the SQLSTATE an expression raises ('none' if it succeeds)
sub sqlstate_of
{
	my ($expr) = @_;
	my ($r, $o, $e) = $node->psql('postgres',
		"DO \$\$ BEGIN PERFORM $expr; RAISE WARNING 'state none';"
		  . " EXCEPTION WHEN OTHERS THEN RAISE WARNING 'state %', SQLSTATE; END \$\$");
	return $e =~ /state (\w+)/ ? $1 : '?';
}
is(sqlstate_of("wos_get('$id')"), 'XX001', 'whole get: data_corrupted');
is(sqlstate_of("wos_get('$id', " . (9 * $B + 100) . ", 10)"), 'XX001', 'range in the bad block: data_corrupted');
is(sql("SELECT encode(sha256(wos_get('$id', " . (2 * $B) . ", $B)), 'hex')"),
	sha256_hex(substr($data, 2 * $B, $B)), 'range elsewhere: still served');
is(sql("SELECT string_agg(DISTINCT status || ':' || action, ',') FROM wos_verify('$id')"),
	'checksum mismatch:unrecoverable', 'verify: every copy unrecoverable');
spew($_, $data) for @files;
is(sql("SELECT count(*) FROM wos_verify('$id') WHERE status = 'ok'"), '3', 'restored by hand');

# ---- 7. gzip'd puts: block digests of the stored (gzip) bytes
my $gid = (split /\n/, sql(
	"BEGIN; SELECT wos_put_stream('copy3', '{}', compress => true) AS s \\gset\n"
	  . "SELECT wos_stream_write(:s, convert_to(string_agg(g::text || ' lorem ipsum', ','), 'UTF8'))"
	  . " FROM generate_series(1, 200000) g;\n"
	  . "SELECT wos_stream_close(:s);\nCOMMIT;"))[-1];
my $logical = sql("SELECT encode(sha256(convert_to(string_agg(g::text || ' lorem ipsum', ','), 'UTF8')), 'hex')"
	  . " FROM generate_series(1, 200000) g");
my @gfiles = copies_of($node, $gid);
my $gdata = slurp($gfiles[0]);
is(sql("SELECT encoding FROM wos_stat('$gid')"), 'gzip', 'stored gzipped');
cmp_ok(length($gdata), '>', 3 * $B, 'over three blocks of gzip');
is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$gid'"),
	block_digests($gdata, $B), 'digests of the stored gzip bytes');
flip_byte($gfiles[0], 2 * $B + 77);
is(stream_sum($gid, 30000, 1), $logical, 'decompressing stream over a bad block: correct');
is(sha256_file($gfiles[0]), sha256_hex($gdata), 'and the copy repaired');

# ---- 8. putoid, server files and the block size setting
my $rid = sql("SELECT wos_reserve('replicate')");
sql("SELECT wos_putoid('$rid', decode(repeat('ab', 200000), 'hex'))");
is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$rid'"),
	block_digests("\xab" x 200000, $B), 'putoid: digests');
my $path = $node->basedir . '/infile';
spew($path, substr($data, 0, 150000));
my $fid = sql("SELECT wos_put_file('$path')");
is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$fid'"),
	block_digests(substr($data, 0, 150000), $B), 'put_file: digests');
is(sql("SET eoswath.block_size = '4MB'; SELECT wos_put(decode(repeat('00', 5 * 1048576), 'hex')) AS x \\gset\n"
	  . "SELECT block_size || ' ' || length(block_sha256) FROM eoswath.objects WHERE oid = :'x'"),
	'4194304 64', 'block size fixed per object at put: 4MB gives two blocks');
my ($ret, $out, $err) = $node->psql('postgres', "LOAD 'eoswath'; SET eoswath.block_size = '1kB'");
like($err, qr/invalid value for parameter "eoswath.block_size"/, 'block size below 64kB refused');

# ---- 9. objects without block checksums (0.1.0): the old rule, then filled
my $lid = sql("SET eoswath.block_size = 0; SELECT wos_put(decode(string_agg(md5(g::text), ''), 'hex'), '{}', 'copy3')"
	  . " FROM generate_series(1, 50000) g");
is(sql("SELECT block_size IS NULL AND block_sha256 IS NULL FROM eoswath.objects WHERE oid = '$lid'"), 't',
	'block_size = 0: no block digests, as 0.1.0 stored');
my @lfiles = copies_of($node, $lid);
my $ldata = slurp($lfiles[0]);
my $lsum = sha256_hex($ldata);
is(stream_sum($lid, $B, 0), $lsum, 'legacy: stream correct');
is(sql("SELECT encode(wos_get('$lid', 100000, 4), 'hex')"), unpack('H*', substr($ldata, 100000, 4)),
	'legacy: range read');
flip_byte($lfiles[0], 3 * $B);
is(sql("SELECT encode(sha256(wos_get('$lid')), 'hex')"), $lsum, 'legacy: whole get falls back (old rule)');
is(sha256_file($lfiles[0]), $lsum, 'legacy: and repairs');
flip_byte($lfiles[0], 3 * $B);
($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM wos_stream_get('$lid', $B)");
like($err, qr/checksum mismatch in copy of object $lid/, 'legacy: a stream still checks only at the end (old rule)');
is(sql("SELECT count(*) FROM wos_verify('$lid', repair => false) WHERE status <> 'ok'"), '1',
	'verify without repair reports the bad copy');
is(sql("SELECT block_sha256 IS NULL FROM eoswath.objects WHERE oid = '$lid'"), 't',
	'and gives no block digests (it changes nothing)');
is(sql("SELECT string_agg(status || ':' || action, ',') FROM wos_verify('$lid') WHERE status <> 'ok'"),
	'checksum mismatch:repaired', 'verify repairs the bad copy');
is(sql("SELECT block_size || ' ' || encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$lid'"),
	"$B " . block_digests($ldata, $B), 'and gives the object block digests from an intact copy');
flip_byte($lfiles[0], 5 * $B + 9);
is(stream_sum($lid, $B, 0), $lsum, 'now a stream over a bad block is correct');
is(sha256_file($lfiles[0]), $lsum, 'and repairs');

# ---- 10. the hash thread: the same digests with it and without it; it runs
# in the backend that put with it on, and in no backend that put with it off
my $big = 'SELECT decode(string_agg(md5(g::text), \'\'), \'hex\') FROM generate_series(1, 150000) g';
my ($on_pid, $on_id, $on_tasks) = split /\|/, sql(
	"SET eoswath.hash_thread = on; SELECT pg_backend_pid() AS p, wos_put(($big)) AS x \\gset\n"
	  . "SELECT :p || '|' || :'x' || '|' || (SELECT count(*) FROM pg_ls_dir('/proc/' || :p || '/task'))");
my ($off_pid, $off_id, $off_tasks) = split /\|/, sql(
	"SET eoswath.hash_thread = off; SELECT pg_backend_pid() AS p, wos_put(($big)) AS x \\gset\n"
	  . "SELECT :p || '|' || :'x' || '|' || (SELECT count(*) FROM pg_ls_dir('/proc/' || :p || '/task'))");
is($on_tasks, '3', 'hash_thread on: the backend ran two hash threads');
is($off_tasks, '1', 'hash_thread off: no hash thread');
my $bigdata = slurp((copies_of($node, $on_id))[0]);
is(sql("SELECT sha256 FROM wos_stat('$on_id')"), sha256_hex($bigdata), 'hash_thread on: object digest');
is(sql("SELECT sha256 FROM wos_stat('$off_id')"), sha256_hex($bigdata), 'hash_thread off: object digest');
is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$on_id'"),
	block_digests($bigdata, $B), 'hash_thread on: block digests');
is(sql("SELECT encode(block_sha256, 'hex') FROM eoswath.objects WHERE oid = '$off_id'"),
	block_digests($bigdata, $B), 'hash_thread off: block digests');
# a put cancelled while the thread hashes (48 MB, a 50 ms timeout): the next
# put in the same backend is whole and right
my ($cret, $cout, $cerr) = $node->psql('postgres',
	"CREATE TEMP TABLE b AS SELECT decode(string_agg(md5(g::text), ''), 'hex') AS d FROM generate_series(1, 3000000) g;\n"
	  . "SET statement_timeout = '50ms';\nSELECT wos_put(d) FROM b;\nRESET statement_timeout;\n"
	  . "SELECT wos_put(d) AS x FROM b \\gset\n"
	  . "SELECT (SELECT sha256 FROM wos_stat(:'x')) = encode(sha256(d), 'hex') FROM b;",
	on_error_stop => 0);
like($cerr, qr/statement timeout/, 'a put cancelled by statement_timeout');
is($cout, 't', 'the next put in that backend has the right digest');
is(sql("SELECT count(*) FROM wos_verify() WHERE status <> 'ok'"), '0', 'and every copy is intact');

# reads in order verify the next block on a hash thread (eoswath.hash_thread
# on) while the caller uses this one: the threads start in a backend that
# streams with it on, in none that streams with it off, and both read the
# same bytes
for my $setting ('on', 'off')
{
	my ($got, $tasks) = split /\|/, sql(
		"SET eoswath.hash_thread = $setting; SELECT pg_backend_pid() AS p \\gset\n"
		  . "SELECT (SELECT encode(sha256(string_agg(c, ''::bytea ORDER BY n)), 'hex')"
		  . " FROM wos_stream_get('$on_id', 1000) WITH ORDINALITY AS t(c, n))"
		  . " || '|' || (SELECT count(*) FROM pg_ls_dir('/proc/' || :p || '/task'))");
	is($got, sha256_hex($bigdata), "hash_thread $setting: a stream in rows of 1000 bytes is correct");
	is($tasks, $setting eq 'on' ? '3' : '1', "hash_thread $setting: hash threads in the streaming backend");
	# a whole read hashes its blocks on the threads and the backend at once
	($got, $tasks) = split /\|/, sql(
		"SET eoswath.hash_thread = $setting; SELECT pg_backend_pid() AS p \\gset\n"
		  . "SELECT encode(sha256(wos_get('$on_id')), 'hex')"
		  . " || '|' || (SELECT count(*) FROM pg_ls_dir('/proc/' || :p || '/task'))");
	is($got, sha256_hex($bigdata), "hash_thread $setting: a whole wos_get is correct");
	is($tasks, $setting eq 'on' ? '3' : '1', "hash_thread $setting: hash threads in the backend of a whole get");
}
# an error while the block read ahead is being hashed (the query fails at its
# third row; the reader's memory goes with the aborted transaction and must
# wait for the thread): the backend survives and its next stream is right
($cret, $cout, $cerr) = $node->psql('postgres',
	"SELECT 1 / (n - 3) FROM wos_stream_get('$on_id', 1000) WITH ORDINALITY AS t(c, n);\n"
	  . "SELECT encode(sha256(string_agg(c, ''::bytea ORDER BY n)), 'hex')"
	  . " FROM wos_stream_get('$on_id', 1000) WITH ORDINALITY AS t(c, n);",
	on_error_stop => 0);
like($cerr, qr/division by zero/, 'a stream stopped by an error in its third row');
is($cout, sha256_hex($bigdata), 'the next stream in that backend is correct');

$node->stop;
done_testing();
