# Hostile granules at the SQL level.  A role that is only eoswath_writer
# stores crafted files and runs every granule function on each of them:
# netCDF-4 granules whose data reach a secret file the test planted (HDF5
# external storage, an external link, a virtual dataset), netCDF-3 headers
# whose sizes overflow or exhaust memory, a gzip bomb, granules with times
# out of range, bit-flipped and truncated copies of the real granules, and
# whatever the fuzzer left in test/hostile/corpus/.  Each call must end
# cleanly (an error with a proper SQLSTATE, or a result for benign
# mutants) without a crash of any server process, with the backend's peak
# memory bounded, and without a byte of the secret in any result, error or
# stored subset.  Then a granule whose parse takes long is stopped by
# statement_timeout, pg_cancel_backend and eoswath.granule_cpu_limit, and
# the helper is run under strace to see its child refused another file.
use strict;
use warnings;
use Fcntl;
use File::Copy;
use File::Path 'make_path';
use IPC::Run;
use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use EoswathTest;

my $granules = $ENV{EOSWATH_GRANULES}
  // (-d '../shared/data/swaths' ? '../shared/data/swaths' : undef);
plan skip_all => 'no real granules: set EOSWATH_GRANULES' unless $granules && -d $granules;
plan skip_all => 'python3 with netCDF4 and h5py is needed'
  unless system('/usr/bin/python3', '-c', 'import netCDF4, h5py') == 0;

# Landlock: the ABI of this kernel (landlock_create_ruleset with the version flag)
my $landlock = syscall(444, 0, 0, 1);
note "Landlock ABI on this kernel: $landlock";

my $MAX_HWM_KB = 160 * 1024;	# the backend's peak memory, whatever the input
my $node = eoswath_node('hostile', conf => <<"CONF");
eoswath.granule_memory_limit = '256MB'
eoswath.granule_max_inflated = '64MB'
eoswath.granule_output_limit = '16MB'
temp_file_limit = '512MB'
shared_buffers = '16MB'
restart_after_crash = on
log_statement = none
CONF
$node->append_conf('postgresql.conf', "eoswath.granule_allow_unconfined = on\n")
  if $landlock < 1;
$node->reload;
my $base = $node->basedir;
my $postmaster = postmaster_pid() or die 'no postmaster';

$node->safe_psql('postgres', q{
	CREATE ROLE hostile LOGIN;
	GRANT eoswath_writer TO hostile;
	INSERT INTO swath_regions (name, shape) VALUES
	  ('guinea', ST_Buffer('POINT(3 2)'::geography, 1500000)),
	  ('drake', ST_Buffer('POINT(-50 -60)'::geography, 1500000)),
	  ('alaska', ST_Buffer('POINT(-160 68)'::geography, 1200000));
});
is($node->safe_psql('postgres', q{
	SELECT rolsuper || ' ' || (SELECT string_agg(g.rolname, ',') FROM pg_auth_members m
	                             JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid)
	  FROM pg_roles r WHERE rolname = 'hostile'}), 'false eoswath_writer',
	'the calls run as a role that is only eoswath_writer');

# ---- the secret: random bytes only the server's user may read ----
my $secret_file = "$base/secret.bin";
my $secret;
{
	open my $r, '<:raw', '/dev/urandom' or die;
	read($r, $secret, 40 * 32 * 8) == 40 * 32 * 8 or die;
	sysopen(my $w, $secret_file, O_WRONLY | O_CREAT | O_EXCL, 0600) or die;
	binmode $w;
	print $w $secret;
	close $w;
}
my $hostile_dir = 'test/hostile';
system('/usr/bin/python3', "$hostile_dir/make_hostile.py", 'secret', $secret_file, "$base/secret.h5") == 0
  or die 'could not make secret.h5';
my @st = stat($secret_file);
is(sprintf('%o %d', $st[2] & 07777, $st[4]), sprintf('600 %d', server_uid()),
	'the secret is mode 0600 and owned by the server\'s user');

