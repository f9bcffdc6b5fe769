# EoswathTest.pm: helpers for eoswath's TAP tests.
package EoswathTest;

use strict;
use warnings;
use Exporter 'import';
use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(eoswath_node add_sites copy_files object_files copies_of flip_byte sha256_file wait_ready);

# A started node with the extension installed and $nsites extra directory
# sites (s1, s2, ...) under its data directory.
sub eoswath_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "fsync = on\n" . ($opts{conf} // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION eoswath CASCADE');
	add_sites($node, $opts{sites} // 0);
	return $node;
}

sub add_sites
{
	my ($node, $n) = @_;
	for my $i (1 .. $n)
	{
		my $dir = $node->data_dir . "/../site$i";
		$node->safe_psql('postgres', "SELECT wos_site_add('s$i', '$dir')");
	}
}

# Every file on every site (copies, temporaries), sorted; the sites of
# database $db (default postgres).
sub copy_files
{
	my ($node, $db) = @_;
	my @dirs = split /\n/,
	  $node->safe_psql($db // 'postgres', 'SELECT location FROM eoswath.sites ORDER BY site_id');
	my @files;
	for my $d (@dirs)
	{
		$d = $node->data_dir . "/$d" unless $d =~ m{^/};    # default sites: relative
		next unless -d $d;
		find(sub { push @files, $File::Find::name if -f $_ && $_ !~ /^\.eoswath-site$/ }, $d);
	}
	return sort @files;
}

# The files holding copies of one object (by its text id).
sub object_files
{
	my ($node, $id, $db) = @_;
	return grep { m{/\Q$id\E$} } copy_files($node, $db);
}

# Wait until the server accepts connections again (after a crash restart):
# pg_isready, which reads no input, so that a refused connection cannot
# end the test with a broken pipe as psql fed on standard input can.
sub wait_ready
{
	my ($node) = @_;
	for (1 .. 1200)
	{
		return if system('pg_isready', '-q', '-h', $node->host, '-p', $node->port, '-d', 'postgres') == 0
		  && $node->psql('postgres', 'SELECT 1') == 0;
		select(undef, undef, undef, 0.1);
	}
	die 'the server did not come back';
}

# The copy files of object $id in the order reads try them (the order of
# wos_stat's sites).
sub copies_of
{
	my ($node, $id) = @_;
	return map {
		my $site = $_;
		my $loc = $node->safe_psql('postgres', "SELECT location FROM eoswath.sites WHERE name = '$site'");
		$loc = $node->data_dir . "/$loc" unless $loc =~ m{^/};    # the default site: relative
		grep { index($_, "$loc/") == 0 } object_files($node, $id)
	} split /,/, $node->safe_psql('postgres', "SELECT array_to_string(sites, ',') FROM wos_stat('$id')");
}

# Flip the lowest bit of the byte at $offset of a file, in place.
sub flip_byte
{
	my ($path, $offset) = @_;
	open(my $fh, '+<:raw', $path) or die "$path: $!";
	seek($fh, $offset, 0);
	read($fh, my $c, 1);
	seek($fh, $offset, 0);
	print $fh chr(ord($c) ^ 0x01);
	close $fh;
}

sub sha256_file
{
	my ($path) = @_;
	my $out = `sha256sum '$path'`;
	return (split /\s+/, $out)[0];
}

1;