# every 8-byte piece of the secret, raw and in hex (a float64 of it, or a
# stretch of a bytea printed by psql)
my ($secret_raw, $secret_hex);
{
	my %w;
	$w{ substr($secret, $_, 8) } = 1 for 0 .. length($secret) - 8;
	my $raw = join '|', map { quotemeta } keys %w;
	my $hex = join '|', map { unpack('H*', $_) } keys %w;
	$secret_raw = qr/$raw/;
	$secret_hex = qr/$hex/;		# psql's hex is lower case (and /i would cost a trie)
}
sub shows_secret
{
	my ($text) = @_;
	return $text =~ $secret_raw || $text =~ $secret_hex;
}

# ---- the inputs ----
my $dir = "$base/inputs";
my @inputs;
{
	my $list = `/usr/bin/python3 $hostile_dir/make_hostile.py '$dir' '$secret_file' '$base/secret.h5' '$granules' 50`;
	die 'make_hostile.py failed' if $?;
	for (split /\n/, $list)
	{
		my ($class, $path) = split / /, $_, 2;
		push @inputs, { class => $class, path => $path };
	}
	for my $f (sort glob("$hostile_dir/corpus/*"))
	{
		next unless -f $f;
		my $copy = "$dir/corpus_" . ($f =~ s{.*/}{}r);
		copy($f, $copy) or die;
		push @inputs, { class => 'corpus', path => $copy };
	}
}
note scalar(@inputs) . ' inputs: ' . join(', ', map { my $c = $_; "$c " . scalar(grep { $_->{class} eq $c } @inputs) }
	  qw(leak overflow memory gzip time slow mutant corpus));
{
	my $sql = join '', map { "SELECT wos_put(pg_read_binary_file('$_->{path}'));\n" } @inputs;
	my @ids = split /\n/, $node->safe_psql('postgres', $sql);
	$inputs[$_]{id} = $ids[$_] for 0 .. $#inputs;
	$_->{name} = $_->{path} =~ s{.*/}{}r for @inputs;
}

# ---- every granule function on every input, as the hostile role ----

# each call: (name, SQL); %s is the object; the result rows start with 'R'
my @calls = (
	[ footprint => q{SELECT 'R', ST_AsEWKT(swath_footprint('%s'))} ],
	[ time_range => q{SELECT 'R', start_time, end_time FROM swath_time_range('%s')} ],
	[ geolocation => q{SELECT 'R', * FROM swath_geolocation('%s')} ],
	[ pixels => q{WITH p AS MATERIALIZED (SELECT * FROM swath_pixels('%s', 97))
	              SELECT 'R', (SELECT count(*) FROM p),
	                     (SELECT encode(string_agg(float8send(lat) || float8send(lon), ''), 'hex')
	                        FROM (SELECT * FROM p LIMIT 5000) q)} ],
	[ subset => q{SELECT 'R', encode(swath_subset('%s', ST_MakeEnvelope(-180, -90, 180, 90, 4326)), 'hex')} ],
	[ subset_store => q{SELECT 'R', swath_subset_store('%s', ST_MakeEnvelope(-180, -90, 180, 90, 4326))} ],
	# a quicklook of the latitude of the first swath (or of "lat")
	[ quicklook => q{SELECT 'R', encode(swath_quicklook('%1$s',
	                   coalesce((SELECT CASE WHEN "group" = '/' THEN '' ELSE "group" END || '/' || lat_var
	                               FROM swath_geolocation('%1$s') WHERE used LIMIT 1), 'lat'), width => 64), 'hex')} ],
	[ trigger => q{INSERT INTO swaths (filename, source, oid, overpass) VALUES ('h', 'hostile', '%s', NULL)
	               RETURNING 'R', id, ST_AsEWKT(shape), overpass, overpass_end} ],
	# a row given its shape and times is not parsed on insert: the queue parses it
	[ queue => q{INSERT INTO swaths (filename, source, oid, overpass, overpass_end, shape)
	             VALUES ('h', 'hostile', '%s', '2021-01-01', '2021-01-02', ST_Buffer('POINT(3 2)'::geography, 50000))
	             RETURNING 'R', id} ],
	[ drain => q{SELECT 'R', swath, region, subset, error FROM swath_subset_drain()} ],
);

# what each class must give, per call: a regex on "SQLSTATE message"
my $refused = qr/^0A000 .* uses (external storage|an external link|a virtual dataset), which eoswath does not read/;
my %expect = (
	leak => { map { $_->[0] => $refused } grep { $_->[0] !~ /^(queue|drain)$/ } @calls },
	overflow => { map { $_ => qr/^(54000|XX001|22023) / } qw(footprint pixels subset subset_store trigger) },
	memory => { map { $_->[0] => qr/^54000 could not open .*DETAIL: .*within eoswath.granule_memory_limit/ }
		  grep { $_->[0] !~ /^(queue|drain)$/ } @calls },
	gzip => { map { $_->[0] => qr/^54000 .* inflates to more than eoswath.granule_max_inflated \(64 MB\)/ }
		  grep { $_->[0] !~ /^(queue|drain)$/ } @calls },
	disk => { map { $_ => qr/^54000 the output of object \w+ is too large/ } qw(subset subset_store) },
	time => { time_range => qr/^22008 acquisition time of object \w+ is out of range/,
		trigger => qr/^23502 swath row for object \w+ has no overpass.*DETAIL: acquisition time of object \w+ is out of range/s,
		footprint => qr/^OK/, subset => qr/^OK/ },
);
# drained items that must have failed, with this error
my %drain_error = (leak => qr/does not read/, memory => qr/could not open/,
	gzip => qr/granule_max_inflated/, disk => qr/is too large/);

my (%states, @hwm, $secret_seen, $improper, $crashes, $unmet);
$secret_seen = $improper = $crashes = $unmet = 0;
my $t_loop = time;
for my $in (grep { $_->{class} ne 'slow' } @inputs)
{
	my $log_offset = -s $node->logfile;
	my $t_in = time;
	my $s = Session->new($node, 'hostile');
	$s->run(q{SET statement_timeout = '20s'});
	my $pid = $s->run('SELECT pg_backend_pid()')->{out};
	my (@seen, @bad, @miss);
	my $leaked = '';
	for my $call (@calls)
	{
		my ($cname, $fmt) = @$call;
		my $r = $s->run($fmt =~ /%(1\$)?s/ ? sprintf($fmt, $in->{id}) : $fmt);
		my @more;
		# failed items stay queued for the next drain: not this input's business
		$s->run('DELETE FROM swath_subset_queue') if $cname eq 'drain';
		# the objects a call stored: their bytes are output too
		if ($r->{state} eq 'OK' && $cname =~ /^(subset_store|drain)$/)
		{
			for my $line (split /\n/, $r->{out})
			{
				my @f = split /\|/, $line;
				my $oid = $cname eq 'subset_store' ? $f[1] : $f[3];
				push @more, $s->run("SELECT encode(wos_get('$oid'), 'hex')") if $oid;
				if ($cname eq 'drain' && $drain_error{ $in->{class} })
				{
					push @miss, "drain: made $oid" if $oid;
					push @miss, "drain: error \"" . ($f[4] // '') . '"'
					  unless ($f[4] // '') =~ $drain_error{ $in->{class} };
				}
			}
		}
		for my $x ($r, @more)
		{
			$leaked .= " $cname" if shows_secret($x->{out} . $x->{err})
			  || ($cname eq 'pixels' && shows_secret(float8send_to_le($x->{out})));
			# improper: a lost connection, an internal error, "file not found"
			# for a granule that is there
			push @bad, "$cname: $x->{state} $x->{msg}" if $x->{state} =~ /^(LOST|XX000|58P01|)$/;
		}
		$states{ $in->{class} }{"$cname $r->{state}"}++;
		push @seen, "$cname=$r->{state}";
		my $want = $expect{ $in->{class} }{$cname};
		push @miss, "$cname: $r->{state} $r->{msg} DETAIL: $r->{detail}"
		  if $want && "$r->{state} $r->{msg} DETAIL: $r->{detail}" !~ $want;
	}
	my $hwm = vm_hwm($pid);
	$s->quit;
	$in->{secs} = time - $t_in;
	push @hwm, $hwm;
	my $log = slurp_file($node->logfile, $log_offset);
	my @crash = $log =~ /^.*(?:terminated by signal|was terminated|exited with exit code [1-9]|PANIC|TRAP).*$/mg;
	# after a crash, let the server recover so that the next inputs are tested
	$node->poll_query_until('postgres', 'SELECT true') if @crash || grep { /=LOST/ } @seen;

	my $what = "$in->{class} $in->{name}";
	ok(!@bad, "$what: every call ended cleanly") or diag join("\n", @bad), "\n", join(' ', @seen);
	ok(!@crash, "$what: no server process crashed") or diag join("\n", @crash);
	ok($leaked eq '', "$what: no byte of the secret in any output") or diag "secret seen in:$leaked";
	ok(defined $hwm && $hwm < $MAX_HWM_KB, "$what: backend peak memory " . ($hwm // '?') . ' kB');
	ok(!@miss, "$what: " . join(' ', @seen)) or diag join("\n", @miss)
	  if $expect{ $in->{class} } || $drain_error{ $in->{class} };
	$secret_seen++ if $leaked ne '';
	$improper += @bad;
	$crashes += @crash;
	$unmet += @miss;
}
note sprintf('%d inputs x %d calls in %.1f s', scalar(grep { $_->{class} ne 'slow' } @inputs),
	scalar(@calls), time - $t_loop);
note 'slowest inputs: ' . join(', ', map { sprintf('%s %.1f s', $_->{name}, $_->{secs}) }
	  (sort { $b->{secs} <=> $a->{secs} } grep { defined $_->{secs} } @inputs)[0 .. 4]);
note 'SQLSTATEs per class and call:';
for my $class (sort keys %states)
{
	note "  $class: " . join(', ', map { "$_ x$states{$class}{$_}" } sort keys %{ $states{$class} });
}
note 'backend VmHWM over all inputs: max ' . (sort { $b <=> $a } grep { defined } @hwm)[0] . ' kB';

# the memory limit is what stopped mem_*: with 4 GB the same header fails otherwise
{
	my ($mem) = grep { $_->{name} eq 'mem_attr.nc' } @inputs;
	$node->safe_psql('postgres', q{ALTER ROLE hostile SET eoswath.granule_memory_limit = '4GB'});
	my $s = Session->new($node, 'hostile');
	my $r = $s->run("SELECT swath_footprint('$mem->{id}')");
	$s->quit;
	$node->safe_psql('postgres', 'ALTER ROLE hostile RESET eoswath.granule_memory_limit');
	isnt($r->{state}, '54000', "mem_attr.nc with a 4 GB limit: no longer 54000 ($r->{state} $r->{msg})");
}

# ---- a parse that takes long ----
my ($slow) = grep { $_->{class} eq 'slow' } @inputs;
for my $call (grep { $_->[0] =~ /^(footprint|pixels|subset|subset_store|trigger)$/ } @calls)
{
	my ($cname, $fmt) = @$call;
	my $s = Session->new($node, 'hostile');
	$s->run(q{SET statement_timeout = '1s'});
	my $pid = $s->run('SELECT pg_backend_pid()')->{out};
	my $t0 = time;
	$s->start(sprintf($fmt, $slow->{id}));
	my @helpers = helper_pids($pid, 0.5);
	my $r = $s->wait;
	my $took = time - $t0;
	usleep(100_000);
	is($r->{state}, '57014', "slow granule, $cname: statement_timeout (1 s) stops it ($r->{msg})");
	cmp_ok($took, '<', 2.0, sprintf('slow granule, %s: it stopped after %.2f s', $cname, $took));
	ok(@helpers == 2 && !grep({ running($_) } @helpers),
		"slow granule, $cname: the helper and its child (@helpers) are gone");
	$s->quit;
}
{
	my $s = Session->new($node, 'hostile');
	my $pid = $s->run('SELECT pg_backend_pid()')->{out};
	$s->start("SELECT swath_footprint('$slow->{id}')");
	my @helpers = helper_pids($pid, 1.0);
	my $t0 = time;
	$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
	my $r = $s->wait;
	my $took = time - $t0;
	usleep(100_000);
	is($r->{state}, '57014', 'slow granule: pg_cancel_backend stops it');
	cmp_ok($took, '<', 1.0, sprintf('slow granule: %.2f s from the cancel to the error', $took));
	ok(@helpers == 2 && !grep({ running($_) } @helpers),
		"slow granule: after the cancel the helper and its child (@helpers) are gone");
	is($s->run('SELECT 1')->{out}, '1', 'the session goes on after the cancel');
	$s->quit;
}
{
	$node->safe_psql('postgres', q{ALTER ROLE hostile SET eoswath.granule_cpu_limit = '2s'});
	my $s = Session->new($node, 'hostile');
	my $t0 = time;
	my $r = $s->run("SELECT swath_footprint('$slow->{id}')");
	my $took = time - $t0;
	$s->quit;
	$node->safe_psql('postgres', 'ALTER ROLE hostile RESET eoswath.granule_cpu_limit');
	like("$r->{state} $r->{msg}", qr/^54000 parsing object \w+ took too long/,
		'slow granule: eoswath.granule_cpu_limit = 2s stops the parse with 54000');
	# CPU seconds: on a busy machine the wall clock runs ahead of them
	cmp_ok($took, '<', 20, sprintf('slow granule: the CPU limit ended it after %.1f s', $took));
}

# the helper as installed, and the granule the next checks hand it
my $helper = $node->config_data('--pkglibdir') . '/eoswath-granule';
my ($ascat) = grep { /ascat.*\.nc$/ } glob("$granules/*");

# ---- the confinement itself: run the helper under strace ----
SKIP:
{
	skip 'no Landlock on this kernel', 4 if $landlock < 1;
	skip 'strace is not installed', 4 if system('strace -V >/dev/null 2>&1') != 0;
	# netCDF-C reads $HOME/.ncrc when it starts: here an existing, readable
	# copy of the secret
	make_path("$base/home");
	copy($secret_file, "$base/home/.ncrc") or die;
	my $req = request(1, 'strace test', $ascat);
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'env', '-i', "HOME=$base/home", 'LC_ALL=C', 'strace', '-f', '-o', "$base/strace.log",
			'-e', 'trace=openat,open,landlock_restrict_self', $helper ],
		'<', \$req, '>', \$out, '2>', \$err);
	my $trace = slurp_file("$base/strace.log");
	# strace pads the pid column
	my ($child) = $trace =~ /^(\d+)\s+landlock_restrict_self\(\S+, 0\)\s+= 0$/m;
	ok($child, 'the child entered its Landlock domain');
	$child //= 'none';
	unlike($trace, qr/"\Q$base\E\/home\/\.ncrc", O_RDONLY.*= \d+$/m,
		'no process of the helper opened a file of the server\'s user that it was not handed ($HOME/.ncrc)');
	# what the child opened once confined
	my ($confined) = $trace =~ /^$child\s+landlock_restrict_self\(\S+, 0\)\s+= 0\n(.*)\z/ms;
	my @opened = grep { !m{\Q$ascat\E"} } ($confined // '') =~ /^$child\s+open(?:at)?\((.*= \d+)$/mg;
	ok(!@opened, 'the confined child opened nothing but its granule') or diag join("\n", @opened);
	like($out, qr/\x01\0\0\0\x44\x11\0\0\0\x50\0{16}\z/, 'and the request was still served (GP_DONE, then GP_STATUS: exit 0)');
}

# ---- what a confined child may still do: the helper's own probe ----
# Each way to a new process (clone3, whose flags a seccomp filter cannot
# read, is refused with ENOSYS so that glibc falls back to clone for
# threads), exec, a socket, a signal to another process, and every file
# but the one handed over; while a thread, a signal to itself and the
# granule still work.
SKIP:
{
	skip 'no Landlock on this kernel', 3 if $landlock < 1;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $helper, '--sandbox-probe', $ascat, $secret_file, "$base/probe-made" ],
		'>', \$out, '2>', \$err);
	my %got = $out =~ /^(\S+) (.*)$/mg;
	my %want = (confined => 'yes', thread => 'ok', clone3 => 'ENOSYS', clone => 'EPERM',
		fork => 'EPERM', execve => 'EPERM', socket => 'EPERM', 'kill-parent' => 'EPERM',
		'kill-self' => 'ok', 'read-granted' => 'ok', 'read-other' => 'EACCES',
		'write-other' => 'EACCES');
	is_deeply(\%got, \%want, 'the probe: a thread and the granule, but no process, exec, socket, signal or other file')
	  or diag "$out$err";
	ok(!-e "$base/probe-made", 'the probe made no file');
	is($?, 0, 'the probe ended normally');
}

# ---- the binary that parses hostile bytes is hardened at link time ----
# full RELRO: its GOT is made read-only before main() (BIND_NOW with a
# GNU_RELRO segment), so a memory bug in a library cannot redirect a later
# call through it; and position-independent, so ASLR moves its code too
{
	my $dynamic = `readelf -dW '$helper' 2>&1`;
	my $segments = `readelf -lW '$helper' 2>&1`;
	like($dynamic, qr/\(FLAGS_1\)\s+Flags:.*\bNOW\b/, 'the helper is linked with BIND_NOW');
	like($segments, qr/^\s*GNU_RELRO\s/m, 'the helper has a RELRO segment');
	like($dynamic, qr/\(FLAGS_1\)\s+Flags:.*\bPIE\b/, 'the helper is position-independent');
}

# ---- the whole run ----
is(postmaster_pid(), $postmaster, 'the postmaster is the same process as at the start');
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC|TRAP/, 'no server process crashed');
ok(!shows_secret($log), 'no byte of the secret in the server log');
is(join(' ', helpers_of($postmaster)), '', 'no granule helper of this server is left running');
note "totals: $improper improper states, $crashes crash lines, $secret_seen inputs showing the secret, $unmet unmet expectations";

$node->stop;
done_testing();

# ---- helpers ----

# the postmaster's pid, if it is running (postmaster.pid outlives a kill -9)
sub postmaster_pid
{
	open my $f, '<', $node->data_dir . '/postmaster.pid' or return undef;
	my $pid = <$f>;
	chomp $pid;
	my @p = proc_stat($pid);
	return @p && $p[1] eq 'postgres' && $p[3] ne 'Z' ? $pid : undef;
}

sub server_uid
{
	my $status = slurp_file('/proc/' . postmaster_pid() . '/status');
	return $status =~ /^Uid:\s+(\d+)/m ? $1 : -1;
}

# the hex of float8send() values (big-endian) in a text, as the
# little-endian bytes a file holds
sub float8send_to_le
{
	my ($text) = @_;
	my $le = '';
	while ($text =~ /([0-9a-f]{16,})/g)
	{
		my $bytes = pack('H*', substr($1, 0, length($1) - length($1) % 16));
		$le .= join '', map { scalar reverse $_ } unpack('(a8)*', $bytes);
		$le .= "\n";
	}
	return $le;
}

# the pid, name, parent and state of a process, or () when it is gone
sub proc_stat
{
	my ($pid) = @_;
	open my $f, '<', "/proc/$pid/stat" or return ();
	my $line = <$f> // return ();
	return $line =~ /^(\d+) \((.*)\) (\S) (\d+)/ ? ($1, $2, $4, $3) : ();
}

# running: there and not a zombie (a killed helper's child is reaped by init)
sub running
{
	my ($pid) = @_;
	my @p = proc_stat($pid);
	return @p && $p[3] ne 'Z';
}

# granule helpers (and their children) running below a process
sub helpers_of
{
	my ($ancestor) = @_;
	my @found;
	for my $dir (glob('/proc/[0-9]*'))
	{
		my ($pid, $comm, $ppid, $state) = proc_stat($dir =~ s{.*/}{}r) or next;
		next unless $comm =~ /^eoswath-granul/ && $state ne 'Z';
		for (1 .. 3)
		{
			(push(@found, $pid), last) if $ppid == $ancestor;
			(undef, undef, $ppid) = proc_stat($ppid) or last;
		}
	}
	return sort @found;
}

sub vm_hwm
{
	my ($pid) = @_;
	open my $f, '<', "/proc/$pid/status" or return undef;
	local $/;
	my $s = <$f>;
	return $s =~ /^VmHWM:\s+(\d+) kB/m ? $1 : undef;
}

# the helper processes under a backend (the helper and its child), seen
# within $wait seconds
sub helper_pids
{
	my ($backend, $wait) = @_;
	my %pids;
	my $until = time + $wait;
	while (time < $until)
	{
		$pids{$_} = 1 for helpers_of($backend);
		last if keys(%pids) >= 2;
		usleep(20_000);
	}
	return sort keys %pids;
}

# a request frame of granule_proto.h (type, label, path; no output file)
sub request
{
	my ($type, $label, $path) = @_;
	my $str = sub { pack('V', length $_[0]) . $_[0] };
	my $payload = chr($type) . $str->($label) . $str->($path) . pack('V', 0xFFFFFFFF)
	  . pack('q<4', 256 * 1024 * 1024, 10, 0, 0);
	return pack('V', length $payload) . $payload;
}

# A psql session that prints nothing into the test's log (results can be
# megabytes of hex).  run() returns { state => 'OK' | SQLSTATE | 'LOST',
# msg, out, err }.
package Session;

my $seq = 0;

sub new
{
	my ($class, $node, $user) = @_;
	my $self = bless { in => '', out => '', err => '' }, $class;
	$self->{timeout} = IPC::Run::timeout(300);
	$self->{h} = IPC::Run::start(
		[ $node->installed_command('psql'), '-X', '-A', '-t', '-q', '-v', 'VERBOSITY=verbose',
			'-d', $node->connstr('postgres') . " user=$user" ],
		'<', \$self->{in}, '>', \$self->{out}, '2>', \$self->{err}, $self->{timeout});
	$self->run('SELECT 1');
	return $self;
}

sub start
{
	my ($self, $sql) = @_;
	$self->{mark} = 'done_' . ++$seq;
	$self->{in} .= "$sql\n;\n\\echo $self->{mark}\n\\warn $self->{mark}\n";
	eval { $self->{h}->pump_nb };
}

sub wait
{
	my ($self) = @_;
	my $mark = $self->{mark};
	$self->{timeout}->start(300);
	# the marks come last: look at the tails only (results can be megabytes)
	# (a psql whose server went away ends: then the call is LOST)
	eval {
		$self->{h}->pump
		  while $self->{h}->pumpable
		  && !(substr($self->{out}, -length($mark) - 1) eq "$mark\n"
			&& substr($self->{err}, -length($mark) - 1) eq "$mark\n");
	};
	my ($out, $err) = ($self->{out}, $self->{err});
	$self->{out} = $self->{err} = '';
	my $lost = !($out =~ s/(^|\n)\Q$mark\E\n\z/$1/ && $err =~ s/(^|\n)\Q$mark\E\n\z/$1/);
	chomp $out;
	my ($state, $msg) = $err =~ /ERROR:\s+([0-9A-Z]{5}): (.*)/;
	my ($detail) = $err =~ /DETAIL:\s+(.*)/;
	$state = 'LOST' if $lost;
	return { state => $state // 'OK', msg => $msg // ($lost ? $err : ''), detail => $detail // '',
		out => $out, err => $err };
}

sub run
{
	my ($self, $sql) = @_;
	$self->start($sql);
	return $self->wait;
}

sub quit
{
	my ($self) = @_;
	$self->{in} .= "\\q\n";
	eval { $self->{h}->finish };
}
